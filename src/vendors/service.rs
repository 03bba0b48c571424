//! What the store queries do: read the current store, change its name and contact email.

use crate::db::{Db, TenantId};
use crate::error::{AppError, AppResult};
use crate::values::{Email, StoreName};
use crate::vendors::{VendorRow, store};

/// What `updateVendor` changes; `None` leaves a field as it is, `contact_email: Some(None)` clears it.
pub struct StoreChanges {
    pub store_name: Option<StoreName>,
    pub contact_email: Option<Option<Email>>,
}

/// The stores domain's service: it needs only the database.
#[derive(Clone)]
pub struct Stores {
    db: Db,
}

impl Stores {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    pub async fn find(&self, tenant: TenantId) -> AppResult<VendorRow> {
        let mut pooled = self.db.tenant(tenant).await?;
        store::find(&mut pooled.conn(), tenant)
            .await?
            .ok_or(AppError::TenantNotFound)
    }

    pub async fn update(&self, tenant: TenantId, changes: StoreChanges) -> AppResult<VendorRow> {
        let mut pooled = self.db.tenant(tenant).await?;
        store::update(
            &mut pooled.conn(),
            tenant,
            changes.store_name.as_deref(),
            changes.contact_email.as_ref().map(|email| email.as_deref()),
        )
        .await?
        .ok_or(AppError::TenantNotFound)
    }
}
