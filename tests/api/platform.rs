//! The platform admin (CONTRACT.md sections 2 and 4): made from the command line, signs in without a
//! store, lists and searches the stores, suspends and reactivates them. A suspended store answers 403
//! `STORE_SUSPENDED` on every channel to everyone but the admin, its open sockets close, on every
//! instance at once; reactivation restores it with no new sign-in. The admin's database role reads
//! nothing of a store's own.

use std::io::Write as _;
use std::process::{Command, Stdio};

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Nullable, Text};
use serde_json::{Value, json};

use crate::harness::fixtures::PASSWORD;
use crate::harness::process::Instance;
use crate::harness::ws::{Heard, Socket};
use crate::harness::{Backend, Gql, JWT_SECRET, Store, TestApp};
use crate::on_both_backends;
use crate::subscriptions::{init_payload, socket_as};

on_both_backends!(
    the_admin_lists_and_searches_the_stores,
    admin_sign_in_is_checked_like_any_other,
    a_suspended_store_answers_to_no_one_until_reactivated,
    a_suspension_ends_open_subscriptions,
    bad_suspensions_are_refused_and_change_nothing,
    create_admin_reads_the_password_from_standard_input
);

const STORES: &str = "query($first: Int, $after: String, $search: String) {
    stores(first: $first, after: $after, search: $search) {
        totalCount pageInfo { hasNextPage endCursor }
        nodes { id storeName domain status domains { domain primary } } } }";

async fn admin_request<'a>(app: &'a TestApp, admin: &'a str) -> crate::harness::Request<'a> {
    app.gql().token(admin)
}

async fn stores(app: &TestApp, admin: &str, variables: Value) -> Value {
    admin_request(app, admin)
        .await
        .send(STORES, variables)
        .await
        .data()["stores"]
        .clone()
}

fn ids(page: &Value) -> Vec<String> {
    page["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_owned())
        .collect()
}

pub async fn suspend(app: &TestApp, admin: &str, store: &Store, reason: &str) -> Gql {
    app.gql()
        .token(admin)
        .send(
            "mutation($id: ID!, $reason: String!) { suspendStore(id: $id, reason: $reason) { id status } }",
            json!({ "id": store.id, "reason": reason }),
        )
        .await
}

pub async fn reactivate(app: &TestApp, admin: &str, store: &Store) -> Gql {
    app.gql()
        .token(admin)
        .send(
            "mutation($id: ID!) { reactivateStore(id: $id) { id status } }",
            json!({ "id": store.id }),
        )
        .await
}

async fn the_admin_lists_and_searches_the_stores(app: TestApp) {
    let one = app.store("vendor1").await;
    let two = app.store("vendor2").await;
    let three = app.store("bakery").await;
    app.as_user(&two, &two.owner)
        .send(
            "mutation { addStoreDomain(domain: \"crumbs.example.org\") { id } }",
            json!({}),
        )
        .await
        .data();
    let admin = app.platform_admin("operator").await;

    let all = stores(&app, &admin, json!({})).await;
    assert_eq!(all["totalCount"], 3);
    assert_eq!(ids(&all), [&*one.id, &*two.id, &*three.id]);
    let second = &all["nodes"][1];
    assert_eq!(second["status"], "ACTIVE");
    assert_eq!(
        second["domains"],
        json!([{ "domain": two.domain, "primary": true },
               { "domain": "crumbs.example.org", "primary": false }])
    );

    // Pages by id.
    let first = stores(&app, &admin, json!({ "first": 2 })).await;
    assert_eq!(ids(&first), [&*one.id, &*two.id]);
    assert_eq!(first["pageInfo"]["hasNextPage"], true);
    let rest = stores(
        &app,
        &admin,
        json!({ "first": 2, "after": first["pageInfo"]["endCursor"] }),
    )
    .await;
    assert_eq!(ids(&rest), [&*three.id]);
    assert_eq!(rest["pageInfo"]["hasNextPage"], false);

    // By name or by any domain, case-insensitive; wildcards are plain characters.
    for (search, expected) in [
        ("STORE VENDOR", vec![&*one.id, &*two.id]),
        ("bakery", vec![&*three.id]),
        ("Crumbs.Example", vec![&*two.id]),
        ("vendor1.example", vec![&*one.id]),
        ("%", vec![]),
        ("_", vec![]),
        ("nothing like it", vec![]),
    ] {
        let found = stores(&app, &admin, json!({ "search": search })).await;
        let expected: Vec<&str> = expected;
        assert_eq!(ids(&found), expected, "{search}");
        assert_eq!(found["totalCount"], expected.len(), "{search}");
    }
    admin_request(&app, &admin)
        .await
        .send(STORES, json!({ "search": "x".repeat(256) }))
        .await
        .assert_error(200, "BAD_USER_INPUT");
    admin_request(&app, &admin)
        .await
        .send(STORES, json!({ "first": 101 }))
        .await
        .assert_error(200, "BAD_USER_INPUT");
}

async fn admin_sign_in_is_checked_like_any_other(app: TestApp) {
    let store = app.store("vendor1").await;
    app.platform_admin("operator").await;
    const LOGIN: &str =
        "mutation($input: LoginInput!) { adminLogin(input: $input) { accessToken } }";
    for (username, password) in [
        ("operator", "wrong-password"),
        ("nobody", PASSWORD),
        // A store's owner is no platform admin.
        ("vendor1_owner", PASSWORD),
    ] {
        app.gql()
            .send(
                LOGIN,
                json!({ "input": { "username": username, "password": password } }),
            )
            .await
            .assert_error(200, "UNAUTHENTICATED");
    }
    // The admin's token names no store and the role platform_admin.
    let token = app.platform_admin("second").await;
    use base64::Engine as _;
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["role"], "platform_admin");
    assert!(claims.get("tenant_id").is_none(), "{claims}");
    // A store's user may not act as an admin, nor an admin as a store's user.
    app.as_user(&store, &store.owner)
        .send(STORES, json!({}))
        .await
        .assert_error(200, "FORBIDDEN");
    app.gql()
        .send(STORES, json!({}))
        .await
        .assert_error(200, "UNAUTHENTICATED");
    app.gql()
        .token(&token)
        .send("{ products { totalCount } }", json!({}))
        .await
        .assert_error(200, "FORBIDDEN");
    // A forged admin token (any other key) is refused before anything runs.
    let forged = token.rsplit_once('.').unwrap().0.to_owned() + ".AAAA";
    app.gql()
        .token(&forged)
        .send(STORES, json!({}))
        .await
        .assert_error(401, "UNAUTHENTICATED");
    // A deactivated admin's token stops working at once.
    app.admin
        .batch_execute("UPDATE platform_admins SET is_active = FALSE WHERE username = 'second'")
        .await
        .unwrap();
    app.gql()
        .token(&token)
        .send(STORES, json!({}))
        .await
        .assert_error(401, "UNAUTHENTICATED");
}

