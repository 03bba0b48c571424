//! Promises that hold under faults and careless or hostile input: sockets of deactivated users,
//! subscriptions through a database blip, cross-site bodies, security headers, money and quantity edges.

use std::time::Duration;

use serde_json::{Value, json};

use crate::catalog::create_product;
use crate::harness::ws::{ARRIVES_WITHIN, Heard, Socket};
use crate::harness::{Backend, Store, TestApp};
use crate::on_both_backends;
use crate::orders::{cancel, line, place, place_ok, stock_of};
use crate::subscriptions::socket_as;

on_both_backends!(
    a_deactivated_user_loses_their_open_socket,
    money_and_quantities_at_their_edges,
    an_unread_socket_holds_no_connection,
);

/// Over an open socket a deactivated staff member can read and change nothing more: every operation
/// is checked as an HTTP request is.
async fn a_deactivated_user_loses_their_open_socket(app: TestApp) {
    let store = app.store("vendor1").await;
    let product = create_product(&app, &store, "Watch", json!("5.00"), 10).await;
    let order = place_ok(&app, &store, &store.customer, json!([line(&product, 1)])).await;
    crate::orders::assign(&app, &store, &store.owner, &order, &store.staff.id)
        .await
        .data();
    let mut socket = socket_as(&app, &store, &store.staff).await;
    let id = json!({ "id": order["id"] });
    let read = "query($id: ID!) { order(id: $id) { id customer { email } } }";
    let before = answer(&mut socket, "before", read, id.clone()).await;
    assert_eq!(before["data"]["order"]["id"], order["id"]);

    app.deactivate_staff(&store, &store.staff).await;
    let change = "mutation($id: ID!) { updateOrderStatus(id: $id, status: PROCESSING) { id } }";
    for (name, operation) in [("read", read), ("change", change)] {
        let after = answer(&mut socket, name, operation, id.clone()).await;
        assert_eq!(
            after["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
            "{after}"
        );
        assert!(after.get("data").is_none_or(Value::is_null), "{after}");
    }
    let status = app
        .as_user(&store, &store.owner)
        .send(
            "query($id: ID!) { order(id: $id) { status } }",
            json!({ "id": order["id"] }),
        )
        .await;
    assert_eq!(status.data()["order"]["status"], "PENDING");
}

/// The first answer to an operation sent over the socket.
async fn answer(socket: &mut Socket, id: &str, query: &str, variables: Value) -> Value {
    socket.subscribe(id, query, variables).await;
    match socket.next(id).await {
        Heard::Next(payload) => payload,
        other => panic!("expected an answer, got {other:?}"),
    }
}

/// The service's PostgreSQL connections (its listener's and its log reader's among them) are killed
/// while an owner listens: the subscription goes on, and hears every order placed, before the fault,
/// while the service was reconnecting and after, each once and in order, with no error. (SQLite has no
/// connection to lose.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscription_survives_a_database_blip() {
    use diesel_async::SimpleAsyncConnection as _;
    let app = TestApp::spawn(Backend::Postgres).await;
    let store = app.store("vendor1").await;
    let product = create_product(&app, &store, "Watch", json!("5.00"), 100).await;
    let mut socket = socket_as(&app, &store, &store.owner).await;
    socket
        .subscribe("placed", "subscription { orderPlaced { id } }", json!({}))
        .await;
    let before = place_ok(&app, &store, &store.customer, json!([line(&product, 1)])).await;
    let mut placed = vec![before["id"].clone()];

    let mut admin = app.admin.unscoped().await.unwrap();
    let killed: diesel::QueryResult<()> = multistore::with_conn!(admin.conn(), |c| c
        .batch_execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        .await);
    killed.unwrap();

    // Orders are placed (retried while the pool finds its connections dead) until three went through.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while placed.len() < 4 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no order went through after the fault"
        );
        let answer = place(
            &app,
            &store,
            &store.customer,
            json!([line(&product, 1)]),
            None,
        )
        .await;
        match answer.body["data"]["placeOrder"]["id"].as_str() {
            Some(id) => placed.push(json!(id)),
            None => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    let mut heard = Vec::new();
    while heard.len() < placed.len() {
        match socket.next("placed").await {
            Heard::Next(payload) if payload.get("errors").is_none() => {
                heard.push(payload["data"]["orderPlaced"]["id"].clone());
            }
            other => panic!("the subscription failed: {other:?}"),
        }
    }
    assert_eq!(heard, placed);
    // Nothing twice: the next thing heard is the next order.
    let sentinel = place_ok(&app, &store, &store.customer, json!([line(&product, 1)])).await;
    match socket.next("placed").await {
        Heard::Next(payload) => assert_eq!(payload["data"]["orderPlaced"]["id"], sentinel["id"]),
        other => panic!("expected the next order, got {other:?}"),
    }
}

