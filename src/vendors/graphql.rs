//! The `Vendor` type and the query about the current store.

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, SimpleObject};

use crate::error::AppResult;
use crate::graphql::ContextExt as _;
use crate::graphql::scalars::DateTime;
use crate::identity::{Role, RoleGuard};
use crate::values::{Email, StoreName};
use crate::vendors::{StoreChanges, Stores, VendorRow};

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
        Ok(ctx.service::<Stores>().find(tenant).await?.into())
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
        let changes = StoreChanges {
            store_name: input
                .store_name
                .as_deref()
                .map(|name| StoreName::parse("storeName", name))
                .transpose()?,
            contact_email: match &input.contact_email {
                MaybeUndefined::Undefined => None,
                MaybeUndefined::Null => Some(None),
                MaybeUndefined::Value(email) => {
                    Some(Email::parse_optional("contactEmail", Some(email.as_str()))?)
                }
            },
        };
        Ok(ctx
            .service::<Stores>()
            .update(tenant, changes)
            .await?
            .into())
    }
}
