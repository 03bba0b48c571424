//! Around the API: Prometheus metrics and CORS for browser apps.

use serde_json::json;

use crate::harness::ws::Socket;
use crate::harness::{Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(metrics_count_operations_errors_and_the_pool);

/// `GET /metrics` of a router, as if the request came from `peer`.
async fn metrics_status(app: &multistore::AppState, peer: &str) -> u16 {
    use tower::ServiceExt as _;
    let mut request = axum::http::Request::get("/metrics")
        .body(axum::body::Body::empty())
        .unwrap();
    let peer: std::net::SocketAddr = peer.parse().unwrap();
    request
        .extensions_mut()
        .insert(axum::extract::ConnectInfo(peer));
    let response = multistore::http::router(app.clone())
        .oneshot(request)
        .await
        .unwrap();
    response.status().as_u16()
}

/// On the API's address `/metrics` answers loopback clients only (no client elsewhere can reach a
/// loopback address, so the router is driven in process with the peer's address set), unless the
/// operator makes it public.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_on_the_api_address_are_for_loopback_clients() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    assert_eq!(app.get("/metrics").await.status(), 200, "over real HTTP");
    for (peer, status) in [
        ("127.0.0.1:40000", 200),
        ("[::1]:40000", 200),
        ("[::ffff:127.0.0.1]:40000", 200),
        ("203.0.113.9:40000", 404),
        ("10.1.2.3:40000", 404),
        ("[2001:db8::1]:40000", 404),
    ] {
        assert_eq!(metrics_status(&app.state, peer).await, status, "{peer}");
    }
    let public = TestApp::spawn_with(Backend::Sqlite, |config| config.metrics_public = true).await;
    assert_eq!(
        metrics_status(&public.state, "203.0.113.9:40000").await,
        200
    );
}

async fn metrics_count_operations_errors_and_the_pool(app: TestApp) {
    let store = app.store("vendor1").await;
    for _ in 0..3 {
        app.gql()
            .tenant(&store.domain)
            .send("query Storefront { vendor { id } }", json!({}))
            .await
            .data();
    }
    let refused = app.gql().send("query Who { me { id } }", json!({})).await;
    assert_eq!(refused.code(), "UNAUTHENTICATED");
    app.gql()
        .tenant("nobody.example.com")
        .send("{ vendor { id } }", json!({}))
        .await;
    // An operation over a WebSocket is counted as one over HTTP: the same runner serves both.
    let mut socket = Socket::connect(&app.url, json!({ "X-Tenant-Domain": store.domain }))
        .await
        .unwrap();
    socket
        .subscribe("1", "query OverSocket { vendor { id } }", json!({}))
        .await;
    assert!(socket.next_data("1").await["vendor"]["id"].is_string());

    let response = app.get("/metrics").await;
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    for expected in [
        "multistore_graphql_operation_seconds_count{operation=\"Storefront\"} 3",
        "multistore_graphql_operation_seconds_count{operation=\"OverSocket\"} 1",
        "multistore_graphql_operation_seconds_bucket{operation=\"Who\",le=\"+Inf\"} 1",
        "multistore_graphql_errors_total{code=\"UNAUTHENTICATED\"} 1",
        "multistore_http_responses_total{status=\"404\"} 1",
        "multistore_db_pool_connections{state=\"max\"} 8",
        "# TYPE multistore_db_statements_total counter",
    ] {
        assert!(text.contains(expected), "{expected} in:\n{text}");
    }
}

/// Label values come only from operations that validated, are bounded in length, and a scrape stays
/// small whatever names clients send.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metric_labels_come_only_from_validated_operations() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let junk = format!("Junk\r\n{}", "x".repeat(100 * 1024));
    for i in 0..50 {
        // A name the document does not hold: validation refuses it.
        let body =
            json!({ "query": "query Real { __typename }", "operationName": format!("{junk}{i}") });
        let response = app.gql().send_body(body.to_string()).await;
        assert_eq!(response.code(), "GRAPHQL_VALIDATION_FAILED");
        // A document that does not validate, whatever it is named.
        let body = json!({ "query": format!("query Nope{i} {{ nope }}") });
        app.gql().send_body(body.to_string()).await;
    }
    let long = format!("query {} {{ __typename }}", "L".repeat(100));
    app.gql().send(&long, json!({})).await.data();
    app.gql()
        .send("query Real { __typename }", json!({}))
        .await
        .data();

    let text = app.get("/metrics").await.text().await.unwrap();
    assert!(text.len() < 64 * 1024, "{} bytes", text.len());
    assert!(!text.contains("Junk") && !text.contains("Nope") && !text.contains("LLLL"));
    assert!(text.contains("operation=\"Real\""), "{text}");
    assert!(text.contains("operation=\"other\""), "{text}");
    assert!(!text.contains('\r'));
}

#[tokio::test]
async fn browsers_of_configured_origins_may_call_the_api() {
    let app = TestApp::spawn_with(Backend::Sqlite, |config| {
        config.cors_origins = vec!["https://shop.example".into()];
    })
    .await;
    let client = reqwest::Client::new();
    let preflight = |origin: &'static str| {
        client
            .request(reqwest::Method::OPTIONS, format!("{}/graphql", app.url))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .header(
                "Access-Control-Request-Headers",
                "authorization,content-type,x-tenant-domain",
            )
            .send()
    };
    let allowed = preflight("https://shop.example").await.unwrap();
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://shop.example"
    );
    let headers = allowed.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    assert!(
        headers.contains("x-tenant-domain") && headers.contains("authorization"),
        "{headers}"
    );

    let other = preflight("https://evil.example").await.unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());

    let closed = TestApp::spawn(Backend::Sqlite).await;
    let response = client
        .post(format!("{}/graphql", closed.url))
        .header("Origin", "https://shop.example")
        .header("Content-Type", "application/json")
        .body(r#"{"query":"{ __typename }"}"#)
        .send()
        .await
        .unwrap();
    assert!(
        response
            .headers()
            .get("access-control-allow-origin")
            .is_none(),
        "no CORS unless configured"
    );
}
