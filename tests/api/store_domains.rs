//! Several domains per store (CONTRACT.md sections 2 and 6): each names the store by header and as the
//! `Host`; one is primary (`Vendor.domain`, new tokens); one to 20 per store; none of another store's,
//! whatever runs at the same time; and a second instance learns of every change at once.

use std::time::Duration;

use serde_json::{Value, json};

use crate::harness::fixtures::PASSWORD;
use crate::harness::process::Instance;
use crate::harness::{Backend, Gql, Store, TestApp, eventually};
use crate::on_both_backends;

on_both_backends!(
    a_store_answers_on_each_of_its_domains,
    a_domain_names_one_store_only,
    concurrent_claims_of_one_domain_give_it_to_one_store,
    a_store_has_one_to_twenty_domains,
    bad_domains_are_refused_and_change_nothing,
    no_store_claims_an_address_localhost_or_the_platform,
    a_request_names_one_host_and_its_target_wins,
);

const DOMAINS: &str = "domain domains { domain primary }";

async fn change(app: &TestApp, store: &Store, operation: &str, domain: &str) -> Gql {
    app.as_user(store, &store.owner)
        .send(
            &format!("mutation($d: String!) {{ {operation}(domain: $d) {{ {DOMAINS} }} }}"),
            json!({ "d": domain }),
        )
        .await
}

/// The store's domains as `Vendor.domains` lists them: (domain, primary), the primary one first.
fn listed(vendor: &Value) -> Vec<(String, bool)> {
    vendor["domains"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["domain"].as_str().unwrap().to_owned(),
                d["primary"].as_bool().unwrap(),
            )
        })
        .collect()
}

/// The `tenant_domain` claim of an access token.
fn token_domain(token: &str) -> String {
    use base64::Engine as _;
    let payload = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    let claims: Value = serde_json::from_slice(&bytes).unwrap();
    claims["tenant_domain"].as_str().unwrap().to_owned()
}

async fn vendor_by_host(app: &TestApp, host: &str) -> Gql {
    app.gql()
        .header("Host", host)
        .send("{ vendor { id } }", json!({}))
        .await
}

async fn a_store_answers_on_each_of_its_domains(app: TestApp) {
    let store = app.store("vendor1").await;
    let added = change(&app, &store, "addStoreDomain", "Shop.Vendor1.COM").await;
    let vendor = &added.data()["addStoreDomain"];
    assert_eq!(
        listed(vendor),
        [
            (store.domain.clone(), true),
            ("shop.vendor1.com".to_owned(), false)
        ]
    );
    // Adding it again changes nothing.
    let again = change(&app, &store, "addStoreDomain", "shop.vendor1.com").await;
    assert_eq!(listed(&again.data()["addStoreDomain"]).len(), 2);

    // Both domains name the store, by header and by Host.
    for domain in [store.domain.as_str(), "shop.vendor1.com"] {
        let by_header = app
            .gql()
            .tenant(domain)
            .send("{ vendor { id status } }", json!({}))
            .await;
        assert_eq!(by_header.data()["vendor"]["id"], store.id.as_str());
        assert_eq!(by_header.data()["vendor"]["status"], "ACTIVE");
        let by_host = vendor_by_host(&app, domain).await;
        assert_eq!(by_host.data()["vendor"]["id"], store.id.as_str());
    }
    let login = app
        .login("shop.vendor1.com", "vendor1_customer", PASSWORD)
        .await;
    assert_eq!(token_domain(&login.token), store.domain);

    // The primary one moves: Vendor.domain and new tokens follow; tokens issued before still work.
    let moved = change(&app, &store, "setPrimaryDomain", "shop.vendor1.com").await;
    let vendor = &moved.data()["setPrimaryDomain"];
    assert_eq!(vendor["domain"], "shop.vendor1.com");
    assert_eq!(
        listed(vendor),
        [
            ("shop.vendor1.com".to_owned(), true),
            (store.domain.clone(), false)
        ]
    );
    let login = app.login(&store.domain, "vendor1_customer", PASSWORD).await;
    assert_eq!(token_domain(&login.token), "shop.vendor1.com");
    let me = app
        .gql()
        .token(&store.customer.token)
        .send("{ me { id } }", json!({}))
        .await;
    assert_eq!(me.data()["me"]["id"], store.customer.id.as_str());

    // The primary one cannot go; the other can, and then names no store.
    change(&app, &store, "removeStoreDomain", "shop.vendor1.com")
        .await
        .assert_error(200, "BAD_USER_INPUT");
    let removed = change(&app, &store, "removeStoreDomain", &store.domain).await;
    assert_eq!(
        listed(&removed.data()["removeStoreDomain"]),
        [("shop.vendor1.com".to_owned(), true)]
    );
    app.gql()
        .tenant(&store.domain)
        .send("{ vendor { id } }", json!({}))
        .await
        .assert_error(404, "TENANT_NOT_FOUND");
    vendor_by_host(&app, &store.domain)
        .await
        .assert_error(200, "TENANT_REQUIRED");
    // What the store lists is what the public `vendor` query lists.
    let public = app
        .gql()
        .tenant("shop.vendor1.com")
        .send(&format!("{{ vendor {{ {DOMAINS} }} }}"), json!({}))
        .await;
    assert_eq!(
        listed(&public.data()["vendor"]),
        [("shop.vendor1.com".to_owned(), true)]
    );
}

