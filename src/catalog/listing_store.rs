//! The catalog listing's queries: a store's live products, filtered, in one of the sorts, keyset-paged
//! from a position, each sort walked down its own index (`(vendor_id, column, id)`, live rows only).
//!
//! A search cannot be served by one index in a sort's order, and which plan is right depends on how
//! many products match, which no planner can tell for a word it has not seen. So a search reads its
//! page in a few statements, each bounded whatever the store's size:
//! 1. the position `WALK_SEGMENTS[0]` products further down the sort (index only, no search);
//! 2. the matches up to there, checked row by row on the sort's index (a common word fills its page
//!    here, after reading a few products);
//! 3. if the page is not full but that segment had matches, 1 and 2 again for as many more products as
//!    those matches say the page needs, four times over (at most `WALK_SEGMENTS[1]`: a word in about
//!    one product of a few hundred);
//! 4. if the page is still not full and the store goes on: the rest from the search index, beyond the
//!    last segment (a rare word: few matches, sorted).
//!
//! A store smaller than the first segment (seen at statement 1 of a first page with nothing but a
//! search) is read from the search index at once: its matches are fewer than the walk would read.
//!
//! RELEVANCE (name matches first, then the rest, each by id) reads its two tiers as two id-ordered
//! searches.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::catalog::listing::{Position, ProductFilter, SortKey};
use crate::catalog::model::ProductRow;
use crate::catalog::search_sql::{Scope, SearchSql};
use crate::db::schema::products;
use crate::db::{Conn, DbResult, Predicate, TenantId, TenantTable as _, explain};
use crate::with_conn;

/// How far down a sort a search checks products one by one, in at most two segments, before it turns
/// to the search index: the first segment's length, and the second's at most (`next_segment`; walked
/// only if the first found some). A word in more than one product in ~500 fills its page from the
/// walk; in a store of 1,000,000 products the index then reads at most ~2,000 matches.
pub const WALK_SEGMENTS: [i64; 2] = [2_048, 8_192];

/// Which way a listing walks its sort: `descending`, starting strictly beyond `from`, at most `limit`.
pub struct Walk<'a> {
    pub key: SortKey,
    pub descending: bool,
    pub from: Option<&'a Position>,
    pub limit: i64,
}

/// One statement of a listing: the live products `filter` keeps (and `condition`, a search's form),
/// strictly beyond `from` and up to `to` (included) in the order of `key` (for RELEVANCE's tiers: by id).
#[derive(Clone)]
struct Step<'a> {
    filter: &'a ProductFilter,
    condition: Option<Predicate>,
    /// Ordered by an expression of the sort's column instead of the column, so that no planner walks
    /// the sort's index to find the few matches the condition reads from the search index.
    fenced: bool,
    key: SortKey,
    descending: bool,
    from: Option<Position>,
    to: Option<Position>,
    limit: i64,
    offset: i64,
}

impl<'a> Step<'a> {
    fn new(
        filter: &'a ProductFilter,
        key: SortKey,
        walk: &Walk<'_>,
        from: Option<Position>,
    ) -> Self {
        Self {
            filter,
            condition: None,
            fenced: false,
            key,
            descending: walk.descending,
            from,
            to: None,
            limit: walk.limit,
            offset: 0,
        }
    }
}

/// The tenant's live products that `$filter` keeps, and `$condition`, as a boxed query.
macro_rules! kept {
    ($tenant:expr, $filter:expr, $condition:expr) => {{
        let filter = $filter;
        let mut query = products::table
            .of_tenant($tenant)
            .filter(products::deleted_at.is_null())
            .into_boxed();
        if let Some(condition) = $condition {
            query = query.filter(condition);
        }
        if let Some(min) = filter.min_price {
            query = query.filter(products::price_cents.ge(min.cents()));
        }
        if let Some(max) = filter.max_price {
            query = query.filter(products::price_cents.le(max.cents()));
        }
        match filter.in_stock {
            Some(true) => query = query.filter(products::stock.gt(0)),
            Some(false) => query = query.filter(products::stock.eq(0)),
            None => {}
        }
        query
    }};
}

