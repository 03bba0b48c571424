//! The API suite: the real service over HTTP, on SQLite and on PostgreSQL, one fresh database per test.
//! PostgreSQL must be running (see README "Tests"); the suite fails, never skips, when it is not.

mod harness;

mod accounts;
mod authorization;
mod catalog;
mod catalog_listing;
mod connections;
mod event_delivery;
mod hardening;
mod instances;
mod isolation;
mod limits;
mod observability;
mod orders;
mod outage;
mod platform;
mod properties;
mod request_context;
mod schema;
mod sessions;
mod sharding;
mod store_domains;
mod subscriptions;
mod text_inputs;
mod timeline;
mod transport;
mod typed_client;
mod webhooks;
