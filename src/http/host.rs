//! The host a request names, made plain before anything reads it (RFC 9112 section 3.2, RFC 9113
//! section 8.3.1): the store that a `Host` names is decided from one value only.
//!
//! - Several `Host` headers are a 400: which one a proxy and this service each read would differ.
//! - An absolute-form target (`POST http://b.example/graphql`) names the host, whatever `Host` says;
//!   over HTTP/2 the `:authority` does. Either becomes the request's one `Host` header, so the gate,
//!   the WebSocket upgrade and the logs all read the same host.

use axum::body::Body;
use axum::http::header::HOST;
use axum::http::{HeaderValue, Request, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

pub async fn one_host(mut request: Request<Body>, next: Next) -> Response {
    if request.headers().get_all(HOST).iter().nth(1).is_some() {
        return (
            StatusCode::BAD_REQUEST,
            "a request carries at most one Host header",
        )
            .into_response();
    }
    let authority = request
        .uri()
        .authority()
        .and_then(|authority| HeaderValue::from_str(authority.host()).ok());
    if let Some(authority) = authority {
        request.headers_mut().insert(HOST, authority);
    }
    next.run(request).await
}
