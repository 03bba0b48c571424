//! Several instances on one PostgreSQL database, as behind a load balancer: two server processes (the
//! real binary) with one signing secret. A token issued by one works on the other, and an order event
//! made on one reaches a subscriber connected to the other.

use serde_json::json;

use crate::harness::process::Instance;
use crate::harness::ws::Socket;
use crate::harness::{Backend, TestApp};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_tokens_and_events() {
    // The test's own service prepares the database; the two instances are separate processes on it.
    let app = TestApp::spawn(Backend::Postgres).await;
    let database_url = &app.database();
    let store = app.store("shop").await;
    let (a, b) = tokio::join!(Instance::start(database_url), Instance::start(database_url));
    let domain = store.domain.as_str();

    // A token from one instance is good on the other.
    let login = "mutation($input: LoginInput!) { login(input: $input) { accessToken } }";
    let credentials =
        json!({ "input": { "username": store.owner.username, "password": "password123" } });
    let owner_token = a.data(domain, None, login, credentials).await["login"]["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let me = b
        .data(domain, Some(&owner_token), "{ me { username } }", json!({}))
        .await;
    assert_eq!(me["me"]["username"], json!(store.owner.username));

    // The owner listens on B; a customer orders on A, the owner moves it along on A.
    let mut owner_on_b = Socket::connect(&b.url, json!({ "token": owner_token, "tenant": domain }))
        .await
        .expect("connection acknowledged");
    owner_on_b
        .subscribe(
            "placed",
            "subscription { orderPlaced { id total } }",
            json!({}),
        )
        .await;
    owner_on_b
        .subscribe(
            "updated",
            "subscription { orderUpdated { id status } }",
            json!({}),
        )
        .await;
    let product = a
        .data(
            domain,
            Some(&owner_token),
            "mutation { createProduct(input: { name: \"Watch\", price: \"10.00\", stock: 5 }) { id } }",
            json!({}),
        )
        .await["createProduct"]["id"]
        .clone();
    let placed = a
        .data(
            domain,
            Some(&store.customer.token),
            "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }",
            json!({ "input": { "items": [{ "productId": product, "quantity": 2 }], "address": "1 Main Street" } }),
        )
        .await["placeOrder"]["id"]
        .clone();
    assert_eq!(
        owner_on_b.next_data("placed").await["orderPlaced"],
        json!({ "id": placed, "total": "20.00" })
    );

    // The customer listens on A to the order; the owner changes it on B.
    let mut customer_on_a = Socket::connect(
        &a.url,
        json!({ "token": store.customer.token, "tenant": domain }),
    )
    .await
    .expect("connection acknowledged");
    customer_on_a
        .subscribe(
            "mine",
            "subscription($id: ID) { orderUpdated(id: $id) { id status } }",
            json!({ "id": placed }),
        )
        .await;
    b.data(
        domain,
        Some(&owner_token),
        "mutation($id: ID!) { updateOrderStatus(id: $id, status: PROCESSING) { id } }",
        json!({ "id": placed }),
    )
    .await;
    let expected = json!({ "orderUpdated": { "id": placed, "status": "PROCESSING" } });
    assert_eq!(customer_on_a.next_data("mine").await, expected);
    assert_eq!(owner_on_b.next_data("updated").await, expected);
}

/// Each instance remembers which accounts work (so a signed-in request costs one round trip, not two);
/// a deactivation made on one instance still stops the token on the others at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deactivation_stops_the_token_on_every_instance_at_once() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let database_url = &app.database();
    let store = app.store("shop").await;
    let other = Instance::start(database_url).await;
    let client = reqwest::Client::new();
    let me_on_other = async || -> u16 {
        client
            .post(format!("{}/graphql", other.url))
            .header("Authorization", format!("Bearer {}", store.staff.token))
            .json(&json!({ "query": "{ me { id } }" }))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    };
    // The other instance has seen the staff member's account work (and remembers it).
    assert_eq!(me_on_other().await, 200);
    assert_eq!(me_on_other().await, 200);
    // It remembers accounts with no time limit: only the notification makes it forget.
    app.deactivate_staff(&store, &store.staff).await;
    crate::harness::eventually(
        "the other instance refuses the deactivated staff member's token",
        async || me_on_other().await == 401,
    )
    .await;
}