/// `$query` between `$step`'s positions on `$col` (its positions `$variant(value, id)`), ordered by it
/// then id. Fenced (`$name`: the column's SQL), both the order and the positions are on
/// `COALESCE(col, col)`, which no index serves: SQLite (3.50) otherwise walks the sort's index from the
/// position and looks each row up in the search's matches, whatever their number.
macro_rules! by_column {
    ($query:expr, $step:expr, $variant:path, $col:path, $name:literal) => {{
        let (query, step) = ($query, $step);
        if step.fenced {
            let fenced = diesel::dsl::sql::<diesel::dsl::SqlTypeOf<$col>>(concat!(
                "COALESCE(",
                $name,
                ", ",
                $name,
                ")"
            ));
            ordered_on!(query, step, $variant, fenced.clone())
        } else {
            ordered_on!(query, step, $variant, $col)
        }
    }};
}

/// `$query` between `$step`'s positions on `$on`, ordered by it then id. Ascending, from `(v, i)`:
/// `on >= v AND (on > v OR id > i)`, so an index range on `on` starts at the position (mirrored
/// descending, and for the end).
macro_rules! ordered_on {
    ($query:expr, $step:expr, $variant:path, $on:expr) => {{
        let (mut query, step) = ($query, $step);
        if let Some($variant(value, id)) = step.from.clone() {
            query = if step.descending {
                query.filter(
                    $on.le(value.clone())
                        .and($on.lt(value).or(products::id.lt(id))),
                )
            } else {
                query.filter(
                    $on.ge(value.clone())
                        .and($on.gt(value).or(products::id.gt(id))),
                )
            };
        }
        if let Some($variant(value, id)) = step.to.clone() {
            query = if step.descending {
                query.filter(
                    $on.ge(value.clone())
                        .and($on.gt(value).or(products::id.ge(id))),
                )
            } else {
                query.filter(
                    $on.le(value.clone())
                        .and($on.lt(value).or(products::id.le(id))),
                )
            };
        }
        if step.descending {
            query.order(($on.desc(), products::id.desc()))
        } else {
            query.order(($on.asc(), products::id.asc()))
        }
    }};
}

/// `$query` between `$step`'s positions by id (on `$on`: the id, or fenced, an expression of it).
macro_rules! by_id {
    ($query:expr, $step:expr, $on:expr) => {{
        let (mut query, step) = ($query, $step);
        if let Some(id) = step.from.as_ref().map(Position::id) {
            query = if step.descending {
                query.filter($on.lt(id))
            } else {
                query.filter($on.gt(id))
            };
        }
        if let Some(id) = step.to.as_ref().map(Position::id) {
            query = if step.descending {
                query.filter($on.ge(id))
            } else {
                query.filter($on.le(id))
            };
        }
        if step.descending {
            query.order($on.desc())
        } else {
            query.order($on.asc())
        }
    }};
}

/// `$step` as a boxed query of the backend at hand (rows not yet selected).
macro_rules! step_query {
    ($tenant:expr, $step:expr) => {{
        let step: &Step<'_> = $step;
        let query = kept!($tenant, step.filter, step.condition.clone());
        let query = match step.key {
            SortKey::Id | SortKey::Relevance => {
                if step.fenced {
                    let fenced = diesel::dsl::sql::<diesel::sql_types::BigInt>(
                        "COALESCE(products.id, products.id)",
                    );
                    by_id!(query, step, fenced.clone())
                } else {
                    by_id!(query, step, products::id)
                }
            }
            SortKey::Name => by_column!(
                query,
                step,
                Position::Name,
                products::name_key,
                "products.name_key"
            ),
            SortKey::Price => by_column!(
                query,
                step,
                Position::Price,
                products::price_cents,
                "products.price_cents"
            ),
            SortKey::CreatedAt => by_column!(
                query,
                step,
                Position::CreatedAt,
                products::created_at,
                "products.created_at"
            ),
            SortKey::UpdatedAt => by_column!(
                query,
                step,
                Position::UpdatedAt,
                products::updated_at,
                "products.updated_at"
            ),
        };
        let query = query.limit(step.limit);
        if step.offset > 0 {
            query.offset(step.offset)
        } else {
            query
        }
    }};
}

