//! Order rows, the status machine, and who may see which orders: plain data (the GraphQL types are
//! made from them in `orders::graphql`).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{order_events, order_items, orders};

/// Where an order stands: PENDING -> PROCESSING -> SHIPPED -> DELIVERED, or CANCELLED from PENDING or
/// PROCESSING.
// Stored in lower case (`pending`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OrderStatus {
    Pending,
    Processing,
    Shipped,
    Delivered,
    Cancelled,
}

impl OrderStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Processing => "processing",
            Self::Shipped => "shipped",
            Self::Delivered => "delivered",
            Self::Cancelled => "cancelled",
        }
    }

    /// Reads a stored status; the column's CHECK constraint allows nothing else.
    pub fn from_db(value: &str) -> Self {
        match value {
            "processing" => Self::Processing,
            "shipped" => Self::Shipped,
            "delivered" => Self::Delivered,
            "cancelled" => Self::Cancelled,
            _ => Self::Pending,
        }
    }

    /// The name clients see (`PENDING`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Processing => "PROCESSING",
            Self::Shipped => "SHIPPED",
            Self::Delivered => "DELIVERED",
            Self::Cancelled => "CANCELLED",
        }
    }

    /// PENDING -> PROCESSING -> SHIPPED -> DELIVERED; PENDING or PROCESSING -> CANCELLED.
    pub fn can_become(self, next: Self) -> bool {
        use OrderStatus::*;
        matches!(
            (self, next),
            (Pending, Processing)
                | (Processing, Shipped)
                | (Shipped, Delivered)
                | (Pending | Processing, Cancelled)
        )
    }
}

/// Which of a store's orders a caller may see.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderScope {
    /// The owner: every order of the store.
    All,
    /// A staff member: the orders assigned to them.
    AssignedTo(i64),
    /// A customer: the orders they placed.
    PlacedBy(i64),
}

impl OrderScope {
    /// Whether this scope hears `event` of `order`: as the order stood right after the event (a staff
    /// member hears what happens to an order while it is assigned to them, from the assignment on,
    /// and nothing after it is assigned away). Decided by the event alone, so the answer is the same
    /// whenever the event is read, live or replayed.
    pub fn hears(self, event: &OrderEventRow, order: &OrderRow) -> bool {
        match self {
            Self::All => true,
            Self::AssignedTo(staff) => event.assigned_staff_id == Some(staff),
            Self::PlacedBy(customer) => order.customer_id == customer,
        }
    }

    /// Whether `order` is one of the orders this scope sees (the same rule as the queries' filter, for
    /// an order already in hand).
    pub fn includes(self, order: &OrderRow) -> bool {
        match self {
            Self::All => true,
            Self::AssignedTo(staff) => order.assigned_staff_id == Some(staff),
            Self::PlacedBy(customer) => order.customer_id == customer,
        }
    }
}

#[derive(Queryable, Selectable, Clone, Debug, serde::Serialize, serde::Deserialize)]
#[diesel(table_name = orders)]
pub struct OrderRow {
    pub id: i64,
    pub vendor_id: i64,
    pub customer_id: i64,
    pub assigned_staff_id: Option<i64>,
    pub status: String,
    pub address: String,
    pub total_cents: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl OrderRow {
    pub fn status(&self) -> OrderStatus {
        OrderStatus::from_db(&self.status)
    }
}

#[derive(Insertable)]
#[diesel(table_name = orders)]
pub struct NewOrder<'a> {
    pub customer_id: i64,
    pub status: &'a str,
    pub address: &'a str,
    pub total_cents: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A line of an order, with the product's name and price as they were when the order was placed.
#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = order_items)]
pub struct OrderItemRow {
    pub id: i64,
    pub vendor_id: i64,
    pub order_id: i64,
    pub product_id: i64,
    pub product_name: String,
    pub unit_price_cents: i64,
    pub quantity: i32,
}

/// The order a new line or event belongs to: one already written (`Known`), or, on PostgreSQL, the
/// order inserted just before it in the same pipeline (`JustInserted`: `currval` of the orders' id
/// sequence, `orders_id_seq` as PostgreSQL names an identity column's, the id that insert took in this
/// session), so that an order and its rows go out together
/// instead of waiting for the order's id. SQLite writes one statement after another and always knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NewOrderId {
    Known(i64),
    JustInserted,
}

impl diesel::expression::Expression for NewOrderId {
    type SqlType = diesel::sql_types::BigInt;
}

impl<QS> diesel::expression::AppearsOnTable<QS> for NewOrderId {}

impl diesel::expression::ValidGrouping<()> for NewOrderId {
    type IsAggregate = diesel::expression::is_aggregate::Never;
}

/// No static id: the two forms are two texts (see `db::CacheWrite`).
impl diesel::query_builder::QueryId for NewOrderId {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl diesel::query_builder::QueryFragment<diesel::pg::Pg> for NewOrderId {
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>,
    ) -> QueryResult<()> {
        match self {
            Self::Known(id) => out.push_bind_param::<diesel::sql_types::BigInt, _>(id),
            Self::JustInserted => {
                // The sequence's name resolved when the statement is planned, not per row.
                out.push_sql("currval('orders_id_seq'::regclass)");
                Ok(())
            }
        }
    }
}

