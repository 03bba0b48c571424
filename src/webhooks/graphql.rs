//! The webhook types, the owner's queries and mutations about them.

use async_graphql::connection::Connection;
use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};

use crate::db::TenantId;
use crate::error::AppResult;
use crate::graphql::ContextExt as _;
use crate::graphql::pagination::{DEFAULT_PAGE, IdCursor, Page, parse_id};
use crate::graphql::scalars::DateTime;
use crate::identity::{Role, RoleGuard};
use crate::webhooks::Webhooks;
use crate::webhooks::model::{DeliveryRow, DeliveryStatus, Topic, WebhookRow};

/// What an endpoint is sent.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::webhooks::model::Topic", name = "WebhookEvent")]
pub enum WebhookEventValue {
    /// `order.placed`: a customer placed an order.
    OrderPlaced,
    /// `order.updated`: an order's status changed, it was assigned or cancelled.
    OrderUpdated,
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(
    remote = "crate::webhooks::model::DeliveryStatus",
    name = "WebhookDeliveryStatus"
)]
pub enum DeliveryStatusValue {
    /// Not delivered yet; tried again at `nextAttemptAt`.
    Pending,
    /// An attempt was answered with a 2xx.
    Delivered,
    /// Given up: no attempt succeeded within a day.
    Failed,
}

/// An endpoint of the store's.
#[derive(SimpleObject)]
pub struct Webhook {
    id: ID,
    url: String,
    events: Vec<WebhookEventValue>,
    created_at: DateTime,
}

impl From<WebhookRow> for Webhook {
    fn from(row: WebhookRow) -> Self {
        Self {
            id: ID(row.id.to_string()),
            events: row.topics().into_iter().map(Into::into).collect(),
            url: row.url,
            created_at: row.created_at.into(),
        }
    }
}

/// A new endpoint and its signing secret, which is shown only here.
#[derive(SimpleObject)]
pub struct CreatedWebhook {
    webhook: Webhook,
    /// Verify each delivery's `X-Multistore-Signature` with it.
    secret: String,
}

#[derive(InputObject)]
pub struct CreateWebhookInput {
    /// `https`, to a public host.
    url: String,
    events: Vec<WebhookEventValue>,
}

/// One event's delivery to one endpoint.
#[derive(SimpleObject)]
pub struct WebhookDelivery {
    id: ID,
    event_id: ID,
    status: DeliveryStatusValue,
    /// Attempts made (or under way).
    attempts: i32,
    /// The HTTP status of the last answer; null when none came (no connection, a timeout).
    last_status_code: Option<i32>,
    /// When it is tried next (pending only).
    next_attempt_at: Option<DateTime>,
    created_at: DateTime,
}

impl From<DeliveryRow> for WebhookDelivery {
    fn from(row: DeliveryRow) -> Self {
        let status = row.status();
        Self {
            id: ID(row.id.to_string()),
            event_id: ID(row.event_id.to_string()),
            status: status.into(),
            attempts: row.attempts,
            last_status_code: row.last_status_code,
            next_attempt_at: (status == DeliveryStatus::Pending)
                .then_some(row.next_attempt_at)
                .flatten()
                .map(Into::into),
            created_at: row.created_at.into(),
        }
    }
}

/// The extra fields of an endpoint's page of deliveries.
pub struct DeliveryListing {
    tenant: TenantId,
    webhook_id: i64,
}

#[Object]
impl DeliveryListing {
    /// How many deliveries the endpoint has across all pages.
    async fn total_count(&self, ctx: &Context<'_>) -> AppResult<i64> {
        ctx.service::<Webhooks>()
            .count_deliveries(self.tenant, self.webhook_id)
            .await
    }
}

pub type WebhookDeliveryConnection = Connection<IdCursor, WebhookDelivery, DeliveryListing>;

#[derive(Default)]
pub struct WebhooksQuery;

#[Object]
impl WebhooksQuery {
    /// The store's endpoints, oldest first.
    #[graphql(guard = "RoleGuard::only(&[Role::Owner])")]
    async fn webhooks(&self, ctx: &Context<'_>) -> AppResult<Vec<Webhook>> {
        let tenant = ctx.request().tenant_id()?;
        let rows = ctx.service::<Webhooks>().list(tenant).await?;
        Ok(rows.into_iter().map(Webhook::from).collect())
    }

    /// An endpoint's deliveries, newest first.
    #[graphql(guard = "RoleGuard::only(&[Role::Owner])")]
    async fn webhook_deliveries(
        &self,
        ctx: &Context<'_>,
        webhook_id: ID,
        #[graphql(default = 20)] first: Option<i32>,
        after: Option<String>,
    ) -> AppResult<WebhookDeliveryConnection> {
        let tenant = ctx.request().tenant_id()?;
        let page = Page::new(first.unwrap_or(DEFAULT_PAGE), after.as_deref())?;
        let id = parse_id(&webhook_id);
        let rows = ctx
            .service::<Webhooks>()
            .deliveries(tenant, id, page.after, page.fetch_limit())
            .await?;
        let listing = DeliveryListing {
            tenant,
            webhook_id: id.unwrap_or_default(),
        };
        Ok(page.into_connection(rows, |row| row.id, WebhookDelivery::from, listing))
    }
}

#[derive(Default)]
pub struct WebhooksMutation;

#[Object]
impl WebhooksMutation {
    /// Registers an endpoint for some events; the answer holds its signing secret, shown only once.
    #[graphql(guard = "RoleGuard::only(&[Role::Owner])")]
    async fn create_webhook(
        &self,
        ctx: &Context<'_>,
        input: CreateWebhookInput,
    ) -> AppResult<CreatedWebhook> {
        let tenant = ctx.request().tenant_id()?;
        let topics: Vec<Topic> = input.events.into_iter().map(Into::into).collect();
        let row = ctx
            .service::<Webhooks>()
            .create(tenant, &input.url, &topics)
            .await?;
        Ok(CreatedWebhook {
            secret: row.secret.clone(),
            webhook: row.into(),
        })
    }

    /// Deletes an endpoint; nothing more is sent to it.
    #[graphql(guard = "RoleGuard::only(&[Role::Owner])")]
    async fn delete_webhook(&self, ctx: &Context<'_>, id: ID) -> AppResult<bool> {
        let tenant = ctx.request().tenant_id()?;
        ctx.service::<Webhooks>()
            .delete(tenant, parse_id(&id))
            .await?;
        Ok(true)
    }

    /// Sends a delivery again (a delivered or failed one is due now; retries go on for a day).
    #[graphql(guard = "RoleGuard::only(&[Role::Owner])")]
    async fn redeliver_webhook(
        &self,
        ctx: &Context<'_>,
        delivery_id: ID,
    ) -> AppResult<WebhookDelivery> {
        let tenant = ctx.request().tenant_id()?;
        let row = ctx
            .service::<Webhooks>()
            .redeliver(tenant, parse_id(&delivery_id))
            .await?;
        Ok(row.into())
    }
}