async fn a_domain_names_one_store_only(app: TestApp) {
    let one = app.store("vendor1").await;
    let two = app.store("vendor2").await;
    change(&app, &one, "addStoreDomain", "second.vendor1.com")
        .await
        .data();
    // Store two claims store one's domains, primary and not: CONFLICT on `domain`.
    for taken in [one.domain.as_str(), "second.vendor1.com"] {
        let refused = change(&app, &two, "addStoreDomain", taken).await;
        refused.assert_error(200, "CONFLICT");
        assert_eq!(refused.field(), "domain");
        // Nor can a new store open on it.
        let opened = app
            .gql()
            .send(
                "mutation($input: RegisterVendorInput!) { registerVendor(input: $input) { accessToken } }",
                json!({ "input": { "storeName": "Copycat", "domain": taken, "username": "cat",
                    "email": "cat@mail.example.org", "password": PASSWORD } }),
            )
            .await;
        opened.assert_error(200, "CONFLICT");
        assert_eq!(opened.field(), "domain");
    }
    // Another store's domain is, to store two, a domain it does not have.
    for operation in ["removeStoreDomain", "setPrimaryDomain"] {
        change(&app, &two, operation, "second.vendor1.com")
            .await
            .assert_error(200, "NOT_FOUND");
    }
    let count: i64 = app
        .gql()
        .tenant(&one.domain)
        .send("{ vendor { domains { domain } } }", json!({}))
        .await
        .data()["vendor"]["domains"]
        .as_array()
        .unwrap()
        .len() as i64;
    assert_eq!(count, 2);
}

async fn concurrent_claims_of_one_domain_give_it_to_one_store(app: TestApp) {
    let one = app.store("vendor1").await;
    let two = app.store("vendor2").await;
    for round in 0..8 {
        let contested = format!("contested{round}.example.net");
        let (a, b) = tokio::join!(
            change(&app, &one, "addStoreDomain", &contested),
            change(&app, &two, "addStoreDomain", &contested)
        );
        let outcomes = [&a, &b].map(|r| match r.body.get("errors") {
            None => "ok".to_owned(),
            Some(_) => r.code().to_owned(),
        });
        let mut sorted = outcomes.clone();
        sorted.sort();
        assert_eq!(sorted, ["CONFLICT", "ok"], "round {round}: {outcomes:?}");
        let owner = if outcomes[0] == "ok" { &one } else { &two };
        let by_header = app
            .gql()
            .tenant(&contested)
            .send("{ vendor { id } }", json!({}))
            .await;
        assert_eq!(by_header.data()["vendor"]["id"], owner.id.as_str());
    }
}

async fn a_store_has_one_to_twenty_domains(app: TestApp) {
    let store = app.store("vendor1").await;
    for n in 2..=18 {
        change(&app, &store, "addStoreDomain", &format!("d{n}.vendor1.com"))
            .await
            .data();
    }
    // Five at once with room for two: two get in, whatever the timing.
    let late: Vec<String> = (0..5).map(|n| format!("late{n}.vendor1.com")).collect();
    let attempts = futures_util::future::join_all(
        late.iter()
            .map(|domain| change(&app, &store, "addStoreDomain", domain)),
    )
    .await;
    let admitted = attempts
        .iter()
        .filter(|r| r.body.get("errors").is_none())
        .count();
    assert_eq!(admitted, 2);
    for refused in attempts.iter().filter(|r| r.body.get("errors").is_some()) {
        refused.assert_error(200, "LIMIT_EXCEEDED");
    }
    let vendor = app
        .gql()
        .tenant(&store.domain)
        .send("{ vendor { domains { domain } } }", json!({}))
        .await;
    assert_eq!(
        vendor.data()["vendor"]["domains"].as_array().unwrap().len(),
        20
    );
}

