//! The `User` type and the queries about people.

use async_graphql::connection::Connection;
use async_graphql::{Context, ID, Object};

use crate::db::TenantId;
use crate::error::AppResult;
use crate::graphql::ContextExt as _;
use crate::graphql::pagination::{DEFAULT_PAGE, IdCursor, Page};
use crate::graphql::scalars::DateTime;
use crate::identity::{Role, RoleGuard};
use crate::users::{People, UserRow};

// The GraphQL face of `identity::Role` (the model stays free of GraphQL).
/// What a user may do in their store: the owner runs it, staff manage products and the orders assigned
/// to them, customers order and follow their own orders.
#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::identity::Role", name = "Role")]
pub enum RoleValue {
    Owner,
    Staff,
    Customer,
}

/// A person of a store. The password hash never leaves the server.
///
/// What a customer reads of anyone but themselves (the staff member assigned to their order, the
/// owner or staff member who changed it) is the first name only: `username`, `email` and `lastName`
/// read as empty strings, so a customer never learns another person's contact details or sign-in
/// name. Decided here, field by field, so it holds on every path to a user (orders, events,
/// subscriptions, and whatever comes).
#[derive(Clone, Debug)]
pub struct User {
    id: i64,
    username: String,
    email: String,
    first_name: String,
    last_name: String,
    role: RoleValue,
    is_active: bool,
    created_at: DateTime,
}

impl User {
    /// Whether the caller may read more of this person than their first name: anyone but a customer
    /// reading someone else. (A caller not signed in meets one user only: the one a sign-in or sign-up
    /// answers with, themselves.)
    fn open_to(&self, ctx: &Context<'_>) -> bool {
        match &ctx.request().identity {
            Some(viewer) => viewer.role != Role::Customer || viewer.user_id == self.id,
            None => true,
        }
    }

    fn shown<'a>(&'a self, ctx: &Context<'_>, value: &'a str) -> &'a str {
        if self.open_to(ctx) { value } else { "" }
    }
}

/// A person of a store. The password hash never leaves the server. A customer reads only the first
/// name of anyone but themselves.
#[Object]
impl User {
    async fn id(&self) -> ID {
        ID(self.id.to_string())
    }

    /// The sign-in name (empty to a customer, unless it is their own).
    async fn username(&self, ctx: &Context<'_>) -> &str {
        self.shown(ctx, &self.username)
    }

    /// The e-mail address (empty to a customer, unless it is their own).
    async fn email(&self, ctx: &Context<'_>) -> &str {
        self.shown(ctx, &self.email)
    }

    async fn first_name(&self) -> &str {
        &self.first_name
    }

    /// The last name (empty to a customer, unless it is their own).
    async fn last_name(&self, ctx: &Context<'_>) -> &str {
        self.shown(ctx, &self.last_name)
    }

    async fn role(&self) -> RoleValue {
        self.role
    }

    /// False once the owner has deactivated the account.
    async fn is_active(&self) -> bool {
        self.is_active
    }

    async fn created_at(&self) -> DateTime {
        self.created_at
    }
}

impl From<UserRow> for User {
    fn from(row: UserRow) -> Self {
        Self {
            id: row.id,
            role: row.role().into(),
            username: row.username,
            email: row.email,
            first_name: row.first_name,
            last_name: row.last_name,
            is_active: row.is_active,
            created_at: row.created_at.into(),
        }
    }
}

/// The fields a people listing adds to its connection. `totalCount` runs its query only when asked.
pub struct UserListing {
    tenant: TenantId,
    role: Role,
}

#[Object]
impl UserListing {
    /// How many people the listing holds across all its pages.
    async fn total_count(&self, ctx: &Context<'_>) -> AppResult<i64> {
        ctx.service::<People>().count(self.tenant, self.role).await
    }
}

pub type UserConnection = Connection<IdCursor, User, UserListing>;

/// A page of the store's people with `role`, by id.
async fn people(
    ctx: &Context<'_>,
    role: Role,
    first: Option<i32>,
    after: Option<String>,
) -> AppResult<UserConnection> {
    let tenant = ctx.request().tenant_id()?;
    let page = Page::new(first.unwrap_or(DEFAULT_PAGE), after.as_deref())?;
    let rows = ctx
        .service::<People>()
        .list(tenant, role, page.after, page.fetch_limit())
        .await?;
    Ok(page.into_connection(rows, |row| row.id, User::from, UserListing { tenant, role }))
}

#[derive(Default)]
pub struct UsersQuery;

#[Object]
impl UsersQuery {
    /// The signed-in user.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn me(&self, ctx: &Context<'_>) -> AppResult<User> {
        let identity = ctx.request().identity()?;
        Ok(ctx.service::<People>().me(identity).await?.into())
    }

    /// The store's staff, active or not, by id.
    #[graphql(guard = "RoleGuard::only(&[Role::Owner])")]
    async fn staff(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20)] first: Option<i32>,
        after: Option<String>,
    ) -> AppResult<UserConnection> {
        people(ctx, Role::Staff, first, after).await
    }

    /// The store's customers, by id.
    #[graphql(guard = "RoleGuard::only(&[Role::Owner])")]
    async fn customers(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20)] first: Option<i32>,
        after: Option<String>,
    ) -> AppResult<UserConnection> {
        people(ctx, Role::Customer, first, after).await
    }
}