/// `$step` selecting only its sort's columns (index-only), bound to `$query`, with `$make` turning a
/// row into its `Position`, for `$body`.
macro_rules! position_query {
    ($tenant:expr, $step:expr, |$query:ident, $make:ident| $body:expr) => {{
        let (tenant, step) = ($tenant, $step);
        match step.key {
            SortKey::Id | SortKey::Relevance => {
                let $query = step_query!(tenant, step).select(products::id);
                let $make = Position::Id;
                $body
            }
            SortKey::Name => {
                let $query = step_query!(tenant, step).select((products::name_key, products::id));
                let $make = |(v, id): (String, i64)| Position::Name(v, id);
                $body
            }
            SortKey::Price => {
                let $query =
                    step_query!(tenant, step).select((products::price_cents, products::id));
                let $make = |(v, id): (i64, i64)| Position::Price(v, id);
                $body
            }
            SortKey::CreatedAt => {
                let $query = step_query!(tenant, step).select((products::created_at, products::id));
                let $make = |(v, id): (chrono::NaiveDateTime, i64)| Position::CreatedAt(v, id);
                $body
            }
            SortKey::UpdatedAt => {
                let $query = step_query!(tenant, step).select((products::updated_at, products::id));
                let $make = |(v, id): (chrono::NaiveDateTime, i64)| Position::UpdatedAt(v, id);
                $body
            }
        }
    }};
}

/// Live products of the tenant that `filter` keeps, in the order of `walk`, at most `walk.limit`.
pub async fn list(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    filter: &ProductFilter,
    walk: &Walk<'_>,
) -> DbResult<Vec<ProductRow>> {
    if filter.is_everything() && !walk.descending && walk.key == SortKey::Id {
        // The hot path (a plain page) is a static query, so the driver keeps it prepared.
        let after = walk.from.map_or(0, Position::id);
        let query = products::table
            .of_tenant(tenant)
            .filter(products::deleted_at.is_null())
            .filter(products::id.gt(after))
            .order(products::id.asc())
            .limit(walk.limit);
        return Ok(with_conn!(conn, |c| {
            query.select(ProductRow::as_select()).load(c).await
        })?);
    }
    let Some(search) = search_sql(conn, tenant, filter) else {
        let step = Step::new(filter, walk.key, walk, walk.from.cloned());
        return load(conn, tenant, &step).await;
    };
    let mut bounds = Bounds::default();
    if walk.key != SortKey::Relevance {
        let step = Step::new(filter, walk.key, walk, walk.from.cloned());
        return searched(conn, tenant, &search, Scope::Anywhere, step, &mut bounds).await;
    }
    let mut rows = Vec::new();
    for (scope, from) in tiers(walk) {
        let wanted = walk.limit - rows.len() as i64;
        if wanted == 0 {
            break;
        }
        let step = Step {
            limit: wanted,
            ..Step::new(filter, SortKey::Id, walk, from)
        };
        rows.extend(searched(conn, tenant, &search, scope, step, &mut bounds).await?);
    }
    Ok(rows)
}

/// RELEVANCE's tiers in `walk`'s order, from its position on, each with where to start in it (by id).
fn tiers(walk: &Walk<'_>) -> Vec<(Scope, Option<Position>)> {
    let order = if walk.descending {
        [Scope::NotInName, Scope::InName]
    } else {
        [Scope::InName, Scope::NotInName]
    };
    let (start, after) = match walk.from {
        Some(Position::Relevance(tier, id)) => (*tier, Some(Position::Id(*id))),
        _ => (order[0].tier(), None),
    };
    order
        .into_iter()
        .filter(|scope| {
            if walk.descending {
                scope.tier() <= start
            } else {
                scope.tier() >= start
            }
        })
        .map(|scope| {
            let from = if scope.tier() == start {
                after.clone()
            } else {
                None
            };
            (scope, from)
        })
        .collect()
}

