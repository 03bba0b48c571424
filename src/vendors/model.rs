//! Vendor rows.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::TenantId;
use crate::db::schema::vendors;

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = vendors)]
pub struct VendorRow {
    pub id: i64,
    pub store_name: String,
    pub domain: String,
    pub contact_email: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl VendorRow {
    pub fn tenant_id(&self) -> TenantId {
        TenantId(self.id)
    }
}

#[derive(Insertable)]
#[diesel(table_name = vendors)]
pub struct NewVendor<'a> {
    pub store_name: &'a str,
    pub domain: &'a str,
    pub contact_email: Option<&'a str>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}
