//! multistore: a multi-tenant e-commerce backend served as a GraphQL API.
//!
//! `build` turns settings into a ready router (database pool, migrations, schema); `main` and the tests
//! both start the service through it.

pub mod auth;
pub mod catalog;
pub mod config;
pub mod crypto;
pub mod db;
pub mod error;
pub mod graphql;
pub mod http;
pub mod identity;
pub mod metrics;
pub mod orders;
pub mod platform;
pub mod schema;
pub mod shutdown;
pub mod state;
pub mod users;
pub mod values;
pub mod vendors;
pub mod webhooks;

use std::future::Future;

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
    let applied = db::run_migrations(&config.direct_database_url()).await?;
    if applied > 0 {
        tracing::info!(applied, "migrations applied");
    }
    AppState::new(config, db)
}

/// Makes a platform admin (`multistore create-admin`): migrates the database if needed, checks the
/// username and password as sign-ups do, and writes the admin with the password hashed, through the
/// platform's pool. Returns the admin's id.
pub async fn create_admin(config: &Config, username: &str, password: &str) -> anyhow::Result<i64> {
    let username = values::Username::parse("username", username)
        .map_err(|invalid| anyhow::anyhow!("{}", invalid.message))?;
    let password = values::Password::parse("password", password)
        .map_err(|invalid| anyhow::anyhow!("{}", invalid.message))?;
    db::run_migrations(&config.direct_database_url()).await?;
    let hash = auth::Passwords::new(config.bcrypt_cost)
        .hash(&password)
        .await
        .map_err(|err| anyhow::anyhow!("{}", err.message()))?;
    let directory = std::sync::Arc::new(identity::TenantDirectory::new(true));
    let platform = platform::Platform::new(db::Db::platform(config)?, directory);
    platform
        .create_admin(&username, &hash)
        .await
        .map_err(|err| anyhow::anyhow!("{}", err.message()))
}

/// Serves the service of `state` on `listener` until `shutdown` completes, then lets requests in flight
/// finish and closes sockets, within a bound (`http::server`).
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let router = http::router(state.clone());
    let max = state.config.max_connections;
    http::server::serve(listener, router, max, state.shutdown.clone(), shutdown).await
}

/// The listening socket the process was started with, if any: systemd's socket activation
/// (`LISTEN_FDS=1`, and `LISTEN_PID` this process when set) hands it over as descriptor 3, so the
/// address is never free between whoever chose it and this process (a test harness, a supervisor).
/// Without it the service binds `MULTISTORE_BIND` itself.
fn inherited_listener() -> anyhow::Result<Option<TcpListener>> {
    let handed = std::env::var("LISTEN_FDS").is_ok_and(|count| count == "1")
        && std::env::var("LISTEN_PID").map_or(true, |pid| pid == std::process::id().to_string());
    if !handed {
        return Ok(None);
    }
    #[cfg(unix)]
    {
        use std::os::fd::FromRawFd as _;
        // SAFETY: LISTEN_FDS=1 says descriptor 3 is a listening socket handed to this process, and
        // nothing else in the process owns it; it is taken once, here.
        let listener = unsafe { std::net::TcpListener::from_raw_fd(3) };
        listener.set_nonblocking(true)?;
        Ok(Some(TcpListener::from_std(listener)?))
    }
    #[cfg(not(unix))]
    Ok(None)
}

/// Serves the configured service until Ctrl-C or SIGTERM, then lets requests in flight finish.
pub async fn run(mut config: Config) -> anyhow::Result<()> {
    use anyhow::Context as _;
    config.max_connections = within_file_limit(config.max_connections);
    let bind = config.bind;
    let graphiql = config.graphiql;
    let metrics_bind = config.metrics_bind;
    tracing::info!(database = ?config.database_url, "starting");
    let state = connect(config).await?;
    let listener = match inherited_listener()? {
        Some(listener) => listener,
        None => TcpListener::bind(bind)
            .await
            .with_context(|| format!("cannot listen on {bind}"))?,
    };
    let bind = listener.local_addr().unwrap_or(bind);
    let (api, metrics) = http::routers(state.clone());
    if let Some(metrics_bind) = metrics_bind {
        let listener = TcpListener::bind(metrics_bind)
            .await
            .with_context(|| format!("cannot listen on {metrics_bind} for metrics"))?;
        let mut stopping = state.shutdown.watch();
        tokio::spawn(http::server::serve(
            listener,
            metrics,
            16,
            state.shutdown.clone(),
            async move { stopping.begun().await },
        ));
        tracing::info!("serving metrics on http://{metrics_bind}/metrics");
    }
    let graphiql_hint = if graphiql {
        " (GraphiQL: open it in a browser)"
    } else {
        ""
    };
    tracing::info!("serving GraphQL on http://{bind}/graphql{graphiql_hint}");
    let max = state.config.max_connections;
    http::server::serve(
        listener,
        api,
        max,
        state.shutdown.clone(),
        shutdown_signal(),
    )
    .await?;
    tracing::info!("stopped");
    Ok(())
}

/// Raises the process's soft limit of open files to its hard limit, and keeps the connection cap below
/// it (with room for the database pool, logs and the listener), so that a flood of connections meets
/// the cap, not `Too many open files`.
fn within_file_limit(max_connections: usize) -> usize {
    const RESERVED: u64 = 128;
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => {
            let room = usize::try_from(limit.saturating_sub(RESERVED).max(1)).unwrap_or(usize::MAX);
            if room < max_connections {
                tracing::warn!(
                    file_limit = limit,
                    max_connections = room,
                    "the open-file limit is low; serving fewer connections at once"
                );
            }
            max_connections.min(room)
        }
        Err(err) => {
            tracing::warn!(%err, "cannot read the open-file limit");
            max_connections
        }
    }
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
}
