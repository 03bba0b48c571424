//! The request context (CONTRACT.md section 2): tenant and identity settled before any resolver runs.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::harness::ws::Socket;
use crate::harness::{JWT_SECRET, TestApp};
use crate::on_both_backends;

const WHO: &str = "{ me { id username role } vendor { id domain } }";

on_both_backends!(
    the_tenant_header_is_matched_loosely,
    an_unknown_tenant_is_404,
    operations_that_need_a_tenant_say_so,
    a_token_alone_names_its_tenant,
    a_token_of_one_vendor_is_forbidden_at_another,
    bad_credentials_are_401,
    tokens_of_deactivated_users_stop_working,
    the_host_names_the_store_without_the_header,
    a_socket_on_the_store_host_is_the_stores,
);

async fn the_tenant_header_is_matched_loosely(app: TestApp) {
    let store = app.store("vendor1").await;
    for header in [
        "vendor1.example.com",
        "  VENDOR1.Example.COM  ",
        "vendor1.example.com:8443",
    ] {
        let response = app
            .gql()
            .tenant(header)
            .send("{ vendor { id domain } }", json!({}))
            .await;
        assert_eq!(
            response.data()["vendor"]["id"],
            store.id.as_str(),
            "{header}"
        );
        assert_eq!(response.data()["vendor"]["domain"], "vendor1.example.com");
    }
}

async fn an_unknown_tenant_is_404(app: TestApp) {
    let store = app.store("vendor1").await;
    for request in [
        app.gql().tenant("nobody.example.com"),
        app.gql()
            .tenant("nobody.example.com")
            .token(&store.owner.token),
    ] {
        let response = request.send(WHO, json!({})).await;
        response.assert_error(404, "TENANT_NOT_FOUND");
        assert_eq!(response.body["data"], Value::Null);
        assert!(response.error()["message"].is_string());
    }
    // An unknown domain is not remembered as unknown: the store can open a moment later.
    let later = app
        .gql()
        .tenant("later.example.com")
        .send("{ vendor { id } }", json!({}))
        .await;
    later.assert_error(404, "TENANT_NOT_FOUND");
    let (id, _) = app.register_vendor("later.example.com").await;
    let found = app
        .gql()
        .tenant("later.example.com")
        .send("{ vendor { id } }", json!({}))
        .await;
    assert_eq!(found.data()["vendor"]["id"], id.as_str());
}

async fn operations_that_need_a_tenant_say_so(app: TestApp) {
    let response = app.gql().send("{ vendor { id } }", json!({})).await;
    response.assert_error(200, "TENANT_REQUIRED");
    let response = app
        .gql()
        .send(
            "mutation { login(input: { username: \"someone\", password: \"password123\" }) { accessToken } }",
            json!({}),
        )
        .await;
    response.assert_error(200, "TENANT_REQUIRED");
    let response = app.gql().send("{ me { id } }", json!({})).await;
    response.assert_error(200, "UNAUTHENTICATED");
}

async fn a_token_alone_names_its_tenant(app: TestApp) {
    let one = app.store("vendor1").await;
    let two = app.store("vendor2").await;
    for (store, account) in [
        (&one, &one.customer),
        (&two, &two.staff),
        (&two, &two.owner),
    ] {
        let response = app.gql().token(&account.token).send(WHO, json!({})).await;
        let data = response.data();
        assert_eq!(data["vendor"]["id"], store.id.as_str());
        assert_eq!(data["me"]["id"], account.id.as_str());
        // The same with the matching header.
        let response = app.as_user(store, account).send(WHO, json!({})).await;
        assert_eq!(response.data()["me"]["username"], account.username.as_str());
    }
}

/// The seed's own promise: a vendor-1 token with vendor 2's header gets HTTP 403.
async fn a_token_of_one_vendor_is_forbidden_at_another(app: TestApp) {
    let one = app.store("vendor1").await;
    let two = app.store("vendor2").await;
    for account in [&one.owner, &one.staff, &one.customer] {
        let response = app
            .gql()
            .tenant(&two.domain)
            .token(&account.token)
            .send(WHO, json!({}))
            .await;
        response.assert_error(403, "FORBIDDEN");
        assert_eq!(response.body["data"], Value::Null);
    }
}

