//! Tenant isolation below the application: the database itself refuses rows that point across tenants,
//! even when written directly, bypassing every check of the API.

use multistore::db::TenantId;
use multistore::orders::model::{NewOrderId, NewOrderItem};
use serde_json::json;

use crate::catalog::create_product;
use crate::harness::{Store, TestApp};
use crate::on_both_backends;

on_both_backends!(composite_keys_refuse_rows_that_cross_tenants);

/// Whether a write was refused by the database's key check (a foreign key of the composite keys), not
/// for any other reason.
fn refused_by_a_key<T>(result: &Result<T, multistore::db::DbError>) -> bool {
    matches!(result, Err(multistore::db::DbError::Failed(text))
        if text.contains("violates foreign key constraint")
            || text.contains("FOREIGN KEY constraint failed"))
}

async fn composite_keys_refuse_rows_that_cross_tenants(app: TestApp) {
    let one = app.store("vendor1").await;
    let two = app.store("vendor2").await;
    let mine = create_product(&app, &one, "Mine", json!("1.00"), 10).await;
    let theirs = create_product(&app, &two, "Theirs", json!("1.00"), 10).await;
    let placed = app
        .as_user(&one, &one.customer)
        .send(
            "mutation($id: ID!) { placeOrder(input: { items: [{ productId: $id, quantity: 1 }], address: \"A\" }) { id } }",
            json!({ "id": mine["id"] }),
        )
        .await;
    let id = |value: &serde_json::Value| -> i64 { value.as_str().unwrap().parse().unwrap() };
    let order_id = id(&placed.data()["placeOrder"]["id"]);
    let tenant_one = TenantId(one.id.parse().unwrap());
    let tenant_two = TenantId(two.id.parse().unwrap());

    let mut pooled = app.admin.unscoped().await.unwrap();
    let conn = &mut pooled.conn();
    let line = |product_id: i64| NewOrderItem {
        order_id: NewOrderId::Known(order_id),
        product_id,
        product_name: "forged",
        unit_price_cents: 1,
        quantity: 1,
    };
    // A line of store 1's order naming store 2's product.
    let forged = multistore::orders::store::insert_items_taking_stock(
        conn,
        tenant_one,
        &[line(id(&theirs["id"]))],
        None,
    )
    .await;
    assert!(
        refused_by_a_key(&forged),
        "a line pointing at another store's product: {forged:?}"
    );
    // A line filed under store 2 pointing at store 1's order.
    let forged = multistore::orders::store::insert_items_taking_stock(
        conn,
        tenant_two,
        &[line(id(&theirs["id"]))],
        None,
    )
    .await;
    assert!(
        refused_by_a_key(&forged),
        "a line of another store's order: {forged:?}"
    );
    // Store 1's order assigned to store 2's staff.
    let forged = multistore::orders::store::assign(
        conn,
        tenant_one,
        order_id,
        two.staff.id.parse().unwrap(),
    )
    .await;
    assert!(
        refused_by_a_key(&forged),
        "an assignment to another store's staff: {forged:?}"
    );
    // The same writes inside the tenant are accepted, so the refusals above are about the tenant.
    multistore::orders::store::assign(conn, tenant_one, order_id, one.staff.id.parse().unwrap())
        .await
        .unwrap();

    let order = app
        .as_user(&one, &one.owner)
        .send(
            "query($id: ID!) { order(id: $id) { items { productName } assignedStaff { id } } }",
            json!({ "id": order_id.to_string() }),
        )
        .await;
    assert_eq!(
        order.data()["order"]["items"],
        json!([{ "productName": "Mine" }])
    );
    assert_eq!(
        order.data()["order"]["assignedStaff"]["id"],
        one.staff.id.as_str()
    );
}

