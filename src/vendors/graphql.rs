//! The `Vendor` type and the query about the current store.

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, SimpleObject};

use crate::auth::RoleGuard;
use crate::error::{AppError, AppResult};
use crate::graphql::ContextExt as _;
use crate::graphql::scalars::DateTime;
use crate::users::Role;
use crate::validation;
use crate::vendors::VendorRow;
use crate::vendors::store;

/// A store hosted on the platform.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(serial)] // plain values: see `Product`
pub struct Vendor {
    pub id: ID,
    pub store_name: String,
    pub domain: String,
    pub contact_email: Option<String>,
    pub created_at: DateTime,
}

impl From<VendorRow> for Vendor {
    fn from(row: VendorRow) -> Self {
        Self {
            id: ID(row.id.to_string()),
            store_name: row.store_name,
            domain: row.domain,
            contact_email: row.contact_email,
            created_at: row.created_at.into(),
        }
    }
}

#[derive(Default)]
pub struct VendorsQuery;

#[Object]
impl VendorsQuery {
    /// The store named by `X-Tenant-Domain` or by the token. Public: a storefront shows its name.
    async fn vendor(&self, ctx: &Context<'_>) -> AppResult<Vendor> {
        let tenant = ctx.request().tenant_id()?;
        let mut pooled = ctx.state().db.tenant(tenant).await?;
        store::find(&mut pooled.conn(), tenant)
            .await?
            .map(Vendor::from)
            .ok_or(AppError::TenantNotFound)
    }
}

/// Only the fields given change; `contactEmail: null` removes the contact email.
#[derive(InputObject)]
pub struct UpdateVendorInput {
    pub store_name: Option<String>,
    pub contact_email: MaybeUndefined<String>,
}

#[derive(Default)]
pub struct VendorsMutation;

#[Object]
impl VendorsMutation {
    /// Changes the owner's store: its name and contact email (the domain never changes).
    #[graphql(guard = "RoleGuard::only(&[Role::Owner])")]
    async fn update_vendor(
        &self,
        ctx: &Context<'_>,
        input: UpdateVendorInput,
    ) -> AppResult<Vendor> {
        let tenant = ctx.request().tenant_id()?;
        let store_name = input
            .store_name
            .as_deref()
            .map(|name| validation::store_name("storeName", name))
            .transpose()?;
        let contact_email = match &input.contact_email {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(None),
            MaybeUndefined::Value(email) if email.trim().is_empty() => Some(None),
            MaybeUndefined::Value(email) => Some(Some(validation::email("contactEmail", email)?)),
        };
        let mut pooled = ctx.state().db.tenant(tenant).await?;
        let updated = store::update(
            &mut pooled.conn(),
            tenant,
            store_name.as_deref(),
            contact_email.as_ref().map(Option::as_deref),
        )
        .await?;
        updated.map(Vendor::from).ok_or(AppError::TenantNotFound)
    }
}
