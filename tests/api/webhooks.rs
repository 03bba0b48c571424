//! Store webhooks (CONTRACT.md section 8): the owner's endpoints, signed deliveries retried until
//! answered, at least once across restarts, once per attempt across instances, and no private
//! addresses without the flag.

use std::collections::HashMap;
use std::time::Duration;

use hmac::{Hmac, Mac as _};
use multistore::config::Config;
use serde_json::{Value, json};
use sha2::Sha256;

use crate::catalog::create_product;
use crate::harness::database::TestDatabase;
use crate::harness::process::Instance;
use crate::harness::receiver::{Received, Receiver, free_port};
use crate::harness::{Backend, Store, TestApp};
use crate::orders::{line, place_ok, set_status};

/// Loopback receivers are allowed, and retries come after 100 ms instead of 10 s.
fn for_tests(config: &mut Config) {
    config.webhook_allow_private = true;
    config.webhook_retry_base = Duration::from_millis(100);
}

const TEST_ENV: &[(&str, &str)] = &[
    ("MULTISTORE_WEBHOOK_ALLOW_PRIVATE", "true"),
    ("MULTISTORE_WEBHOOK_RETRY_BASE_MS", "100"),
];

macro_rules! on_both_backends_for_webhooks {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let app = $crate::harness::TestApp::spawn_with(
                        $crate::harness::Backend::Sqlite, super::for_tests).await;
                    super::$name(app).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    let app = $crate::harness::TestApp::spawn_with(
                        $crate::harness::Backend::Postgres, super::for_tests).await;
                    super::$name(app).await;
                }
            }
        )*
    };
}

on_both_backends_for_webhooks!(
    owners_manage_their_webhooks,
    a_delivery_is_signed_and_retried_until_answered,
    a_hanging_receiver_holds_only_its_own_share,
    a_suspended_stores_deliveries_wait_for_its_reactivation,
    concurrent_creations_never_pass_the_bound,
);

crate::on_both_backends!(private_addresses_are_refused_without_the_flag);

const CREATE: &str = "mutation($input: CreateWebhookInput!) { createWebhook(input: $input) {
    secret webhook { id url events createdAt } } }";
const DELIVERIES: &str = "query($id: ID!) { webhookDeliveries(webhookId: $id) { totalCount
    nodes { id eventId status attempts lastStatusCode nextAttemptAt createdAt } } }";

async fn create_webhook(
    app: &TestApp,
    store: &Store,
    url: &str,
    events: Value,
) -> (String, String) {
    let created = app
        .as_user(store, &store.owner)
        .send(CREATE, json!({ "input": { "url": url, "events": events } }))
        .await;
    let created = &created.data()["createWebhook"];
    (
        created["webhook"]["id"].as_str().unwrap().to_owned(),
        created["secret"].as_str().unwrap().to_owned(),
    )
}

/// Whether `received` is signed with `secret` as the contract says.
fn signed_with(received: &Received, secret: &str) -> bool {
    let Some((t, v1)) = received
        .signature
        .strip_prefix("t=")
        .and_then(|rest| rest.split_once(",v1="))
    else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{}", received.body).as_bytes());
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    expected == v1
}

