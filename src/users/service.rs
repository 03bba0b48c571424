//! What the people queries do: the signed-in user, and the store's staff and customers by page.

use crate::db::{Db, TenantId};
use crate::error::{AppError, AppResult};
use crate::identity::{Identity, Role};
use crate::users::{UserRow, store};

/// The people domain's service: it needs only the database.
#[derive(Clone)]
pub struct People {
    db: Db,
}

impl People {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// The signed-in user's row.
    pub async fn me(&self, identity: &Identity) -> AppResult<UserRow> {
        let tenant = identity.tenant_id;
        let mut pooled = self.db.tenant(tenant).await?;
        store::find(&mut pooled.conn(), tenant, identity.user_id)
            .await?
            .ok_or(AppError::Unauthenticated("this account is not active"))
    }

    /// The store's people with `role`, by id, after `after`, at most `limit`.
    pub async fn list(
        &self,
        tenant: TenantId,
        role: Role,
        after: Option<i64>,
        limit: i64,
    ) -> AppResult<Vec<UserRow>> {
        let mut pooled = self.db.tenant(tenant).await?;
        Ok(store::list(&mut pooled.conn(), tenant, role, after, limit).await?)
    }

    pub async fn count(&self, tenant: TenantId, role: Role) -> AppResult<i64> {
        let mut pooled = self.db.tenant(tenant).await?;
        Ok(store::count(&mut pooled.conn(), tenant, role).await?)
    }

    /// The store's people among `ids` (batched loading).
    pub async fn find_many(&self, tenant: TenantId, ids: &[i64]) -> AppResult<Vec<UserRow>> {
        let mut pooled = self.db.tenant(tenant).await?;
        Ok(store::find_many(&mut pooled.conn(), tenant, ids).await?)
    }
}
