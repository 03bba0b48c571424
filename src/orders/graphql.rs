//! The `Order` and `OrderItem` types, the order queries and the order mutations.

use async_graphql::connection::Connection;
use async_graphql::{Context, ID, InputObject, Object};

use crate::auth::RoleGuard;
use crate::catalog::graphql::Product;
use crate::db::TenantId;
use crate::error::{AppError, AppResult};
use crate::graphql::ContextExt as _;
use crate::graphql::pagination::{DEFAULT_PAGE, IdCursor, Page, parse_id};
use crate::graphql::scalars::{DateTime, Decimal};
use crate::orders::flows::{self, LineRequest, scope_of};
use crate::orders::model::OrderScope;
use crate::orders::{OrderItemRow, OrderRow, OrderStatus, store};
use crate::users::Role;
use crate::users::graphql::User;

pub struct Order(pub OrderRow);

#[Object]
impl Order {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn status(&self) -> OrderStatus {
        self.0.status()
    }

    async fn address(&self) -> &str {
        &self.0.address
    }

    /// The sum of the lines, priced when the order was placed.
    async fn total(&self) -> Decimal {
        Decimal::Cents(self.0.total_cents)
    }

    async fn items(&self, ctx: &Context<'_>) -> AppResult<Vec<OrderItem>> {
        let items = ctx.loaders()?.order_items.load_one(self.0.id).await?;
        Ok(items
            .unwrap_or_default()
            .into_iter()
            .map(OrderItem)
            .collect())
    }

    async fn customer(&self, ctx: &Context<'_>) -> AppResult<User> {
        ctx.loaders()?
            .users
            .load_one(self.0.customer_id)
            .await?
            .map(User::from)
            .ok_or_else(|| AppError::internal("an order's customer is missing"))
    }

    async fn assigned_staff(&self, ctx: &Context<'_>) -> AppResult<Option<User>> {
        let Some(staff_id) = self.0.assigned_staff_id else {
            return Ok(None);
        };
        Ok(ctx
            .loaders()?
            .users
            .load_one(staff_id)
            .await?
            .map(User::from))
    }

    async fn created_at(&self) -> DateTime {
        self.0.created_at.into()
    }

    async fn updated_at(&self) -> DateTime {
        self.0.updated_at.into()
    }
}

impl From<OrderRow> for Order {
    fn from(row: OrderRow) -> Self {
        Self(row)
    }
}

/// A line of an order, with the product's name and price as they were when it was placed.
pub struct OrderItem(OrderItemRow);

#[Object]
impl OrderItem {
    async fn product_id(&self) -> ID {
        ID(self.0.product_id.to_string())
    }

    async fn product_name(&self) -> &str {
        &self.0.product_name
    }

    async fn unit_price(&self) -> Decimal {
        Decimal::Cents(self.0.unit_price_cents)
    }

    async fn quantity(&self) -> i32 {
        self.0.quantity
    }

    async fn line_total(&self) -> Decimal {
        Decimal::Cents(self.0.unit_price_cents * i64::from(self.0.quantity))
    }

    /// The product as it is now; null once it has left the catalog.
    async fn product(&self, ctx: &Context<'_>) -> AppResult<Option<Product>> {
        Ok(ctx
            .loaders()?
            .products
            .load_one(self.0.product_id)
            .await?
            .map(Product::from))
    }
}

/// The fields an order listing adds to its connection. `totalCount` runs its query only when asked.
pub struct OrderListing {
    tenant: TenantId,
    scope: OrderScope,
    status: Option<OrderStatus>,
}

#[Object]
impl OrderListing {
    /// How many orders the listing holds across all its pages.
    async fn total_count(&self, ctx: &Context<'_>) -> AppResult<i64> {
        let mut pooled = ctx.state().db.get().await?;
        store::count(&mut pooled.conn(), self.tenant, self.scope, self.status).await
    }
}

pub type OrderConnection = Connection<IdCursor, Order, OrderListing>;

/// A page of the orders `scope` may see, newest first.
async fn order_page(
    ctx: &Context<'_>,
    scope: OrderScope,
    first: Option<i32>,
    after: Option<String>,
    status: Option<OrderStatus>,
) -> AppResult<OrderConnection> {
    let tenant = ctx.request().tenant_id()?;
    let page = Page::new(first.unwrap_or(DEFAULT_PAGE), after.as_deref())?;
    let mut pooled = ctx.state().db.get().await?;
    let rows = store::list(
        &mut pooled.conn(),
        tenant,
        scope,
        status,
        page.after,
        page.fetch_limit(),
    )
    .await?;
    Ok(page.into_connection(
        rows,
        |row| row.id,
        OrderListing {
            tenant,
            scope,
            status,
        },
    ))
}

