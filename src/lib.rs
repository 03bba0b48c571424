//! multistore: a multi-tenant e-commerce backend served as a GraphQL API.
//!
//! `build` turns settings into a ready router (database pool, migrations, schema); `main` and the tests
//! both start the service through it.

pub mod auth;
pub mod catalog;
pub mod config;
pub mod db;
pub mod error;
pub mod events;
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

/// mimalloc: a request allocates and frees many small values (GraphQL values, rows, strings), and glibc's
/// malloc spent a quarter of a product page's instructions on them.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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

/// Serves the configured service until Ctrl-C or SIGTERM, then lets requests in flight finish.
pub async fn run(config: Config) -> anyhow::Result<()> {
    use anyhow::Context as _;
    let bind = config.bind;
    let graphiql = config.graphiql;
    tracing::info!(database = ?config.database_url, "starting");
    let app = build(config).await?;
    let listener = TcpListener::bind(bind)
        .await
        .with_context(|| format!("cannot listen on {bind}"))?;
    let graphiql_hint = if graphiql {
        " (GraphiQL: open it in a browser)"
    } else {
        ""
    };
    tracing::info!("serving GraphQL on http://{bind}/graphql{graphiql_hint}");
    serve(listener, app, shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