/// Row-level security on PostgreSQL: a query written without its vendor filter (a bug) still sees and
/// changes only the tenant of its connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn row_level_security_holds_when_a_query_forgets_its_tenant() {
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    use multistore::db::schema::products;
    use multistore::with_conn;

    let app = TestApp::spawn(crate::harness::Backend::Postgres).await;
    let (one, two) = three_products_and_one(&app).await;
    let tenant_one = TenantId(one.id.parse().unwrap());

    // Queries go through `with_conn!`, as store functions do: the tenant setting travels with the
    // checkout's first statement.
    let mut pooled = app.state.db.tenant(tenant_one).await.unwrap();
    let conn = &mut pooled.conn();
    let role: String = with_conn!(conn, |c| {
        diesel::select(diesel::dsl::sql::<diesel::sql_types::Text>(
            "current_user::text",
        ))
        .get_result(c)
        .await
    })
    .unwrap();
    assert_eq!(
        role, "multistore_app",
        "the service runs as the role without privileges"
    );

    // The forgotten filter: every product of every store, as far as this query knows.
    let seen: i64 = with_conn!(conn, |c| products::table.count().get_result(c).await).unwrap();
    assert_eq!(seen, 3);
    let changed = with_conn!(conn, |c| {
        diesel::update(products::table)
            .set(products::stock.eq(0))
            .execute(c)
            .await
    })
    .unwrap();
    assert_eq!(
        changed, 3,
        "an unfiltered update touches only the tenant's rows"
    );
    let forged = with_conn!(conn, |c| {
        diesel::insert_into(products::table)
            .values((
                products::vendor_id.eq(two.id.parse::<i64>().unwrap()),
                products::name.eq("Forged"),
                products::description.eq(""),
                products::price_cents.eq(1_i64),
                products::stock.eq(1),
                products::created_at.eq(multistore::db::now()),
                products::updated_at.eq(multistore::db::now()),
            ))
            .execute(c)
            .await
    });
    assert!(
        matches!(&forged, Err(diesel::result::Error::DatabaseError(_, info))
            if info.message().contains("row-level security")),
        "a row for another tenant is refused by the policy: {forged:?}"
    );
    drop(pooled);

    let mut pooled = app.state.db.unscoped().await.unwrap();
    let seen: i64 = with_conn!(pooled.conn(), |c| products::table
        .count()
        .get_result(c)
        .await)
    .unwrap();
    assert_eq!(seen, 0, "without a tenant no tenant's rows are visible");
    drop(pooled);

    // Checkouts that alternate between the stores on the pool's connections: the setting sent with a
    // checkout's first statement is always in force for that statement, never the previous checkout's.
    let tenant_two = TenantId(two.id.parse().unwrap());
    for round in 0..40 {
        let (tenant, expected) = if round % 2 == 0 {
            (tenant_one, 3)
        } else {
            (tenant_two, 1)
        };
        let mut pooled = app.state.db.tenant(tenant).await.unwrap();
        let seen: i64 = with_conn!(pooled.conn(), |c| products::table
            .count()
            .get_result(c)
            .await)
        .unwrap();
        assert_eq!(seen, expected, "round {round}");
    }

    // Transactions keep the checkout's tenant: after one that rolled back its first statement (and the
    // setting with it), and after one that ran no statement at all.
    for rolled_back in [true, false] {
        let mut pooled = app.state.db.tenant(tenant_two).await.unwrap();
        let conn = &mut pooled.conn();
        // The connection's session is on store two, and the checkout switches to store one: the
        // setting is pending, to go with the next statement.
        with_conn!(conn, |c| products::table.count().get_result::<i64>(c).await).unwrap();
        multistore::db::set_tenant(conn, Some(tenant_one));
        use multistore::db::DbError;
        let outcome: Result<(), DbError> = multistore::transaction!(conn, DbError, |c| {
            if rolled_back {
                with_conn!(c, |c| products::table.count().get_result::<i64>(c).await)?;
                Err(DbError::Failed("roll back".into()))
            } else {
                Ok(())
            }
        });
        assert_eq!(outcome.is_err(), rolled_back);
        let seen: i64 = with_conn!(conn, |c| products::table.count().get_result(c).await).unwrap();
        assert_eq!(seen, 3, "after a transaction (rolled back: {rolled_back})");
    }

    let other = app
        .gql()
        .tenant(&two.domain)
        .send("{ products { nodes { stock } } }", json!({}))
        .await;
    assert_eq!(
        other.data()["products"]["nodes"],
        json!([{ "stock": 10 }]),
        "store 2 untouched"
    );
}

/// A connection whose session is known to hold a store's setting serves that store's next checkout
/// without sending it again, and is never assumed to hold what it may not: after a setting sent and
/// not answered, or a transaction rolled back, the setting goes again. One pooled connection, so every
/// checkout is the same session.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_known_to_hold_its_store_is_not_set_again() {
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    use multistore::db::schema::products;
    use multistore::db::{DbError, set_tenant};
    use multistore::{transaction, with_conn};

    let app = on_one_connection().await;
    let (one, two) = three_products_and_one(&app).await;
    let tenant_one = TenantId(one.id.parse().unwrap());
    let tenant_two = TenantId(two.id.parse().unwrap());
    let db = &app.state.db;
    // The products a checkout for `tenant` sees, and the statements it took.
    let count = async |tenant: TenantId| -> (i64, u64) {
        let before = db.statements_run();
        let mut pooled = db.tenant(tenant).await.unwrap();
        let seen = with_conn!(pooled.conn(), |c| products::table
            .count()
            .get_result(c)
            .await)
        .unwrap();
        (seen, db.statements_run() - before)
    };

    assert_eq!(count(tenant_one).await.0, 3);
    assert_eq!(count(tenant_one).await, (3, 1), "known: the count alone");
    assert_eq!(count(tenant_two).await, (1, 2), "another store: set again");
    assert_eq!(count(tenant_two).await, (1, 1));

    // Through the API: a signed-in page of the store the connection last served is one statement.
    let page = "{ products(first: 5) { nodes { name } } }";
    app.as_user(&one, &one.customer).send(page, json!({})).await;
    let before = db.statements_run();
    let listed = app.as_user(&one, &one.customer).send(page, json!({})).await;
    assert_eq!(
        listed.data()["products"]["nodes"].as_array().unwrap().len(),
        3
    );
    assert_eq!(db.statements_run() - before, 1);

    // A switch sent and never answered (the request dropped after its first poll): not assumed.
    {
        let mut pooled = db.tenant(tenant_two).await.unwrap();
        let dropped = async {
            with_conn!(pooled.conn(), |c| diesel::sql_query(
                "SELECT pg_sleep(0.05)"
            )
            .execute(c)
            .await)
        };
        let _ = tokio::time::timeout(std::time::Duration::ZERO, dropped).await;
    }
    assert_eq!(count(tenant_one).await, (3, 2), "after a dropped switch");

    // A transaction that switched and rolled back: the session holds the store before it again.
    let mut pooled = db.tenant(tenant_two).await.unwrap();
    let conn = &mut pooled.conn();
    let outcome: Result<(), DbError> = transaction!(conn, DbError, |c| {
        with_conn!(c, |c| products::table.count().get_result::<i64>(c).await)?;
        Err(DbError::Failed("roll back".into()))
    });
    assert!(outcome.is_err());
    drop(pooled);
    assert_eq!(
        count(tenant_one).await,
        (3, 1),
        "rolled back: still store one"
    );
    // ... and one that committed: the session holds what it set.
    let mut pooled = db.tenant(tenant_two).await.unwrap();
    let conn = &mut pooled.conn();
    let outcome: Result<i64, DbError> = transaction!(conn, DbError, |c| {
        with_conn!(c, |c| products::table.count().get_result::<i64>(c).await).map_err(DbError::from)
    });
    assert_eq!(outcome.unwrap(), 1);
    set_tenant(conn, Some(tenant_two));
    drop(pooled);
    assert_eq!(
        count(tenant_two).await,
        (1, 1),
        "committed: store two, known"
    );
    assert_eq!(count(tenant_one).await, (3, 2));
}

