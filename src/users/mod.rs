//! People of a store: owners, staff and customers. Every user belongs to exactly one vendor. Accounts
//! are opened and signed in by `auth`; this domain reads them.

pub mod graphql;
pub mod model;
pub mod service;
pub mod store;

pub use model::UserRow;
pub use service::People;
