//! Following orders as they change: what the order subscriptions hear, with the same rights as the
//! order queries. A customer hears their own orders, staff the ones assigned to them, the owner all of
//! the store's, and nobody another store's.
//!
//! A follower keeps its place in the log (`LogPosition`) and hears every event after it exactly once, in
//! the log's order: live from the instance's feed, or read from the log itself when it resumes from an
//! event (`after`) or fell behind the feed. Nothing it may hear is ever skipped.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use futures_util::Stream;
use tokio::sync::broadcast::{self, error::RecvError};
use tokio::sync::watch;

use crate::db::TenantId;
use crate::error::{AppError, AppResult};
use crate::identity::{Identity, StoreChange};
use crate::orders::log;
use crate::orders::model::{EventKind, LogPosition, LoggedEvent, OrderScope};
use crate::orders::service::{Orders, scope_of};
use crate::orders::store;

/// Events read from the log at a time when replaying.
const REPLAY_PAGE: i64 = 100;

/// Which events a follower hears.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kinds {
    /// Orders placed.
    Placed,
    /// Changes after the placing: status changes, assignments, cancellations.
    Updates,
    /// Every event.
    All,
}

impl Kinds {
    fn include(self, kind: EventKind) -> bool {
        match self {
            Self::Placed => kind == EventKind::Placed,
            Self::Updates => kind != EventKind::Placed,
            Self::All => true,
        }
    }
}

/// Where the log stood when a subscription was asked for (the instance's reader's place then): the
/// subscription hears every event after it, even if its stream only starts a moment later. A socket
/// takes it as it reads the subscribe message, so once the socket has answered a later message (a
/// ping) the subscription is in place: a change made after that is heard.
#[derive(Clone, Copy, Debug)]
pub struct Since(Option<LogPosition>);

/// What a follower hears next.
pub enum Heard {
    /// An event of an order it may see, with the order as it was read.
    Event(LoggedEvent),
    /// The follower's account stopped working (or could not be checked), or the log could not be read:
    /// following ends.
    Ended(AppError),
}

impl Orders {
    /// Where the log stands now, for a subscription asked for now.
    pub fn since_now(&self) -> Since {
        Since(*self.events().head().borrow())
    }

    /// Events of `kinds` of every order the caller may see, from `since` (or now) on.
    pub fn follow_all(
        &self,
        identity: &Identity,
        kinds: Kinds,
        since: Option<Since>,
    ) -> impl Stream<Item = Heard> + use<> {
        Follower::new(self, identity, kinds, None, since).into_stream()
    }

    /// Every event of the orders the caller may see after the event `after` (an event of the caller's
    /// store that is still kept, `BAD_USER_INPUT` otherwise), then live.
    pub async fn follow_after(
        &self,
        identity: &Identity,
        after: Option<i64>,
        since: Option<Since>,
    ) -> AppResult<impl Stream<Item = Heard> + use<>> {
        let mut follower = Follower::new(self, identity, Kinds::All, None, since);
        if let Some(after) = after {
            let tenant = identity.tenant_id;
            let mut pooled = self.db().tenant(tenant).await?;
            let position = log::position_of(&mut pooled.conn(), tenant, after)
                .await?
                .ok_or_else(|| {
                    AppError::bad_input(
                        "after",
                        "no such event in this store (events are kept for a limited time): \
                         refetch, then subscribe without `after`",
                    )
                })?;
            follower.cursor = Some(position);
            follower.replaying = true;
        }
        Ok(follower.into_stream())
    }

    /// Changes to one order, which the caller must be able to see (`NOT_FOUND` otherwise).
    pub async fn follow_order(
        &self,
        identity: &Identity,
        order_id: Option<i64>,
        since: Option<Since>,
    ) -> AppResult<impl Stream<Item = Heard> + use<>> {
        let not_found = || AppError::NotFound("no such order");
        let id = order_id.ok_or_else(not_found)?;
        // Following starts before the check, so no change made from here on can be missed.
        let follower = Follower::new(self, identity, Kinds::Updates, Some(id), since);
        let tenant = identity.tenant_id;
        let mut pooled = self.db().tenant(tenant).await?;
        store::find(&mut pooled.conn(), tenant, scope_of(identity), id)
            .await?
            .ok_or_else(not_found)?;
        Ok(follower.into_stream())
    }
}

