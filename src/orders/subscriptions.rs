//! The order subscriptions, heard with the same rights as the order queries: a customer hears their own
//! orders, staff the ones assigned to them, the owner all of the store's, and nobody another store's.

use std::sync::Arc;

use async_graphql::{Context, ErrorExtensions as _, ID, Subscription};
use futures_util::Stream;
use std::time::Duration;

use tokio::sync::broadcast::{self, error::RecvError};
use tokio::sync::watch;

use crate::auth::RoleGuard;
use crate::db::TenantId;
use crate::error::{AppError, AppResult, Code};
use crate::events::{OrderEvent, OrderEventKind};
use crate::graphql::ContextExt as _;
use crate::graphql::pagination::parse_id;
use crate::identity::{self, Identity};
use crate::orders::flows::scope_of;
use crate::orders::graphql::Order;
use crate::orders::model::OrderScope;
use crate::orders::store;
use crate::state::AppState;
use crate::users::Role;

#[derive(Default)]
pub struct OrdersSubscription;

#[Subscription]
impl OrdersSubscription {
    /// Changes to the orders the caller may see (status, assignment, cancellation), from now on; with
    /// `id`, to that order only (`NOT_FOUND` when the caller may not see it).
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn order_updated(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
    ) -> Result<impl Stream<Item = async_graphql::Result<Order>> + use<>, AppError> {
        // Listening starts before anything else, so no change made from here on can be missed.
        let listener = Listener::new(ctx, OrderEventKind::Updated)?;
        let only = match id {
            Some(id) => Some(listener.visible_order(&id).await?),
            None => None,
        };
        Ok(listener.into_stream(only))
    }

    /// Orders placed in the store from now on: every one for the owner; staff hear the ones they may
    /// see (orders are assigned after they are placed, so staff follow theirs with `orderUpdated`).
    #[graphql(guard = "RoleGuard::only(&[Role::Owner, Role::Staff])")]
    async fn order_placed(
        &self,
        ctx: &Context<'_>,
    ) -> Result<impl Stream<Item = async_graphql::Result<Order>> + use<>, AppError> {
        Ok(Listener::new(ctx, OrderEventKind::Placed)?.into_stream(None))
    }
}

/// One subscription's view of the instance's events: which it may hear, and for whom.
struct Listener {
    events: broadcast::Receiver<Arc<OrderEvent>>,
    /// Changes when the instance may have missed events.
    gaps: watch::Receiver<u64>,
    kind: OrderEventKind,
    state: AppState,
    identity: Identity,
}

impl Listener {
    fn new(ctx: &Context<'_>, kind: OrderEventKind) -> AppResult<Self> {
        let request = ctx.request();
        Ok(Self {
            events: ctx.state().events.subscribe(),
            gaps: ctx.state().events.gaps(),
            kind,
            state: ctx.state().clone(),
            identity: request.identity()?.clone(),
        })
    }

    fn tenant(&self) -> TenantId {
        self.identity.tenant_id
    }

    /// The id of an order the caller may see, or `NOT_FOUND`.
    async fn visible_order(&self, id: &ID) -> AppResult<i64> {
        let not_found = || AppError::NotFound("no such order");
        let id = parse_id(id).ok_or_else(not_found)?;
        let mut pooled = self.state.db.tenant(self.tenant()).await?;
        store::find(&mut pooled.conn(), self.tenant(), self.scope(), id)
            .await?
            .map(|order| order.id)
            .ok_or_else(not_found)
    }

    fn scope(&self) -> OrderScope {
        scope_of(&self.identity)
    }

    /// Whether this subscription hears `event`: its kind, its order (when one was named), its store, and
    /// an order the caller may see as it is now (a staff member stops hearing an order assigned away).
    fn hears(&self, event: &OrderEvent, only: Option<i64>) -> bool {
        event.kind == self.kind
            && only.is_none_or(|id| id == event.order.id)
            && event.order.vendor_id == self.tenant().0
            && self.scope().includes(&event.order)
    }

    /// Whether the caller's account still works (the check every request makes): a deactivated user
    /// stops hearing at once, as their requests stop working. A database that does not answer for a
    /// moment does not end the subscription: the check is tried again, for about six seconds.
    async fn still_active(&self) -> AppResult<bool> {
        let mut wait = Duration::from_millis(100);
        let mut attempt = 0;
        loop {
            let user_id = self.identity.user_id;
            match identity::active_user(&self.state, self.tenant(), user_id).await {
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

    /// The orders this subscription hears, until the account stops working (which ends it with an
    /// error). When events may have been missed (the subscriber fell behind, or the instance lost its
    /// database listener for a while) it says so with `EVENTS_MISSED` and goes on: the client refetches
    /// what it shows.
    fn into_stream(
        self,
        only: Option<i64>,
    ) -> impl Stream<Item = async_graphql::Result<Order>> + use<> {
        futures_util::stream::unfold(Some(self), move |listener| async move {
            let mut listener = listener?;
            loop {
                let received = tokio::select! {
                    received = listener.events.recv() => received,
                    changed = listener.gaps.changed() => {
                        if changed.is_err() {
                            return None;
                        }
                        return Some((Err(events_missed(None)), Some(listener)));
                    }
                };
                let event = match received {
                    Ok(event) => event,
                    Err(RecvError::Closed) => return None,
                    Err(RecvError::Lagged(missed)) => {
                        return Some((Err(events_missed(Some(missed))), Some(listener)));
                    }
                };
                if !listener.hears(&event, only) {
                    continue;
                }
                return match listener.still_active().await {
                    Ok(true) => Some((Ok(Order::from(event.order.clone())), Some(listener))),
                    Ok(false) => Some((
                        Err(AppError::Unauthenticated("this account is not active").into()),
                        None,
                    )),
                    Err(err) => Some((Err(err.into()), None)),
                };
            }
        })
    }
}

/// Events may have been missed: `missed` of them when this subscriber fell behind, an unknown number
/// when the instance could not hear the database for a while. The subscription goes on.
fn events_missed(missed: Option<u64>) -> async_graphql::Error {
    let message = match missed {
        Some(missed) => {
            format!("{missed} events were missed (this subscriber fell behind): refetch")
        }
        None => {
            "events may have been missed while the service could not hear the database: refetch"
                .to_owned()
        }
    };
    async_graphql::Error::new(message).extend_with(|_, extensions| {
        extensions.set("code", Code::EventsMissed.as_str());
        if let Some(missed) = missed {
            extensions.set("missed", missed);
        }
    })
}
