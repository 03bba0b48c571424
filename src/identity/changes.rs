//! How every instance hears that a store or an account changed (PostgreSQL): a connection of its own
//! `LISTEN`s on the stores' channel, and each notification (`<store>` or `<store>:<user>`, sent by the
//! change's transaction at commit) makes the instance's directory forget that store or account. While it does not listen, the directory
//! remembers nothing (every request reads the database); when it listens again, it forgets
//! everything, since it may have missed changes.

use std::sync::Weak;
use std::time::Duration;

use crate::db::notify::Listening;

use super::store::CHANNEL;
use super::{StoreChange, TenantDirectory};

/// How long the listener waits for a notification before it checks that its connection still answers.
const HEARTBEAT: Duration = Duration::from_secs(15);
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Listens for as long as the directory lives.
pub fn spawn_listener(url: String, directory: Weak<TenantDirectory>) {
    tokio::spawn(async move {
        let mut backoff = FIRST_BACKOFF;
        loop {
            match listen(&url, &directory, &mut backoff).await {
                Ok(()) => return,
                Err(err) => {
                    let Some(directory) = directory.upgrade() else {
                        return;
                    };
                    directory.set_hears_changes(false);
                    tracing::warn!(error = ?err, "store change listener lost its connection; reconnecting");
                }
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
            if directory.strong_count() == 0 {
                return;
            }
        }
    });
}

async fn listen(
    url: &str,
    directory: &Weak<TenantDirectory>,
    backoff: &mut Duration,
) -> Result<(), crate::db::DbError> {
    let mut listening = Listening::start(url, CHANNEL).await?;
    match directory.upgrade() {
        Some(directory) => directory.set_hears_changes(true),
        None => return Ok(()),
    }
    *backoff = FIRST_BACKOFF;
    tracing::info!(channel = CHANNEL, "listening for store changes");
    loop {
        let next = listening.next(HEARTBEAT).await?;
        let Some(directory) = directory.upgrade() else {
            return Ok(());
        };
        if let Some(payload) = next {
            directory.changed(StoreChange::from_payload(&payload));
        }
    }
}
