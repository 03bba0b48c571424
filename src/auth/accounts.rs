//! Account flows: opening a store, signing up as a customer, signing in. Each checks its input, writes in
//! one transaction, and hands back the tokens of the signed-in user.

use crate::auth::refresh;
use crate::auth::tokens::Subject;
use std::net::IpAddr;

use crate::db::{self, Conn, TenantId, now};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::transaction;
use crate::users::model::NewUser;
use crate::users::{Role, UserRow};
use crate::validation;
use crate::vendors::VendorRow;
use crate::vendors::model::NewVendor;
use crate::{users, vendors};

/// A user signed in: what `AuthPayload` shows.
pub struct SignedIn {
    pub access_token: String,
    pub refresh_token: String,
    pub user: UserRow,
    pub vendor: VendorRow,
}

/// The person part of a sign-up, as given by the client.
pub struct NewAccount<'a> {
    pub username: &'a str,
    pub email: &'a str,
    pub password: &'a str,
    pub first_name: Option<&'a str>,
    pub last_name: Option<&'a str>,
}

/// A store's part of `registerVendor`, as given by the client.
pub struct NewStore<'a> {
    pub store_name: &'a str,
    pub domain: &'a str,
    pub contact_email: Option<&'a str>,
}

/// An account whose fields passed the rules, with its password hashed.
struct CheckedAccount {
    username: String,
    email: String,
    password_hash: String,
    first_name: String,
    last_name: String,
}

impl CheckedAccount {
    /// Checks the fields, then counts the sign-up against its address's limit, then hashes.
    async fn check(
        state: &AppState,
        account: &NewAccount<'_>,
        address: Option<IpAddr>,
    ) -> AppResult<Self> {
        let username = validation::username("username", account.username)?;
        let email = validation::email("email", account.email)?;
        validation::password("password", account.password)?;
        let first_name = validation::person_name("firstName", account.first_name)?;
        let last_name = validation::person_name("lastName", account.last_name)?;
        // Hashing is the slow part: it comes after every cheap check, and is throttled per address.
        state
            .throttle
            .sign_up(address, state.config.signups_per_address)?;
        let password_hash = state.passwords.hash(account.password).await?;
        Ok(Self {
            username,
            email,
            password_hash,
            first_name,
            last_name,
        })
    }

    fn row<'a>(&'a self, vendor_id: i64, role: Role) -> NewUser<'a> {
        let at = now();
        NewUser {
            vendor_id,
            username: &self.username,
            email: &self.email,
            password_hash: &self.password_hash,
            first_name: &self.first_name,
            last_name: &self.last_name,
            role: role.as_str(),
            is_active: true,
            created_at: at,
            updated_at: at,
        }
    }
}

/// Opens a store and its owner's account, and signs the owner in.
pub async fn register_vendor(
    state: &AppState,
    store: &NewStore<'_>,
    owner: &NewAccount<'_>,
    address: Option<IpAddr>,
) -> AppResult<SignedIn> {
    let store_name = validation::store_name("storeName", store.store_name)?;
    let domain = validation::domain("domain", store.domain)?;
    let contact_email = store
        .contact_email
        .filter(|e| !e.trim().is_empty())
        .map(|e| validation::email("contactEmail", e))
        .transpose()?;
    let owner = CheckedAccount::check(state, owner, address).await?;

    let mut pooled = state.db.unscoped().await?;
    transaction!(&mut pooled.conn(), |conn| {
        let at = now();
        let vendor = vendors::store::insert(
            conn,
            &NewVendor {
                store_name: &store_name,
                domain: &domain,
                contact_email: contact_email.as_deref(),
                created_at: at,
                updated_at: at,
            },
        )
        .await?;
        // From here on the new store is the tenant of this connection.
        db::set_tenant(conn, Some(vendor.tenant_id()));
        let user = users::store::insert(conn, &owner.row(vendor.id, Role::Owner)).await?;
        sign_in(state, conn, vendor, user, None).await
    })
}

