//! Vendors: the tenants. Each has a unique domain that names it in `X-Tenant-Domain`.

pub mod graphql;
pub mod model;
pub mod store;

pub use model::VendorRow;
