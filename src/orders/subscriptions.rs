//! The order subscriptions: the GraphQL face of following orders (`orders::follow`). A subscription
//! hears what came after the place in the log its request carries (`Since`, set by the socket as it
//! read the subscribe message), or else after the moment its stream starts.

use async_graphql::{Context, ID, Subscription};
use futures_util::{Stream, StreamExt as _};

use crate::error::AppError;
use crate::graphql::ContextExt as _;
use crate::graphql::pagination::parse_id;
use crate::identity::{Role, RoleGuard};
use crate::orders::Orders;
use crate::orders::follow::{Heard, Kinds, Since};
use crate::orders::graphql::{Order, OrderEvent};

#[derive(Default)]
pub struct OrdersSubscription;

#[Subscription]
impl OrdersSubscription {
    /// Changes to the orders the caller may see (status, assignment, cancellation), from now on; with
    /// `id`, to that order only (`NOT_FOUND` when the caller may not see it). Each is the order as the
    /// change left it.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn order_updated(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
    ) -> Result<impl Stream<Item = async_graphql::Result<Order>> + use<>, AppError> {
        let identity = ctx.request().identity()?;
        let orders = ctx.service::<Orders>();
        let since = ctx.data_opt::<Since>().copied();
        Ok(match id {
            Some(id) => orders
                .follow_order(identity, parse_id(&id), since)
                .await?
                .map(order_after)
                .boxed(),
            None => orders
                .follow_all(identity, Kinds::Updates, since)
                .map(order_after)
                .boxed(),
        })
    }

    /// Orders placed in the store from now on: every one for the owner; staff hear the ones they may
    /// see (orders are assigned after they are placed, so staff follow theirs with `orderUpdated`).
    #[graphql(guard = "RoleGuard::only(&[Role::Owner, Role::Staff])")]
    async fn order_placed(
        &self,
        ctx: &Context<'_>,
    ) -> Result<impl Stream<Item = async_graphql::Result<Order>> + use<>, AppError> {
        let identity = ctx.request().identity()?;
        Ok(ctx
            .service::<Orders>()
            .follow_all(identity, Kinds::Placed, ctx.data_opt::<Since>().copied())
            .map(order_after))
    }

    /// Every event of the orders the caller may see, in commit order, from now on; with `after` (the
    /// id of an event of the store, as a previous subscription heard it), first every later event,
    /// then live: a client that reconnects resumes with no gap and no repeat.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn order_events(
        &self,
        ctx: &Context<'_>,
        after: Option<ID>,
    ) -> Result<impl Stream<Item = async_graphql::Result<OrderEvent>> + use<>, AppError> {
        let identity = ctx.request().identity()?;
        let after = match after {
            Some(id) => {
                Some(parse_id(&id).ok_or_else(|| AppError::bad_input("after", "not an event id"))?)
            }
            None => None,
        };
        Ok(ctx
            .service::<Orders>()
            .follow_after(identity, after, ctx.data_opt::<Since>().copied())
            .await?
            .map(|heard| match heard {
                Heard::Event(logged) => Ok(OrderEvent::heard(logged.event, logged.order)),
                Heard::Ended(err) => Err(err.into()),
            }))
    }
}

/// The order as the event a subscriber heard left it. Its nested fields load when asked.
fn order_after(heard: Heard) -> async_graphql::Result<Order> {
    match heard {
        Heard::Event(logged) => Ok(Order::new(
            logged.event.order_after(&logged.order),
            std::sync::Arc::default(),
        )),
        Heard::Ended(err) => Err(err.into()),
    }
}
