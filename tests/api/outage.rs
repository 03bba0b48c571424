//! The database going away while the server runs: fast errors with the contract's code, never a hang or a
//! crash, and recovery by itself when the database is back.

use std::time::Duration;

use multistore::config::DatabaseUrl;
use serde_json::json;

use crate::harness::proxy::FlakyProxy;
use crate::harness::{Backend, TestApp};

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
    list().await.data();

    proxy.cut();
    for _ in 0..5 {
        // Each answer comes back (the harness waits for it) with the contract's code.
        let response = tokio::time::timeout(Duration::from_secs(30), list())
            .await
            .expect("no hang");
        // 503 when no connection can be had; 500 for the request that finds its pooled connection dead.
        assert!([500, 503].contains(&response.status), "{:#}", response.body);
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
    assert_eq!(app.get("/readyz").await.status(), 503);
    assert_eq!(
        app.get("/healthz").await.status(),
        200,
        "the process itself is fine"
    );

    proxy.restore();
    let mut recovered = false;
    for _ in 0..100 {
        let response = list().await;
        if response.body.get("errors").is_none() {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(recovered, "the service reconnects by itself");
    assert_eq!(app.get("/readyz").await.status(), 200);
}
