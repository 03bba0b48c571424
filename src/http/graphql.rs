//! `POST /graphql` and GraphiQL on `GET /graphql`.
//!
//! The body is read with its limit, parsed (one operation or a batch of at most ten), the request context
//! is settled, and only then does GraphQL run. It runs in a task of its own, so a client that hangs up
//! cannot cancel a mutation half-way through its transaction, and a panic becomes a 500, not a lost
//! connection.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_graphql::http::GraphiQLSource;
use async_graphql::{BatchRequest, BatchResponse};
use axum::body::{Body, to_bytes};
use axum::extract::{ConnectInfo, State};
use axum::http::{Request, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use tracing::Instrument as _;

use crate::error::AppError;
use crate::graphql::loaders::Loaders;
use crate::graphql::with_codes;
use crate::http::metrics::Metrics;
use crate::http::{HttpState, context};

/// Larger bodies are answered 413 (CONTRACT.md section 1).
pub const MAX_BODY_BYTES: usize = 256 * 1024;
/// Operations in one batched request; more are answered 400.
pub const MAX_BATCH: usize = 10;

pub async fn execute(State(state): State<HttpState>, request: Request<Body>) -> Response {
    let response = answer(&state, request).await;
    state.app.metrics.status(response.status().as_u16());
    response
}

/// `GET /graphql`: a query in the URL (`?query=…&variables=…&operationName=…`, as GraphQL over HTTP
/// has it and urql sends by default), or else GraphiQL. Only queries run this way: a mutation changes
/// things and must be POSTed (405).
pub async fn get(State(state): State<HttpState>, request: Request<Body>) -> Response {
    if request.uri().query().is_none_or(str::is_empty) {
        return graphiql(&state);
    }
    let Some(mut operation) = operation_in_url(request.uri()) else {
        let err = AppError::bad_input(
            "query",
            "the URL must carry query, and may carry variables and extensions (JSON) and operationName",
        );
        return error_response(StatusCode::BAD_REQUEST, err);
    };
    state.app.parsed.prepare(&mut operation);
    if !is_query(&mut operation) {
        let err = AppError::bad_input("query", "only queries may be sent with GET; POST mutations");
        let mut response = error_response(StatusCode::METHOD_NOT_ALLOWED, err);
        response
            .headers_mut()
            .insert(header::ALLOW, header::HeaderValue::from_static("GET, POST"));
        return response;
    }
    let (parts, _) = request.into_parts();
    let response = run(&state, &parts, BatchRequest::Single(operation)).await;
    state.app.metrics.status(response.status().as_u16());
    response
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

/// Whether the operation a request names is a query (a document that does not parse counts as one: it
/// runs, and fails, as a query would). Reads the request's parsed document (from the parse cache when
/// the endpoint prepared it).
fn is_query(request: &mut async_graphql::Request) -> bool {
    use async_graphql::parser::types::{DocumentOperations, OperationType};
    let named = request.operation_name.clone();
    let Ok(document) = request.parsed_query() else {
        return true;
    };
    let ty = match &document.operations {
        DocumentOperations::Single(operation) => Some(operation.node.ty),
        DocumentOperations::Multiple(operations) => match named.as_deref() {
            Some(name) => operations.get(name).map(|operation| operation.node.ty),
            None => operations
                .values()
                .next()
                .map(|operation| operation.node.ty),
        },
    };
    ty.is_none_or(|ty| ty == OperationType::Query)
}

async fn answer(state: &HttpState, request: Request<Body>) -> Response {
    let (parts, body) = request.into_parts();
    let bytes = match to_bytes(body, MAX_BODY_BYTES).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return error_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                AppError::bad_input("body", "the request body is larger than 256 KiB"),
            );
        }
    };
    let mut batch = match parse_body(&bytes) {
        Ok(batch) => batch,
        Err(err) => return error_response(StatusCode::BAD_REQUEST, err),
    };
    for request in batch.iter_mut() {
        state.app.parsed.prepare(request);
    }
    run(state, &parts, batch).await
}

/// Settles the request context, then runs the operations (their documents already prepared from the
/// parse cache) in a task of their own.
async fn run(
    state: &HttpState,
    parts: &axum::http::request::Parts,
    batch: BatchRequest,
) -> Response {
    let client_ip = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip());
    let request_context = match context::resolve(&state.app, &parts.headers, client_ip).await {
        Ok(request_context) => request_context,
        Err(err) => {
            let status = StatusCode::from_u16(err.http_status())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return error_response(status, err);
        }
    };
    let schema = state.schema.clone();
    let loaders = request_context
        .tenant
        .as_ref()
        .map(|tenant| Arc::new(Loaders::new(&state.app.db, tenant.id)));
    let mut batch = batch.data(request_context);
    if let Some(loaders) = loaders {
        batch = batch.data(loaders);
    }
    let names: Vec<Option<String>> = batch.iter().map(operation_name).collect();
    let started = Instant::now();
    let run = tokio::spawn(async move { schema.execute_batch(batch).await }.in_current_span());
    match run.await {
        Ok(mut response) => {
            for_each_response(&mut response, with_codes);
            record(&state.app.metrics, &names, &response, started.elapsed());
            (StatusCode::OK, axum::Json(response)).into_response()
        }
        Err(join_error) => error_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            AppError::internal(join_error),
        ),
    }
}

