//! What the owner's webhook operations do (`Webhooks`): register an endpoint, list and delete them,
//! page through an endpoint's deliveries, and ask for a delivery again.

use std::sync::Arc;

use crate::crypto::random_token;
use crate::db::{Db, TenantId, now};
use crate::error::{AppError, AppResult};
use crate::transaction;
use crate::webhooks::model::{DeliveryRow, NewWebhook, Topic, WebhookRow};
use crate::webhooks::worker::Background;
use crate::webhooks::{endpoint, store};

/// Endpoints one store may have.
pub const MAX_WEBHOOKS: i64 = 20;

#[derive(Clone)]
pub struct Webhooks {
    db: Db,
    allow_private: bool,
    /// The background tasks (they stop when the last service is dropped).
    background: Arc<Background>,
}

const NO_SUCH_WEBHOOK: AppError = AppError::NotFound("no such webhook");

impl Webhooks {
    pub fn new(db: Db, allow_private: bool, background: Arc<Background>) -> Self {
        Self {
            db,
            allow_private,
            background,
        }
    }

    /// Registers an endpoint for `topics` and returns it with its signing secret (which is shown only
    /// now). The URL must be `https` to a public host (see `endpoint`).
    pub async fn create(
        &self,
        tenant: TenantId,
        url: &str,
        topics: &[Topic],
    ) -> AppResult<WebhookRow> {
        let url = endpoint::check_url(url, self.allow_private)
            .map_err(|reason| AppError::bad_input("url", reason))?;
        if topics.is_empty() {
            return Err(AppError::bad_input("events", "name at least one event"));
        }
        let secret = format!("whsec_{}", random_token(32));
        let new = NewWebhook {
            url: url.as_str(),
            on_placed: topics.contains(&Topic::OrderPlaced),
            on_updated: topics.contains(&Topic::OrderUpdated),
            secret: &secret,
            created_at: now(),
        };
        let mut pooled = self.db.tenant(tenant).await?;
        // Counted and inserted in one transaction, the store's endpoints held still: concurrent calls
        // never pass the bound together.
        transaction!(&mut pooled.conn(), AppError, |conn| {
            store::lock_endpoints(conn, tenant).await?;
            if store::list(conn, tenant).await?.len() as i64 >= MAX_WEBHOOKS {
                return Err(AppError::LimitExceeded(format!(
                    "a store has at most {MAX_WEBHOOKS} webhooks"
                )));
            }
            Ok(store::create(conn, tenant, &new).await?)
        })
    }

    pub async fn list(&self, tenant: TenantId) -> AppResult<Vec<WebhookRow>> {
        let mut pooled = self.db.tenant(tenant).await?;
        Ok(store::list(&mut pooled.conn(), tenant).await?)
    }

    /// Deletes an endpoint of the store and its deliveries (`NOT_FOUND` when it has none such).
    pub async fn delete(&self, tenant: TenantId, id: Option<i64>) -> AppResult<()> {
        let id = id.ok_or(NO_SUCH_WEBHOOK)?;
        let mut pooled = self.db.tenant(tenant).await?;
        if !store::delete(&mut pooled.conn(), tenant, id).await? {
            return Err(NO_SUCH_WEBHOOK);
        }
        Ok(())
    }

    /// A page of an endpoint's deliveries, newest first (`NOT_FOUND` for an endpoint the store does
    /// not have).
    pub async fn deliveries(
        &self,
        tenant: TenantId,
        webhook_id: Option<i64>,
        before: Option<i64>,
        limit: i64,
    ) -> AppResult<Vec<DeliveryRow>> {
        let id = webhook_id.ok_or(NO_SUCH_WEBHOOK)?;
        let mut pooled = self.db.tenant(tenant).await?;
        let mut conn = pooled.conn();
        store::find(&mut conn, tenant, id)
            .await?
            .ok_or(NO_SUCH_WEBHOOK)?;
        Ok(store::deliveries(&mut conn, tenant, id, before, limit).await?)
    }

    pub async fn count_deliveries(&self, tenant: TenantId, webhook_id: i64) -> AppResult<i64> {
        let mut pooled = self.db.tenant(tenant).await?;
        Ok(store::count_deliveries(&mut pooled.conn(), tenant, webhook_id).await?)
    }

    /// Sends a delivery again: due now, with retries for another day (`NOT_FOUND` when the store has
    /// no such delivery).
    pub async fn redeliver(&self, tenant: TenantId, id: Option<i64>) -> AppResult<DeliveryRow> {
        let not_found = || AppError::NotFound("no such delivery");
        let id = id.ok_or_else(not_found)?;
        let at = now();
        let mut pooled = self.db.tenant(tenant).await?;
        let row = store::redeliver(
            &mut pooled.conn(),
            tenant,
            id,
            at,
            self.background.retry_until(at),
        )
        .await?
        .ok_or_else(not_found)?;
        self.background.deliver_now.notify_one();
        Ok(row)
    }
}