/// Statement 1's last answer, with the start it was for: RELEVANCE's tiers often start alike (both
/// from the start of the store, in the same order), and need it once.
#[derive(Default)]
struct Bounds {
    last: Option<(Option<Position>, Option<Position>)>,
}

/// A search's page in `scope`, in `step`'s sort (see the module's comment).
async fn searched(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    search: &SearchSql,
    scope: Scope,
    step: Step<'_>,
    bounds: &mut Bounds,
) -> DbResult<Vec<ProductRow>> {
    let mut rows = Vec::new();
    let mut start = step.from.clone();
    let mut length = WALK_SEGMENTS[0];
    for segment in 0..WALK_SEGMENTS.len() {
        let from_here = Step {
            from: start.clone(),
            ..step.clone()
        };
        let bound = match &bounds.last {
            Some((from, bound)) if segment == 0 && *from == start => bound.clone(),
            _ => {
                let bound = walk_bound(conn, tenant, &from_here, length).await?;
                if segment == 0 {
                    bounds.last = Some((start.clone(), bound.clone()));
                }
                bound
            }
        };
        if segment == 0 && bound.is_none() && start.is_none() && step.filter.searches_only() {
            // A store of fewer products than the first segment: its matches are fewer still, so
            // the index reads them for no more than the walk would cost, and a rare word's for less.
            return load(conn, tenant, &indexed(search, scope, from_here)).await;
        }
        let walked = Step {
            condition: Some(search.row_by_row(scope)),
            to: bound.clone(),
            limit: step.limit - rows.len() as i64,
            ..from_here
        };
        rows.extend(load(conn, tenant, &walked).await?);
        let Some(bound) = bound else {
            return Ok(rows); // the store ended within the segment: everything was walked
        };
        if rows.len() as i64 == step.limit {
            return Ok(rows);
        }
        start = Some(bound);
        if rows.is_empty() {
            break; // a rare word: the index has its few matches
        }
        length = next_segment(rows.len() as i64, step.limit, length);
    }
    let rest = Step {
        from: start,
        limit: step.limit - rows.len() as i64,
        ..step
    };
    rows.extend(load(conn, tenant, &indexed(search, scope, rest)).await?);
    Ok(rows)
}

/// The second segment's length: four times what the first's matches say the page still needs (so a
/// page rarely falls short by chance), between 512 and `WALK_SEGMENTS[1]`.
fn next_segment(found: i64, wanted: i64, walked: i64) -> i64 {
    let needed = (wanted - found) * walked / found.max(1);
    (4 * needed).clamp(512, WALK_SEGMENTS[1])
}

/// `step` with `scope`'s matches read from the search index first.
fn indexed<'a>(search: &SearchSql, scope: Scope, step: Step<'a>) -> Step<'a> {
    Step {
        condition: Some(search.indexed(scope)),
        fenced: true,
        ..step
    }
}

/// The position `length` products beyond `step`'s start; `None` when the store ends before.
async fn walk_bound(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    step: &Step<'_>,
    length: i64,
) -> DbResult<Option<Position>> {
    let bounding = bounding(step, length);
    Ok(with_conn!(conn, |c| {
        position_query!(tenant, &bounding, |query, make| query
            .first(c)
            .await
            .optional()
            .map(|found| found.map(make)))
    })?)
}

/// The statement of `walk_bound`.
fn bounding<'a>(step: &Step<'a>, length: i64) -> Step<'a> {
    Step {
        condition: None,
        to: None,
        limit: 1,
        offset: length - 1,
        ..step.clone()
    }
}

async fn load(conn: &mut Conn<'_>, tenant: TenantId, step: &Step<'_>) -> DbResult<Vec<ProductRow>> {
    Ok(with_conn!(conn, |c| {
        step_query!(tenant, step)
            .select(ProductRow::as_select())
            .load(c)
            .await
    })?)
}