async fn bad_domains_are_refused_and_change_nothing(app: TestApp) {
    let store = app.store("vendor1").await;
    for bad in [
        "",
        "not a domain",
        "a..b",
        "under_score.com",
        &"x".repeat(254),
    ] {
        let refused = change(&app, &store, "addStoreDomain", bad).await;
        refused.assert_error(200, "BAD_USER_INPUT");
        assert_eq!(refused.field(), "domain");
    }
    change(&app, &store, "removeStoreDomain", "nowhere.example.com")
        .await
        .assert_error(200, "NOT_FOUND");
    change(&app, &store, "setPrimaryDomain", "nowhere.example.com")
        .await
        .assert_error(200, "NOT_FOUND");
    let vendor = app
        .gql()
        .tenant(&store.domain)
        .send(&format!("{{ vendor {{ {DOMAINS} }} }}"), json!({}))
        .await;
    assert_eq!(
        listed(&vendor.data()["vendor"]),
        [(store.domain.clone(), true)]
    );
}

/// Host names a store may not hold: an IP address in any form a resolver takes, `localhost` (and
/// names under it), a single label, or one of the platform's own names.
const UNCLAIMABLE: [&str; 12] = [
    "127.0.0.1",
    "127.1",
    "2130706433",
    "0x7f.1",
    "0177.0.0.1",
    "::1",
    "[::1]",
    "localhost",
    "shop.localhost",
    "shop",
    "api.platform.example",
    "API.Platform.Example",
];

/// No store can hold an address, `localhost`, a single label or the platform's own host name (the
/// configured ones, and the API's own address), neither when it opens nor later; and a row that
/// says otherwise (written before the rule) names no store by `Host`.
async fn no_store_claims_an_address_localhost_or_the_platform(app: TestApp) {
    let store = app.store("vendor1").await;
    for bad in UNCLAIMABLE {
        let refused = change(&app, &store, "addStoreDomain", bad).await;
        refused.assert_error(200, "BAD_USER_INPUT");
        assert_eq!(refused.field(), "domain", "{bad}");
        let opened = app
            .gql()
            .send(
                "mutation($input: RegisterVendorInput!) { registerVendor(input: $input) { accessToken } }",
                json!({ "input": { "storeName": "Grabber", "domain": bad, "username": "grabber",
                                   "email": "grabber@example.com", "password": PASSWORD } }),
            )
            .await;
        opened.assert_error(200, "BAD_USER_INPUT");
        assert_eq!(opened.field(), "domain", "{bad}");
    }
    let count: Vec<Count> = app.rows("SELECT COUNT(*) AS n FROM store_domains").await;
    assert_eq!(count[0].n, 1, "nothing was claimed");

    // A claim of the API's address that got in before the rule: requests sent to the API by its
    // address (no header) are still nobody's.
    let id: i64 = store.id.parse().unwrap();
    app.admin
        .batch_execute(&format!(
            "INSERT INTO store_domains (domain, vendor_id, is_primary, created_at) \
             VALUES ('127.0.0.1', {id}, false, CURRENT_TIMESTAMP)"
        ))
        .await
        .unwrap();
    let anonymous = app.gql().send("{ vendor { id } }", json!({})).await;
    anonymous.assert_error(200, "TENANT_REQUIRED");
}

