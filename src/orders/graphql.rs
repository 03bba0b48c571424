//! The `Order` and `OrderItem` types, the order queries and the order mutations.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use async_graphql::connection::Connection;
use async_graphql::{Context, ID, InputObject, Object};

use crate::auth::RoleGuard;
use crate::catalog::ProductRow;
use crate::catalog::graphql::Product;
use crate::db::{Conn, TenantId};
use crate::error::{AppError, AppResult};
use crate::graphql::ContextExt as _;
use crate::graphql::pagination::{DEFAULT_PAGE, IdCursor, Page, parse_id};
use crate::graphql::scalars::{DateTime, Decimal};
use crate::orders::flows::{self, LineRequest, scope_of};
use crate::orders::loaders::Loaders;
use crate::orders::model::OrderScope;
use crate::orders::{OrderItemRow, OrderRow, OrderStatus, store};
use crate::users::Role;
use crate::users::UserRow;
use crate::users::graphql::User;
use crate::{catalog, users};

/// An order, with what was loaded ahead for its page (if anything).
pub struct Order {
    row: OrderRow,
    page: Option<Arc<PageData>>,
}

/// The nested rows of a whole page of orders (or of one order), each kind loaded in one query before
/// the orders' fields resolve: a page costs the same number of queries whatever its size, and the count
/// never depends on how the executor happens to interleave its fields.
#[derive(Default)]
struct PageData {
    items: Option<HashMap<i64, Vec<OrderItemRow>>>,
    products: Option<HashMap<i64, ProductRow>>,
    users: Option<HashMap<i64, UserRow>>,
}

impl PageData {
    /// Loads what the selections of the orders (`orders`: the fields under each of `orders`) ask for
    /// (`items`, `items.product`, `customer`, `assignedStaff`): one query per kind, on the connection
    /// that read the orders.
    async fn load(
        orders: &[async_graphql::Lookahead<'_>],
        conn: &mut Conn<'_>,
        tenant: TenantId,
        rows: &[OrderRow],
    ) -> AppResult<Option<Arc<Self>>> {
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
        if rows.is_empty() {
            return Ok(None);
        }
        let mut page = PageData::default();
        if selects(&["items"]) {
            let order_ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
            let items = store::items_of(conn, tenant, &order_ids).await?;
            if selects(&["items", "product"]) {
                let ids: Vec<i64> = items
                    .iter()
                    .map(|item| item.product_id)
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect();
                let products = catalog::store::find_live_many(conn, tenant, &ids).await?;
                page.products = Some(products.into_iter().map(|p| (p.id, p)).collect());
            }
            page.items = Some(by_order(items));
        }
        if selects(&["customer"]) || selects(&["assignedStaff"]) {
            let ids: Vec<i64> = rows
                .iter()
                .flat_map(|r| std::iter::once(r.customer_id).chain(r.assigned_staff_id))
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            let people = users::store::find_many(conn, tenant, &ids).await?;
            page.users = Some(people.into_iter().map(|u| (u.id, u)).collect());
        }
        Ok(Some(Arc::new(page)))
    }
}

/// Order lines grouped by their order.
pub fn by_order(items: Vec<OrderItemRow>) -> HashMap<i64, Vec<OrderItemRow>> {
    let mut grouped: HashMap<i64, Vec<OrderItemRow>> = HashMap::new();
    for item in items {
        grouped.entry(item.order_id).or_default().push(item);
    }
    grouped
}

impl Order {
    /// A user of this order: from the page's batch, or through the loader.
    async fn user(&self, ctx: &Context<'_>, id: i64) -> AppResult<Option<UserRow>> {
        match self.page.as_ref().and_then(|page| page.users.as_ref()) {
            Some(users) => Ok(users.get(&id).cloned()),
            None => Ok(Loaders::of(ctx)?.users.load_one(id).await?),
        }
    }
}

#[Object]
impl Order {
    async fn id(&self) -> ID {
        ID(self.row.id.to_string())
    }

    async fn status(&self) -> OrderStatus {
        self.row.status()
    }

    async fn address(&self) -> &str {
        &self.row.address
    }

    /// The sum of the lines, priced when the order was placed.
    async fn total(&self) -> Decimal {
        Decimal::Cents(self.row.total_cents)
    }

