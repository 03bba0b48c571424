//! The `Order` and `OrderItem` types, the order queries and the order mutations. Nested rows (lines,
//! products, people) are loaded for all the orders of an answer at once, by the service, for the fields
//! the client selected (`wanted`).

use std::sync::Arc;

use async_graphql::connection::Connection;
use async_graphql::{Context, ID, InputObject, Lookahead, Object};

use crate::catalog::graphql::Product;
use crate::db::TenantId;
use crate::error::{AppError, AppResult};
use crate::graphql::ContextExt as _;
use crate::graphql::pagination::{DEFAULT_PAGE, IdCursor, Page, parse_id};
use crate::graphql::scalars::{DateTime, Decimal};
use crate::identity::{Role, RoleGuard};
use crate::orders::model::OrderEventRow;
use crate::orders::model::OrderScope;
use crate::orders::service::{LineRequest, Listing, Nested, Orders, Wanted, by_order, scope_of};
use crate::orders::{OrderItemRow, OrderRow, OrderStatus};
use crate::users::UserRow;
use crate::users::graphql::User;
use crate::values::Money;

// The GraphQL face of `orders::OrderStatus` (the model stays free of GraphQL).
/// Where an order stands: PENDING -> PROCESSING -> SHIPPED -> DELIVERED, or CANCELLED from PENDING or
/// PROCESSING.
#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::orders::OrderStatus", name = "OrderStatus")]
pub enum OrderStatusValue {
    Pending,
    Processing,
    Shipped,
    Delivered,
    Cancelled,
}

/// An order, with the nested rows loaded for its answer.
pub struct Order {
    row: OrderRow,
    nested: Arc<Nested>,
}

impl Order {
    pub fn new(row: OrderRow, nested: Arc<Nested>) -> Self {
        Self { row, nested }
    }

    fn tenant(&self) -> TenantId {
        TenantId(self.row.vendor_id)
    }

    /// A user of this order: from the answer's batch, or else read alone.
    async fn user(&self, ctx: &Context<'_>, id: i64) -> AppResult<Option<UserRow>> {
        if let Some(people) = &self.nested.people {
            return Ok(people.get(&id).cloned());
        }
        let wanted = Wanted {
            people: true,
            ..Wanted::default()
        };
        let nested = ctx
            .service::<Orders>()
            .nested(self.tenant(), std::slice::from_ref(&self.row), wanted)
            .await?;
        Ok(nested.people.and_then(|mut people| people.remove(&id)))
    }
}