impl diesel::query_builder::QueryFragment<diesel::sqlite::Sqlite> for NewOrderId {
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, diesel::sqlite::Sqlite>,
    ) -> QueryResult<()> {
        match self {
            Self::Known(id) => out.push_bind_param::<diesel::sql_types::BigInt, _>(id),
            Self::JustInserted => Err(diesel::result::Error::QueryBuilderError(
                "SQLite writes an order's rows once its id is known".into(),
            )),
        }
    }
}

#[derive(Insertable)]
#[diesel(table_name = order_items)]
pub struct NewOrderItem<'a> {
    pub order_id: NewOrderId,
    pub product_id: i64,
    pub product_name: &'a str,
    pub unit_price_cents: i64,
    pub quantity: i32,
}

/// What happened to an order, as its timeline records it. Stored in snake case (`status_changed`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    Placed,
    StatusChanged,
    Assigned,
    Cancelled,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Placed => "placed",
            Self::StatusChanged => "status_changed",
            Self::Assigned => "assigned",
            Self::Cancelled => "cancelled",
        }
    }

    /// Reads a stored kind; the column's CHECK constraint allows nothing else.
    pub fn from_db(value: &str) -> Self {
        match value {
            "status_changed" => Self::StatusChanged,
            "assigned" => Self::Assigned,
            "cancelled" => Self::Cancelled,
            _ => Self::Placed,
        }
    }
}

/// One event of an order's timeline, written in the transaction of the change it records.
#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = order_events)]
pub struct OrderEventRow {
    pub vendor_id: i64,
    pub id: i64,
    pub order_id: i64,
    pub kind: String,
    /// The order's status after the event.
    pub status: String,
    /// Who made the change.
    pub actor_id: Option<i64>,
    /// The order's assigned staff after the event.
    pub assigned_staff_id: Option<i64>,
    pub created_at: NaiveDateTime,
    /// Where it stands in the log's delivery order (see `LogPosition`).
    pub position: i64,
}

impl OrderEventRow {
    pub fn log_position(&self) -> LogPosition {
        LogPosition {
            position: self.position,
            id: self.id,
        }
    }

    /// The order as this event left it, from the order as it is now: the status and assignment the
    /// event recorded, changed when the event was.
    pub fn order_after(&self, now: &OrderRow) -> OrderRow {
        OrderRow {
            status: self.status.clone(),
            assigned_staff_id: self.assigned_staff_id,
            updated_at: self.created_at,
            ..now.clone()
        }
    }

    pub fn kind(&self) -> EventKind {
        EventKind::from_db(&self.kind)
    }

    pub fn status(&self) -> OrderStatus {
        OrderStatus::from_db(&self.status)
    }
}

/// A place in the event log: events are delivered in order of (`position`, `id`). On PostgreSQL the
/// position is the id of the writing transaction, raised to the position of the order's event before
/// (so an order's events keep their order), and events are read only below the oldest transaction
/// still running: none can later appear before what was read. A transaction that began after another
/// committed comes after all of its events. On SQLite (one writer at a time) it is 0: ids are given in
/// commit order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct LogPosition {
    pub position: i64,
    pub id: i64,
}

/// An event as the log delivers it, with its order as it was when the event was read.
#[derive(Clone, Debug)]
pub struct LoggedEvent {
    pub event: OrderEventRow,
    pub order: OrderRow,
}

#[derive(Insertable)]
#[diesel(table_name = order_events)]
pub struct NewOrderEvent<'a> {
    pub order_id: NewOrderId,
    pub kind: &'a str,
    pub status: &'a str,
    pub actor_id: Option<i64>,
    pub assigned_staff_id: Option<i64>,
    pub created_at: NaiveDateTime,
}

impl<'a> NewOrderEvent<'a> {
    /// The event `kind` of `order` as it now is, made by `actor`.
    pub fn of(order: &'a OrderRow, kind: EventKind, actor: i64) -> Self {
        Self {
            order_id: NewOrderId::Known(order.id),
            kind: kind.as_str(),
            status: &order.status,
            actor_id: Some(actor),
            assigned_staff_id: order.assigned_staff_id,
            created_at: order.updated_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::OrderStatus::{self, *};

    #[test]
    fn the_status_machine() {
        let all = [Pending, Processing, Shipped, Delivered, Cancelled];
        let allowed: Vec<(OrderStatus, OrderStatus)> = all
            .iter()
            .flat_map(|from| all.iter().map(move |to| (*from, *to)))
            .filter(|(from, to)| from.can_become(*to))
            .collect();
        assert_eq!(
            allowed,
            [
                (Pending, Processing),
                (Pending, Cancelled),
                (Processing, Shipped),
                (Processing, Cancelled),
                (Shipped, Delivered),
            ]
        );
        for status in all {
            assert_eq!(OrderStatus::from_db(status.as_str()), status);
        }
        use super::EventKind;
        for kind in [
            EventKind::Placed,
            EventKind::StatusChanged,
            EventKind::Assigned,
            EventKind::Cancelled,
        ] {
            assert_eq!(EventKind::from_db(kind.as_str()), kind);
        }
    }
}
