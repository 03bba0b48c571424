//! The service's parts, made once at start: the database, the settings, and each domain's service with
//! only what it needs. It sits near the top of the house: it imports the domains, and no domain imports
//! it (each resolver asks the context for its own domain's service, which the schema was built with).

use std::sync::Arc;

use crate::auth::Accounts;
use crate::catalog::Catalog;
use crate::config::Config;
use crate::db::Db;
use crate::identity::{Gate, TokenKeys};
use crate::metrics::Metrics;
use crate::orders::{OrderEvents, Orders};
use crate::shutdown::Shutdown;
use crate::users::People;
use crate::vendors::Stores;
use crate::webhooks::Webhooks;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    /// Settles each request's tenant and caller.
    pub gate: Gate,
    pub accounts: Accounts,
    pub catalog: Catalog,
    pub people: People,
    pub stores: Stores,
    pub orders: Orders,
    pub webhooks: Webhooks,
    pub metrics: Arc<Metrics>,
    /// Tells connections and sockets the service is stopping.
    pub shutdown: Shutdown,
}

impl AppState {
    /// Needs a Tokio runtime: it starts the instance's event reader (and on PostgreSQL its listener)
    /// and the webhooks' background work.
    pub fn new(config: Config, db: Db) -> anyhow::Result<Self> {
        let tokens = Arc::new(TokenKeys::new(&config));
        let gate = Gate::new(db.clone(), tokens.clone());
        let worker = Db::worker(&config)?;
        let events = OrderEvents::start(&config, worker.clone());
        let background = crate::webhooks::worker::start(&config, db.clone(), worker, &events)?;
        Ok(Self {
            accounts: Accounts::new(db.clone(), tokens, &config),
            catalog: Catalog::new(db.clone()),
            people: People::new(db.clone()),
            stores: Stores::new(db.clone()),
            orders: Orders::new(db.clone(), events, gate.clone()),
            webhooks: Webhooks::new(db.clone(), config.webhook_allow_private, background),
            gate,
            metrics: Arc::default(),
            shutdown: Shutdown::default(),
            config: Arc::new(config),
            db,
        })
    }

    /// Whether events from other instances reach this one (for readiness).
    pub fn hears_events(&self) -> bool {
        self.orders.events().is_listening()
    }
}
