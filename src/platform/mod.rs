//! The platform: its operators (platform admins, made from the command line) and what they do to the
//! stores it hosts: list them, suspend and reactivate them, each change logged with who and why. An
//! admin acts in no store and reads none of a store's products, orders or people; their requests run
//! on a pool of their own whose PostgreSQL role has no right on those tables (`Db::platform`).

pub mod graphql;
pub mod model;
pub mod service;
pub mod store;

pub use service::Platform;
