//! The connection loop: accepts TCP connections up to a cap (at the cap, a new one takes the place of
//! the longest idle one: `places`), serves HTTP/1 and HTTP/2 on each with a deadline for the request
//! head, and shuts down within a bound whatever clients do.
//!
//! Written on hyper-util rather than with `axum::serve`, which has no timeout for a request head that
//! never completes and no cap on open connections: a thousand half-sent requests held a thousand file
//! descriptors until new clients could not be accepted at all.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use tokio::net::TcpListener;
use tower::ServiceExt as _;

use crate::http::places::{Held, Places, Running};
use crate::shutdown::{Shutdown, Stopping};

/// How long a request head may take to arrive; then the connection is closed (CONTRACT.md section 1).
/// On a kept-alive connection this is also how long it may stay idle between requests.
pub const HEAD_WAIT: Duration = Duration::from_secs(10);
/// How long requests in flight and open sockets get to finish once shutdown begins.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(20);

/// Serves `router` on `listener`: at most `max_connections` at once (beyond, a new connection takes
/// the place of the one idle longest, or is closed as soon as it is accepted when every one has a
/// request under way), until `signal` completes; then stops accepting, lets requests in flight
/// finish and asks sockets to close, and returns within `SHUTDOWN_GRACE` whatever clients do.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    max_connections: usize,
    shutdown: Shutdown,
    signal: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let places = Places::new(max_connections);
    let mut signal = std::pin::pin!(signal);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut signal => break,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(err) => {
                // Out of file descriptors, or a connection reset before it was accepted: wait a
                // little rather than spin.
                tracing::warn!(%err, "accept failed");
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        let Some(place) = places.take() else {
            tracing::warn!(%peer, max_connections, "every connection is busy; refused one");
            drop(stream);
            continue;
        };
        let router = router.clone();
        let stopping = shutdown.watch();
        tokio::spawn(connection(stream, peer, router, place, stopping));
    }
    drop(listener);
    tracing::info!("shutting down: finishing requests in flight");
    shutdown.begin();
    if tokio::time::timeout(SHUTDOWN_GRACE, shutdown.drained())
        .await
        .is_err()
    {
        tracing::warn!("some connections did not finish in time; closing them");
    }
    Ok(())
}

async fn connection(
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    router: Router,
    place: Held,
    mut stopping: Stopping,
) {
    let place = Arc::new(place);
    let held = place.clone();
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        // Under way from its complete head until its answer is written: the connection is not idle.
        let running = held.request();
        // The peer address reaches handlers as `ConnectInfo` (throttling per address).
        request.extensions_mut().insert(ConnectInfo(peer));
        let router = router.clone();
        async move {
            let response = router.oneshot(request.map(Body::new)).await?;
            Ok::<_, std::convert::Infallible>(response.map(|body| {
                Body::new(Answering {
                    body,
                    _running: running,
                })
            }))
        }
    });
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(HEAD_WAIT);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(HEAD_WAIT)
        .enable_connect_protocol();
    let connection = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
    let mut connection = std::pin::pin!(connection);
    tokio::select! {
        _ = connection.as_mut() => return,
        // Idle, and its place was given to a newer connection: closed at once.
        () = place.evicted() => return,
        () = stopping.begun() => connection.as_mut().graceful_shutdown(),
    }
    let _ = connection.await;
}

/// An answer's body, which keeps its request counted as under way until it is written (or dropped).
struct Answering {
    body: Body,
    _running: Running,
}

impl hyper::body::Body for Answering {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
        std::pin::Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.body.size_hint()
    }
}
