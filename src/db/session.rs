//! A PostgreSQL connection of the pool together with its tenant setting, which outlives each checkout:
//! the setting knows which store's `app.vendor_id` the connection's session holds, so a checkout for
//! the same store as the connection's previous one sends nothing (a page is one statement, not two).
//!
//! The knowledge lives and dies with the connection (a new connection knows nothing), and it is only
//! ever what the server confirmed: see `TenantSetting` for when it is forgotten (a setting sent but
//! not answered, a transaction under way, a rollback).

use deadpool::managed::{Manager, Metrics, RecycleError, RecycleResult};
use diesel_async::AsyncPgConnection;
use diesel_async::pooled_connection::{AsyncDieselConnectionManager, PoolError};

use super::setting::{Mode, TenantSetting};

/// What the PostgreSQL pool holds.
pub struct PgSession {
    pub conn: AsyncPgConnection,
    pub setting: TenantSetting,
}

/// diesel-async's manager (opening, the broken-connection check), each connection with a setting.
pub struct PgSessionManager {
    pub connections: AsyncDieselConnectionManager<AsyncPgConnection>,
    pub mode: Mode,
}

impl Manager for PgSessionManager {
    type Type = PgSession;
    type Error = PoolError;

    async fn create(&self) -> Result<PgSession, PoolError> {
        Ok(PgSession {
            conn: self.connections.create().await?,
            setting: TenantSetting::new(self.mode.clone()),
        })
    }

    /// A connection left inside a transaction (a request dropped half-way) is closed: it would hand
    /// the next request a session inside someone else's transaction, with a setting it may have changed.
    async fn recycle(
        &self,
        session: &mut PgSession,
        metrics: &Metrics,
    ) -> RecycleResult<PoolError> {
        if session.setting.is_unfinished() {
            return Err(RecycleError::Message(
                "a transaction on the connection never ended".into(),
            ));
        }
        self.connections.recycle(&mut session.conn, metrics).await
    }
}