async fn owners_manage_their_webhooks(app: TestApp) {
    let store = app.store("vendor1").await;
    let other = app.store("vendor2").await;
    let (id, secret) = create_webhook(
        &app,
        &store,
        "https://hooks.example.com/in",
        json!(["ORDER_PLACED"]),
    )
    .await;
    assert!(
        secret.starts_with("whsec_") && secret.len() > 30,
        "{secret}"
    );
    let listed = app
        .as_user(&store, &store.owner)
        .send("{ webhooks { id url events } }", json!({}))
        .await;
    assert_eq!(
        listed.data()["webhooks"],
        json!([{ "id": id, "url": "https://hooks.example.com/in", "events": ["ORDER_PLACED"] }])
    );

    // Only the owner, and only of their store.
    for account in [&store.staff, &store.customer] {
        let refused = app
            .as_user(&store, account)
            .send(
                CREATE,
                json!({ "input": { "url": "https://a.example.com/", "events": ["ORDER_PLACED"] } }),
            )
            .await;
        assert_eq!(refused.code(), "FORBIDDEN");
        let refused = app
            .as_user(&store, account)
            .send("{ webhooks { id } }", json!({}))
            .await;
        assert_eq!(refused.code(), "FORBIDDEN");
    }
    let theirs = app.as_user(&other, &other.owner);
    assert_eq!(
        theirs.send("{ webhooks { id } }", json!({})).await.data()["webhooks"],
        json!([])
    );
    let refused = app
        .as_user(&other, &other.owner)
        .send(
            "mutation($id: ID!) { deleteWebhook(id: $id) }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(refused.code(), "NOT_FOUND");
    let refused = app
        .as_user(&other, &other.owner)
        .send(DELIVERIES, json!({ "id": id }))
        .await;
    assert_eq!(refused.code(), "NOT_FOUND");

    // Bad input changes nothing.
    for (url, events, field) in [
        ("ftp://hooks.example.com/", json!(["ORDER_PLACED"]), "url"),
        ("not a url", json!(["ORDER_PLACED"]), "url"),
        ("https://hooks.example.com/", json!([]), "events"),
    ] {
        let refused = app
            .as_user(&store, &store.owner)
            .send(CREATE, json!({ "input": { "url": url, "events": events } }))
            .await;
        assert_eq!(
            (refused.code(), refused.field()),
            ("BAD_USER_INPUT", field),
            "{url}"
        );
    }

    let deleted = app
        .as_user(&store, &store.owner)
        .send(
            "mutation($id: ID!) { deleteWebhook(id: $id) }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(deleted.data()["deleteWebhook"], true);
    let listed = app
        .as_user(&store, &store.owner)
        .send("{ webhooks { id } }", json!({}))
        .await;
    assert_eq!(listed.data()["webhooks"], json!([]));
}

async fn private_addresses_are_refused_without_the_flag(app: TestApp) {
    let store = app.store("vendor1").await;
    for url in [
        "http://hooks.example.com/",
        "https://127.0.0.1/hook",
        "https://localhost/hook",
        "https://10.0.0.7/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hook",
        "https://[::ffff:192.168.1.1]/hook",
    ] {
        let refused = app
            .as_user(&store, &store.owner)
            .send(
                CREATE,
                json!({ "input": { "url": url, "events": ["ORDER_PLACED"] } }),
            )
            .await;
        assert_eq!(
            (refused.code(), refused.field()),
            ("BAD_USER_INPUT", "url"),
            "{url}"
        );
    }
    let listed = app
        .as_user(&store, &store.owner)
        .send("{ webhooks { id } }", json!({}))
        .await;
    assert_eq!(listed.data()["webhooks"], json!([]));
}

async fn a_delivery_is_signed_and_retried_until_answered(app: TestApp) {
    let store = app.store("vendor1").await;
    let receiver = Receiver::start(2).await;
    let (webhook, secret) =
        create_webhook(&app, &store, &receiver.url, json!(["ORDER_PLACED"])).await;
    let watch = create_product(&app, &store, "Watch", json!("49.99"), 10).await;
    let order = place_ok(&app, &store, &store.customer, json!([line(&watch, 2)])).await;

    // Two 500s, then the 200: three requests of the same event, then no more (once it is recorded
    // as delivered no attempt can follow).
    let received = receiver.wait_for(3).await;
    crate::harness::eventually("the delivery is recorded as delivered", async || {
        delivery_of(&app, &store, &webhook).await.0 == "DELIVERED"
    })
    .await;
    assert_eq!(receiver.received().len(), 3);
    assert!(received.iter().all(|r| r.event_id == received[0].event_id));
    assert!(
        received.iter().all(|r| signed_with(r, &secret)),
        "{received:?}"
    );
    assert!(!signed_with(&received[0], "whsec_another"));
    let body: Value = serde_json::from_str(&received[2].body).unwrap();
    assert_eq!(body["id"], json!(received[0].event_id));
    assert_eq!(body["type"], "order.placed");
    assert_eq!(body["storeId"], json!(store.id));
    assert!(body["occurredAt"].as_str().unwrap().ends_with('Z'));
    let sent = &body["data"]["order"];
    assert_eq!(sent["id"], order["id"]);
    assert_eq!(sent["status"], "PENDING");
    assert_eq!(sent["total"], "99.98");
    assert_eq!(sent["customerId"], json!(store.customer.id));
    assert_eq!(
        sent["items"],
        json!([{ "productId": watch["id"], "productName": "Watch", "unitPrice": "49.99",
                 "quantity": 2, "lineTotal": "99.98" }])
    );

    // The owner sees it delivered; an event it is not registered for is not sent.
    let deliveries = app
        .as_user(&store, &store.owner)
        .send(DELIVERIES, json!({ "id": webhook }))
        .await;
    let page = &deliveries.data()["webhookDeliveries"];
    assert_eq!(page["totalCount"], 1);
    let delivery = &page["nodes"][0];
    assert_eq!(
        (
            &delivery["status"],
            &delivery["attempts"],
            &delivery["lastStatusCode"],
            &delivery["nextAttemptAt"]
        ),
        (&json!("DELIVERED"), &json!(3), &json!(200), &Value::Null)
    );
    assert_eq!(delivery["eventId"], json!(received[0].event_id));
    // A change is `order.updated`, to an endpoint registered for it.
    let updates = Receiver::start(0).await;
    let (_, update_secret) =
        create_webhook(&app, &store, &updates.url, json!(["ORDER_UPDATED"])).await;
    set_status(&app, &store, &store.owner, &order, "PROCESSING")
        .await
        .data();
    let update = updates.wait_for(1).await[0].clone();
    assert!(signed_with(&update, &update_secret));
    let body: Value = serde_json::from_str(&update.body).unwrap();
    assert_eq!(
        (
            &body["type"],
            &body["data"]["order"]["id"],
            &body["data"]["order"]["status"]
        ),
        (&json!("order.updated"), &order["id"], &json!("PROCESSING"))
    );
    // The placing came before the endpoint was registered: the change is its first and only
    // delivery. The first endpoint, registered for placings only, got no delivery of the change (an
    // event's deliveries are all written at once, before any is sent).
    assert_eq!(updates.received().len(), 1);
    let first_endpoint = app
        .as_user(&store, &store.owner)
        .send(DELIVERIES, json!({ "id": webhook }))
        .await;
    assert_eq!(first_endpoint.data()["webhookDeliveries"]["totalCount"], 1);
    assert_eq!(receiver.received().len(), 3);

    // Asked for again, it is sent once more.
    let again = app
        .as_user(&store, &store.owner)
        .send(
            "mutation($id: ID!) { redeliverWebhook(deliveryId: $id) { id status } }",
            json!({ "id": delivery["id"] }),
        )
        .await;
    assert_eq!(again.data()["redeliverWebhook"]["status"], "PENDING");
    let received = receiver.wait_for(4).await;
    assert_eq!(received[3].event_id, received[0].event_id);
    let other = app.store("vendor2").await;
    let refused = app
        .as_user(&other, &other.owner)
        .send(
            "mutation($id: ID!) { redeliverWebhook(deliveryId: $id) { id } }",
            json!({ "id": delivery["id"] }),
        )
        .await;
    assert_eq!(refused.code(), "NOT_FOUND");
}

/// A store opened through an instance: (domain, owner token, customer token).
async fn open_store(instance: &Instance, name: &str) -> (String, String, String) {
    let domain = format!("{name}.example.com");
    let opened = instance
        .data(
            "",
            None,
            "mutation($input: RegisterVendorInput!) { registerVendor(input: $input) { accessToken } }",
            json!({ "input": { "storeName": name, "domain": domain, "username": "owner",
                    "email": format!("owner@{domain}"), "password": "password123" } }),
        )
        .await;
    let customer = instance
        .data(
            &domain,
            None,
            "mutation($input: RegisterInput!) { register(input: $input) { accessToken } }",
            json!({ "input": { "username": "buyer", "email": "buyer@mail.example.org",
                    "password": "password123" } }),
        )
        .await;
    (
        domain,
        opened["registerVendor"]["accessToken"]
            .as_str()
            .unwrap()
            .to_owned(),
        customer["register"]["accessToken"]
            .as_str()
            .unwrap()
            .to_owned(),
    )
}

/// Registers a webhook for every event and returns a product to order.
async fn prepare(instance: &Instance, domain: &str, owner: &str, url: &str) -> Value {
    instance
        .data(
            domain,
            Some(owner),
            CREATE,
            json!({ "input": { "url": url, "events": ["ORDER_PLACED", "ORDER_UPDATED"] } }),
        )
        .await;
    instance
        .data(
            domain,
            Some(owner),
            "mutation { createProduct(input: { name: \"Watch\", price: \"1.00\", stock: 100 }) { id } }",
            json!({}),
        )
        .await["createProduct"]["id"]
        .clone()
}

async fn order_on(instance: &Instance, domain: &str, customer: &str, product: &Value) {
    instance
        .data(
            domain,
            Some(customer),
            "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }",
            json!({ "input": { "items": [{ "productId": product, "quantity": 1 }], "address": "1 Main Street" } }),
        )
        .await;
}

/// Deliveries of the database at `url` not yet delivered.
async fn undelivered(url: &str) -> i64 {
    count(
        url,
        "SELECT COUNT(*) AS n FROM webhook_deliveries WHERE status <> 'delivered'",
    )
    .await
}

async fn count(url: &str, sql: &str) -> i64 {
    use diesel_async::{AsyncConnection as _, AsyncPgConnection, RunQueryDsl as _};
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = AsyncPgConnection::establish(url).await.unwrap();
    let rows: Vec<Count> = diesel::sql_query(sql).load(&mut conn).await.unwrap();
    rows[0].n
}

fn postgres_url(database: &TestDatabase) -> String {
    match &database.url {
        multistore::config::DatabaseUrl::Postgres(url) => url.clone(),
        multistore::config::DatabaseUrl::Sqlite(_) => unreachable!(),
    }
}

/// Two server processes on one PostgreSQL database, each delivering: a receiver that answers 500
/// twice to every event gets each event exactly three times, whichever instance made it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_two_instances_no_attempt_is_made_twice() {
    let database = TestDatabase::create(Backend::Postgres).await;
    let url = postgres_url(&database);
    let (a, b) = tokio::join!(
        Instance::start_with(&url, TEST_ENV),
        Instance::start_with(&url, TEST_ENV)
    );
    let receiver = Receiver::start(2).await;
    let (domain, owner, customer) = open_store(&a, "twin").await;
    let product = prepare(&a, &domain, &owner, &receiver.url).await;
    const ORDERS: usize = 6;
    for n in 0..ORDERS {
        let instance = if n % 2 == 0 { &a } else { &b };
        order_on(instance, &domain, &customer, &product).await;
    }
    receiver.wait_for(ORDERS * 3).await;
    // Once every delivery is recorded as delivered no attempt can follow: count then.
    crate::harness::eventually("every delivery is recorded as delivered", async || {
        undelivered(&url).await == 0
    })
    .await;
    let mut per_event: HashMap<String, usize> = HashMap::new();
    for received in receiver.received() {
        *per_event.entry(received.event_id).or_default() += 1;
    }
    assert_eq!(per_event.len(), ORDERS);
    assert!(per_event.values().all(|n| *n == 3), "{per_event:?}");
}

/// The receiver is down while the only instance stops and another starts: the new one delivers every
/// event once the receiver is back. On both databases.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_down_while_the_service_restarts_gets_every_event() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        receiver_down_across_a_restart(backend).await;
    }
}