/// Money with blanks around it is refused; lines of one product merge within the per-line bound.
async fn money_and_quantities_at_their_edges(app: TestApp) {
    let store = app.store("vendor1").await;
    for price in [" 1.00", "1.00 ", "\t1.00"] {
        let response = app
            .as_user(&store, &store.owner)
            .send(
                "mutation($p: Decimal!) { createProduct(input: { name: \"X\", price: $p, stock: 1 }) { id } }",
                json!({ "p": price }),
            )
            .await;
        assert_eq!(
            (response.code(), response.field()),
            ("BAD_USER_INPUT", "price"),
            "{price:?}"
        );
    }
    let product = create_product(&app, &store, "Bolt", json!("1.00"), 100_000).await;
    let response = place(
        &app,
        &store,
        &store.customer,
        json!([line(&product, 6_000), line(&product, 6_000)]),
        None,
    )
    .await;
    assert_eq!(
        (response.code(), response.field()),
        ("BAD_USER_INPUT", "items.0.quantity")
    );
    assert_eq!(stock_of(&app, &store, &product).await, 100_000);
    place_ok(
        &app,
        &store,
        &store.customer,
        json!([line(&product, 5_000), line(&product, 5_000)]),
    )
    .await;
}

/// A body a web page of another origin could make a browser send without asking (a form, plain text,
/// multipart, or no type) is refused with 415 and runs nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_json_bodies_are_executed() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let mutation = json!({ "query": "mutation { registerVendor(input: { storeName: \"S\", domain: \"csrf.example.com\", username: \"owner\", email: \"o@x.org\", password: \"password123\" }) { accessToken } }" }).to_string();
    let client = reqwest::Client::new();
    for content_type in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
        None,
    ] {
        let mut request = client
            .post(format!("{}/graphql", app.url))
            .body(mutation.clone());
        if let Some(content_type) = content_type {
            request = request.header("Content-Type", content_type);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 415, "{content_type:?}");
        let body: Value = response.json().await.unwrap();
        assert!(body["errors"][0]["extensions"]["code"].is_string());
    }
    // Nothing ran: the domain is still free.
    let response = app
        .gql()
        .tenant("csrf.example.com")
        .send("{ vendor { id } }", json!({}))
        .await;
    response.assert_error(404, "TENANT_NOT_FOUND");
    // JSON with a charset is JSON.
    let response = client
        .post(format!("{}/graphql", app.url))
        .header("Content-Type", "application/json; charset=utf-8")
        .body(json!({ "query": "{ __typename }" }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

/// `nosniff` on every answer, `no-store` on GraphQL answers, and a GraphiQL page no site may frame.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_carry_the_security_headers() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let answer = app.gql().send("{ __typename }", json!({})).await;
    assert_eq!(answer.headers["x-content-type-options"], "nosniff");
    assert_eq!(answer.headers["cache-control"], "no-store");
    let refused = app
        .gql()
        .tenant("nobody.example.com")
        .send("{ __typename }", json!({}))
        .await;
    assert_eq!(refused.headers["cache-control"], "no-store");
    for path in [
        "/healthz",
        "/readyz",
        "/metrics",
        "/nowhere",
        "/graphql?query=%7B__typename%7D",
    ] {
        let response = app.get(path).await;
        assert_eq!(
            response.headers()["x-content-type-options"],
            "nosniff",
            "{path}"
        );
    }
    let page = reqwest::Client::new()
        .get(format!("{}/graphql", app.url))
        .header("Accept", "text/html")
        .send()
        .await
        .unwrap();
    let policy = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    assert_eq!(page.headers()["x-content-type-options"], "nosniff");
}

/// SQLite: with its file made read-only, or deleted while the service runs, `/readyz` says 503 and no
/// write is acknowledged (into a file that would be lost at restart).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_readiness_follows_its_file() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let store = app.store("vendor1").await;
    let multistore::config::DatabaseUrl::Sqlite(path) = app.state.config.database_url.clone()
    else {
        unreachable!()
    };
    let create = |name: &'static str| {
        app.as_user(&store, &store.owner).send(
            "mutation($n: String!) { createProduct(input: { name: $n, price: \"1.00\", stock: 1 }) { id } }",
            json!({ "n": name }),
        )
    };
    create("Before").await.data();

    use std::os::unix::fs::PermissionsExt as _;
    let writable = std::fs::metadata(&path).unwrap().permissions();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
    assert_eq!(app.get("/readyz").await.status(), 503);
    assert_eq!(create("ReadOnly").await.code(), "INTERNAL_SERVER_ERROR");
    std::fs::set_permissions(&path, writable).unwrap();
    assert_eq!(app.get("/readyz").await.status(), 200);

    std::fs::remove_file(&path).unwrap();
    assert_eq!(app.get("/readyz").await.status(), 503);
    for _ in 0..5 {
        let response = create("Lost").await;
        assert_eq!(
            response.code(),
            "INTERNAL_SERVER_ERROR",
            "{:#}",
            response.body
        );
    }
}

