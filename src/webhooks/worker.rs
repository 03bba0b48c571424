//! The background work of webhooks, on every instance:
//!
//! - **Fan-out**: turns new events of the log into deliveries, one per matching endpoint, and moves
//!   its place in the log in the same transaction (so an event is looked at until its deliveries are
//!   recorded, and once). One instance at a time does it: the place's row is locked, and the others
//!   skip it. It runs when this instance's feed hears an event, and every ten seconds.
//! - **Delivery**: claims due deliveries (a lease: attempts + 1, not due again for the lease; claimed
//!   with `SKIP LOCKED`, so two instances never claim the same one), POSTs each, signed, and records
//!   the outcome: delivered on a 2xx, else retried after `retry_base` doubling up to an hour, until the
//!   retry window ends, then FAILED. An instance that stops mid-attempt leaves its lease to run out,
//!   and another instance tries again (at least once). At most `IN_FLIGHT` deliveries are in hand at
//!   once per instance, and of each endpoint `PER_ENDPOINT` attempts run while as many wait: a slow
//!   receiver holds only its own share, and each attempt ends within the timeout.
//! - **Retention**: every `PRUNE_EVERY`, events older than the retention age are deleted in batches of
//!   `PRUNE_BATCH` (their deliveries go with them), with a pause between batches.
//!
//! Every task ends when the service that started it is gone.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use chrono::{NaiveDateTime, TimeDelta};
use tokio::sync::Notify;

use crate::config::Config;
use crate::db::{Db, DbError, TenantId, now};
use crate::orders::OrderEvents;
use crate::orders::model::LoggedEvent;
use crate::orders::{log, store as order_store};
use crate::transaction;
use crate::webhooks::model::{DeliveryRow, DeliveryStatus, NewDelivery, Topic};
use crate::webhooks::store::{self, Settled};
use crate::webhooks::{endpoint, payload, signature};

/// How long a claimed attempt keeps others off (well beyond the attempt's own timeout).
/// Attempts at once per instance.
const IN_FLIGHT: usize = 32;
/// Attempts at once per endpoint and instance.
const PER_ENDPOINT: usize = 8;
/// The longest wait between retries.
const MAX_BACKOFF: Duration = Duration::from_secs(3600);
/// Retries stop this long after the event (or after a redelivery was asked for).
/// How often due deliveries and unread events are looked for when nothing woke the tasks.
const POLL: Duration = Duration::from_secs(1);
/// Polls without an event heard before the fan-out looks anyway.
const FANOUT_IDLE_POLLS: u32 = 10;
/// Events turned into deliveries per transaction.
const FANOUT_BATCH: i64 = 256;
/// The least time between two fan-outs: each is a transaction of several statements, and under load
/// the feed brings an event every millisecond or so; fanning out at most every 50 ms turns the events
/// of many orders into deliveries at once, for at most 50 ms more before a webhook goes out.
const FANOUT_INTERVAL: Duration = Duration::from_millis(50);
const PRUNE_EVERY: Duration = Duration::from_secs(600);
const PRUNE_BATCH: i64 = 500;
const PRUNE_PAUSE: Duration = Duration::from_millis(50);

/// What the tasks share with the service: it wakes the delivery task (a redelivery), and its being
/// dropped ends them.
pub struct Background {
    pub(super) deliver_now: Notify,
    /// How long a delivery is retried (`MULTISTORE_WEBHOOK_RETRY_WINDOW_SECS`).
    retry_window: Duration,
}

impl Background {
    /// When a delivery made or asked for again at `from` stops being retried.
    pub fn retry_until(&self, from: NaiveDateTime) -> NaiveDateTime {
        from + delta(self.retry_window)
    }
}

/// The settings and pools the tasks work with.
#[derive(Clone)]
struct Work {
    /// The worker role's pool: every store's deliveries and log.
    worker: Db,
    /// The service's pool: each attempt reads its store's endpoint and order as that store.
    db: Db,
    client: reqwest::Client,
    allow_private: bool,
    retry_base: Duration,
    retry_window: Duration,
    /// How long a claimed delivery is this instance's before another may try it.
    lease: Duration,
    retention: Duration,
    /// Per endpoint with deliveries in hand (an entry exists only while there are): its attempts'
    /// semaphore, and how many deliveries hold or wait for it.
    busy: Arc<Mutex<HashMap<i64, Endpoint>>>,
}

/// An endpoint with deliveries in hand: its attempts' semaphore, and how many hold or wait for it.
type Endpoint = (Arc<tokio::sync::Semaphore>, usize);

