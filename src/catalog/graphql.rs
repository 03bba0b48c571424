//! The `Product` type, the catalog queries and the product mutations.

use async_graphql::connection::Connection;
use async_graphql::{Context, ID, InputObject, Object, SimpleObject};

use crate::auth::RoleGuard;
use crate::catalog::ProductRow;
use crate::catalog::model::{NewProduct, ProductChanges};
use crate::catalog::store::{self, ProductFilter};
use crate::db::{TenantId, now};
use crate::error::{AppError, AppResult};
use crate::graphql::ContextExt as _;
use crate::graphql::pagination::{DEFAULT_PAGE, IdCursor, Page, parse_id};
use crate::graphql::scalars::{DateTime, Decimal};
use crate::users::Role;
use crate::validation;

const MAX_NAME: usize = 255;
const MAX_DESCRIPTION: usize = 10_000;
const MAX_STOCK: i32 = 1_000_000_000;
const MAX_SEARCH: usize = 255;
const WRITERS: &[Role] = &[Role::Owner, Role::Staff];

// Plain values only: resolved one after another (`serial`), since running them concurrently costs a
// task set and a task per field for nothing to wait on (6% of a product page's instructions).
#[derive(SimpleObject, Clone, Debug)]
#[graphql(serial)]
pub struct Product {
    pub id: ID,
    pub name: String,
    pub description: String,
    pub price: Decimal,
    pub stock: i32,
    pub created_at: DateTime,
    pub updated_at: DateTime,
}

impl From<ProductRow> for Product {
    fn from(row: ProductRow) -> Self {
        Self {
            id: ID(row.id.to_string()),
            name: row.name,
            description: row.description,
            price: Decimal::Cents(row.price_cents),
            stock: row.stock,
            created_at: row.created_at.into(),
            updated_at: row.updated_at.into(),
        }
    }
}

/// The fields a product listing adds to its connection. `totalCount` runs its query only when asked.
pub struct ProductListing {
    tenant: TenantId,
    filter: ProductFilter,
}

#[Object]
impl ProductListing {
    /// How many products the listing holds across all its pages.
    async fn total_count(&self, ctx: &Context<'_>) -> AppResult<i64> {
        let mut pooled = ctx.state().db.tenant(self.tenant).await?;
        store::count(&mut pooled.conn(), self.tenant, &self.filter).await
    }
}

pub type ProductConnection = Connection<IdCursor, Product, ProductListing>;

#[derive(InputObject)]
pub struct CreateProductInput {
    pub name: String,
    pub description: Option<String>,
    /// `"49.99"` or `49.99`: 0 to 1,000,000,000.00, at most 2 decimals.
    pub price: Decimal,
    /// 0 to 1,000,000,000.
    pub stock: i32,
}

/// Only the fields given change.
#[derive(InputObject)]
pub struct UpdateProductInput {
    pub name: Option<String>,
    pub description: Option<String>,
    pub price: Option<Decimal>,
    pub stock: Option<i32>,
}

fn check_name(name: &str) -> AppResult<String> {
    validation::required_text("name", name, MAX_NAME)
}

fn check_description(description: &str) -> AppResult<String> {
    if description.chars().count() > MAX_DESCRIPTION {
        return Err(AppError::bad_input(
            "description",
            format!("a description has at most {MAX_DESCRIPTION} characters"),
        ));
    }
    Ok(description.to_owned())
}

fn check_stock(stock: i32) -> AppResult<i32> {
    if !(0..=MAX_STOCK).contains(&stock) {
        return Err(AppError::bad_input(
            "stock",
            "stock is between 0 and 1000000000",
        ));
    }
    Ok(stock)
}

impl CreateProductInput {
    fn into_new(self, tenant: TenantId) -> AppResult<NewProduct> {
        let at = now();
        Ok(NewProduct {
            vendor_id: tenant.0,
            name: check_name(&self.name)?,
            description: check_description(self.description.as_deref().unwrap_or_default())?,
            price_cents: self.price.to_cents("price")?,
            stock: check_stock(self.stock)?,
            created_at: at,
            updated_at: at,
        })
    }
}

