//! Account operations: `registerVendor`, `register`, `login`.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};

use crate::auth::RoleGuard;
use crate::auth::accounts::{self, NewAccount, NewStore, SignedIn};
use crate::error::{AppError, AppResult};
use crate::graphql::ContextExt as _;
use crate::graphql::pagination::parse_id;
use crate::users::Role;
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

#[derive(InputObject)]
pub struct CreateStaffInput {
    pub username: String,
    pub email: String,
    pub password: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
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
        let address = ctx.request().client_ip;
        Ok(
            accounts::register_vendor(ctx.state(), &store, &owner, address)
                .await?
                .into(),
        )
    }

    /// Signs up a customer of the store named by `X-Tenant-Domain`, and signs them in.
    async fn register(&self, ctx: &Context<'_>, input: RegisterInput) -> AppResult<AuthPayload> {
        let tenant = ctx.request().tenant_id()?;
        let account = NewAccount {
            username: &input.username,
            email: &input.email,
            password: &input.password,
            first_name: input.first_name.as_deref(),
            last_name: input.last_name.as_deref(),
        };
        let address = ctx.request().client_ip;
        Ok(
            accounts::register_customer(ctx.state(), tenant, &account, address)
                .await?
                .into(),
        )
    }

    /// Signs in to the store named by `X-Tenant-Domain`.
    async fn login(&self, ctx: &Context<'_>, input: LoginInput) -> AppResult<AuthPayload> {
        let tenant = ctx.request().tenant_id()?;
        let signed_in = accounts::login(
            ctx.state(),
            tenant,
            &input.username,
            &input.password,
            ctx.request().client_ip,
        )
        .await?;
        Ok(signed_in.into())
    }

    /// Trades a refresh token for a new pair; the old one stops working. Presenting a refresh token that
    /// was already traded revokes every token of its sign-in.
    async fn refresh_token(
        &self,
        ctx: &Context<'_>,
        refresh_token: String,
    ) -> AppResult<AuthPayload> {
        let header_tenant = ctx.request().tenant.as_ref().map(|tenant| tenant.id);
        Ok(
            accounts::refresh(ctx.state(), &refresh_token, header_tenant)
                .await?
                .into(),
        )
    }

    /// Ends the sign-in the refresh token belongs to; `false` when it names no live sign-in.
    async fn logout(&self, ctx: &Context<'_>, refresh_token: String) -> AppResult<bool> {
        accounts::logout(ctx.state(), &refresh_token).await
    }

    /// Changes the signed-in user's password; every refresh token of theirs stops working.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        current_password: String,
        new_password: String,
    ) -> AppResult<bool> {
        let identity = ctx.request().identity()?;
        accounts::change_password(
            ctx.state(),
            identity.tenant_id,
            identity.user_id,
            &current_password,
            &new_password,
            ctx.request().client_ip,
        )
        .await?;
        Ok(true)
    }

    /// Adds a staff member to the owner's store.
    #[graphql(guard = "RoleGuard::only(&[Role::Owner])")]
    async fn create_staff(&self, ctx: &Context<'_>, input: CreateStaffInput) -> AppResult<User> {
        let tenant = ctx.request().tenant_id()?;
        let account = NewAccount {
            username: &input.username,
            email: &input.email,
            password: &input.password,
            first_name: input.first_name.as_deref(),
            last_name: input.last_name.as_deref(),
        };
        Ok(accounts::create_staff(ctx.state(), tenant, &account)
            .await?
            .into())
    }

    /// Deactivates a staff member of the store: they can no longer sign in, and their tokens stop
    /// working at once.
    #[graphql(guard = "RoleGuard::only(&[Role::Owner])")]
    async fn deactivate_staff(&self, ctx: &Context<'_>, id: ID) -> AppResult<User> {
        let tenant = ctx.request().tenant_id()?;
        let id = parse_id(&id).ok_or(AppError::NotFound("no such staff member"))?;
        Ok(accounts::deactivate_staff(ctx.state(), tenant, id)
            .await?
            .into())
    }
}
