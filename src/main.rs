//! The `multistore` command: `serve` (the default), `migrate`, `print-schema`, `create-admin`.

use anyhow::Context as _;
use multistore::config::{DEFAULT_SQLITE_FILE, DatabaseUrl};
use multistore::{Config, schema};
use tracing_subscriber::EnvFilter;

const USAGE: &str = "\
usage: multistore [COMMAND]

commands:
  serve                 serve the GraphQL API (the default)
  migrate               apply pending database migrations and exit
  print-schema [FILE]   write the GraphQL schema (SDL) to FILE or to standard output
  create-admin NAME     make a platform admin named NAME; the password is read from standard
                        input (one line), never from the command line

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
            print!("{}", schema::sdl());
            Ok(())
        }
        ["print-schema", file] => {
            std::fs::write(file, schema::sdl()).with_context(|| format!("cannot write {file}"))
        }
        ["create-admin", username] => create_admin(username).await,
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
    let json = std::env::var("MULTISTORE_LOG_FORMAT").is_ok_and(|format| format == "json");
    if json {
        tracing_subscriber::fmt()
            .json()
            .with_env_filter(filter)
            .init();
    } else {
        // Colours only on a terminal: a log file or a collector gets plain text.
        let terminal = std::io::IsTerminal::is_terminal(&std::io::stdout());
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_ansi(terminal)
            .init();
    }
}

async fn serve() -> anyhow::Result<()> {
    init_logs();
    multistore::run(Config::from_env()?).await
}

/// The password comes from standard input: a command line is seen by every user of the machine (`ps`)
/// and kept in shell histories.
async fn create_admin(username: &str) -> anyhow::Result<()> {
    init_logs();
    let terminal = std::io::IsTerminal::is_terminal(&std::io::stdin());
    if terminal {
        eprint!("password for {username} (it is shown as you type; pipe it in to hide it): ");
    }
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    let password = line.trim_end_matches(['\r', '\n']);
    let id = multistore::create_admin(&Config::from_env()?, username, password).await?;
    println!("platform admin {username} created (id {id}); sign in with adminLogin");
    Ok(())
}

/// Needs only `DATABASE_URL` (or `MULTISTORE_DIRECT_DATABASE_URL`, past a pooler): migrating must not
/// generate a JWT secret as a side effect.
async fn migrate() -> anyhow::Result<()> {
    init_logs();
    let url = std::env::var("MULTISTORE_DIRECT_DATABASE_URL")
        .or_else(|_| std::env::var("DATABASE_URL"))
        .unwrap_or_else(|_| DEFAULT_SQLITE_FILE.to_owned());
    let url = DatabaseUrl::parse(&url);
    let applied = multistore::db::run_migrations(&url).await?;
    tracing::info!(applied, database = ?url, "migrations done");
    Ok(())
}