/// Which nested rows the selections `orders` (the fields under each order) ask for.
pub fn wanted(orders: &[Lookahead<'_>]) -> Wanted {
    let selects = |path: &[&str]| {
        let Some((first, rest)) = path.split_first() else {
            return false;
        };
        orders.iter().any(|order| {
            let mut field = order.field(first);
            for name in rest {
                field = field.field(name);
            }
            field.exists()
        })
    };
    Wanted {
        items: selects(&["items"]),
        products: selects(&["items", "product"]),
        people: selects(&["customer"]) || selects(&["assignedStaff"]),
        events: selects(&["events"]),
        event_people: selects(&["events", "actor"]) || selects(&["events", "assignedStaff"]),
    }
}

/// Orders in hand (a mutation's answer, an event) with the nested rows the selection `look` asks for.
pub async fn answer(ctx: &Context<'_>, row: OrderRow, look: Lookahead<'_>) -> AppResult<Order> {
    let nested = ctx
        .service::<Orders>()
        .nested(
            TenantId(row.vendor_id),
            std::slice::from_ref(&row),
            wanted(&[look]),
        )
        .await?;
    Ok(Order::new(row, Arc::new(nested)))
}

#[Object]
impl Order {
    async fn id(&self) -> ID {
        ID(self.row.id.to_string())
    }

    async fn status(&self) -> OrderStatusValue {
        self.row.status().into()
    }

    async fn address(&self) -> &str {
        &self.row.address
    }

    /// The sum of the lines, priced when the order was placed.
    async fn total(&self) -> Decimal {
        Money::from_cents(self.row.total_cents).into()
    }

    async fn items(&self, ctx: &Context<'_>) -> AppResult<Vec<OrderItem>> {
        let items = match &self.nested.items {
            Some(items) => items.get(&self.row.id).cloned(),
            None => {
                // Not loaded ahead (the selection did not show it): this order's alone, with products.
                let wanted = Wanted {
                    items: true,
                    products: true,
                    ..Wanted::default()
                };
                let nested = ctx
                    .service::<Orders>()
                    .nested(self.tenant(), std::slice::from_ref(&self.row), wanted)
                    .await?;
                let nested = Arc::new(nested);
                let items = nested
                    .items
                    .as_ref()
                    .and_then(|items| items.get(&self.row.id));
                return Ok(items
                    .cloned()
                    .unwrap_or_default()
                    .into_iter()
                    .map(|row| OrderItem {
                        row,
                        nested: nested.clone(),
                    })
                    .collect());
            }
        };
        Ok(items
            .unwrap_or_default()
            .into_iter()
            .map(|row| OrderItem {
                row,
                nested: self.nested.clone(),
            })
            .collect())
    }

    async fn customer(&self, ctx: &Context<'_>) -> AppResult<User> {
        self.user(ctx, self.row.customer_id)
            .await?
            .map(User::from)
            .ok_or_else(|| AppError::internal("an order's customer is missing"))
    }

    async fn assigned_staff(&self, ctx: &Context<'_>) -> AppResult<Option<User>> {
        let Some(staff_id) = self.row.assigned_staff_id else {
            return Ok(None);
        };
        Ok(self.user(ctx, staff_id).await?.map(User::from))
    }

    async fn created_at(&self) -> DateTime {
        self.row.created_at.into()
    }

    async fn updated_at(&self) -> DateTime {
        self.row.updated_at.into()
    }

    /// The order's timeline, oldest first: every change, with who made it and the status after it.
    async fn events(&self, ctx: &Context<'_>) -> AppResult<Vec<OrderEvent>> {
        let (events, nested) = match &self.nested.events {
            Some(events) => (events.get(&self.row.id).cloned(), self.nested.clone()),
            None => {
                // Not loaded ahead: this order's alone, with its people.
                let wanted = Wanted {
                    events: true,
                    event_people: true,
                    ..Wanted::default()
                };
                let nested = ctx
                    .service::<Orders>()
                    .nested(self.tenant(), std::slice::from_ref(&self.row), wanted)
                    .await?;
                let events = nested
                    .events
                    .as_ref()
                    .and_then(|e| e.get(&self.row.id))
                    .cloned();
                (events, Arc::new(nested))
            }
        };
        Ok(events
            .unwrap_or_default()
            .into_iter()
            .map(|row| OrderEvent {
                row,
                order: Order::new(self.row.clone(), nested.clone()),
            })
            .collect())
    }
}

// The GraphQL face of `orders::model::EventKind`.
/// What happened to an order.
#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::orders::model::EventKind", name = "OrderEventKind")]
pub enum EventKindValue {
    Placed,
    StatusChanged,
    Assigned,
    Cancelled,
}

pub struct OrderEvent {
    row: OrderEventRow,
    /// The order it belongs to (as it is now), with the rows loaded for the answer.
    order: Order,
}

impl OrderEvent {
    /// An event heard by a subscriber, with its order as it was read (nested rows load when asked).
    pub fn heard(row: OrderEventRow, order: OrderRow) -> Self {
        Self {
            row,
            order: Order::new(order, Arc::default()),
        }
    }
}

/// One event of an order's timeline: written in the transaction of the change, so it exists exactly
/// when the change committed.
#[Object]
impl OrderEvent {
    async fn id(&self) -> ID {
        ID(self.row.id.to_string())
    }

    async fn kind(&self) -> EventKindValue {
        self.row.kind().into()
    }

    /// The order's status after the event.
    async fn status(&self) -> OrderStatusValue {
        self.row.status().into()
    }

    /// Who made the change; null for none.
    async fn actor(&self, ctx: &Context<'_>) -> AppResult<Option<User>> {
        let Some(id) = self.row.actor_id else {
            return Ok(None);
        };
        Ok(self.order.user(ctx, id).await?.map(User::from))
    }

    /// The order's assigned staff after the event.
    async fn assigned_staff(&self, ctx: &Context<'_>) -> AppResult<Option<User>> {
        let Some(id) = self.row.assigned_staff_id else {
            return Ok(None);
        };
        Ok(self.order.user(ctx, id).await?.map(User::from))
    }

    /// When the change committed.
    async fn at(&self) -> DateTime {
        self.row.created_at.into()
    }

    async fn order(&self) -> &Order {
        &self.order
    }
}

/// A line of an order, with the product's name and price as they were when it was placed.
pub struct OrderItem {
    row: OrderItemRow,
    nested: Arc<Nested>,
}

#[Object]
impl OrderItem {
    async fn product_id(&self) -> ID {
        ID(self.row.product_id.to_string())
    }

    async fn product_name(&self) -> &str {
        &self.row.product_name
    }

    async fn unit_price(&self) -> Decimal {
        Money::from_cents(self.row.unit_price_cents).into()
    }

    async fn quantity(&self) -> i32 {
        self.row.quantity
    }

    async fn line_total(&self) -> Decimal {
        Money::from_cents(self.row.unit_price_cents * i64::from(self.row.quantity)).into()
    }

    /// The product as it is now; null once it has left the catalog.
    async fn product(&self, ctx: &Context<'_>) -> AppResult<Option<Product>> {
        let product = match &self.nested.products {
            Some(products) => products.get(&self.row.product_id).cloned(),
            None => {
                ctx.service::<crate::catalog::Catalog>()
                    .find(TenantId(self.row.vendor_id), self.row.product_id)
                    .await?
            }
        };
        Ok(product.map(Product::from))
    }
}

/// The fields an order listing adds to its connection. `totalCount` runs its query only when asked.
pub struct OrderListing {
    tenant: TenantId,
    listing: Listing,
}

#[Object]
impl OrderListing {
    /// How many orders the listing holds across all its pages.
    async fn total_count(&self, ctx: &Context<'_>) -> AppResult<i64> {
        ctx.service::<Orders>()
            .count(self.tenant, self.listing)
            .await
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
    let listing = Listing { scope, status };
    let look = ctx.look_ahead();
    let wanted = wanted(&[look.field("nodes"), look.field("edges").field("node")]);
    let (rows, nested) = ctx
        .service::<Orders>()
        .page(
            tenant,
            listing,
            page.after,
            page.fetch_limit(),
            page.first as usize,
            wanted,
        )
        .await?;
    let nested = Arc::new(nested);
    let listing = OrderListing { tenant, listing };
    Ok(page.into_connection(
        rows,
        |row| row.id,
        |row| Order::new(row, nested.clone()),
        listing,
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
        status: Option<OrderStatusValue>,
    ) -> AppResult<OrderConnection> {
        let scope = scope_of(ctx.request().identity()?);
        order_page(ctx, scope, first, after, status.map(Into::into)).await
    }

    /// The signed-in customer's orders, newest first.
    #[graphql(guard = "RoleGuard::only(&[Role::Customer])")]
    async fn my_orders(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20)] first: Option<i32>,
        after: Option<String>,
        status: Option<OrderStatusValue>,
    ) -> AppResult<OrderConnection> {
        let scope = scope_of(ctx.request().identity()?);
        order_page(ctx, scope, first, after, status.map(Into::into)).await
    }

    /// An order the caller may see; null otherwise.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn order(&self, ctx: &Context<'_>, id: ID) -> AppResult<Option<Order>> {
        let identity = ctx.request().identity()?;
        let found = ctx
            .service::<Orders>()
            .find(identity, parse_id(&id), wanted(&[ctx.look_ahead()]))
            .await?;
        Ok(found.map(|(row, nested)| Order::new(row, Arc::new(nested))))
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
        let orders = ctx.service::<Orders>();
        let placed = orders
            .place(
                tenant,
                customer,
                &lines,
                &input.address,
                input.idempotency_key.as_deref(),
            )
            .await?;
        let wanted = wanted(&[ctx.look_ahead()]);
        match placed.items {
            // The lines just written answer `items` without reading them back.
            Some(items) if !wanted.products && !wanted.people => {
                let nested = Nested {
                    items: Some(by_order(items)),
                    ..Nested::default()
                };
                Ok(Order::new(placed.order, Arc::new(nested)))
            }
            _ => answer(ctx, placed.order, ctx.look_ahead()).await,
        }
    }

    /// Moves an order along PENDING -> PROCESSING -> SHIPPED -> DELIVERED, or to CANCELLED from PENDING
    /// or PROCESSING (which puts its units back in stock).
    #[graphql(guard = "RoleGuard::only(&[Role::Owner, Role::Staff])")]
    async fn update_order_status(
        &self,
        ctx: &Context<'_>,
        id: ID,
        status: OrderStatusValue,
    ) -> AppResult<Order> {
        let identity = ctx.request().identity()?;
        let changed = ctx
            .service::<Orders>()
            .update_status(identity, parse_id(&id), status.into())
            .await?;
        answer(ctx, changed, ctx.look_ahead()).await
    }

    /// Assigns an order to a staff member of the store.
    #[graphql(guard = "RoleGuard::only(&[Role::Owner])")]
    async fn assign_staff(
        &self,
        ctx: &Context<'_>,
        order_id: ID,
        staff_id: ID,
    ) -> AppResult<Order> {
        let identity = ctx.request().identity()?;
        let assigned = ctx
            .service::<Orders>()
            .assign_staff(identity, parse_id(&order_id), parse_id(&staff_id))
            .await?;
        answer(ctx, assigned, ctx.look_ahead()).await
    }

    /// Cancels an order and puts its units back in stock: a customer their own while PENDING, the owner
    /// any while PENDING or PROCESSING.
    #[graphql(guard = "RoleGuard::only(&[Role::Owner, Role::Customer])")]
    async fn cancel_order(&self, ctx: &Context<'_>, id: ID) -> AppResult<Order> {
        let identity = ctx.request().identity()?;
        let cancelled = ctx
            .service::<Orders>()
            .cancel(identity, parse_id(&id))
            .await?;
        answer(ctx, cancelled, ctx.look_ahead()).await
    }
}