/// Signs up a customer of the store and signs them in. Owners and staff are never made here.
pub async fn register_customer(
    state: &AppState,
    tenant: TenantId,
    account: &NewAccount<'_>,
    address: Option<IpAddr>,
) -> AppResult<SignedIn> {
    let account = CheckedAccount::check(state, account, address).await?;
    let mut pooled = state.db.tenant(tenant).await?;
    transaction!(&mut pooled.conn(), |conn| {
        let user = users::store::insert(conn, &account.row(tenant.0, Role::Customer)).await?;
        let vendor = store_of(conn, tenant).await?;
        sign_in(state, conn, vendor, user, None).await
    })
}

/// The vendor row of a tenant known to exist (its users do).
async fn store_of(conn: &mut Conn<'_>, tenant: TenantId) -> AppResult<VendorRow> {
    vendors::store::find(conn, tenant)
        .await?
        .ok_or(AppError::TenantNotFound)
}

/// Checks a username and password in the store. An unknown user, a wrong password and a deactivated
/// account give the same answer after about the same time. Failures are throttled per account and per
/// client address.
pub async fn login(
    state: &AppState,
    tenant: TenantId,
    username: &str,
    password: &str,
    client: Option<IpAddr>,
) -> AppResult<SignedIn> {
    state.throttle.check(tenant, username, client)?;
    // No pooled connection is held while bcrypt runs: a flood of logins queued on the hasher must not
    // take every connection from the requests that only read.
    let user = {
        let mut pooled = state.db.tenant(tenant).await?;
        users::store::find_by_username(&mut pooled.conn(), tenant, username).await?
    };
    let verified = match &user {
        Some(user) => {
            state
                .passwords
                .verify(password, &user.password_hash)
                .await?
        }
        None => state.passwords.verify_dummy(password).await?,
    };
    match user {
        Some(user) if verified && user.is_active => {
            state.throttle.succeeded(tenant, username);
            let mut pooled = state.db.tenant(tenant).await?;
            let conn = &mut pooled.conn();
            let vendor = store_of(conn, tenant).await?;
            sign_in(state, conn, vendor, user, None).await
        }
        _ => {
            state.throttle.failed(tenant, username, client);
            Err(AppError::Unauthenticated("wrong username or password"))
        }
    }
}

/// Adds a staff member to the owner's store.
pub async fn create_staff(
    state: &AppState,
    tenant: TenantId,
    account: &NewAccount<'_>,
) -> AppResult<UserRow> {
    // An owner adding staff is signed in and not throttled as sign-ups from strangers are.
    let account = CheckedAccount::check(state, account, None).await?;
    let mut pooled = state.db.tenant(tenant).await?;
    users::store::insert(&mut pooled.conn(), &account.row(tenant.0, Role::Staff)).await
}

/// Deactivates a staff member: they cannot sign in, their access tokens fail the per-request check at
/// once, and their refresh tokens are revoked.
pub async fn deactivate_staff(
    state: &AppState,
    tenant: TenantId,
    user_id: i64,
) -> AppResult<UserRow> {
    let mut pooled = state.db.tenant(tenant).await?;
    transaction!(&mut pooled.conn(), |conn| {
        let user = users::store::deactivate_staff(conn, tenant, user_id)
            .await?
            .ok_or(AppError::NotFound("no such staff member"))?;
        refresh::revoke_user(conn, tenant, user.id).await?;
        Ok(user)
    })
}

/// What presenting a refresh token came to.
enum Refreshed {
    Signed(Box<SignedIn>),
    /// The token was already used: its whole family is now revoked.
    Reused,
    Refused,
}

