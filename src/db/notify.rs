//! A PostgreSQL connection of its own that `LISTEN`s on a channel, and the loop that keeps one
//! listening for an owner (`spawn_listener`): how an instance hears of order events and of store
//! changes. It is a session of its own, never a pooled connection (a pooled one goes
//! back to others, and a transaction-mode pooler would not keep the `LISTEN`).

use std::sync::Weak;
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

/// Who a listener works for: told when it listens and when it stops, and given each notification.
pub trait Listener: Send + Sync + 'static {
    /// `true` once the connection listens (notifications sent meanwhile were missed: look again),
    /// `false` when it is lost.
    fn listening(&self, listening: bool);
    fn heard(&self, payload: &str);
}

/// How long a listener waits for a notification before it checks that its connection still answers.
const HEARTBEAT: Duration = Duration::from_secs(15);
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Listens on `channel` at `url` for as long as `owner` lives: on a connection of its own, again after
/// each loss (with a back-off from 100 ms doubling to 5 s, from the first again once it listens).
pub fn spawn_listener<L: Listener>(url: String, channel: &'static str, owner: Weak<L>) {
    tokio::spawn(async move {
        let mut backoff = FIRST_BACKOFF;
        loop {
            match listen(&url, channel, &owner, &mut backoff).await {
                Ok(()) => return,
                Err(err) => {
                    let Some(alive) = owner.upgrade() else { return };
                    alive.listening(false);
                    tracing::warn!(channel, error = ?err, "a listener lost its connection; reconnecting");
                }
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
            if owner.strong_count() == 0 {
                return;
            }
        }
    });
}

/// Listens until the connection fails (`Err`) or the owner is gone (`Ok`).
async fn listen<L: Listener>(
    url: &str,
    channel: &'static str,
    owner: &Weak<L>,
    backoff: &mut Duration,
) -> DbResult<()> {
    let mut listening = Listening::start(url, channel).await?;
    match owner.upgrade() {
        Some(alive) => alive.listening(true),
        None => return Ok(()),
    }
    *backoff = FIRST_BACKOFF;
    tracing::info!(channel, "listening");
    loop {
        let next = listening.next(HEARTBEAT).await?;
        let Some(alive) = owner.upgrade() else {
            return Ok(());
        };
        if let Some(payload) = next {
            alive.heard(&payload);
        }
    }
}