#[derive(QueryableByName, Debug, PartialEq)]
struct LogLine {
    #[diesel(sql_type = Text)]
    action: String,
    #[diesel(sql_type = Nullable<Text>)]
    reason: Option<String>,
    #[diesel(sql_type = Text)]
    admin: String,
    #[diesel(sql_type = BigInt)]
    vendor_id: i64,
}

async fn suspension_log(app: &TestApp) -> Vec<LogLine> {
    app.rows(
        "SELECT s.action, s.reason, a.username AS admin, s.vendor_id
             FROM store_suspensions s JOIN platform_admins a ON a.id = s.admin_id ORDER BY s.id",
    )
    .await
}

async fn a_suspended_store_answers_to_no_one_until_reactivated(app: TestApp) {
    let store = app.store("vendor1").await;
    let other = app.store("vendor2").await;
    let admin = app.platform_admin("operator").await;
    let suspended = suspend(&app, &admin, &store, "Unpaid invoices").await;
    assert_eq!(suspended.data()["suspendStore"]["status"], "SUSPENDED");
    // Suspending again changes nothing and logs nothing.
    suspend(&app, &admin, &store, "Again").await.data();

    const ME: &str = "{ me { id } }";
    let refused: Vec<Gql> = vec![
        // Anonymous, by header and by Host.
        app.gql()
            .tenant(&store.domain)
            .send("{ products { totalCount } }", json!({}))
            .await,
        app.gql()
            .header("Host", &store.domain)
            .send("{ vendor { id } }", json!({}))
            .await,
        // Each role, with and without the header.
        app.as_user(&store, &store.owner).send(ME, json!({})).await,
        app.gql()
            .token(&store.staff.token)
            .send(ME, json!({}))
            .await,
        app.gql()
            .token(&store.customer.token)
            .send(ME, json!({}))
            .await,
        app.gql()
            .tenant(&store.domain)
            .send(
                "mutation($input: LoginInput!) { login(input: $input) { accessToken } }",
                json!({ "input": { "username": "vendor1_owner", "password": PASSWORD } }),
            )
            .await,
    ];
    for response in &refused {
        response.assert_error(403, "STORE_SUSPENDED");
    }
    // A refresh token names its store too: refused, and not used up.
    app.gql()
        .send(
            "mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken } }",
            json!({ "t": store.owner.refresh_token }),
        )
        .await
        .assert_error(403, "STORE_SUSPENDED");
    // Other stores go on; the admin sees the store as suspended.
    app.as_user(&other, &other.owner)
        .send(ME, json!({}))
        .await
        .data();
    let listed = stores(&app, &admin, json!({ "search": "vendor1" })).await;
    assert_eq!(listed["nodes"][0]["status"], "SUSPENDED");
    // The admin, sending the store's header, is not refused for the suspension (the admin's own
    // operations work; the store's are still not theirs).
    app.gql()
        .tenant(&store.domain)
        .token(&admin)
        .send(STORES, json!({}))
        .await
        .data();

    let reactivated = reactivate(&app, &admin, &store).await;
    assert_eq!(reactivated.data()["reactivateStore"]["status"], "ACTIVE");
    // The tokens issued before work again: no new sign-in.
    app.as_user(&store, &store.owner)
        .send(ME, json!({}))
        .await
        .data();
    app.gql()
        .header("Host", &store.domain)
        .send("{ vendor { id } }", json!({}))
        .await
        .data();
    let refreshed = app
        .gql()
        .send(
            "mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken } }",
            json!({ "t": store.owner.refresh_token }),
        )
        .await;
    assert!(refreshed.data()["refreshToken"]["accessToken"].is_string());

    let id: i64 = store.id.parse().unwrap();
    assert_eq!(
        suspension_log(&app).await,
        [
            LogLine {
                action: "suspended".into(),
                reason: Some("Unpaid invoices".into()),
                admin: "operator".into(),
                vendor_id: id
            },
            LogLine {
                action: "reactivated".into(),
                reason: None,
                admin: "operator".into(),
                vendor_id: id
            },
        ]
    );
}