/// Trades a refresh token for a new pair. The old token dies; presenting a token that was already
/// traded revokes its whole family (someone else has it), and is refused.
pub async fn refresh(
    state: &AppState,
    token: &str,
    header_tenant: Option<TenantId>,
) -> AppResult<SignedIn> {
    let refused = || AppError::Unauthenticated("this refresh token is not valid");
    let (tenant, hash) = refresh::parse(token).ok_or_else(refused)?;
    if header_tenant.is_some_and(|header| header != tenant) {
        return Err(AppError::Forbidden("this token belongs to another store"));
    }
    let mut pooled = state.db.tenant(tenant).await?;
    let outcome = transaction!(&mut pooled.conn(), |conn| {
        let Some(row) = refresh::find(conn, tenant, &hash).await? else {
            return Ok(Refreshed::Refused);
        };
        if row.revoked_at.is_some() || row.expires_at <= now() {
            return Ok(Refreshed::Refused);
        }
        if !refresh::mark_rotated(conn, tenant, row.id).await? {
            refresh::revoke_family(conn, tenant, &row.family_id).await?;
            return Ok(Refreshed::Reused);
        }
        let user = users::store::find(conn, tenant, row.user_id).await?;
        let vendor = vendors::store::find(conn, tenant).await?;
        let (Some(user), Some(vendor)) = (user.filter(|u| u.is_active), vendor) else {
            return Ok(Refreshed::Refused);
        };
        let signed = sign_in(state, conn, vendor, user, Some(&row.family_id)).await?;
        Ok(Refreshed::Signed(Box::new(signed)))
    })?;
    match outcome {
        Refreshed::Signed(signed) => Ok(*signed),
        Refreshed::Reused => {
            tracing::warn!(
                tenant = tenant.0,
                "a rotated refresh token was presented again; its family is revoked"
            );
            Err(refused())
        }
        Refreshed::Refused => Err(refused()),
    }
}

/// Revokes the family of a refresh token; `false` when the token names nothing live.
pub async fn logout(state: &AppState, token: &str) -> AppResult<bool> {
    let Some((tenant, hash)) = refresh::parse(token) else {
        return Ok(false);
    };
    let mut pooled = state.db.tenant(tenant).await?;
    transaction!(&mut pooled.conn(), |conn| {
        match refresh::find(conn, tenant, &hash).await? {
            Some(row) => Ok(refresh::revoke_family(conn, tenant, &row.family_id).await? > 0),
            None => Ok(false),
        }
    })
}

/// Changes the signed-in user's password after checking the current one (throttled like a login), and
/// revokes their refresh tokens: every other session must sign in again.
pub async fn change_password(
    state: &AppState,
    tenant: TenantId,
    user_id: i64,
    current: &str,
    new: &str,
    client: Option<IpAddr>,
) -> AppResult<()> {
    validation::password("newPassword", new)?;
    let user = {
        let mut pooled = state.db.tenant(tenant).await?;
        users::store::find(&mut pooled.conn(), tenant, user_id).await?
    }
    .ok_or(AppError::Unauthenticated("this account is not active"))?;
    state.throttle.check(tenant, &user.username, client)?;
    if !state.passwords.verify(current, &user.password_hash).await? {
        state.throttle.failed(tenant, &user.username, client);
        return Err(AppError::Unauthenticated("the current password is wrong"));
    }
    let hash = state.passwords.hash(new).await?;
    let mut pooled = state.db.tenant(tenant).await?;
    transaction!(&mut pooled.conn(), |conn| {
        users::store::set_password_hash(conn, tenant, user.id, &hash).await?;
        refresh::revoke_user(conn, tenant, user.id).await?;
        Ok(())
    })
}

/// Mints an access token and a refresh token (in `family`, or a new one) for `user`.
async fn sign_in(
    state: &AppState,
    conn: &mut Conn<'_>,
    vendor: VendorRow,
    user: UserRow,
    family: Option<&str>,
) -> AppResult<SignedIn> {
    let access_token = state.tokens.issue_access(&Subject {
        user_id: user.id,
        tenant_id: vendor.id,
        tenant_domain: &vendor.domain,
        role: user.role(),
    })?;
    let refresh_token = refresh::issue(
        conn,
        vendor.tenant_id(),
        user.id,
        family,
        state.config.refresh_token_ttl,
    )
    .await?;
    Ok(SignedIn {
        access_token,
        refresh_token,
        user,
        vendor,
    })
}
