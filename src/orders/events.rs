//! This instance's feed of order events: what the subscriptions hear, read from the event log.
//!
//! Every change of an order writes its event in its own transaction (`order_events`, the transactional
//! outbox), so an event exists exactly when its change committed. Each instance runs one reader
//! (`reader`) that reads every store's new events in the log's delivery order (`LogPosition`) and
//! hands them to this instance's subscribers over a broadcast channel; a subscriber that falls behind
//! reads what it missed from the log itself (`follow`). Nothing is lost when no one listens: the log
//! is the record, and a reader that could not read for a while catches up from where it was.
//!
//! The reader reads when it is woken, and at least every `reader::POLL`. A commit on this instance wakes
//! it at once. On PostgreSQL it also wakes the other instances: after the commit (never inside the
//! order's transaction, so no order's commit waits on the notification queue's lock) one
//! `pg_notify` on `CHANNEL` goes out, coalesced with others that come meanwhile, and each instance's
//! listener wakes its reader (`listener`). A lost notification only delays an event until the next
//! poll.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::{Notify, broadcast, watch};

use crate::config::{Config, DatabaseUrl};
use crate::db::Db;
use crate::orders::model::{LogPosition, LoggedEvent};
use crate::orders::{listener, reader};

/// The PostgreSQL channel on which the instances wake each other's readers (no payload).
pub const CHANNEL: &str = "multistore_orders";
/// Events a subscriber may fall behind by before it reads from the log instead.
const BACKLOG: usize = 1024;

/// The events of this instance: a broadcast channel that every subscription of this instance reads.
pub struct OrderEvents {
    sender: broadcast::Sender<Arc<LoggedEvent>>,
    /// The last event the reader handed out (`None` until the reader found where the log ends). Moved
    /// on before each event is sent.
    head: watch::Sender<Option<LogPosition>>,
    /// Tells the reader to read now.
    pub(super) wake: Notify,
    /// PostgreSQL: tells the announcer to wake the other instances.
    pub(super) announce: Notify,
    /// PostgreSQL: whether the listener is connected and listening (`/readyz` waits for it).
    listening: Option<AtomicBool>,
}

impl OrderEvents {
    /// The feed for the configured database, reading the log with `worker` (a pool of the worker
    /// role). On PostgreSQL it also starts the listener, on a direct connection (LISTEN needs a
    /// session, which a transaction-mode pooler does not keep), and the announcer.
    pub fn start(config: &Config, worker: Db) -> Arc<Self> {
        let postgres = match &config.direct_database_url() {
            DatabaseUrl::Postgres(url) => Some(url.clone()),
            DatabaseUrl::Sqlite(_) => None,
        };
        let events = Arc::new(Self {
            sender: broadcast::channel(BACKLOG).0,
            head: watch::channel(None).0,
            wake: Notify::new(),
            announce: Notify::new(),
            listening: postgres.as_ref().map(|_| AtomicBool::new(false)),
        });
        reader::spawn(worker.clone(), Arc::downgrade(&events));
        if let Some(url) = postgres {
            listener::spawn(url, Arc::downgrade(&events));
            listener::spawn_announcer(worker, Arc::downgrade(&events));
        }
        events
    }

    /// Every event handed out from now on (a subscriber then reads `head`, and hears what comes after
    /// it).
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<LoggedEvent>> {
        self.sender.subscribe()
    }

    /// Where the reader is: the last event handed out (see `head`).
    pub fn head(&self) -> watch::Receiver<Option<LogPosition>> {
        self.head.subscribe()
    }

    /// Whether this instance hears the log: its reader has started and, on PostgreSQL, the listener
    /// is listening (else other instances' events would wait for the next poll).
    pub fn is_listening(&self) -> bool {
        self.head.borrow().is_some()
            && self
                .listening
                .as_ref()
                .is_none_or(|listening| listening.load(Ordering::Relaxed))
    }

    /// To be called right after a transaction that wrote events committed: this instance's reader reads
    /// now, and (PostgreSQL) the other instances' readers are woken.
    pub fn committed(&self) {
        self.wake.notify_one();
        if self.listening.is_some() {
            self.announce.notify_one();
        }
    }

    /// The reader hands out an event read from the log.
    pub(super) fn deliver(&self, event: LoggedEvent) {
        self.head.send_replace(Some(event.event.log_position()));
        // No subscriber is not an error.
        let _ = self.sender.send(Arc::new(event));
    }

    /// The reader found where the log ends, and starts after it.
    pub(super) fn start_at(&self, end: LogPosition) {
        self.head.send_replace(Some(end));
    }

    pub(super) fn set_listening(&self, now: bool) {
        if let Some(listening) = &self.listening {
            listening.store(now, Ordering::Relaxed);
        }
    }
}