    async fn items(&self, ctx: &Context<'_>) -> AppResult<Vec<OrderItem>> {
        let items = match self.page.as_ref().and_then(|page| page.items.as_ref()) {
            Some(items) => items.get(&self.row.id).cloned(),
            None => Loaders::of(ctx)?.order_items.load_one(self.row.id).await?,
        };
        let page = &self.page;
        Ok(items
            .unwrap_or_default()
            .into_iter()
            .map(|row| OrderItem {
                row,
                page: page.clone(),
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
}

impl From<OrderRow> for Order {
    fn from(row: OrderRow) -> Self {
        Self { row, page: None }
    }
}

/// A line of an order, with the product's name and price as they were when it was placed.
pub struct OrderItem {
    row: OrderItemRow,
    page: Option<Arc<PageData>>,
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
        Decimal::Cents(self.row.unit_price_cents)
    }

    async fn quantity(&self) -> i32 {
        self.row.quantity
    }

    async fn line_total(&self) -> Decimal {
        Decimal::Cents(self.row.unit_price_cents * i64::from(self.row.quantity))
    }

    /// The product as it is now; null once it has left the catalog.
    async fn product(&self, ctx: &Context<'_>) -> AppResult<Option<Product>> {
        let product = match self.page.as_ref().and_then(|page| page.products.as_ref()) {
            Some(products) => products.get(&self.row.product_id).cloned(),
            None => {
                Loaders::of(ctx)?
                    .products
                    .load_one(self.row.product_id)
                    .await?
            }
        };
        Ok(product.map(Product::from))
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
        let mut pooled = ctx.state().db.tenant(self.tenant).await?;
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
    let mut pooled = ctx.state().db.tenant(tenant).await?;
    let conn = &mut pooled.conn();
    let rows = store::list(conn, tenant, scope, status, page.after, page.fetch_limit()).await?;
    let on_page = &rows[..rows.len().min(page.first as usize)];
    let look = ctx.look_ahead();
    let nodes = [look.field("nodes"), look.field("edges").field("node")];
    let nested = PageData::load(&nodes, conn, tenant, on_page).await?;
    drop(pooled);
    let listing = OrderListing {
        tenant,
        scope,
        status,
    };
    let mut connection: OrderConnection = page.into_connection(rows, |row| row.id, listing);
    for edge in &mut connection.edges {
        edge.node.page = nested.clone();
    }
    Ok(connection)
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
        let mut pooled = ctx.state().db.tenant(tenant).await?;
        let conn = &mut pooled.conn();
        let Some(row) = store::find(conn, tenant, scope, id).await? else {
            return Ok(None);
        };
        let nested = PageData::load(
            &[ctx.look_ahead()],
            conn,
            tenant,
            std::slice::from_ref(&row),
        )
        .await?;
        Ok(Some(Order { row, page: nested }))
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
        let placed = flows::place_order(
            ctx.state(),
            tenant,
            customer,
            &lines,
            &input.address,
            input.idempotency_key.as_deref(),
        )
        .await?;
        // The lines just written answer `items` without reading them back.
        let page = placed.items.map(|items| {
            Arc::new(PageData {
                items: Some(by_order(items)),
                ..PageData::default()
            })
        });
        Ok(Order {
            row: placed.order,
            page,
        })
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
        Ok(
            flows::update_status(ctx.state(), tenant, identity, id, status)
                .await?
                .into(),
        )
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
        Ok(
            flows::assign_staff(ctx.state(), tenant, order_id, parse_id(&staff_id))
                .await?
                .into(),
        )
    }

    /// Cancels an order and puts its units back in stock: a customer their own while PENDING, the owner
    /// any while PENDING or PROCESSING.
    #[graphql(guard = "RoleGuard::only(&[Role::Owner, Role::Customer])")]
    async fn cancel_order(&self, ctx: &Context<'_>, id: ID) -> AppResult<Order> {
        let tenant = ctx.request().tenant_id()?;
        let identity = ctx.request().identity()?;
        let id = parse_id(&id).ok_or(AppError::NotFound("no such order"))?;
        Ok(flows::cancel(ctx.state(), tenant, identity, id)
            .await?
            .into())
    }
}
