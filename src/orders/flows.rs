//! What the order mutations do, each in one transaction: a failure leaves no trace.

use std::collections::BTreeMap;

use crate::crypto::sha256_hex;
use crate::db::{Conn, TenantId, now};
use crate::error::{AppError, AppResult};
use crate::events::OrderEventKind;
use crate::identity::Identity;
use crate::orders::model::{
    NewOrder, NewOrderItem, OrderItemRow, OrderRow, OrderScope, OrderStatus,
};
use crate::orders::store;
use crate::state::AppState;
use crate::users::Role;
use crate::{catalog, transaction, users, validation};

pub const MAX_LINES: usize = 100;
pub const MAX_QUANTITY: i32 = 10_000;
const MAX_ADDRESS: usize = 500;
const MAX_IDEMPOTENCY_KEY: usize = 255;

/// An order line as the client sent it; `product_id` is `None` when the id cannot name a product.
pub struct LineRequest {
    pub product_id: Option<i64>,
    pub raw_product_id: String,
    pub quantity: i32,
}

/// An order that passed the input rules: lines merged by product, in product order.
struct CheckedOrder {
    /// product id -> (quantity, index of its first line in the request)
    lines: BTreeMap<i64, (i32, usize)>,
    address: String,
    idempotency_key: Option<String>,
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
        let mut merged: BTreeMap<i64, (i32, usize)> = BTreeMap::new();
        for (index, line) in lines.iter().enumerate() {
            if !(1..=MAX_QUANTITY).contains(&line.quantity) {
                return Err(AppError::bad_input(
                    format!("items.{index}.quantity"),
                    format!("a quantity is between 1 and {MAX_QUANTITY}"),
                ));
            }
            let product_id = line.product_id.ok_or_else(|| AppError::UnknownProduct {
                field: format!("items.{index}.productId"),
                product_id: line.raw_product_id.clone(),
            })?;
            // At most 100 lines of 10,000 each: the sum cannot overflow. The merged line obeys the
            // same bound; the error names the product's first line.
            let (quantity, first) = merged.entry(product_id).or_insert((0, index));
            *quantity += line.quantity;
            if *quantity > MAX_QUANTITY {
                return Err(AppError::bad_input(
                    format!("items.{first}.quantity"),
                    format!(
                        "the lines of one product add up to {quantity}; a quantity is between 1 and \
                         {MAX_QUANTITY}"
                    ),
                ));
            }
        }
        let address = validation::required_text("address", address, MAX_ADDRESS)?;
        let idempotency_key = idempotency_key
            .map(|key| validation::required_text("idempotencyKey", key, MAX_IDEMPOTENCY_KEY))
            .transpose()?;
        Ok(Self {
            lines: merged,
            address,
            idempotency_key,
        })
    }

    /// A fingerprint of what is ordered, so a reused key with other lines is told apart.
    fn fingerprint(&self) -> String {
        let mut text = format!("{}\n", self.address);
        for (product, (quantity, _)) in &self.lines {
            text.push_str(&format!("{product}x{quantity};"));
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

/// Places an order for `customer_id`: stock is taken line by line with conditional updates (in product
/// order, so concurrent orders lock rows in the same order and cannot deadlock), prices and total come
/// from the catalog. A repeated idempotency key returns the order it made.
pub async fn place_order(
    state: &AppState,
    tenant: TenantId,
    customer_id: i64,
    lines: &[LineRequest],
    address: &str,
    idempotency_key: Option<&str>,
) -> AppResult<Placed> {
    let order = CheckedOrder::check(lines, address, idempotency_key)?;
    let fingerprint = order.fingerprint();
    let mut pooled = state.db.tenant(tenant).await?;
    let placed = transaction!(&mut pooled.conn(), |conn| {
        if let Some(key) = &order.idempotency_key
            && !store::claim_key(conn, tenant, customer_id, key, &fingerprint).await?
        {
            let earlier = earlier_order(conn, tenant, customer_id, key, &fingerprint).await?;
            return Ok(Placed {
                order: earlier,
                items: None,
            });
        }
        // In product order, so concurrent orders lock rows in the same order and cannot deadlock.
        let wanted: Vec<(i64, i32)> = order.lines.iter().map(|(id, (q, _))| (*id, *q)).collect();
        let taken = catalog::store::take_stock_each(conn, tenant, &wanted).await?;
        let mut priced = Vec::with_capacity(order.lines.len());
        let mut total_cents: i64 = 0;
        for ((&product_id, &(quantity, index)), taken) in order.lines.iter().zip(taken) {
            let Some((name, price_cents)) = taken else {
                return Err(why_not_taken(conn, tenant, product_id, index).await);
            };
            total_cents += price_cents * i64::from(quantity);
            priced.push((product_id, name, price_cents, quantity));
        }
        let at = now();
        let placed = store::insert(
            conn,
            &NewOrder {
                vendor_id: tenant.0,
                customer_id,
                status: OrderStatus::Pending.as_str(),
                address: &order.address,
                total_cents,
                created_at: at,
                updated_at: at,
            },
        )
        .await?;
        let lines: Vec<NewOrderItem> = priced
            .iter()
            .map(
                |(product_id, name, unit_price_cents, quantity)| NewOrderItem {
                    vendor_id: tenant.0,
                    order_id: placed.id,
                    product_id: *product_id,
                    product_name: name,
                    unit_price_cents: *unit_price_cents,
                    quantity: *quantity,
                },
            )
            .collect();
        let items = store::insert_items(conn, &lines).await?;
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
        state
            .events
            .committed(OrderEventKind::Placed, &placed.order);
    }
    Ok(placed)
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
        Err(err) => err,
    }
}

/// The orders a signed-in user may see.
pub fn scope_of(identity: &Identity) -> OrderScope {
    match identity.role {
        Role::Owner => OrderScope::All,
        Role::Staff => OrderScope::AssignedTo(identity.user_id),
        Role::Customer => OrderScope::PlacedBy(identity.user_id),
    }
}

/// Moves an order along the status machine: the owner any of the store's, staff the ones assigned to
/// them. Becoming CANCELLED puts the units back in stock.
pub async fn update_status(
    state: &AppState,
    tenant: TenantId,
    identity: &Identity,
    order_id: i64,
    to: OrderStatus,
) -> AppResult<OrderRow> {
    let mut pooled = state.db.tenant(tenant).await?;
    let changed = transaction!(&mut pooled.conn(), |conn| {
        transition(conn, tenant, scope_of(identity), order_id, to, |_| true).await
    })?;
    Ok(updated(state, changed))
}

/// Cancels an order: a customer their own while PENDING, the owner any while PENDING or PROCESSING.
pub async fn cancel(
    state: &AppState,
    tenant: TenantId,
    identity: &Identity,
    order_id: i64,
) -> AppResult<OrderRow> {
    let role = identity.role;
    let mut pooled = state.db.tenant(tenant).await?;
    let changed = transaction!(&mut pooled.conn(), |conn| {
        let allowed = |from: OrderStatus| role == Role::Owner || from == OrderStatus::Pending;
        transition(
            conn,
            tenant,
            scope_of(identity),
            order_id,
            OrderStatus::Cancelled,
            allowed,
        )
        .await
    })?;
    Ok(updated(state, changed))
}

/// Tells the local subscribers about a committed change (see [`crate::events`]) and returns it.
fn updated(state: &AppState, order: OrderRow) -> OrderRow {
    state.events.committed(OrderEventKind::Updated, &order);
    order
}

/// One status change inside a transaction. `role_allows` says whether the caller may make a change that
/// the machine itself allows (`FORBIDDEN` when not).
async fn transition(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    scope: OrderScope,
    order_id: i64,
    to: OrderStatus,
    role_allows: impl Fn(OrderStatus) -> bool,
) -> AppResult<OrderRow> {
    let order = store::find(conn, tenant, scope, order_id)
        .await?
        .ok_or(AppError::NotFound("no such order"))?;
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
    Ok(changed)
}

/// Assigns an order to an active staff member of the same store (owner only).
pub async fn assign_staff(
    state: &AppState,
    tenant: TenantId,
    order_id: i64,
    staff_id: Option<i64>,
) -> AppResult<OrderRow> {
    let mut pooled = state.db.tenant(tenant).await?;
    let assigned = transaction!(&mut pooled.conn(), |conn| {
        store::find(conn, tenant, OrderScope::All, order_id)
            .await?
            .ok_or(AppError::NotFound("no such order"))?;
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
        store::assign(conn, tenant, order_id, staff.id)
            .await?
            .ok_or(AppError::NotFound("no such order"))
    })?;
    Ok(updated(state, assigned))
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
            a.lines.into_iter().collect::<Vec<_>>(),
            [(1, (3, 1)), (2, (5, 0))]
        );
        assert_eq!(a.address, "Main St 1");
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