/// A suspended store's socket closes with 4403 `STORE_SUSPENDED`; its subscription `id` may end first
/// (an error `STORE_SUSPENDED`, then `complete`), whichever the instance does first.
async fn closes_as_suspended(socket: &mut Socket, id: &str) {
    loop {
        match socket.next(id).await {
            Heard::Next(payload) => assert_eq!(
                payload["errors"][0]["extensions"]["code"], "STORE_SUSPENDED",
                "{payload}"
            ),
            Heard::Complete => {}
            Heard::Closed(4403, reason) => {
                assert!(reason.starts_with("STORE_SUSPENDED"), "{reason}");
                return;
            }
            other => panic!("expected the socket to close with 4403, got {other:?}"),
        }
    }
}

async fn a_suspension_ends_open_subscriptions(app: TestApp) {
    let store = app.store("vendor1").await;
    let other = app.store("vendor2").await;
    let admin = app.platform_admin("operator").await;
    let mut owner = socket_as(&app, &store, &store.owner).await;
    owner
        .subscribe("1", "subscription { orderEvents { id } }", json!({}))
        .await;
    let mut outsider = socket_as(&app, &other, &other.owner).await;
    outsider
        .subscribe("1", "subscription { orderEvents { id } }", json!({}))
        .await;

    suspend(&app, &admin, &store, "Fraud").await.data();
    closes_as_suspended(&mut owner, "1").await;
    // A new socket is refused like a request; another store's socket stays open.
    match Socket::connect(&app.url, init_payload(&store, &store.owner)).await {
        Err((4403, reason)) => assert!(reason.starts_with("STORE_SUSPENDED"), "{reason}"),
        Err(other) => panic!("expected 4403, got {other:?}"),
        Ok(_) => panic!("a suspended store's socket was acknowledged"),
    }
    // It hears its own store's next event, and nothing of the suspended one's before it.
    let clock = crate::catalog::create_product(&app, &other, "Clock", json!("1.00"), 5).await;
    let order = crate::orders::place_ok(
        &app,
        &other,
        &other.customer,
        json!([crate::orders::line(&clock, 1)]),
    )
    .await;
    let heard = outsider.next_data("1").await;
    let events = app
        .as_user(&other, &other.owner)
        .send(
            "query($id: ID!) { order(id: $id) { events { id } } }",
            json!({ "id": order["id"] }),
        )
        .await;
    assert_eq!(
        heard["orderEvents"]["id"],
        events.data()["order"]["events"][0]["id"]
    );

    reactivate(&app, &admin, &store).await.data();
    socket_as(&app, &store, &store.owner).await;
}

async fn bad_suspensions_are_refused_and_change_nothing(app: TestApp) {
    let store = app.store("vendor1").await;
    let admin = app.platform_admin("operator").await;
    for reason in ["", "   ", &"x".repeat(501)] {
        let refused = suspend(&app, &admin, &store, reason).await;
        refused.assert_error(200, "BAD_USER_INPUT");
        assert_eq!(refused.field(), "reason");
    }
    for id in ["999999", "not-an-id", "-1"] {
        app.gql()
            .token(&admin)
            .send(
                "mutation($id: ID!) { suspendStore(id: $id, reason: \"r\") { id } }",
                json!({ "id": id }),
            )
            .await
            .assert_error(200, "NOT_FOUND");
    }
    app.as_user(&store, &store.owner)
        .send("{ me { id } }", json!({}))
        .await
        .data();
    assert!(suspension_log(&app).await.is_empty());
}