impl UpdateProductInput {
    fn into_changes(self) -> AppResult<ProductChanges> {
        Ok(ProductChanges {
            name: self.name.as_deref().map(check_name).transpose()?,
            description: self
                .description
                .as_deref()
                .map(check_description)
                .transpose()?,
            price_cents: self.price.map(|p| p.to_cents("price")).transpose()?,
            stock: self.stock.map(check_stock).transpose()?,
            updated_at: None,
        })
    }
}

/// A search term: blank means no search.
fn search_filter(search: Option<String>) -> AppResult<ProductFilter> {
    let search = search
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty());
    if search
        .as_ref()
        .is_some_and(|s| s.chars().count() > MAX_SEARCH)
    {
        return Err(AppError::bad_input(
            "search",
            format!("a search has at most {MAX_SEARCH} characters"),
        ));
    }
    Ok(ProductFilter { search })
}

#[derive(Default)]
pub struct CatalogQuery;

#[Object]
impl CatalogQuery {
    /// The store's products, by id. `search` matches part of the name, without case.
    async fn products(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20)] first: Option<i32>,
        after: Option<String>,
        search: Option<String>,
    ) -> AppResult<ProductConnection> {
        let tenant = ctx.request().tenant_id()?;
        let page = Page::new(first.unwrap_or(DEFAULT_PAGE), after.as_deref())?;
        let filter = search_filter(search)?;
        let mut pooled = ctx.state().db.tenant(tenant).await?;
        let rows = store::list(
            &mut pooled.conn(),
            tenant,
            &filter,
            page.after,
            page.fetch_limit(),
        )
        .await?;
        Ok(page.into_connection(rows, |row| row.id, ProductListing { tenant, filter }))
    }

    /// A product of the store; null when the store has no such product.
    async fn product(&self, ctx: &Context<'_>, id: ID) -> AppResult<Option<Product>> {
        let tenant = ctx.request().tenant_id()?;
        let Some(id) = parse_id(&id) else {
            return Ok(None);
        };
        let mut pooled = ctx.state().db.tenant(tenant).await?;
        Ok(store::find_live(&mut pooled.conn(), tenant, id)
            .await?
            .map(Product::from))
    }
}

#[derive(Default)]
pub struct CatalogMutation;

#[Object]
impl CatalogMutation {
    #[graphql(guard = "RoleGuard::only(WRITERS)")]
    async fn create_product(
        &self,
        ctx: &Context<'_>,
        input: CreateProductInput,
    ) -> AppResult<Product> {
        let tenant = ctx.request().tenant_id()?;
        let new = input.into_new(tenant)?;
        let mut pooled = ctx.state().db.tenant(tenant).await?;
        Ok(store::insert(&mut pooled.conn(), &new).await?.into())
    }

    /// Changes the fields given; `NOT_FOUND` when the store has no such product.
    #[graphql(guard = "RoleGuard::only(WRITERS)")]
    async fn update_product(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateProductInput,
    ) -> AppResult<Product> {
        let tenant = ctx.request().tenant_id()?;
        let changes = input.into_changes()?;
        let id = parse_id(&id).ok_or(AppError::NotFound("no such product"))?;
        let mut pooled = ctx.state().db.tenant(tenant).await?;
        store::update(&mut pooled.conn(), tenant, id, changes)
            .await?
            .map(Product::from)
            .ok_or(AppError::NotFound("no such product"))
    }

    /// Takes the product out of the catalog; orders that hold it keep their lines.
    #[graphql(guard = "RoleGuard::only(WRITERS)")]
    async fn delete_product(&self, ctx: &Context<'_>, id: ID) -> AppResult<bool> {
        let tenant = ctx.request().tenant_id()?;
        let id = parse_id(&id).ok_or(AppError::NotFound("no such product"))?;
        let mut pooled = ctx.state().db.tenant(tenant).await?;
        if store::soft_delete(&mut pooled.conn(), tenant, id).await? {
            Ok(true)
        } else {
            Err(AppError::NotFound("no such product"))
        }
    }
}
