//! The catalog: a store's products. Public to read within the store; owners and staff write.
//! A deleted product leaves the catalog but stays in the table, so orders keep their lines.

pub mod graphql;
pub mod listing;
pub mod listing_store;
pub mod model;
pub mod refold;
mod search_sql;
pub mod service;
pub mod store;

pub use model::ProductRow;
pub use service::Catalog;
