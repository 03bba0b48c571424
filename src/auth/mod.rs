//! Accounts: opening a store with its owner, signing up, signing in, refresh tokens, password changes,
//! staff. Access tokens are minted here and verified by `identity`; passwords are hashed with bcrypt.

pub mod accounts;
pub mod graphql;
pub mod passwords;
pub mod refresh;
pub mod store;
pub mod throttle;

pub use accounts::Accounts;
pub use passwords::Passwords;