/// The next change heard (`None` when some were missed); never, once the directory is gone.
async fn next_change(
    changes: &mut Option<broadcast::Receiver<StoreChange>>,
) -> Option<StoreChange> {
    let Some(receiver) = changes else {
        return std::future::pending().await;
    };
    match receiver.recv().await {
        Ok(change) => Some(change),
        Err(broadcast::error::RecvError::Lagged(_)) => None,
        Err(broadcast::error::RecvError::Closed) => {
            *changes = None;
            std::future::pending().await
        }
    }
}

/// One follower: its place in the log, what it may hear, and for whom.
struct Follower {
    live: broadcast::Receiver<Arc<LoggedEvent>>,
    /// Changes of stores and accounts as this instance hears them: one of the follower's account or
    /// store ends the following at once when the account no longer works (a quiet subscription would
    /// otherwise look alive until its next event). `None` once the directory is gone.
    changes: Option<broadcast::Receiver<StoreChange>>,
    /// Where the instance's reader is; a follower without a place starts there.
    head: watch::Receiver<Option<LogPosition>>,
    /// The last event this follower has dealt with (heard, or passed over as not its own).
    cursor: Option<LogPosition>,
    /// Reading from the log rather than the feed, until a page comes back short.
    replaying: bool,
    /// Read from the log and not yet heard.
    pending: VecDeque<LoggedEvent>,
    /// Whether the account was checked for the page in `pending`.
    page_checked: bool,
    kinds: Kinds,
    only: Option<i64>,
    orders: Orders,
    identity: Identity,
}

