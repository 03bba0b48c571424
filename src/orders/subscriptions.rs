//! The order subscriptions: the GraphQL face of following orders (`orders::follow`).

use std::sync::Arc;

use async_graphql::{Context, ErrorExtensions as _, ID, Subscription};
use futures_util::{Stream, StreamExt as _};

use crate::error::{AppError, Code};
use crate::graphql::ContextExt as _;
use crate::graphql::pagination::parse_id;
use crate::identity::{Role, RoleGuard};
use crate::orders::Orders;
use crate::orders::events::OrderEventKind;
use crate::orders::follow::Heard;
use crate::orders::graphql::Order;

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
        let identity = ctx.request().identity()?;
        let orders = ctx.service::<Orders>();
        Ok(match id {
            Some(id) => orders
                .follow_order(identity, parse_id(&id))
                .await?
                .map(answer)
                .boxed(),
            None => orders
                .follow_all(identity, OrderEventKind::Updated)
                .map(answer)
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
            .follow_all(identity, OrderEventKind::Placed)
            .map(answer))
    }
}

/// What a subscriber receives for what its follower heard. An order's nested fields load when asked.
fn answer(heard: Heard) -> async_graphql::Result<Order> {
    match heard {
        Heard::Order(row) => Ok(Order::new(row, Arc::default())),
        Heard::Missed(missed) => Err(events_missed(missed)),
        Heard::Ended(err) => Err(err.into()),
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
