//! The `User` type and the queries about people.

use async_graphql::connection::Connection;
use async_graphql::{Context, ID, Object, SimpleObject};

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
#[derive(SimpleObject, Clone, Debug)]
#[graphql(serial)] // plain values: see `Product`
pub struct User {
    pub id: ID,
    pub username: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub role: RoleValue,
    /// False once the owner has deactivated the account.
    pub is_active: bool,
    pub created_at: DateTime,
}

impl From<UserRow> for User {
    fn from(row: UserRow) -> Self {
        Self {
            id: ID(row.id.to_string()),
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
