//! The log reader of one instance: reads every store's new events in delivery order and hands them to
//! the instance's subscribers (`events`). It starts where the log ends, reads when woken and at least
//! every `POLL`, and when the database does not answer it tries again from where it was: it never skips
//! an event. It stops when the instance's feed is gone.

use std::sync::Weak;
use std::time::Duration;

use crate::db::{Db, DbResult};
use crate::orders::log;
use crate::orders::model::LogPosition;

use super::events::OrderEvents;

/// The longest an event waits for a reader that nobody woke (a lost notification; on PostgreSQL, an
/// event behind a transaction that was still running when the reader last read).
pub const POLL: Duration = Duration::from_millis(250);
/// Events read at a time.
const BATCH: i64 = 256;
/// The least time between two reads: under load a commit wakes the reader every millisecond or so,
/// and reading at each would cost the database a query per order; reading at most every 2 ms reads
/// the events of several orders at once, for at most 2 ms more before a subscriber hears of one (an
/// idle reader reads at once).
const MIN_INTERVAL: Duration = Duration::from_millis(2);
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

pub(super) fn spawn(worker: Db, events: Weak<OrderEvents>) {
    tokio::spawn(async move {
        let mut backoff = FIRST_BACKOFF;
        let mut cursor = loop {
            match end(&worker).await {
                Ok(end) => break end,
                Err(err) => {
                    tracing::warn!(error = ?err, "the event reader could not find the log's end");
                    if !pause(&events, &mut backoff).await {
                        return;
                    }
                }
            }
        };
        match events.upgrade() {
            Some(bus) => bus.start_at(cursor),
            None => return,
        }
        loop {
            let began = tokio::time::Instant::now();
            let read = read_after(&worker, cursor).await;
            let Some(bus) = events.upgrade() else { return };
            match read {
                Ok(batch) => {
                    backoff = FIRST_BACKOFF;
                    let full = batch.len() as i64 == BATCH;
                    for event in batch {
                        cursor = event.event.log_position();
                        bus.deliver(event);
                    }
                    if full {
                        continue;
                    }
                    // Woken, or time to look anyway; then what else came in the meantime.
                    let _ = tokio::time::timeout(POLL, bus.wake.notified()).await;
                    drop(bus);
                    tokio::time::sleep_until(began + MIN_INTERVAL).await;
                }
                Err(err) => {
                    drop(bus);
                    tracing::warn!(error = ?err, "the event reader could not read the log; trying again");
                    if !pause(&events, &mut backoff).await {
                        return;
                    }
                }
            }
        }
    });
}

async fn end(worker: &Db) -> DbResult<LogPosition> {
    let mut pooled = worker.unscoped().await?;
    log::end(&mut pooled.conn()).await
}

async fn read_after(
    worker: &Db,
    cursor: LogPosition,
) -> DbResult<Vec<crate::orders::model::LoggedEvent>> {
    let mut pooled = worker.unscoped().await?;
    log::all_after(&mut pooled.conn(), cursor, BATCH).await
}

/// Waits `backoff` (doubling it, up to `MAX_BACKOFF`); false when the feed is gone meanwhile.
async fn pause(events: &Weak<OrderEvents>, backoff: &mut Duration) -> bool {
    tokio::time::sleep(*backoff).await;
    *backoff = (*backoff * 2).min(MAX_BACKOFF);
    events.strong_count() > 0
}