/// Starts the fan-out, delivery and retention tasks; they run until the returned handle is dropped.
pub fn start(
    config: &Config,
    db: Db,
    worker: Db,
    events: &OrderEvents,
) -> anyhow::Result<Arc<Background>> {
    let background = Arc::new(Background {
        deliver_now: Notify::new(),
        retry_window: config.webhook_retry_window,
    });
    let work = Work {
        worker,
        db,
        client: endpoint::client(config.webhook_allow_private)?,
        allow_private: config.webhook_allow_private,
        retry_base: config.webhook_retry_base,
        retry_window: config.webhook_retry_window,
        lease: config.webhook_lease,
        retention: config.event_retention,
        busy: Arc::default(),
    };
    tokio::spawn(fan_out(
        work.clone(),
        events.subscribe(),
        Arc::downgrade(&background),
    ));
    tokio::spawn(deliver(work.clone(), Arc::downgrade(&background)));
    tokio::spawn(prune(work, Arc::downgrade(&background)));
    Ok(background)
}

async fn fan_out(
    work: Work,
    mut feed: tokio::sync::broadcast::Receiver<Arc<LoggedEvent>>,
    background: Weak<Background>,
) {
    let mut quiet = 0;
    // Events the feed brought while the last fan-out ran or paused: the next one starts at once.
    let mut pending = false;
    loop {
        // Woken by an event this instance heard (whoever made it); else, lest one was missed, it
        // looks every `FANOUT_IDLE_POLLS` polls (each look locks the fan-out's place).
        if !pending && tokio::time::timeout(POLL, feed.recv()).await.is_err() {
            quiet += 1;
            if quiet < FANOUT_IDLE_POLLS {
                if background.strong_count() == 0 {
                    return;
                }
                continue;
            }
        }
        quiet = 0;
        let Some(alive) = background.upgrade() else {
            return;
        };
        let began = tokio::time::Instant::now();
        loop {
            match fan_out_once(&work).await {
                Ok((read, made)) => {
                    if made > 0 {
                        alive.deliver_now.notify_one();
                    }
                    if read < FANOUT_BATCH as usize {
                        break;
                    }
                }
                Err(err) => {
                    tracing::warn!(error = ?err, "webhook fan-out failed; trying again");
                    break;
                }
            }
        }
        drop(alive);
        tokio::time::sleep_until(began + FANOUT_INTERVAL).await;
        // What the feed brought meanwhile is in the log: one fan-out, now, takes all of it.
        pending = false;
        while let Ok(_) | Err(tokio::sync::broadcast::error::TryRecvError::Lagged(_)) =
            feed.try_recv()
        {
            pending = true;
        }
    }
}

/// One batch of the log turned into deliveries: (events read, deliveries made).
async fn fan_out_once(work: &Work) -> Result<(usize, usize), DbError> {
    let mut pooled = work.worker.unscoped().await?;
    transaction!(&mut pooled.conn(), DbError, |conn| {
        let Some(place) = store::lock_fanout(conn).await? else {
            return Ok((0, 0));
        };
        let events = log::all_after(conn, place, FANOUT_BATCH).await?;
        let Some(last) = events.last().map(|logged| logged.event.log_position()) else {
            return Ok((0, 0));
        };
        let mut stores: Vec<i64> = events.iter().map(|e| e.event.vendor_id).collect();
        stores.sort_unstable();
        stores.dedup();
        let hooks = store::of_stores(conn, &stores).await?;
        let created = now();
        let retry_until = created + delta(work.retry_window);
        let deliveries: Vec<NewDelivery> = events
            .iter()
            .flat_map(|logged| {
                let event = &logged.event;
                let topic = Topic::of(event.kind());
                hooks
                    .iter()
                    .filter(move |hook| {
                        hook.vendor_id == event.vendor_id
                            && hook.wants(topic)
                            && hook.created_at <= event.created_at
                    })
                    .map(move |hook| NewDelivery {
                        vendor_id: event.vendor_id,
                        webhook_id: hook.id,
                        event_id: event.id,
                        status: DeliveryStatus::Pending.as_str(),
                        next_attempt_at: created,
                        retry_until,
                        created_at: created,
                    })
            })
            .collect();
        store::insert_deliveries(conn, &deliveries).await?;
        store::move_fanout(conn, last).await?;
        Ok((events.len(), deliveries.len()))
    })
}

