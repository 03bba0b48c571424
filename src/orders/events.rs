//! Order announcements: what the subscriptions hear, on every instance of the service. (The order's
//! timeline, the event log, is `order_events`, written by the order service; these announcements are
//! still made apart from it, until the subscriptions are fed from the log.)
//!
//! On PostgreSQL the database announces every change to an order itself: a trigger (migration
//! `order_events` of 2026-11-27) calls `pg_notify` with the row, which PostgreSQL delivers at commit
//! (never for a rolled-back change, in commit order) to every instance listening on the channel, this
//! one included; each instance's listener hands it to its local subscribers. On SQLite (one instance by
//! nature) the order service hands the event to the local subscribers right after the commit.
//!
//! An event carries the committed order row, so each subscriber decides from it alone whether its user
//! may hear it (tenant, then scope): no query per event and subscriber.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, watch};

use crate::config::{Config, DatabaseUrl};
use crate::orders::OrderRow;
use crate::orders::listener;

/// The PostgreSQL channel the instances share (named again in the trigger's migration).
pub const CHANNEL: &str = "multistore_orders";
/// Events a slow subscriber may fall behind by before it is told it missed some.
const BACKLOG: usize = 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OrderEventKind {
    /// A customer placed the order.
    Placed,
    /// Its status or assignment changed (a cancellation is a status change).
    Updated,
}

/// An order as it was committed, and what happened to it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OrderEvent {
    pub kind: OrderEventKind,
    pub order: OrderRow,
}

/// The events of this instance: a broadcast channel that every subscription of this instance reads.
pub struct OrderEvents {
    sender: broadcast::Sender<Arc<OrderEvent>>,
    /// How many times this instance may have missed events (its listener lost its connection and
    /// listened again): subscribers are told, since what happened meanwhile was not heard.
    gaps: watch::Sender<u64>,
    /// PostgreSQL: whether the listener is connected and listening (`/readyz` waits for it).
    listening: Option<AtomicBool>,
}

impl OrderEvents {
    /// The event bus for the configured database; on PostgreSQL it starts this instance's listener,
    /// on a direct connection (LISTEN needs a session, which a transaction-mode pooler does not keep).
    pub fn start(config: &Config) -> Arc<Self> {
        let (sender, _) = broadcast::channel(BACKLOG);
        match &config.direct_database_url() {
            DatabaseUrl::Postgres(url) => {
                let events = Arc::new(Self {
                    sender,
                    gaps: watch::channel(0).0,
                    listening: Some(AtomicBool::new(false)),
                });
                listener::spawn(url.clone(), Arc::downgrade(&events));
                events
            }
            DatabaseUrl::Sqlite(_) => Arc::new(Self {
                sender,
                gaps: watch::channel(0).0,
                listening: None,
            }),
        }
    }

    /// Every event from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<OrderEvent>> {
        self.sender.subscribe()
    }

    /// Changes each time events may have been missed (see `gaps`).
    pub fn gaps(&self) -> watch::Receiver<u64> {
        self.gaps.subscribe()
    }

    /// The listener listens again after losing its connection: events meanwhile were not heard.
    pub(super) fn gap(&self) {
        self.gaps.send_modify(|gaps| *gaps += 1);
    }

    /// Whether events from other instances reach this one (always, without PostgreSQL: there are none).
    pub fn is_listening(&self) -> bool {
        self.listening
            .as_ref()
            .is_none_or(|listening| listening.load(Ordering::Relaxed))
    }

    /// To be called right after the transaction that changed `order` committed: without PostgreSQL this
    /// is when local subscribers hear it. With PostgreSQL the trigger and the listener see to it, and
    /// this does nothing (not even copy the row).
    pub fn committed(&self, kind: OrderEventKind, order: &OrderRow) {
        if self.listening.is_none() {
            self.deliver(OrderEvent {
                kind,
                order: order.clone(),
            });
        }
    }

    pub(super) fn deliver(&self, event: OrderEvent) {
        // No subscriber is not an error.
        let _ = self.sender.send(Arc::new(event));
    }

    pub(super) fn set_listening(&self, now: bool) {
        if let Some(listening) = &self.listening {
            listening.store(now, Ordering::Relaxed);
        }
    }
}
