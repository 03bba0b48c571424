//! Opening a store, signing up and signing in (`registerVendor`, `register`, `login`, `me`, `vendor`).

use serde_json::{Value, json};

use crate::harness::{TestApp, fixtures::AUTH_FIELDS, fixtures::PASSWORD};
use crate::on_both_backends;

on_both_backends!(
    registering_a_vendor_signs_its_owner_in,
    vendor_registration_checks_its_input_and_changes_nothing_on_error,
    vendor_domains_are_unique,
    customers_sign_up_in_the_header_store,
    usernames_are_unique_per_store_only,
    sign_up_input_cannot_choose_a_role,
    login_checks_the_password_in_the_store,
    access_tokens_carry_the_contract_claims,
);

fn register_vendor_mutation() -> String {
    format!(
        "mutation($input: RegisterVendorInput!) {{ registerVendor(input: $input) {{ {AUTH_FIELDS} }} }}"
    )
}

fn register_mutation() -> String {
    format!("mutation($input: RegisterInput!) {{ register(input: $input) {{ {AUTH_FIELDS} }} }}")
}

fn login_mutation() -> String {
    format!("mutation($input: LoginInput!) {{ login(input: $input) {{ {AUTH_FIELDS} }} }}")
}

fn vendor_input(domain: &str, username: &str) -> Value {
    json!({
        "storeName": "  Corner Shop ",
        "domain": domain,
        "username": username,
        "email": "owner@corner.example",
        "password": PASSWORD,
    })
}

async fn registering_a_vendor_signs_its_owner_in(app: TestApp) {
    let response = app
        .gql()
        .send(
            &register_vendor_mutation(),
            json!({ "input": vendor_input("Corner.Example.COM", "corner") }),
        )
        .await;
    let payload = &response.data()["registerVendor"];
    assert_eq!(
        payload["vendor"]["domain"], "corner.example.com",
        "domains are kept in lower case"
    );
    assert_eq!(payload["vendor"]["storeName"], "Corner Shop");
    assert_eq!(payload["vendor"]["contactEmail"], Value::Null);
    assert_eq!(payload["user"]["role"], "OWNER");
    assert_eq!(payload["user"]["firstName"], "");
    let created_at = payload["user"]["createdAt"].as_str().unwrap();
    assert!(created_at.ends_with('Z'), "{created_at}");
    chrono::DateTime::parse_from_rfc3339(created_at).unwrap();

    let token = payload["accessToken"].as_str().unwrap();
    assert!(!payload["refreshToken"].as_str().unwrap().is_empty());
    let me = app
        .gql()
        .token(token)
        .send("{ me { id role } vendor { id storeName } }", json!({}))
        .await;
    assert_eq!(me.data()["me"]["id"], payload["user"]["id"]);
    assert_eq!(me.data()["me"]["role"], "OWNER");
    assert_eq!(me.data()["vendor"]["id"], payload["vendor"]["id"]);

    // The owner can sign in at the new store.
    let login = app.login("corner.example.com", "corner", PASSWORD).await;
    assert_eq!(login.id, payload["user"]["id"].as_str().unwrap());
}

async fn vendor_registration_checks_its_input_and_changes_nothing_on_error(app: TestApp) {
    let cases = [
        ("domain", json!("not a domain")),
        ("domain", json!("-bad.example.com")),
        ("domain", json!("")),
        ("storeName", json!("   ")),
        ("username", json!("ab")),
        ("username", json!("has space")),
        ("email", json!("nope")),
        ("password", json!("short")),
        ("password", json!("x".repeat(73))),
        ("contactEmail", json!("not-an-email")),
    ];
    for (field, value) in cases {
        let mut input = vendor_input("corner.example.com", "corner");
        input[field] = value.clone();
        let response = app
            .gql()
            .send(&register_vendor_mutation(), json!({ "input": input }))
            .await;
        assert_eq!(response.code(), "BAD_USER_INPUT", "{field}={value}");
        assert_eq!(response.field(), field, "{field}={value}");
        assert_eq!(response.body["data"], Value::Null);
    }
    // None of the refused attempts took the domain or the username.
    app.gql()
        .send(
            &register_vendor_mutation(),
            json!({ "input": vendor_input("corner.example.com", "corner") }),
        )
        .await
        .data();
}

async fn vendor_domains_are_unique(app: TestApp) {
    app.register_vendor("taken.example.com").await;
    let response = app
        .gql()
        .send(
            &register_vendor_mutation(),
            json!({ "input": vendor_input("TAKEN.example.com", "other") }),
        )
        .await;
    assert_eq!(response.code(), "CONFLICT");
    assert_eq!(response.field(), "domain");
    // The owner account of the refused store was not kept: its username is free at a new store.
    let (_, owner) = app.register_vendor("fresh.example.com").await;
    assert_eq!(owner.username, "fresh_owner");
}

