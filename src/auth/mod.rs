//! Identity: access tokens (JWT), passwords (bcrypt), refresh tokens, role guards and the account
//! operations (sign-up, login).

pub mod accounts;
pub mod graphql;
pub mod guards;
pub mod passwords;
pub mod refresh;
pub mod throttle;
pub mod tokens;

pub use guards::RoleGuard;
pub use passwords::Passwords;
pub use tokens::{AccessClaims, TokenKeys};
