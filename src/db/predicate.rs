//! A boolean SQL expression put together at run time (its text and its bound values), for the few
//! conditions whose shape depends on the input, such as one `LIKE` per word of a search. Diesel's
//! `sql()` literal binds a fixed number of values known to the type; this one binds any number.
//! Values are always bound, never written into the text.

use diesel::backend::Backend;
use diesel::expression::{AppearsOnTable, Expression, SelectableExpression, ValidGrouping};
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{BigInt, Bool, HasSqlType, Text};
use diesel::{QueryResult, expression::is_aggregate};

#[derive(Clone, Debug)]
enum Part {
    Sql(String),
    Text(String),
    BigInt(i64),
}

/// SQL text with bound values between its pieces, typed as a boolean.
#[derive(Clone, Debug, Default)]
pub struct Predicate {
    parts: Vec<Part>,
}

impl Predicate {
    pub fn sql(mut self, text: impl Into<String>) -> Self {
        self.parts.push(Part::Sql(text.into()));
        self
    }

    pub fn text(mut self, value: impl Into<String>) -> Self {
        self.parts.push(Part::Text(value.into()));
        self
    }

    pub fn big_int(mut self, value: i64) -> Self {
        self.parts.push(Part::BigInt(value));
        self
    }

    /// This predicate, then `other`'s pieces (the caller writes what joins them).
    pub fn then(mut self, other: &Predicate) -> Self {
        self.parts.extend(other.parts.iter().cloned());
        self
    }
}

impl Expression for Predicate {
    type SqlType = Bool;
}

impl<QS> AppearsOnTable<QS> for Predicate {}

impl<QS> SelectableExpression<QS> for Predicate {}

impl<GB> ValidGrouping<GB> for Predicate {
    type IsAggregate = is_aggregate::Never;
}

impl QueryId for Predicate {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<DB> QueryFragment<DB> for Predicate
where
    DB: Backend + HasSqlType<Text> + HasSqlType<BigInt>,
    String: ToSql<Text, DB>,
    i64: ToSql<BigInt, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("(");
        for part in &self.parts {
            match part {
                Part::Sql(text) => out.push_sql(text),
                Part::Text(value) => out.push_bind_param::<Text, String>(value)?,
                Part::BigInt(value) => out.push_bind_param::<BigInt, i64>(value)?,
            }
        }
        out.push_sql(")");
        Ok(())
    }
}