async fn deliver(work: Work, background: Weak<Background>) {
    let in_flight = Arc::new(tokio::sync::Semaphore::new(IN_FLIGHT));
    loop {
        {
            let Some(alive) = background.upgrade() else {
                return;
            };
            let _ = tokio::time::timeout(POLL, alive.deliver_now.notified()).await;
        }
        loop {
            let free = in_flight.available_permits();
            if free == 0 {
                break;
            }
            let claimed = match claim(&work, free).await {
                Ok(claimed) => claimed,
                Err(err) => {
                    tracing::warn!(error = ?err, "could not claim webhook deliveries");
                    break;
                }
            };
            let mut more = claimed.len() == free;
            for delivery in claimed {
                let taken = match in_flight.clone().try_acquire_owned() {
                    Ok(permit) => work.take_endpoint(delivery.webhook_id).map(|e| (permit, e)),
                    Err(_) => None,
                };
                let Some((permit, endpoint)) = taken else {
                    // Its endpoint has as many in hand as it may wait for here: back in the queue,
                    // for the next claim (when an attempt ends).
                    work.put_back(&delivery).await;
                    more = false;
                    continue;
                };
                let work = work.clone();
                let background = background.clone();
                tokio::spawn(async move {
                    // Waits at most for the attempts ahead of it (each within the timeout), well
                    // within the lease.
                    if let Ok(_running) = endpoint.acquire().await {
                        work.attempt(&delivery).await;
                    }
                    work.leave_endpoint(delivery.webhook_id);
                    drop(permit);
                    // A place is free: claim again now rather than at the next poll.
                    if let Some(alive) = background.upgrade() {
                        alive.deliver_now.notify_one();
                    }
                });
            }
            if !more {
                break;
            }
        }
    }
}

async fn claim(work: &Work, limit: usize) -> Result<Vec<DeliveryRow>, DbError> {
    let mut pooled = work.worker.unscoped().await?;
    let at = now();
    store::claim(
        &mut pooled.conn(),
        at,
        at + delta(work.lease),
        limit as i64,
        PER_ENDPOINT as i64,
    )
    .await
}

impl Work {
    /// A place among the deliveries its endpoint has in hand here (`PER_ENDPOINT` running, as many
    /// waiting): the endpoint's semaphore, or `None` when they are all taken.
    fn take_endpoint(&self, webhook_id: i64) -> Option<Arc<tokio::sync::Semaphore>> {
        let mut busy = self.busy.lock().unwrap_or_else(|e| e.into_inner());
        let (semaphore, held) = busy
            .entry(webhook_id)
            .or_insert_with(|| (Arc::new(tokio::sync::Semaphore::new(PER_ENDPOINT)), 0));
        if *held >= 2 * PER_ENDPOINT {
            return None;
        }
        *held += 1;
        Some(semaphore.clone())
    }