/// Orders the customer places and cancels: two events each, with a long address so that replaying
/// them is a lot to send.
async fn orders_placed_and_cancelled(app: &TestApp, store: &Store, product: &Value, count: usize) {
    let address = "A".repeat(500);
    let one = || async {
        let placed = app
            .as_user(store, &store.customer)
            .send(
                "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }",
                json!({ "input": { "items": [line(product, 1)], "address": address } }),
            )
            .await;
        let order = placed.data()["placeOrder"].clone();
        cancel(app, store, &store.customer, &order).await.data();
    };
    // The first alone: its event is the first of the store's log.
    one().await;
    let rest: Vec<usize> = (1..count).collect();
    for batch in rest.chunks(10) {
        futures_util::future::join_all(batch.iter().map(|_| one())).await;
    }
}

/// Waits until the service has run no statement for a while: whatever a client set going has done
/// all it can (or is stuck). Ends by the harness's deadline either way.
async fn until_quiet(app: &TestApp) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let mut last = app.state.db.statements_run();
    let mut quiet = 0;
    while quiet < 3 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let now = app.state.db.statements_run();
        quiet = if now == last { quiet + 1 } else { 0 };
        last = now;
    }
}

/// One customer opens a socket, asks for a hundred replays of a long history (500 events each) and
/// never reads. No subscription holds a database connection while it waits for its client, so
/// everyone else is served as usual: a client of another store and an anonymous one of the same
/// store. When the customer reads at last, every subscription goes on from where it paused, and
/// nothing was lost.
async fn an_unread_socket_holds_no_connection(app: TestApp) {
    const SUBSCRIPTIONS: usize = 100;
    const ORDERS: usize = 250;
    let store = app.store("vendor1").await;
    let other = app.store("vendor2").await;
    let product = create_product(&app, &store, "Watch", json!("1.00"), 1_000_000).await;
    let elsewhere = create_product(&app, &other, "Clock", json!("2.00"), 1_000).await;
    orders_placed_and_cancelled(&app, &store, &product, ORDERS).await;
    let events = app
        .as_user(&store, &store.owner)
        .send("{ orders(first: 100) { totalCount } }", json!({}))
        .await;
    assert_eq!(events.data()["orders"]["totalCount"], ORDERS);
    let first_event: Vec<Id> = app
        .rows(&format!(
            "SELECT MIN(id) AS id FROM order_events WHERE vendor_id = {}",
            store.id
        ))
        .await;

    let mut socket = socket_as(&app, &store, &store.customer).await;
    let query = "subscription($after: ID) { orderEvents(after: $after) { id kind order { id address status } } }";
    for n in 0..SUBSCRIPTIONS {
        socket
            .send(json!({ "id": n.to_string(), "type": "subscribe",
                          "payload": { "query": query, "variables": { "after": first_event[0].id.to_string() } } }))
            .await;
    }
    until_quiet(&app).await;

    for round in 0..5 {
        let listed = app
            .as_user(&other, &other.customer)
            .send("{ products { nodes { id } } me { id } }", json!({}))
            .await;
        assert_eq!(
            listed.data()["products"]["nodes"].as_array().unwrap().len(),
            1,
            "round {round}"
        );
        place_ok(&app, &other, &other.customer, json!([line(&elsewhere, 1)])).await;
        let same_store = app
            .gql()
            .tenant(&store.domain)
            .send("{ products { totalCount } }", json!({}))
            .await;
        assert_eq!(
            same_store.data()["products"]["totalCount"],
            1,
            "round {round}"
        );
    }

    // Every subscription replays every event after the first, each once, in the log's order (commit
    // order, which is not the ids' order under concurrent orders on PostgreSQL).
    let mut heard = vec![Vec::new(); SUBSCRIPTIONS];
    let expected = 2 * ORDERS - 1;
    while heard.iter().any(|ids| ids.len() < expected) {
        let message = match tokio::time::timeout(ARRIVES_WITHIN, socket.receive()).await {
            Ok(Some(Ok(message))) => message,
            other => panic!("the socket ended or went silent: {other:?}"),
        };
        assert_eq!(message["type"], "next", "{message}");
        let n: usize = message["id"].as_str().unwrap().parse().unwrap();
        let event = &message["payload"]["data"]["orderEvents"];
        heard[n].push(event["id"].as_str().unwrap().parse::<i64>().unwrap());
    }
    for ids in &heard {
        assert_eq!(
            ids, &heard[0],
            "every subscription hears the log in one order"
        );
    }
    let mut once = heard[0].clone();
    once.sort_unstable();
    once.dedup();
    assert_eq!(once.len(), expected, "each event once");
    assert!(!once.contains(&first_event[0].id));
}

#[derive(diesel::QueryableByName)]
struct Id {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
}