/// The binary itself: the password from standard input, checked, and never twice the same name.
async fn create_admin_reads_the_password_from_standard_input(app: TestApp) {
    let url = app.database();
    let run = |username: &str, input: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_multistore"))
            .args(["create-admin", username])
            .env("DATABASE_URL", &url)
            .env("MULTISTORE_JWT_SECRET", JWT_SECRET)
            .env("MULTISTORE_BCRYPT_COST", "4")
            .env("MULTISTORE_LOG", "warn")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let made = run("operator", "a long passphrase\n");
    assert!(made.status.success(), "{made:?}");
    let login = app
        .gql()
        .send(
            "mutation { adminLogin(input: { username: \"operator\", password: \"a long passphrase\" }) { accessToken } }",
            json!({}),
        )
        .await;
    assert!(login.data()["adminLogin"]["accessToken"].is_string());
    // Taken, or a password too short: refused, nothing written.
    assert!(!run("operator", "another passphrase\n").status.success());
    assert!(!run("shorty", "short\n").status.success());
    let count: Vec<Count> = app.rows("SELECT COUNT(*) AS n FROM platform_admins").await;
    assert_eq!(count[0].n, 1);
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// A second instance heard of the store (an anonymous request, a socket): the suspension made through
/// the first reaches it at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_suspension_reaches_every_instance_at_once() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let url = &app.database();
    let store = app.store("vendor1").await;
    let admin = app.platform_admin("operator").await;
    let other = Instance::start(url).await;
    let body = other
        .data(&store.domain, None, "{ vendor { id } }", json!({}))
        .await;
    assert_eq!(body["vendor"]["id"], store.id.as_str());
    let mut socket = Socket::connect(&other.url, init_payload(&store, &store.owner))
        .await
        .expect("acknowledged");
    socket
        .subscribe("1", "subscription { orderEvents { id } }", json!({}))
        .await;

    suspend(&app, &admin, &store, "Chargebacks").await.data();
    closes_as_suspended(&mut socket, "1").await;
    // Instance two remembers stores with no time limit: only the notification makes it forget.
    let client = reqwest::Client::new();
    let vendor = async || {
        let response = client
            .post(format!("{}/graphql", other.url))
            .header("X-Tenant-Domain", &store.domain)
            .json(&json!({ "query": "{ vendor { id } }" }))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap();
        (status, body["errors"][0]["extensions"]["code"].clone())
    };
    crate::harness::eventually("instance two refuses the suspended store", async || {
        vendor().await == (403, json!("STORE_SUSPENDED"))
    })
    .await;
}

/// The admin's connections take a role that has no right on any store's own tables: even a bug in
/// the service could not read a store's products, orders or people through them. And the service's
/// role has none on the admins or the suspension log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_platform_role_reads_no_store_data() {
    use diesel_async::{AsyncConnection as _, AsyncPgConnection, SimpleAsyncConnection as _};
    let app = TestApp::spawn(Backend::Postgres).await;
    let url = &app.database();
    app.store("vendor1").await;
    let mut conn = AsyncPgConnection::establish(url).await.unwrap();
    conn.batch_execute("SET ROLE multistore_platform")
        .await
        .unwrap();
    for table in [
        "products",
        "orders",
        "order_items",
        "users",
        "refresh_tokens",
        "order_events",
        "webhooks",
        "webhook_deliveries",
        "idempotency_keys",
    ] {
        let read = conn
            .batch_execute(&format!("SELECT 1 FROM {table} LIMIT 1"))
            .await;
        let err = read.expect_err(table).to_string();
        assert!(err.contains("permission denied"), "{table}: {err}");
    }
    conn.batch_execute("SELECT id FROM vendors; SELECT domain FROM store_domains")
        .await
        .unwrap();
    // What it may change of a store is its suspension, nothing else.
    let renamed = conn
        .batch_execute("UPDATE vendors SET store_name = 'Mine'")
        .await;
    let err = renamed.expect_err("a rename").to_string();
    assert!(err.contains("permission denied"), "{err}");

    conn.batch_execute("RESET ROLE; SET ROLE multistore_app")
        .await
        .unwrap();
    for table in ["platform_admins", "store_suspensions"] {
        let read = conn
            .batch_execute(&format!("SELECT 1 FROM {table} LIMIT 1"))
            .await;
        let err = read.expect_err(table).to_string();
        assert!(
            err.contains("permission denied"),
            "the service's role reads {table}: {err}"
        );
    }
}
