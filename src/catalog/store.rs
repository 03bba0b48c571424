//! Queries on products. Every one is scoped to a tenant and, but for the order lines' history, to live
//! (not deleted) products; listings walk the `(vendor_id, id)` index of live products.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::catalog::listing::{Position, ProductFilter, SortKey};
use crate::catalog::model::{NewProduct, ProductChanges, ProductRow};
use crate::db::schema::products;
use crate::db::{CacheWrite, Conn, DbResult, Explain, TenantId, TenantTable as _, now};
use crate::{each_pipelined, with_conn};

/// A search as each backend's index reads it. Its words are letters and digits only (`search_words`),
/// so they cannot break out of the quotes they are put in.
#[derive(Clone)]
struct SearchSql {
    /// Every word in the name or the description, the last as a prefix.
    anywhere: (&'static str, String, &'static str),
    /// The same in the name alone (RELEVANCE's first tier).
    in_name: (&'static str, String, &'static str),
}

impl SearchSql {
    fn new(conn: &Conn<'_>, words: &[String]) -> Option<Self> {
        let (last, rest) = words.split_last()?;
        Some(match conn {
            Conn::Pg(..) => {
                // A tsquery of lexemes taken as written: 'one' & 'two':*
                let mut terms: Vec<String> = rest.iter().map(|w| format!("'{w}'")).collect();
                terms.push(format!("'{last}':*"));
                let query = terms.join(" & ");
                Self {
                    anywhere: (
                        "products.search_vector @@ CAST(",
                        query.clone(),
                        " AS tsquery)",
                    ),
                    in_name: (
                        "array_to_tsvector(array_remove(string_to_array(products.search_name, ' '), '')) \
                         @@ CAST(",
                        query,
                        " AS tsquery)",
                    ),
                }
            }
            Conn::Sqlite(_) => {
                // FTS5: "one" "two"* (every phrase must match); with a column filter for the name.
                let phrase =
                    |w: &String, prefix: bool| format!("\"{w}\"{}", if prefix { "*" } else { "" });
                let mut anywhere: Vec<String> = rest.iter().map(|w| phrase(w, false)).collect();
                anywhere.push(phrase(last, true));
                let in_name: Vec<String> = anywhere
                    .iter()
                    .map(|p| format!("search_name : {p}"))
                    .collect();
                let fts =
                    "products.id IN (SELECT rowid FROM products_fts WHERE products_fts MATCH ";
                Self {
                    anywhere: (fts, anywhere.join(" "), ")"),
                    in_name: (fts, in_name.join(" AND "), ")"),
                }
            }
        })
    }
}

/// `$sql`, a `(before, bound text, after)` triple, as a boolean SQL expression.
macro_rules! bound_sql {
    ($sql:expr) => {{
        let (before, text, after) = $sql;
        diesel::dsl::sql::<diesel::sql_types::Bool>(before)
            .bind::<diesel::sql_types::Text, _>(text)
            .sql(after)
    }};
}

/// RELEVANCE's tier of a product: 0 when the search matches in its name, else 1.
macro_rules! tier {
    ($search:expr) => {{
        let (before, text, after) = $search.in_name.clone();
        diesel::dsl::sql::<diesel::sql_types::BigInt>("(CASE WHEN ")
            .sql(before)
            .bind::<diesel::sql_types::Text, _>(text)
            .sql(after)
            .sql(" THEN 0 ELSE 1 END)")
    }};
}

/// The tenant's live products that `filter` keeps, as a boxed query of the backend at hand.
macro_rules! live_matching {
    ($tenant:expr, $filter:expr, $search:expr) => {{
        let mut query = products::table
            .of_tenant($tenant)
            .filter(products::deleted_at.is_null())
            .into_boxed();
        if let Some(search) = $search {
            query = query.filter(bound_sql!(search.anywhere.clone()));
        }
        if let Some(min) = $filter.min_price {
            query = query.filter(products::price_cents.ge(min.cents()));
        }
        if let Some(max) = $filter.max_price {
            query = query.filter(products::price_cents.le(max.cents()));
        }
        match $filter.in_stock {
            Some(true) => query = query.filter(products::stock.gt(0)),
            Some(false) => query = query.filter(products::stock.eq(0)),
            None => {}
        }
        query
    }};
}

