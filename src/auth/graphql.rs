//! Account operations: `registerVendor`, `register`, `login`.

use async_graphql::{Context, InputObject, Object, SimpleObject};

use crate::auth::accounts::{self, NewAccount, NewStore, SignedIn};
use crate::error::AppResult;
use crate::graphql::ContextExt as _;
use crate::users::graphql::User;
use crate::vendors::graphql::Vendor;

#[derive(SimpleObject)]
pub struct AuthPayload {
    /// Send as `Authorization: Bearer <accessToken>`; valid for 15 minutes by default.
    pub access_token: String,
    /// Trade for a new pair with `refreshToken`; valid for 7 days by default, once.
    pub refresh_token: String,
    pub user: User,
    pub vendor: Vendor,
}

impl From<SignedIn> for AuthPayload {
    fn from(s: SignedIn) -> Self {
        Self {
            access_token: s.access_token,
            refresh_token: s.refresh_token,
            user: s.user.into(),
            vendor: s.vendor.into(),
        }
    }
}

#[derive(InputObject)]
pub struct RegisterVendorInput {
    pub store_name: String,
    /// The hostname that names the store in `X-Tenant-Domain`, e.g. `shop.example.com`.
    pub domain: String,
    pub contact_email: Option<String>,
    pub username: String,
    pub email: String,
    pub password: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
}

#[derive(InputObject)]
pub struct RegisterInput {
    pub username: String,
    pub email: String,
    pub password: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
}

#[derive(InputObject)]
pub struct LoginInput {
    pub username: String,
    pub password: String,
}

#[derive(Default)]
pub struct AuthMutation;

#[Object]
impl AuthMutation {
    /// Opens a store and its owner's account; needs no tenant. Signs the owner in.
    async fn register_vendor(
        &self,
        ctx: &Context<'_>,
        input: RegisterVendorInput,
    ) -> AppResult<AuthPayload> {
        let store = NewStore {
            store_name: &input.store_name,
            domain: &input.domain,
            contact_email: input.contact_email.as_deref(),
        };
        let owner = NewAccount {
            username: &input.username,
            email: &input.email,
            password: &input.password,
            first_name: input.first_name.as_deref(),
            last_name: input.last_name.as_deref(),
        };
        Ok(accounts::register_vendor(ctx.state(), &store, &owner)
            .await?
            .into())
    }

    /// Signs up a customer of the store named by `X-Tenant-Domain`, and signs them in.
    async fn register(&self, ctx: &Context<'_>, input: RegisterInput) -> AppResult<AuthPayload> {
        let vendor = ctx.request().tenant()?;
        let account = NewAccount {
            username: &input.username,
            email: &input.email,
            password: &input.password,
            first_name: input.first_name.as_deref(),
            last_name: input.last_name.as_deref(),
        };
        Ok(accounts::register_customer(ctx.state(), vendor, &account)
            .await?
            .into())
    }

    /// Signs in to the store named by `X-Tenant-Domain`.
    async fn login(&self, ctx: &Context<'_>, input: LoginInput) -> AppResult<AuthPayload> {
        let vendor = ctx.request().tenant()?;
        let signed_in =
            accounts::login(ctx.state(), vendor, &input.username, &input.password).await?;
        Ok(signed_in.into())
    }
}
