//! The connection loop: accepts TCP connections up to a cap, serves HTTP/1 and HTTP/2 on each with a
//! deadline for the request head, and shuts down within a bound whatever clients do.
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
use tokio::sync::Semaphore;
use tower::ServiceExt as _;

use crate::shutdown::{Shutdown, Stopping};

/// How long a request head may take to arrive; then the connection is closed (CONTRACT.md section 1).
/// On a kept-alive connection this is also how long it may stay idle between requests.
pub const HEAD_WAIT: Duration = Duration::from_secs(10);
/// How long requests in flight and open sockets get to finish once shutdown begins.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(20);

/// Serves `router` on `listener`: at most `max_connections` at once (a connection beyond is closed as
/// soon as it is accepted), until `signal` completes; then stops accepting, lets requests in flight
/// finish and asks sockets to close, and returns within `SHUTDOWN_GRACE` whatever clients do.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    max_connections: usize,
    shutdown: Shutdown,
    signal: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let permits = Arc::new(Semaphore::new(max_connections));
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
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            tracing::warn!(%peer, max_connections, "too many open connections; refused one");
            drop(stream);
            continue;
        };
        let router = router.clone();
        let stopping = shutdown.watch();
        tokio::spawn(async move {
            connection(stream, peer, router, stopping).await;
            drop(permit);
        });
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
    mut stopping: Stopping,
) {
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        // The peer address reaches handlers as `ConnectInfo` (throttling per address).
        request.extensions_mut().insert(ConnectInfo(peer));
        let router = router.clone();
        async move { router.oneshot(request.map(Body::new)).await }
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
        () = stopping.begun() => connection.as_mut().graceful_shutdown(),
    }
    let _ = connection.await;
}
