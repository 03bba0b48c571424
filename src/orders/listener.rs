//! The PostgreSQL listener of one instance: a connection of its own that `LISTEN`s on the events channel
//! and hands every notification to the instance's subscribers. It reconnects by itself when the
//! connection breaks (events sent while it was away are not heard: the subscribers are told), and stops
//! when the instance's event bus is gone.

use std::sync::Weak;
use std::time::Duration;

use crate::db::notify::Listening;

use super::events::{CHANNEL, OrderEvent, OrderEvents};

/// How long the listener waits for a notification before it checks that its connection still answers
/// (a connection that died silently would otherwise never deliver again).
const HEARTBEAT: Duration = Duration::from_secs(15);
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

pub(super) fn spawn(url: String, events: Weak<OrderEvents>) {
    tokio::spawn(async move {
        let mut backoff = FIRST_BACKOFF;
        let mut first = true;
        loop {
            match listen(&url, &events, &mut backoff, first).await {
                Ok(()) => return,
                Err(err) => {
                    let Some(bus) = events.upgrade() else { return };
                    bus.set_listening(false);
                    tracing::warn!(error = ?err, "event listener lost its connection; reconnecting");
                }
            }
            first = false;
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
            if events.strong_count() == 0 {
                return;
            }
        }
    });
}

/// Listens until the connection fails (`Err`) or the event bus is gone (`Ok`). Once listening, the next
/// failure is retried after the first back-off again.
async fn listen(
    url: &str,
    events: &Weak<OrderEvents>,
    backoff: &mut Duration,
    first: bool,
) -> Result<(), crate::db::DbError> {
    let mut listening = Listening::start(url, CHANNEL).await?;
    match events.upgrade() {
        Some(bus) => {
            bus.set_listening(true);
            if !first {
                bus.gap();
            }
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
        if let Some(payload) = next {
            match serde_json::from_str::<OrderEvent>(&payload) {
                Ok(event) => bus.deliver(event),
                Err(err) => tracing::warn!(error = %err, "an order event could not be read"),
            }
        }
    }
}
