//! `GET /metrics`: the service's counters (`crate::metrics`) in Prometheus text, with the database
//! pool's figures and the parse cache's size.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use crate::http::HttpState;

pub async fn metrics(State(state): State<HttpState>) -> impl IntoResponse {
    let db = &state.app.db;
    let body = state.app.metrics.render(
        db.pool_status(),
        db.statements_run(),
        state.runner.cache_bytes(),
    );
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body)
}
