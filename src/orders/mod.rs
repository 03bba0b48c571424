//! Orders: placing them without ever overselling, following them, assigning staff, moving them through
//! their status machine and cancelling them (CONTRACT.md sections 4, 6 and 7).

pub mod flows;
pub mod graphql;
pub mod loaders;
pub mod model;
pub mod store;
pub mod subscriptions;

pub use model::{OrderItemRow, OrderRow, OrderStatus};
