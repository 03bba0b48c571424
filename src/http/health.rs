//! `/healthz` (the process is up, no I/O) and `/readyz` (the database answers).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::http::HttpState;

pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// Ready when the database answers and, on PostgreSQL, the instance hears other instances' order events.
pub async fn readyz(State(state): State<HttpState>) -> (StatusCode, Json<Value>) {
    if state.app.hears_events() && state.app.db.ping().await {
        (StatusCode::OK, Json(json!({ "status": "ok" })))
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "unavailable" })),
        )
    }
}
