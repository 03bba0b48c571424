//! Account flows: opening a store, signing up as a customer, signing in. Each checks its input, writes in
//! one transaction, and hands back the tokens of the signed-in user.

use crate::auth::refresh;
use crate::auth::tokens::Subject;
use crate::db::{Conn, now};
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
    async fn check(state: &AppState, account: &NewAccount<'_>) -> AppResult<Self> {
        let username = validation::username("username", account.username)?;
        let email = validation::email("email", account.email)?;
        validation::password("password", account.password)?;
        let first_name = validation::person_name("firstName", account.first_name)?;
        let last_name = validation::person_name("lastName", account.last_name)?;
        // Hashing is the slow part: it comes after every cheap check.
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
) -> AppResult<SignedIn> {
    let store_name = validation::store_name("storeName", store.store_name)?;
    let domain = validation::domain("domain", store.domain)?;
    let contact_email = store
        .contact_email
        .filter(|e| !e.trim().is_empty())
        .map(|e| validation::email("contactEmail", e))
        .transpose()?;
    let owner = CheckedAccount::check(state, owner).await?;

    let mut pooled = state.db.get().await?;
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
        let user = users::store::insert(conn, &owner.row(vendor.id, Role::Owner)).await?;
        sign_in(state, conn, vendor, user).await
    })
}

/// Signs up a customer of `vendor` and signs them in. Owners and staff are never made here.
pub async fn register_customer(
    state: &AppState,
    vendor: &VendorRow,
    account: &NewAccount<'_>,
) -> AppResult<SignedIn> {
    let account = CheckedAccount::check(state, account).await?;
    let mut pooled = state.db.get().await?;
    transaction!(&mut pooled.conn(), |conn| {
        let user = users::store::insert(conn, &account.row(vendor.id, Role::Customer)).await?;
        sign_in(state, conn, vendor.clone(), user).await
    })
}

/// Checks a username and password in `vendor`'s store. An unknown user, a wrong password and a
/// deactivated account give the same answer after about the same time.
pub async fn login(
    state: &AppState,
    vendor: &VendorRow,
    username: &str,
    password: &str,
) -> AppResult<SignedIn> {
    let mut pooled = state.db.get().await?;
    let conn = &mut pooled.conn();
    let user = users::store::find_by_username(conn, vendor.tenant_id(), username).await?;
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
            sign_in(state, conn, vendor.clone(), user).await
        }
        _ => Err(AppError::Unauthenticated("wrong username or password")),
    }
}

/// Mints an access token and a refresh token (a new family) for `user`.
async fn sign_in(
    state: &AppState,
    conn: &mut Conn<'_>,
    vendor: VendorRow,
    user: UserRow,
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
        None,
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
