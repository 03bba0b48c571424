//! The database going away while the server runs: fast errors with the contract's code, never a hang or a
//! crash, and recovery by itself when the database is back.

use std::time::Duration;

use multistore::config::DatabaseUrl;
use serde_json::{Value, json};

use crate::harness::proxy::FlakyProxy;
use crate::harness::{Backend, Gql, TestApp};

/// Waits for an answer; a hang fails the test instead of blocking it.
async fn answered(request: impl std::future::Future<Output = Gql>) -> Gql {
    tokio::time::timeout(Duration::from_secs(30), request)
        .await
        .expect("an answer, not a hang")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn losing_postgres_gives_fast_errors_and_the_service_recovers() {
    let proxy = FlakyProxy::start("127.0.0.1:5432".into()).await;
    let port = proxy.port;
    let app = TestApp::spawn_with(Backend::Postgres, |config| {
        if let DatabaseUrl::Postgres(url) = &config.database_url {
            config.database_url =
                DatabaseUrl::Postgres(url.replace(":5432/", &format!(":{port}/")));
        }
    })
    .await;
    let store = app.store("vendor1").await;
    let list = || {
        app.gql()
            .tenant(&store.domain)
            .send("{ products { totalCount } }", json!({}))
    };
    let me = || {
        app.as_user(&store, &store.owner)
            .send("{ me { id } }", json!({}))
    };
    list().await.data();

    proxy.cut();
    for _ in 0..5 {
        // Inside a resolver the error is part of the GraphQL answer; before GraphQL runs (checking a
        // token) it is a 503 when no connection can be had, a 500 when a pooled one is found dead.
        for response in [answered(list()).await, answered(me()).await] {
            assert!(
                [200, 500, 503].contains(&response.status),
                "{:#}",
                response.body
            );
            assert_eq!(response.body["data"], Value::Null);
            assert_eq!(
                response.code(),
                "INTERNAL_SERVER_ERROR",
                "{:#}",
                response.body
            );
            let text = response.body.to_string().to_lowercase();
            assert!(
                !text.contains("connection") && !text.contains("postgres"),
                "{text}"
            );
        }
    }
    let response = answered(me()).await;
    assert_eq!(response.status, 503, "{:#}", response.body);
    assert_eq!(app.get("/readyz").await.status(), 503);
    assert_eq!(
        app.get("/healthz").await.status(),
        200,
        "the process itself is fine"
    );

    proxy.restore();
    let mut recovered = false;
    for _ in 0..100 {
        if list().await.body.get("errors").is_none() && me().await.body.get("errors").is_none() {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(recovered, "the service reconnects by itself");
    // Its event listener reconnects too, after a back-off of a few seconds at most.
    app.wait_until_ready().await;
}
