//! `POST /graphql`, and `GET /graphql` (a query in the URL, or else GraphiQL).
//!
//! The body is read with its limits (size and time), parsed by async-graphql-axum's
//! `GraphQLBatchRequest` (one operation or a batch, of at most ten), each document is admitted (parsed,
//! within the limits: `graphql::runner`), the request context is settled, and only then does GraphQL
//! run. A batch with a mutation runs in a task of its own, so a client that hangs up cannot cancel it
//! half-way through its transaction; a batch of queries only runs in the request's own task (a task
//! more per read cost a spawn, a move of the whole future and a wake-up), so it stops when its client
//! hangs up, since no one will read its answer. Either way a panic becomes a 500, not a lost
//! connection.
//!
//! The answer is written here, not by async-graphql-axum's `GraphQLResponse`: that one is always
//! `application/graphql-response+json` with 200, while the contract answers `application/json` to a
//! client that does not ask for the GraphQL media type, and 400 without `data` to one that does when
//! nothing ran.

use std::net::SocketAddr;
use std::time::Duration;

use async_graphql::{BatchRequest, BatchResponse, ParseRequestError};
use async_graphql_axum::GraphQLBatchRequest;
use axum::body::{Body, to_bytes};
use axum::extract::{ConnectInfo, FromRequest as _, State};
use axum::http::{Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::FutureExt as _;
use tracing::Instrument as _;

use crate::error::AppError;
use crate::graphql::documents::failed_before_execution;
use crate::graphql::runner::Prepared;
use crate::http::HttpState;

/// Larger bodies are answered 413 (CONTRACT.md section 1).
pub const MAX_BODY_BYTES: usize = 256 * 1024;
/// Operations in one batched request; more are answered 400.
pub const MAX_BATCH: usize = 10;
/// How long the body may take to arrive once the head has (CONTRACT.md section 1).
pub const BODY_WAIT: Duration = Duration::from_secs(30);

pub async fn execute(State(state): State<HttpState>, request: Request<Body>) -> Response {
    let response = no_store(answer(&state, request).await);
    state.app.metrics.status(response.status().as_u16());
    response
}

/// The media type of the answer, as the request's `Accept` asks (GraphQL over HTTP): with
/// `application/graphql-response+json` (Apollo Client 4 lists it first) a request that fails before it
/// runs is answered 400 without `data`, and the rejections before GraphQL keep their statuses in that
/// type, so a client reads `extensions.code` from every answer; otherwise `application/json`, 200 for
/// every GraphQL error, as before.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum MediaType {
    Json,
    GraphqlResponse,
}

impl MediaType {
    const GRAPHQL_RESPONSE: &'static str = "application/graphql-response+json";

    fn of(headers: &axum::http::HeaderMap) -> Self {
        let accepts = headers
            .get_all(header::ACCEPT)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','));
        for item in accepts {
            let mut parts = item.split(';');
            let essence = parts.next().unwrap_or_default().trim();
            let refused = parts
                .filter_map(|param| param.trim().strip_prefix("q="))
                .any(|q| q.trim().parse::<f32>().is_ok_and(|q| q <= 0.0));
            if essence.eq_ignore_ascii_case(Self::GRAPHQL_RESPONSE) && !refused {
                return Self::GraphqlResponse;
            }
        }
        Self::Json
    }

    fn content_type(self) -> &'static str {
        match self {
            Self::Json => "application/json",
            Self::GraphqlResponse => Self::GRAPHQL_RESPONSE,
        }
    }
}

/// A GraphQL answer in the request's media type. With `application/graphql-response+json` one
/// operation refused before it ran is a 400 whose body has no `data`; a batch is always 200.
fn graphql_response(media: MediaType, response: &BatchResponse) -> Response {
    if media == MediaType::GraphqlResponse
        && let BatchResponse::Single(one) = response
        && failed_before_execution(one)
    {
        let body = serde_json::to_value(response).unwrap_or_default();
        return body_response(media, StatusCode::BAD_REQUEST, body);
    }
    // The common answer is written straight from the response, with no JSON tree in between.
    let body = serde_json::to_vec(response).unwrap_or_default();
    (
        status_of(response),
        [(header::CONTENT_TYPE, media.content_type())],
        body,
    )
        .into_response()
}

