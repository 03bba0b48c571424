//! Refresh tokens: opaque strings, stored only as their SHA-256, each in a family that starts at a
//! sign-in. A token is `<vendor id>.<random>`: the store it belongs to is readable without a lookup, so
//! every query about it stays scoped to one tenant like every other query.

use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::crypto::{random_token, sha256_hex};
use crate::db::schema::refresh_tokens;
use crate::db::{CacheWrite, Conn, TenantId, now};
use crate::error::AppResult;
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

/// The store a presented token names, and its hash; `None` when it is not of our form.
pub fn parse(token: &str) -> Option<(TenantId, String)> {
    let (vendor, secret) = token.split_once('.')?;
    let vendor: i64 = vendor.parse().ok().filter(|v| *v > 0)?;
    (secret.len() >= 32).then(|| (TenantId(vendor), sha256_hex(token)))
}

/// Makes a refresh token for the user, in `family` or in a new family, and returns it in clear (the only
/// time it exists in clear).
pub async fn issue(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    user_id: i64,
    family: Option<&str>,
    ttl: Duration,
) -> AppResult<String> {
    let token = format!("{}.{}", tenant.0, random_token(32));
    let family = family.map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned);
    let created_at = now();
    let expires_at = chrono::TimeDelta::from_std(ttl)
        .ok()
        .and_then(|ttl| created_at.checked_add_signed(ttl))
        .unwrap_or(NaiveDateTime::MAX);
    let row = (
        refresh_tokens::vendor_id.eq(tenant.0),
        refresh_tokens::user_id.eq(user_id),
        refresh_tokens::token_hash.eq(sha256_hex(&token)),
        refresh_tokens::family_id.eq(family),
        refresh_tokens::expires_at.eq(expires_at),
        refresh_tokens::created_at.eq(created_at),
    );
    with_conn!(conn, |c| {
        diesel::insert_into(refresh_tokens::table)
            .values(row)
            .cached()
            .execute(c)
            .await
    })?;
    Ok(token)
}

pub async fn find(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    hash: &str,
) -> AppResult<Option<RefreshTokenRow>> {
    let query = refresh_tokens::table
        .filter(refresh_tokens::vendor_id.eq(tenant.0))
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
pub async fn mark_rotated(conn: &mut Conn<'_>, tenant: TenantId, id: i64) -> AppResult<bool> {
    let target = refresh_tokens::table
        .filter(refresh_tokens::vendor_id.eq(tenant.0))
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

/// Revokes every live token of a family; returns how many.
pub async fn revoke_family(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    family: &str,
) -> AppResult<usize> {
    let target = refresh_tokens::table
        .filter(refresh_tokens::vendor_id.eq(tenant.0))
        .filter(refresh_tokens::family_id.eq(family))
        .filter(refresh_tokens::revoked_at.is_null());
    let at = now();
    Ok(with_conn!(conn, |c| {
        diesel::update(target)
            .set(refresh_tokens::revoked_at.eq(at))
            .cached()
            .execute(c)
            .await
    })?)
}

/// Revokes every live token of a user (password changed, account deactivated).
pub async fn revoke_user(conn: &mut Conn<'_>, tenant: TenantId, user_id: i64) -> AppResult<usize> {
    let target = refresh_tokens::table
        .filter(refresh_tokens::vendor_id.eq(tenant.0))
        .filter(refresh_tokens::user_id.eq(user_id))
        .filter(refresh_tokens::revoked_at.is_null());
    let at = now();
    Ok(with_conn!(conn, |c| {
        diesel::update(target)
            .set(refresh_tokens::revoked_at.eq(at))
            .cached()
            .execute(c)
            .await
    })?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_name_their_store() {
        let token = format!("42.{}", random_token(32));
        let (tenant, hash) = parse(&token).unwrap();
        assert_eq!(tenant, TenantId(42));
        assert_eq!(hash, sha256_hex(&token));
        for bad in [
            "",
            "42",
            "x.abc",
            "0.abcdefabcdefabcdefabcdefabcdefabcdef",
            "42.short",
            "-1.abcdefabcdefabcdefabcdefabcdefabcdef",
        ] {
            assert!(parse(bad).is_none(), "{bad}");
        }
    }
}
