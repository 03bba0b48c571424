//! Queries on orders, their lines and idempotency keys. Every one takes the tenant; reads also take the
//! caller's `OrderScope`, so an order the caller may not see is never loaded at all.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::db::schema::{idempotency_keys, order_events, order_items, orders, products};
use crate::db::{CacheWrite, Conn, DbError, DbResult, TenantId, TenantTable as _, now};
use crate::orders::log::next_position;
use crate::orders::model::{
    NewOrder, NewOrderEvent, NewOrderId, NewOrderItem, OrderEventRow, OrderItemRow, OrderRow,
    OrderScope, OrderStatus,
};
use crate::{each_pipelined, with_conn};

/// The tenant's orders that `scope` may see, with `status` (when given), as a boxed query of the
/// backend at hand.
macro_rules! visible {
    ($tenant:expr, $scope:expr, $status:expr) => {{
        let query = orders::table.of_tenant($tenant).into_boxed();
        let query = match $scope {
            OrderScope::All => query,
            OrderScope::AssignedTo(staff) => query.filter(orders::assigned_staff_id.eq(staff)),
            OrderScope::PlacedBy(customer) => query.filter(orders::customer_id.eq(customer)),
        };
        match $status {
            Some(status) => query.filter(orders::status.eq(OrderStatus::as_str(status))),
            None => query,
        }
    }};
}

pub async fn insert(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    new: &NewOrder<'_>,
) -> DbResult<OrderRow> {
    Ok(with_conn!(conn, |c| {
        diesel::insert_into(orders::table)
            .values((orders::table::owned_by(tenant), new))
            .returning(OrderRow::as_returning())
            .cached()
            .get_result(c)
            .await
    })?)
}

/// A new order with its first event and its lines, taking their units from stock (see
/// `insert_items_taking_stock`). On PostgreSQL the order goes out in the same pipeline as the rest
/// (one round trip for the whole order; its rows name it as `NewOrderId::JustInserted`); on SQLite the
/// order is written first and its rows take its id. The lines' and the event's `order_id` are set here.
/// Returns the order and its lines, or the first product whose units could not be taken (the caller
/// rolls back).
pub async fn insert_taking_stock(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    order: &NewOrder<'_>,
    mut lines: Vec<NewOrderItem<'_>>,
    mut event: NewOrderEvent<'_>,
) -> DbResult<Result<(OrderRow, Vec<OrderItemRow>), i64>> {
    if let Conn::Sqlite(_) = conn {
        let placed = insert(conn, tenant, order).await?;
        let id = NewOrderId::Known(placed.id);
        lines.iter_mut().for_each(|line| line.order_id = id);
        event.order_id = id;
        let items = insert_items_taking_stock(conn, tenant, &lines, Some(&event)).await?;
        return Ok(items.map(|items| (placed, items)));
    }
    lines
        .iter_mut()
        .for_each(|line| line.order_id = NewOrderId::JustInserted);
    event.order_id = NewOrderId::JustInserted;
    let (placed, items) =
        match new_order_writes(conn, tenant, Some(order), &lines, Some(&event)).await? {
            Ok(written) => written,
            Err(product_id) => return Ok(Err(product_id)),
        };
    let placed = placed.ok_or_else(|| DbError::Failed("the order's insert gave no row".into()))?;
    Ok(Ok((placed, items)))
}

/// One write of a new order's: the order, a line, its first event, or a line's units taken from stock.
enum NewOrderWrite<'a> {
    Order(&'a NewOrder<'a>),
    Line(&'a NewOrderItem<'a>),
    Event(&'a NewOrderEvent<'a>),
    Take { product_id: i64, quantity: i32 },
}

/// What a write gave: the order or a line written, the event written, or whether a line's units were
/// taken.
enum Written {
    Order(OrderRow),
    Line(OrderItemRow),
    Event,
    Taken(i64, bool),
}