/// 200, but 403 for an operation refused only because its store is suspended: the store was known
/// from what the operation carries rather than the request's headers (a refresh token's store), and
/// the answer is the one the gate gives every other request of that store.
fn status_of(response: &BatchResponse) -> StatusCode {
    let BatchResponse::Single(one) = response else {
        return StatusCode::OK;
    };
    let suspended = |error: &async_graphql::ServerError| {
        error.extensions.as_ref().and_then(|ext| ext.get("code"))
            == Some(&async_graphql::Value::from(
                crate::error::Code::StoreSuspended.as_str(),
            ))
    };
    if one.data == async_graphql::Value::Null
        && !one.errors.is_empty()
        && one.errors.iter().all(suspended)
    {
        StatusCode::FORBIDDEN
    } else {
        StatusCode::OK
    }
}

/// A GraphQL-shaped body in the request's media type; a 400 in `application/graphql-response+json` has
/// no `data` (nothing ran).
fn body_response(media: MediaType, status: StatusCode, mut body: serde_json::Value) -> Response {
    if media == MediaType::GraphqlResponse
        && status == StatusCode::BAD_REQUEST
        && let Some(fields) = body.as_object_mut()
    {
        fields.remove("data");
    }
    (
        status,
        [(header::CONTENT_TYPE, media.content_type())],
        body.to_string(),
    )
        .into_response()
}

/// GraphQL answers carry tokens and people's data: no cache may keep them.
fn no_store(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    response
}

/// Whether the request says its body is JSON (`application/json`, any parameters). Anything else (a
/// form, `text/plain`, multipart, nothing) is refused: those are what a web page of another origin can
/// make a browser send without asking (no CORS preflight).
fn is_json(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"))
}

/// `GET /graphql`: a query in the URL (`?query=…&variables=…&operationName=…`, as GraphQL over HTTP
/// has it and urql sends by default), or else GraphiQL. Only queries run this way: a mutation changes
/// things and must be POSTed (405).
pub async fn get(State(state): State<HttpState>, request: Request<Body>) -> Response {
    if request.uri().query().is_none_or(str::is_empty) {
        return crate::http::graphiql::page(&state);
    }
    let response = no_store(answer_get(&state, request).await);
    state.app.metrics.status(response.status().as_u16());
    response
}

async fn answer_get(state: &HttpState, request: Request<Body>) -> Response {
    let media = MediaType::of(request.headers());
    let Some(operation) = operation_in_url(request.uri()) else {
        let err = AppError::bad_input(
            "query",
            "the URL must carry query, and may carry variables and extensions (JSON) and operationName",
        );
        return error_response(media, StatusCode::BAD_REQUEST, err);
    };
    let prepared = match state.runner.admit(BatchRequest::Single(operation)) {
        Ok(prepared) => prepared,
        Err(refusal) => return graphql_response(media, &refusal),
    };
    if !prepared.queries_only() {
        let err = AppError::bad_input("query", "only queries may be sent with GET; POST mutations");
        let mut response = error_response(media, StatusCode::METHOD_NOT_ALLOWED, err);
        response
            .headers_mut()
            .insert(header::ALLOW, header::HeaderValue::from_static("GET, POST"));
        return response;
    }
    let (parts, _) = request.into_parts();
    run(state, &parts, media, prepared).await
}

/// The operation of a GET URL, named as in GraphQL over HTTP (`operationName`).
fn operation_in_url(uri: &axum::http::Uri) -> Option<async_graphql::Request> {
    #[derive(serde::Deserialize)]
    struct InUrl {
        query: String,
        #[serde(rename = "operationName")]
        operation_name: Option<String>,
        variables: Option<String>,
        extensions: Option<String>,
    }
    let axum::extract::Query(url) = axum::extract::Query::<InUrl>::try_from_uri(uri).ok()?;
    let json = |text: Option<String>| match text {
        Some(text) => serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .map(Some),
        None => Some(None),
    };
    let mut request = async_graphql::Request::new(url.query);
    if let Some(variables) = json(url.variables)? {
        request = request.variables(async_graphql::Variables::from_json(variables));
    }
    if let Some(serde_json::Value::Object(extensions)) = json(url.extensions)? {
        for (key, value) in extensions {
            let value = async_graphql::Value::from_json(value).ok()?;
            request.extensions.insert(key, value);
        }
    }
    if let Some(name) = url.operation_name {
        request = request.operation_name(name);
    }
    Some(request)
}

