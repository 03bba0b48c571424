//! What the platform admin does: list the stores, suspend and reactivate them. A suspension takes
//! effect on every instance at once: its transaction announces it (see `identity::TenantDirectory`),
//! every instance forgets the store's status, and its open sockets close.

use std::collections::HashMap;
use std::sync::Arc;

use crate::db::{Conn, Db, TenantId, now};
use crate::error::{AppError, AppResult};
use crate::identity::{StoreChange, TenantDirectory};
use crate::platform::model::{Action, NewAdmin, NewSuspension};
use crate::platform::store;
use crate::transaction;
use crate::values::Username;
use crate::vendors::VendorRow;
use crate::vendors::model::DomainRow;

/// Longest reason a suspension may give.
pub const MAX_REASON_LEN: usize = 500;
/// Longest `search` of the stores' listing.
pub const MAX_SEARCH_LEN: usize = 255;

/// The platform's service: its own pool (the platform role), and the directory to tell of changes.
#[derive(Clone)]
pub struct Platform {
    db: Db,
    directory: Arc<TenantDirectory>,
}

impl Platform {
    pub fn new(db: Db, directory: Arc<TenantDirectory>) -> Self {
        Self { db, directory }
    }

    /// Stores by id after `after`, each with its domains (two queries for the page).
    pub async fn stores(
        &self,
        search: Option<&str>,
        after: Option<i64>,
        limit: i64,
    ) -> AppResult<Vec<(VendorRow, Vec<DomainRow>)>> {
        let mut pooled = self.db.unscoped().await?;
        let conn = &mut pooled.conn();
        let rows = store::list_stores(conn, search, after, limit).await?;
        let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
        let mut domains: HashMap<i64, Vec<DomainRow>> = HashMap::new();
        if !ids.is_empty() {
            for row in crate::vendors::store::domains_of(conn, &ids).await? {
                domains.entry(row.vendor_id).or_default().push(row);
            }
        }
        Ok(rows
            .into_iter()
            .map(|row| {
                let of_store = domains.remove(&row.id).unwrap_or_default();
                (row, of_store)
            })
            .collect())
    }

    pub async fn count_stores(&self, search: Option<&str>) -> AppResult<i64> {
        let mut pooled = self.db.unscoped().await?;
        Ok(store::count_stores(&mut pooled.conn(), search).await?)
    }

    /// Suspends a store (`NOT_FOUND` if there is none): from the commit on, it answers
    /// `STORE_SUSPENDED` to everyone but a platform admin. Suspending a suspended store changes
    /// nothing and logs nothing.
    pub async fn suspend(&self, admin: i64, store: TenantId, reason: &str) -> AppResult<VendorRow> {
        self.set_status(admin, store, Action::Suspended, Some(reason))
            .await
    }

    /// Reactivates a suspended store: its users' tokens work again, with no new sign-in.
    pub async fn reactivate(&self, admin: i64, store: TenantId) -> AppResult<VendorRow> {
        self.set_status(admin, store, Action::Reactivated, None)
            .await
    }

    async fn set_status(
        &self,
        admin: i64,
        tenant: TenantId,
        action: Action,
        reason: Option<&str>,
    ) -> AppResult<VendorRow> {
        let mut pooled = self.db.unscoped().await?;
        let (vendor, changed) = transaction!(&mut pooled.conn(), AppError, |conn| {
            let no_store = || AppError::NotFound("no such store");
            let current = crate::vendors::store::find(conn, tenant)
                .await?
                .ok_or_else(no_store)?;
            let suspend = action == Action::Suspended;
            if current.suspended_at.is_some() == suspend {
                return Ok((current, false));
            }
            let at = now();
            let vendor = store::set_suspended(conn, tenant, suspend.then_some(at))
                .await?
                .ok_or_else(no_store)?;
            log(conn, tenant, admin, action, reason, at).await?;
            TenantDirectory::announce(conn, StoreChange::Store(tenant)).await?;
            Ok((vendor, true))
        })?;
        if changed {
            self.directory.changed(StoreChange::Store(tenant));
            tracing::info!(
                store = tenant.0,
                admin,
                action = action.as_str(),
                reason,
                "store status changed by the platform"
            );
        }
        Ok(vendor)
    }

    /// Makes a platform admin (from the command line); `CONFLICT` when the username is taken.
    pub async fn create_admin(&self, username: &Username, password_hash: &str) -> AppResult<i64> {
        let mut pooled = self.db.unscoped().await?;
        store::insert_admin(
            &mut pooled.conn(),
            &NewAdmin {
                username,
                password_hash,
                is_active: true,
                created_at: now(),
            },
        )
        .await
        .map_err(|err| {
            AppError::taken(
                err,
                "username",
                "a platform admin has this username already",
            )
        })
    }
}

async fn log(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    admin: i64,
    action: Action,
    reason: Option<&str>,
    at: chrono::NaiveDateTime,
) -> AppResult<()> {
    store::log_suspension(
        conn,
        &NewSuspension {
            vendor_id: tenant.0,
            action: action.as_str(),
            reason,
            admin_id: admin,
            at,
        },
    )
    .await?;
    Ok(())
}
