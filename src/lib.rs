//! multistore: a multi-tenant e-commerce backend served as a GraphQL API.
//!
//! `build` turns settings into a ready router (database pool, migrations, schema); `main` and the tests
//! both start the service through it.

pub mod auth;
pub mod catalog;
pub mod config;
pub mod db;
pub mod error;
pub mod graphql;
pub mod http;
pub mod orders;
pub mod state;
pub mod users;
pub mod validation;
pub mod vendors;

use std::future::Future;

use axum::Router;
use tokio::net::TcpListener;

pub use config::Config;
pub use state::AppState;

/// Connects to the database, applies pending migrations and returns the application's state.
pub async fn connect(config: Config) -> anyhow::Result<AppState> {
    let db = db::Db::connect(&config)?;
    let applied = db::run_migrations(&config.database_url).await?;
    if applied > 0 {
        tracing::info!(applied, "migrations applied");
    }
    Ok(AppState::new(config, db))
}

/// The whole service as a router, ready to serve.
pub async fn build(config: Config) -> anyhow::Result<Router> {
    Ok(http::router(connect(config).await?))
}

/// Serves `app` on `listener` until `shutdown` completes, then lets requests in flight finish.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // The peer address reaches handlers as `ConnectInfo` (login throttling per address).
    let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}