async fn answer(state: &HttpState, request: Request<Body>) -> Response {
    let media = MediaType::of(request.headers());
    if !is_json(request.headers()) {
        let err = AppError::bad_input(
            "Content-Type",
            "send the request as Content-Type: application/json",
        );
        return error_response(media, StatusCode::UNSUPPORTED_MEDIA_TYPE, err);
    }
    let (parts, body) = request.into_parts();
    let bytes = match tokio::time::timeout(BODY_WAIT, to_bytes(body, MAX_BODY_BYTES)).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(_)) => {
            return error_response(
                media,
                StatusCode::PAYLOAD_TOO_LARGE,
                AppError::bad_input("body", "the request body is larger than 256 KiB"),
            );
        }
        Err(_elapsed) => {
            let err = AppError::bad_input("body", "the request body did not arrive within 30 s");
            let mut response = error_response(media, StatusCode::REQUEST_TIMEOUT, err);
            response.headers_mut().insert(
                header::CONNECTION,
                header::HeaderValue::from_static("close"),
            );
            return response;
        }
    };
    let batch = match parse_body(&parts, bytes).await {
        Ok(batch) => batch,
        Err(err) => return error_response(media, StatusCode::BAD_REQUEST, err),
    };
    let prepared = match state.runner.admit(batch) {
        Ok(prepared) => prepared,
        Err(refusal) => return graphql_response(media, &refusal),
    };
    run(state, &parts, media, prepared).await
}

/// Settles the request context, then runs the operations (their documents already admitted): in a task
/// of their own when one is a mutation.
async fn run(
    state: &HttpState,
    parts: &axum::http::request::Parts,
    media: MediaType,
    prepared: Prepared,
) -> Response {
    let client_ip = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip());
    let request_context = match state.app.gate.resolve(&parts.headers, client_ip).await {
        Ok(request_context) => request_context,
        Err(err) => {
            let status = StatusCode::from_u16(err.http_status())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return error_response(media, status, err);
        }
    };
    let queries_only = prepared.queries_only();
    let work = state
        .runner
        .run(prepared, request_context)
        .in_current_span();
    // Queries are dropped with this future when the client hangs up; a mutation always finishes.
    let ran = if queries_only {
        std::panic::AssertUnwindSafe(work)
            .catch_unwind()
            .await
            .map_err(|_| AppError::internal("a query panicked"))
    } else {
        tokio::spawn(work).await.map_err(AppError::internal)
    };
    match ran {
        Ok(response) => graphql_response(media, &response),
        Err(err) => error_response(media, StatusCode::INTERNAL_SERVER_ERROR, err),
    }
}

/// A body that async-graphql-axum could not read as GraphQL: answered 400 by `parse_body`'s caller in
/// the request's media type (this answer stands only where the extractor is used alone).
struct Unreadable;

impl From<ParseRequestError> for Unreadable {
    fn from(_: ParseRequestError) -> Self {
        Self
    }
}

impl IntoResponse for Unreadable {
    fn into_response(self) -> Response {
        StatusCode::BAD_REQUEST.into_response()
    }
}

/// One operation (a JSON object) or a batch (a JSON array of 1 to `MAX_BATCH` objects), read by
/// async-graphql-axum's extractor from the body already read within its limits.
async fn parse_body(
    parts: &axum::http::request::Parts,
    bytes: axum::body::Bytes,
) -> Result<BatchRequest, AppError> {
    let malformed = || {
        AppError::bad_input(
            "body",
            "the body must be JSON: {\"query\", \"variables\", \"operationName\"} or a list of those",
        )
    };
    let is_list = bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[');
    let mut request = Request::new(Body::from(bytes.clone()));
    *request.method_mut() = parts.method.clone();
    if let Some(content_type) = parts.headers.get(header::CONTENT_TYPE) {
        request
            .headers_mut()
            .insert(header::CONTENT_TYPE, content_type.clone());
    }
    let batch = GraphQLBatchRequest::<Unreadable>::from_request(request, &())
        .await
        .map(GraphQLBatchRequest::into_inner);
    let count = match (&batch, is_list) {
        (Ok(BatchRequest::Single(_)), false) => 1,
        (Ok(BatchRequest::Batch(many)), true) => many.len(),
        // async-graphql reads `[]` (and a list of strings) as one operation, as serde may fill a
        // struct from a list: only this odd case reads the body a second time, to tell an empty
        // batch from a list that is not of operations.
        (_, true)
            if serde_json::from_slice::<Vec<serde::de::IgnoredAny>>(&bytes)
                .is_ok_and(|list| list.is_empty()) =>
        {
            0
        }
        _ => return Err(malformed()),
    };
    if !(1..=MAX_BATCH).contains(&count) {
        return Err(AppError::bad_input(
            "body",
            format!("a batch holds 1 to {MAX_BATCH} operations"),
        ));
    }
    batch.map_err(|_| malformed())
}

/// An error answered outside GraphQL, with the GraphQL-shaped body of the contract, in the request's
/// media type.
fn error_response(media: MediaType, status: StatusCode, err: AppError) -> Response {
    body_response(media, status, err.to_response_body())
}
