//! Queries of the platform: its admins, the stores as the platform sees them (never a store's own
//! data), and the suspension log. They run on the platform's pool.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::db::schema::{platform_admins, store_domains, store_suspensions, vendors};
use crate::db::{CacheWrite, Conn, DbResult, TenantId, lower, now};
use crate::platform::model::{AdminRow, NewAdmin, NewSuspension};
use crate::vendors::VendorRow;
use crate::with_conn;

/// Writes an admin; a username taken is a unique violation.
pub async fn insert_admin(conn: &mut Conn<'_>, new: &NewAdmin<'_>) -> DbResult<i64> {
    Ok(with_conn!(conn, |c| {
        diesel::insert_into(platform_admins::table)
            .values(new)
            .returning(platform_admins::id)
            .get_result(c)
            .await
    })?)
}

pub async fn find_admin(conn: &mut Conn<'_>, username: &str) -> DbResult<Option<AdminRow>> {
    let query = platform_admins::table.filter(platform_admins::username.eq(username));
    Ok(with_conn!(conn, |c| {
        query
            .select(AdminRow::as_select())
            .first(c)
            .await
            .optional()
    })?)
}

/// A `LIKE` pattern that finds `text` anywhere, its own `%`, `_` and `\` taken literally.
fn containing(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// Keeps, of a boxed query of stores, those whose name or one of whose domains matches `$pattern`
/// (a `LIKE` pattern of lower case, `\` its escape).
macro_rules! matching {
    ($query:expr, $pattern:expr) => {{
        let pattern: &str = $pattern;
        let by_domain = store_domains::table
            .filter(store_domains::domain.like(pattern.to_owned()).escape('\\'))
            .select(store_domains::vendor_id);
        $query.filter(
            lower(vendors::store_name)
                .like(pattern.to_owned())
                .escape('\\')
                .or(vendors::id.eq_any(by_domain)),
        )
    }};
}

/// The stores after `after` by id, at most `limit`; with `search`, those whose name or one of whose
/// domains contains it (case-insensitive).
pub async fn list_stores(
    conn: &mut Conn<'_>,
    search: Option<&str>,
    after: Option<i64>,
    limit: i64,
) -> DbResult<Vec<VendorRow>> {
    let pattern = search.map(containing);
    Ok(with_conn!(conn, |c| {
        let mut query = vendors::table
            .filter(vendors::id.gt(after.unwrap_or(0)))
            .order(vendors::id.asc())
            .limit(limit)
            .select(VendorRow::as_select())
            .into_boxed();
        if let Some(pattern) = &pattern {
            query = matching!(query, pattern);
        }
        query.load(c).await
    })?)
}

/// How many stores `list_stores` finds across all its pages.
pub async fn count_stores(conn: &mut Conn<'_>, search: Option<&str>) -> DbResult<i64> {
    let pattern = search.map(containing);
    Ok(with_conn!(conn, |c| {
        let mut query = vendors::table.count().into_boxed();
        if let Some(pattern) = &pattern {
            query = matching!(query, pattern);
        }
        query.get_result(c).await
    })?)
}

/// Sets or clears a store's suspension; `None` when there is no such store.
pub async fn set_suspended(
    conn: &mut Conn<'_>,
    id: TenantId,
    suspended_at: Option<NaiveDateTime>,
) -> DbResult<Option<VendorRow>> {
    let target = vendors::table.find(id.0);
    let changes = (
        vendors::suspended_at.eq(suspended_at),
        vendors::updated_at.eq(now()),
    );
    Ok(with_conn!(conn, |c| {
        diesel::update(target)
            .set(changes)
            .returning(VendorRow::as_returning())
            .cached()
            .get_result(c)
            .await
            .optional()
    })?)
}

pub async fn log_suspension(conn: &mut Conn<'_>, line: &NewSuspension<'_>) -> DbResult<()> {
    with_conn!(conn, |c| {
        diesel::insert_into(store_suspensions::table)
            .values(line)
            .cached()
            .execute(c)
            .await
    })?;
    Ok(())
}