/// A raw HTTP/1.1 exchange (the request is sent with `Connection: close`): the whole answer.
async fn raw_http(app: &TestApp, request_line_and_headers: &str, body: &str) -> String {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let address = app.url.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let request = format!(
        "{request_line_and_headers}Content-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
        .await
        .expect("the server answers and closes")
        .unwrap();
    String::from_utf8_lossy(&answer).into_owned()
}

/// `{ vendor { domain } }` over HTTP/2 (prior knowledge), its `:authority` naming `authority`.
async fn vendor_over_http2(app: &TestApp, authority: &str) -> Value {
    use hyper_util::rt::{TokioExecutor, TokioIo};
    let address = app.url.trim_start_matches("http://");
    let stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let (mut sender, connection) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .unwrap();
    tokio::spawn(connection);
    let request = axum::http::Request::post(format!("http://{authority}/graphql"))
        .header("Content-Type", "application/json")
        .body(axum::body::Body::from(
            json!({ "query": "{ vendor { domain } }" }).to_string(),
        ))
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    assert_eq!(response.status(), 200);
    let bytes = axum::body::to_bytes(axum::body::Body::new(response.into_body()), 1 << 20)
        .await
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// One host per request (RFC 9112 section 3.2), the same for HTTP and the WebSocket upgrade: two `Host`
/// headers are a 400; an absolute-form target names the store whatever `Host` says; over HTTP/2 the
/// `:authority` names it.
async fn a_request_names_one_host_and_its_target_wins(app: TestApp) {
    let (a, b) = (app.store("vendor1").await, app.store("vendor2").await);
    let query = json!({ "query": "{ vendor { domain } }" }).to_string();

    let two = raw_http(
        &app,
        &format!(
            "POST /graphql HTTP/1.1\r\nHost: {}\r\nHost: {}\r\n",
            a.domain, b.domain
        ),
        &query,
    )
    .await;
    assert!(two.starts_with("HTTP/1.1 400"), "{two}");
    let absolute = raw_http(
        &app,
        &format!(
            "POST http://{}/graphql HTTP/1.1\r\nHost: {}\r\n",
            b.domain, a.domain
        ),
        &query,
    )
    .await;
    assert!(absolute.starts_with("HTTP/1.1 200"), "{absolute}");
    let body = &absolute[absolute.find("\r\n\r\n").unwrap() + 4..];
    let answer: Value = serde_json::from_str(body).unwrap();
    assert_eq!(answer["data"]["vendor"]["domain"], b.domain.as_str());

    let refused = crate::harness::ws::Socket::open_raw(
        &app.url,
        &format!(
            "GET /graphql/ws HTTP/1.1\r\nHost: {}\r\nHost: {}\r\n",
            a.domain, b.domain
        ),
    )
    .await;
    assert!(
        refused
            .as_ref()
            .is_err_and(|status| status.starts_with("HTTP/1.1 400")),
        "{:?}",
        refused.err()
    );
    let mut socket = crate::harness::ws::Socket::open_raw(
        &app.url,
        &format!(
            "GET http://{}/graphql/ws HTTP/1.1\r\nHost: {}\r\n",
            b.domain, a.domain
        ),
    )
    .await
    .expect("the upgrade is accepted")
    .init(json!({}))
    .await
    .expect("acknowledged");
    socket
        .subscribe("v", "{ vendor { domain } }", json!({}))
        .await;
    assert_eq!(
        socket.next_data("v").await["vendor"]["domain"],
        b.domain.as_str()
    );

    let over_h2 = vendor_over_http2(&app, &b.domain).await;
    assert_eq!(
        over_h2["data"]["vendor"]["domain"],
        b.domain.as_str(),
        "{over_h2}"
    );
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// A second instance remembered both the store of a domain and a `Host` that named none (for an hour,
/// so nothing but the notification can make it forget within the test): each change made through the
/// first reaches it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_instance_learns_of_domain_changes_at_once() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let url = &app.database();
    let store = app.store("vendor1").await;
    let other = Instance::start_with(url, &[("MULTISTORE_UNKNOWN_HOST_TTL_SECS", "3600")]).await;
    let client = reqwest::Client::new();
    let ask = async |header: Option<&str>, host: Option<&str>| -> Value {
        let mut request = client
            .post(format!("{}/graphql", other.url))
            .json(&json!({ "query": "{ vendor { id } }" }));
        if let Some(domain) = header {
            request = request.header("X-Tenant-Domain", domain);
        }
        if let Some(host) = host {
            request = request.header("Host", host);
        }
        request.send().await.unwrap().json().await.unwrap()
    };
    let names_store = |body: &Value| body["data"]["vendor"]["id"] == store.id.as_str();
    // Remembered: the store's domain names it; the new host names nothing.
    assert!(names_store(&ask(Some(&store.domain), None).await));
    assert!(!names_store(&ask(None, Some("new.vendor1.com")).await));

    change(&app, &store, "addStoreDomain", "new.vendor1.com")
        .await
        .data();
    eventually("an added domain reaches the other instance", async || {
        names_store(&ask(None, Some("new.vendor1.com")).await)
    })
    .await;
    change(&app, &store, "setPrimaryDomain", "new.vendor1.com")
        .await
        .data();
    change(&app, &store, "removeStoreDomain", &store.domain)
        .await
        .data();
    eventually("a removed domain reaches the other instance", async || {
        ask(Some(&store.domain), None).await["errors"][0]["extensions"]["code"]
            == "TENANT_NOT_FOUND"
    })
    .await;
}
