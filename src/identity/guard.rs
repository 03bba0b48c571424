//! `RoleGuard`: who may call a field (CONTRACT.md section 4). No signed-in user is `UNAUTHENTICATED`; a
//! user whose role is not listed is `FORBIDDEN`, and so is a platform admin. `PlatformGuard`: the
//! fields of the platform admin alone.

use async_graphql::{Context, Guard};

use crate::error::AppError;

use super::{RequestContext, Role};

pub struct RoleGuard {
    roles: &'static [Role],
}

impl RoleGuard {
    /// Any signed-in user.
    pub const fn signed_in() -> Self {
        Self {
            roles: &[Role::Owner, Role::Staff, Role::Customer],
        }
    }

    pub const fn only(roles: &'static [Role]) -> Self {
        Self { roles }
    }
}

impl Guard for RoleGuard {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        let identity = ctx.data_unchecked::<RequestContext>().identity()?;
        if self.roles.contains(&identity.role) {
            Ok(())
        } else {
            Err(AppError::Forbidden("your role may not do this").into())
        }
    }
}

/// Only a platform admin: anyone else signed in is `FORBIDDEN`, no one `UNAUTHENTICATED`.
pub struct PlatformGuard;

impl Guard for PlatformGuard {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        ctx.data_unchecked::<RequestContext>().platform_admin()?;
        Ok(())
    }
}
