//! What the order queries, mutations and subscriptions do. Each mutation runs in one transaction: a
//! failure leaves no trace. Reads are scoped to what the caller may see (`OrderScope`), so an order the
//! caller may not see is never loaded at all.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use crate::catalog::ProductRow;
use crate::crypto::sha256_hex;
use crate::db::{Conn, Db, TenantId, now};
use crate::error::{AppError, AppResult};
use crate::identity::{Gate, Identity, Role};
use crate::orders::events::OrderEvents;
use crate::orders::model::{
    EventKind, NewOrder, NewOrderEvent, NewOrderId, NewOrderItem, OrderEventRow, OrderItemRow,
    OrderRow, OrderScope, OrderStatus,
};
use crate::orders::store;
use crate::users::UserRow;
use crate::values::{Address, IdempotencyKey, Quantity};
use crate::{catalog, transaction, users};

pub const MAX_LINES: usize = 100;

/// An order line as the client sent it; `product_id` is `None` when the id cannot name a product.
pub struct LineRequest {
    pub product_id: Option<i64>,
    pub raw_product_id: String,
    pub quantity: i32,
}

/// An order that passed the input rules: lines merged by product, in product order.
struct CheckedOrder {
    /// product id -> (quantity, index of its first line in the request)
    lines: BTreeMap<i64, (Quantity, usize)>,
    address: Address,
    idempotency_key: Option<IdempotencyKey>,
}

impl CheckedOrder {
    fn check(
        lines: &[LineRequest],
        address: &str,
        idempotency_key: Option<&str>,
    ) -> AppResult<Self> {
        if !(1..=MAX_LINES).contains(&lines.len()) {
            return Err(AppError::bad_input(
                "items",
                format!("an order has 1 to {MAX_LINES} lines"),
            ));
        }
        let mut merged: BTreeMap<i64, (Quantity, usize)> = BTreeMap::new();
        for (index, line) in lines.iter().enumerate() {
            let quantity = Quantity::parse(&format!("items.{index}.quantity"), line.quantity)?;
            let product_id = line.product_id.ok_or_else(|| AppError::UnknownProduct {
                field: format!("items.{index}.productId"),
                product_id: line.raw_product_id.clone(),
            })?;
            // The merged line obeys the same bound; the error names the product's first line.
            match merged.get_mut(&product_id) {
                None => {
                    merged.insert(product_id, (quantity, index));
                }
                Some((sum, first)) => {
                    *sum = sum.plus(quantity).ok_or_else(|| {
                        AppError::bad_input(
                            format!("items.{first}.quantity"),
                            format!(
                                "the lines of one product add up to {}; a quantity is between 1 \
                                 and {}",
                                sum.units() + quantity.units(),
                                Quantity::MAX
                            ),
                        )
                    })?;
                }
            }
        }
        let address = Address::parse("address", address)?;
        let idempotency_key = idempotency_key
            .map(|key| IdempotencyKey::parse("idempotencyKey", key))
            .transpose()?;
        Ok(Self {
            lines: merged,
            address,
            idempotency_key,
        })
    }

    /// A fingerprint of what is ordered, so a reused key with other lines is told apart.
    fn fingerprint(&self) -> String {
        let mut text = format!("{}\n", &*self.address);
        for (product, (quantity, _)) in &self.lines {
            text.push_str(&format!("{product}x{};", quantity.units()));
        }
        sha256_hex(&text)
    }
}

/// A placed order, with its lines when this call wrote them (not when an idempotency key returned an
/// earlier order).
pub struct Placed {
    pub order: OrderRow,
    pub items: Option<Vec<OrderItemRow>>,
}

/// Which rows nested under orders an answer shows (from the fields the client selected).
#[derive(Clone, Copy, Debug, Default)]
pub struct Wanted {
    pub items: bool,
    /// The products of the lines (only with `items`).
    pub products: bool,
    /// The customers and assigned staff.
    pub people: bool,
    /// The orders' timelines.
    pub events: bool,
    /// The people of the timelines (actors, assigned staff); only with `events`.
    pub event_people: bool,
}