fn graphiql(state: &HttpState) -> Response {
    if !state.app.config.graphiql {
        return StatusCode::NOT_FOUND.into_response();
    }
    Html(
        GraphiQLSource::build()
            .endpoint("/graphql")
            .subscription_endpoint("/graphql/ws")
            .title("multistore")
            .finish(),
    )
    .into_response()
}

/// One operation (a JSON object) or a batch (a JSON array of 1 to `MAX_BATCH` objects).
fn parse_body(bytes: &[u8]) -> Result<BatchRequest, AppError> {
    let malformed = || {
        AppError::bad_input(
            "body",
            "the body must be JSON: {\"query\", \"variables\", \"operationName\"} or a list of those",
        )
    };
    let is_batch = bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[');
    if !is_batch {
        return serde_json::from_slice(bytes)
            .map(BatchRequest::Single)
            .map_err(|_| malformed());
    }
    let operations: Vec<async_graphql::Request> =
        serde_json::from_slice(bytes).map_err(|_| malformed())?;
    if !(1..=MAX_BATCH).contains(&operations.len()) {
        return Err(AppError::bad_input(
            "body",
            format!("a batch holds 1 to {MAX_BATCH} operations"),
        ));
    }
    Ok(BatchRequest::Batch(operations))
}

/// An error answered outside GraphQL, with the GraphQL-shaped body of the contract.
fn error_response(status: StatusCode, err: AppError) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        err.to_response_body().to_string(),
    )
        .into_response()
}

/// The name metrics file an operation under: its `operationName`, or the name written after `query` or
/// `mutation` at the start of its document (without parsing it).
fn operation_name(request: &async_graphql::Request) -> Option<String> {
    if let Some(name) = &request.operation_name {
        return Some(name.clone());
    }
    let mut words = request
        .query
        .split(|c: char| c.is_whitespace() || c == '{' || c == '(')
        .filter(|word| !word.is_empty());
    let is_name = |word: &str| {
        word.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && word.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    match words.next() {
        Some("query" | "mutation" | "subscription") => {
            words.next().filter(|word| is_name(word)).map(str::to_owned)
        }
        _ => None,
    }
}

/// Counts each operation of the batch with its name, its time and its errors' codes.
fn record(
    metrics: &Metrics,
    names: &[Option<String>],
    response: &BatchResponse,
    elapsed: Duration,
) {
    let responses: Vec<&async_graphql::Response> = match response {
        BatchResponse::Single(one) => vec![one],
        BatchResponse::Batch(many) => many.iter().collect(),
    };
    for (name, response) in names.iter().zip(responses) {
        let codes: Vec<&str> = response
            .errors
            .iter()
            .filter_map(|error| match error.extensions.as_ref()?.get("code")? {
                async_graphql::Value::String(code) => Some(code.as_str()),
                _ => None,
            })
            .collect();
        metrics.operation(name.as_deref(), elapsed, &codes);
    }
}

fn for_each_response(response: &mut BatchResponse, f: impl Fn(&mut async_graphql::Response)) {
    match response {
        BatchResponse::Single(one) => f(one),
        BatchResponse::Batch(many) => many.iter_mut().for_each(f),
    }
}

#[cfg(test)]
mod tests {
    use super::{is_query, operation_name};

    #[test]
    fn get_runs_queries_only() {
        let is_query = |query: &str, name: Option<&str>| {
            let request = async_graphql::Request::new(query);
            let mut request = match name {
                Some(name) => request.operation_name(name),
                None => request,
            };
            is_query(&mut request)
        };
        assert!(is_query("{ a }", None));
        assert!(is_query("query Q { a }", None));
        assert!(!is_query("mutation { a }", None));
        assert!(!is_query("subscription { a }", None));
        let both = "query A { a } mutation B { b }";
        assert!(is_query(both, Some("A")));
        assert!(!is_query(both, Some("B")));
        assert!(is_query("{ broken", None));
    }

    #[test]
    fn operations_are_named_by_their_document() {
        let name = |query: &str| operation_name(&async_graphql::Request::new(query));
        assert_eq!(
            name("query Shop { vendor { id } }").as_deref(),
            Some("Shop")
        );
        assert_eq!(
            name("mutation Buy($i: PlaceOrderInput!) { x }").as_deref(),
            Some("Buy")
        );
        assert_eq!(name("query($id: ID!) { product(id: $id) { id } }"), None);
        assert_eq!(name("{ vendor { id } }"), None);
        let named = async_graphql::Request::new("{ a }").operation_name("Given");
        assert_eq!(operation_name(&named).as_deref(), Some("Given"));
    }
}
