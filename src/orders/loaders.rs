//! DataLoaders for the fields nested under orders, made per request for its tenant: all the lines of a
//! page of orders load in one query, all their products in one more, all their people in one more.

use std::collections::HashMap;

use async_graphql::dataloader::{DataLoader, Loader};

use crate::catalog::ProductRow;
use crate::db::{Db, TenantId};
use crate::error::AppError;
use crate::orders::OrderItemRow;
use crate::users::UserRow;
use crate::{catalog, orders, users};

/// The loaders of one request; in the request's data whenever it has a tenant.
pub struct Loaders {
    pub order_items: DataLoader<OrderItemsLoader>,
    pub products: DataLoader<ProductLoader>,
    pub users: DataLoader<UserLoader>,
}

impl Loaders {
    /// The request's loaders, or `TENANT_REQUIRED` when it has no tenant.
    pub fn of<'c>(ctx: &'c async_graphql::Context<'_>) -> Result<&'c Loaders, AppError> {
        ctx.data::<std::sync::Arc<Loaders>>()
            .map(|loaders| &**loaders)
            .map_err(|_| AppError::TenantRequired)
    }

    pub fn new(db: &Db, tenant: TenantId) -> Self {
        Self {
            order_items: immediate(OrderItemsLoader(Scoped::new(db, tenant))),
            products: immediate(ProductLoader(Scoped::new(db, tenant))),
            users: immediate(UserLoader(Scoped::new(db, tenant))),
        }
    }
}

/// A loader that loads at once, not after the default 1 ms wait for more keys: keys asked for in one
/// pass of the executor usually still share a batch, but a batch may also start before a sibling's key
/// arrives. Where the count of queries matters, a page of orders and a single order load their nested
/// rows themselves (`orders::graphql::PageData`); the loaders serve the rest (mutation answers,
/// subscription events), which then do not wait a millisecond for keys that never come.
fn immediate<T: Loader<i64>>(loader: T) -> DataLoader<T> {
    DataLoader::new(loader, tokio::spawn).delay(std::time::Duration::ZERO)
}

/// What every loader needs: the pool and the tenant its queries are scoped to.
pub struct Scoped {
    db: Db,
    tenant: TenantId,
}

impl Scoped {
    fn new(db: &Db, tenant: TenantId) -> Self {
        Self {
            db: db.clone(),
            tenant,
        }
    }
}

/// An order's lines, by order id.
pub struct OrderItemsLoader(Scoped);

impl Loader<i64> for OrderItemsLoader {
    type Value = Vec<OrderItemRow>;
    type Error = AppError;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let mut pooled = self.0.db.tenant(self.0.tenant).await?;
        let rows = orders::store::items_of(&mut pooled.conn(), self.0.tenant, keys).await?;
        Ok(orders::graphql::by_order(rows))
    }
}

/// Live products, by id: a deleted product is absent.
pub struct ProductLoader(Scoped);

impl Loader<i64> for ProductLoader {
    type Value = ProductRow;
    type Error = AppError;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let mut pooled = self.0.db.tenant(self.0.tenant).await?;
        let rows = catalog::store::find_live_many(&mut pooled.conn(), self.0.tenant, keys).await?;
        Ok(rows.into_iter().map(|row| (row.id, row)).collect())
    }
}

/// Users of the tenant, by id.
pub struct UserLoader(Scoped);

impl Loader<i64> for UserLoader {
    type Value = UserRow;
    type Error = AppError;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let mut pooled = self.0.db.tenant(self.0.tenant).await?;
        let rows = users::store::find_many(&mut pooled.conn(), self.0.tenant, keys).await?;
        Ok(rows.into_iter().map(|row| (row.id, row)).collect())
    }
}
