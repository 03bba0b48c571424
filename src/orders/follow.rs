//! Following orders as they change: what the order subscriptions hear, with the same rights as the
//! order queries. A customer hears their own orders, staff the ones assigned to them, the owner all of
//! the store's, and nobody another store's.

use std::sync::Arc;
use std::time::Duration;

use futures_util::Stream;
use tokio::sync::broadcast::{self, error::RecvError};
use tokio::sync::watch;

use crate::db::TenantId;
use crate::error::{AppError, AppResult};
use crate::identity::Identity;
use crate::orders::events::{OrderEvent, OrderEventKind};
use crate::orders::model::{OrderRow, OrderScope};
use crate::orders::service::{Orders, scope_of};
use crate::orders::store;

/// What a follower hears next.
pub enum Heard {
    /// An order it may see changed (or was placed): the committed row.
    Order(OrderRow),
    /// Events may have been missed: `Some(n)` when this follower fell behind by `n`, `None` when the
    /// instance could not hear the database for a while. Following goes on; the client refetches.
    Missed(Option<u64>),
    /// The follower's account stopped working (or could not be checked): following ends.
    Ended(AppError),
}

impl Orders {
    /// Changes of kind `kind` to every order the caller may see, from now on.
    pub fn follow_all(
        &self,
        identity: &Identity,
        kind: OrderEventKind,
    ) -> impl Stream<Item = Heard> + use<> {
        Follower::new(self, identity, kind).into_stream(None)
    }

    /// Changes to one order, which the caller must be able to see (`NOT_FOUND` otherwise).
    pub async fn follow_order(
        &self,
        identity: &Identity,
        order_id: Option<i64>,
    ) -> AppResult<impl Stream<Item = Heard> + use<>> {
        // Listening starts before anything else, so no change made from here on can be missed.
        let follower = Follower::new(self, identity, OrderEventKind::Updated);
        let not_found = || AppError::NotFound("no such order");
        let id = order_id.ok_or_else(not_found)?;
        let tenant = identity.tenant_id;
        let mut pooled = self.db().tenant(tenant).await?;
        let visible = store::find(&mut pooled.conn(), tenant, scope_of(identity), id)
            .await?
            .ok_or_else(not_found)?;
        Ok(follower.into_stream(Some(visible.id)))
    }
}

/// One follower's view of the instance's events: which it may hear, and for whom.
struct Follower {
    events: broadcast::Receiver<Arc<OrderEvent>>,
    /// Changes when the instance may have missed events.
    gaps: watch::Receiver<u64>,
    kind: OrderEventKind,
    orders: Orders,
    identity: Identity,
}

impl Follower {
    fn new(orders: &Orders, identity: &Identity, kind: OrderEventKind) -> Self {
        Self {
            events: orders.events().subscribe(),
            gaps: orders.events().gaps(),
            kind,
            orders: orders.clone(),
            identity: identity.clone(),
        }
    }

    fn tenant(&self) -> TenantId {
        self.identity.tenant_id
    }

    fn scope(&self) -> OrderScope {
        scope_of(&self.identity)
    }

    /// Whether this follower hears `event`: its kind, its order (when one was named), its store, and an
    /// order the caller may see as it is now (a staff member stops hearing an order assigned away).
    fn hears(&self, event: &OrderEvent, only: Option<i64>) -> bool {
        event.kind == self.kind
            && only.is_none_or(|id| id == event.order.id)
            && event.order.vendor_id == self.tenant().0
            && self.scope().includes(&event.order)
    }

    /// Whether the caller's account still works (the check every request makes): a deactivated user
    /// stops hearing at once, as their requests stop working. A database that does not answer for a
    /// moment does not end the following: the check is tried again, for about six seconds.
    async fn still_active(&self) -> AppResult<bool> {
        let mut wait = Duration::from_millis(100);
        let mut attempt = 0;
        loop {
            let user_id = self.identity.user_id;
            match self
                .orders
                .gate()
                .active_account(self.tenant(), user_id)
                .await
            {
                Ok(_) => return Ok(true),
                Err(AppError::Unauthenticated(_)) => return Ok(false),
                Err(err) if attempt >= 6 => return Err(err),
                Err(_) => {
                    tokio::time::sleep(wait).await;
                    wait *= 2;
                    attempt += 1;
                }
            }
        }
    }

    /// What this follower hears, until the account stops working.
    fn into_stream(self, only: Option<i64>) -> impl Stream<Item = Heard> + use<> {
        futures_util::stream::unfold(Some(self), move |follower| async move {
            let mut follower = follower?;
            loop {
                let received = tokio::select! {
                    received = follower.events.recv() => received,
                    changed = follower.gaps.changed() => {
                        if changed.is_err() {
                            return None;
                        }
                        return Some((Heard::Missed(None), Some(follower)));
                    }
                };
                let event = match received {
                    Ok(event) => event,
                    Err(RecvError::Closed) => return None,
                    Err(RecvError::Lagged(missed)) => {
                        return Some((Heard::Missed(Some(missed)), Some(follower)));
                    }
                };
                if !follower.hears(&event, only) {
                    continue;
                }
                return match follower.still_active().await {
                    Ok(true) => Some((Heard::Order(event.order.clone()), Some(follower))),
                    Ok(false) => Some((
                        Heard::Ended(AppError::Unauthenticated("this account is not active")),
                        None,
                    )),
                    Err(err) => Some((Heard::Ended(err), None)),
                };
            }
        })
    }
}