impl Follower {
    fn new(
        orders: &Orders,
        identity: &Identity,
        kinds: Kinds,
        only: Option<i64>,
        since: Option<Since>,
    ) -> Self {
        // Subscribed before the place is read: nothing after the place can be missed.
        let live = orders.events().subscribe();
        let changes = Some(orders.gate().directory().subscribe());
        let head = orders.events().head();
        let now = *head.borrow();
        // Asked for at an earlier place: what came since is read from the log first.
        let (cursor, replaying) = match since {
            Some(Since(Some(at))) if now.is_some_and(|now| now > at) => (Some(at), true),
            _ => (now, false),
        };
        Self {
            live,
            changes,
            head,
            cursor,
            replaying,
            pending: VecDeque::new(),
            page_checked: false,
            kinds,
            only,
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

    /// Whether this follower hears `logged`: its kind, its order (when one was named), its store, and
    /// an order the caller could see right after the event (`OrderScope::hears`: a staff member
    /// hears an order from its assignment to them until it is assigned away).
    fn hears(&self, logged: &LoggedEvent) -> bool {
        self.kinds.include(logged.event.kind())
            && self.only.is_none_or(|id| id == logged.order.id)
            && logged.event.vendor_id == self.tenant().0
            && self.scope().hears(&logged.event, &logged.order)
    }

    /// Tries `attempt` a few times over about six seconds while the database does not answer: a
    /// moment's outage does not end the following.
    async fn patiently<T, F: Future<Output = AppResult<T>>>(
        attempt: impl Fn() -> F,
    ) -> AppResult<T> {
        let mut wait = Duration::from_millis(100);
        let mut tries = 0;
        loop {
            match attempt().await {
                Err(AppError::Unavailable | AppError::Internal) if tries < 6 => {
                    tokio::time::sleep(wait).await;
                    wait *= 2;
                    tries += 1;
                }
                done => return done,
            }
        }
    }

    /// Whether the caller's account still works (the check every request makes): a deactivated user
    /// stops hearing at once, as their requests stop working.
    async fn still_active(&self) -> AppResult<bool> {
        let gate = self.orders.gate();
        let (tenant, user) = (self.tenant(), self.identity.user_id);
        match Self::patiently(|| gate.active_account(tenant, user)).await {
            Ok(_) => Ok(true),
            Err(AppError::Unauthenticated(_)) => Ok(false),
            Err(err) => Err(err),
        }
    }

    /// The next page of the log after the cursor.
    async fn replay(&mut self, after: LogPosition) -> AppResult<()> {
        let (db, tenant, scope) = (self.orders.db().clone(), self.tenant(), self.scope());
        let page = Self::patiently(|| async {
            let mut pooled = db.tenant(tenant).await?;
            Ok(log::tenant_after(&mut pooled.conn(), tenant, scope, after, REPLAY_PAGE).await?)
        })
        .await?;
        self.replaying = page.len() as i64 == REPLAY_PAGE;
        if let Some(last) = page.last() {
            self.cursor = Some(last.event.log_position());
        }
        self.pending.extend(page);
        self.page_checked = false;
        Ok(())
    }

    /// The next event this follower hears; `None` when the feed is gone.
    async fn next(&mut self) -> Option<Heard> {
        loop {
            if let Some(logged) = self.pending.pop_front() {
                if !self.hears(&logged) {
                    continue;
                }
                // A replayed page is checked once: the events in it were all there already.
                if !self.page_checked {
                    if let Some(ended) = self.check().await {
                        return Some(ended);
                    }
                    self.page_checked = true;
                }
                return Some(Heard::Event(logged));
            }
            let cursor = match self.cursor {
                Some(cursor) => cursor,
                None => {
                    // The reader had not started when this follower did: from where it starts.
                    let start = *self.head.wait_for(Option::is_some).await.ok()?;
                    self.cursor = start;
                    continue;
                }
            };
            if self.replaying {
                if let Err(err) = self.replay(cursor).await {
                    return Some(Heard::Ended(err));
                }
                continue;
            }
            let received = tokio::select! {
                received = self.live.recv() => received,
                change = next_change(&mut self.changes) => {
                    if self.concerns(change) && let Some(ended) = self.check().await {
                        return Some(ended);
                    }
                    continue;
                }
            };
            match received {
                Ok(logged) => {
                    let position = logged.event.log_position();
                    if position <= cursor {
                        continue;
                    }
                    self.cursor = Some(position);
                    if self.hears(&logged) {
                        if let Some(ended) = self.check().await {
                            return Some(ended);
                        }
                        return Some(Heard::Event(LoggedEvent::clone(&logged)));
                    }
                }
                // Fell behind the feed: what it missed is in the log.
                Err(RecvError::Lagged(_)) => self.replaying = true,
                Err(RecvError::Closed) => return None,
            }
        }
    }

    /// Whether a change heard (`None`: some changes were missed) may concern the follower's account.
    fn concerns(&self, change: Option<StoreChange>) -> bool {
        match change {
            Some(StoreChange::Account(tenant, user)) => {
                tenant == self.tenant() && user == self.identity.user_id
            }
            Some(change) => change.concerns(self.tenant()),
            None => true,
        }
    }

    /// `None` while the account works; else how the following ends.
    async fn check(&self) -> Option<Heard> {
        match self.still_active().await {
            Ok(true) => None,
            Ok(false) => Some(Heard::Ended(AppError::Unauthenticated(
                "this account is not active",
            ))),
            Err(err) => Some(Heard::Ended(err)),
        }
    }

    /// What this follower hears, until the account stops working.
    fn into_stream(self) -> impl Stream<Item = Heard> + use<> {
        futures_util::stream::unfold(Some(self), |follower| async move {
            let mut follower = follower?;
            let heard = follower.next().await?;
            let go_on = !matches!(heard, Heard::Ended(_));
            Some((heard, go_on.then_some(follower)))
        })
    }
}
