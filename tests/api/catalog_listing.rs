//! A catalog a storefront can build on (CONTRACT.md sections 6 and 7): every sort both ways through
//! every page, backward as forward reversed, filters with `totalCount`, cursor misuse, and a property
//! test of page walks while the catalog changes.

use proptest::prelude::*;
use serde_json::{Value, json};

use crate::catalog::create_product;
use crate::harness::{Backend, Store, TestApp};
use crate::on_both_backends;

on_both_backends!(
    every_sort_walks_every_page_both_ways,
    filters_keep_what_they_say_and_count_it,
    cursor_misuse_is_refused,
    a_search_beyond_the_walk_is_read_from_its_index,
    words_folded_before_the_service_are_folded_again_at_start,
);

const SORTS: [&str; 5] = ["ID", "NAME", "PRICE", "CREATED_AT", "UPDATED_AT"];

const PAGE: &str =
    "query($first: Int, $after: String, $last: Int, $before: String, $sort: ProductSortKey,
    $reverse: Boolean, $filter: ProductFilter, $search: String) {
  products(first: $first, after: $after, last: $last, before: $before, sortKey: $sort,
           reverse: $reverse, filter: $filter, search: $search) {
    totalCount
    edges { cursor node { id name price stock createdAt updatedAt } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }";

/// A product as a listing returns it.
#[derive(Clone, Debug)]
struct Listed {
    id: i64,
    name_key: String,
    price_cents: i64,
    created_at: String,
    updated_at: String,
}

fn listed(node: &Value) -> Listed {
    let price = node["price"].as_str().unwrap();
    let (units, cents) = price.split_once('.').unwrap();
    Listed {
        id: node["id"].as_str().unwrap().parse().unwrap(),
        name_key: node["name"].as_str().unwrap().to_lowercase(),
        price_cents: units.parse::<i64>().unwrap() * 100 + cents.parse::<i64>().unwrap(),
        created_at: node["createdAt"].as_str().unwrap().to_owned(),
        updated_at: node["updatedAt"].as_str().unwrap().to_owned(),
    }
}

/// The ids of `products` in the order of `sort` (ties by id), reversed when asked.
fn expected(products: &[Listed], sort: &str, reverse: bool) -> Vec<i64> {
    let mut sorted = products.to_vec();
    sorted.sort_by(|a, b| {
        let by_key = match sort {
            "NAME" => a.name_key.as_bytes().cmp(b.name_key.as_bytes()),
            "PRICE" => a.price_cents.cmp(&b.price_cents),
            "CREATED_AT" => a.created_at.cmp(&b.created_at),
            "UPDATED_AT" => a.updated_at.cmp(&b.updated_at),
            _ => std::cmp::Ordering::Equal,
        };
        by_key.then(a.id.cmp(&b.id))
    });
    if reverse {
        sorted.reverse();
    }
    sorted.into_iter().map(|p| p.id).collect()
}

async fn page(app: &TestApp, store: &Store, variables: Value) -> Value {
    let response = app.gql().tenant(&store.domain).send(PAGE, variables).await;
    response.data()["products"].clone()
}

fn ids_of(page: &Value) -> Vec<i64> {
    page["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap().parse().unwrap())
        .collect()
}

/// `base` with the page's size and cursor: `first`/`after` forward, `last`/`before` backward.
fn page_variables(base: &Value, size: i64, backward: bool, cursor: &Value) -> Value {
    let mut variables = base.clone();
    let (count, from) = if backward {
        ("last", "before")
    } else {
        ("first", "after")
    };
    variables[count] = json!(size);
    variables[from] = cursor.clone();
    variables
}

/// Walks a listing page by page, forward or backward, checking `pageInfo` on the way; the ids in the
/// listing's order.
async fn walk(app: &TestApp, store: &Store, base: &Value, size: i64, backward: bool) -> Vec<i64> {
    let mut seen: Vec<i64> = Vec::new();
    let mut cursor = Value::Null;
    for round in 0.. {
        assert!(round < 100, "the walk never ended");
        let page = page(app, store, page_variables(base, size, backward, &cursor)).await;
        let ids = ids_of(&page);
        let info = &page["pageInfo"];
        let (onward, back) = if backward {
            (
                info["hasPreviousPage"].as_bool().unwrap(),
                info["hasNextPage"].as_bool().unwrap(),
            )
        } else {
            (
                info["hasNextPage"].as_bool().unwrap(),
                info["hasPreviousPage"].as_bool().unwrap(),
            )
        };
        assert_eq!(back, round > 0, "the other way at round {round}: {page}");
        if backward {
            seen.splice(0..0, ids);
            cursor = info["startCursor"].clone();
        } else {
            seen.extend(ids);
            cursor = info["endCursor"].clone();
        }
        if !onward {
            break;
        }
    }
    seen
}

async fn a_catalog(app: &TestApp, store: &Store) -> Vec<Listed> {
    let items = [
        ("banana", "5.00", 3),
        ("Apple", "1.00", 0),
        ("cherry", "5.00", 7),
        ("apple", "3.00", 2),
        ("Banana", "1.00", 0),
        ("Éclair", "9.99", 1),
        ("date", "5.00", 4),
        ("zucchini", "0.50", 9),
        ("Zebra cake", "3.00", 0),
        ("éclair", "9.99", 5),
        ("fig", "2.25", 6),
    ];
    for (name, price, stock) in items {
        create_product(app, store, name, json!(price), stock).await;
    }
    // Updated in another order than created.
    let all = page(app, store, json!({ "first": 100 })).await;
    for id in ids_of(&all).iter().rev().step_by(3) {
        app.as_user(store, &store.owner)
            .send(
                "mutation($id: ID!) { updateProduct(id: $id, input: { stock: 8 }) { id } }",
                json!({ "id": id.to_string() }),
            )
            .await
            .data();
    }
    let all = page(app, store, json!({ "first": 100 })).await;
    all["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| listed(&e["node"]))
        .collect()
}

async fn every_sort_walks_every_page_both_ways(app: TestApp) {
    let store = app.store("vendor1").await;
    let products = a_catalog(&app, &store).await;
    for sort in SORTS {
        for reverse in [false, true] {
            let base = json!({ "sort": sort, "reverse": reverse });
            let want = expected(&products, sort, reverse);
            for size in [1, 3, 4, 100] {
                let forward = walk(&app, &store, &base, size, false).await;
                assert_eq!(forward, want, "{sort} reverse={reverse} forward by {size}");
                let backward = walk(&app, &store, &base, size, true).await;
                assert_eq!(
                    backward, want,
                    "{sort} reverse={reverse} backward by {size}"
                );
            }
        }
    }
}

/// A search in a store larger than the walk's segments, whose matches lie in both and beyond: the
/// page the walk down the sort cannot fill comes from the search index, in the same order, both ways.
async fn a_search_beyond_the_walk_is_read_from_its_index(app: TestApp) {
    use multistore::catalog::listing_store::WALK_SEGMENTS;

    const PRODUCTS: i64 = 12_000;
    const { assert!(PRODUCTS > WALK_SEGMENTS[0] + WALK_SEGMENTS[1] + 1_000) };
    let store = app.store("vendor1").await;
    let vendor: i64 = store.id.parse().unwrap();
    // Product g: a lamp in its name for g = 7 (the first segment), 5,000 (the second) and a run past
    // both segments, in its description for three; its price scattered, so the sorts disagree.
    let in_name = |g: i64| g == 7 || g == 5_000 || (11_000..11_020).contains(&g);
    let in_description = |g: i64| g % 4_000 == 3_999;
    let price = |g: i64| 100 + (g * 37) % 1_000;
    app.admin
        .batch_execute(&format!(
            "WITH RECURSIVE r(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM r WHERE g < {PRODUCTS})
             INSERT INTO products (vendor_id, name, name_key, search_name, description, search_description,
                                   price_cents, stock, created_at, updated_at)
             SELECT {vendor}, n, lower(n), lower(n), d, lower(d), 100 + (g * 37) % 1000, 1,
                    '2026-01-01 00:00:00', '2026-01-01 00:00:00'
             FROM (SELECT g,
                          'Item ' || g || CASE WHEN g = 7 OR g = 5000 OR (g >= 11000 AND g < 11020)
                                               THEN ' Lamp' ELSE '' END AS n,
                          CASE WHEN g % 4000 = 3999 THEN 'a lamp shade' ELSE 'plain' END AS d
                   FROM r) s"
        ))
        .await
        .unwrap();
    let first = page(&app, &store, json!({ "first": 1 })).await;
    let offset = ids_of(&first)[0] - 1;
    let matches: Vec<i64> = (1..=PRODUCTS)
        .filter(|g| in_name(*g) || in_description(*g))
        .collect();
    let name_key = |g: i64| {
        if in_name(g) {
            format!("item {g} lamp")
        } else {
            format!("item {g}")
        }
    };
    for (sort, search) in [
        ("ID", "lamp"),
        ("NAME", "lam"),
        ("PRICE", "lamp"),
        ("RELEVANCE", "LAMP"),
    ] {
        let mut want = matches.clone();
        match sort {
            "NAME" => want.sort_by_key(|g| (name_key(*g), *g)),
            "PRICE" => want.sort_by_key(|g| (price(*g), *g)),
            "RELEVANCE" => want.sort_by_key(|g| (!in_name(*g), *g)),
            _ => {}
        }
        let mut want: Vec<i64> = want.into_iter().map(|g| g + offset).collect();
        for reverse in [false, true] {
            if reverse {
                want.reverse();
            }
            let base = json!({ "sort": sort, "reverse": reverse, "search": search });
            for size in [4, 30] {
                let forward = walk(&app, &store, &base, size, false).await;
                assert_eq!(forward, want, "{sort} reverse={reverse} forward by {size}");
                let backward = walk(&app, &store, &base, size, true).await;
                assert_eq!(
                    backward, want,
                    "{sort} reverse={reverse} backward by {size}"
                );
            }
            let counted = page(&app, &store, json!({ "first": 1, "search": search })).await;
            assert_eq!(counted["totalCount"], json!(matches.len()));
        }
    }
}

async fn filters_keep_what_they_say_and_count_it(app: TestApp) {
    let store = app.store("vendor1").await;
    let products = a_catalog(&app, &store).await;
    let stock_of = |id: i64, all: &Value| {
        all["edges"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["node"]["id"] == json!(id.to_string()))
            .map(|e| e["node"]["stock"].as_i64().unwrap())
            .unwrap()
    };
    let all = page(&app, &store, json!({ "first": 100 })).await;
    for (filter, keep) in [
        (
            json!({ "minPrice": "3.00" }),
            Box::new(|p: &Listed, _: i64| p.price_cents >= 300)
                as Box<dyn Fn(&Listed, i64) -> bool>,
        ),
        (
            json!({ "maxPrice": 3 }),
            Box::new(|p: &Listed, _| p.price_cents <= 300),
        ),
        (
            json!({ "minPrice": "1.00", "maxPrice": "5.00" }),
            Box::new(|p: &Listed, _| (100..=500).contains(&p.price_cents)),
        ),
        (
            json!({ "inStock": true }),
            Box::new(|_: &Listed, stock| stock > 0),
        ),
        (
            json!({ "inStock": false }),
            Box::new(|_: &Listed, stock| stock == 0),
        ),
        (
            json!({ "inStock": true, "maxPrice": "5.00" }),
            Box::new(|p: &Listed, stock| stock > 0 && p.price_cents <= 500),
        ),
        (
            json!({ "minPrice": "6.00", "maxPrice": "2.00" }),
            Box::new(|_: &Listed, _| false),
        ),
    ] {
        let kept: Vec<Listed> = products
            .iter()
            .filter(|p| keep(p, stock_of(p.id, &all)))
            .cloned()
            .collect();
        for sort in ["PRICE", "NAME"] {
            let base = json!({ "sort": sort, "filter": filter });
            let seen = walk(&app, &store, &base, 2, false).await;
            assert_eq!(seen, expected(&kept, sort, false), "{filter} by {sort}");
            let counted = page(
                &app,
                &store,
                json!({ "first": 1, "filter": filter, "sort": sort }),
            )
            .await;
            assert_eq!(counted["totalCount"], json!(kept.len()), "{filter}");
        }
    }
    // Search with a filter and a sort.
    let found = page(
        &app,
        &store,
        json!({ "first": 100, "search": "BAN", "sort": "PRICE", "reverse": true }),
    )
    .await;
    let names: Vec<&str> = found["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["banana", "Banana"]);
    assert_eq!(found["totalCount"], 2);
}

async fn cursor_misuse_is_refused(app: TestApp) {
    let store = app.store("vendor1").await;
    let other = app.store("vendor2").await;
    a_catalog(&app, &store).await;
    create_product(&app, &other, "Theirs", json!("1.00"), 1).await;
    let by_name = page(&app, &store, json!({ "first": 2, "sort": "NAME" })).await;
    let cursor = by_name["pageInfo"]["endCursor"].clone();
    let refused = |variables: Value| {
        let app = &app;
        let store = &store;
        async move {
            let response = app
                .gql()
                .tenant(&store.domain)
                .send(PAGE, variables.clone())
                .await;
            (
                response.code().to_owned(),
                response.field().to_owned(),
                variables,
            )
        }
    };
    for (variables, field) in [
        (
            json!({ "first": 2, "after": cursor, "sort": "PRICE" }),
            "after",
        ),
        (
            json!({ "first": 2, "after": cursor, "sort": "NAME", "reverse": true }),
            "after",
        ),
        (
            json!({ "first": 2, "after": cursor, "sort": "NAME", "filter": { "inStock": true } }),
            "after",
        ),
        (
            json!({ "first": 2, "after": cursor, "sort": "NAME", "search": "a" }),
            "after",
        ),
        (
            json!({ "last": 2, "before": "bm90IGEgY3Vyc29y", "sort": "NAME" }),
            "before",
        ),
        (json!({ "first": 2, "after": "%%%" }), "after"),
        (json!({ "first": 2, "last": 2 }), "last"),
        (
            json!({ "last": 2, "after": cursor, "sort": "NAME" }),
            "last",
        ),
        (json!({ "first": 0 }), "first"),
        (json!({ "last": 101 }), "last"),
        (json!({ "first": 2, "sort": "RELEVANCE" }), "sortKey"),
        (
            json!({ "first": 2, "filter": { "minPrice": "-1.00" } }),
            "filter.minPrice",
        ),
    ] {
        let (code, got, variables) = refused(variables).await;
        assert_eq!(
            (code.as_str(), got.as_str()),
            ("BAD_USER_INPUT", field),
            "{variables}"
        );
    }
    // A cursor of one store read by another is only a position there: its own products, no others.
    let theirs = page(
        &app,
        &other,
        json!({ "first": 100, "after": cursor, "sort": "NAME" }),
    )
    .await;
    let names: Vec<&Value> = theirs["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| &edge["node"]["name"])
        .collect();
    assert!(
        !names.is_empty(),
        "the other store lists its own products from there"
    );
    assert!(names.iter().all(|name| *name == "Theirs"), "{names:?}");
}

/// Random catalogs walked in random sorts and page sizes, forward or backward, while products are
/// added, changed and deleted between pages: every product left untouched throughout is seen exactly
/// once, in the listing's order.
fn page_walks_see_each_product_once(backend: Backend) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let app = runtime.block_on(TestApp::spawn(backend));
    let case = std::sync::atomic::AtomicUsize::new(0);
    let config = ProptestConfig {
        cases: 10,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    let catalog = proptest::collection::vec((0..4usize, 1..4i64), 3..12);
    let changes = proptest::collection::vec(0..3usize, 0..8);
    proptest!(config, |(catalog in catalog, sort in 0..SORTS.len(), reverse: bool,
                        backward: bool, size in 1..5i64, changes in changes)| {
        runtime.block_on(async {
            let n = case.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let store = app.store(&format!("walk{n}")).await;
            let names = ["axe", "Bolt", "axe", "clamp"];
            for (name, price) in &catalog {
                create_product(&app, &store, names[*name], json!(format!("{price}.00")), 1).await;
            }
            let all = page(&app, &store, json!({ "first": 100 })).await;
            let before: Vec<Listed> = all["edges"].as_array().unwrap().iter().map(|e| listed(&e["node"])).collect();
            let (sort, reverse) = (SORTS[sort], reverse);
            let mut touched = std::collections::HashSet::new();
            let mut changes = changes.into_iter();
            let mut seen: Vec<i64> = Vec::new();
            let mut cursor = Value::Null;
            for _ in 0..100 {
                let base = json!({ "sort": sort, "reverse": reverse });
                let got = page(&app, &store, page_variables(&base, size, backward, &cursor)).await;
                let ids = ids_of(&got);
                if backward { seen.splice(0..0, ids); } else { seen.extend(ids); }
                let info = &got["pageInfo"];
                let (onward, next) = if backward {
                    (info["hasPreviousPage"].as_bool().unwrap(), info["startCursor"].clone())
                } else {
                    (info["hasNextPage"].as_bool().unwrap(), info["endCursor"].clone())
                };
                if !onward { break; }
                cursor = next;
                // Between pages: add a product, change one, or delete one.
                let victim = before[(seen.len() * 7 + touched.len()) % before.len()].id;
                match changes.next() {
                    Some(0) => {
                        let added = create_product(&app, &store, "added", json!("2.00"), 1).await;
                        touched.insert(added["id"].as_str().unwrap().parse::<i64>().unwrap());
                    }
                    Some(1) => {
                        touched.insert(victim);
                        app.as_user(&store, &store.owner)
                            .send("mutation($id: ID!) { updateProduct(id: $id, input: { name: \"moved\", price: \"9.00\" }) { id } }",
                                  json!({ "id": victim.to_string() }))
                            .await;
                    }
                    Some(_) => {
                        touched.insert(victim);
                        app.as_user(&store, &store.owner)
                            .send("mutation($id: ID!) { deleteProduct(id: $id) }", json!({ "id": victim.to_string() }))
                            .await;
                    }
                    None => {}
                }
            }
            let untouched: Vec<Listed> = before.iter().filter(|p| !touched.contains(&p.id)).cloned().collect();
            let want = expected(&untouched, sort, reverse);
            let got: Vec<i64> = seen.into_iter().filter(|id| !touched.contains(id)).collect();
            assert_eq!(got, want, "{sort} reverse={reverse} backward={backward} by {size}");
        });
    });
    runtime.block_on(async { drop(app) });
}

#[test]
fn page_walks_on_sqlite() {
    page_walks_see_each_product_once(Backend::Sqlite);
}

#[test]
fn page_walks_on_postgres() {
    page_walks_see_each_product_once(Backend::Postgres);
}

/// PostgreSQL's plans of every sort, both ways, from the start and from a cursor, with and without a
/// filter, with and without a search (a word in a quarter of the products, one in one product, a prefix
/// of every product's), in a store of 20,000 products: every statement reads an index and none the
/// whole store; a listing walks its sort's index and sorts nothing, and a search's third statement
/// reads its matches from the search index.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_listing_is_served_from_an_index() {
    use chrono::NaiveDate;
    use multistore::catalog::listing::{Position, ProductFilter, SortKey};
    use multistore::catalog::listing_store::{Statement, Walk, explain_list};
    use multistore::db::TenantId;
    use multistore::values::{Money, Search};

    let app = TestApp::spawn(Backend::Postgres).await;
    let store = app.store("vendor1").await;
    let vendor: i64 = store.id.parse().unwrap();
    app.admin
        .batch_execute(&format!(
            "INSERT INTO products (vendor_id, name, name_key, search_name, search_description, description,
                                   price_cents, stock, created_at, updated_at)
             SELECT {vendor}, 'Product ' || g, 'product ' || g, 'product ' || g || ' ' ||
                    (ARRAY['blue', 'red', 'watch', 'shoe'])[1 + g % 4], '', '', g % 5000, g % 3,
                    now() - (g || ' seconds')::interval, now() - ((g * 7) % 20000 || ' seconds')::interval
             FROM generate_series(1, 20000) g;"
        ))
        .await
        .unwrap();
    // Settled as a live table is: VACUUM also moves the new rows out of the GIN index's pending list
    // (which a planner rightly avoids while it is long).
    app.admin
        .batch_execute("VACUUM (ANALYZE) products")
        .await
        .unwrap();
    let tenant = TenantId(vendor);
    let mut pooled = app.state.db.tenant(tenant).await.unwrap();
    let at = NaiveDate::from_ymd_opt(2026, 1, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap();
    let positions = [
        (SortKey::Id, Position::Id(10_000)),
        (SortKey::Name, Position::Name("product 5".into(), 10_000)),
        (SortKey::Price, Position::Price(2_500, 10_000)),
        (SortKey::CreatedAt, Position::CreatedAt(at, 10_000)),
        (SortKey::UpdatedAt, Position::UpdatedAt(at, 10_000)),
        (SortKey::Relevance, Position::Relevance(1, 10_000)),
    ];
    let priced = |search: Option<&str>| ProductFilter {
        in_stock: Some(true),
        min_price: Some(Money::from_cents(100)),
        search: search.and_then(|s| Search::parse("search", Some(s)).unwrap()),
        ..ProductFilter::default()
    };
    let searched = |search: &str| ProductFilter {
        search: Search::parse("search", Some(search)).unwrap(),
        ..ProductFilter::default()
    };
    let rare = [Some("12345"), Some("product 77")];
    let filters = [
        ProductFilter::default(),
        priced(None),
        searched("blue"),
        searched("12345"),
        searched("pro"),
        searched("product 77"),
        priced(Some("red")),
    ];
    for (key, position) in &positions {
        for filter in &filters {
            if *key == SortKey::Relevance && filter.search.is_none() {
                continue;
            }
            for descending in [false, true] {
                for from in [None, Some(position)] {
                    let walk = Walk {
                        key: *key,
                        descending,
                        from,
                        limit: 21,
                    };
                    let plans = explain_list(&mut pooled.conn(), tenant, filter, &walk)
                        .await
                        .unwrap()
                        .expect("plans on PostgreSQL");
                    for (statement, plan) in plans {
                        let text = plan.join("\n");
                        let case = format!(
                            "{key:?} {:?} desc={descending} from={from:?} {statement:?}:\n{text}",
                            filter.search.as_deref()
                        );
                        let sorts = text.contains("Sort");
                        match statement {
                            Statement::Listing | Statement::Bound | Statement::Walk => {
                                assert!(text.contains("Index"), "{case}");
                                assert!(!text.contains("Seq Scan"), "{case}");
                            }
                            Statement::Indexed => {}
                        }
                        match statement {
                            Statement::Listing | Statement::Bound => assert!(!sorts, "{case}"),
                            // Its range ends at the bound: at most a segment's products, however
                            // the planner reads them.
                            Statement::Walk => {}
                            // Run for a rare word: its few matches come from the search index.
                            // (For a common one the walk fills the page; were it run, reading a
                            // quarter of the store by the index or by a scan is the planner's call.)
                            Statement::Indexed if rare.contains(&filter.search.as_deref()) => {
                                assert!(text.contains("catalog_search"), "{case}");
                                assert!(!text.contains("Seq Scan"), "{case}");
                            }
                            Statement::Indexed => {}
                        }
                    }
                }
            }
        }
    }
    // The matches themselves: catalog_search's query, as its role plans it, reads the GIN index.
    let body = search_function_plan(&app, vendor).await.join("\n");
    assert!(
        body.contains("Bitmap Index Scan on products_live_search"),
        "{body}"
    );
}

/// The generic plan of `catalog_search`'s query, as the role it runs as, in `vendor`'s store.
async fn search_function_plan(app: &TestApp, vendor: i64) -> Vec<String> {
    use diesel::sql_types::Text;
    use diesel_async::SimpleAsyncConnection as _;
    use diesel_async::{AsyncConnection as _, AsyncPgConnection, RunQueryDsl as _};

    #[derive(diesel::QueryableByName)]
    struct Line {
        #[diesel(sql_type = Text, column_name = "QUERY PLAN")]
        line: String,
    }
    #[derive(diesel::QueryableByName)]
    struct Source {
        #[diesel(sql_type = Text)]
        prosrc: String,
    }
    let url = &app.database();
    let mut conn = AsyncPgConnection::establish(url).await.unwrap();
    let source = diesel::sql_query("SELECT prosrc FROM pg_proc WHERE proname = 'catalog_search'")
        .get_result::<Source>(&mut conn)
        .await
        .unwrap();
    conn.batch_execute(&format!(
        "SET ROLE multistore_search; SELECT set_config('app.vendor_id', '{vendor}', false);
         SET plan_cache_mode = force_generic_plan; PREPARE body(tsquery) AS {}",
        source.prosrc
    ))
    .await
    .unwrap();
    diesel::sql_query("EXPLAIN EXECUTE body(NULL)")
        .load::<Line>(&mut conn)
        .await
        .unwrap()
        .into_iter()
        .map(|l| l.line)
        .collect()
}

/// Products whose search words were folded in SQL before the service folded them (migration 9 kept
/// accents) are folded again, once, by an instance at its start: "creme" then finds "Crème Brûlée".
async fn words_folded_before_the_service_are_folded_again_at_start(app: TestApp) {
    let store = app.store("vendor1").await;
    let product = create_product(&app, &store, "Crème Brûlée", serde_json::json!("4.00"), 3).await;
    let id = product["id"].as_str().unwrap();
    // As migration 9 left such a row, and as if no instance had folded anything since.
    app.admin
        .batch_execute(&format!(
            "UPDATE products SET search_name = 'crème brûlée', search_folded = FALSE WHERE id = {id}; \
             DELETE FROM maintenance_done"
        ))
        .await
        .unwrap();
    let search = |url: String| async move {
        let answer: Value = reqwest::Client::new()
            .post(format!("{url}/graphql"))
            .header("X-Tenant-Domain", "vendor1.example.com")
            .json(&json!({ "query": "{ products(search: \"creme\") { nodes { id } } }" }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        answer["data"]["products"]["nodes"]
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!(
        search(app.url.clone()).await,
        0,
        "the words as SQL folded them"
    );

    let database = app.database();
    let restarted = crate::harness::process::Instance::start(&database).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while search(restarted.url.clone()).await == 0 {
        assert!(std::time::Instant::now() < deadline, "never folded again");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    #[derive(diesel::QueryableByName)]
    struct Done {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while app
        .rows::<Done>("SELECT COUNT(*) AS n FROM maintenance_done")
        .await[0]
        .n
        == 0
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the task was never recorded"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(search(app.url.clone()).await, 1);
}