/// A transaction's `BEGIN` goes out with its first statement; one dropped half-way (its request gone)
/// never ended on its connection, so the pool closes that connection instead of handing the next
/// checkout a session inside it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_left_inside_a_transaction_is_never_handed_out() {
    use diesel::sql_types::{BigInt, Bool};
    use diesel_async::RunQueryDsl;
    use multistore::db::DbError;
    use multistore::{transaction, with_conn};

    let app = on_one_connection().await;
    let store = app.store("vendor1").await;
    let tenant = TenantId(store.id.parse().unwrap());
    let db = &app.state.db;
    // The backend's pid, and whether the statement runs inside the dropped transaction below (which
    // sets a statement timeout of its own, transaction-local).
    let session = async || -> (i64, bool) {
        let mut pooled = db.tenant(tenant).await.unwrap();
        with_conn!(pooled.conn(), |c| {
            diesel::select((
                diesel::dsl::sql::<BigInt>("pg_backend_pid()::bigint"),
                diesel::dsl::sql::<Bool>("current_setting('statement_timeout') = '1234ms'"),
            ))
            .get_result(c)
            .await
        })
        .unwrap()
    };
    let (first, inside) = session().await;
    assert!(!inside);

    let mut pooled = db.tenant(tenant).await.unwrap();
    let conn = &mut pooled.conn();
    let dropped = async {
        let _: Result<(), DbError> = transaction!(conn, DbError, |c| {
            with_conn!(c, |c| diesel::sql_query(
                "SET LOCAL statement_timeout = 1234"
            )
            .execute(c)
            .await)?;
            with_conn!(c, |c| diesel::sql_query("SELECT pg_sleep(5)")
                .execute(c)
                .await)?;
            Ok(())
        });
    };
    let timed_out = tokio::time::timeout(std::time::Duration::from_millis(300), dropped).await;
    assert!(timed_out.is_err(), "the transaction was dropped half-way");
    drop(pooled);

    let (next, inside) = session().await;
    assert!(!inside, "the next checkout runs outside any transaction");
    // (Behind a pooler the pid is the server connection's, which the pooler may give out again.)
    let direct = crate::harness::pooler_url().is_none();
    if direct {
        assert_ne!(
            next, first,
            "the connection left inside a transaction was closed"
        );
    }
    // Transactions that end are kept on their connection.
    let mut pooled = db.tenant(tenant).await.unwrap();
    let ended: Result<(), DbError> = transaction!(&mut pooled.conn(), DbError, |c| {
        with_conn!(c, |c| diesel::sql_query("SELECT 1").execute(c).await)?;
        Ok(())
    });
    ended.unwrap();
    drop(pooled);
    let (last, inside) = session().await;
    assert!(!inside);
    if direct {
        assert_eq!(last, next, "kept");
    }
}

/// The service on PostgreSQL with a pool of one connection: every checkout is the same session.
async fn on_one_connection() -> TestApp {
    TestApp::spawn_with(crate::harness::Backend::Postgres, |config| {
        config.db_pool_size = Some(1);
    })
    .await
}

/// Two stores: the first with three products, the second with one.
async fn three_products_and_one(app: &TestApp) -> (Store, Store) {
    let one = app.store("vendor1").await;
    let two = app.store("vendor2").await;
    for i in 0..3 {
        create_product(app, &one, &format!("One {i}"), json!("1.00"), 10).await;
    }
    create_product(app, &two, "Two", json!("1.00"), 10).await;
    (one, two)
}
