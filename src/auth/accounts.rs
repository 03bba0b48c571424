//! The account service: opening a store, signing up as a customer, signing in, refreshing, signing out,
//! changing a password, adding and deactivating staff. Each takes parsed input (`crate::values`), writes
//! in one transaction, and hands back the tokens of the signed-in user.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDateTime;

use crate::auth::store::Revoked;
use crate::auth::throttle::LoginThrottle;
use crate::auth::{Passwords, refresh, store};
use crate::config::Config;
use crate::db::{self, Conn, Db, TenantId, now};
use crate::error::{AppError, AppResult};
use crate::identity::{Role, StoreChange, Subject, TenantDirectory, TokenKeys};
use crate::transaction;
use crate::users::UserRow;
use crate::users::model::NewUser;
use crate::values::{Domain, Email, Password, PersonName, StoreName, Username};
use crate::vendors::VendorRow;
use crate::vendors::model::{DomainRow, NewVendor};
use crate::vendors::service::DOMAIN_TAKEN;
use crate::{platform, users, vendors};

/// A user signed in: what `AuthPayload` shows.
pub struct SignedIn {
    pub access_token: String,
    pub refresh_token: String,
    pub user: UserRow,
    pub vendor: VendorRow,
}

/// The person part of a sign-up.
pub struct AccountDraft {
    pub username: Username,
    pub email: Email,
    pub password: Password,
    pub first_name: PersonName,
    pub last_name: PersonName,
}

/// A store's part of `registerVendor`.
pub struct StoreDraft {
    pub store_name: StoreName,
    pub domain: Domain,
    pub contact_email: Option<Email>,
}

/// An account ready to be written, its password hashed.
struct HashedAccount {
    draft: AccountDraft,
    password_hash: String,
}

impl HashedAccount {
    fn row(&self, role: Role) -> NewUser<'_> {
        let at = now();
        NewUser {
            username: &self.draft.username,
            email: &self.draft.email,
            password_hash: &self.password_hash,
            first_name: &self.draft.first_name,
            last_name: &self.draft.last_name,
            role: role.as_str(),
            is_active: true,
            created_at: at,
            updated_at: at,
        }
    }
}

/// What presenting a refresh token came to.
enum Refreshed {
    Signed(Box<SignedIn>),
    /// The token was already used: its whole family is now revoked.
    Reused,
    Refused,
}

/// The account service: the database, the token keys it mints with, the password hasher and the
/// throttles of failed logins and sign-ups.
#[derive(Clone)]
pub struct Accounts {
    db: Db,
    /// The platform admins' pool (their sign-in).
    platform: Db,
    directory: Arc<TenantDirectory>,
    tokens: Arc<TokenKeys>,
    passwords: Passwords,
    throttle: Arc<LoginThrottle>,
    refresh_ttl: Duration,
    signups_per_address: u32,
}

impl Accounts {
    pub fn new(
        db: Db,
        platform: Db,
        tokens: Arc<TokenKeys>,
        directory: Arc<TenantDirectory>,
        config: &Config,
    ) -> Self {
        Self {
            db,
            platform,
            directory,
            tokens,
            passwords: Passwords::new(config.bcrypt_cost),
            throttle: Arc::default(),
            refresh_ttl: config.refresh_token_ttl,
            signups_per_address: config.signups_per_address,
        }
    }

    /// Counts a sign-up against its address's limit, then hashes: hashing is the slow part, so it
    /// comes after every cheap check and is throttled per address.
    async fn hashed(
        &self,
        draft: AccountDraft,
        address: Option<IpAddr>,
    ) -> AppResult<HashedAccount> {
        self.throttle.sign_up(address, self.signups_per_address)?;
        let password_hash = self.passwords.hash(&draft.password).await?;
        Ok(HashedAccount {
            draft,
            password_hash,
        })
    }

