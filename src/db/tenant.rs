//! The tenant of a query: every store function takes a `TenantId`, every query on a tenant table starts
//! from `table.of_tenant(tenant)` and every insert sets `table::owned_by(tenant)`, the one place each is
//! written. PostgreSQL's row-level security checks the same rule again underneath.

use diesel::dsl::{Eq, Filter};
use diesel::query_dsl::methods::FilterDsl;
use diesel::sql_types::BigInt;
use diesel::{Expression, ExpressionMethods};

use super::schema;

/// The id of a vendor, as every store function takes it: the tenant whose rows it may touch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TenantId(pub i64);

/// A table whose every row belongs to one tenant, by its `vendor_id`.
pub trait TenantTable: Sized {
    type VendorId: Default + ExpressionMethods + Expression<SqlType = BigInt>;

    /// `vendor_id = tenant`, for the values of an insert: a row never brings its own tenant.
    fn owned_by(tenant: TenantId) -> Eq<Self::VendorId, i64> {
        Self::VendorId::default().eq(tenant.0)
    }

    /// The rows of `tenant` (the start of every query on the table).
    fn of_tenant(self, tenant: TenantId) -> Filter<Self, Eq<Self::VendorId, i64>>
    where
        Self: FilterDsl<Eq<Self::VendorId, i64>>,
    {
        FilterDsl::filter(self, Self::VendorId::default().eq(tenant.0))
    }
}

macro_rules! tenant_tables {
    ($($table:ident),* $(,)?) => {
        $(impl TenantTable for schema::$table::table {
            type VendorId = schema::$table::vendor_id;
        })*
    };
}

tenant_tables!(
    users,
    products,
    orders,
    order_items,
    idempotency_keys,
    refresh_tokens,
    order_events,
    webhooks,
    webhook_deliveries
);
