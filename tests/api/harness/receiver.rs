//! A webhook receiver for the tests: a real HTTP server on loopback that records every request and
//! answers 500 to the first `fail_each` requests of each event, then 200; or (`holding`) keeps every
//! request waiting until released, counting how many wait at once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use tokio::sync::oneshot;

/// One request the receiver got.
#[derive(Clone, Debug)]
pub struct Received {
    pub event_id: String,
    pub signature: String,
    pub body: String,
}

#[derive(Default)]
struct Book {
    fail_each: usize,
    /// Requests per event id.
    seen: HashMap<String, usize>,
    received: Vec<Received>,
    /// Requests under way now, and the most there were at once.
    in_flight: usize,
    max_in_flight: usize,
}

pub struct Receiver {
    pub url: String,
    book: Arc<Mutex<Book>>,
    /// `holding`: true once released.
    release: tokio::sync::watch::Sender<bool>,
    _stop: oneshot::Sender<()>,
}

impl Receiver {
    /// On a free port.
    pub async fn start(fail_each: usize) -> Self {
        Self::serve(0, fail_each, false).await
    }

    /// On a port reserved before (see `free_port`), which it starts listening on.
    pub async fn start_on(port: ReservedPort, fail_each: usize) -> Self {
        let listener = port.socket.listen(1024).expect("the reserved port listens");
        Self::serve_on(listener, fail_each, false).await
    }

    /// Keeps every request waiting until `release` (a receiver that hangs).
    pub async fn holding() -> Self {
        Self::serve(0, 0, true).await
    }

    pub fn release(&self) {
        self.release.send_replace(true);
    }

    pub fn max_in_flight(&self) -> usize {
        self.book.lock().unwrap().max_in_flight
    }

    async fn serve(port: u16, fail_each: usize, hold: bool) -> Self {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("a port for the receiver");
        Self::serve_on(listener, fail_each, hold).await
    }

    async fn serve_on(listener: tokio::net::TcpListener, fail_each: usize, hold: bool) -> Self {
        let port = listener.local_addr().unwrap().port();
        let book = Arc::new(Mutex::new(Book {
            fail_each,
            ..Book::default()
        }));
        let release = tokio::sync::watch::channel(!hold).0;
        let app = axum::Router::new()
            .route("/hook", post(record))
            .with_state((book.clone(), release.subscribe()));
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        Self {
            url: format!("http://127.0.0.1:{port}/hook"),
            book,
            release,
            _stop: stop,
        }
    }

    pub fn received(&self) -> Vec<Received> {
        self.book.lock().unwrap().received.clone()
    }

    /// Waits until at least `n` requests came (panics after 20 s), and returns them all.
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let received = self.received();
            if received.len() >= n {
                return received;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the receiver got {} of {n} requests: {received:?}",
                received.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

async fn record(
    State((book, mut released)): State<(Arc<Mutex<Book>>, tokio::sync::watch::Receiver<bool>)>,
    headers: HeaderMap,
    body: String,
) -> StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let event_id = header("x-multistore-event-id");
    let fail = {
        let mut book = book.lock().unwrap();
        let seen = book.seen.entry(event_id.clone()).or_default();
        *seen += 1;
        let fail = *seen <= book.fail_each;
        book.received.push(Received {
            event_id,
            signature: header("x-multistore-signature"),
            body,
        });
        book.in_flight += 1;
        book.max_in_flight = book.max_in_flight.max(book.in_flight);
        fail
    };
    let _ = released.wait_for(|released| *released).await;
    book.lock().unwrap().in_flight -= 1;
    if fail {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::OK
    }
}

/// A loopback port held for a receiver that is down: bound (so nothing else can take it) but not
/// listening (so a connection to it is refused), until `Receiver::start_on` listens on it.
pub struct ReservedPort {
    socket: tokio::net::TcpSocket,
    pub port: u16,
}

/// A loopback port with nothing listening on it, reserved until a receiver starts on it.
pub async fn free_port() -> ReservedPort {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(([127, 0, 0, 1], 0).into()).unwrap();
    let port = socket.local_addr().unwrap().port();
    ReservedPort { socket, port }
}
