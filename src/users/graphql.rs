//! The `User` type and the queries about people.

use async_graphql::{Context, ID, Object, SimpleObject};

use crate::auth::RoleGuard;
use crate::error::{AppError, AppResult};
use crate::graphql::ContextExt as _;
use crate::graphql::scalars::DateTime;
use crate::users::{Role, UserRow, store};

/// A person of a store. The password hash never leaves the server.
#[derive(SimpleObject, Clone, Debug)]
pub struct User {
    pub id: ID,
    pub username: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub role: Role,
    pub created_at: DateTime,
}

impl From<UserRow> for User {
    fn from(row: UserRow) -> Self {
        Self {
            id: ID(row.id.to_string()),
            role: row.role(),
            username: row.username,
            email: row.email,
            first_name: row.first_name,
            last_name: row.last_name,
            created_at: row.created_at.into(),
        }
    }
}

#[derive(Default)]
pub struct UsersQuery;

#[Object]
impl UsersQuery {
    /// The signed-in user.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn me(&self, ctx: &Context<'_>) -> AppResult<User> {
        let identity = ctx.request().identity()?;
        let mut pooled = ctx.state().db.get().await?;
        store::find(&mut pooled.conn(), identity.tenant_id, identity.user_id)
            .await?
            .map(User::from)
            .ok_or(AppError::Unauthenticated("this account is not active"))
    }
}
