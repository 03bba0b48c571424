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
use crate::db::notify::{Listener, spawn_listener};
use crate::with_conn;

use super::events::{CHANNEL, OrderEvents};

/// How often a waiting announcer checks that the instance still runs.
const IDLE_CHECK: Duration = Duration::from_secs(1);
/// The least time between two notifications: the commits of a burst share one (each costs the
/// database a statement, and each instance a read of the log).
const MIN_INTERVAL: Duration = Duration::from_millis(5);

impl Listener for OrderEvents {
    fn listening(&self, listening: bool) {
        self.set_listening(listening);
        if listening {
            // What other instances committed while this one did not listen is read now.
            self.wake.notify_one();
        }
    }

    fn heard(&self, _payload: &str) {
        self.wake.notify_one();
    }
}

/// Listens on the events channel for as long as the feed lives.
pub(super) fn spawn(url: String, events: Weak<OrderEvents>) {
    spawn_listener(url, CHANNEL, events);
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
