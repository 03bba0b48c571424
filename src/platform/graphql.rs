//! The platform admin's operations: `stores`, `suspendStore`, `reactivateStore` (`adminLogin` is with
//! the other sign-ins, in `auth`).

use async_graphql::connection::Connection;
use async_graphql::{Context, ID, Object};

use crate::db::TenantId;
use crate::error::{AppError, AppResult};
use crate::graphql::ContextExt as _;
use crate::graphql::pagination::{DEFAULT_PAGE, IdCursor, Page, parse_id};
use crate::identity::PlatformGuard;
use crate::platform::Platform;
use crate::platform::service::{MAX_REASON_LEN, MAX_SEARCH_LEN};
use crate::vendors::graphql::Vendor;

/// The fields the stores' listing adds to its connection. `totalCount` runs its query only when asked.
pub struct StoreListing {
    search: Option<String>,
}

#[Object]
impl StoreListing {
    /// How many stores the listing holds across all its pages.
    async fn total_count(&self, ctx: &Context<'_>) -> AppResult<i64> {
        ctx.service::<Platform>()
            .count_stores(self.search.as_deref())
            .await
    }
}

pub type VendorConnection = Connection<IdCursor, Vendor, StoreListing>;

#[derive(Default)]
pub struct PlatformQuery;

#[Object]
impl PlatformQuery {
    /// Every store of the platform by id, each with its status and domains; `search` keeps those whose
    /// name or one of whose domains contains it (case-insensitive). Platform admins only.
    #[graphql(guard = "PlatformGuard")]
    async fn stores(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20)] first: Option<i32>,
        after: Option<String>,
        search: Option<String>,
    ) -> AppResult<VendorConnection> {
        let page = Page::new(first.unwrap_or(DEFAULT_PAGE), after.as_deref())?;
        let search = search
            .map(|text| text.trim().to_owned())
            .filter(|text| !text.is_empty());
        if search
            .as_ref()
            .is_some_and(|text| text.chars().count() > MAX_SEARCH_LEN)
        {
            return Err(AppError::bad_input(
                "search",
                format!("a search has at most {MAX_SEARCH_LEN} characters"),
            ));
        }
        let found = ctx
            .service::<Platform>()
            .stores(search.as_deref(), page.after, page.fetch_limit())
            .await?;
        Ok(page.into_connection(
            found,
            |(row, _)| row.id,
            |(row, domains)| Vendor::with_domains(row, domains),
            StoreListing { search },
        ))
    }
}

#[derive(Default)]
pub struct PlatformMutation;

#[Object]
impl PlatformMutation {
    /// Suspends a store: from now on it answers `STORE_SUSPENDED` to everyone but a platform admin, on
    /// every channel and every instance, and its open WebSockets close. Logged with who and why.
    /// Platform admins only.
    #[graphql(guard = "PlatformGuard")]
    async fn suspend_store(&self, ctx: &Context<'_>, id: ID, reason: String) -> AppResult<Vendor> {
        let admin = ctx.request().platform_admin()?;
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > MAX_REASON_LEN {
            return Err(AppError::bad_input(
                "reason",
                format!("a reason has 1 to {MAX_REASON_LEN} characters"),
            ));
        }
        let store = store_id(&id)?;
        Ok(ctx
            .service::<Platform>()
            .suspend(admin, store, reason)
            .await?
            .into())
    }

    /// Reactivates a suspended store: everything works again as it did, with no new sign-in.
    /// Platform admins only.
    #[graphql(guard = "PlatformGuard")]
    async fn reactivate_store(&self, ctx: &Context<'_>, id: ID) -> AppResult<Vendor> {
        let admin = ctx.request().platform_admin()?;
        let store = store_id(&id)?;
        Ok(ctx
            .service::<Platform>()
            .reactivate(admin, store)
            .await?
            .into())
    }
}

fn store_id(id: &ID) -> AppResult<TenantId> {
    parse_id(id)
        .map(TenantId)
        .ok_or(AppError::NotFound("no such store"))
}
