//! GraphiQL, served entirely by the binary: its page and its scripts and styles (`assets/graphiql/`,
//! compiled in), so the playground works with no internet and its page allows no other origin.

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use crate::http::HttpState;

const PAGE: &str = include_str!("../../assets/graphiql/index.html");

/// The files under `/graphql/assets/`, by name: nothing else is served there.
const ASSETS: [(&str, &str, &[u8]); 5] = [
    (
        "graphiql.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/graphiql.min.js"),
    ),
    (
        "graphiql.min.css",
        "text/css; charset=utf-8",
        include_bytes!("../../assets/graphiql/graphiql.min.css"),
    ),
    (
        "react.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/react.production.min.js"),
    ),
    (
        "react-dom.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/react-dom.production.min.js"),
    ),
    (
        "start.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/start.js"),
    ),
];

/// What the page may load and where it may be shown: scripts, styles, fonts and connections of this
/// service only (inline styles are GraphiQL's own), and no site may frame it.
const POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; \
    base-uri 'none'; form-action 'none'";

/// The GraphiQL page (404 when `MULTISTORE_GRAPHIQL` is off).
pub fn page(state: &HttpState) -> Response {
    if !state.app.config.graphiql {
        return StatusCode::NOT_FOUND.into_response();
    }
    (
        [
            (header::CONTENT_SECURITY_POLICY, POLICY),
            (header::X_FRAME_OPTIONS, "DENY"),
        ],
        Html(PAGE),
    )
        .into_response()
}

/// `GET /graphql/assets/{name}`: one of GraphiQL's files, cached by browsers for a day.
pub async fn asset(State(state): State<HttpState>, Path(name): Path<String>) -> Response {
    let found = ASSETS.iter().find(|(file, _, _)| *file == name);
    match found {
        Some((_, content_type, bytes)) if state.app.config.graphiql => (
            [
                (header::CONTENT_TYPE, *content_type),
                (header::CACHE_CONTROL, "public, max-age=86400"),
            ],
            *bytes,
        )
            .into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}
