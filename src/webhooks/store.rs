//! Queries on webhooks and their deliveries. The owner's (endpoints, the deliveries page, a
//! redelivery) take the tenant as every query does. The background work's (making deliveries from the
//! log, claiming due ones, settling them, pruning) run on the worker pool over every store: each
//! claims rows so that two instances never work on the same one.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Timestamp};
use diesel_async::RunQueryDsl;

use crate::db::schema::{webhook_deliveries, webhook_fanout, webhooks};
use crate::db::{CacheWrite, Conn, DbResult, TenantId, TenantTable as _};
use crate::orders::model::LogPosition;
use crate::webhooks::model::{DeliveryRow, DeliveryStatus, NewDelivery, NewWebhook, WebhookRow};
use crate::{each_pipelined, with_conn};

pub async fn create(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    new: &NewWebhook<'_>,
) -> DbResult<WebhookRow> {
    Ok(with_conn!(conn, |c| {
        diesel::insert_into(webhooks::table)
            .values((webhooks::table::owned_by(tenant), new))
            .returning(WebhookRow::as_returning())
            .get_result(c)
            .await
    })?)
}

/// The tenant's endpoints, oldest first.
/// Inside a transaction: holds the store's endpoints still until it ends, so that a count of them
/// and an insert after it are one step under any concurrency. On PostgreSQL the store's row is locked
/// (`FOR NO KEY UPDATE`: orders, whose keys only share it, go on); SQLite's transactions already run
/// one at a time.
pub async fn lock_endpoints(conn: &mut Conn<'_>, tenant: TenantId) -> DbResult<()> {
    if let Conn::Pg(..) = conn {
        with_conn!(conn, |c| {
            diesel::sql_query("SELECT id FROM vendors WHERE id = $1 FOR NO KEY UPDATE")
                .bind::<BigInt, _>(tenant.0)
                .execute(c)
                .await
        })?;
    }
    Ok(())
}

pub async fn list(conn: &mut Conn<'_>, tenant: TenantId) -> DbResult<Vec<WebhookRow>> {
    Ok(with_conn!(conn, |c| {
        webhooks::table
            .of_tenant(tenant)
            .order(webhooks::id.asc())
            .select(WebhookRow::as_select())
            .load(c)
            .await
    })?)
}

pub async fn find(conn: &mut Conn<'_>, tenant: TenantId, id: i64) -> DbResult<Option<WebhookRow>> {
    Ok(with_conn!(conn, |c| {
        webhooks::table
            .of_tenant(tenant)
            .filter(webhooks::id.eq(id))
            .select(WebhookRow::as_select())
            .first(c)
            .await
            .optional()
    })?)
}

/// Deletes the endpoint and (by the foreign key) its deliveries; false when the tenant has no such one.
pub async fn delete(conn: &mut Conn<'_>, tenant: TenantId, id: i64) -> DbResult<bool> {
    let deleted = with_conn!(conn, |c| {
        diesel::delete(
            webhooks::table
                .of_tenant(tenant)
                .filter(webhooks::id.eq(id)),
        )
        .execute(c)
        .await
    })?;
    Ok(deleted > 0)
}

/// A page of an endpoint's deliveries, newest first: ids below `before`, at most `limit`.
pub async fn deliveries(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    webhook_id: i64,
    before: Option<i64>,
    limit: i64,
) -> DbResult<Vec<DeliveryRow>> {
    Ok(with_conn!(conn, |c| {
        let mut query = webhook_deliveries::table
            .of_tenant(tenant)
            .filter(webhook_deliveries::webhook_id.eq(webhook_id))
            .into_boxed();
        if let Some(before) = before {
            query = query.filter(webhook_deliveries::id.lt(before));
        }
        query
            .order(webhook_deliveries::id.desc())
            .limit(limit)
            .select(DeliveryRow::as_select())
            .load(c)
            .await
    })?)
}

pub async fn count_deliveries(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    webhook_id: i64,
) -> DbResult<i64> {
    Ok(with_conn!(conn, |c| {
        webhook_deliveries::table
            .of_tenant(tenant)
            .filter(webhook_deliveries::webhook_id.eq(webhook_id))
            .count()
            .get_result(c)
            .await
    })?)
}

