//! Refresh tokens: opaque random strings, stored only as their SHA-256, each in a family that starts at a
//! sign-in.

use std::time::Duration;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::auth::{random_token, sha256_hex};
use crate::db::schema::refresh_tokens;
use crate::db::{Conn, TenantId, now};
use crate::error::AppResult;
use crate::with_conn;

/// Makes a refresh token for the user, in `family` or in a new family, and returns it in clear (the only
/// time it exists in clear).
pub async fn issue(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    user_id: i64,
    family: Option<&str>,
    ttl: Duration,
) -> AppResult<String> {
    let token = random_token(32);
    let new_family;
    let family = match family {
        Some(family) => family,
        None => {
            new_family = uuid::Uuid::new_v4().to_string();
            &new_family
        }
    };
    let created_at = now();
    let expires_at = chrono::TimeDelta::from_std(ttl)
        .ok()
        .and_then(|ttl| created_at.checked_add_signed(ttl))
        .unwrap_or(chrono::NaiveDateTime::MAX);
    let query = diesel::insert_into(refresh_tokens::table).values((
        refresh_tokens::vendor_id.eq(tenant.0),
        refresh_tokens::user_id.eq(user_id),
        refresh_tokens::token_hash.eq(sha256_hex(&token)),
        refresh_tokens::family_id.eq(family),
        refresh_tokens::expires_at.eq(expires_at),
        refresh_tokens::created_at.eq(created_at),
    ));
    with_conn!(conn, |c| query.execute(c).await)?;
    Ok(token)
}
