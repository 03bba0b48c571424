//! A PostgreSQL connection of its own that `LISTEN`s on a channel: what an instance's event listener
//! reads notifications from. It is a session of its own, never a pooled connection (a pooled one goes
//! back to others, and a transaction-mode pooler would not keep the `LISTEN`).

use std::time::Duration;

use diesel_async::{AsyncConnection as _, AsyncPgConnection, RunQueryDsl as _};
use futures_util::StreamExt as _;

use super::{DbError, DbResult};

pub struct Listening {
    conn: AsyncPgConnection,
}

impl Listening {
    /// Connects to `url` and listens on `channel` (a plain identifier of ours, never a client's text).
    pub async fn start(url: &str, channel: &str) -> DbResult<Self> {
        let mut conn = AsyncPgConnection::establish(url)
            .await
            .map_err(|err| DbError::Unavailable(err.to_string()))?;
        diesel::sql_query(format!("LISTEN {channel}"))
            .execute(&mut conn)
            .await?;
        Ok(Self { conn })
    }

    /// The payload of the next notification; `None` when none came within `quiet`, after checking that
    /// the connection still answers (one that died silently would otherwise never deliver again).
    pub async fn next(&mut self, quiet: Duration) -> DbResult<Option<String>> {
        let next = {
            let mut notifications = std::pin::pin!(self.conn.notifications_stream());
            tokio::time::timeout(quiet, notifications.next()).await
        };
        match next {
            Ok(Some(Ok(notification))) => Ok(Some(notification.payload)),
            Ok(Some(Err(err))) => Err(err.into()),
            Ok(None) => Err(DbError::Unavailable(
                "the listening connection closed".into(),
            )),
            Err(_elapsed) => {
                diesel::sql_query("SELECT 1")
                    .execute(&mut self.conn)
                    .await?;
                Ok(None)
            }
        }
    }
}
