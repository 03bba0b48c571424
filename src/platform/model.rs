//! Platform admin and suspension log rows.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{platform_admins, store_suspensions};

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = platform_admins)]
pub struct AdminRow {
    pub id: i64,
    pub username: String,
    pub password_hash: String,
    pub is_active: bool,
    pub created_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = platform_admins)]
pub struct NewAdmin<'a> {
    pub username: &'a str,
    pub password_hash: &'a str,
    pub is_active: bool,
    pub created_at: NaiveDateTime,
}

/// What an admin did to a store, as the log spells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Suspended,
    Reactivated,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Suspended => "suspended",
            Self::Reactivated => "reactivated",
        }
    }
}

/// One line of the suspension log.
#[derive(Insertable)]
#[diesel(table_name = store_suspensions)]
pub struct NewSuspension<'a> {
    pub vendor_id: i64,
    pub action: &'a str,
    pub reason: Option<&'a str>,
    pub admin_id: i64,
    pub at: NaiveDateTime,
}
