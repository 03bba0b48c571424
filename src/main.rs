//! The `multistore` command: `serve` (the default), `migrate`, `print-schema`.

use anyhow::Context as _;
use multistore::config::{DEFAULT_SQLITE_FILE, DatabaseUrl};
use multistore::{Config, graphql};
use tracing_subscriber::EnvFilter;

const USAGE: &str = "\
usage: multistore [COMMAND]

commands:
  serve                 serve the GraphQL API (the default)
  migrate               apply pending database migrations and exit
  print-schema [FILE]   write the GraphQL schema (SDL) to FILE or to standard output

Configuration comes from the environment; see README.md.";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        [] | ["serve"] => serve().await,
        ["migrate"] => migrate().await,
        ["print-schema"] => {
            print!("{}", graphql::sdl());
            Ok(())
        }
        ["print-schema", file] => {
            std::fs::write(file, graphql::sdl()).with_context(|| format!("cannot write {file}"))
        }
        ["-h" | "--help" | "help"] => {
            println!("{USAGE}");
            Ok(())
        }
        _ => {
            eprintln!("{USAGE}");
            std::process::exit(2);
        }
    }
}

fn init_logs() {
    let filter = EnvFilter::try_from_env("MULTISTORE_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,tower_http=info"));
    tracing_subscriber::fmt().with_env_filter(filter).init();
}

async fn serve() -> anyhow::Result<()> {
    init_logs();
    let config = Config::from_env()?;
    let bind = config.bind;
    let graphiql = config.graphiql;
    tracing::info!(database = ?config.database_url, "starting");
    let app = multistore::build(config).await?;
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .with_context(|| format!("cannot listen on {bind}"))?;
    tracing::info!(
        "serving GraphQL on http://{bind}/graphql{}",
        if graphiql {
            " (GraphiQL: open it in a browser)"
        } else {
            ""
        }
    );
    multistore::serve(listener, app, shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}

/// Needs only `DATABASE_URL`: migrating must not generate a JWT secret as a side effect.
async fn migrate() -> anyhow::Result<()> {
    init_logs();
    let url = DatabaseUrl::parse(
        &std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_SQLITE_FILE.to_owned()),
    );
    let applied = multistore::db::run_migrations(&url).await?;
    tracing::info!(applied, database = ?url, "migrations done");
    Ok(())
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
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