    /// Opens a store and its owner's account, and signs the owner in.
    pub async fn register_vendor(
        &self,
        store: StoreDraft,
        owner: AccountDraft,
        address: Option<IpAddr>,
    ) -> AppResult<SignedIn> {
        self.directory.claimable("domain", &store.domain)?;
        let owner = self.hashed(owner, address).await?;
        let mut pooled = self.db.unscoped().await?;
        let signed_in = transaction!(&mut pooled.conn(), AppError, |conn| {
            let at = now();
            let vendor = vendors::store::insert(
                conn,
                &NewVendor {
                    store_name: &store.store_name,
                    domain: &store.domain,
                    contact_email: store.contact_email.as_deref(),
                    created_at: at,
                    updated_at: at,
                },
            )
            .await
            .map_err(|err| AppError::taken(err, "domain", DOMAIN_TAKEN))?;
            // From here on the new store is the tenant of this connection.
            let tenant = vendor.tenant_id();
            db::set_tenant(conn, Some(tenant));
            // The domain names no store, not even as another store's second domain.
            let primary = DomainRow {
                domain: vendor.domain.clone(),
                vendor_id: vendor.id,
                is_primary: true,
                created_at: at,
            };
            vendors::store::insert_domain(conn, &primary)
                .await
                .map_err(|err| AppError::taken(err, "domain", DOMAIN_TAKEN))?;
            // Hosts that named no store may name this one now, on every instance.
            TenantDirectory::announce(conn, StoreChange::Store(tenant)).await?;
            let user = insert_user(conn, tenant, &owner, Role::Owner).await?;
            self.sign_in(conn, vendor, user, None).await
        })?;
        self.directory
            .changed(StoreChange::Store(signed_in.vendor.tenant_id()));
        Ok(signed_in)
    }

    /// Signs up a customer of the store and signs them in. Owners and staff are never made here.
    pub async fn register_customer(
        &self,
        tenant: TenantId,
        account: AccountDraft,
        address: Option<IpAddr>,
    ) -> AppResult<SignedIn> {
        let account = self.hashed(account, address).await?;
        let mut pooled = self.db.tenant(tenant).await?;
        transaction!(&mut pooled.conn(), AppError, |conn| {
            let user = insert_user(conn, tenant, &account, Role::Customer).await?;
            let vendor = store_of(conn, tenant).await?;
            self.sign_in(conn, vendor, user, None).await
        })
    }

    /// Checks a username and password in the store. An unknown user, a wrong password and a
    /// deactivated account give the same answer after about the same time. Failures are throttled per
    /// account and per client address.
    pub async fn login(
        &self,
        tenant: TenantId,
        username: &str,
        password: &str,
        client: Option<IpAddr>,
    ) -> AppResult<SignedIn> {
        self.throttle.check(tenant, username, client)?;
        // No pooled connection is held while bcrypt runs: a flood of logins queued on the hasher must
        // not take every connection from the requests that only read.
        let user = {
            let mut pooled = self.db.tenant(tenant).await?;
            users::store::find_by_username(&mut pooled.conn(), tenant, username).await?
        };
        let verified = match &user {
            Some(user) => self.passwords.verify(password, &user.password_hash).await?,
            None => self.passwords.verify_dummy(password).await?,
        };
        match user {
            Some(user) if verified && user.is_active => {
                self.throttle.succeeded(tenant, username);
                let mut pooled = self.db.tenant(tenant).await?;
                let conn = &mut pooled.conn();
                let vendor = store_of(conn, tenant).await?;
                self.sign_in(conn, vendor, user, None).await
            }
            _ => {
                self.throttle.failed(tenant, username, client);
                Err(AppError::Unauthenticated("wrong username or password"))
            }
        }
    }

    /// Adds a staff member to the owner's store.
    pub async fn create_staff(
        &self,
        tenant: TenantId,
        account: AccountDraft,
    ) -> AppResult<UserRow> {
        // An owner adding staff is signed in and not throttled as sign-ups from strangers are.
        let account = self.hashed(account, None).await?;
        let mut pooled = self.db.tenant(tenant).await?;
        insert_user(&mut pooled.conn(), tenant, &account, Role::Staff).await
    }

