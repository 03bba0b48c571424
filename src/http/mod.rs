//! The HTTP side: routes, the GraphQL endpoint, health checks, request ids and logs.

mod graphiql;
mod graphql;
mod health;
mod host;
pub mod metrics;
mod places;
pub mod server;
pub mod ws;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, Method, Request, header};
use axum::routing::get;
use tower::ServiceBuilder;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::graphql::runner::Runner;
use crate::schema::{AppSchema, build_schema};
use crate::state::AppState;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// What the handlers share.
#[derive(Clone)]
pub struct HttpState {
    pub app: AppState,
    /// The one way GraphQL runs, for every endpoint.
    pub runner: Runner<AppSchema>,
}

/// The API's routes, `/metrics` among them unless `MULTISTORE_METRICS_BIND` serves it elsewhere.
pub fn router(app: AppState) -> Router {
    routers(app).0
}

/// The API's routes, and `/metrics` alone for its own address (`MULTISTORE_METRICS_BIND`), away from
/// the public API; both share one state, so the metrics are the API's.
pub fn routers(app: AppState) -> (Router, Router) {
    let metrics_here = app.config.metrics_bind.is_none();
    let schema = build_schema(&app);
    let cors = cors(&app.config.cors_origins);
    let runner = Runner::new(schema.clone(), &schema.sdl(), app.metrics.clone());
    let state = HttpState { app, runner };
    let metrics_alone = nosniff(
        Router::new()
            .route("/metrics", get(metrics::metrics))
            .with_state(state.clone()),
    );
    let mut router = Router::new()
        .route("/graphql", get(graphql::get).post(graphql::execute))
        .route("/graphql/ws", get(ws::upgrade))
        .route("/graphql/assets/{name}", get(graphiql::asset))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz));
    if metrics_here {
        router = router.route("/metrics", get(metrics::on_api_address));
    }
    let router = router
        .with_state(state)
        .layer(
            ServiceBuilder::new()
                // One host per request, from the target or the one `Host` header.
                .layer(axum::middleware::from_fn(host::one_host))
                // Every request gets an id (or keeps the caller's when it is a sane one), logged with it
                // and echoed back.
                .layer(axum::middleware::map_request(drop_unfit_request_id))
                .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
                .layer(TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
                    let id = request
                        .headers()
                        .get(REQUEST_ID)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default();
                    tracing::info_span!("request", id, method = %request.method(), path = %request.uri().path())
                })
                .on_response(DefaultOnResponse::new().level(Level::INFO)))
                .layer(PropagateRequestIdLayer::new(REQUEST_ID)),
        );
    let router = match cors {
        Some(cors) => router.layer(cors),
        None => router,
    };
    (nosniff(router), metrics_alone)
}

/// Every answer says its type is the one it says: no browser may guess another.
fn nosniff(router: Router) -> Router {
    router.layer(SetResponseHeaderLayer::overriding(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    ))
}

/// Longest caller's request id kept; a longer one, an empty one or one with other than visible ASCII
/// characters is replaced by a new id (it is logged and echoed).
const MAX_REQUEST_ID: usize = 128;

async fn drop_unfit_request_id<B>(mut request: Request<B>) -> Request<B> {
    let fit = request.headers().get(REQUEST_ID).is_none_or(|id| {
        let id = id.as_bytes();
        (1..=MAX_REQUEST_ID).contains(&id.len()) && id.iter().all(|b| b.is_ascii_graphic())
    });
    if !fit {
        request.headers_mut().remove(REQUEST_ID);
    }
    request
}

/// CORS for the configured browser origins (`*` for any); none configured, no CORS headers at all.
fn cors(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
    };
    Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([Method::GET, Method::POST])
            .allow_headers([
                header::CONTENT_TYPE,
                header::AUTHORIZATION,
                HeaderName::from_static(crate::identity::TENANT_HEADER),
                REQUEST_ID,
            ])
            .expose_headers([REQUEST_ID])
            .max_age(std::time::Duration::from_secs(3600)),
    )
}
