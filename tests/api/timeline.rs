//! The order event log: every change of an order is an event of its timeline, written in the change's
//! own transaction (CONTRACT.md section 8).

use diesel::QueryDsl as _;
use diesel_async::RunQueryDsl as _;
use multistore::db::schema::order_events;
use multistore::with_conn;
use serde_json::{Value, json};

use crate::catalog::create_product;
use crate::harness::TestApp;
use crate::on_both_backends;
use crate::orders::{assign, cancel, line, place, place_ok, set_status};

on_both_backends!(
    an_orders_timeline_follows_its_life,
    a_failed_change_records_no_event,
    a_customer_reads_only_first_names_of_the_stores_people,
);

const TIMELINE: &str = "query($id: ID!) { order(id: $id) { id status events { id kind status at
    actor { username } assignedStaff { username } order { id status } } } }";

async fn timeline(app: &TestApp, store: &crate::harness::Store, order: &Value) -> Vec<Value> {
    let response = app
        .as_user(store, &store.owner)
        .send(TIMELINE, json!({ "id": order["id"] }))
        .await;
    response.data()["order"]["events"]
        .as_array()
        .expect("a timeline")
        .clone()
}

async fn an_orders_timeline_follows_its_life(app: TestApp) {
    let store = app.store("vendor1").await;
    let watch = create_product(&app, &store, "Watch", json!("1.00"), 10).await;
    let order = place_ok(&app, &store, &store.customer, json!([line(&watch, 2)])).await;
    assign(&app, &store, &store.owner, &order, &store.staff.id)
        .await
        .data();
    set_status(&app, &store, &store.staff, &order, "PROCESSING")
        .await
        .data();
    cancel(&app, &store, &store.owner, &order).await.data();

    let events = timeline(&app, &store, &order).await;
    let seen: Vec<(&str, &str, &str, Option<&str>)> = events
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap(),
                e["status"].as_str().unwrap(),
                e["actor"]["username"].as_str().unwrap(),
                e["assignedStaff"]["username"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("PLACED", "PENDING", "vendor1_customer", None),
            (
                "ASSIGNED",
                "PENDING",
                "vendor1_owner",
                Some("vendor1_staff")
            ),
            (
                "STATUS_CHANGED",
                "PROCESSING",
                "vendor1_staff",
                Some("vendor1_staff")
            ),
            (
                "CANCELLED",
                "CANCELLED",
                "vendor1_owner",
                Some("vendor1_staff")
            ),
        ]
    );
    let ids: Vec<i64> = events
        .iter()
        .map(|e| e["id"].as_str().unwrap().parse().unwrap())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "oldest first: {ids:?}");
    let times: Vec<&str> = events.iter().map(|e| e["at"].as_str().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    for event in &events {
        assert_eq!(event["order"]["id"], order["id"]);
        assert_eq!(
            event["order"]["status"], "CANCELLED",
            "the order as it is now"
        );
    }

    // A page of orders loads its timelines with it; the customer sees their own order's too.
    let page = app
        .as_user(&store, &store.customer)
        .send(
            "{ myOrders { nodes { id events { kind actor { username } } } } }",
            json!({}),
        )
        .await;
    let kinds: Vec<&str> = page.data()["myOrders"]["nodes"][0]["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["PLACED", "ASSIGNED", "STATUS_CHANGED", "CANCELLED"]);
}

async fn events_recorded(app: &TestApp) -> i64 {
    let mut pooled = app.admin.unscoped().await.unwrap();
    with_conn!(pooled.conn(), |c| order_events::table
        .count()
        .get_result::<i64>(c)
        .await)
    .unwrap()
}

async fn a_failed_change_records_no_event(app: TestApp) {
    let store = app.store("vendor1").await;
    let watch = create_product(&app, &store, "Watch", json!("1.00"), 1).await;
    let refused = place(
        &app,
        &store,
        &store.customer,
        json!([line(&watch, 2)]),
        None,
    )
    .await;
    assert_eq!(refused.code(), "INSUFFICIENT_STOCK");
    assert_eq!(events_recorded(&app).await, 0, "a failed placeOrder");

    let order = place_ok(&app, &store, &store.customer, json!([line(&watch, 1)])).await;
    assert_eq!(events_recorded(&app).await, 1);
    let refused = set_status(&app, &store, &store.owner, &order, "DELIVERED").await;
    assert_eq!(refused.code(), "INVALID_STATUS_TRANSITION");
    let refused = assign(&app, &store, &store.owner, &order, &store.customer.id).await;
    assert_eq!(refused.code(), "BAD_USER_INPUT");
    let refused = cancel(&app, &store, &store.staff, &order).await;
    assert_eq!(refused.code(), "FORBIDDEN");
    assert_eq!(events_recorded(&app).await, 1, "refused changes");
    // An idempotent repeat places nothing, so it records nothing.
    let gum = create_product(&app, &store, "Gum", json!("0.50"), 5).await;
    for _ in 0..2 {
        place(
            &app,
            &store,
            &store.customer,
            json!([line(&gum, 1)]),
            Some("once"),
        )
        .await
        .data();
    }
    assert_eq!(events_recorded(&app).await, 2);
}

const PERSON: &str = "id username email firstName lastName role";

/// A customer meets the store's people on their order (its assignee), on its events (who changed
/// it, the assignee) and over a subscription: of each, only the first name; of themselves, all.
/// The owner and staff read people in full.
async fn a_customer_reads_only_first_names_of_the_stores_people(app: TestApp) {
    let store = app.store("vendor1").await;
    let watch = create_product(&app, &store, "Watch", json!("1.00"), 10).await;
    let order = place_ok(&app, &store, &store.customer, json!([line(&watch, 1)])).await;
    let mut socket = crate::subscriptions::socket_as(&app, &store, &store.customer).await;
    let live = format!(
        "subscription($id: ID) {{ orderUpdated(id: $id) {{ customer {{ {PERSON} }} assignedStaff {{ {PERSON} }} }} }}"
    );
    socket
        .subscribe("mine", &live, json!({ "id": order["id"] }))
        .await;
    assign(&app, &store, &store.owner, &order, &store.staff.id)
        .await
        .data();

    let read = format!(
        "query($id: ID!) {{ order(id: $id) {{ customer {{ {PERSON} }} assignedStaff {{ {PERSON} }}
           events {{ actor {{ {PERSON} }} assignedStaff {{ {PERSON} }} }} }} }}"
    );
    let seen = app
        .as_user(&store, &store.customer)
        .send(&read, json!({ "id": order["id"] }))
        .await;
    let seen = &seen.data()["order"];
    let staff_as_seen = json!({ "id": store.staff.id, "username": "", "email": "", "firstName": "Sam",
                                "lastName": "", "role": "STAFF" });
    let owner_as_seen = json!({ "id": store.owner.id, "username": "", "email": "", "firstName": "Olive",
                                "lastName": "", "role": "OWNER" });
    assert_eq!(seen["assignedStaff"], staff_as_seen);
    assert_eq!(
        seen["customer"]["username"],
        store.customer.username.as_str(),
        "themselves in full"
    );
    assert!(seen["customer"]["email"].as_str().unwrap().contains('@'));
    assert_eq!(seen["events"][1]["actor"], owner_as_seen);
    assert_eq!(seen["events"][1]["assignedStaff"], staff_as_seen);
    assert_eq!(
        seen["events"][0]["actor"]["username"],
        store.customer.username.as_str()
    );

    let heard = socket.next_data("mine").await;
    assert_eq!(heard["orderUpdated"]["assignedStaff"], staff_as_seen);
    assert_eq!(
        heard["orderUpdated"]["customer"]["username"],
        store.customer.username.as_str()
    );

    for insider in [&store.owner, &store.staff] {
        let full = app
            .as_user(&store, insider)
            .send(&read, json!({ "id": order["id"] }))
            .await;
        let full = &full.data()["order"];
        assert_eq!(
            full["assignedStaff"]["username"],
            store.staff.username.as_str()
        );
        assert!(
            full["assignedStaff"]["email"]
                .as_str()
                .unwrap()
                .contains('@')
        );
        assert_eq!(
            full["events"][1]["actor"]["username"],
            store.owner.username.as_str()
        );
        assert_eq!(
            full["customer"]["username"],
            store.customer.username.as_str()
        );
    }
}
