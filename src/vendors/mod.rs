//! Vendors: the tenants. Each has a unique domain that names it in `X-Tenant-Domain`. Stores are opened
//! by `auth` (with their owner); this domain reads and changes them.

pub mod graphql;
pub mod model;
pub mod service;
pub mod store;

pub use model::VendorRow;
pub use service::{StoreChanges, Stores};
