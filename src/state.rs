//! The service's parts, made once at start: the database, the settings, and each domain's service with
//! only what it needs. It sits near the top of the house: it imports the domains, and no domain imports
//! it (each resolver asks the context for its own domain's service, which the schema was built with).

use std::sync::Arc;

use crate::auth::Accounts;
use crate::catalog::Catalog;
use crate::config::Config;
use crate::db::Db;
use crate::identity::{Gate, TenantDirectory, TokenKeys};
use crate::metrics::Metrics;
use crate::orders::{OrderEvents, Orders};
use crate::platform::Platform;
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
    pub platform: Platform,
    pub metrics: Arc<Metrics>,
    /// Tells connections and sockets the service is stopping.
    pub shutdown: Shutdown,
}

impl AppState {
    /// Needs a Tokio runtime: it starts the instance's event reader (and on PostgreSQL its listeners
    /// of order events and of store changes) and the webhooks' background work.
    pub fn new(config: Config, db: Db) -> anyhow::Result<Self> {
        let tokens = Arc::new(TokenKeys::new(&config));
        let platform_db = Db::platform(&config)?;
        // SQLite: this process makes every change, so the directory hears them all from the start.
        let listen_at = match config.direct_database_url() {
            crate::config::DatabaseUrl::Postgres(url) => Some(url),
            crate::config::DatabaseUrl::Sqlite(_) => None,
        };
        let directory = Arc::new(
            TenantDirectory::new(listen_at.is_none())
                .with_platform_hosts(config.all_platform_hosts())
                .with_unknown_host_ttl(config.unknown_host_ttl),
        );
        if let Some(url) = listen_at {
            crate::identity::changes::spawn_listener(url, Arc::downgrade(&directory));
        }
        let gate = Gate::new(
            db.clone(),
            platform_db.clone(),
            tokens.clone(),
            directory.clone(),
        );
        let worker = Db::worker(&config)?;
        let events = OrderEvents::start(&config, worker.clone());
        let background = crate::webhooks::worker::start(&config, db.clone(), worker, &events)?;
        crate::catalog::refold::spawn(db.clone());
        Ok(Self {
            accounts: Accounts::new(
                db.clone(),
                platform_db.clone(),
                tokens,
                directory.clone(),
                &config,
            ),
            catalog: Catalog::new(db.clone()),
            people: People::new(db.clone()),
            stores: Stores::new(db.clone(), directory.clone()),
            platform: Platform::new(platform_db, directory),
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