/// The nested rows of a set of orders, each kind loaded in one query: a page costs the same number of
/// queries whatever its size. A kind not wanted is `None`.
#[derive(Default)]
pub struct Nested {
    pub items: Option<HashMap<i64, Vec<OrderItemRow>>>,
    pub products: Option<HashMap<i64, ProductRow>>,
    pub people: Option<HashMap<i64, UserRow>>,
    pub events: Option<HashMap<i64, Vec<OrderEventRow>>>,
}

/// Which orders a listing shows: those the caller may see, with a status when one is given.
#[derive(Clone, Copy, Debug)]
pub struct Listing {
    pub scope: OrderScope,
    pub status: Option<OrderStatus>,
}

/// The orders a signed-in user may see.
pub fn scope_of(identity: &Identity) -> OrderScope {
    match identity.role {
        Role::Owner => OrderScope::All,
        Role::Staff => OrderScope::AssignedTo(identity.user_id),
        Role::Customer => OrderScope::PlacedBy(identity.user_id),
    }
}

const NO_SUCH_ORDER: AppError = AppError::NotFound("no such order");

/// The orders domain's service: the database, the instance's order events, and the gate (a follower's
/// account is checked again before each event).
#[derive(Clone)]
pub struct Orders {
    db: Db,
    events: Arc<OrderEvents>,
    gate: Gate,
}

impl Orders {
    pub fn new(db: Db, events: Arc<OrderEvents>, gate: Gate) -> Self {
        Self { db, events, gate }
    }

    pub fn events(&self) -> &OrderEvents {
        &self.events
    }

    pub(super) fn gate(&self) -> &Gate {
        &self.gate
    }

    pub(super) fn db(&self) -> &Db {
        &self.db
    }

    /// Places an order for `customer_id`: stock is taken line by line with conditional updates (in
    /// product order, so concurrent orders lock rows in the same order and cannot deadlock), prices and
    /// total come from the catalog. A repeated idempotency key returns the order it made.
    pub async fn place(
        &self,
        tenant: TenantId,
        customer_id: i64,
        lines: &[LineRequest],
        address: &str,
        idempotency_key: Option<&str>,
    ) -> AppResult<Placed> {
        let order = CheckedOrder::check(lines, address, idempotency_key)?;
        let fingerprint = order.fingerprint();
        let mut pooled = self.db.tenant(tenant).await?;
        let placed = transaction!(&mut pooled.conn(), AppError, |conn| {
            if let Some(key) = &order.idempotency_key
                && !store::claim_key(conn, tenant, customer_id, key, &fingerprint).await?
            {
                let earlier = earlier_order(conn, tenant, customer_id, key, &fingerprint).await?;
                return Ok(Placed {
                    order: earlier,
                    items: None,
                });
            }
            // The products as they are now, read without a lock: the prices and names the order
            // takes. The stock is taken at the end (see `insert_items_taking_stock`); a price changed
            // in between leaves the order as placed just before the change.
            let ids: Vec<i64> = order.lines.keys().copied().collect();
            let found: HashMap<i64, ProductRow> =
                catalog::store::find_live_many(conn, tenant, &ids)
                    .await?
                    .into_iter()
                    .map(|product| (product.id, product))
                    .collect();
            let mut total_cents: i64 = 0;
            let mut priced = Vec::with_capacity(order.lines.len());
            for (&product_id, &(quantity, index)) in &order.lines {
                let Some(product) = found.get(&product_id) else {
                    return Err(AppError::UnknownProduct {
                        field: format!("items.{index}.productId"),
                        product_id: product_id.to_string(),
                    });
                };
                if product.stock < quantity.units() {
                    return Err(AppError::InsufficientStock { product_id });
                }
                total_cents += product.price_cents * i64::from(quantity.units());
                priced.push((product_id, product, quantity.units()));
            }
            let at = now();
            let new_order = NewOrder {
                customer_id,
                status: OrderStatus::Pending.as_str(),
                address: &order.address,
                total_cents,
                created_at: at,
                updated_at: at,
            };
            // The order's id is set by the store (it is not known before the order is written).
            let lines: Vec<NewOrderItem> = priced
                .iter()
                .map(|(product_id, product, quantity)| NewOrderItem {
                    order_id: NewOrderId::JustInserted,
                    product_id: *product_id,
                    product_name: &product.name,
                    unit_price_cents: product.price_cents,
                    quantity: *quantity,
                })
                .collect();
            let placed_event = NewOrderEvent {
                order_id: NewOrderId::JustInserted,
                kind: EventKind::Placed.as_str(),
                status: new_order.status,
                actor_id: Some(customer_id),
                assigned_staff_id: None,
                created_at: at,
            };
            let (placed, items) =
                match store::insert_taking_stock(conn, tenant, &new_order, lines, placed_event)
                    .await?
                {
                    Ok(placed) => placed,
                    // Taken meanwhile by another order, or deleted: nothing of this one is kept.
                    Err(product_id) => {
                        let index = order.lines.get(&product_id).map_or(0, |(_, index)| *index);
                        return Err(why_not_taken(conn, tenant, product_id, index).await);
                    }
                };
            if let Some(key) = &order.idempotency_key {
                store::attach_key(conn, tenant, customer_id, key, placed.id).await?;
            }
            Ok(Placed {
                order: placed,
                items: Some(items),
            })
        })?;
        // An idempotent repeat placed nothing: nothing to hear.
        if placed.items.is_some() {
            self.events.committed();
        }
        Ok(placed)
    }

