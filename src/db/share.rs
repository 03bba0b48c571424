//! Each store's share of a pool: at most `per_store` of its connections serve one store at once, so one
//! store's callers (a flood of requests, a socket's hundred subscriptions) can never hold every
//! connection while other stores wait. A store's work beyond its share waits for its own connections
//! to come back, not for another store's.
//!
//! Only stores with a checkout under way or waiting have an entry (the map is bounded by the requests
//! in flight); the last one out removes it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::{DbError, DbResult, TenantId};

pub struct StoreShares {
    per_store: usize,
    stores: Mutex<HashMap<TenantId, Arc<Semaphore>>>,
}

/// A store's place in its share, held with a connection; given back when dropped.
pub struct StoreShare {
    tenant: TenantId,
    permit: Option<OwnedSemaphorePermit>,
    shares: Arc<StoreShares>,
}

impl StoreShares {
    /// Shares of `per_store` connections each (at least one).
    pub fn new(per_store: usize) -> Arc<Self> {
        Arc::new(Self {
            per_store: per_store.max(1),
            stores: Mutex::default(),
        })
    }

    /// A place in `tenant`'s share, waiting at most `wait` for one of its own to come back.
    pub async fn enter(self: &Arc<Self>, tenant: TenantId, wait: Duration) -> DbResult<StoreShare> {
        let semaphore = self
            .lock()
            .entry(tenant)
            .or_insert_with(|| Arc::new(Semaphore::new(self.per_store)))
            .clone();
        let mut share = StoreShare {
            tenant,
            permit: None,
            shares: self.clone(),
        };
        match tokio::time::timeout(wait, semaphore.acquire_owned()).await {
            Ok(Ok(permit)) => {
                share.permit = Some(permit);
                Ok(share)
            }
            // Dropping `share` removes the entry if no one else is in it.
            _ => Err(DbError::Unavailable(format!(
                "store {} has all {} of its connections busy",
                tenant.0, self.per_store
            ))),
        }
    }

    /// Stores with a connection in use or awaited.
    #[cfg(test)]
    pub fn stores_active(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<TenantId, Arc<Semaphore>>> {
        self.stores
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Drop for StoreShare {
    fn drop(&mut self) {
        drop(self.permit.take());
        let mut stores = self.shares.lock();
        // Under the lock no one can take a new reference: only the map's is left when no one holds
        // or awaits a place.
        if stores
            .get(&self.tenant)
            .is_some_and(|semaphore| Arc::strong_count(semaphore) == 1)
        {
            stores.remove(&self.tenant);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WAIT: Duration = Duration::from_millis(50);

    #[tokio::test]
    async fn a_store_holds_its_share_and_no_more_and_others_are_not_kept_waiting() {
        let shares = StoreShares::new(2);
        let (one, two) = (TenantId(1), TenantId(2));
        let first = shares.enter(one, WAIT).await.unwrap();
        let second = shares.enter(one, WAIT).await.unwrap();
        assert!(shares.enter(one, WAIT).await.is_err(), "past its share");
        let other = shares.enter(two, WAIT).await.unwrap();
        assert_eq!(shares.stores_active(), 2);
        drop(first);
        let third = shares.enter(one, WAIT).await.unwrap();
        drop((second, third, other));
        assert_eq!(
            shares.stores_active(),
            0,
            "the last one out removes the entry"
        );
    }

    #[tokio::test]
    async fn a_waiter_gets_the_place_given_back() {
        let shares = StoreShares::new(1);
        let held = shares.enter(TenantId(1), WAIT).await.unwrap();
        let waiting = tokio::spawn({
            let shares = shares.clone();
            async move {
                shares
                    .enter(TenantId(1), Duration::from_secs(5))
                    .await
                    .is_ok()
            }
        });
        tokio::task::yield_now().await;
        drop(held);
        assert!(waiting.await.unwrap());
        assert_eq!(shares.stores_active(), 0);
    }
}
