//! The request context: which store (tenant) and which user a request speaks for, settled before any
//! resolver runs (CONTRACT.md section 2).
//!
//! - `X-Tenant-Domain` naming no vendor: 404 `TENANT_NOT_FOUND`;
//! - a bad, expired or non-access token, or one of a deactivated or deleted user: 401 `UNAUTHENTICATED`;
//! - a valid token of another tenant than the header's: 403 `FORBIDDEN`;
//! - a token without the header: the token's tenant.

use std::net::IpAddr;

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;

use crate::db::TenantId;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::users::Role;
use crate::validation::normalize_tenant_header;
use crate::vendors::VendorRow;
use crate::{users, vendors};

pub const TENANT_HEADER: &str = "x-tenant-domain";

/// The caller, as checked against the database for this request.
#[derive(Clone, Debug)]
pub struct Identity {
    pub user_id: i64,
    pub tenant_id: TenantId,
    pub role: Role,
}

#[derive(Clone, Debug, Default)]
pub struct RequestContext {
    pub tenant: Option<VendorRow>,
    pub identity: Option<Identity>,
    /// The peer address of the connection (used to throttle failed logins per address).
    pub client_ip: Option<IpAddr>,
}

impl RequestContext {
    /// The store this request is about, or `TENANT_REQUIRED`.
    pub fn tenant(&self) -> AppResult<&VendorRow> {
        self.tenant.as_ref().ok_or(AppError::TenantRequired)
    }

    pub fn tenant_id(&self) -> AppResult<TenantId> {
        self.tenant().map(VendorRow::tenant_id)
    }

    /// The signed-in user, or `UNAUTHENTICATED`.
    pub fn identity(&self) -> AppResult<&Identity> {
        self.identity.as_ref().ok_or(AppError::Unauthenticated(
            "sign in first: send Authorization: Bearer <access token>",
        ))
    }
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
    if domain.is_none() && bearer.is_none() {
        return Ok(RequestContext {
            client_ip,
            ..RequestContext::default()
        });
    }
    // The token is checked before any I/O: a forged one costs no database work.
    let claims = bearer
        .map(|token| state.tokens.verify_access(token))
        .transpose()?;

    // Stores are visible to every connection; the token's tenant (if any) is set once, for the user check.
    let token_tenant = claims.as_ref().map(|claims| TenantId(claims.tenant_id));
    let mut pooled = match token_tenant {
        Some(tenant) => state.db.tenant(tenant).await?,
        None => state.db.unscoped().await?,
    };
    let conn = &mut pooled.conn();
    let header_vendor = match &domain {
        Some(domain) => Some(
            vendors::store::find_by_domain(conn, domain)
                .await?
                .ok_or(AppError::TenantNotFound)?,
        ),
        None => None,
    };
    let Some(claims) = claims else {
        return Ok(RequestContext {
            tenant: header_vendor,
            identity: None,
            client_ip,
        });
    };

    let token_tenant = TenantId(claims.tenant_id);
    if let Some(vendor) = &header_vendor
        && vendor.tenant_id() != token_tenant
    {
        return Err(AppError::Forbidden("this token belongs to another store"));
    }
    // The user is read on every request, so a deactivated account stops working at once, everywhere.
    let user = users::store::find(conn, token_tenant, claims.user_id)
        .await?
        .filter(|user| user.is_active)
        .ok_or(AppError::Unauthenticated("this account is not active"))?;
    let tenant = match header_vendor {
        Some(vendor) => vendor,
        None => vendors::store::find(conn, token_tenant)
            .await?
            .ok_or(AppError::Unauthenticated("this account is not active"))?,
    };
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

/// The token of an `Authorization: Bearer <token>` header; any other form of the header is refused.
fn bearer_token(headers: &HeaderMap) -> AppResult<Option<&str>> {
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
