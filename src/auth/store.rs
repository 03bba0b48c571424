//! Queries on refresh tokens. Every one takes the tenant the token names.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::db::schema::refresh_tokens;
use crate::db::{CacheWrite, Conn, DbResult, TenantId, TenantTable as _, now};
use crate::with_conn;

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = refresh_tokens)]
pub struct RefreshTokenRow {
    pub id: i64,
    pub vendor_id: i64,
    pub user_id: i64,
    pub family_id: String,
    pub expires_at: NaiveDateTime,
    pub rotated_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

/// Stores a refresh token of the user (by its hash), in `family`, valid until `expires_at`.
pub async fn insert(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    user_id: i64,
    token_hash: &str,
    family: &str,
    expires_at: NaiveDateTime,
) -> DbResult<()> {
    let row = (
        refresh_tokens::table::owned_by(tenant),
        refresh_tokens::user_id.eq(user_id),
        refresh_tokens::token_hash.eq(token_hash),
        refresh_tokens::family_id.eq(family),
        refresh_tokens::expires_at.eq(expires_at),
        refresh_tokens::created_at.eq(now()),
    );
    with_conn!(conn, |c| {
        diesel::insert_into(refresh_tokens::table)
            .values(row)
            .cached()
            .execute(c)
            .await
    })?;
    Ok(())
}

pub async fn find(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    hash: &str,
) -> DbResult<Option<RefreshTokenRow>> {
    let query = refresh_tokens::table
        .of_tenant(tenant)
        .filter(refresh_tokens::token_hash.eq(hash));
    Ok(with_conn!(conn, |c| {
        query
            .select(RefreshTokenRow::as_select())
            .first(c)
            .await
            .optional()
    })?)
}

/// Marks a token used, only if it was not used or revoked before: of two racing uses, one wins.
pub async fn mark_rotated(conn: &mut Conn<'_>, tenant: TenantId, id: i64) -> DbResult<bool> {
    let target = refresh_tokens::table
        .of_tenant(tenant)
        .filter(refresh_tokens::id.eq(id))
        .filter(refresh_tokens::rotated_at.is_null())
        .filter(refresh_tokens::revoked_at.is_null());
    let at = now();
    let updated = with_conn!(conn, |c| {
        diesel::update(target)
            .set(refresh_tokens::rotated_at.eq(at))
            .cached()
            .execute(c)
            .await
    })?;
    Ok(updated == 1)
}

/// Whose live refresh tokens to revoke.
pub enum Revoked<'a> {
    /// A sign-in's (logout, a reused token).
    Family(&'a str),
    /// A user's (password changed, account deactivated).
    User(i64),
}

/// Revokes every live token of a family or of a user; returns how many.
pub async fn revoke(conn: &mut Conn<'_>, tenant: TenantId, whose: Revoked<'_>) -> DbResult<usize> {
    let live = refresh_tokens::table
        .of_tenant(tenant)
        .filter(refresh_tokens::revoked_at.is_null());
    let revoked = refresh_tokens::revoked_at.eq(now());
    Ok(with_conn!(conn, |c| match whose {
        Revoked::Family(family) => {
            let target = live.filter(refresh_tokens::family_id.eq(family));
            diesel::update(target)
                .set(revoked)
                .cached()
                .execute(c)
                .await
        }
        Revoked::User(user_id) => {
            let target = live.filter(refresh_tokens::user_id.eq(user_id));
            diesel::update(target)
                .set(revoked)
                .cached()
                .execute(c)
                .await
        }
    })?)
}
