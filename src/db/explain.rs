//! The plan PostgreSQL runs a query with, a line per row: for tests (and operators) that check a query
//! is served from an index.
//!
//! The service's sessions plan with `plan_cache_mode = force_generic_plan` (see `PLAN_CACHE_MODE`):
//! every statement runs with the plan made for its parameters unseen. A plain `EXPLAIN` with bound
//! values would show another plan, made for those values (and their statistics: a word of a search
//! guessed at 2% of the rows where the generic plan guesses 0.5%). So the query is prepared under a
//! name and its generic plan explained (`EXPLAIN EXECUTE` with every parameter NULL: the values do not
//! matter to a generic plan, and `EXPLAIN` without `ANALYZE` runs nothing).

use diesel::QueryResult;
use diesel::pg::Pg;
use diesel::query_builder::QueryFragment;
use diesel::sql_types::Text;
use diesel_async::{AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection as _};

const NAME: &str = "multistore_explained";

#[derive(diesel::QueryableByName)]
struct PlanLine {
    #[diesel(sql_type = Text, column_name = "QUERY PLAN")]
    line: String,
}

/// The generic plan of `query` on `conn` (a session of the service, with its plan cache mode).
pub async fn explain<Q: QueryFragment<Pg>>(
    conn: &mut AsyncPgConnection,
    query: &Q,
) -> QueryResult<Vec<String>> {
    let printed = diesel::debug_query::<Pg, _>(query).to_string();
    let sql = printed
        .rsplit_once(" -- binds: ")
        .map_or(printed.as_str(), |(sql, _)| sql);
    let parameters = count_parameters(sql);
    conn.batch_execute(&format!("PREPARE {NAME} AS {sql}"))
        .await?;
    let nulls = vec!["NULL"; parameters].join(", ");
    let arguments = if parameters == 0 {
        String::new()
    } else {
        format!("({nulls})")
    };
    let plan = diesel::sql_query(format!("EXPLAIN EXECUTE {NAME}{arguments}"))
        .load::<PlanLine>(conn)
        .await;
    conn.batch_execute(&format!("DEALLOCATE {NAME}")).await?;
    Ok(plan?.into_iter().map(|row| row.line).collect())
}

/// The highest `$n` in `sql` (diesel numbers its parameters from 1, in order).
fn count_parameters(sql: &str) -> usize {
    let mut highest = 0;
    let mut rest = sql;
    while let Some(at) = rest.find('$') {
        rest = &rest[at + 1..];
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        if let Ok(n) = digits.parse::<usize>() {
            highest = highest.max(n);
        }
    }
    highest
}

#[cfg(test)]
mod tests {
    #[test]
    fn parameters_are_counted_by_the_highest_number() {
        assert_eq!(super::count_parameters("SELECT 1"), 0);
        assert_eq!(
            super::count_parameters("SELECT $1 WHERE a = $12 AND b = $3"),
            12
        );
    }
}