/// Asks for another round of attempts: a delivered or failed delivery is pending again and due now;
/// one still pending keeps its schedule (an attempt may be under way). Either way retries go on until
/// `retry_until`.
pub async fn redeliver(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    id: i64,
    now: NaiveDateTime,
    retry_until: NaiveDateTime,
) -> DbResult<Option<DeliveryRow>> {
    let pending = DeliveryStatus::Pending.as_str();
    let found = webhook_deliveries::table
        .of_tenant(tenant)
        .filter(webhook_deliveries::id.eq(id));
    Ok(with_conn!(conn, |c| {
        let again = diesel::update(found.filter(webhook_deliveries::status.ne(pending)))
            .set((
                webhook_deliveries::status.eq(pending),
                webhook_deliveries::next_attempt_at.eq(Some(now)),
                webhook_deliveries::retry_until.eq(retry_until),
            ))
            .returning(DeliveryRow::as_returning())
            .get_result(c)
            .await
            .optional()?;
        match again {
            Some(row) => Ok(Some(row)),
            None => diesel::update(found)
                .set(webhook_deliveries::retry_until.eq(retry_until))
                .returning(DeliveryRow::as_returning())
                .get_result(c)
                .await
                .optional(),
        }
    })?)
}

/// Locks the fan-out's place in the log for this transaction and returns it; `None` when another
/// instance holds it (it is making the deliveries now). SQLite: one instance, one writer.
pub async fn lock_fanout(conn: &mut Conn<'_>) -> DbResult<Option<LogPosition>> {
    #[derive(QueryableByName)]
    struct Place {
        #[diesel(sql_type = BigInt)]
        position: i64,
        #[diesel(sql_type = BigInt)]
        event_id: i64,
    }
    let sql = match conn {
        Conn::Pg(..) => {
            "SELECT position, event_id FROM webhook_fanout WHERE id = 1 FOR UPDATE SKIP LOCKED"
        }
        Conn::Sqlite(_) => "SELECT position, event_id FROM webhook_fanout WHERE id = 1",
    };
    let place: Option<Place> = with_conn!(conn, |c| {
        diesel::sql_query(sql).get_result(c).await.optional()
    })?;
    Ok(place.map(|p| LogPosition {
        position: p.position,
        id: p.event_id,
    }))
}

pub async fn move_fanout(conn: &mut Conn<'_>, to: LogPosition) -> DbResult<()> {
    with_conn!(conn, |c| {
        diesel::update(webhook_fanout::table.filter(webhook_fanout::id.eq(1)))
            .set((
                webhook_fanout::position.eq(to.position),
                webhook_fanout::event_id.eq(to.id),
            ))
            .cached()
            .execute(c)
            .await
    })?;
    Ok(())
}

/// The endpoints of the given stores (the fan-out matches a batch of events with them).
pub async fn of_stores(conn: &mut Conn<'_>, stores: &[i64]) -> DbResult<Vec<WebhookRow>> {
    Ok(with_conn!(conn, |c| {
        webhooks::table
            .filter(webhooks::vendor_id.eq_any(stores))
            .select(WebhookRow::as_select())
            .load(c)
            .await
    })?)
}

/// Deliveries written per round trip.
const INSERT_CHUNK: usize = 256;

/// Records deliveries to make; one already made for the same endpoint and event is left as it is.
pub async fn insert_deliveries(conn: &mut Conn<'_>, new: &[NewDelivery]) -> DbResult<()> {
    if new.is_empty() {
        return Ok(());
    }
    // One row per statement (diesel-async cannot batch rows on SQLite), pipelined on PostgreSQL a
    // chunk at a time.
    for chunk in new.chunks(INSERT_CHUNK) {
        each_pipelined!(&mut *conn, chunk, |c, delivery| {
            diesel::insert_into(webhook_deliveries::table)
                .values(delivery)
                .on_conflict_do_nothing()
                .cached()
                .execute(c)
                .await
        })?;
    }
    Ok(())
}

