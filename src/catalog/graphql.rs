//! The `Product` type, the catalog queries and the product mutations.

use async_graphql::connection::{Connection, CursorType, Edge};
use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};

use crate::catalog::listing::{Cursors, ProductFilter, Sort, SortKey};
use crate::catalog::service::{Direction, PageRequest, ProductDraft, ProductEdit};
use crate::catalog::{Catalog, ProductRow};
use crate::db::TenantId;
use crate::error::{AppError, AppResult};
use crate::graphql::ContextExt as _;
use crate::graphql::pagination::{DEFAULT_PAGE, page_size, parse_id};
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

pub type ProductConnection = Connection<ProductCursor, Product, ProductListing>;

/// A product's cursor in its listing (`catalog::listing::Cursors`): opaque, and naming its sort.
pub struct ProductCursor(String);

impl CursorType for ProductCursor {
    type Error = std::convert::Infallible;

    fn decode_cursor(s: &str) -> Result<Self, Self::Error> {
        Ok(Self(s.to_owned()))
    }

    fn encode_cursor(&self) -> String {
        self.0.clone()
    }
}

// The GraphQL face of `catalog::listing::SortKey`.
/// What `products` is ordered by; ties go by id.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::catalog::listing::SortKey", name = "ProductSortKey")]
pub enum ProductSortKeyValue {
    Id,
    Name,
    Price,
    CreatedAt,
    UpdatedAt,
    /// The best matches of `search` first; needs `search`.
    Relevance,
}

/// Which products `products` lists; every field given must hold.
#[derive(InputObject)]
#[graphql(name = "ProductFilter")]
pub struct ProductFilterInput {
    pub min_price: Option<Decimal>,
    pub max_price: Option<Decimal>,
    /// True: in stock only; false: sold out only.
    pub in_stock: Option<bool>,
}

/// The page `products` was asked for, checked: forward (`first`, `after`) or backward (`last`,
/// `before`), never both; 1 to 100 products (20 when neither `first` nor `last` is given).
fn page_request(
    args: ProductsArgs,
    sort: Sort,
    filter: ProductFilter,
) -> AppResult<(PageRequest, Cursors)> {
    let forward = args.first.is_some() || args.after.is_some();
    let backward = args.last.is_some() || args.before.is_some();
    if forward && backward {
        return Err(AppError::bad_input(
            if args.last.is_some() {
                "last"
            } else {
                "before"
            },
            "page forward (first, after) or backward (last, before), not both",
        ));
    }
    let (field, size) = match (args.first, args.last) {
        (_, Some(last)) => ("last", last),
        (first, None) => ("first", first.unwrap_or(DEFAULT_PAGE)),
    };
    let size = page_size(field, size)?;
    let cursors = Cursors::new(sort, &filter);
    let read = |field: &str, cursor: Option<String>| {
        cursor
            .map(|cursor| {
                cursors.read(&cursor).ok_or_else(|| {
                    AppError::bad_input(
                        field,
                        "this is not a cursor of this listing (its sort, search and filter)",
                    )
                })
            })
            .transpose()
    };
    let direction = if backward {
        Direction::Backward {
            before: read("before", args.before)?,
        }
    } else {
        Direction::Forward {
            after: read("after", args.after)?,
        }
    };
    Ok((
        PageRequest {
            filter,
            sort,
            direction,
            size,
        },
        cursors,
    ))
}

struct ProductsArgs {
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
}

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
    /// The store's products, in the order of `sortKey` (ties by id), `reverse`d when asked, paged
    /// forward (`first`, `after`) or backward (`last`, `before`). With `search`, every word must be a
    /// word of the name or description (the last may be the start of one), without case or accents;
    /// `filter` keeps a price range and (un)available products.
    #[expect(
        clippy::too_many_arguments,
        reason = "the arguments of the contract's `products` field"
    )]
    async fn products(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        search: Option<String>,
        #[graphql(default_with = "Some(ProductSortKeyValue::Id)")] sort_key: Option<
            ProductSortKeyValue,
        >,
        #[graphql(default_with = "Some(false)")] reverse: Option<bool>,
        filter: Option<ProductFilterInput>,
    ) -> AppResult<ProductConnection> {
        let tenant = ctx.request().tenant_id()?;
        let key: SortKey = sort_key.unwrap_or(ProductSortKeyValue::Id).into();
        let filter = ProductFilter {
            search: Search::parse("search", search.as_deref())?,
            min_price: filter
                .as_ref()
                .and_then(|f| f.min_price.as_ref())
                .map(|p| p.to_money("filter.minPrice"))
                .transpose()?,
            max_price: filter
                .as_ref()
                .and_then(|f| f.max_price.as_ref())
                .map(|p| p.to_money("filter.maxPrice"))
                .transpose()?,
            in_stock: filter.as_ref().and_then(|f| f.in_stock),
        };
        if key == SortKey::Relevance && filter.search.is_none() {
            return Err(AppError::bad_input("sortKey", "RELEVANCE needs a search"));
        }
        let sort = Sort {
            key,
            reverse: reverse.unwrap_or(false),
        };
        let args = ProductsArgs {
            first,
            after,
            last,
            before,
        };
        let (request, cursors) = page_request(args, sort, filter)?;
        let page = ctx.service::<Catalog>().page(tenant, &request).await?;
        let mut connection = Connection::with_additional_fields(
            page.has_previous,
            page.has_next,
            ProductListing {
                tenant,
                filter: request.filter,
            },
        );
        connection.edges = page
            .rows
            .into_iter()
            .map(|row| Edge::new(ProductCursor(cursors.cursor_of(&row)), Product::from(row)))
            .collect();
        Ok(connection)
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
