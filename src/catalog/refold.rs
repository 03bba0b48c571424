//! Search words written before the service folded them itself are folded again, once, in the
//! background at start: migration 9 folded the products of before in SQL (PostgreSQL lowered them and
//! kept accents, SQLite lowered ASCII letters only), so "Crème" was found by "crème" but not "creme",
//! and the two databases disagreed. Store by store, in small batches, each on the store's own
//! connection; when every store is done the task is recorded, and later starts skip it. Several
//! instances doing it at once only fold the same rows twice.

use std::time::Duration;

use crate::catalog::store;
use crate::db::{Db, DbResult, TenantId};
use crate::values::search_words;

const TASK: &str = "search_words_folded_in_rust";
/// Products folded per statement batch, and stores read per page.
const BATCH: i64 = 200;
/// A pause between batches, so the task never crowds out requests.
const PAUSE: Duration = Duration::from_millis(5);

/// Starts the task in the background; it logs and gives up on a database error (the next start
/// tries again).
pub fn spawn(db: Db) {
    tokio::spawn(async move {
        match run(&db).await {
            Ok(0) => {}
            Ok(products) => tracing::info!(products, "search words folded again"),
            Err(err) => {
                tracing::warn!(error = ?err, "folding search words again failed; the next start tries again")
            }
        }
    });
}

/// Folds every product whose words were folded in SQL; how many it folded.
pub async fn run(db: &Db) -> DbResult<u64> {
    if store::done(&mut db.unscoped().await?.conn(), TASK).await? {
        return Ok(0);
    }
    let mut folded = 0;
    let mut after = 0;
    loop {
        let stores = store::stores_after(&mut db.unscoped().await?.conn(), after, BATCH).await?;
        let Some(&last) = stores.last() else { break };
        for id in stores {
            folded += fold_store(db, TenantId(id)).await?;
        }
        after = last;
    }
    store::mark_done(&mut db.unscoped().await?.conn(), TASK).await?;
    Ok(folded)
}

async fn fold_store(db: &Db, tenant: TenantId) -> DbResult<u64> {
    let mut folded = 0;
    loop {
        let mut pooled = db.tenant(tenant).await?;
        let batch = store::not_folded(&mut pooled.conn(), tenant, BATCH).await?;
        let words: Vec<(i64, String, String)> = batch
            .iter()
            .map(|(id, name, description)| (*id, search_words(name), search_words(description)))
            .collect();
        store::set_search_words(&mut pooled.conn(), tenant, &words).await?;
        drop(pooled);
        folded += batch.len() as u64;
        if (batch.len() as i64) < BATCH {
            return Ok(folded);
        }
        tokio::time::sleep(PAUSE).await;
    }
}