/// A storefront served on its store's own domain: `Host` names the store as `X-Tenant-Domain` would;
/// the header wins; a `Host` of no store is ignored; a token of another store is forbidden there.
async fn the_host_names_the_store_without_the_header(app: TestApp) {
    let one = app.store("vendor1").await;
    let two = app.store("vendor2").await;
    for host in [
        one.domain.clone(),
        format!("{}:8443", one.domain.to_uppercase()),
    ] {
        let response = app
            .gql()
            .header("Host", &host)
            .send("{ vendor { id domain } }", json!({}))
            .await;
        assert_eq!(response.data()["vendor"]["id"], one.id.as_str(), "{host}");
        let response = app
            .gql()
            .header("Host", &host)
            .token(&one.customer.token)
            .send(WHO, json!({}))
            .await;
        assert_eq!(response.data()["me"]["id"], one.customer.id.as_str());
    }
    // The header wins over the host.
    let response = app
        .gql()
        .header("Host", &one.domain)
        .tenant(&two.domain)
        .send("{ vendor { id } }", json!({}))
        .await;
    assert_eq!(response.data()["vendor"]["id"], two.id.as_str());
    // A host of no store is ignored: no tenant, or the token's.
    let response = app
        .gql()
        .header("Host", "api.platform.example")
        .send("{ vendor { id } }", json!({}))
        .await;
    response.assert_error(200, "TENANT_REQUIRED");
    let response = app
        .gql()
        .header("Host", "api.platform.example")
        .token(&two.owner.token)
        .send(WHO, json!({}))
        .await;
    assert_eq!(response.data()["vendor"]["id"], two.id.as_str());
    // Another store's token on this store's host.
    let response = app
        .gql()
        .header("Host", &one.domain)
        .token(&two.owner.token)
        .send(WHO, json!({}))
        .await;
    response.assert_error(403, "FORBIDDEN");
}

/// A WebSocket opened on the store's own host belongs to that store, with nothing in its payload.
async fn a_socket_on_the_store_host_is_the_stores(app: TestApp) {
    let one = app.store("vendor1").await;
    let two = app.store("vendor2").await;
    let mut socket = Socket::connect_to_host(&app.url, Some(&one.domain), json!({}))
        .await
        .expect("the socket is accepted");
    socket.subscribe("1", "{ vendor { id } }", json!({})).await;
    assert_eq!(socket.next_data("1").await["vendor"]["id"], one.id.as_str());
    // The payload's tenant wins over the host.
    let mut socket = Socket::connect_to_host(
        &app.url,
        Some(&one.domain),
        json!({ "X-Tenant-Domain": two.domain }),
    )
    .await
    .expect("the socket is accepted");
    socket.subscribe("1", "{ vendor { id } }", json!({})).await;
    assert_eq!(socket.next_data("1").await["vendor"]["id"], two.id.as_str());
}

