//! Queries on users. Every function takes the tenant and filters by it: no lookup by id alone exists.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::db::schema::users;
use crate::db::{CacheWrite, Conn, TenantId, lower, now};
use crate::error::{AppError, AppResult, is_unique_violation};
use crate::users::model::{NewUser, Role, UserRow};
use crate::with_conn;

/// Inserts a user; a username taken in this store (in any case) is a `CONFLICT` on `username`.
pub async fn insert(conn: &mut Conn<'_>, new: &NewUser<'_>) -> AppResult<UserRow> {
    with_conn!(conn, |c| {
        diesel::insert_into(users::table)
            .values(new)
            .returning(UserRow::as_returning())
            .cached()
            .get_result(c)
            .await
    })
    .map_err(|err| {
        if is_unique_violation(&err) {
            AppError::conflict("username", "this username is already taken in this store")
        } else {
            err.into()
        }
    })
}

pub async fn find(conn: &mut Conn<'_>, tenant: TenantId, id: i64) -> AppResult<Option<UserRow>> {
    let query = users::table
        .filter(users::vendor_id.eq(tenant.0))
        .filter(users::id.eq(id));
    Ok(with_conn!(conn, |c| {
        query.select(UserRow::as_select()).first(c).await.optional()
    })?)
}

/// Finds a user of the store by username, compared without case as the unique index does.
pub async fn find_by_username(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    username: &str,
) -> AppResult<Option<UserRow>> {
    let query = users::table
        .filter(users::vendor_id.eq(tenant.0))
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
) -> AppResult<Vec<UserRow>> {
    let query = users::table
        .filter(users::vendor_id.eq(tenant.0))
        .filter(users::id.eq_any(ids));
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
) -> AppResult<Vec<UserRow>> {
    let query = users::table
        .filter(users::vendor_id.eq(tenant.0))
        .filter(users::role.eq(role.as_str()))
        .filter(users::id.gt(after.unwrap_or(0)))
        .order(users::id.asc())
        .limit(limit);
    Ok(with_conn!(conn, |c| {
        query.select(UserRow::as_select()).load(c).await
    })?)
}

pub async fn count(conn: &mut Conn<'_>, tenant: TenantId, role: Role) -> AppResult<i64> {
    let query = users::table
        .filter(users::vendor_id.eq(tenant.0))
        .filter(users::role.eq(role.as_str()))
        .count();
    Ok(with_conn!(conn, |c| query.get_result(c).await)?)
}

/// Deactivates a staff member of the tenant; `None` when the tenant has no such staff member.
pub async fn deactivate_staff(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    id: i64,
) -> AppResult<Option<UserRow>> {
    let target = users::table
        .filter(users::vendor_id.eq(tenant.0))
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
) -> AppResult<()> {
    let target = users::table
        .filter(users::vendor_id.eq(tenant.0))
        .filter(users::id.eq(id));
    let changes = (users::password_hash.eq(hash), users::updated_at.eq(now()));
    with_conn!(conn, |c| diesel::update(target)
        .set(changes)
        .cached()
        .execute(c)
        .await)?;
    Ok(())
}