/// How many of the store's deliveries were attempted, as its owner's listing through `instance` says.
async fn attempted_through(instance: &Instance, domain: &str, owner: &str) -> usize {
    let hooks = instance
        .data(domain, Some(owner), "{ webhooks { id } }", json!({}))
        .await;
    let id = hooks["webhooks"][0]["id"].clone();
    let listed = instance
        .data(domain, Some(owner), DELIVERIES, json!({ "id": id }))
        .await;
    listed["webhookDeliveries"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|node| node["attempts"].as_i64().unwrap_or_default() > 0)
        .count()
}

async fn receiver_down_across_a_restart(backend: Backend) {
    let database = TestDatabase::create(backend).await;
    let url = match &database.url {
        multistore::config::DatabaseUrl::Postgres(url) => url.clone(),
        multistore::config::DatabaseUrl::Sqlite(path) => path.to_string_lossy().into_owned(),
    };
    let port = free_port().await;
    // An attempt under way when the instance dies holds its delivery until the lease runs out: one
    // second here, so the next instance takes it over within the test.
    let env = [TEST_ENV, &[("MULTISTORE_WEBHOOK_LEASE_SECS", "1")]].concat();
    let first = Instance::start_with(&url, &env).await;
    let (domain, owner, customer) = open_store(&first, "phoenix").await;
    let product = prepare(
        &first,
        &domain,
        &owner,
        &format!("http://127.0.0.1:{}/hook", port.port),
    )
    .await;
    for _ in 0..3 {
        order_on(&first, &domain, &customer, &product).await;
    }
    // Attempts fail (nothing listens), then the instance goes away mid-retry.
    crate::harness::eventually("each delivery was attempted", async || {
        attempted_through(&first, &domain, &owner).await == 3
    })
    .await;
    drop(first);
    let second = Instance::start_with(&url, &env).await;
    let receiver = Receiver::start_on(port, 0).await;
    order_on(&second, &domain, &customer, &product).await;
    let received = receiver.wait_for(4).await;
    let mut events: Vec<String> = received.into_iter().map(|r| r.event_id).collect();
    events.sort_unstable();
    events.dedup();
    assert_eq!(events.len(), 4, "every event arrived: {events:?}");
}