#[derive(InputObject)]
pub struct OrderLineInput {
    pub product_id: ID,
    /// 1 to 10,000.
    pub quantity: i32,
}

#[derive(InputObject)]
pub struct PlaceOrderInput {
    /// 1 to 100 lines; lines of the same product are merged.
    pub items: Vec<OrderLineInput>,
    pub address: String,
    /// Sending the same key again returns the first order instead of placing another.
    pub idempotency_key: Option<String>,
}

#[derive(Default)]
pub struct OrdersQuery;

#[Object]
impl OrdersQuery {
    /// The store's orders, newest first: all of them for the owner, the assigned ones for staff.
    #[graphql(guard = "RoleGuard::only(&[Role::Owner, Role::Staff])")]
    async fn orders(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20)] first: Option<i32>,
        after: Option<String>,
        status: Option<OrderStatus>,
    ) -> AppResult<OrderConnection> {
        let scope = scope_of(ctx.request().identity()?);
        order_page(ctx, scope, first, after, status).await
    }

    /// The signed-in customer's orders, newest first.
    #[graphql(guard = "RoleGuard::only(&[Role::Customer])")]
    async fn my_orders(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20)] first: Option<i32>,
        after: Option<String>,
        status: Option<OrderStatus>,
    ) -> AppResult<OrderConnection> {
        let scope = scope_of(ctx.request().identity()?);
        order_page(ctx, scope, first, after, status).await
    }

    /// An order the caller may see; null otherwise.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn order(&self, ctx: &Context<'_>, id: ID) -> AppResult<Option<Order>> {
        let tenant = ctx.request().tenant_id()?;
        let scope = scope_of(ctx.request().identity()?);
        let Some(id) = parse_id(&id) else {
            return Ok(None);
        };
        let mut pooled = ctx.state().db.get().await?;
        Ok(store::find(&mut pooled.conn(), tenant, scope, id)
            .await?
            .map(Order))
    }
}

#[derive(Default)]
pub struct OrdersMutation;

#[Object]
impl OrdersMutation {
    /// Places an order: all of it or, on any error, nothing.
    #[graphql(guard = "RoleGuard::only(&[Role::Customer])")]
    async fn place_order(&self, ctx: &Context<'_>, input: PlaceOrderInput) -> AppResult<Order> {
        let tenant = ctx.request().tenant_id()?;
        let customer = ctx.request().identity()?.user_id;
        let lines: Vec<LineRequest> = input
            .items
            .iter()
            .map(|line| LineRequest {
                product_id: parse_id(&line.product_id),
                raw_product_id: line.product_id.to_string(),
                quantity: line.quantity,
            })
            .collect();
        let order = flows::place_order(
            ctx.state(),
            tenant,
            customer,
            &lines,
            &input.address,
            input.idempotency_key.as_deref(),
        )
        .await?;
        Ok(Order(order))
    }

    /// Moves an order along PENDING -> PROCESSING -> SHIPPED -> DELIVERED, or to CANCELLED from PENDING
    /// or PROCESSING (which puts its units back in stock).
    #[graphql(guard = "RoleGuard::only(&[Role::Owner, Role::Staff])")]
    async fn update_order_status(
        &self,
        ctx: &Context<'_>,
        id: ID,
        status: OrderStatus,
    ) -> AppResult<Order> {
        let tenant = ctx.request().tenant_id()?;
        let identity = ctx.request().identity()?;
        let id = parse_id(&id).ok_or(AppError::NotFound("no such order"))?;
        Ok(Order(
            flows::update_status(ctx.state(), tenant, identity, id, status).await?,
        ))
    }

    /// Assigns an order to a staff member of the store.
    #[graphql(guard = "RoleGuard::only(&[Role::Owner])")]
    async fn assign_staff(
        &self,
        ctx: &Context<'_>,
        order_id: ID,
        staff_id: ID,
    ) -> AppResult<Order> {
        let tenant = ctx.request().tenant_id()?;
        let order_id = parse_id(&order_id).ok_or(AppError::NotFound("no such order"))?;
        Ok(Order(
            flows::assign_staff(ctx.state(), tenant, order_id, parse_id(&staff_id)).await?,
        ))
    }

    /// Cancels an order and puts its units back in stock: a customer their own while PENDING, the owner
    /// any while PENDING or PROCESSING.
    #[graphql(guard = "RoleGuard::only(&[Role::Owner, Role::Customer])")]
    async fn cancel_order(&self, ctx: &Context<'_>, id: ID) -> AppResult<Order> {
        let tenant = ctx.request().tenant_id()?;
        let identity = ctx.request().identity()?;
        let id = parse_id(&id).ok_or(AppError::NotFound("no such order"))?;
        Ok(Order(
            flows::cancel(ctx.state(), tenant, identity, id).await?,
        ))
    }
}
