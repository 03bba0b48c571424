//! Store webhooks (CONTRACT.md section 8): owners register endpoints, and each matching order event is
//! POSTed to them, signed, at least once, retried for a day.
//!
//! - `service`: the owner's operations (`Webhooks`); `graphql`: their GraphQL face;
//! - `worker`: the background work of every instance (making deliveries from the event log, attempting
//!   them, pruning old events);
//! - `endpoint`: where a webhook may call and the HTTP client; `signature` and `payload`: what is sent;
//! - `store` and `model`: the queries and rows.

pub mod endpoint;
pub mod graphql;
pub mod model;
pub mod payload;
pub mod service;
pub mod signature;
pub mod store;
pub mod worker;

pub use service::Webhooks;