crate::on_both_backends!(events_older_than_the_retention_age_are_pruned);

/// Events older than the retention age (30 days by default) are deleted by an instance's retention
/// task (it runs at start, then every ten minutes); newer ones stay.
async fn events_older_than_the_retention_age_are_pruned(app: TestApp) {
    let store = app.store("vendor1").await;
    let watch = create_product(&app, &store, "Watch", json!("1.00"), 10).await;
    let old = place_ok(&app, &store, &store.customer, json!([line(&watch, 1)])).await;
    set_status(&app, &store, &store.owner, &old, "PROCESSING")
        .await
        .data();
    let backdate = match &app.state.config.database_url {
        multistore::config::DatabaseUrl::Postgres(_) => {
            "UPDATE order_events SET created_at = created_at - INTERVAL '40 days'"
        }
        multistore::config::DatabaseUrl::Sqlite(_) => {
            "UPDATE order_events SET created_at = strftime('%Y-%m-%d %H:%M:%f', created_at, '-40 days')"
        }
    };
    app.admin.batch_execute(backdate).await.unwrap();
    let recent = place_ok(&app, &store, &store.customer, json!([line(&watch, 1)])).await;

    // Another instance starts on the database: its retention task runs.
    let url = app.database();
    let _other = Instance::start(&url).await;
    let timeline = |order: Value| {
        let app = &app;
        let store = &store;
        async move {
            let answer = app
                .as_user(store, &store.owner)
                .send(
                    "query($id: ID!) { order(id: $id) { events { kind } } }",
                    json!({ "id": order["id"] }),
                )
                .await;
            answer.data()["order"]["events"].as_array().unwrap().len()
        }
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while timeline(old.clone()).await > 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "old events were not pruned"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(timeline(recent).await, 1, "a recent event stays");
}

/// One store's receiver hangs with many deliveries due: it is never sent more than its share at once
/// (8 per instance: two of them behind the pooler), and another store's delivery goes out meanwhile.
async fn a_hanging_receiver_holds_only_its_own_share(app: TestApp) {
    let (slow, fast) = (app.store("vendor1").await, app.store("vendor2").await);
    let hanging = Receiver::holding().await;
    let quick = Receiver::start(0).await;
    create_webhook(&app, &slow, &hanging.url, json!(["ORDER_PLACED"])).await;
    create_webhook(&app, &fast, &quick.url, json!(["ORDER_PLACED"])).await;
    let watch = create_product(&app, &slow, "Watch", json!("1.00"), 100).await;
    for _ in 0..40 {
        place_ok(&app, &slow, &slow.customer, json!([line(&watch, 1)])).await;
    }
    hanging.wait_for(8).await;
    let gadget = create_product(&app, &fast, "Gadget", json!("1.00"), 10).await;
    place_ok(&app, &fast, &fast.customer, json!([line(&gadget, 1)])).await;
    quick.wait_for(1).await;
    let share = 8 * app.instances();
    assert!(
        hanging.max_in_flight() <= share,
        "{} > {share}",
        hanging.max_in_flight()
    );
    hanging.release();
}

/// The first delivery of a webhook as the owner's listing shows it: (status, attempts); `("", 0)`
/// while there is none yet (deliveries are made from the event log, a moment after the commit).
async fn delivery_of(app: &TestApp, store: &Store, webhook: &str) -> (String, i64) {
    let listed = app
        .as_user(store, &store.owner)
        .send(DELIVERIES, json!({ "id": webhook }))
        .await;
    let node = &listed.data()["webhookDeliveries"]["nodes"][0];
    (
        node["status"].as_str().unwrap_or_default().to_owned(),
        node["attempts"].as_i64().unwrap_or_default(),
    )
}

/// Waits until the webhook's first delivery was attempted (and failed, the receiver being down);
/// returns when it is due again.
async fn first_attempt_failed(
    app: &TestApp,
    store: &Store,
    webhook: &str,
) -> chrono::DateTime<chrono::Utc> {
    crate::harness::eventually("the first attempt failed", async || {
        delivery_of(app, store, webhook).await.1 >= 1
    })
    .await;
    let listed = app
        .as_user(store, &store.owner)
        .send(DELIVERIES, json!({ "id": webhook }))
        .await;
    listed.data()["webhookDeliveries"]["nodes"][0]["nextAttemptAt"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap()
}

/// Sleeps until `due` (a delivery's stated next attempt), if it is still to come.
async fn until(due: chrono::DateTime<chrono::Utc>) {
    if let Ok(wait) = (due - chrono::Utc::now()).to_std() {
        tokio::time::sleep(wait).await;
    }
}

/// Runs `check` once on each backend, on a service set up for these tests and then by `configure`.
async fn on_each_backend(configure: fn(&mut Config), check: impl AsyncFn(TestApp)) {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let app = TestApp::spawn_with(backend, |config| {
            for_tests(config);
            configure(config);
        })
        .await;
        check(app).await;
    }
}

/// A delivery that was pending when its store was suspended is neither sent nor failed while the store
/// stays suspended, though other stores' deliveries go out meanwhile; once reactivated, it is sent.
async fn a_suspended_stores_deliveries_wait_for_its_reactivation(app: TestApp) {
    let (store, other) = (app.store("vendor1").await, app.store("vendor2").await);
    let admin = app.platform_admin("operator").await;
    // The receiver is down at first: the store's first attempt fails and the delivery stays pending.
    let port = free_port().await;
    let url = format!("http://127.0.0.1:{}/hook", port.port);
    let (webhook, _) = create_webhook(&app, &store, &url, json!(["ORDER_PLACED"])).await;
    create_webhook(&app, &other, &url, json!(["ORDER_PLACED"])).await;
    let watch = create_product(&app, &store, "Watch", json!("1.00"), 10).await;
    let clock = create_product(&app, &other, "Clock", json!("1.00"), 10).await;
    place_ok(&app, &store, &store.customer, json!([line(&watch, 1)])).await;
    let due = first_attempt_failed(&app, &store, &webhook).await;
    crate::platform::suspend(&app, &admin, &store, "Unpaid")
        .await
        .data();
    let receiver = Receiver::start_on(port, 0).await;
    until(due).await;

    // Two of the other store's deliveries go out, each a round of the worker after the waiting one
    // was due again (100 ms after its failed attempt); it is not sent, and not failed.
    for n in 1..=2 {
        place_ok(&app, &other, &other.customer, json!([line(&clock, 1)])).await;
        receiver.wait_for(n).await;
    }
    let stores: Vec<String> = receiver
        .received()
        .iter()
        .map(|r| {
            serde_json::from_str::<Value>(&r.body).unwrap()["storeId"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(stores, [other.id.clone(), other.id.clone()]);
    let waiting = app
        .rows::<Status>(&format!(
            "SELECT status, attempts FROM webhook_deliveries WHERE vendor_id = {}",
            store.id
        ))
        .await;
    assert_eq!(waiting.len(), 1);
    assert_eq!(
        (waiting[0].status.as_str(), waiting[0].attempts),
        ("pending", 1)
    );

    crate::platform::reactivate(&app, &admin, &store)
        .await
        .data();
    let received = receiver.wait_for(3).await;
    let body: Value = serde_json::from_str(&received[2].body).unwrap();
    assert_eq!(body["storeId"], json!(store.id));
    assert_eq!(
        delivery_of(&app, &store, &webhook).await,
        ("DELIVERED".to_owned(), 2)
    );
}

#[derive(diesel::QueryableByName)]
struct Status {
    #[diesel(sql_type = diesel::sql_types::Text)]
    status: String,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    attempts: i32,
}

/// Thirty `createWebhook` at once against the bound of 20: exactly 20 exist afterwards, the others are
/// `LIMIT_EXCEEDED`.
async fn concurrent_creations_never_pass_the_bound(app: TestApp) {
    let store = app.store("vendor1").await;
    let answers = futures_util::future::join_all((0..30).map(|n| {
        app.as_user(&store, &store.owner).send(
            CREATE,
            json!({ "input": { "url": format!("http://127.0.0.1:9/hook{n}"), "events": ["ORDER_PLACED"] } }),
        )
    }))
    .await;
    let made = answers
        .iter()
        .filter(|a| a.body.get("errors").is_none())
        .count();
    for refused in answers.iter().filter(|a| a.body.get("errors").is_some()) {
        assert_eq!(refused.code(), "LIMIT_EXCEEDED", "{:#}", refused.body);
    }
    assert_eq!(made, 20);
    let listed = app
        .as_user(&store, &store.owner)
        .send("{ webhooks { id } }", json!({}))
        .await;
    assert_eq!(listed.data()["webhooks"].as_array().unwrap().len(), 20);
}

/// With a retry window of one second, a receiver that always fails gets attempts until the window
/// ends; then the delivery is FAILED, with the last answer's code, and no attempt follows. On both
/// databases.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_fails_when_its_retry_window_ends() {
    on_each_backend(
        |config| config.webhook_retry_window = Duration::from_secs(1),
        window_ends,
    )
    .await;
}

async fn window_ends(app: TestApp) {
    let store = app.store("vendor1").await;
    let receiver = Receiver::start(usize::MAX).await;
    let (webhook, _) = create_webhook(&app, &store, &receiver.url, json!(["ORDER_PLACED"])).await;
    let watch = create_product(&app, &store, "Watch", json!("1.00"), 10).await;
    place_ok(&app, &store, &store.customer, json!([line(&watch, 1)])).await;
    crate::harness::eventually("the delivery is FAILED", async || {
        delivery_of(&app, &store, &webhook).await.0 == "FAILED"
    })
    .await;
    let listed = app
        .as_user(&store, &store.owner)
        .send(DELIVERIES, json!({ "id": webhook }))
        .await;
    let delivery = &listed.data()["webhookDeliveries"]["nodes"][0];
    let attempts = delivery["attempts"].as_i64().unwrap() as usize;
    assert!(attempts >= 2, "retried within the window: {delivery}");
    assert_eq!(delivery["lastStatusCode"], 500);
    assert_eq!(delivery["nextAttemptAt"], Value::Null);
    // Every attempt reached the receiver, and once FAILED none follows: a later order's delivery is
    // the next request it gets.
    let later = place_ok(&app, &store, &store.customer, json!([line(&watch, 1)])).await;
    let received = receiver.wait_for(attempts + 1).await;
    let last: Value = serde_json::from_str(&received[attempts].body).unwrap();
    assert_eq!(last["data"]["order"]["id"], later["id"]);
    assert!(
        received[..attempts]
            .iter()
            .all(|r| r.event_id == received[0].event_id)
    );
}

/// A webhook deleted while its delivery waits for a retry takes the delivery with it: it is never
/// sent, though the receiver is back and other deliveries to it go out. (An attempt already under way
/// when the webhook is deleted may still arrive; none starts after. The retry here waits 2 s, so
/// the deletion comes while the delivery waits.) On both databases.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_webhooks_deliveries_are_never_sent() {
    on_each_backend(
        |config| config.webhook_retry_base = Duration::from_secs(2),
        deleted_webhook,
    )
    .await;
}

async fn deleted_webhook(app: TestApp) {
    let store = app.store("vendor1").await;
    let port = free_port().await;
    let url = format!("http://127.0.0.1:{}/hook", port.port);
    let (doomed, _) = create_webhook(&app, &store, &url, json!(["ORDER_PLACED"])).await;
    let watch = create_product(&app, &store, "Watch", json!("1.00"), 10).await;
    place_ok(&app, &store, &store.customer, json!([line(&watch, 1)])).await;
    let due = first_attempt_failed(&app, &store, &doomed).await;
    let deleted = app
        .as_user(&store, &store.owner)
        .send(
            "mutation($id: ID!) { deleteWebhook(id: $id) }",
            json!({ "id": doomed }),
        )
        .await;
    assert_eq!(deleted.data()["deleteWebhook"], true);
    let receiver = Receiver::start_on(port, 0).await;
    // Another endpoint on the same receiver, registered now: its deliveries are the only ones sent,
    // two worker rounds after the deleted one was due again.
    create_webhook(&app, &store, &url, json!(["ORDER_PLACED"])).await;
    until(due).await;
    let mut sent = Vec::new();
    for n in 1..=2 {
        let order = place_ok(&app, &store, &store.customer, json!([line(&watch, 1)])).await;
        receiver.wait_for(n).await;
        sent.push(order["id"].clone());
    }
    let orders: Vec<Value> = receiver
        .received()
        .iter()
        .map(|r| serde_json::from_str::<Value>(&r.body).unwrap()["data"]["order"]["id"].clone())
        .collect();
    assert_eq!(
        orders, sent,
        "the deleted webhook's delivery was never sent"
    );
}

/// An instance that claimed a delivery and died mid-attempt leaves it to another: once the lease runs
/// out (one second here), the other instance attempts it and delivers it. On both databases.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_held_by_a_dead_instance_is_taken_over() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let database = TestDatabase::create(backend).await;
        let url = match &database.url {
            multistore::config::DatabaseUrl::Postgres(url) => url.clone(),
            multistore::config::DatabaseUrl::Sqlite(path) => path.to_string_lossy().into_owned(),
        };
        let env = [TEST_ENV, &[("MULTISTORE_WEBHOOK_LEASE_SECS", "1")]].concat();
        let hanging = Receiver::holding().await;
        let first = Instance::start_with(&url, &env).await;
        let (domain, owner, customer) = open_store(&first, "lease").await;
        let product = prepare(&first, &domain, &owner, &hanging.url).await;
        order_on(&first, &domain, &customer, &product).await;
        // The first instance's attempt hangs; the instance dies.
        hanging.wait_for(1).await;
        drop(first);
        let second = Instance::start_with(&url, &env).await;
        let received = hanging.wait_for(2).await;
        assert_eq!(
            received[1].event_id, received[0].event_id,
            "the same delivery, taken over"
        );
        hanging.release();
        let delivery = async || {
            let hooks = second
                .data(&domain, Some(&owner), "{ webhooks { id } }", json!({}))
                .await;
            second
                .data(
                    &domain,
                    Some(&owner),
                    DELIVERIES,
                    json!({ "id": hooks["webhooks"][0]["id"] }),
                )
                .await["webhookDeliveries"]["nodes"][0]
                .clone()
        };
        crate::harness::eventually("the delivery is recorded as delivered", async || {
            delivery().await["status"] == "DELIVERED"
        })
        .await;
        assert_eq!(delivery().await["attempts"], 2);
    }
}