    /// Deactivates a staff member: they cannot sign in, their access tokens fail the per-request check
    /// at once, and their refresh tokens are revoked.
    pub async fn deactivate_staff(
        &self,
        tenant: TenantId,
        user_id: Option<i64>,
    ) -> AppResult<UserRow> {
        let no_such_staff = || AppError::NotFound("no such staff member");
        let user_id = user_id.ok_or_else(no_such_staff)?;
        let mut pooled = self.db.tenant(tenant).await?;
        let user = transaction!(&mut pooled.conn(), AppError, |conn| {
            let user = users::store::deactivate_staff(conn, tenant, user_id)
                .await?
                .ok_or_else(no_such_staff)?;
            store::revoke(conn, tenant, Revoked::User(user.id)).await?;
            // Every instance forgets that the account worked, at the commit.
            TenantDirectory::announce(conn, StoreChange::Account(tenant, user.id)).await?;
            Ok(user)
        })?;
        self.directory
            .changed(StoreChange::Account(tenant, user.id));
        Ok(user)
    }

    /// Trades a refresh token for a new pair. The old token dies; presenting a token that was already
    /// traded revokes its whole family (someone else has it), and is refused.
    pub async fn refresh(
        &self,
        token: &str,
        header_tenant: Option<TenantId>,
    ) -> AppResult<SignedIn> {
        let refused = || AppError::Unauthenticated("this refresh token is not valid");
        let (tenant, hash) = refresh::parse(token).ok_or_else(refused)?;
        if header_tenant.is_some_and(|header| header != tenant) {
            return Err(AppError::Forbidden("this token belongs to another store"));
        }
        let mut pooled = self.db.tenant(tenant).await?;
        let outcome = transaction!(&mut pooled.conn(), AppError, |conn| {
            let Some(row) = store::find(conn, tenant, &hash).await? else {
                return Ok(Refreshed::Refused);
            };
            if row.revoked_at.is_some() || row.expires_at <= now() {
                return Ok(Refreshed::Refused);
            }
            if !store::mark_rotated(conn, tenant, row.id).await? {
                store::revoke(conn, tenant, Revoked::Family(&row.family_id)).await?;
                return Ok(Refreshed::Reused);
            }
            let user = users::store::find(conn, tenant, row.user_id).await?;
            let vendor = vendors::store::find(conn, tenant).await?;
            let (Some(user), Some(vendor)) = (user.filter(|u| u.is_active), vendor) else {
                return Ok(Refreshed::Refused);
            };
            // Refused without rotating: the token works again once the store is reactivated.
            if vendor.suspended_at.is_some() {
                return Err(AppError::StoreSuspended);
            }
            let signed = self
                .sign_in(conn, vendor, user, Some(&row.family_id))
                .await?;
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
    pub async fn logout(&self, token: &str) -> AppResult<bool> {
        let Some((tenant, hash)) = refresh::parse(token) else {
            return Ok(false);
        };
        let mut pooled = self.db.tenant(tenant).await?;
        transaction!(&mut pooled.conn(), AppError, |conn| {
            match store::find(conn, tenant, &hash).await? {
                Some(row) => {
                    Ok(store::revoke(conn, tenant, Revoked::Family(&row.family_id)).await? > 0)
                }
                None => Ok(false),
            }
        })
    }

    /// Changes the signed-in user's password after checking the current one (throttled like a login),
    /// and revokes their refresh tokens: every other session must sign in again.
    pub async fn change_password(
        &self,
        tenant: TenantId,
        user_id: i64,
        current: &str,
        new: Password,
        client: Option<IpAddr>,
    ) -> AppResult<()> {
        let user = {
            let mut pooled = self.db.tenant(tenant).await?;
            users::store::find(&mut pooled.conn(), tenant, user_id).await?
        }
        .ok_or(AppError::Unauthenticated("this account is not active"))?;
        self.throttle.check(tenant, &user.username, client)?;
        if !self.passwords.verify(current, &user.password_hash).await? {
            self.throttle.failed(tenant, &user.username, client);
            return Err(AppError::Unauthenticated("the current password is wrong"));
        }
        let hash = self.passwords.hash(&new).await?;
        let mut pooled = self.db.tenant(tenant).await?;
        transaction!(&mut pooled.conn(), AppError, |conn| {
            users::store::set_password_hash(conn, tenant, user.id, &hash).await?;
            store::revoke(conn, tenant, Revoked::User(user.id)).await?;
            Ok(())
        })
    }

    /// Signs a platform admin in: an access token with no store and the role `platform_admin` (no
    /// refresh token: an admin signs in again after 15 minutes). Failures are throttled as a store
    /// user's are, the platform counting as a store of its own.
    pub async fn admin_login(
        &self,
        username: &str,
        password: &str,
        client: Option<IpAddr>,
    ) -> AppResult<String> {
        self.throttle.check(PLATFORM, username, client)?;
        let admin = {
            let mut pooled = self.platform.unscoped().await?;
            platform::store::find_admin(&mut pooled.conn(), username).await?
        };
        let verified = match &admin {
            Some(admin) => {
                self.passwords
                    .verify(password, &admin.password_hash)
                    .await?
            }
            None => self.passwords.verify_dummy(password).await?,
        };
        match admin {
            Some(admin) if verified && admin.is_active => {
                self.throttle.succeeded(PLATFORM, username);
                self.tokens.issue_admin_access(admin.id)
            }
            _ => {
                self.throttle.failed(PLATFORM, username, client);
                Err(AppError::Unauthenticated("wrong username or password"))
            }
        }
    }

    /// Mints an access token and a refresh token (in `family`, or a new one) for `user`.
    async fn sign_in(
        &self,
        conn: &mut Conn<'_>,
        vendor: VendorRow,
        user: UserRow,
        family: Option<&str>,
    ) -> AppResult<SignedIn> {
        let access_token = self.tokens.issue_access(&Subject {
            user_id: user.id,
            tenant_id: vendor.id,
            tenant_domain: &vendor.domain,
            role: user.role(),
        })?;
        let tenant = vendor.tenant_id();
        let (refresh_token, hash) = refresh::mint(tenant);
        let family = family.map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned);
        store::insert(conn, tenant, user.id, &hash, &family, self.expiry()).await?;
        Ok(SignedIn {
            access_token,
            refresh_token,
            user,
            vendor,
        })
    }

    /// When a refresh token minted now expires.
    fn expiry(&self) -> NaiveDateTime {
        chrono::TimeDelta::from_std(self.refresh_ttl)
            .ok()
            .and_then(|ttl| now().checked_add_signed(ttl))
            .unwrap_or(NaiveDateTime::MAX)
    }
}

/// The throttle's key for the platform admins' sign-ins: no store has id 0.
const PLATFORM: TenantId = TenantId(0);

/// Writes a user of the tenant; a username taken in the store is a `CONFLICT` on `username`.
async fn insert_user(
    conn: &mut Conn<'_>,
    tenant: TenantId,
    account: &HashedAccount,
    role: Role,
) -> AppResult<UserRow> {
    users::store::insert(conn, tenant, &account.row(role))
        .await
        .map_err(|err| {
            AppError::taken(
                err,
                "username",
                "this username is already taken in this store",
            )
        })
}

/// The vendor row of a tenant known to exist (its users do).
async fn store_of(conn: &mut Conn<'_>, tenant: TenantId) -> AppResult<VendorRow> {
    vendors::store::find(conn, tenant)
        .await?
        .ok_or(AppError::TenantNotFound)
}