/// Claims at most `limit` due deliveries of every store but the suspended ones (whose deliveries wait,
/// neither sent nor failed, until the store is reactivated), at most `per_endpoint` of each endpoint,
/// for one attempt each: their attempt count goes up and they are not due again before `lease_until`
/// (when, if this instance never settled them, another may try). On PostgreSQL rows another instance
/// is claiming are skipped, not waited for.
pub async fn claim(
    conn: &mut Conn<'_>,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
    limit: i64,
    per_endpoint: i64,
) -> DbResult<Vec<DeliveryRow>> {
    let sql = match conn {
        Conn::Pg(..) => {
            "UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at = $1 \
             WHERE (vendor_id, id) IN (SELECT d.vendor_id, d.id \
               FROM (SELECT DISTINCT vendor_id, webhook_id FROM webhook_deliveries \
                     WHERE status = 'pending' AND next_attempt_at <= $2 \
                       AND vendor_id NOT IN (SELECT id FROM vendors WHERE suspended_at IS NOT NULL) \
                     LIMIT $3) AS due, \
               LATERAL (SELECT x.vendor_id, x.id FROM webhook_deliveries x \
                        WHERE x.vendor_id = due.vendor_id AND x.webhook_id = due.webhook_id \
                          AND x.status = 'pending' AND x.next_attempt_at <= $2 \
                        ORDER BY x.next_attempt_at LIMIT $4 FOR UPDATE SKIP LOCKED) AS d \
               LIMIT $3) \
             RETURNING *"
        }
        Conn::Sqlite(_) => {
            "UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at = ?1 \
             WHERE id IN (SELECT id FROM (SELECT id, ROW_NUMBER() OVER \
                 (PARTITION BY vendor_id, webhook_id ORDER BY next_attempt_at) AS n \
               FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= ?2 \
                 AND vendor_id NOT IN (SELECT id FROM vendors WHERE suspended_at IS NOT NULL)) \
               WHERE n <= ?4 LIMIT ?3) \
             RETURNING *"
        }
    };
    Ok(with_conn!(conn, |c| {
        diesel::sql_query(sql)
            .bind::<Timestamp, _>(lease_until)
            .bind::<Timestamp, _>(now)
            .bind::<BigInt, _>(limit)
            .bind::<BigInt, _>(per_endpoint)
            .load::<DeliveryRow>(c)
            .await
    })?)
}

/// How an attempt ended.
pub struct Settled {
    pub status: DeliveryStatus,
    pub status_code: Option<i32>,
    /// Pending: when to try again.
    pub next_attempt_at: Option<NaiveDateTime>,
}

/// Records the end of attempt number `attempt` of a delivery; nothing when the delivery has moved on
/// meanwhile (its lease ran out and another attempt began, or it was deleted).
pub async fn settle(
    conn: &mut Conn<'_>,
    delivery: &DeliveryRow,
    settled: &Settled,
) -> DbResult<()> {
    // `$n` placeholders, which SQLite reads as named ones, numbered in order of appearance.
    let sql = "UPDATE webhook_deliveries SET status = $1, last_status_code = $2, next_attempt_at = $3 \
               WHERE vendor_id = $4 AND id = $5 AND attempts = $6 AND status = 'pending'";
    with_conn!(conn, |c| {
        diesel::sql_query(sql)
            .bind::<diesel::sql_types::Text, _>(settled.status.as_str())
            .bind::<Nullable<Integer>, _>(settled.status_code)
            .bind::<Nullable<Timestamp>, _>(settled.next_attempt_at)
            .bind::<BigInt, _>(delivery.vendor_id)
            .bind::<BigInt, _>(delivery.id)
            .bind::<Integer, _>(delivery.attempts)
            .execute(c)
            .await
    })?;
    Ok(())
}

/// Undoes a claim that made no attempt: the count goes back, and the delivery is due at `due`.
pub async fn release(
    conn: &mut Conn<'_>,
    delivery: &DeliveryRow,
    due: NaiveDateTime,
) -> DbResult<()> {
    let sql = "UPDATE webhook_deliveries SET attempts = attempts - 1, next_attempt_at = $1 \
               WHERE vendor_id = $2 AND id = $3 AND attempts = $4 AND status = 'pending'";
    with_conn!(conn, |c| {
        diesel::sql_query(sql)
            .bind::<Timestamp, _>(due)
            .bind::<BigInt, _>(delivery.vendor_id)
            .bind::<BigInt, _>(delivery.id)
            .bind::<Integer, _>(delivery.attempts)
            .execute(c)
            .await
    })?;
    Ok(())
}

/// Deletes at most `limit` events of every store written before `cutoff` (their deliveries go with
/// them); returns how many.
pub async fn prune_events(
    conn: &mut Conn<'_>,
    cutoff: NaiveDateTime,
    limit: i64,
) -> DbResult<usize> {
    let sql = "DELETE FROM order_events WHERE (vendor_id, id) IN \
               (SELECT vendor_id, id FROM order_events WHERE created_at < $1 LIMIT $2)";
    Ok(with_conn!(conn, |c| {
        diesel::sql_query(sql)
            .bind::<Timestamp, _>(cutoff)
            .bind::<BigInt, _>(limit)
            .execute(c)
            .await
    })?)
}
