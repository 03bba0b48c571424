//! The lookups of the gate: narrow reads of the `vendors` and `users` tables, of only what identity
//! needs (the people domain owns the full rows).

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::db::schema::{users, vendors};
use crate::db::{Conn, DbResult, TenantId, TenantTable as _};
use crate::with_conn;

use super::Role;

/// The store a domain names (given already normalized: lower case, no port).
pub async fn tenant_by_domain(conn: &mut Conn<'_>, domain: &str) -> DbResult<Option<TenantId>> {
    let query = vendors::table
        .filter(vendors::domain.eq(domain))
        .select(vendors::id);
    let id: Option<i64> = with_conn!(conn, |c| query.first(c).await.optional())?;
    Ok(id.map(TenantId))
}

/// A user of the tenant whose account works, with their role now; `None` when deactivated or gone.
pub async fn active_role(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    user_id: i64,
) -> DbResult<Option<Role>> {
    let query = users::table
        .of_tenant(tenant)
        .filter(users::id.eq(user_id))
        .filter(users::is_active.eq(true))
        .select(users::role);
    let role: Option<String> = with_conn!(conn, |c| query.first(c).await.optional())?;
    Ok(role.as_deref().map(Role::from_db))
}