/// Orders `$query` by `$col` then id (`$dir`: `asc` or `desc`), from beyond `$value`/`$id` when given:
/// `col >= v AND (col > v OR id > i)` ascending, so the index range starts at the position.
macro_rules! walk_by {
    ($query:expr, $col:expr, $from:expr, asc) => {{
        let query = match $from {
            Some((value, id)) => $query.filter(
                $col.ge(value.clone())
                    .and($col.gt(value).or(products::id.gt(id))),
            ),
            None => $query,
        };
        query.order(($col.asc(), products::id.asc()))
    }};
    ($query:expr, $col:expr, $from:expr, desc) => {{
        let query = match $from {
            Some((value, id)) => $query.filter(
                $col.le(value.clone())
                    .and($col.lt(value).or(products::id.lt(id))),
            ),
            None => $query,
        };
        query.order(($col.desc(), products::id.desc()))
    }};
}

/// The listing's query: the products `$filter` keeps (with `$search`, its backend's form), in the order
/// of `$walk` from beyond `$from`, at most `$walk.limit`, as a boxed query of the backend at hand.
macro_rules! listing {
    ($tenant:expr, $filter:expr, $search:expr, $walk:expr, $from:expr) => {{
        let (tenant, filter, search, walk) = ($tenant, $filter, $search, $walk);
        let query = live_matching!(tenant, filter, search.as_ref());
        let from = $from;
        let query = match (walk.key, walk.descending) {
            (SortKey::Relevance, descending) => match search.as_ref() {
                Some(search) => {
                    let seek = match from {
                        Some(Position::Relevance(tier, id)) => Some((tier, id)),
                        _ => None,
                    };
                    if descending {
                        walk_by!(query, tier!(search), seek, desc)
                    } else {
                        walk_by!(query, tier!(search), seek, asc)
                    }
                }
                // Refused before (RELEVANCE needs a search); by id if it came here anyway.
                None => query.order(products::id.asc()),
            },
            (SortKey::Id, descending) => {
                let seek = from.as_ref().map(Position::id);
                match (seek, descending) {
                    (Some(id), false) => {
                        query.filter(products::id.gt(id)).order(products::id.asc())
                    }
                    (Some(id), true) => {
                        query.filter(products::id.lt(id)).order(products::id.desc())
                    }
                    (None, false) => query.order(products::id.asc()),
                    (None, true) => query.order(products::id.desc()),
                }
            }
            (SortKey::Name, descending) => {
                by_column!(query, from, descending, Position::Name, products::name_key)
            }
            (SortKey::Price, descending) => {
                by_column!(
                    query,
                    from,
                    descending,
                    Position::Price,
                    products::price_cents
                )
            }
            (SortKey::CreatedAt, descending) => {
                by_column!(
                    query,
                    from,
                    descending,
                    Position::CreatedAt,
                    products::created_at
                )
            }
            (SortKey::UpdatedAt, descending) => {
                by_column!(
                    query,
                    from,
                    descending,
                    Position::UpdatedAt,
                    products::updated_at
                )
            }
        };
        query.limit(walk.limit).select(ProductRow::as_select())
    }};
}

/// `walk_by!` on a column whose positions are `$variant(value, id)`, either way.
macro_rules! by_column {
    ($query:expr, $from:expr, $descending:expr, $variant:path, $col:expr) => {{
        let seek = match $from {
            Some($variant(value, id)) => Some((value, id)),
            _ => None,
        };
        if $descending {
            walk_by!($query, $col, seek, desc)
        } else {
            walk_by!($query, $col, seek, asc)
        }
    }};
}

/// Which way a listing's query walks the sort: `descending`, starting strictly beyond `from`.
pub struct Walk<'a> {
    pub key: SortKey,
    pub descending: bool,
    pub from: Option<&'a Position>,
    pub limit: i64,
}

