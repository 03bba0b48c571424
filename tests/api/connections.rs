//! Connections as a hostile or careless client holds them: half-sent heads and bodies, floods of
//! connections, and a shutdown while clients hang on.

use std::time::Duration;

use serde_json::json;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::harness::process::Instance;
use crate::harness::ws::{Heard, Socket};
use crate::harness::{Backend, TestApp};

/// Longer than any deadline of the server's (the body's is 30 s).
const CLOSES_WITHIN: Duration = Duration::from_secs(45);

/// A connection that sent part of a request head and nothing more.
async fn half_sent(address: &str) -> TcpStream {
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream
        .write_all(b"POST /graphql HTTP/1.1\r\nHost: shop\r\n")
        .await
        .unwrap();
    stream
}

/// Whether the server closed the connection at once (it was refused).
async fn refused_at_once(stream: &mut TcpStream) -> bool {
    let mut byte = [0u8; 1];
    matches!(
        tokio::time::timeout(Duration::from_millis(500), stream.read(&mut byte)).await,
        Ok(Ok(0) | Err(_))
    )
}

/// Reads until the server closes the connection; what it sent.
async fn until_closed(stream: &mut TcpStream) -> String {
    let mut answer = Vec::new();
    tokio::time::timeout(CLOSES_WITHIN, async {
        let mut buffer = [0u8; 4096];
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buffer[..n]),
            }
        }
    })
    .await
    .expect("the server closes the connection");
    String::from_utf8_lossy(&answer).into_owned()
}

/// A connection whose request is under way: its head is complete, its body late.
async fn busy(address: &str) -> TcpStream {
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream
        .write_all(
            b"POST /graphql HTTP/1.1\r\nHost: shop\r\nContent-Type: application/json\r\n\
              Content-Length: 100\r\n\r\n{",
        )
        .await
        .unwrap();
    stream
}

/// At the connection cap, connections that are idle or still sending their head make room for new
/// ones, the longest waiting first, so a flood of them cannot keep a real client out; only a cap's
/// worth of requests under way refuses the next connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_and_slow_connections_make_room_and_busy_ones_meet_the_cap() {
    const CAP: usize = 12;
    let app = TestApp::spawn_with(Backend::Sqlite, |config| config.max_connections = CAP).await;
    let address = app.url.trim_start_matches("http://").to_owned();
    let mut slow = Vec::new();
    for _ in 0..CAP {
        slow.push(half_sent(&address).await);
    }
    // Every place is held by a slow head: a real client, on a connection of its own, is served all
    // the same.
    for _ in 0..3 {
        let fresh = reqwest::Client::new()
            .post(format!("{}/graphql", app.url))
            .header("Content-Type", "application/json")
            .body(json!({ "query": "{ __typename }" }).to_string())
            .send()
            .await
            .expect("a new connection is served");
        assert_eq!(fresh.status(), 200);
    }

    // Requests under way keep their places: the slow heads make room for them, and once every place
    // has one under way the next connection is refused at once.
    let mut running = Vec::new();
    for _ in 0..CAP {
        let mut stream = busy(&address).await;
        assert!(
            !refused_at_once(&mut stream).await,
            "a busy connection took an idle one's place"
        );
        running.push(stream);
    }
    let mut one_more = half_sent(&address).await;
    assert!(
        refused_at_once(&mut one_more).await,
        "every place has a request under way"
    );
    // Each slow head gave its place up and was closed, unanswered.
    for stream in &mut slow {
        assert_eq!(until_closed(stream).await, "");
    }
}

/// A body that does not arrive within its deadline is answered 408 and the connection closed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_body_is_answered_408() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let address = app.url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream
        .write_all(
            b"POST /graphql HTTP/1.1\r\nHost: shop\r\nContent-Type: application/json\r\n\
              Content-Length: 100\r\n\r\n{\"query\":",
        )
        .await
        .unwrap();
    let answer = until_closed(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
}

/// SIGTERM: the process stops accepting, finishes what is in flight, closes its sockets (1001) and
/// exits 0, though a client holds a half-sent request and another a subscription.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_exits_cleanly_whatever_clients_do() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("shop.db");
    let mut instance = Instance::start(database.to_str().unwrap()).await;
    let address = instance.url.trim_start_matches("http://").to_owned();
    let _hanging = half_sent(&address).await;
    let mut socket = Socket::connect(&instance.url, json!({})).await.unwrap();
    socket
        .subscribe("s", "subscription { orderPlaced { id } }", json!({}))
        .await;
    // The anonymous subscription is refused and completes; the socket stays open.
    socket.next("s").await;

    let pid = instance.child.id().to_string();
    let signalled = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(signalled.success());
    match socket.next_within("none", CLOSES_WITHIN).await {
        Some(Heard::Closed(code, _)) => assert_eq!(code, 1001),
        other => panic!("expected the socket to close with 1001, got {other:?}"),
    }
    let exited = tokio::time::timeout(CLOSES_WITHIN, async {
        loop {
            if let Some(status) = instance.child.try_wait().unwrap() {
                return status;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("the process exits");
    assert!(exited.success(), "{exited}");
}

/// `MULTISTORE_METRICS_BIND` serves `/metrics` on its own address, and not on the API's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_can_be_served_on_their_own_address() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("shop.db");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let metrics = format!("127.0.0.1:{port}");
    let instance = Instance::start_with(
        database.to_str().unwrap(),
        &[("MULTISTORE_METRICS_BIND", &metrics)],
    )
    .await;
    let api = reqwest::get(format!("{}/metrics", instance.url))
        .await
        .unwrap();
    assert_eq!(api.status(), 404);
    let own = reqwest::get(format!("http://{metrics}/metrics"))
        .await
        .unwrap();
    assert_eq!(own.status(), 200);
    assert!(
        own.text()
            .await
            .unwrap()
            .contains("multistore_db_pool_connections")
    );
}

/// WebSockets count against the cap from their upgrade, before they send `connection_init`: sockets that
/// never initialise cannot pile up past it (the next upgrade is answered 503), and their places come back
/// when they close.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sockets_waiting_for_their_init_count_against_the_cap() {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
    let app = TestApp::spawn_with(Backend::Sqlite, |config| config.max_connections = 2).await;
    let upgrade = || async {
        let url = format!("{}/graphql/ws", app.url.replacen("http", "ws", 1));
        let mut request = url.into_client_request().unwrap();
        request.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            "graphql-transport-ws".parse().unwrap(),
        );
        tokio_tungstenite::connect_async(request).await
    };
    let first = upgrade().await.expect("the first socket opens");
    let second = upgrade().await.expect("the second socket opens");
    // Both sessions have started (and are counted) before the third asks.
    crate::harness::eventually("both sockets are counted", async || {
        app.state.metrics.sockets_open() == 2
    })
    .await;
    match upgrade().await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 503)
        }
        other => panic!("expected 503, got {:?}", other.map(|_| ())),
    }
    drop((first, second));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while upgrade().await.is_err() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "places never came back"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