async fn customers_sign_up_in_the_header_store(app: TestApp) {
    let store = app.store("vendor1").await;
    let response = app
        .gql()
        .tenant(&store.domain)
        .send(
            &register_mutation(),
            json!({ "input": {
                "username": "new.buyer+1@x",
                "email": "buyer@mail.example.org",
                "password": PASSWORD,
                "firstName": "Bea",
                "lastName": "Buyer",
            }}),
        )
        .await;
    let payload = &response.data()["register"];
    assert_eq!(payload["user"]["role"], "CUSTOMER");
    assert_eq!(payload["user"]["firstName"], "Bea");
    assert_eq!(payload["vendor"]["id"], store.id.as_str());

    let without_store = app
        .gql()
        .send(
            &register_mutation(),
            json!({ "input": { "username": "x_buyer", "email": "x@y.org", "password": PASSWORD } }),
        )
        .await;
    assert_eq!(without_store.code(), "TENANT_REQUIRED");

    let bad = app
        .gql()
        .tenant(&store.domain)
        .send(&register_mutation(), json!({ "input": { "username": "x_buyer", "email": "x@y.org", "password": "1234567" } }))
        .await;
    assert_eq!(bad.code(), "BAD_USER_INPUT");
    assert_eq!(bad.field(), "password");
}

async fn usernames_are_unique_per_store_only(app: TestApp) {
    let one = app.store("vendor1").await;
    let two = app.store("vendor2").await;
    // The same name at another store is another person.
    let twin = app.register_customer(&two.domain, "vendor1_customer").await;
    assert_ne!(twin.id, one.customer.id);

    for taken in [
        "vendor1_customer",
        "VENDOR1_Customer",
        "vendor1_owner",
        "vendor1_staff",
    ] {
        let response = app
            .gql()
            .tenant(&one.domain)
            .send(
                &register_mutation(),
                json!({ "input": { "username": taken, "email": "x@y.org", "password": PASSWORD } }),
            )
            .await;
        assert_eq!(response.code(), "CONFLICT", "{taken}");
        assert_eq!(response.field(), "username");
    }
}

async fn sign_up_input_cannot_choose_a_role(app: TestApp) {
    let store = app.store("vendor1").await;
    for extra in [
        json!({ "role": "OWNER" }),
        json!({ "vendorId": "1" }),
        json!({ "id": "1" }),
    ] {
        let mut input = json!({ "username": "sneaky", "email": "s@y.org", "password": PASSWORD });
        for (key, value) in extra.as_object().unwrap() {
            input[key] = value.clone();
        }
        let response = app
            .gql()
            .tenant(&store.domain)
            .send(&register_mutation(), json!({ "input": input }))
            .await;
        assert_eq!(response.code(), "BAD_USER_INPUT", "{extra}");
    }
    let signed_up = app.register_customer(&store.domain, "sneaky").await;
    let me = app
        .gql()
        .token(&signed_up.token)
        .send("{ me { role } }", json!({}))
        .await;
    assert_eq!(me.data()["me"]["role"], "CUSTOMER");
}

async fn login_checks_the_password_in_the_store(app: TestApp) {
    let one = app.store("vendor1").await;
    let two = app.store("vendor2").await;

    let account = app.login(&one.domain, "VENDOR1_customer", PASSWORD).await;
    assert_eq!(
        account.id, one.customer.id,
        "usernames are matched without case"
    );

    let attempts = [
        (one.domain.as_str(), "vendor1_customer", "wrong-password"),
        (one.domain.as_str(), "nobody_here", PASSWORD),
        // Right name and password, wrong store.
        (two.domain.as_str(), "vendor1_customer", PASSWORD),
    ];
    let mut messages = Vec::new();
    for (domain, username, password) in attempts {
        let response = app
            .gql()
            .tenant(domain)
            .send(
                &login_mutation(),
                json!({ "input": { "username": username, "password": password } }),
            )
            .await;
        assert_eq!(response.code(), "UNAUTHENTICATED", "{domain} {username}");
        assert_eq!(response.body["data"], Value::Null);
        messages.push(response.error()["message"].clone());
    }
    assert!(
        messages.windows(2).all(|w| w[0] == w[1]),
        "one answer for all: {messages:?}"
    );

    app.deactivate_staff(&one, &one.staff).await;
    let response = app
        .gql()
        .tenant(&one.domain)
        .send(
            &login_mutation(),
            json!({ "input": { "username": "vendor1_staff", "password": PASSWORD } }),
        )
        .await;
    assert_eq!(response.code(), "UNAUTHENTICATED");
    assert_eq!(response.error()["message"], messages[0]);
}

async fn access_tokens_carry_the_contract_claims(app: TestApp) {
    use base64::Engine as _;
    let store = app.store("vendor1").await;
    for (account, role) in [
        (&store.owner, "owner"),
        (&store.staff, "staff"),
        (&store.customer, "customer"),
    ] {
        let payload = account.token.split('.').nth(1).unwrap();
        let claims: Value = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(payload)
                .unwrap(),
        )
        .unwrap();
        assert_eq!(claims["sub"], account.id.as_str());
        assert_eq!(claims["user_id"].to_string(), account.id);
        assert_eq!(claims["tenant_id"].to_string(), store.id);
        assert_eq!(claims["tenant_domain"], store.domain.as_str());
        assert_eq!(claims["role"], role);
        assert_eq!(claims["typ"], "access");
        assert_eq!(
            claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
            15 * 60
        );
        for claim in ["iss", "aud", "jti"] {
            assert!(claims[claim].is_string(), "{claim}");
        }
    }
}
