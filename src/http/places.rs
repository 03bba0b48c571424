//! The places of open connections, at most `max` at once. When every place is taken, a new connection
//! takes the place of the one that has waited longest without a request under way (an idle kept-alive
//! connection, or one whose request head is still arriving), which is closed: connections that are
//! idle or slow cannot keep a real client out, and only a cap's worth of requests actually running
//! refuses the next connection.
//!
//! Hand-written rather than a crate's: it must know, per connection, whether a request is under way,
//! which only the connection's own service sees. A request whose head completes just as its connection
//! is chosen to make room can be cut off; that window is the time between two instructions.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::sync::Notify;

/// Every open connection's place.
pub struct Places {
    max: usize,
    inner: Mutex<Taken>,
}

#[derive(Default)]
struct Taken {
    next_id: u64,
    by_id: HashMap<u64, Arc<Place>>,
}

/// One connection's place: how many of its requests are under way, since when it has had none, and
/// how it is told to close.
pub struct Place {
    id: u64,
    running: AtomicUsize,
    idle_since: Mutex<Instant>,
    close: Notify,
}

impl Places {
    pub fn new(max: usize) -> Arc<Self> {
        Arc::new(Self {
            max,
            inner: Mutex::default(),
        })
    }

    /// A place for a new connection: a free one, or the place of the connection that has waited
    /// longest with no request under way (told to close). `None` when every connection is busy.
    pub fn take(self: &Arc<Self>) -> Option<Held> {
        let mut taken = lock(&self.inner);
        if taken.by_id.len() >= self.max {
            let oldest_idle = taken
                .by_id
                .values()
                .filter(|place| place.running.load(Ordering::Acquire) == 0)
                .min_by_key(|place| *lock(&place.idle_since))?
                .clone();
            taken.by_id.remove(&oldest_idle.id);
            oldest_idle.close.notify_one();
        }
        taken.next_id += 1;
        let place = Arc::new(Place {
            id: taken.next_id,
            running: AtomicUsize::new(0),
            idle_since: Mutex::new(Instant::now()),
            close: Notify::new(),
        });
        taken.by_id.insert(place.id, place.clone());
        Some(Held {
            places: self.clone(),
            place,
        })
    }

    /// Open connections now.
    #[cfg(test)]
    pub fn open(&self) -> usize {
        lock(&self.inner).by_id.len()
    }
}

/// A connection's place, given back when the connection ends.
pub struct Held {
    places: Arc<Places>,
    place: Arc<Place>,
}

impl Held {
    /// Completes when the connection must close to make room for a newer one.
    pub async fn evicted(&self) {
        self.place.close.notified().await;
    }

    /// Marks a request under way until the returned guard is dropped (when its answer has been
    /// written, or given up).
    pub fn request(&self) -> Running {
        self.place.running.fetch_add(1, Ordering::AcqRel);
        Running(self.place.clone())
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        let mut taken = lock(&self.places.inner);
        if taken
            .by_id
            .get(&self.place.id)
            .is_some_and(|place| Arc::ptr_eq(place, &self.place))
        {
            taken.by_id.remove(&self.place.id);
        }
    }
}

/// A request under way on a connection.
pub struct Running(Arc<Place>);

impl Drop for Running {
    fn drop(&mut self) {
        *lock(&self.0.idle_since) = Instant::now();
        self.0.running.fetch_sub(1, Ordering::AcqRel);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_house_gives_the_longest_idle_place_away_and_never_a_busy_one() {
        let places = Places::new(3);
        let first = places.take().unwrap();
        let second = places.take().unwrap();
        let third = places.take().unwrap();
        let _busy = first.request();
        let _also_busy = third.request();
        // The second is the only idle one: it makes room.
        let fourth = places.take().unwrap();
        assert_eq!(places.open(), 3);
        assert!(!lock(&places.inner).by_id.contains_key(&second.place.id));
        // Its connection ends later; that gives back no one else's place.
        drop(second);
        assert_eq!(places.open(), 3);
        let _busy_too = fourth.request();
        assert!(places.take().is_none(), "every connection is busy");
        drop(fourth);
        assert!(places.take().is_some());
    }

    #[tokio::test]
    async fn the_place_given_away_is_told_to_close() {
        let places = Places::new(1);
        let idle = places.take().unwrap();
        let _newer = places.take().unwrap();
        tokio::time::timeout(std::time::Duration::from_secs(1), idle.evicted())
            .await
            .expect("told to close");
    }
}
