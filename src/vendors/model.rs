//! Vendor rows.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::TenantId;
use crate::db::schema::{store_domains, vendors};

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = vendors)]
pub struct VendorRow {
    pub id: i64,
    pub store_name: String,
    pub domain: String,
    pub contact_email: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// When the platform suspended the store; `None` while it runs.
    pub suspended_at: Option<NaiveDateTime>,
}

impl VendorRow {
    pub fn tenant_id(&self) -> TenantId {
        TenantId(self.id)
    }
}

/// One of a store's domains.
#[derive(Queryable, Selectable, Insertable, Clone, Debug)]
#[diesel(table_name = store_domains)]
pub struct DomainRow {
    pub domain: String,
    pub vendor_id: i64,
    pub is_primary: bool,
    pub created_at: NaiveDateTime,
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
