//! Webhook rows and what a delivery's state means: plain data.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{webhook_deliveries, webhooks};
use crate::orders::model::EventKind;

/// What an endpoint is sent: `order.placed`, or `order.updated` (every change after the placing).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Topic {
    OrderPlaced,
    OrderUpdated,
}

impl Topic {
    pub fn of(kind: EventKind) -> Self {
        match kind {
            EventKind::Placed => Self::OrderPlaced,
            _ => Self::OrderUpdated,
        }
    }

    /// The payload's `type`.
    pub fn name(self) -> &'static str {
        match self {
            Self::OrderPlaced => "order.placed",
            Self::OrderUpdated => "order.updated",
        }
    }
}

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = webhooks)]
pub struct WebhookRow {
    pub vendor_id: i64,
    pub id: i64,
    pub url: String,
    pub on_placed: bool,
    pub on_updated: bool,
    pub secret: String,
    pub created_at: NaiveDateTime,
}

impl WebhookRow {
    pub fn topics(&self) -> Vec<Topic> {
        let mut topics = Vec::new();
        if self.on_placed {
            topics.push(Topic::OrderPlaced);
        }
        if self.on_updated {
            topics.push(Topic::OrderUpdated);
        }
        topics
    }

    pub fn wants(&self, topic: Topic) -> bool {
        match topic {
            Topic::OrderPlaced => self.on_placed,
            Topic::OrderUpdated => self.on_updated,
        }
    }
}

#[derive(Insertable)]
#[diesel(table_name = webhooks)]
pub struct NewWebhook<'a> {
    pub url: &'a str,
    pub on_placed: bool,
    pub on_updated: bool,
    pub secret: &'a str,
    pub created_at: NaiveDateTime,
}

/// Where a delivery stands. Stored in lower case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Not delivered yet; tried again at `next_attempt_at`.
    Pending,
    /// An attempt was answered with a 2xx.
    Delivered,
    /// Given up: no attempt succeeded within the retry window.
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
        }
    }

    /// Reads a stored status; the column's CHECK constraint allows nothing else.
    pub fn from_db(value: &str) -> Self {
        match value {
            "delivered" => Self::Delivered,
            "failed" => Self::Failed,
            _ => Self::Pending,
        }
    }
}

#[derive(Queryable, QueryableByName, Selectable, Clone, Debug)]
#[diesel(table_name = webhook_deliveries)]
pub struct DeliveryRow {
    pub vendor_id: i64,
    pub id: i64,
    pub webhook_id: i64,
    pub event_id: i64,
    pub status: String,
    pub attempts: i32,
    pub last_status_code: Option<i32>,
    pub next_attempt_at: Option<NaiveDateTime>,
    pub retry_until: NaiveDateTime,
    pub created_at: NaiveDateTime,
}

impl DeliveryRow {
    pub fn status(&self) -> DeliveryStatus {
        DeliveryStatus::from_db(&self.status)
    }
}

#[derive(Insertable, Clone, Debug)]
#[diesel(table_name = webhook_deliveries)]
pub struct NewDelivery {
    pub vendor_id: i64,
    pub webhook_id: i64,
    pub event_id: i64,
    pub status: &'static str,
    pub next_attempt_at: NaiveDateTime,
    pub retry_until: NaiveDateTime,
    pub created_at: NaiveDateTime,
}
