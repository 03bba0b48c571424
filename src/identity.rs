//! Request identity: which store (tenant) and which user a request speaks for, settled before any
//! resolver runs, for HTTP requests and WebSocket connections alike. It lies below the domains and the
//! HTTP layer: both use it, it uses neither (it reads headers, not requests).
//!
//! - `X-Tenant-Domain` naming no vendor: 404 `TENANT_NOT_FOUND`;
//! - a bad, expired or non-access token, or one of a deactivated or deleted user: 401 `UNAUTHENTICATED`;
//! - a valid token of another tenant than the header's: 403 `FORBIDDEN`;
//! - a token without the header: the token's tenant.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::RwLock;

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;

use crate::db::{Db, TenantId};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::users::Role;
use crate::validation::normalize_tenant_header;
use crate::{users, vendors};

pub const TENANT_HEADER: &str = "x-tenant-domain";

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
    /// The peer address of the connection (used to throttle failed logins per address).
    pub client_ip: Option<IpAddr>,
}

impl RequestContext {
    /// The store this request is about, or `TENANT_REQUIRED`.
    pub fn tenant(&self) -> AppResult<&Tenant> {
        self.tenant.as_ref().ok_or(AppError::TenantRequired)
    }

    pub fn tenant_id(&self) -> AppResult<TenantId> {
        self.tenant().map(|tenant| tenant.id)
    }

    /// The signed-in user, or `UNAUTHENTICATED`.
    pub fn identity(&self) -> AppResult<&Identity> {
        self.identity.as_ref().ok_or(AppError::Unauthenticated(
            "sign in first: send Authorization: Bearer <access token>",
        ))
    }
}

/// Which store each domain names, remembered once seen. A store's domain never changes and stores are
/// never deleted, so an entry never goes stale, on any instance; unknown domains are not remembered (the
/// store may open a moment later, on another instance).
#[derive(Default)]
pub struct TenantDirectory {
    known: RwLock<HashMap<String, TenantId>>,
}

/// Entries kept before the directory starts over (it refills from the database as requests come).
const DIRECTORY_SIZE: usize = 100_000;

impl TenantDirectory {
    async fn find(&self, db: &Db, domain: &str) -> AppResult<Option<TenantId>> {
        if let Some(id) = read(&self.known).get(domain) {
            return Ok(Some(*id));
        }
        let mut pooled = db.unscoped().await?;
        let found = vendors::store::find_by_domain(&mut pooled.conn(), domain).await?;
        if let Some(vendor) = &found {
            let mut known = self
                .known
                .write()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if known.len() >= DIRECTORY_SIZE {
                known.clear();
            }
            known.insert(vendor.domain.clone(), vendor.tenant_id());
        }
        Ok(found.map(|vendor| vendor.tenant_id()))
    }
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Settles tenant and identity from the headers; an `Err` is answered with its HTTP status at once.
pub async fn resolve(
    state: &AppState,
    headers: &HeaderMap,
    client_ip: Option<IpAddr>,
) -> AppResult<RequestContext> {
    let domain = match headers.get(TENANT_HEADER) {
        Some(value) => {
            let text = value.to_str().map_err(|_| AppError::TenantNotFound)?;
            normalize_tenant_header(text)
        }
        None => None,
    };
    let bearer = bearer_token(headers)?;
    // The token is checked before any I/O: a forged one costs no database work.
    let claims = bearer
        .map(|token| state.tokens.verify_access(token))
        .transpose()?;
    let header_tenant = match domain {
        Some(domain) => {
            let id = state
                .tenants
                .find(&state.db, &domain)
                .await?
                .ok_or(AppError::TenantNotFound)?;
            Some(Tenant { id, domain })
        }
        None => None,
    };
    let Some(claims) = claims else {
        return Ok(RequestContext {
            tenant: header_tenant,
            identity: None,
            client_ip,
        });
    };

    let token_tenant = TenantId(claims.tenant_id);
    if let Some(tenant) = &header_tenant
        && tenant.id != token_tenant
    {
        return Err(AppError::Forbidden("this token belongs to another store"));
    }
    // The user is read on every request, so a deactivated account stops working at once, everywhere.
    // A user exists only inside their store, so this also proves the token's store exists.
    let user = active_user(state, token_tenant, claims.user_id).await?;
    let tenant = header_tenant.unwrap_or(Tenant {
        id: token_tenant,
        domain: claims.tenant_domain,
    });
    let identity = Identity {
        user_id: user.id,
        tenant_id: token_tenant,
        role: user.role(),
    };
    Ok(RequestContext {
        tenant: Some(tenant),
        identity: Some(identity),
        client_ip,
    })
}

/// The user, when their account still works; `UNAUTHENTICATED` otherwise. Every request makes this
/// check, and so does every operation and every event over a WebSocket: deactivation ends every right
/// at once, everywhere.
pub async fn active_user(
    state: &AppState,
    tenant: TenantId,
    user_id: i64,
) -> AppResult<users::UserRow> {
    let mut pooled = state.db.tenant(tenant).await?;
    users::store::find(&mut pooled.conn(), tenant, user_id)
        .await?
        .filter(|user| user.is_active)
        .ok_or(AppError::Unauthenticated("this account is not active"))
}

/// The token of an `Authorization: Bearer <token>` header; any other form of the header is refused.
pub(crate) fn bearer_token(headers: &HeaderMap) -> AppResult<Option<&str>> {
    let Some(value) = headers.get(AUTHORIZATION) else {
        return Ok(None);
    };
    let malformed =
        || AppError::Unauthenticated("the Authorization header must be: Bearer <access token>");
    let text = value.to_str().map_err(|_| malformed())?.trim();
    let (scheme, token) = text.split_once(' ').ok_or_else(malformed)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(malformed());
    }
    Ok(Some(token))
}
