//! Subscriptions over `/graphql/ws` (graphql-transport-ws): who hears which order events, and how a
//! connection is let in.

use std::time::Duration;

use serde_json::{Value, json};

use crate::catalog::create_product;
use crate::harness::ws::{ARRIVES_WITHIN, Heard, Socket};
use crate::harness::{Account, Backend, Store, TestApp};
use crate::on_both_backends;
use crate::orders::{assign, cancel, line, place, place_ok, set_status};

on_both_backends!(
    owners_and_customers_hear_orders_as_they_change,
    nobody_hears_what_they_may_not_see,
    subscriptions_are_authorized_like_queries,
    connection_init_is_checked_like_a_request,
    a_deactivated_user_stops_hearing,
    a_subscription_ends_when_its_account_stops_working,
    staff_moved_off_an_order_stop_hearing_it,
);

const UPDATED: &str =
    "subscription($id: ID) { orderUpdated(id: $id) { id status assignedStaff { username } } }";
const PLACED: &str = "subscription { orderPlaced { id status total items { productName quantity } customer { username } } }";

/// A socket signed in as `account` of `store`, with the headers in the `connection_init` payload.
pub async fn socket_as(app: &TestApp, store: &Store, account: &Account) -> Socket {
    Socket::connect(&app.url, init_payload(store, account))
        .await
        .expect("connection acknowledged")
}

pub fn init_payload(store: &Store, account: &Account) -> Value {
    json!({ "Authorization": format!("Bearer {}", account.token), "X-Tenant-Domain": store.domain })
}

/// The status (and assignee) of an `orderUpdated` event.
fn update_of(data: &Value) -> (String, String, Value) {
    let order = &data["orderUpdated"];
    (
        order["id"].as_str().unwrap().to_owned(),
        order["status"].as_str().unwrap().to_owned(),
        order["assignedStaff"]["username"].clone(),
    )
}

