//! People of a store: owners, staff and customers. Every user belongs to exactly one vendor.

pub mod graphql;
pub mod model;
pub mod store;

pub use model::{Role, UserRow};
