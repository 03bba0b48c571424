//! Account operations: `registerVendor`, `register`, `login`, `adminLogin` and the others.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};

use crate::auth::Accounts;
use crate::auth::accounts::{AccountDraft, SignedIn, StoreDraft};
use crate::error::AppResult;
use crate::graphql::ContextExt as _;
use crate::graphql::pagination::parse_id;
use crate::identity::{Role, RoleGuard};
use crate::users::graphql::User;
use crate::values::{Domain, Email, Password, PersonName, StoreName, Username};
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

/// A platform admin signed in.
#[derive(SimpleObject)]
pub struct AdminAuthPayload {
    /// Send as `Authorization: Bearer <accessToken>`; valid for 15 minutes by default.
    pub access_token: String,
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

/// The person fields of a sign-up input, parsed in the order a client reads its errors. The three
/// inputs that carry them are the contract's own types, so they share this rather than a Rust type.
macro_rules! person_fields {
    ($($input:ty),*) => {
        $(impl $input {
            fn account(&self) -> AppResult<AccountDraft> {
                Ok(AccountDraft {
                    username: Username::parse("username", &self.username)?,
                    email: Email::parse("email", &self.email)?,
                    password: Password::parse("password", &self.password)?,
                    first_name: PersonName::parse("firstName", self.first_name.as_deref())?,
                    last_name: PersonName::parse("lastName", self.last_name.as_deref())?,
                })
            }
        })*
    };
}

person_fields!(RegisterVendorInput, RegisterInput, CreateStaffInput);

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
        let store = StoreDraft {
            store_name: StoreName::parse("storeName", &input.store_name)?,
            domain: Domain::parse("domain", &input.domain)?,
            contact_email: Email::parse_optional("contactEmail", input.contact_email.as_deref())?,
        };
        let owner = input.account()?;
        ctx.request().not_platform_admin()?;
        let address = ctx.request().client_ip;
        let accounts = ctx.service::<Accounts>();
        Ok(accounts
            .register_vendor(store, owner, address)
            .await?
            .into())
    }

    /// Signs up a customer of the store named by `X-Tenant-Domain`, and signs them in.
    async fn register(&self, ctx: &Context<'_>, input: RegisterInput) -> AppResult<AuthPayload> {
        let tenant = ctx.request().tenant_id()?;
        let customer = input.account()?;
        let address = ctx.request().client_ip;
        let accounts = ctx.service::<Accounts>();
        Ok(accounts
            .register_customer(tenant, customer, address)
            .await?
            .into())
    }

    /// Signs in to the store named by `X-Tenant-Domain`.
    async fn login(&self, ctx: &Context<'_>, input: LoginInput) -> AppResult<AuthPayload> {
        let tenant = ctx.request().tenant_id()?;
        let client = ctx.request().client_ip;
        let accounts = ctx.service::<Accounts>();
        Ok(accounts
            .login(tenant, &input.username, &input.password, client)
            .await?
            .into())
    }

    /// Trades a refresh token for a new pair; the old one stops working. Presenting a refresh token that
    /// was already traded revokes every token of its sign-in.
    async fn refresh_token(
        &self,
        ctx: &Context<'_>,
        refresh_token: String,
    ) -> AppResult<AuthPayload> {
        ctx.request().not_platform_admin()?;
        let header_tenant = ctx.request().tenant.as_ref().map(|tenant| tenant.id);
        let accounts = ctx.service::<Accounts>();
        Ok(accounts
            .refresh(&refresh_token, header_tenant)
            .await?
            .into())
    }

    /// Ends the sign-in the refresh token belongs to; `false` when it names no live sign-in.
    async fn logout(&self, ctx: &Context<'_>, refresh_token: String) -> AppResult<bool> {
        ctx.request().not_platform_admin()?;
        ctx.service::<Accounts>().logout(&refresh_token).await
    }

    /// Signs a platform admin in (no store: `X-Tenant-Domain` is not needed). The token's role is
    /// `platform_admin`; it lets its bearer list, suspend and reactivate stores, and nothing else.
    async fn admin_login(
        &self,
        ctx: &Context<'_>,
        input: LoginInput,
    ) -> AppResult<AdminAuthPayload> {
        let client = ctx.request().client_ip;
        let access_token = ctx
            .service::<Accounts>()
            .admin_login(&input.username, &input.password, client)
            .await?;
        Ok(AdminAuthPayload { access_token })
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
        let new_password = Password::parse("newPassword", &new_password)?;
        ctx.service::<Accounts>()
            .change_password(
                identity.tenant_id,
                identity.user_id,
                &current_password,
                new_password,
                ctx.request().client_ip,
            )
            .await?;
        Ok(true)
    }

    /// Adds a staff member to the owner's store.
    #[graphql(guard = "RoleGuard::only(&[Role::Owner])")]
    async fn create_staff(&self, ctx: &Context<'_>, input: CreateStaffInput) -> AppResult<User> {
        let tenant = ctx.request().tenant_id()?;
        let staff = input.account()?;
        let accounts = ctx.service::<Accounts>();
        Ok(accounts.create_staff(tenant, staff).await?.into())
    }

    /// Deactivates a staff member of the store: they can no longer sign in, and their tokens stop
    /// working at once.
    #[graphql(guard = "RoleGuard::only(&[Role::Owner])")]
    async fn deactivate_staff(&self, ctx: &Context<'_>, id: ID) -> AppResult<User> {
        let tenant = ctx.request().tenant_id()?;
        let accounts = ctx.service::<Accounts>();
        Ok(accounts
            .deactivate_staff(tenant, parse_id(&id))
            .await?
            .into())
    }
}
