//! Embedded migrations, one folder per backend with the same version names: PostgreSQL SQL does not parse
//! on SQLite and the reverse. They run at start and with `multistore migrate`.

use anyhow::Context;
use diesel::Connection as _;
use diesel_async::{AsyncConnection as _, AsyncMigrationHarness, AsyncPgConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::config::DatabaseUrl;

const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// Applies the pending migrations on their own connection; returns how many ran.
pub async fn run_migrations(url: &DatabaseUrl) -> anyhow::Result<usize> {
    match url {
        DatabaseUrl::Postgres(url) => {
            let conn = AsyncPgConnection::establish(url)
                .await
                .context("cannot connect to PostgreSQL")?;
            let mut harness = AsyncMigrationHarness::new(conn);
            // The harness drives the async connection from blocking code: run it off the async workers.
            tokio::task::spawn_blocking(move || {
                harness
                    .run_pending_migrations(POSTGRES)
                    .map(|done| done.len())
                    .map_err(|e| anyhow::anyhow!("PostgreSQL migrations failed: {e}"))
            })
            .await?
        }
        DatabaseUrl::Sqlite(path) => {
            let path = path.to_string_lossy().into_owned();
            tokio::task::spawn_blocking(move || {
                let mut conn = diesel::SqliteConnection::establish(&path)
                    .with_context(|| format!("cannot open SQLite file {path}"))?;
                conn.run_pending_migrations(SQLITE)
                    .map(|done| done.len())
                    .map_err(|e| anyhow::anyhow!("SQLite migrations failed: {e}"))
            })
            .await?
        }
    }
}
