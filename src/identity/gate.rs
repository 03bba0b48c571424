//! The gate every request and every WebSocket passes: tenant and caller settled from the headers.
//!
//! - `X-Tenant-Domain` naming no vendor: 404 `TENANT_NOT_FOUND`;
//! - a bad, expired or non-access token, or one of a deactivated or deleted user: 401 `UNAUTHENTICATED`;
//! - a valid token of another tenant than the header's: 403 `FORBIDDEN`;
//! - a token without the header: the token's tenant;
//! - without the header, a `Host` that is a store's domain names that store, as the header would (a
//!   storefront on the store's own domain needs no custom header); a `Host` naming no store is ignored;
//! - a store suspended by the platform: 403 `STORE_SUSPENDED`, to everyone but a platform admin;
//! - a platform admin's token (no store): the admin, in no store, whatever store the headers name.

use std::net::IpAddr;
use std::sync::Arc;

use axum::http::HeaderMap;
use axum::http::header::{AUTHORIZATION, HOST};

use crate::db::{Db, TenantId};
use crate::error::{AppError, AppResult};
use crate::values::normalize_host;

use super::{
    Identity, KnownStore, RequestContext, Role, Tenant, TenantDirectory, TokenKeys, store,
};

pub const TENANT_HEADER: &str = "x-tenant-domain";
/// Longest `Host` looked up (a domain has at most 253 characters).
const MAX_HOST: usize = 253;

/// What settling an identity needs: the database (and the platform admins' pool), the token keys and
/// the domain directory.
#[derive(Clone)]
pub struct Gate {
    db: Db,
    platform: Db,
    tokens: Arc<TokenKeys>,
    tenants: Arc<TenantDirectory>,
}

impl Gate {
    pub fn new(
        db: Db,
        platform: Db,
        tokens: Arc<TokenKeys>,
        tenants: Arc<TenantDirectory>,
    ) -> Self {
        Self {
            db,
            platform,
            tokens,
            tenants,
        }
    }

    pub fn tokens(&self) -> &TokenKeys {
        &self.tokens
    }

    pub fn directory(&self) -> &TenantDirectory {
        &self.tenants
    }

    /// Settles tenant and identity from the headers; an `Err` is answered with its HTTP status at once.
    pub async fn resolve(
        &self,
        headers: &HeaderMap,
        client_ip: Option<IpAddr>,
    ) -> AppResult<RequestContext> {
        let domain = match headers.get(TENANT_HEADER) {
            Some(value) => {
                let text = value.to_str().map_err(|_| AppError::TenantNotFound)?;
                normalize_host(text)
            }
            None => None,
        };
        let bearer = bearer_token(headers)?;
        // The token is checked before any I/O: a forged one costs no database work.
        let claims = bearer
            .map(|token| self.tokens.verify_access(token))
            .transpose()?;
        let named = match domain {
            Some(domain) => {
                let known = self
                    .tenants
                    .find(&self.db, &domain)
                    .await?
                    .ok_or(AppError::TenantNotFound)?;
                Some((known, domain))
            }
            None => self.host_tenant(headers).await?,
        };
        let Some(claims) = claims else {
            return Ok(RequestContext {
                tenant: named.map(open_store).transpose()?,
                identity: None,
                platform_admin: None,
                client_ip,
            });
        };
        let (Some(tenant_id), Some(tenant_domain)) = (claims.tenant_id, claims.tenant_domain)
        else {
            // A platform admin's token (the only kind without a store): the admin acts in no store,
            // so a store the headers name is not theirs either, suspended or not.
            self.active_admin(claims.user_id).await?;
            return Ok(RequestContext {
                tenant: None,
                identity: None,
                platform_admin: Some(claims.user_id),
                client_ip,
            });
        };

        let token_tenant = TenantId(tenant_id);
        let header_tenant = match named {
            Some((known, _)) if known.id != token_tenant => {
                return Err(AppError::Forbidden("this token belongs to another store"));
            }
            Some(named) => Some(open_store(named)?),
            None => None,
        };
        // The account is read on every request, so a deactivated one stops working at once,
        // everywhere (and a suspended store's users with it). A user exists only inside their
        // store, so this also proves the store exists.
        let role = self.active_account(token_tenant, claims.user_id).await?;
        let tenant = header_tenant.unwrap_or(Tenant {
            id: token_tenant,
            domain: tenant_domain,
        });
        Ok(RequestContext {
            tenant: Some(tenant),
            identity: Some(Identity {
                user_id: claims.user_id,
                tenant_id: token_tenant,
                role,
            }),
            platform_admin: None,
            client_ip,
        })
    }

    /// The store the `Host` header names, when it names one (a host of no store is ignored).
    async fn host_tenant(&self, headers: &HeaderMap) -> AppResult<Option<(KnownStore, String)>> {
        let Some(host) = headers
            .get(HOST)
            .and_then(|value| value.to_str().ok())
            .and_then(normalize_host)
            .filter(|host| host.len() <= MAX_HOST)
        else {
            return Ok(None);
        };
        let found = self.tenants.find_host(&self.db, &host).await?;
        Ok(found.map(|known| (known, host)))
    }

    /// The user's role, when their account still works and their store is not suspended;
    /// `UNAUTHENTICATED` or `STORE_SUSPENDED` otherwise. Every request makes this check, and so does
    /// every operation and every event over a WebSocket: deactivation and suspension end every right
    /// at once, everywhere.
    /// The answer is remembered by the directory, which forgets it at once, on every instance, when
    /// the account or its store changes.
    pub async fn active_account(&self, tenant: TenantId, user_id: i64) -> AppResult<Role> {
        match self.tenants.account(&self.db, tenant, user_id).await? {
            Some((_, true)) => Err(AppError::StoreSuspended),
            Some((role, false)) => Ok(role),
            None => Err(AppError::Unauthenticated("this account is not active")),
        }
    }

    /// `UNAUTHENTICATED` unless the platform admin's account works (read on the admins' pool).
    async fn active_admin(&self, admin_id: i64) -> AppResult<()> {
        let mut pooled = self.platform.unscoped().await?;
        if store::active_admin(&mut pooled.conn(), admin_id).await? {
            Ok(())
        } else {
            Err(AppError::Unauthenticated("this account is not active"))
        }
    }

    /// Whether the store is suspended now (what an open socket checks when its store changes).
    pub async fn store_suspended(&self, tenant: TenantId) -> AppResult<bool> {
        Ok(self.tenants.suspended(&self.db, tenant).await?)
    }
}

/// The store a header names, unless it is suspended (`STORE_SUSPENDED` to all but a platform admin).
fn open_store((known, domain): (KnownStore, String)) -> AppResult<Tenant> {
    if known.suspended {
        return Err(AppError::StoreSuspended);
    }
    Ok(Tenant {
        id: known.id,
        domain,
    })
}

/// The token of an `Authorization: Bearer <token>` header; any other form of the header is refused.
pub fn bearer_token(headers: &HeaderMap) -> AppResult<Option<&str>> {
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
