//! Wake-ups between instances (PostgreSQL). The listener: a connection of its own that `LISTEN`s on the
//! events channel and wakes the instance's log reader at every notification (and once more whenever it
//! listens again after losing its connection, so the reader looks at once). The announcer: after this
//! instance's commits, one `pg_notify` on the channel, outside every order's transaction; commits that
//! come while one is on its way are announced by the next, so a burst of orders costs a few
//! notifications, not one each. Notifications carry nothing: the log is the record, and a lost one
//! only delays an event until the reader's next poll.

use std::sync::Weak;
use std::time::Duration;

use diesel_async::RunQueryDsl as _;

use crate::db::Db;
use crate::db::notify::Listening;
use crate::with_conn;

use super::events::{CHANNEL, OrderEvents};

/// How long the listener waits for a notification before it checks that its connection still answers
/// (a connection that died silently would otherwise never deliver again).
const HEARTBEAT: Duration = Duration::from_secs(15);
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// How often a waiting announcer checks that the instance still runs.
const IDLE_CHECK: Duration = Duration::from_secs(1);
/// The least time between two notifications: the commits of a burst share one (each costs the
/// database a statement, and each instance a read of the log).
const MIN_INTERVAL: Duration = Duration::from_millis(5);

pub(super) fn spawn(url: String, events: Weak<OrderEvents>) {
    tokio::spawn(async move {
        let mut backoff = FIRST_BACKOFF;
        loop {
            match listen(&url, &events, &mut backoff).await {
                Ok(()) => return,
                Err(err) => {
                    let Some(bus) = events.upgrade() else { return };
                    bus.set_listening(false);
                    tracing::warn!(error = ?err, "event listener lost its connection; reconnecting");
                }
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
            if events.strong_count() == 0 {
                return;
            }
        }
    });
}

/// Listens until the connection fails (`Err`) or the feed is gone (`Ok`). Once listening, the next
/// failure is retried after the first back-off again.
async fn listen(
    url: &str,
    events: &Weak<OrderEvents>,
    backoff: &mut Duration,
) -> Result<(), crate::db::DbError> {
    let mut listening = Listening::start(url, CHANNEL).await?;
    match events.upgrade() {
        Some(bus) => {
            bus.set_listening(true);
            // What other instances committed while this one did not listen is read now.
            bus.wake.notify_one();
        }
        None => return Ok(()),
    }
    *backoff = FIRST_BACKOFF;
    tracing::info!(channel = CHANNEL, "listening for order events");
    loop {
        let next = listening.next(HEARTBEAT).await?;
        let Some(bus) = events.upgrade() else {
            return Ok(());
        };
        if next.is_some() {
            bus.wake.notify_one();
        }
    }
}

/// Announces this instance's commits to the other instances, one notification at a time.
pub(super) fn spawn_announcer(worker: Db, events: Weak<OrderEvents>) {
    tokio::spawn(async move {
        loop {
            let Some(bus) = events.upgrade() else { return };
            if tokio::time::timeout(IDLE_CHECK, bus.announce.notified())
                .await
                .is_err()
            {
                continue;
            }
            drop(bus);
            let began = tokio::time::Instant::now();
            if let Err(err) = announce(&worker).await {
                // The other instances hear of it at their next poll.
                tracing::warn!(error = ?err, "could not wake the other instances");
            }
            tokio::time::sleep_until(began + MIN_INTERVAL).await;
        }
    });
}

async fn announce(worker: &Db) -> crate::db::DbResult<()> {
    let mut pooled = worker.unscoped().await?;
    let sql = format!("SELECT pg_notify('{CHANNEL}', '')");
    with_conn!(pooled.conn(), |c| diesel::sql_query(&sql).execute(c).await)?;
    Ok(())
}
