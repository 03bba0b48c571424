//! Queries on vendors. A vendor is found by its id (from a token) or its domain (from the header).

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::db::schema::vendors;
use crate::db::{CacheWrite, Conn, TenantId, now};
use crate::error::{AppError, AppResult, is_unique_violation};
use crate::vendors::model::{NewVendor, VendorRow};
use crate::with_conn;

/// Inserts a vendor; a domain already taken is a `CONFLICT` on `domain`.
pub async fn insert(conn: &mut Conn<'_>, new: &NewVendor<'_>) -> AppResult<VendorRow> {
    with_conn!(conn, |c| {
        diesel::insert_into(vendors::table)
            .values(new)
            .returning(VendorRow::as_returning())
            .cached()
            .get_result(c)
            .await
    })
    .map_err(|err| {
        if is_unique_violation(&err) {
            AppError::conflict("domain", "this domain is already taken")
        } else {
            err.into()
        }
    })
}

pub async fn find(conn: &mut Conn<'_>, id: TenantId) -> AppResult<Option<VendorRow>> {
    let query = vendors::table.find(id.0);
    Ok(with_conn!(conn, |c| {
        query
            .select(VendorRow::as_select())
            .first(c)
            .await
            .optional()
    })?)
}

/// Finds a vendor by its domain, given already normalized (lower case, no port).
pub async fn find_by_domain(conn: &mut Conn<'_>, domain: &str) -> AppResult<Option<VendorRow>> {
    let query = vendors::table.filter(vendors::domain.eq(domain));
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
) -> AppResult<Option<VendorRow>> {
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