async fn bad_credentials_are_401(app: TestApp) {
    let store = app.store("vendor1").await;
    let claims = claims_of(&store.customer.token);
    let now = chrono::Utc::now().timestamp();

    let expired = sign(
        &with(&claims, json!({ "exp": now - 3600, "iat": now - 4500 })),
        JWT_SECRET,
    );
    let wrong_key = sign(&claims, "another-secret-another-secret-another!");
    let refresh_typ = sign(&with(&claims, json!({ "typ": "refresh" })), JWT_SECRET);
    let other_issuer = sign(&with(&claims, json!({ "iss": "someone-else" })), JWT_SECRET);
    let no_expiry = sign(&without(&claims, "exp"), JWT_SECRET);
    let missing: Vec<String> = ["typ", "aud", "iss", "sub"]
        .iter()
        .map(|claim| sign(&without(&claims, claim), JWT_SECRET))
        .collect();
    let other_audience = sign(&with(&claims, json!({ "aud": "another-api" })), JWT_SECRET);
    let sub_mismatch = sign(&with(&claims, json!({ "sub": "1" })), JWT_SECRET);
    let unknown_user = sign(
        &with(&claims, json!({ "sub": "999999", "user_id": 999999 })),
        JWT_SECRET,
    );
    // RFC 8725: issued or valid only in the future, living longer than the service issues tokens for,
    // or with a critical header extension the service does not know.
    let from_the_future = sign(
        &with(&claims, json!({ "iat": now + 600, "exp": now + 1200 })),
        JWT_SECRET,
    );
    let not_yet = sign(&with(&claims, json!({ "nbf": now + 600 })), JWT_SECRET);
    let too_long = sign(
        &with(&claims, json!({ "iat": now, "exp": now + 30 * 24 * 3600 })),
        JWT_SECRET,
    );
    let critical = {
        let token = sign(&claims, JWT_SECRET);
        let payload = token.split('.').nth(1).unwrap();
        use base64::Engine as _;
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let header = engine.encode(r#"{"alg":"HS256","typ":"JWT","crit":["exp"]}"#);
        let input = format!("{header}.{payload}");
        let signature = jsonwebtoken::crypto::sign(
            input.as_bytes(),
            &EncodingKey::from_secret(JWT_SECRET.as_bytes()),
            Algorithm::HS256,
        )
        .unwrap();
        format!("{input}.{signature}")
    };
    let unsigned = {
        let payload = store.customer.token.split('.').nth(1).unwrap();
        // {"alg":"none","typ":"JWT"}
        format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{payload}.")
    };
    let authorizations = [
        "Bearer not-a-token".to_owned(),
        format!("Bearer {expired}"),
        format!("Bearer {wrong_key}"),
        format!("Bearer {refresh_typ}"),
        format!("Bearer {other_issuer}"),
        format!("Bearer {no_expiry}"),
        format!("Bearer {}", missing[0]),
        format!("Bearer {}", missing[1]),
        format!("Bearer {}", missing[2]),
        format!("Bearer {}", missing[3]),
        format!("Bearer {other_audience}"),
        format!("Bearer {sub_mismatch}"),
        format!("Bearer {unknown_user}"),
        format!("Bearer {unsigned}"),
        format!("Bearer {from_the_future}"),
        format!("Bearer {not_yet}"),
        format!("Bearer {too_long}"),
        format!("Bearer {critical}"),
        // A refresh token is never an access token.
        format!("Bearer {}", store.customer.refresh_token),
        format!("Basic {}", store.customer.token),
        "Bearer".to_owned(),
        String::new(),
    ];
    for authorization in &authorizations {
        for request in [app.gql(), app.gql().tenant(&store.domain)] {
            let response = request
                .header("Authorization", authorization)
                .send(WHO, json!({}))
                .await;
            assert_eq!(response.status, 401, "{authorization}: {:#}", response.body);
            assert_eq!(response.code(), "UNAUTHENTICATED");
            assert_eq!(response.body["data"], Value::Null);
        }
    }
    // Sanity: the forged claims themselves are fine when signed with the right key.
    let good = sign(&claims, JWT_SECRET);
    app.gql().token(&good).send(WHO, json!({})).await.data();
}

async fn tokens_of_deactivated_users_stop_working(app: TestApp) {
    let store = app.store("vendor1").await;
    app.as_user(&store, &store.staff)
        .send(WHO, json!({}))
        .await
        .data();
    app.deactivate_staff(&store, &store.staff).await;
    let response = app.as_user(&store, &store.staff).send(WHO, json!({})).await;
    response.assert_error(401, "UNAUTHENTICATED");
    let response = app
        .gql()
        .token(&store.staff.token)
        .send(WHO, json!({}))
        .await;
    response.assert_error(401, "UNAUTHENTICATED");
    // Others of the store are untouched.
    app.as_user(&store, &store.owner)
        .send(WHO, json!({}))
        .await
        .data();
}

fn claims_of(token: &str) -> Value {
    use base64::Engine as _;
    let payload = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

fn sign(claims: &Value, secret: &str) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

/// `claims` with the fields of `changes` set.
fn with(claims: &Value, changes: Value) -> Value {
    let mut claims = claims.clone();
    for (key, value) in changes.as_object().unwrap() {
        claims[key] = value.clone();
    }
    claims
}

fn without(claims: &Value, key: &str) -> Value {
    let mut claims = claims.clone();
    claims.as_object_mut().unwrap().remove(key);
    claims
}
