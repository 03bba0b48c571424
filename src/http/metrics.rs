//! `GET /metrics`: the service's counters (`crate::metrics`) in Prometheus text, with the database
//! pool's figures and the parse cache's size.

use std::net::SocketAddr;

use axum::Extension;
use axum::extract::{ConnectInfo, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::http::HttpState;

/// `/metrics` on the API's own address: to loopback clients only (a scraper beside the service),
/// unless `MULTISTORE_METRICS_PUBLIC=true`. Anyone else gets the 404 of a path that does not exist:
/// the pool's figures and the operations' names are the operator's, not the public's.
pub async fn on_api_address(
    state: State<HttpState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
) -> Response {
    let loopback =
        peer.is_some_and(|Extension(ConnectInfo(peer))| peer.ip().to_canonical().is_loopback());
    if !loopback && !state.app.config.metrics_public {
        return StatusCode::NOT_FOUND.into_response();
    }
    metrics(state).await.into_response()
}

/// Every figure, to whoever reached it (on `MULTISTORE_METRICS_BIND`, the operator's own address).
pub async fn metrics(State(state): State<HttpState>) -> impl IntoResponse {
    let db = &state.app.db;
    let body = state.app.metrics.render(
        db.pool_status(),
        db.statements_run(),
        state.runner.cache_bytes(),
    );
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body)
}
