//! What the catalog queries and mutations do. Inputs arrive parsed (`crate::values`); every read and
//! write is scoped to the caller's store.

use crate::catalog::ProductRow;
use crate::catalog::listing::{Position, ProductFilter, Sort};
use crate::catalog::listing_store::{self, Walk};
use crate::catalog::model::{NewProduct, ProductChanges, name_key};
use crate::catalog::store;
use crate::db::{Db, TenantId, now};
use crate::error::{AppError, AppResult};
use crate::values::{Description, Money, ProductName, Stock, search_words};

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

/// Which page of a listing: forward after a position (from the start without one), or backward
/// before one (from the end without one).
pub enum Direction {
    Forward { after: Option<Position> },
    Backward { before: Option<Position> },
}

/// A page of a product listing to read.
pub struct PageRequest {
    pub filter: ProductFilter,
    pub sort: Sort,
    pub direction: Direction,
    /// 1 to 100.
    pub size: i64,
}

/// A page, in the listing's order, and whether the listing goes on before and after it.
pub struct ProductPage {
    pub rows: Vec<ProductRow>,
    pub has_previous: bool,
    pub has_next: bool,
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

    /// A page of the live products `request.filter` keeps, in its sort, and whether there are more
    /// on either side of it.
    pub async fn page(&self, tenant: TenantId, request: &PageRequest) -> AppResult<ProductPage> {
        let (from, descending, backward) = match &request.direction {
            Direction::Forward { after } => (after.as_ref(), request.sort.reverse, false),
            Direction::Backward { before } => (before.as_ref(), !request.sort.reverse, true),
        };
        let key = request.sort.key;
        let mut pooled = self.db.tenant(tenant).await?;
        let mut conn = pooled.conn();
        let walk = Walk {
            key,
            descending,
            from,
            limit: request.size + 1,
        };
        let mut rows = listing_store::list(&mut conn, tenant, &request.filter, &walk).await?;
        let more = rows.len() as i64 > request.size;
        rows.truncate(request.size as usize);
        // Whether anything stands on the cursor's other side (the cursor's own product included):
        // the walk the other way from just past it.
        let behind = match from {
            Some(position) => {
                let id = position.id();
                let past = position.with_id(if descending { id - 1 } else { id + 1 });
                let back = Walk {
                    key,
                    descending: !descending,
                    from: Some(&past),
                    limit: 1,
                };
                !listing_store::list(&mut conn, tenant, &request.filter, &back)
                    .await?
                    .is_empty()
            }
            None => false,
        };
        Ok(if backward {
            rows.reverse();
            ProductPage {
                rows,
                has_previous: more,
                has_next: behind,
            }
        } else {
            ProductPage {
                rows,
                has_previous: behind,
                has_next: more,
            }
        })
    }

    pub async fn count(&self, tenant: TenantId, filter: &ProductFilter) -> AppResult<i64> {
        let mut pooled = self.db.tenant(tenant).await?;
        Ok(listing_store::count(&mut pooled.conn(), tenant, filter).await?)
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
        let name: String = draft.name.into();
        let description: String = draft.description.into();
        let new = NewProduct {
            name_key: name_key(&name),
            search_name: search_words(&name),
            search_description: search_words(&description),
            name,
            description,
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
        let name = edit.name.map(String::from);
        let description = edit.description.map(String::from);
        let changes = ProductChanges {
            name_key: name.as_deref().map(name_key),
            search_name: name.as_deref().map(search_words),
            search_description: description.as_deref().map(search_words),
            name,
            description,
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