/// The error code of a subscription's answer, which must be an error followed by its end.
async fn refused(socket: &mut Socket, id: &str) -> String {
    let code = match socket.next(id).await {
        Heard::Next(payload) => payload["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("an error with a code: {payload}"))
            .to_owned(),
        other => panic!("expected an error, got {other:?}"),
    };
    assert!(matches!(socket.next(id).await, Heard::Complete));
    code
}

async fn owners_and_customers_hear_orders_as_they_change(app: TestApp) {
    let store = app.store("shop").await;
    let watch = create_product(&app, &store, "Watch", json!("49.99"), 10).await;
    let mut owner = socket_as(&app, &store, &store.owner).await;
    owner.subscribe("placed", PLACED, json!({})).await;
    owner.subscribe("all", UPDATED, json!({})).await;

    let order = place_ok(&app, &store, &store.customer, json!([line(&watch, 2)])).await;
    let id = order["id"].as_str().unwrap();
    let placed = owner.next_data("placed").await;
    assert_eq!(
        placed["orderPlaced"],
        json!({ "id": id, "status": "PENDING", "total": "99.98",
                "items": [{ "productName": "Watch", "quantity": 2 }],
                "customer": { "username": store.customer.username } })
    );

    let mut customer = socket_as(&app, &store, &store.customer).await;
    customer
        .subscribe("mine", UPDATED, json!({ "id": id }))
        .await;
    set_status(&app, &store, &store.owner, &order, "PROCESSING")
        .await
        .data();
    let expected = (id.to_owned(), "PROCESSING".to_owned(), Value::Null);
    assert_eq!(update_of(&customer.next_data("mine").await), expected);
    assert_eq!(update_of(&owner.next_data("all").await), expected);

    assign(&app, &store, &store.owner, &order, &store.staff.id)
        .await
        .data();
    // The customer reads no one's username but their own (the staff member's is empty to them).
    let assigned = |username: &str| (id.to_owned(), "PROCESSING".to_owned(), json!(username));
    assert_eq!(update_of(&customer.next_data("mine").await), assigned(""));
    assert_eq!(
        update_of(&owner.next_data("all").await),
        assigned(&store.staff.username)
    );

    cancel(&app, &store, &store.owner, &order).await.data();
    let cancelled = |username: &str| (id.to_owned(), "CANCELLED".to_owned(), json!(username));
    assert_eq!(update_of(&customer.next_data("mine").await), cancelled(""));
    assert_eq!(
        update_of(&owner.next_data("all").await),
        cancelled(&store.staff.username)
    );

    // A failed order changes nothing, so nobody hears of it; nor of an idempotent repeat.
    place(
        &app,
        &store,
        &store.customer,
        json!([line(&watch, 11)]),
        None,
    )
    .await
    .assert_error(200, "INSUFFICIENT_STOCK");
    let keyed = || {
        place(
            &app,
            &store,
            &store.customer,
            json!([line(&watch, 1)]),
            Some("k1"),
        )
    };
    let first = keyed().await.data()["placeOrder"]["id"].clone();
    keyed().await.data();
    // Heard once: the next thing heard is the next order (the failed one and the repeat made none).
    let sentinel = place_ok(&app, &store, &store.customer, json!([line(&watch, 1)])).await;
    for expected in [&first, &sentinel["id"]] {
        assert_eq!(
            &owner.next_data("placed").await["orderPlaced"]["id"],
            expected
        );
    }
    // Unsubscribing ends the stream (the server confirms with `complete`); an order after it goes
    // to the socket's other subscription only.
    owner
        .send(json!({ "id": "placed", "type": "complete" }))
        .await;
    assert!(matches!(owner.next("placed").await, Heard::Complete));
    owner.subscribe("after", PLACED, json!({})).await;
    let later = place_ok(&app, &store, &store.customer, json!([line(&watch, 1)])).await;
    match owner.receive().await {
        Some(Ok(message)) => {
            assert_eq!(message["id"], "after", "{message}");
            assert_eq!(message["payload"]["data"]["orderPlaced"]["id"], later["id"]);
        }
        other => panic!("expected the order on the other subscription, got {other:?}"),
    }
}

async fn nobody_hears_what_they_may_not_see(app: TestApp) {
    let store = app.store("shop").await;
    let other = app.store("other").await;
    let watch = create_product(&app, &store, "Watch", json!("49.99"), 10).await;
    let second_customer = app.register_customer(&store.domain, "shop_second").await;

    let mut other_owner = socket_as(&app, &other, &other.owner).await;
    other_owner.subscribe("placed", PLACED, json!({})).await;
    other_owner.subscribe("all", UPDATED, json!({})).await;
    let mut stranger = socket_as(&app, &store, &second_customer).await;
    stranger.subscribe("all", UPDATED, json!({})).await;
    let mut staff = socket_as(&app, &store, &store.staff).await;
    staff.subscribe("all", UPDATED, json!({})).await;
    staff
        .subscribe(
            "log",
            "subscription { orderEvents { kind status } }",
            json!({}),
        )
        .await;

    let order = place_ok(&app, &store, &store.customer, json!([line(&watch, 1)])).await;
    set_status(&app, &store, &store.owner, &order, "PROCESSING")
        .await
        .data();
    // Staff hear an order once it is theirs, and from then on.
    assign(&app, &store, &store.owner, &order, &store.staff.id)
        .await
        .data();
    let heard = update_of(&staff.next_data("all").await);
    assert_eq!(heard.2, json!(store.staff.username));
    set_status(&app, &store, &store.staff, &order, "SHIPPED")
        .await
        .data();
    assert_eq!(update_of(&staff.next_data("all").await).1, "SHIPPED");

    // Staff heard the order from its assignment on, and nothing before: not its placing, not the
    // change made before it was theirs.
    let log: Vec<Value> = vec![
        staff.next_data("log").await["orderEvents"].clone(),
        staff.next_data("log").await["orderEvents"].clone(),
    ];
    assert_eq!(
        log,
        [
            json!({ "kind": "ASSIGNED", "status": "PROCESSING" }),
            json!({ "kind": "STATUS_CHANGED", "status": "SHIPPED" })
        ]
    );
    // Every other subscriber's first event is one of their own, made after all of the above: nothing
    // of the order they may not see came before it.
    let own = place_ok(&app, &store, &second_customer, json!([line(&watch, 1)])).await;
    set_status(&app, &store, &store.owner, &own, "PROCESSING")
        .await
        .data();
    assert_eq!(
        update_of(&stranger.next_data("all").await).0,
        own["id"].as_str().unwrap()
    );
    let clock = create_product(&app, &other, "Clock", json!("1.00"), 10).await;
    let theirs = place_ok(&app, &other, &other.customer, json!([line(&clock, 1)])).await;
    set_status(&app, &other, &other.owner, &theirs, "PROCESSING")
        .await
        .data();
    assert_eq!(
        other_owner.next_data("placed").await["orderPlaced"]["id"],
        theirs["id"]
    );
    assert_eq!(
        update_of(&other_owner.next_data("all").await).0,
        theirs["id"].as_str().unwrap()
    );

    // An order the caller may not see cannot be named: it does not exist for them.
    let id = json!({ "id": order["id"] });
    stranger.subscribe("theirs", UPDATED, id.clone()).await;
    assert_eq!(refused(&mut stranger, "theirs").await, "NOT_FOUND");
    other_owner.subscribe("foreign", UPDATED, id).await;
    assert_eq!(refused(&mut other_owner, "foreign").await, "NOT_FOUND");
    other_owner
        .subscribe("junk", UPDATED, json!({ "id": "not-an-id" }))
        .await;
    assert_eq!(refused(&mut other_owner, "junk").await, "NOT_FOUND");
}

async fn subscriptions_are_authorized_like_queries(app: TestApp) {
    let store = app.store("shop").await;
    let mut customer = socket_as(&app, &store, &store.customer).await;
    customer.subscribe("placed", PLACED, json!({})).await;
    assert_eq!(refused(&mut customer, "placed").await, "FORBIDDEN");

    let mut anonymous = Socket::connect(&app.url, json!({ "X-Tenant-Domain": store.domain }))
        .await
        .expect("an anonymous connection is let in");
    anonymous.subscribe("all", UPDATED, json!({})).await;
    assert_eq!(refused(&mut anonymous, "all").await, "UNAUTHENTICATED");

    // Documents are checked as over HTTP.
    anonymous
        .subscribe("typo", "subscription { orderUpdate { id } }", json!({}))
        .await;
    assert_eq!(
        refused(&mut anonymous, "typo").await,
        "GRAPHQL_VALIDATION_FAILED"
    );

    // Queries work over the socket too, with the connection's identity.
    let mut owner = socket_as(&app, &store, &store.owner).await;
    owner
        .subscribe("me", "{ me { username role } }", json!({}))
        .await;
    assert_eq!(
        owner.next_data("me").await,
        json!({ "me": { "username": store.owner.username, "role": "OWNER" } })
    );
}

async fn connection_init_is_checked_like_a_request(app: TestApp) {
    let store = app.store("shop").await;
    let other = app.store("other").await;
    let rejected = |result: Result<Socket, (u16, String)>| match result {
        Ok(_) => panic!("the connection should be refused"),
        Err((code, reason)) => (code, reason.split(':').next().unwrap().to_owned()),
    };
    let forbidden = |code: &str| (4403, code.to_owned());

    let bad_token = json!({ "Authorization": "Bearer nonsense", "X-Tenant-Domain": store.domain });
    assert_eq!(
        rejected(Socket::connect(&app.url, bad_token).await),
        forbidden("UNAUTHENTICATED")
    );
    let unknown = json!({ "X-Tenant-Domain": "nowhere.example" });
    assert_eq!(
        rejected(Socket::connect(&app.url, unknown).await),
        forbidden("TENANT_NOT_FOUND")
    );
    let crossed = init_payload(&other, &store.owner);
    assert_eq!(
        rejected(Socket::connect(&app.url, crossed).await),
        forbidden("FORBIDDEN")
    );
    let not_text = json!({ "token": 42 });
    assert_eq!(
        rejected(Socket::connect(&app.url, not_text).await),
        forbidden("BAD_USER_INPUT")
    );

    // `token` and `tenant`, or headers nested under `headers`, work as well; a token names its store.
    let short = json!({ "token": store.customer.token, "tenant": store.domain });
    let nested = json!({ "headers": { "authorization": format!("Bearer {}", store.owner.token) } });
    for payload in [short, nested] {
        let mut socket = Socket::connect(&app.url, payload).await.expect("accepted");
        socket
            .subscribe("me", "{ me { username } vendor { domain } }", json!({}))
            .await;
        assert_eq!(
            socket.next_data("me").await["vendor"]["domain"],
            json!(store.domain)
        );
    }

    // Subscribing before connection_init is refused with 4401, as the protocol says.
    let mut early = Socket::open(&app.url).await;
    early
        .send(json!({ "id": "1", "type": "subscribe", "payload": { "query": UPDATED } }))
        .await;
    assert!(matches!(early.receive().await, Some(Err((4401, _)))));
}

async fn a_deactivated_user_stops_hearing(app: TestApp) {
    let store = app.store("shop").await;
    let watch = create_product(&app, &store, "Watch", json!("49.99"), 10).await;
    let order = place_ok(&app, &store, &store.customer, json!([line(&watch, 1)])).await;
    assign(&app, &store, &store.owner, &order, &store.staff.id)
        .await
        .data();
    let mut staff = socket_as(&app, &store, &store.staff).await;
    staff.subscribe("all", UPDATED, json!({})).await;
    app.deactivate_staff(&store, &store.staff).await;
    set_status(&app, &store, &store.owner, &order, "PROCESSING")
        .await
        .data();
    // The assignment, made just before the subscription, may still come first (each instance reads
    // the log a moment after a commit); nothing made after the deactivation does.
    loop {
        match staff.next("all").await {
            Heard::Next(payload) if payload["data"]["orderUpdated"]["status"] == "PENDING" => {}
            Heard::Next(payload) => {
                assert_eq!(
                    payload["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
                    "{payload}"
                );
                break;
            }
            other => panic!("expected an error, got {other:?}"),
        }
    }
    assert!(matches!(staff.next("all").await, Heard::Complete));
}

/// The error that ends a subscription, then its `complete`.
async fn ended_with(socket: &mut Socket, id: &str) -> String {
    let code = match socket.next(id).await {
        Heard::Next(payload) => payload["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("an error, got {payload}"))
            .to_owned(),
        other => panic!("expected an error, got {other:?}"),
    };
    assert!(matches!(socket.next(id).await, Heard::Complete));
    code
}

/// A deactivated user's subscriptions end with `UNAUTHENTICATED` when the instance hears of the
/// deactivation, with no event to wait for: a client can tell a dead subscription from a quiet one.
/// Every kind of subscription, and only that user's.
async fn a_subscription_ends_when_its_account_stops_working(app: TestApp) {
    let store = app.store("shop").await;
    let other_staff = app
        .add_staff(&store.domain, &store.owner, "shop_other")
        .await;
    let mut staff = socket_as(&app, &store, &store.staff).await;
    staff.subscribe("all", UPDATED, json!({})).await;
    staff.subscribe("placed", PLACED, json!({})).await;
    staff
        .subscribe("log", "subscription { orderEvents { id } }", json!({}))
        .await;
    let mut colleague = socket_as(&app, &store, &other_staff).await;
    colleague.subscribe("all", UPDATED, json!({})).await;

    app.deactivate_staff(&store, &store.staff).await;
    // Each ends with the error, then its `complete` (read in whatever order they come).
    let mut ended = std::collections::BTreeMap::new();
    while ended.values().filter(|(_, complete)| *complete).count() < 3 {
        let message = match tokio::time::timeout(ARRIVES_WITHIN, staff.receive()).await {
            Ok(Some(Ok(message))) => message,
            other => panic!("the subscriptions did not end: {other:?}"),
        };
        let id = message["id"].as_str().unwrap().to_owned();
        let entry = ended.entry(id).or_insert((String::new(), false));
        match message["type"].as_str() {
            Some("next") => {
                entry.0 = message["payload"]["errors"][0]["extensions"]["code"]
                    .as_str()
                    .unwrap_or_else(|| panic!("an error: {message}"))
                    .to_owned();
            }
            Some("complete") => entry.1 = true,
            other => panic!("unexpected {other:?}: {message}"),
        }
    }
    for id in ["all", "placed", "log"] {
        assert_eq!(ended[id], ("UNAUTHENTICATED".to_owned(), true), "{id}");
    }
    // The colleague's subscription goes on: it hears the next change.
    let watch = create_product(&app, &store, "Watch", json!("1.00"), 5).await;
    let order = place_ok(&app, &store, &store.customer, json!([line(&watch, 1)])).await;
    assign(&app, &store, &store.owner, &order, &other_staff.id)
        .await
        .data();
    assert_eq!(
        update_of(&colleague.next_data("all").await).0,
        order["id"].as_str().unwrap()
    );
}

/// On PostgreSQL with two instances: a subscription on one ends when the user is deactivated through
/// the other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deactivation_on_one_instance_ends_subscriptions_on_another() {
    use crate::harness::process::Instance;
    let app = TestApp::spawn(Backend::Postgres).await;
    let database_url = &app.database();
    let store = app.store("shop").await;
    let other = Instance::start(database_url).await;
    let mut staff = Socket::connect(&other.url, init_payload(&store, &store.staff))
        .await
        .expect("connection acknowledged");
    staff.subscribe("all", UPDATED, json!({})).await;
    app.deactivate_staff(&store, &store.staff).await;
    assert_eq!(ended_with(&mut staff, "all").await, "UNAUTHENTICATED");
}

/// A socket lives no longer than its access token: at expiry it closes, and the client reconnects with
/// a fresh token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_socket_closes_when_its_token_expires() {
    let app = TestApp::spawn_with(Backend::Sqlite, |config| {
        config.access_token_ttl = Duration::from_secs(2);
    })
    .await;
    let store = app.store("shop").await;
    let mut owner = socket_as(&app, &store, &store.owner).await;
    owner.subscribe("all", UPDATED, json!({})).await;
    match owner.next("all").await {
        Heard::Closed(code, reason) => {
            assert_eq!(code, 4403);
            assert!(reason.starts_with("UNAUTHENTICATED"), "{reason}");
        }
        other => panic!("expected the socket to close, got {other:?}"),
    }
}

/// A staff member hears an order while it is assigned to them; once it is assigned to a colleague they
/// hear nothing more of it (the reassignment included): the next thing they hear is a change of an
/// order still theirs.
async fn staff_moved_off_an_order_stop_hearing_it(app: TestApp) {
    let store = app.store("shop").await;
    let colleague = app
        .add_staff(&store.domain, &store.owner, "shop_colleague")
        .await;
    let watch = create_product(&app, &store, "Watch", json!("1.00"), 10).await;
    let moved = place_ok(&app, &store, &store.customer, json!([line(&watch, 1)])).await;
    let kept = place_ok(&app, &store, &store.customer, json!([line(&watch, 1)])).await;
    let mut staff = socket_as(&app, &store, &store.staff).await;
    staff.subscribe("all", UPDATED, json!({})).await;
    assign(&app, &store, &store.owner, &moved, &store.staff.id)
        .await
        .data();
    assert_eq!(
        update_of(&staff.next_data("all").await).0,
        moved["id"].as_str().unwrap()
    );

    assign(&app, &store, &store.owner, &moved, &colleague.id)
        .await
        .data();
    set_status(&app, &store, &store.owner, &moved, "PROCESSING")
        .await
        .data();
    assign(&app, &store, &store.owner, &kept, &store.staff.id)
        .await
        .data();
    assert_eq!(
        update_of(&staff.next_data("all").await).0,
        kept["id"].as_str().unwrap(),
        "nothing of the order moved away came first"
    );
}
