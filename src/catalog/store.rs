//! Queries on single products and their stock. Every one is scoped to a tenant and, but for the order
//! lines' history, to live (not deleted) products. The listing's queries are in `listing_store`.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::catalog::model::{NewProduct, ProductChanges, ProductRow};
use crate::db::schema::products;
use crate::db::{CacheWrite, Conn, DbResult, TenantId, TenantTable as _, now};
use crate::with_conn;

/// A live product of the tenant.
pub async fn find_live(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    id: i64,
) -> DbResult<Option<ProductRow>> {
    let query = products::table
        .of_tenant(tenant)
        .filter(products::id.eq(id))
        .filter(products::deleted_at.is_null());
    Ok(with_conn!(conn, |c| {
        query
            .select(ProductRow::as_select())
            .first(c)
            .await
            .optional()
    })?)
}

pub async fn insert(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    new: &NewProduct,
) -> DbResult<ProductRow> {
    Ok(with_conn!(conn, |c| {
        diesel::insert_into(products::table)
            .values((products::table::owned_by(tenant), new))
            .returning(ProductRow::as_returning())
            .cached()
            .get_result(c)
            .await
    })?)
}

/// Applies `changes` to a live product of the tenant; `None` when there is no such product.
pub async fn update(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    id: i64,
    mut changes: ProductChanges,
) -> DbResult<Option<ProductRow>> {
    if changes.is_empty() {
        return find_live(conn, tenant, id).await;
    }
    changes.updated_at = Some(now());
    let target = products::table
        .of_tenant(tenant)
        .filter(products::id.eq(id))
        .filter(products::deleted_at.is_null());
    Ok(with_conn!(conn, |c| {
        diesel::update(target)
            .set(&changes)
            .returning(ProductRow::as_returning())
            .cached()
            .get_result(c)
            .await
            .optional()
    })?)
}

/// Takes a live product out of the catalog; `false` when there is no such product.
pub async fn soft_delete(conn: &mut Conn<'_>, tenant: TenantId, id: i64) -> DbResult<bool> {
    let at = now();
    let target = products::table
        .of_tenant(tenant)
        .filter(products::id.eq(id))
        .filter(products::deleted_at.is_null());
    let deleted = with_conn!(conn, |c| {
        diesel::update(target)
            .set((products::deleted_at.eq(at), products::updated_at.eq(at)))
            .cached()
            .execute(c)
            .await
    })?;
    Ok(deleted == 1)
}

/// Puts units back in stock (a cancelled order), deleted product or not. Like an order taking units,
/// this is no edit of the product: its `updatedAt` stays (see `orders::store::insert_items_taking_stock`).
pub async fn return_stock(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    id: i64,
    quantity: i32,
) -> DbResult<()> {
    let target = products::table
        .of_tenant(tenant)
        .filter(products::id.eq(id));
    let changes = products::stock.eq(products::stock + quantity);
    with_conn!(conn, |c| diesel::update(target)
        .set(changes)
        .cached()
        .execute(c)
        .await)?;
    Ok(())
}

/// Live products of the tenant among `ids` (for batched loading).
pub async fn find_live_many(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    ids: &[i64],
) -> DbResult<Vec<ProductRow>> {
    let query = products::table
        .of_tenant(tenant)
        .filter(products::id.eq_any(ids))
        .filter(products::deleted_at.is_null());
    Ok(with_conn!(conn, |c| {
        query.select(ProductRow::as_select()).load(c).await
    })?)
}
