//! The `Product` type, the catalog queries and the product mutations.

use async_graphql::connection::Connection;
use async_graphql::{Context, ID, InputObject, Object, SimpleObject};

use crate::catalog::service::{ProductDraft, ProductEdit};
use crate::catalog::store::ProductFilter;
use crate::catalog::{Catalog, ProductRow};
use crate::db::TenantId;
use crate::error::AppResult;
use crate::graphql::ContextExt as _;
use crate::graphql::pagination::{DEFAULT_PAGE, IdCursor, Page, parse_id};
use crate::graphql::scalars::{DateTime, Decimal};
use crate::identity::{Role, RoleGuard};
use crate::values::{Description, Money, ProductName, Search, Stock};

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
            price: Money::from_cents(row.price_cents).into(),
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
        ctx.service::<Catalog>()
            .count(self.tenant, &self.filter)
            .await
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

impl CreateProductInput {
    fn parse(self) -> AppResult<ProductDraft> {
        Ok(ProductDraft {
            name: ProductName::parse("name", &self.name)?,
            description: Description::parse("description", self.description.as_deref())?,
            price: self.price.to_money("price")?,
            stock: Stock::parse("stock", self.stock)?,
        })
    }
}

impl UpdateProductInput {
    fn parse(self) -> AppResult<ProductEdit> {
        Ok(ProductEdit {
            name: self
                .name
                .map(|name| ProductName::parse("name", &name))
                .transpose()?,
            description: self
                .description
                .map(|text| Description::parse("description", Some(&text)))
                .transpose()?,
            price: self.price.map(|p| p.to_money("price")).transpose()?,
            stock: self.stock.map(|s| Stock::parse("stock", s)).transpose()?,
        })
    }
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
        let filter = ProductFilter {
            search: Search::parse("search", search.as_deref())?,
        };
        let rows = ctx
            .service::<Catalog>()
            .list(tenant, &filter, page.after, page.fetch_limit())
            .await?;
        Ok(page.into_connection(
            rows,
            |row| row.id,
            Product::from,
            ProductListing { tenant, filter },
        ))
    }

    /// A product of the store; null when the store has no such product.
    async fn product(&self, ctx: &Context<'_>, id: ID) -> AppResult<Option<Product>> {
        let tenant = ctx.request().tenant_id()?;
        let Some(id) = parse_id(&id) else {
            return Ok(None);
        };
        Ok(ctx
            .service::<Catalog>()
            .find(tenant, id)
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
        let draft = input.parse()?;
        Ok(ctx.service::<Catalog>().create(tenant, draft).await?.into())
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
        let edit = input.parse()?;
        let product = ctx
            .service::<Catalog>()
            .update(tenant, parse_id(&id), edit)
            .await?;
        Ok(product.into())
    }

    /// Takes the product out of the catalog; orders that hold it keep their lines.
    #[graphql(guard = "RoleGuard::only(WRITERS)")]
    async fn delete_product(&self, ctx: &Context<'_>, id: ID) -> AppResult<bool> {
        let tenant = ctx.request().tenant_id()?;
        ctx.service::<Catalog>()
            .delete(tenant, parse_id(&id))
            .await?;
        Ok(true)
    }
}