/// Live products of the tenant that `filter` keeps, in the order of `walk`, at most `walk.limit`.
pub async fn list(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    filter: &ProductFilter,
    walk: &Walk<'_>,
) -> DbResult<Vec<ProductRow>> {
    let plain = filter.is_everything() && !walk.descending && walk.key == SortKey::Id;
    if plain {
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
    let search = search_sql(conn, filter);
    let from = walk.from.cloned();
    Ok(with_conn!(conn, |c| {
        listing!(tenant, filter, search.as_ref(), walk, from.clone())
            .load(c)
            .await
    })?)
}

/// PostgreSQL's plan of the listing `list` would run (`EXPLAIN`, a line per row); `None` on SQLite.
/// For checking that every sort and search is served from an index.
pub async fn explain_list(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    filter: &ProductFilter,
    walk: &Walk<'_>,
) -> DbResult<Option<Vec<String>>> {
    let search = search_sql(conn, filter);
    let from = walk.from.cloned();
    let Conn::Pg(pg, _) = conn else {
        return Ok(None);
    };
    let query = listing!(tenant, filter, search.as_ref(), walk, from);
    Ok(Some(Explain(query).load::<String>(&mut **pg).await?))
}

/// The filter's search for the backend at hand.
fn search_sql(conn: &Conn<'_>, filter: &ProductFilter) -> Option<SearchSql> {
    filter
        .search
        .as_ref()
        .and_then(|search| SearchSql::new(conn, &search.words()))
}

/// How many live products of the tenant `filter` keeps.
pub async fn count(conn: &mut Conn<'_>, tenant: TenantId, filter: &ProductFilter) -> DbResult<i64> {
    let search = search_sql(conn, filter);
    Ok(with_conn!(conn, |c| {
        live_matching!(tenant, filter, search.as_ref())
            .count()
            .get_result(c)
            .await
    })?)
}

/// A live product of the tenant.
pub async fn find_live(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    id: i64,
) -> DbResult<Option<ProductRow>> {
    let query = products::table
        .of_tenant(tenant)
        .filter(products::id.eq(id))
        .filter(products::deleted_at.is_null());
    Ok(with_conn!(conn, |c| {
        query
            .select(ProductRow::as_select())
            .first(c)
            .await
            .optional()
    })?)
}

pub async fn insert(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    new: &NewProduct,
) -> DbResult<ProductRow> {
    Ok(with_conn!(conn, |c| {
        diesel::insert_into(products::table)
            .values((products::table::owned_by(tenant), new))
            .returning(ProductRow::as_returning())
            .cached()
            .get_result(c)
            .await
    })?)
}

/// Applies `changes` to a live product of the tenant; `None` when there is no such product.
pub async fn update(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    id: i64,
    mut changes: ProductChanges,
) -> DbResult<Option<ProductRow>> {
    if changes.is_empty() {
        return find_live(conn, tenant, id).await;
    }
    changes.updated_at = Some(now());
    let target = products::table
        .of_tenant(tenant)
        .filter(products::id.eq(id))
        .filter(products::deleted_at.is_null());
    Ok(with_conn!(conn, |c| {
        diesel::update(target)
            .set(&changes)
            .returning(ProductRow::as_returning())
            .cached()
            .get_result(c)
            .await
            .optional()
    })?)
}

/// Takes a live product out of the catalog; `false` when there is no such product.
pub async fn soft_delete(conn: &mut Conn<'_>, tenant: TenantId, id: i64) -> DbResult<bool> {
    let at = now();
    let target = products::table
        .of_tenant(tenant)
        .filter(products::id.eq(id))
        .filter(products::deleted_at.is_null());
    let deleted = with_conn!(conn, |c| {
        diesel::update(target)
            .set((products::deleted_at.eq(at), products::updated_at.eq(at)))
            .cached()
            .execute(c)
            .await
    })?;
    Ok(deleted == 1)
}

/// Takes units of live products, for several `(product id, quantity)` lines in the order given
/// (pipelined on PostgreSQL: one round trip). Each line is one conditional update, taking its units only
/// if that many are in stock, so concurrent orders can never take more than there is. One result per
/// line: the product's name and price, or `None` when the product is not live or has too few units.
pub async fn take_stock_each(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    lines: &[(i64, i32)],
) -> DbResult<Vec<Option<(String, i64)>>> {
    let now = now();
    Ok(each_pipelined!(conn, lines, |c, line| {
        let (id, quantity) = *line;
        diesel::update(
            products::table
                .of_tenant(tenant)
                .filter(products::id.eq(id))
                .filter(products::deleted_at.is_null())
                .filter(products::stock.ge(quantity)),
        )
        .set((
            products::stock.eq(products::stock - quantity),
            products::updated_at.eq(now),
        ))
        .returning((products::name, products::price_cents))
        .cached()
        .get_result(c)
        .await
        .optional()
    })?)
}

/// Puts units back in stock (a cancelled order), deleted product or not.
pub async fn return_stock(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    id: i64,
    quantity: i32,
) -> DbResult<()> {
    let target = products::table
        .of_tenant(tenant)
        .filter(products::id.eq(id));
    let changes = (
        products::stock.eq(products::stock + quantity),
        products::updated_at.eq(now()),
    );
    with_conn!(conn, |c| diesel::update(target)
        .set(changes)
        .cached()
        .execute(c)
        .await)?;
    Ok(())
}

/// Live products of the tenant among `ids` (for batched loading).
pub async fn find_live_many(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    ids: &[i64],
) -> DbResult<Vec<ProductRow>> {
    let query = products::table
        .of_tenant(tenant)
        .filter(products::id.eq_any(ids))
        .filter(products::deleted_at.is_null());
    Ok(with_conn!(conn, |c| {
        query.select(ProductRow::as_select()).load(c).await
    })?)
}