    /// Moves an order along the status machine: the owner any of the store's, staff the ones assigned
    /// to them. Becoming CANCELLED puts the units back in stock.
    pub async fn update_status(
        &self,
        identity: &Identity,
        order_id: Option<i64>,
        to: OrderStatus,
    ) -> AppResult<OrderRow> {
        let order_id = order_id.ok_or(NO_SUCH_ORDER)?;
        let tenant = identity.tenant_id;
        let mut pooled = self.db.tenant(tenant).await?;
        let changed = transaction!(&mut pooled.conn(), AppError, |conn| {
            let actor = identity.user_id;
            transition(
                conn,
                tenant,
                actor,
                scope_of(identity),
                order_id,
                to,
                |_| true,
            )
            .await
        })?;
        Ok(self.updated(changed))
    }

    /// Cancels an order: a customer their own while PENDING, the owner any while PENDING or PROCESSING.
    pub async fn cancel(&self, identity: &Identity, order_id: Option<i64>) -> AppResult<OrderRow> {
        let order_id = order_id.ok_or(NO_SUCH_ORDER)?;
        let tenant = identity.tenant_id;
        let role = identity.role;
        let mut pooled = self.db.tenant(tenant).await?;
        let changed = transaction!(&mut pooled.conn(), AppError, |conn| {
            let allowed = |from: OrderStatus| role == Role::Owner || from == OrderStatus::Pending;
            transition(
                conn,
                tenant,
                identity.user_id,
                scope_of(identity),
                order_id,
                OrderStatus::Cancelled,
                allowed,
            )
            .await
        })?;
        Ok(self.updated(changed))
    }

