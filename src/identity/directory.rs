//! Which store each domain names, remembered once seen.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::Duration;

use moka::sync::Cache;

use crate::db::{Db, DbResult, TenantId};

use super::store;

/// Which store each domain names, remembered once seen. A store's domain never changes and stores are
/// never deleted, so an entry never goes stale, on any instance. A domain named by `X-Tenant-Domain`
/// that names no store is not remembered (the store may open a moment later, on another instance); a
/// `Host` that names none is, for `NOT_STORES_FOR`.
pub struct TenantDirectory {
    known: RwLock<HashMap<String, TenantId>>,
    /// `Host` names seen to name no store, for a while: most requests without `X-Tenant-Domain` come
    /// to the API's own host, which would otherwise cost a lookup each.
    not_stores: Cache<String, ()>,
}

/// Entries kept before the directory starts over (it refills from the database as requests come).
const DIRECTORY_SIZE: usize = 100_000;
/// How many `Host` names that name no store are remembered, and for how long: a store opened on such
/// a domain is found by `Host` that much later (by `X-Tenant-Domain` at once).
const NOT_STORES_SIZE: u64 = 10_000;
const NOT_STORES_FOR: Duration = Duration::from_secs(10);

impl Default for TenantDirectory {
    fn default() -> Self {
        Self {
            known: RwLock::default(),
            not_stores: Cache::builder()
                .max_capacity(NOT_STORES_SIZE)
                .time_to_live(NOT_STORES_FOR)
                .build(),
        }
    }
}

impl TenantDirectory {
    pub async fn find(&self, db: &Db, domain: &str) -> DbResult<Option<TenantId>> {
        if let Some(id) = self
            .known
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(domain)
        {
            return Ok(Some(*id));
        }
        let mut pooled = db.unscoped().await?;
        let found = store::tenant_by_domain(&mut pooled.conn(), domain).await?;
        if let Some(id) = found {
            let mut known = self
                .known
                .write()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if known.len() >= DIRECTORY_SIZE {
                known.clear();
            }
            known.insert(domain.to_owned(), id);
        }
        Ok(found)
    }

    /// The store a request's `Host` names, if any (a host seen to name none is not looked up again
    /// for a while).
    pub async fn find_host(&self, db: &Db, host: &str) -> DbResult<Option<TenantId>> {
        if self.not_stores.contains_key(host) {
            return Ok(None);
        }
        let found = self.find(db, host).await?;
        if found.is_none() {
            self.not_stores.insert(host.to_owned(), ());
        }
        Ok(found)
    }
}