/// The last writes of a new order, in one pipeline on PostgreSQL (one round trip): the event that
/// records its placing, each line's units taken from stock by a conditional update (live product,
/// enough units), so concurrent orders can never take more than there is, and then its lines. The
/// stock is taken at the end, just before the commit, so the products' row locks are held for as
/// short a time as the transaction allows: orders of one popular product queue on that lock. The lines
/// come after the stock, not before: a line's key to its product takes a shared lock on the product's
/// row, which on a row that another order is updating PostgreSQL records as a multixact of every
/// transaction holding it, rebuilt at each new locker (a seventh of the database's time when every
/// order took the same two products); on the row this transaction has just updated it costs nothing.
/// Only `stock` changes: an order is no edit of the product, so its `updatedAt` stays (as in Saleor,
/// where stock is apart from the product), and since no index holds `stock`, PostgreSQL updates the
/// row in place (a HOT update: no new entry in the product's seven indexes, no dead entries for a
/// popular product's rows to pile up). Returns the lines, or the first product whose units could not
/// be taken (the caller rolls back). Lines go in product order, so two orders lock rows in one order.
/// The lines and the event name an order already written (`NewOrderId::Known`); a new order's go
/// through `insert_taking_stock`.
pub async fn insert_items_taking_stock(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    lines: &[NewOrderItem<'_>],
    event: Option<&NewOrderEvent<'_>>,
) -> DbResult<Result<Vec<OrderItemRow>, i64>> {
    let written = new_order_writes(conn, tenant, None, lines, event).await?;
    Ok(written.map(|(_, items)| items))
}

/// The writes of a new order, in one pipeline on PostgreSQL: the order (when given), its event, the
/// stock taken, the lines. Returns the order's row (when written) and the lines, or the first product
/// whose units could not be taken.
async fn new_order_writes(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    order: Option<&NewOrder<'_>>,
    lines: &[NewOrderItem<'_>],
    event: Option<&NewOrderEvent<'_>>,
) -> DbResult<Result<(Option<OrderRow>, Vec<OrderItemRow>), i64>> {
    let writes = order
        .map(NewOrderWrite::Order)
        .into_iter()
        .chain(event.map(NewOrderWrite::Event))
        .chain(lines.iter().map(|line| NewOrderWrite::Take {
            product_id: line.product_id,
            quantity: line.quantity,
        }))
        .chain(lines.iter().map(NewOrderWrite::Line));
    let written = each_pipelined!(conn, writes, |c, write| match write {
        NewOrderWrite::Order(order) => diesel::insert_into(orders::table)
            .values((orders::table::owned_by(tenant), order))
            .returning(OrderRow::as_returning())
            .cached()
            .get_result(c)
            .await
            .map(Written::Order),
        NewOrderWrite::Line(line) => diesel::insert_into(order_items::table)
            .values((order_items::table::owned_by(tenant), line))
            .returning(OrderItemRow::as_returning())
            .cached()
            .get_result(c)
            .await
            .map(Written::Line),
        NewOrderWrite::Event(event) => diesel::insert_into(order_events::table)
            .values((order_events::table::owned_by(tenant), event))
            .cached()
            .execute(c)
            .await
            .map(|_| Written::Event),
        NewOrderWrite::Take {
            product_id,
            quantity,
        } => diesel::update(
            products::table
                .of_tenant(tenant)
                .filter(products::id.eq(product_id))
                .filter(products::deleted_at.is_null())
                .filter(products::stock.ge(quantity)),
        )
        .set(products::stock.eq(products::stock - quantity))
        .cached()
        .execute(c)
        .await
        .map(|taken| Written::Taken(product_id, taken == 1)),
    })?;
    let mut placed = None;
    let mut items = Vec::with_capacity(lines.len());
    for write in written {
        match write {
            Written::Order(row) => placed = Some(row),
            Written::Line(item) => items.push(item),
            Written::Taken(product_id, false) => return Ok(Err(product_id)),
            Written::Event | Written::Taken(_, true) => {}
        }
    }
    Ok(Ok((placed, items)))
}

/// An order of the tenant that `scope` may see.
pub async fn find(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    scope: OrderScope,
    id: i64,
) -> DbResult<Option<OrderRow>> {
    Ok(with_conn!(conn, |c| {
        visible!(tenant, scope, None::<OrderStatus>)
            .filter(orders::id.eq(id))
            .select(OrderRow::as_select())
            .first(c)
            .await
            .optional()
    })?)
}

/// Orders that `scope` may see, newest first, with an id below `before`, at most `limit`.
pub async fn list(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    scope: OrderScope,
    status: Option<OrderStatus>,
    before: Option<i64>,
    limit: i64,
) -> DbResult<Vec<OrderRow>> {
    Ok(with_conn!(conn, |c| {
        let mut query = visible!(tenant, scope, status);
        if let Some(before) = before {
            query = query.filter(orders::id.lt(before));
        }
        query
            .order(orders::id.desc())
            .limit(limit)
            .select(OrderRow::as_select())
            .load(c)
            .await
    })?)
}

pub async fn count(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    scope: OrderScope,
    status: Option<OrderStatus>,
) -> DbResult<i64> {
    Ok(with_conn!(conn, |c| {
        visible!(tenant, scope, status).count().get_result(c).await
    })?)
}

/// The lines of the given orders of the tenant, in the order they were written.
pub async fn items_of(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    order_ids: &[i64],
) -> DbResult<Vec<OrderItemRow>> {
    let query = order_items::table
        .of_tenant(tenant)
        .filter(order_items::order_id.eq_any(order_ids))
        .order(order_items::id.asc());
    Ok(with_conn!(conn, |c| {
        query.select(OrderItemRow::as_select()).load(c).await
    })?)
}

/// Moves an order from one of `from` to `to` as one conditional update, so that of two racing changes
/// only one applies. `None` when the order is no longer in `from`. Callers check visibility first.
pub async fn change_status(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    id: i64,
    from: &[OrderStatus],
    to: OrderStatus,
) -> DbResult<Option<OrderRow>> {
    let from: Vec<&str> = from.iter().map(|s| s.as_str()).collect();
    let target = orders::table
        .of_tenant(tenant)
        .filter(orders::id.eq(id))
        .filter(orders::status.eq_any(from));
    let changes = (orders::status.eq(to.as_str()), orders::updated_at.eq(now()));
    Ok(with_conn!(conn, |c| {
        diesel::update(target)
            .set(changes)
            .returning(OrderRow::as_returning())
            .cached()
            .get_result(c)
            .await
            .optional()
    })?)
}

/// Assigns the order to a staff member (the composite foreign key keeps it inside the tenant).
pub async fn assign(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    id: i64,
    staff_id: i64,
) -> DbResult<Option<OrderRow>> {
    let target = orders::table.of_tenant(tenant).filter(orders::id.eq(id));
    let changes = (
        orders::assigned_staff_id.eq(staff_id),
        orders::updated_at.eq(now()),
    );
    Ok(with_conn!(conn, |c| {
        diesel::update(target)
            .set(changes)
            .returning(OrderRow::as_returning())
            .cached()
            .get_result(c)
            .await
            .optional()
    })?)
}

/// Takes an idempotency key for a customer; `false` when the key was taken before. On PostgreSQL a
/// concurrent taker waits here until the first one's transaction ends, then sees its key.
pub async fn claim_key(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    customer_id: i64,
    key: &str,
    request_hash: &str,
) -> DbResult<bool> {
    let row = (
        idempotency_keys::table::owned_by(tenant),
        idempotency_keys::customer_id.eq(customer_id),
        idempotency_keys::key.eq(key),
        idempotency_keys::request_hash.eq(request_hash),
        idempotency_keys::created_at.eq(now()),
    );
    let inserted = with_conn!(conn, |c| {
        diesel::insert_into(idempotency_keys::table)
            .values(row)
            .on_conflict_do_nothing()
            .cached()
            .execute(c)
            .await
    })?;
    Ok(inserted == 1)
}

/// The request hash and order of a key taken before.
pub async fn find_key(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    customer_id: i64,
    key: &str,
) -> DbResult<Option<(String, Option<i64>)>> {
    let query = idempotency_keys::table
        .of_tenant(tenant)
        .filter(idempotency_keys::customer_id.eq(customer_id))
        .filter(idempotency_keys::key.eq(key))
        .select((idempotency_keys::request_hash, idempotency_keys::order_id));
    Ok(with_conn!(conn, |c| query.first(c).await.optional())?)
}

/// Records the order a key made, in the same transaction that took the key.
pub async fn attach_key(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    customer_id: i64,
    key: &str,
    order_id: i64,
) -> DbResult<()> {
    let target = idempotency_keys::table
        .of_tenant(tenant)
        .filter(idempotency_keys::customer_id.eq(customer_id))
        .filter(idempotency_keys::key.eq(key));
    with_conn!(conn, |c| {
        diesel::update(target)
            .set(idempotency_keys::order_id.eq(order_id))
            .cached()
            .execute(c)
            .await
    })?;
    Ok(())
}

/// Records an event of an order that has events already (the first one goes with the order's lines,
/// `insert_items_taking_stock`), in the transaction of the change, after the order's row was locked.
pub async fn record_event(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    event: &NewOrderEvent<'_>,
) -> DbResult<()> {
    let position = order_events::position.eq(next_position!(&*conn, tenant, event.order_id));
    with_conn!(conn, |c| {
        diesel::insert_into(order_events::table)
            .values((
                order_events::table::owned_by(tenant),
                event,
                position.clone(),
            ))
            .cached()
            .execute(c)
            .await
    })?;
    Ok(())
}

/// The events of the given orders of the tenant, oldest first.
pub async fn events_of(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    order_ids: &[i64],
) -> DbResult<Vec<OrderEventRow>> {
    let query = order_events::table
        .of_tenant(tenant)
        .filter(order_events::order_id.eq_any(order_ids))
        .order(order_events::id.asc());
    Ok(with_conn!(conn, |c| {
        query.select(OrderEventRow::as_select()).load(c).await
    })?)
}
