//! The lookups of the gate: narrow reads of the `store_domains`, `vendors`, `users` and
//! `platform_admins` tables, of only what identity needs (the domains that own them read the full rows).

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::db::schema::{platform_admins, store_domains, users, vendors};
use crate::db::{Conn, DbResult, TenantId, TenantTable as _};
use crate::with_conn;

use super::directory::AccountStatus;
use super::{KnownStore, Role};

/// The channel on which a store's changes are announced to every instance (PostgreSQL).
pub const CHANNEL: &str = "multistore_stores";

/// The store a domain names (given already normalized: lower case, no port).
pub async fn store_by_domain(conn: &mut Conn<'_>, domain: &str) -> DbResult<Option<KnownStore>> {
    let query = store_domains::table
        .inner_join(vendors::table)
        .filter(store_domains::domain.eq(domain))
        .select((
            store_domains::vendor_id,
            vendors::suspended_at.is_not_null(),
        ));
    let found: Option<(i64, bool)> = with_conn!(conn, |c| query.first(c).await.optional())?;
    Ok(found.map(|(id, suspended)| KnownStore {
        id: TenantId(id),
        suspended,
    }))
}

/// Whether the store is suspended (`false` for no such store).
pub async fn is_suspended(conn: &mut Conn<'_>, tenant: TenantId) -> DbResult<bool> {
    let query = vendors::table
        .find(tenant.0)
        .select(vendors::suspended_at.is_not_null());
    let suspended: Option<bool> = with_conn!(conn, |c| query.first(c).await.optional())?;
    Ok(suspended.unwrap_or(false))
}

/// Tells every instance, when the current transaction commits, of a change (`payload` names it:
/// PostgreSQL's `pg_notify`; a no-op on SQLite, where only this process writes).
pub async fn announce_change(conn: &mut Conn<'_>, payload: &str) -> DbResult<()> {
    if let Conn::Pg(..) = conn {
        let query = diesel::sql_query("SELECT pg_notify($1, $2)")
            .bind::<diesel::sql_types::Text, _>(CHANNEL)
            .bind::<diesel::sql_types::Text, _>(payload);
        with_conn!(conn, |c| query.execute(c).await)?;
    }
    Ok(())
}

/// What the per-request check learns of a user: their role now and whether their store is suspended;
/// `None` when the account is deactivated or gone.
pub async fn active_role(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    user_id: i64,
) -> DbResult<AccountStatus> {
    let query = users::table
        .of_tenant(tenant)
        .inner_join(vendors::table)
        .filter(users::id.eq(user_id))
        .filter(users::is_active.eq(true))
        .select((users::role, vendors::suspended_at.is_not_null()));
    let found: Option<(String, bool)> = with_conn!(conn, |c| query.first(c).await.optional())?;
    Ok(found.map(|(role, suspended)| (Role::from_db(&role), suspended)))
}

/// Whether a platform admin's account works.
pub async fn active_admin(conn: &mut Conn<'_>, admin_id: i64) -> DbResult<bool> {
    let query = platform_admins::table
        .find(admin_id)
        .filter(platform_admins::is_active.eq(true))
        .select(platform_admins::id);
    let found: Option<i64> = with_conn!(conn, |c| query.first(c).await.optional())?;
    Ok(found.is_some())
}