    /// Assigns an order to an active staff member of the same store (owner only).
    pub async fn assign_staff(
        &self,
        identity: &Identity,
        order_id: Option<i64>,
        staff_id: Option<i64>,
    ) -> AppResult<OrderRow> {
        let order_id = order_id.ok_or(NO_SUCH_ORDER)?;
        let tenant = identity.tenant_id;
        let mut pooled = self.db.tenant(tenant).await?;
        let assigned = transaction!(&mut pooled.conn(), AppError, |conn| {
            store::find(conn, tenant, OrderScope::All, order_id)
                .await?
                .ok_or(NO_SUCH_ORDER)?;
            let not_staff = || {
                AppError::bad_input(
                    "staffId",
                    "this is not an active staff member of this store",
                )
            };
            let staff = match staff_id {
                Some(id) => users::store::find(conn, tenant, id).await?,
                None => None,
            }
            .ok_or_else(not_staff)?;
            if staff.role() != Role::Staff || !staff.is_active {
                return Err(not_staff());
            }
            let assigned = store::assign(conn, tenant, order_id, staff.id)
                .await?
                .ok_or(NO_SUCH_ORDER)?;
            let event = NewOrderEvent::of(&assigned, EventKind::Assigned, identity.user_id);
            store::record_event(conn, tenant, &event).await?;
            Ok(assigned)
        })?;
        Ok(self.updated(assigned))
    }

    /// Wakes the readers of the event log after a committed change (see `orders::events`) and returns
    /// the changed order.
    fn updated(&self, order: OrderRow) -> OrderRow {
        self.events.committed();
        order
    }

    /// A page of the orders `scope` may see, newest first (ids below `before`, at most `limit`), with
    /// the nested rows `wanted` of its first `shown`, all on one connection.
    pub async fn page(
        &self,
        tenant: TenantId,
        listing: Listing,
        before: Option<i64>,
        limit: i64,
        shown: usize,
        wanted: Wanted,
    ) -> AppResult<(Vec<OrderRow>, Nested)> {
        let mut pooled = self.db.tenant(tenant).await?;
        let conn = &mut pooled.conn();
        let Listing { scope, status } = listing;
        let rows = store::list(conn, tenant, scope, status, before, limit).await?;
        let nested = load_nested(conn, tenant, &rows[..rows.len().min(shown)], wanted).await?;
        Ok((rows, nested))
    }

    pub async fn count(&self, tenant: TenantId, listing: Listing) -> AppResult<i64> {
        let mut pooled = self.db.tenant(tenant).await?;
        let Listing { scope, status } = listing;
        Ok(store::count(&mut pooled.conn(), tenant, scope, status).await?)
    }

    /// An order the caller may see, with the nested rows `wanted`.
    pub async fn find(
        &self,
        identity: &Identity,
        id: Option<i64>,
        wanted: Wanted,
    ) -> AppResult<Option<(OrderRow, Nested)>> {
        let Some(id) = id else {
            return Ok(None);
        };
        let tenant = identity.tenant_id;
        let mut pooled = self.db.tenant(tenant).await?;
        let conn = &mut pooled.conn();
        let Some(row) = store::find(conn, tenant, scope_of(identity), id).await? else {
            return Ok(None);
        };
        let nested = load_nested(conn, tenant, std::slice::from_ref(&row), wanted).await?;
        Ok(Some((row, nested)))
    }

    /// The nested rows `wanted` of orders in hand (a mutation's answer, an event).
    pub async fn nested(
        &self,
        tenant: TenantId,
        rows: &[OrderRow],
        wanted: Wanted,
    ) -> AppResult<Nested> {
        if rows.is_empty() || !(wanted.items || wanted.people || wanted.events) {
            return Ok(Nested::default());
        }
        let mut pooled = self.db.tenant(tenant).await?;
        load_nested(&mut pooled.conn(), tenant, rows, wanted).await
    }
}

