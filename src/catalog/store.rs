//! Queries on single products and their stock. Every one is scoped to a tenant and, but for the order
//! lines' history, to live (not deleted) products. The listing's queries are in `listing_store`.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::catalog::model::{NewProduct, ProductChanges, ProductRow};
use crate::db::schema::products;
use crate::db::{CacheWrite, Conn, DbResult, TenantId, TenantTable as _, now};
use crate::{each_pipelined, with_conn};

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

/// Up to `limit` of the store's products (deleted ones too) whose search words were written before the
/// service folded them itself: (id, name, description).
pub async fn not_folded(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    limit: i64,
) -> DbResult<Vec<(i64, String, String)>> {
    let query = products::table
        .of_tenant(tenant)
        .filter(products::search_folded.eq(false))
        .order(products::id)
        .limit(limit)
        .select((products::id, products::name, products::description));
    Ok(with_conn!(conn, |c| query.load(c).await)?)
}

/// Writes products' search words as the service folds them, and marks them so: (id, the name's
/// words, the description's words) each, pipelined in one round trip on PostgreSQL.
pub async fn set_search_words(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    words: &[(i64, String, String)],
) -> DbResult<()> {
    each_pipelined!(conn, words, |c, product| {
        let (id, name, description) = product;
        let target = products::table
            .of_tenant(tenant)
            .filter(products::id.eq(*id));
        diesel::update(target)
            .set((
                products::search_name.eq(name),
                products::search_description.eq(description),
                products::search_folded.eq(true),
            ))
            .execute(c)
            .await
    })?;
    Ok(())
}

/// Up to `limit` store ids after `after`, in order (the stores table is readable by every role).
pub async fn stores_after(conn: &mut Conn<'_>, after: i64, limit: i64) -> DbResult<Vec<i64>> {
    use crate::db::schema::vendors;
    let query = vendors::table
        .filter(vendors::id.gt(after))
        .order(vendors::id)
        .limit(limit)
        .select(vendors::id);
    Ok(with_conn!(conn, |c| query.load(c).await)?)
}

/// Whether the one-off `task` was done (by any instance).
pub async fn done(conn: &mut Conn<'_>, task: &str) -> DbResult<bool> {
    use crate::db::schema::maintenance_done;
    let query = maintenance_done::table
        .filter(maintenance_done::task.eq(task.to_owned()))
        .count();
    let count: i64 = with_conn!(conn, |c| query.get_result(c).await)?;
    Ok(count > 0)
}

/// Records that the one-off `task` is done.
pub async fn mark_done(conn: &mut Conn<'_>, task: &str) -> DbResult<()> {
    use crate::db::schema::maintenance_done;
    let row = (
        maintenance_done::task.eq(task.to_owned()),
        maintenance_done::done_at.eq(now()),
    );
    with_conn!(conn, |c| {
        diesel::insert_into(maintenance_done::table)
            .values(row.clone())
            .on_conflict_do_nothing()
            .execute(c)
            .await
    })?;
    Ok(())
}
