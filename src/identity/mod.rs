//! Request identity: which store (tenant) and which user a request speaks for, settled before any
//! resolver runs, for HTTP requests and WebSocket connections alike. It lies below the domains and the
//! HTTP layer: both use it, it uses neither (it reads headers, not requests).
//!
//! - `gate`: settles a request's identity from its headers (`Gate::resolve`), and checks an account
//!   again for every WebSocket operation and event (`Gate::active_account`);
//! - `tokens`: access tokens (JWT), minted at sign-in by `auth` and verified here;
//! - `directory`: which store each domain names, and which stores are suspended, forgotten at once
//!   when a store changes (`changes`: how every instance hears of it);
//! - `guard`: `RoleGuard` and `PlatformGuard`, who may call a field;
//! - `store`: the lookups the gate makes (a store by its domain, an account's status, an admin's).

pub mod changes;
mod directory;
mod gate;
mod guard;
mod store;
pub mod tokens;

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::db::TenantId;
use crate::error::{AppError, AppResult};

pub use directory::{KnownStore, StoreChange, TenantDirectory};
pub use gate::{Gate, TENANT_HEADER, bearer_token};
pub use guard::{PlatformGuard, RoleGuard};
pub use tokens::{AccessClaims, Subject, TokenKeys, TokenRole};

/// What a user may do in their store: the owner runs it, staff manage products and the orders assigned
/// to them, customers order and follow their own orders.
// Stored in lower case (`owner`), as the tokens' `role` claim spells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Owner,
    Staff,
    Customer,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Staff => "staff",
            Self::Customer => "customer",
        }
    }

    /// Reads a stored role; the column's CHECK constraint allows nothing else, so an unknown value can
    /// only come from a broken database and is treated as the least privileged role.
    pub fn from_db(value: &str) -> Self {
        match value {
            "owner" => Self::Owner,
            "staff" => Self::Staff,
            _ => Self::Customer,
        }
    }
}

/// The caller, as checked against the database for this request.
#[derive(Clone, Debug)]
pub struct Identity {
    pub user_id: i64,
    pub tenant_id: TenantId,
    pub role: Role,
}

/// The store a request is about: its id, and the domain it is known by.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tenant {
    pub id: TenantId,
    pub domain: String,
}

#[derive(Clone, Debug, Default)]
pub struct RequestContext {
    pub tenant: Option<Tenant>,
    pub identity: Option<Identity>,
    /// The platform admin making the request (their id), who acts in no store: such a request has no
    /// tenant and no store identity.
    pub platform_admin: Option<i64>,
    /// The peer address of the connection (used to throttle failed logins per address).
    pub client_ip: Option<IpAddr>,
}

/// What a platform admin gets from any operation of a store.
const NOT_FOR_ADMINS: AppError =
    AppError::Forbidden("a platform admin may only list, suspend and reactivate stores");

impl RequestContext {
    /// The store this request is about, or `TENANT_REQUIRED`. A platform admin is in no store: every
    /// store operation is `FORBIDDEN` to them, the public ones (the catalog) included.
    pub fn tenant(&self) -> AppResult<&Tenant> {
        self.not_platform_admin()?;
        self.tenant.as_ref().ok_or(AppError::TenantRequired)
    }

    pub fn tenant_id(&self) -> AppResult<TenantId> {
        self.tenant().map(|tenant| tenant.id)
    }

    /// The signed-in user, or `UNAUTHENTICATED` (`FORBIDDEN` for a platform admin).
    pub fn identity(&self) -> AppResult<&Identity> {
        self.not_platform_admin()?;
        self.identity.as_ref().ok_or(AppError::Unauthenticated(
            "sign in first: send Authorization: Bearer <access token>",
        ))
    }

    /// `FORBIDDEN` for a platform admin: for the operations that need no store (opening a store,
    /// trading a refresh token), which an admin may not make either.
    pub fn not_platform_admin(&self) -> AppResult<()> {
        match self.platform_admin {
            Some(_) => Err(NOT_FOR_ADMINS),
            None => Ok(()),
        }
    }

    /// The platform admin making the request; `UNAUTHENTICATED` for no one, `FORBIDDEN` for a store's
    /// user.
    pub fn platform_admin(&self) -> AppResult<i64> {
        match (self.platform_admin, &self.identity) {
            (Some(admin), _) => Ok(admin),
            (None, Some(_)) => Err(AppError::Forbidden("only a platform admin may do this")),
            (None, None) => Err(AppError::Unauthenticated(
                "sign in as a platform admin first (adminLogin)",
            )),
        }
    }
}