/// Loads the nested rows `wanted` of `rows`: one query per kind.
async fn load_nested(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    rows: &[OrderRow],
    wanted: Wanted,
) -> AppResult<Nested> {
    let mut nested = Nested::default();
    if rows.is_empty() {
        return Ok(nested);
    }
    if wanted.items {
        let order_ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let items = store::items_of(conn, tenant, &order_ids).await?;
        if wanted.products {
            let ids: Vec<i64> = distinct(items.iter().map(|item| item.product_id));
            let products = catalog::store::find_live_many(conn, tenant, &ids).await?;
            nested.products = Some(products.into_iter().map(|p| (p.id, p)).collect());
        }
        nested.items = Some(by_order(items));
    }
    let mut people_ids = Vec::new();
    if wanted.events {
        let order_ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let events = store::events_of(conn, tenant, &order_ids).await?;
        if wanted.event_people {
            people_ids.extend(
                events
                    .iter()
                    .flat_map(|e| e.actor_id.into_iter().chain(e.assigned_staff_id)),
            );
        }
        let mut grouped: HashMap<i64, Vec<OrderEventRow>> = HashMap::new();
        for event in events {
            grouped.entry(event.order_id).or_default().push(event);
        }
        nested.events = Some(grouped);
    }
    if wanted.people || (wanted.events && wanted.event_people) {
        // The orders' own people too, whichever asked: the map answers every person of these orders.
        people_ids.extend(
            rows.iter()
                .flat_map(|r| std::iter::once(r.customer_id).chain(r.assigned_staff_id)),
        );
        let people =
            users::store::find_many(conn, tenant, &distinct(people_ids.into_iter())).await?;
        nested.people = Some(people.into_iter().map(|u| (u.id, u)).collect());
    }
    Ok(nested)
}

fn distinct(ids: impl Iterator<Item = i64>) -> Vec<i64> {
    ids.collect::<BTreeSet<_>>().into_iter().collect()
}

/// Order lines grouped by their order.
pub fn by_order(items: Vec<OrderItemRow>) -> HashMap<i64, Vec<OrderItemRow>> {
    let mut grouped: HashMap<i64, Vec<OrderItemRow>> = HashMap::new();
    for item in items {
        grouped.entry(item.order_id).or_default().push(item);
    }
    grouped
}

/// The order an idempotency key made before, if the request is the same one.
async fn earlier_order(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    customer_id: i64,
    key: &str,
    fingerprint: &str,
) -> AppResult<OrderRow> {
    let (earlier_fingerprint, order_id) = store::find_key(conn, tenant, customer_id, key)
        .await?
        .ok_or_else(|| AppError::internal("an idempotency key vanished"))?;
    if earlier_fingerprint != fingerprint {
        return Err(AppError::conflict(
            "idempotencyKey",
            "this idempotency key was used for a different order",
        ));
    }
    let order_id = order_id.ok_or_else(|| AppError::internal("an idempotency key has no order"))?;
    store::find(conn, tenant, OrderScope::PlacedBy(customer_id), order_id)
        .await?
        .ok_or_else(|| AppError::internal("the order of an idempotency key is missing"))
}

/// Why a line's stock could not be taken: no such live product, or too few units.
async fn why_not_taken(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    product_id: i64,
    index: usize,
) -> AppError {
    match catalog::store::find_live(conn, tenant, product_id).await {
        Ok(Some(_)) => AppError::InsufficientStock { product_id },
        Ok(None) => AppError::UnknownProduct {
            field: format!("items.{index}.productId"),
            product_id: product_id.to_string(),
        },
        Err(err) => err.into(),
    }
}

