//! The `Vendor` type and the query about the current store.

use async_graphql::{Context, ID, Object, SimpleObject};

use crate::error::AppResult;
use crate::graphql::ContextExt as _;
use crate::graphql::scalars::DateTime;
use crate::vendors::VendorRow;

/// A store hosted on the platform.
#[derive(SimpleObject, Clone, Debug)]
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
        Ok(ctx.request().tenant()?.clone().into())
    }
}
