//! Orders: placing them without ever overselling, following them, assigning staff, moving them through
//! their status machine and cancelling them (CONTRACT.md sections 4, 6 and 7).
//!
//! - `service`: what the operations do (`Orders`), each mutation in one transaction;
//! - `follow`: what a subscriber hears, with the rights of the order queries;
//! - `events`, `reader` and `listener`: this instance's feed of order events, read from the event log
//!   (`log`), and the wake-ups between instances;
//! - `store` and `model`: the queries and rows; `graphql` and `subscriptions`: the GraphQL face.

pub mod events;
pub mod follow;
pub mod graphql;
mod listener;
pub mod log;
pub mod model;
mod reader;
pub mod service;
pub mod store;
pub mod subscriptions;

pub use events::OrderEvents;
pub use model::{OrderItemRow, OrderRow, OrderStatus};
pub use service::Orders;
