//! Which store each domain names, remembered once seen.

use std::collections::HashMap;
use std::sync::RwLock;

use crate::db::{Db, DbResult, TenantId};

use super::store;

/// Which store each domain names, remembered once seen. A store's domain never changes and stores are
/// never deleted, so an entry never goes stale, on any instance; unknown domains are not remembered (the
/// store may open a moment later, on another instance).
#[derive(Default)]
pub struct TenantDirectory {
    known: RwLock<HashMap<String, TenantId>>,
}

/// Entries kept before the directory starts over (it refills from the database as requests come).
const DIRECTORY_SIZE: usize = 100_000;

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
}
