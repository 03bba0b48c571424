//! Several domains per store (CONTRACT.md sections 2 and 6): each names the store by header and as the
//! `Host`; one is primary (`Vendor.domain`, new tokens); one to 20 per store; none of another store's,
//! whatever runs at the same time; and a second instance learns of every change at once.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::harness::fixtures::PASSWORD;
use crate::harness::process::Instance;
use crate::harness::{Backend, Gql, Store, TestApp};
use crate::on_both_backends;

on_both_backends!(
    a_store_answers_on_each_of_its_domains,
    a_domain_names_one_store_only,
    concurrent_claims_of_one_domain_give_it_to_one_store,
    a_store_has_one_to_twenty_domains,
    bad_domains_are_refused_and_change_nothing
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

/// Polls `check` until it holds, for at most two seconds (a notification takes milliseconds).
async fn soon(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(2);
    while !check().await {
        assert!(Instant::now() < deadline, "{what}: not seen within 2 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A second instance remembered both the store of a domain and a `Host` that named none: each change
/// made through the first reaches it at once (not after the 10 s its memory of unknown hosts lasts).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_instance_learns_of_domain_changes_at_once() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let multistore::config::DatabaseUrl::Postgres(url) = &app.state.config.database_url else {
        unreachable!()
    };
    let store = app.store("vendor1").await;
    let other = Instance::start(url).await;
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
    soon("an added domain", async || {
        names_store(&ask(None, Some("new.vendor1.com")).await)
    })
    .await;
    change(&app, &store, "setPrimaryDomain", "new.vendor1.com")
        .await
        .data();
    change(&app, &store, "removeStoreDomain", &store.domain)
        .await
        .data();
    soon("a removed domain", async || {
        ask(Some(&store.domain), None).await["errors"][0]["extensions"]["code"]
            == "TENANT_NOT_FOUND"
    })
    .await;
}
