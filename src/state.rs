//! What every request shares: the database, the settings, the token keys and the password hasher.

use std::sync::Arc;

use crate::auth::throttle::LoginThrottle;
use crate::auth::{Passwords, TokenKeys};
use crate::config::Config;
use crate::db::Db;
use crate::events::Events;
use crate::identity::TenantDirectory;
use crate::metrics::Metrics;
use crate::shutdown::Shutdown;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    pub tokens: Arc<TokenKeys>,
    pub passwords: Passwords,
    pub throttle: Arc<LoginThrottle>,
    pub tenants: Arc<TenantDirectory>,
    pub metrics: Arc<Metrics>,
    pub events: Arc<Events>,
    /// Tells connections and sockets the service is stopping.
    pub shutdown: Shutdown,
}

impl AppState {
    /// Needs a Tokio runtime: on PostgreSQL it starts the instance's event listener.
    pub fn new(config: Config, db: Db) -> Self {
        Self {
            tokens: Arc::new(TokenKeys::new(&config)),
            passwords: Passwords::new(config.bcrypt_cost),
            throttle: Arc::default(),
            tenants: Arc::default(),
            metrics: Arc::default(),
            events: Events::start(&config),
            shutdown: Shutdown::default(),
            config: Arc::new(config),
            db,
        }
    }
}
