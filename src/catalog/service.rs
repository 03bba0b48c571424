//! What the catalog queries and mutations do. Inputs arrive parsed (`crate::values`); every read and
//! write is scoped to the caller's store.

use crate::catalog::ProductRow;
use crate::catalog::model::{NewProduct, ProductChanges};
use crate::catalog::store::{self, ProductFilter};
use crate::db::{Db, TenantId, now};
use crate::error::{AppError, AppResult};
use crate::values::{Description, Money, ProductName, Stock};

/// A product to add.
pub struct ProductDraft {
    pub name: ProductName,
    pub description: Description,
    pub price: Money,
    pub stock: Stock,
}

/// What `updateProduct` changes; `None` leaves a field as it is.
#[derive(Default)]
pub struct ProductEdit {
    pub name: Option<ProductName>,
    pub description: Option<Description>,
    pub price: Option<Money>,
    pub stock: Option<Stock>,
}

const NO_SUCH_PRODUCT: AppError = AppError::NotFound("no such product");

/// The catalog's service: it needs only the database.
#[derive(Clone)]
pub struct Catalog {
    db: Db,
}

impl Catalog {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Live products matching `filter`, by id, after `after`, at most `limit`.
    pub async fn list(
        &self,
        tenant: TenantId,
        filter: &ProductFilter,
        after: Option<i64>,
        limit: i64,
    ) -> AppResult<Vec<ProductRow>> {
        let mut pooled = self.db.tenant(tenant).await?;
        Ok(store::list(&mut pooled.conn(), tenant, filter, after, limit).await?)
    }

    pub async fn count(&self, tenant: TenantId, filter: &ProductFilter) -> AppResult<i64> {
        let mut pooled = self.db.tenant(tenant).await?;
        Ok(store::count(&mut pooled.conn(), tenant, filter).await?)
    }

    /// A live product of the store, if it has one.
    pub async fn find(&self, tenant: TenantId, id: i64) -> AppResult<Option<ProductRow>> {
        let mut pooled = self.db.tenant(tenant).await?;
        Ok(store::find_live(&mut pooled.conn(), tenant, id).await?)
    }

    /// Live products of the store among `ids` (batched loading).
    pub async fn find_many(&self, tenant: TenantId, ids: &[i64]) -> AppResult<Vec<ProductRow>> {
        let mut pooled = self.db.tenant(tenant).await?;
        Ok(store::find_live_many(&mut pooled.conn(), tenant, ids).await?)
    }

    pub async fn create(&self, tenant: TenantId, draft: ProductDraft) -> AppResult<ProductRow> {
        let at = now();
        let new = NewProduct {
            name: draft.name.into(),
            description: draft.description.into(),
            price_cents: draft.price.cents(),
            stock: draft.stock.units(),
            created_at: at,
            updated_at: at,
        };
        let mut pooled = self.db.tenant(tenant).await?;
        Ok(store::insert(&mut pooled.conn(), tenant, &new).await?)
    }

    /// Changes the fields given of a live product; `NOT_FOUND` when the store has no such product.
    pub async fn update(
        &self,
        tenant: TenantId,
        id: Option<i64>,
        edit: ProductEdit,
    ) -> AppResult<ProductRow> {
        let id = id.ok_or(NO_SUCH_PRODUCT)?;
        let changes = ProductChanges {
            name: edit.name.map(String::from),
            description: edit.description.map(String::from),
            price_cents: edit.price.map(Money::cents),
            stock: edit.stock.map(Stock::units),
            updated_at: None,
        };
        let mut pooled = self.db.tenant(tenant).await?;
        store::update(&mut pooled.conn(), tenant, id, changes)
            .await?
            .ok_or(NO_SUCH_PRODUCT)
    }

    /// Takes a product out of the catalog; orders that hold it keep their lines.
    pub async fn delete(&self, tenant: TenantId, id: Option<i64>) -> AppResult<()> {
        let id = id.ok_or(NO_SUCH_PRODUCT)?;
        let mut pooled = self.db.tenant(tenant).await?;
        if store::soft_delete(&mut pooled.conn(), tenant, id).await? {
            Ok(())
        } else {
            Err(NO_SUCH_PRODUCT)
        }
    }
}
