//! Product rows: plain data (the GraphQL `Product` is made from them in `catalog::graphql`).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::products;

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = products)]
pub struct ProductRow {
    pub id: i64,
    pub vendor_id: i64,
    pub name: String,
    pub description: String,
    pub price_cents: i64,
    pub stock: i32,
    pub deleted_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// The name as it sorts (`name_key`).
    pub name_key: String,
}

/// How a name sorts: in lower case (the full Unicode folding, the same on both backends), compared
/// byte by byte.
pub fn name_key(name: &str) -> String {
    name.to_lowercase()
}

#[derive(Insertable)]
#[diesel(table_name = products)]
pub struct NewProduct {
    pub name: String,
    /// The name as it sorts (`name_key`).
    pub name_key: String,
    /// The words a search finds it by (`values::search_words`).
    pub search_name: String,
    pub search_description: String,
    pub description: String,
    pub price_cents: i64,
    pub stock: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// The fields an update sets; `None` leaves a field as it is.
#[derive(AsChangeset, Default)]
#[diesel(table_name = products)]
pub struct ProductChanges {
    pub name: Option<String>,
    pub name_key: Option<String>,
    pub search_name: Option<String>,
    pub search_description: Option<String>,
    pub description: Option<String>,
    pub price_cents: Option<i64>,
    pub stock: Option<i32>,
    pub updated_at: Option<NaiveDateTime>,
}

impl ProductChanges {
    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.description.is_none()
            && self.price_cents.is_none()
            && self.stock.is_none()
    }
}
