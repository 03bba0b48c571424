//! Queries on vendors, the tenants themselves: a vendor's row is found by its id, the tenant's id.
//! (The gate finds a store by its domain: `identity::store`.)

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::db::schema::{store_domains, vendors};
use crate::db::{CacheWrite, Conn, DbResult, TenantId, now};
use crate::vendors::model::{DomainRow, NewVendor, VendorRow};
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

/// A store's domains, the primary one first, then by name.
pub async fn domains(conn: &mut Conn<'_>, id: TenantId) -> DbResult<Vec<DomainRow>> {
    let query = store_domains::table
        .filter(store_domains::vendor_id.eq(id.0))
        .order((
            store_domains::is_primary.desc(),
            store_domains::domain.asc(),
        ));
    Ok(with_conn!(conn, |c| {
        query.select(DomainRow::as_select()).load(c).await
    })?)
}

/// The domains of several stores (a page of the platform's listing), in no particular order.
pub async fn domains_of(conn: &mut Conn<'_>, ids: &[i64]) -> DbResult<Vec<DomainRow>> {
    let query = store_domains::table.filter(store_domains::vendor_id.eq_any(ids));
    Ok(with_conn!(conn, |c| {
        query.select(DomainRow::as_select()).load(c).await
    })?)
}

/// The store a domain belongs to, if any.
pub async fn domain_owner(conn: &mut Conn<'_>, domain: &str) -> DbResult<Option<DomainRow>> {
    let query = store_domains::table.find(domain);
    Ok(with_conn!(conn, |c| {
        query
            .select(DomainRow::as_select())
            .first(c)
            .await
            .optional()
    })?)
}

pub async fn count_domains(conn: &mut Conn<'_>, id: TenantId) -> DbResult<i64> {
    let query = store_domains::table
        .filter(store_domains::vendor_id.eq(id.0))
        .count();
    Ok(with_conn!(conn, |c| query.get_result(c).await)?)
}

/// Adds a domain to a store; a domain any store has already is a unique violation (whatever runs
/// at the same time).
pub async fn insert_domain(conn: &mut Conn<'_>, row: &DomainRow) -> DbResult<()> {
    with_conn!(conn, |c| {
        diesel::insert_into(store_domains::table)
            .values(row)
            .cached()
            .execute(c)
            .await
    })?;
    Ok(())
}

/// Removes a store's domain; `false` when the store has no such domain.
pub async fn delete_domain(conn: &mut Conn<'_>, id: TenantId, domain: &str) -> DbResult<bool> {
    let target = store_domains::table
        .filter(store_domains::vendor_id.eq(id.0))
        .filter(store_domains::domain.eq(domain));
    let deleted = with_conn!(conn, |c| diesel::delete(target).execute(c).await)?;
    Ok(deleted > 0)
}

/// Makes `domain` (one of the store's) its primary domain, in `store_domains` and in
/// `vendors.domain`, which new tokens and `Vendor.domain` read.
pub async fn set_primary(conn: &mut Conn<'_>, id: TenantId, domain: &str) -> DbResult<()> {
    let old = store_domains::table
        .filter(store_domains::vendor_id.eq(id.0))
        .filter(store_domains::is_primary.eq(true));
    let new = store_domains::table
        .filter(store_domains::vendor_id.eq(id.0))
        .filter(store_domains::domain.eq(domain));
    let vendor = vendors::table.find(id.0);
    let changes = (vendors::domain.eq(domain), vendors::updated_at.eq(now()));
    with_conn!(conn, |c| {
        diesel::update(old)
            .set(store_domains::is_primary.eq(false))
            .execute(c)
            .await?;
        diesel::update(new)
            .set(store_domains::is_primary.eq(true))
            .execute(c)
            .await?;
        diesel::update(vendor).set(changes).execute(c).await
    })?;
    Ok(())
}

/// Takes the store's row lock for the rest of the transaction (PostgreSQL; SQLite's transactions take
/// the one write lock anyway), so that the changes of one store's domains run one after another: the
/// count of its domains cannot be raced past the limit.
pub async fn lock(conn: &mut Conn<'_>, id: TenantId) -> DbResult<bool> {
    let target = vendors::table.find(id.0);
    let touched = with_conn!(conn, |c| {
        diesel::update(target)
            .set(vendors::updated_at.eq(now()))
            .execute(c)
            .await
    })?;
    Ok(touched > 0)
}
