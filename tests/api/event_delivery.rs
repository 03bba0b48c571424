//! Delivery from the event log (CONTRACT.md section 8): a subscriber that reconnects with `after`
//! resumes with no gap and no repeat, and every event is heard once, each order's in its order, however
//! the changes interleave.

use futures_util::future::join_all;
use serde_json::{Value, json};

use crate::catalog::create_product;
use crate::harness::ws::Heard;
use crate::harness::{Store, TestApp};
use crate::on_both_backends;
use crate::orders::{assign, line, place_ok, set_status};
use crate::subscriptions::socket_as;

on_both_backends!(
    a_subscriber_resumes_after_the_last_event_it_heard,
    resuming_from_an_event_not_of_the_store_is_refused,
    concurrent_changes_are_heard_once_each_in_each_orders_order,
);

const EVENTS: &str =
    "subscription($after: ID) { orderEvents(after: $after) { id kind status order { id } } }";

/// (kind, status) of an event heard.
fn what(event: &Value) -> (String, String) {
    (
        event["kind"].as_str().unwrap().to_owned(),
        event["status"].as_str().unwrap().to_owned(),
    )
}

fn pair(kind: &str, status: &str) -> (String, String) {
    (kind.to_owned(), status.to_owned())
}

async fn a_subscriber_resumes_after_the_last_event_it_heard(app: TestApp) {
    let store = app.store("vendor1").await;
    let other = app.store("vendor2").await;
    let watch = create_product(&app, &store, "Watch", json!("1.00"), 10).await;
    let mut owner = socket_as(&app, &store, &store.owner).await;
    owner.subscribe("log", EVENTS, json!({})).await;
    let order = place_ok(&app, &store, &store.customer, json!([line(&watch, 1)])).await;
    let placed = owner.next_data("log").await["orderEvents"].clone();
    assert_eq!(what(&placed), pair("PLACED", "PENDING"));
    assert_eq!(placed["order"]["id"], order["id"]);
    drop(owner);

    // Three events while nobody listens (and one of another store's, which the owner never hears).
    set_status(&app, &store, &store.owner, &order, "PROCESSING")
        .await
        .data();
    assign(&app, &store, &store.owner, &order, &store.staff.id)
        .await
        .data();
    let gadget = create_product(&app, &other, "Gadget", json!("1.00"), 10).await;
    place_ok(&app, &other, &other.customer, json!([line(&gadget, 1)])).await;
    set_status(&app, &store, &store.owner, &order, "SHIPPED")
        .await
        .data();

    let missed = [
        pair("STATUS_CHANGED", "PROCESSING"),
        pair("ASSIGNED", "PROCESSING"),
        pair("STATUS_CHANGED", "SHIPPED"),
    ];
    // The owner, and the customer whose order it is, resume after the event they heard.
    let mut owner = socket_as(&app, &store, &store.owner).await;
    let mut customer = socket_as(&app, &store, &store.customer).await;
    for socket in [&mut owner, &mut customer] {
        socket
            .subscribe("log", EVENTS, json!({ "after": placed["id"] }))
            .await;
        let mut heard = Vec::new();
        for _ in 0..3 {
            heard.push(socket.next_data("log").await["orderEvents"].clone());
        }
        assert_eq!(heard.iter().map(what).collect::<Vec<_>>(), missed);
        assert!(heard.iter().all(|e| e["order"]["id"] == order["id"]));
    }
    // Then live.
    set_status(&app, &store, &store.owner, &order, "DELIVERED")
        .await
        .data();
    for socket in [&mut owner, &mut customer] {
        // The first thing heard after the replay: nothing was heard twice.
        let live = socket.next_data("log").await["orderEvents"].clone();
        assert_eq!(what(&live), pair("STATUS_CHANGED", "DELIVERED"));
    }
    let sentinel = place_ok(&app, &store, &store.customer, json!([line(&watch, 1)])).await;
    for socket in [&mut owner, &mut customer] {
        let next = socket.next_data("log").await["orderEvents"].clone();
        assert_eq!(
            next["order"]["id"], sentinel["id"],
            "nothing else came before it"
        );
    }
    // Staff resume too, hearing an order from its assignment to them on (as live): the status change
    // made before it is not theirs.
    let mut staff = socket_as(&app, &store, &store.staff).await;
    staff
        .subscribe("log", EVENTS, json!({ "after": placed["id"] }))
        .await;
    let mut heard = Vec::new();
    for _ in 0..3 {
        heard.push(what(&staff.next_data("log").await["orderEvents"]));
    }
    assert_eq!(
        heard,
        [
            pair("ASSIGNED", "PROCESSING"),
            pair("STATUS_CHANGED", "SHIPPED"),
            pair("STATUS_CHANGED", "DELIVERED")
        ]
    );
}