/// Which of a listing's statements a plan is of (see the module's comment).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Statement {
    /// A listing without a search: one statement.
    Listing,
    /// A search's statements 1 and 3: the position a segment's length down the sort.
    Bound,
    /// A search's statements 2 and 3: down the sort to the end of a segment, row by row.
    Walk,
    /// A search's statement 4: the rest, from the search index.
    Indexed,
}

/// PostgreSQL's plans (the generic plans the service runs: `db::explain`) of every statement `list`
/// may run for `walk`, a search's all included whether or not they would be needed; `None` on
/// SQLite. For checking that every sort and search is served from an index.
pub async fn explain_list(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    filter: &ProductFilter,
    walk: &Walk<'_>,
) -> DbResult<Option<Vec<(Statement, Vec<String>)>>> {
    if !matches!(conn, Conn::Pg(..)) {
        return Ok(None);
    }
    let search = search_sql(conn, tenant, filter);
    let mut steps = Vec::new();
    match &search {
        None => steps.push((
            Statement::Listing,
            Step::new(filter, walk.key, walk, walk.from.cloned()),
        )),
        Some(search) => {
            let scoped = if walk.key == SortKey::Relevance {
                tiers(walk)
                    .into_iter()
                    .map(|(scope, from)| (scope, Step::new(filter, SortKey::Id, walk, from)))
                    .collect()
            } else {
                let step = Step::new(filter, walk.key, walk, walk.from.cloned());
                vec![(Scope::Anywhere, step)]
            };
            for (scope, step) in scoped {
                let mut start = step.from.clone();
                for length in WALK_SEGMENTS {
                    let from_here = Step {
                        from: start.clone(),
                        ..step.clone()
                    };
                    let bound = walk_bound(conn, tenant, &from_here, length).await?;
                    steps.push((Statement::Bound, bounding(&from_here, length)));
                    let walked = Step {
                        condition: Some(search.row_by_row(scope)),
                        to: bound.clone(),
                        ..from_here
                    };
                    steps.push((Statement::Walk, walked));
                    start = bound.or(start);
                }
                let rest = Step {
                    from: start,
                    ..step
                };
                steps.push((Statement::Indexed, indexed(search, scope, rest)));
            }
        }
    }
    let Conn::Pg(pg, _) = conn else {
        return Ok(None);
    };
    let mut plans = Vec::new();
    for (statement, step) in &steps {
        let plan = if *statement == Statement::Bound {
            position_query!(tenant, step, |query, _make| explain(pg, &query).await)?
        } else {
            let query = step_query!(tenant, step).select(ProductRow::as_select());
            explain(pg, &query).await?
        };
        plans.push((*statement, plan));
    }
    Ok(Some(plans))
}

/// The filter's search for the backend at hand.
fn search_sql(conn: &Conn<'_>, tenant: TenantId, filter: &ProductFilter) -> Option<SearchSql> {
    filter
        .search
        .as_ref()
        .and_then(|search| SearchSql::new(conn, tenant, &search.words()))
}

/// How many live products of the tenant `filter` keeps (a search's from its index).
pub async fn count(conn: &mut Conn<'_>, tenant: TenantId, filter: &ProductFilter) -> DbResult<i64> {
    let matched = search_sql(conn, tenant, filter).map(|search| search.indexed(Scope::Anywhere));
    Ok(with_conn!(conn, |c| {
        kept!(tenant, filter, matched.clone())
            .count()
            .get_result(c)
            .await
    })?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_second_segment_follows_the_first_ones_matches() {
        // 20 of 21 in 2,048 products: one more needs ~102; four times over, at least 512.
        assert_eq!(next_segment(20, 21, 2_048), 512);
        // 5 of 21: ~6,554 more, four times over, at most 8,192.
        assert_eq!(next_segment(5, 21, 2_048), 8_192);
        assert_eq!(next_segment(14, 21, 2_048), 4 * 7 * 2_048 / 14);
    }
}
