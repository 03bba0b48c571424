//! Queries on users. Every function takes the tenant and starts from its rows: no lookup by id alone
//! exists.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::db::schema::users;
use crate::db::{CacheWrite, Conn, DbResult, TenantId, TenantTable as _, lower, now};
use crate::identity::Role;
use crate::users::model::{NewUser, UserRow};
use crate::with_conn;

/// Inserts a user of the tenant; a username taken in this store (in any case) is a unique violation.
pub async fn insert(conn: &mut Conn<'_>, tenant: TenantId, new: &NewUser<'_>) -> DbResult<UserRow> {
    Ok(with_conn!(conn, |c| {
        diesel::insert_into(users::table)
            .values((users::table::owned_by(tenant), new))
            .returning(UserRow::as_returning())
            .cached()
            .get_result(c)
            .await
    })?)
}

pub async fn find(conn: &mut Conn<'_>, tenant: TenantId, id: i64) -> DbResult<Option<UserRow>> {
    let query = users::table.of_tenant(tenant).filter(users::id.eq(id));
    Ok(with_conn!(conn, |c| {
        query.select(UserRow::as_select()).first(c).await.optional()
    })?)
}

/// Finds a user of the store by username, compared without case as the unique index does.
pub async fn find_by_username(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    username: &str,
) -> DbResult<Option<UserRow>> {
    let query = users::table
        .of_tenant(tenant)
        .filter(lower(users::username).eq(username.to_lowercase()));
    Ok(with_conn!(conn, |c| {
        query.select(UserRow::as_select()).first(c).await.optional()
    })?)
}

/// Users of the tenant among `ids` (for batched loading).
pub async fn find_many(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    ids: &[i64],
) -> DbResult<Vec<UserRow>> {
    let query = users::table.of_tenant(tenant).filter(users::id.eq_any(ids));
    Ok(with_conn!(conn, |c| {
        query.select(UserRow::as_select()).load(c).await
    })?)
}

/// Users of the tenant with `role`, by id, after `after`, at most `limit`.
pub async fn list(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    role: Role,
    after: Option<i64>,
    limit: i64,
) -> DbResult<Vec<UserRow>> {
    let query = users::table
        .of_tenant(tenant)
        .filter(users::role.eq(role.as_str()))
        .filter(users::id.gt(after.unwrap_or(0)))
        .order(users::id.asc())
        .limit(limit);
    Ok(with_conn!(conn, |c| {
        query.select(UserRow::as_select()).load(c).await
    })?)
}

pub async fn count(conn: &mut Conn<'_>, tenant: TenantId, role: Role) -> DbResult<i64> {
    let query = users::table
        .of_tenant(tenant)
        .filter(users::role.eq(role.as_str()))
        .count();
    Ok(with_conn!(conn, |c| query.get_result(c).await)?)
}

/// Deactivates a staff member of the tenant; `None` when the tenant has no such staff member.
pub async fn deactivate_staff(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    id: i64,
) -> DbResult<Option<UserRow>> {
    let target = users::table
        .of_tenant(tenant)
        .filter(users::id.eq(id))
        .filter(users::role.eq(Role::Staff.as_str()));
    let changes = (users::is_active.eq(false), users::updated_at.eq(now()));
    Ok(with_conn!(conn, |c| {
        diesel::update(target)
            .set(changes)
            .returning(UserRow::as_returning())
            .cached()
            .get_result(c)
            .await
            .optional()
    })?)
}

pub async fn set_password_hash(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    id: i64,
    hash: &str,
) -> DbResult<()> {
    let target = users::table.of_tenant(tenant).filter(users::id.eq(id));
    let changes = (users::password_hash.eq(hash), users::updated_at.eq(now()));
    with_conn!(conn, |c| diesel::update(target)
        .set(changes)
        .cached()
        .execute(c)
        .await)?;
    Ok(())
}