    fn leave_endpoint(&self, webhook_id: i64) {
        let mut busy = self.busy.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, held)) = busy.get_mut(&webhook_id) {
            *held -= 1;
            if *held == 0 {
                busy.remove(&webhook_id);
            }
        }
    }

    /// A claimed delivery not attempted: due again now, its claim undone.
    async fn put_back(&self, delivery: &DeliveryRow) {
        let released = async {
            let mut pooled = self.worker.unscoped().await?;
            store::release(&mut pooled.conn(), delivery, now()).await
        }
        .await;
        if let Err(err) = released {
            // Its lease runs out instead.
            tracing::warn!(error = ?err, "could not put a webhook delivery back");
        }
    }

    /// One attempt of a claimed delivery, and its outcome recorded.
    async fn attempt(&self, delivery: &DeliveryRow) {
        let outcome = match self.post(delivery).await {
            Ok(outcome) => outcome,
            Err(err) => {
                // Not attempted (the store's rows could not be read): the lease runs out and it is
                // tried again.
                tracing::warn!(error = ?err, delivery = delivery.id, "webhook attempt not made");
                return;
            }
        };
        let settled = match outcome {
            Outcome::Delivered(code) => Settled {
                status: DeliveryStatus::Delivered,
                status_code: Some(code),
                next_attempt_at: None,
            },
            Outcome::Gone => Settled {
                status: DeliveryStatus::Failed,
                status_code: None,
                next_attempt_at: None,
            },
            Outcome::Failed(code) => {
                let next = now() + delta(self.backoff(delivery.attempts));
                if next > delivery.retry_until {
                    Settled {
                        status: DeliveryStatus::Failed,
                        status_code: code,
                        next_attempt_at: None,
                    }
                } else {
                    Settled {
                        status: DeliveryStatus::Pending,
                        status_code: code,
                        next_attempt_at: Some(next),
                    }
                }
            }
        };
        if let Err(err) = self.settle(delivery, &settled).await {
            // The lease runs out and it is tried again: at least once.
            tracing::warn!(error = ?err, delivery = delivery.id, "could not record a webhook attempt");
        }
    }

    fn backoff(&self, attempts: i32) -> Duration {
        backoff(self.retry_base, attempts)
    }

    async fn settle(&self, delivery: &DeliveryRow, settled: &Settled) -> Result<(), DbError> {
        let mut pooled = self.worker.unscoped().await?;
        store::settle(&mut pooled.conn(), delivery, settled).await
    }

    /// POSTs the delivery's event to its endpoint, as its store.
    async fn post(&self, delivery: &DeliveryRow) -> Result<Outcome, DbError> {
        let tenant = TenantId(delivery.vendor_id);
        let (hook, logged, items) = {
            let mut pooled = self.db.tenant(tenant).await?;
            let mut conn = pooled.conn();
            let Some(hook) = store::find(&mut conn, tenant, delivery.webhook_id).await? else {
                return Ok(Outcome::Gone);
            };
            let Some(logged) = log::find(&mut conn, tenant, delivery.event_id).await? else {
                return Ok(Outcome::Gone);
            };
            let items = order_store::items_of(&mut conn, tenant, &[logged.order.id]).await?;
            (hook, logged, items)
        };
        let Ok(url) = endpoint::check_url(&hook.url, self.allow_private) else {
            return Ok(Outcome::Failed(None));
        };
        let body = payload::body(&logged, &items).to_string();
        let signed = signature::sign(
            &hook.secret,
            chrono::Utc::now().timestamp(),
            body.as_bytes(),
        );
        let sent = self
            .client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("X-Multistore-Event-Id", logged.event.id.to_string())
            .header("X-Multistore-Signature", signed)
            .body(body)
            .send()
            .await;
        Ok(match sent {
            Ok(response) if response.status().is_success() => {
                Outcome::Delivered(i32::from(response.status().as_u16()))
            }
            Ok(response) => Outcome::Failed(Some(i32::from(response.status().as_u16()))),
            Err(err) => {
                tracing::info!(error = %err, delivery = delivery.id, "webhook attempt failed");
                Outcome::Failed(None)
            }
        })
    }
}

enum Outcome {
    /// Answered with this 2xx status.
    Delivered(i32),
    /// Not answered with a 2xx (the status when there was one).
    Failed(Option<i32>),
    /// Its event is no longer kept: there is nothing to send.
    Gone,
}

async fn prune(work: Work, background: Weak<Background>) {
    loop {
        if background.strong_count() == 0 {
            return;
        }
        let cutoff = now() - delta(work.retention);
        loop {
            let pruned = async {
                let mut pooled = work.worker.unscoped().await?;
                store::prune_events(&mut pooled.conn(), cutoff, PRUNE_BATCH).await
            }
            .await;
            match pruned {
                Ok(n) if n as i64 == PRUNE_BATCH => tokio::time::sleep(PRUNE_PAUSE).await,
                Ok(_) => break,
                Err(err) => {
                    tracing::warn!(error = ?err, "could not prune old events");
                    break;
                }
            }
        }
        // Waits in short steps, so the task ends soon after the service.
        let mut waited = Duration::ZERO;
        while waited < PRUNE_EVERY {
            if background.strong_count() == 0 {
                return;
            }
            tokio::time::sleep(POLL).await;
            waited += POLL;
        }
    }
}

/// The wait after failed attempt number `attempts`: `base`, doubled per earlier attempt, at most an
/// hour.
fn backoff(base: Duration, attempts: i32) -> Duration {
    let doublings = u32::try_from(attempts.saturating_sub(1))
        .unwrap_or(0)
        .min(30);
    base.saturating_mul(1 << doublings).min(MAX_BACKOFF)
}

fn delta(duration: Duration) -> TimeDelta {
    TimeDelta::from_std(duration).unwrap_or(TimeDelta::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_back_off_doubles_up_to_an_hour() {
        let base = Duration::from_secs(10);
        let waits: Vec<u64> = (1..=12).map(|n| backoff(base, n).as_secs()).collect();
        assert_eq!(
            waits,
            [10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600, 3600, 3600]
        );
        assert_eq!(backoff(base, 0), base, "a first attempt waits the base");
        assert_eq!(backoff(base, i32::MAX), MAX_BACKOFF, "no overflow");
        assert_eq!(
            backoff(Duration::from_millis(100), 2),
            Duration::from_millis(200)
        );
    }
}
