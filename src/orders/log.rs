//! Reading the event log in its delivery order (`LogPosition`): what feeds the subscriptions (and the
//! webhooks). One store's log is read with the tenant's connection, as every query; the log of every
//! store only by the instance's own reader, on a connection of the worker role (`Db::worker`), which
//! row-level security lets read events and orders and nothing else.

use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool};
use diesel_async::RunQueryDsl;

use crate::db::schema::{order_events, orders};
use crate::db::{Conn, DbResult, TenantId, TenantTable as _};
use crate::orders::model::{LogPosition, LoggedEvent, OrderEventRow, OrderRow, OrderScope};
use crate::with_conn;

/// Only events no later transaction can come before: on PostgreSQL, below the oldest transaction
/// still running (`LogPosition`); on SQLite, every committed one.
fn horizon(conn: &Conn<'_>) -> diesel::expression::SqlLiteral<Bool> {
    sql::<Bool>(match conn {
        Conn::Pg(..) => {
            "order_events.position < pg_snapshot_xmin(pg_current_snapshot())::text::bigint"
        }
        Conn::Sqlite(_) => "1 = 1",
    })
}

/// The join of an event with its order.
macro_rules! of_its_order {
    () => {
        orders::table.on(orders::vendor_id
            .eq(order_events::vendor_id)
            .and(orders::id.eq(order_events::order_id)))
    };
}

/// `(position, id) > after`, a row comparison both backends serve from the log's indexes.
macro_rules! later_than {
    ($after:expr) => {
        sql::<Bool>("(order_events.position, order_events.id) > (")
            .bind::<BigInt, _>($after.position)
            .sql(", ")
            .bind::<BigInt, _>($after.id)
            .sql(")")
    };
}

/// The position of a new event of an order that has events already: its transaction's, raised to the
/// position of the order's latest event (a transaction may have been given its id before the one that
/// wrote that event, and then have waited for its lock on the order). A first event takes the column's
/// default (the transaction's id). SQLite: always 0. An SQL expression, for the insert's values.
macro_rules! next_position {
    ($conn:expr, $tenant:expr, $order_id:expr) => {
        diesel::dsl::sql::<diesel::sql_types::BigInt>(match $conn {
            $crate::db::Conn::Pg(..) => "GREATEST(pg_current_xact_id()::text::bigint, ",
            $crate::db::Conn::Sqlite(_) => "MAX(0, ",
        })
        .sql("COALESCE((SELECT MAX(e.position) FROM order_events e WHERE e.vendor_id = ")
        .bind::<diesel::sql_types::BigInt, _>($tenant.0)
        .sql(" AND e.order_id = ")
        .bind::<diesel::sql_types::BigInt, _>($order_id)
        .sql("), 0))")
    };
}
pub(crate) use next_position;

/// The last event of every store's log that a reader may take now (`LogPosition::default()` when
/// there is none): where an instance's reader starts.
pub async fn end(conn: &mut Conn<'_>) -> DbResult<LogPosition> {
    let horizon = horizon(conn);
    let last: Option<(i64, i64)> = with_conn!(conn, |c| {
        order_events::table
            .filter(horizon.clone())
            .order((order_events::position.desc(), order_events::id.desc()))
            .select((order_events::position, order_events::id))
            .first(c)
            .await
            .optional()
    })?;
    Ok(
        last.map_or_else(LogPosition::default, |(position, id)| LogPosition {
            position,
            id,
        }),
    )
}

/// At most `limit` events of every store after `after`, in delivery order, with their orders.
pub async fn all_after(
    conn: &mut Conn<'_>,
    after: LogPosition,
    limit: i64,
) -> DbResult<Vec<LoggedEvent>> {
    let horizon = horizon(conn);
    let rows: Vec<(OrderEventRow, OrderRow)> = with_conn!(conn, |c| {
        order_events::table
            .inner_join(of_its_order!())
            .filter(horizon.clone())
            .filter(later_than!(after))
            .order((order_events::position.asc(), order_events::id.asc()))
            .limit(limit)
            .select((OrderEventRow::as_select(), OrderRow::as_select()))
            .load(c)
            .await
    })?;
    Ok(logged(rows))
}

/// At most `limit` events of the tenant's orders that `scope` may see (as they are now), after
/// `after`, in delivery order, with their orders: a subscriber's replay.
pub async fn tenant_after(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    scope: OrderScope,
    after: LogPosition,
    limit: i64,
) -> DbResult<Vec<LoggedEvent>> {
    let horizon = horizon(conn);
    let rows: Vec<(OrderEventRow, OrderRow)> = with_conn!(conn, |c| {
        let query = order_events::table
            .of_tenant(tenant)
            .inner_join(of_its_order!())
            .filter(horizon.clone())
            .filter(later_than!(after))
            .into_boxed();
        let query = match scope {
            OrderScope::All => query,
            // As `OrderScope::hears` decides for a live event: by the order right after the event.
            OrderScope::AssignedTo(staff) => {
                query.filter(order_events::assigned_staff_id.eq(staff))
            }
            OrderScope::PlacedBy(customer) => query.filter(orders::customer_id.eq(customer)),
        };
        query
            .order((order_events::position.asc(), order_events::id.asc()))
            .limit(limit)
            .select((OrderEventRow::as_select(), OrderRow::as_select()))
            .load(c)
            .await
    })?;
    Ok(logged(rows))
}

/// Where the tenant's event `id` stands in the log, if the tenant has it (still: old events are
/// pruned).
pub async fn position_of(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    id: i64,
) -> DbResult<Option<LogPosition>> {
    let found: Option<i64> = with_conn!(conn, |c| {
        order_events::table
            .of_tenant(tenant)
            .filter(order_events::id.eq(id))
            .select(order_events::position)
            .first(c)
            .await
            .optional()
    })?;
    Ok(found.map(|position| LogPosition { position, id }))
}

fn logged(rows: Vec<(OrderEventRow, OrderRow)>) -> Vec<LoggedEvent> {
    rows.into_iter()
        .map(|(event, order)| LoggedEvent { event, order })
        .collect()
}

/// The tenant's event `id` with its order, if the tenant has it.
pub async fn find(conn: &mut Conn<'_>, tenant: TenantId, id: i64) -> DbResult<Option<LoggedEvent>> {
    let row: Option<(OrderEventRow, OrderRow)> = with_conn!(conn, |c| {
        order_events::table
            .of_tenant(tenant)
            .inner_join(of_its_order!())
            .filter(order_events::id.eq(id))
            .select((OrderEventRow::as_select(), OrderRow::as_select()))
            .first(c)
            .await
            .optional()
    })?;
    Ok(row.map(|(event, order)| LoggedEvent { event, order }))
}