async fn refused_code(app: &TestApp, store: &Store, after: Value) -> String {
    let mut socket = socket_as(app, store, &store.owner).await;
    socket
        .subscribe("log", EVENTS, json!({ "after": after }))
        .await;
    match socket.next("log").await {
        Heard::Next(payload) => payload["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("an error: {payload}"))
            .to_owned(),
        other => panic!("expected an error, got {other:?}"),
    }
}

async fn resuming_from_an_event_not_of_the_store_is_refused(app: TestApp) {
    let store = app.store("vendor1").await;
    let other = app.store("vendor2").await;
    let gadget = create_product(&app, &other, "Gadget", json!("1.00"), 10).await;
    let theirs = place_ok(&app, &other, &other.customer, json!([line(&gadget, 1)])).await;
    let timeline = app
        .as_user(&other, &other.owner)
        .send(
            "query($id: ID!) { order(id: $id) { events { id } } }",
            json!({ "id": theirs["id"] }),
        )
        .await;
    let their_event = timeline.data()["order"]["events"][0]["id"].clone();
    for after in [their_event, json!("999999"), json!("abc"), json!("-1")] {
        assert_eq!(
            refused_code(&app, &store, after.clone()).await,
            "BAD_USER_INPUT",
            "{after}"
        );
    }
}

async fn concurrent_changes_are_heard_once_each_in_each_orders_order(app: TestApp) {
    let store = app.store("vendor1").await;
    let watch = create_product(&app, &store, "Watch", json!("1.00"), 100).await;
    let mut owner = socket_as(&app, &store, &store.owner).await;
    owner.subscribe("log", EVENTS, json!({})).await;
    const ORDERS: usize = 8;
    let orders = join_all(
        (0..ORDERS).map(|_| place_ok(&app, &store, &store.customer, json!([line(&watch, 1)]))),
    )
    .await;
    // Each order moves along on its own, all of them at once.
    join_all(orders.iter().map(|order| async {
        for status in ["PROCESSING", "SHIPPED", "DELIVERED"] {
            set_status(&app, &store, &store.owner, order, status)
                .await
                .data();
        }
    }))
    .await;

    let mut heard = Vec::new();
    for _ in 0..ORDERS * 4 {
        heard.push(owner.next_data("log").await["orderEvents"].clone());
    }
    // Nothing more of them: the next thing heard is the next order.
    let sentinel = place_ok(&app, &store, &store.customer, json!([line(&watch, 1)])).await;
    assert_eq!(
        owner.next_data("log").await["orderEvents"]["order"]["id"],
        sentinel["id"]
    );
    let mut ids: Vec<&str> = heard.iter().map(|e| e["id"].as_str().unwrap()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), ORDERS * 4, "every event once");
    for order in &orders {
        let of_order: Vec<(String, String)> = heard
            .iter()
            .filter(|e| e["order"]["id"] == order["id"])
            .map(what)
            .collect();
        assert_eq!(
            of_order,
            [
                pair("PLACED", "PENDING"),
                pair("STATUS_CHANGED", "PROCESSING"),
                pair("STATUS_CHANGED", "SHIPPED"),
                pair("STATUS_CHANGED", "DELIVERED"),
            ]
        );
    }
}
