//! Writes prepared once per connection, like reads.
//!
//! Diesel keeps a prepared statement per connection for a read, but never for an `UPDATE` or for an
//! `INSERT` of an `Insertable` value: their SQL can change with the values (a changeset's `None`
//! fields are left out, a missing column becomes `DEFAULT`), and a statement of unbounded shapes
//! would fill the cache. So each such write was prepared anew on every run: on PostgreSQL an extra
//! round trip (parse and describe, then bind and execute) and a fresh plan each time, five times per
//! order. Our writes come in a handful of shapes each, so `.cached()` lets the connection keep them,
//! keyed by their SQL text and bind types (never by their Rust type, which can stand for several
//! texts): a write of another shape is another entry, never a wrong statement. Not for a statement
//! of unbounded shapes (an `eq_any` list on SQLite is `IN (?, ?, ...)`, one text per length): each
//! shape would stay prepared on every connection.

use diesel::QueryResult;
use diesel::backend::Backend;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};

/// A statement the connection prepares once and keeps (see the module's documentation).
#[derive(Debug, Clone, Copy)]
pub struct Cached<Q>(Q);

/// `.cached()` on a write whose SQL takes few shapes.
pub trait CacheWrite: Sized {
    fn cached(self) -> Cached<Self> {
        Cached(self)
    }
}

impl<Q> CacheWrite for Q {}

/// No static id: the cache keys the statement by its SQL text and bind types.
impl<Q> QueryId for Cached<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: Query> Query for Cached<Q> {
    type SqlType = Q::SqlType;
}

impl<Q: QueryFragment<DB>, DB: Backend> QueryFragment<DB> for Cached<Q> {
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.0.walk_ast(pass)
    }

    fn is_safe_to_cache_prepared(&self, _backend: &DB) -> QueryResult<bool> {
        Ok(true)
    }
}