/// One status change inside a transaction, recorded in the order's timeline as made by `actor`.
/// `role_allows` says whether the caller may make a change that
/// the machine itself allows (`FORBIDDEN` when not).
async fn transition(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    actor: i64,
    scope: OrderScope,
    order_id: i64,
    to: OrderStatus,
    role_allows: impl Fn(OrderStatus) -> bool,
) -> AppResult<OrderRow> {
    let order = store::find(conn, tenant, scope, order_id)
        .await?
        .ok_or(NO_SUCH_ORDER)?;
    let from = order.status();
    let refused = || AppError::InvalidStatusTransition {
        from: from.name().into(),
        to: to.name().into(),
    };
    if !from.can_become(to) {
        return Err(refused());
    }
    if !role_allows(from) {
        return Err(AppError::Forbidden(
            "your role may not make this change to this order",
        ));
    }
    // Conditional on the status just read: of two racing changes, the second finds it moved and stops,
    // so a cancellation returns its units exactly once.
    let changed = store::change_status(conn, tenant, order_id, &[from], to)
        .await?
        .ok_or_else(refused)?;
    if to == OrderStatus::Cancelled {
        for item in store::items_of(conn, tenant, &[order_id]).await? {
            catalog::store::return_stock(conn, tenant, item.product_id, item.quantity).await?;
        }
    }
    let kind = match to {
        OrderStatus::Cancelled => EventKind::Cancelled,
        _ => EventKind::StatusChanged,
    };
    store::record_event(conn, tenant, &NewOrderEvent::of(&changed, kind, actor)).await?;
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(product_id: i64, quantity: i32) -> LineRequest {
        LineRequest {
            product_id: Some(product_id),
            raw_product_id: product_id.to_string(),
            quantity,
        }
    }

    #[test]
    fn lines_of_one_product_merge_and_fingerprints_ignore_line_order() {
        let a = CheckedOrder::check(&[line(2, 1), line(1, 3), line(2, 4)], " Main St 1 ", None)
            .unwrap();
        assert_eq!(
            a.lines
                .into_iter()
                .map(|(id, (q, first))| (id, (q.units(), first)))
                .collect::<Vec<_>>(),
            [(1, (3, 1)), (2, (5, 0))]
        );
        assert_eq!(&*a.address, "Main St 1");
        let a = CheckedOrder::check(&[line(2, 5), line(1, 3)], "Main St 1", None).unwrap();
        let b =
            CheckedOrder::check(&[line(1, 3), line(2, 2), line(2, 3)], "Main St 1", None).unwrap();
        assert_eq!(a.fingerprint(), b.fingerprint());
        let c = CheckedOrder::check(&[line(1, 3), line(2, 4)], "Main St 1", None).unwrap();
        assert_ne!(a.fingerprint(), c.fingerprint());
    }

    #[test]
    fn order_input_rules_name_their_field() {
        let field = |result: AppResult<CheckedOrder>| match result {
            Err(AppError::BadInput { field, .. }) => field,
            Err(AppError::UnknownProduct { field, .. }) => field,
            _ => panic!("expected an input error"),
        };
        assert_eq!(field(CheckedOrder::check(&[], "a", None)), "items");
        let many: Vec<_> = (1..=101).map(|i| line(i, 1)).collect();
        assert_eq!(field(CheckedOrder::check(&many, "a", None)), "items");
        assert_eq!(
            field(CheckedOrder::check(&[line(1, 1), line(2, 0)], "a", None)),
            "items.1.quantity"
        );
        assert_eq!(
            field(CheckedOrder::check(&[line(1, 10_001)], "a", None)),
            "items.0.quantity"
        );
        let bad_id = LineRequest {
            product_id: None,
            raw_product_id: "x".into(),
            quantity: 1,
        };
        assert_eq!(
            field(CheckedOrder::check(&[line(1, 1), bad_id], "a", None)),
            "items.1.productId"
        );
        assert_eq!(
            field(CheckedOrder::check(&[line(1, 1)], "  ", None)),
            "address"
        );
        assert_eq!(
            field(CheckedOrder::check(&[line(1, 1)], &"x".repeat(501), None)),
            "address"
        );
        assert_eq!(
            field(CheckedOrder::check(&[line(1, 1)], "a", Some(""))),
            "idempotencyKey"
        );
        assert!(CheckedOrder::check(&[line(1, 10_000)], &"x".repeat(500), Some("k")).is_ok());
        // Lines of one product merge within the same bound; the error names its first line.
        assert_eq!(
            field(CheckedOrder::check(
                &[line(2, 1), line(1, 6_000), line(1, 6_000)],
                "a",
                None
            )),
            "items.1.quantity"
        );
    }
}
