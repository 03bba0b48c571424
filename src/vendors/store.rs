//! Queries on vendors, the tenants themselves: a vendor's row is found by its id, the tenant's id.
//! (The gate finds a store by its domain: `identity::store`.)

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::db::schema::vendors;
use crate::db::{CacheWrite, Conn, DbResult, TenantId, now};
use crate::vendors::model::{NewVendor, VendorRow};
use crate::with_conn;

/// Inserts a vendor (a store opening: the one table that is not a tenant's, as its row is the tenant);
/// a domain already taken is a unique violation.
pub async fn insert(conn: &mut Conn<'_>, new: &NewVendor<'_>) -> DbResult<VendorRow> {
    Ok(with_conn!(conn, |c| {
        diesel::insert_into(vendors::table)
            .values(new)
            .returning(VendorRow::as_returning())
            .cached()
            .get_result(c)
            .await
    })?)
}

pub async fn find(conn: &mut Conn<'_>, id: TenantId) -> DbResult<Option<VendorRow>> {
    let query = vendors::table.find(id.0);
    Ok(with_conn!(conn, |c| {
        query
            .select(VendorRow::as_select())
            .first(c)
            .await
            .optional()
    })?)
}

/// Changes a vendor's store name and contact email. `contact_email: Some(None)` clears it.
pub async fn update(
    conn: &mut Conn<'_>,
    id: TenantId,
    store_name: Option<&str>,
    contact_email: Option<Option<&str>>,
) -> DbResult<Option<VendorRow>> {
    let changes = VendorChanges {
        store_name,
        contact_email,
        updated_at: now(),
    };
    let target = vendors::table.find(id.0);
    Ok(with_conn!(conn, |c| {
        diesel::update(target)
            .set(&changes)
            .returning(VendorRow::as_returning())
            .cached()
            .get_result(c)
            .await
            .optional()
    })?)
}

#[derive(AsChangeset)]
#[diesel(table_name = vendors)]
struct VendorChanges<'a> {
    store_name: Option<&'a str>,
    contact_email: Option<Option<&'a str>>,
    updated_at: chrono::NaiveDateTime,
}
