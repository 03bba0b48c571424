//! Typed settings, read once from the environment. Secrets are never logged: `Config`'s `Debug` hides them.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};

/// The SQLite file used when `DATABASE_URL` is not set.
pub const DEFAULT_SQLITE_FILE: &str = "multistore.db";
/// The role the migrations create for the service's connections (row-level security applies to it).
pub const DEFAULT_DB_ROLE: &str = "multistore_app";
/// The role the migrations create for the instances' background work: it reads every store's order
/// events (to feed the subscribers) and nothing else.
pub const DEFAULT_DB_WORKER_ROLE: &str = "multistore_worker";
pub const DEFAULT_DB_PLATFORM_ROLE: &str = "multistore_platform";
/// HS256 wants a key at least as long as its output.
pub const MIN_JWT_SECRET_BYTES: usize = 32;
/// Sign-ups (`register`, `registerVendor`) one client address may make per 15 minutes unless configured
/// (`MULTISTORE_SIGNUPS_PER_ADDRESS`).
pub const DEFAULT_SIGNUPS_PER_ADDRESS: u32 = 60;
/// Open connections served at once unless configured (`MULTISTORE_MAX_CONNECTIONS`).
pub const DEFAULT_MAX_CONNECTIONS: usize = 4_096;

#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// `postgres://` or `postgresql://` URL, passed to the driver as is.
    Postgres(String),
    /// Path of the SQLite file (`sqlite://path`, `sqlite:path` or a bare path).
    Sqlite(PathBuf),
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> Self {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Self::Postgres(url.to_owned());
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        Self::Sqlite(PathBuf::from(path))
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            Self::Postgres(_) => "postgres",
            Self::Sqlite(_) => "sqlite",
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    /// Shows the backend and where it is, never a password inside the URL.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Postgres(url) => {
                let host = url.rsplit('@').next().unwrap_or("?");
                let host = host.split("://").last().unwrap_or(host);
                write!(f, "postgres://…@{host}")
            }
            Self::Sqlite(path) => write!(f, "sqlite:{}", path.display()),
        }
    }
}

/// Where the JWT signing secret came from; only said in the log, never the value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecretSource {
    Environment,
    File(PathBuf),
    Generated(PathBuf),
    /// Given directly by code (tests).
    Explicit,
}

#[derive(Clone)]
pub struct Config {
    pub database_url: DatabaseUrl,
    pub bind: SocketAddr,
    pub jwt_secret: Vec<u8>,
    pub jwt_secret_source: SecretSource,
    pub jwt_issuer: String,
    pub jwt_audience: String,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    pub graphiql: bool,
    /// Schema introspection (and field suggestions); turn off in production.
    pub introspection: bool,
    pub bcrypt_cost: u32,
    /// Connections per pool; `None` picks a size from the backend and the cores.
    pub db_pool_size: Option<usize>,
    /// PostgreSQL role that pooled connections switch to (`SET ROLE`), subject to row-level security;
    /// `None` keeps the login role (when that role is itself a non-owner one).
    pub db_role: Option<String>,
    /// PostgreSQL role of the background work's connections (`SET ROLE`); `None` keeps the login role.
    pub db_worker_role: Option<String>,
    /// PostgreSQL role of the platform admins' connections (`SET ROLE`), which may read stores and
    /// suspend them and touch nothing of theirs; `None` keeps the login role.
    pub db_platform_role: Option<String>,
    /// Browser origins allowed to call the API (CORS); empty: none, `*`: any.
    pub cors_origins: Vec<String>,
    /// Sign-ups (`register`, `registerVendor`) one client address may make per 15 minutes.
    pub signups_per_address: u32,
    /// Open connections (HTTP and WebSocket) served at once; more are refused.
    pub max_connections: usize,
    /// Where `/metrics` is served instead of the API's address (`None`: on the API's address).
    pub metrics_bind: Option<SocketAddr>,
    /// Whether `/metrics` on the API's address answers clients other than loopback ones.
    pub metrics_public: bool,
    /// How long an instance remembers that a `Host` names no store (`MULTISTORE_UNKNOWN_HOST_TTL_SECS`);
    /// a change of any store makes it forget at once, on every instance, whatever this says.
    pub unknown_host_ttl: Duration,
    /// The most of each pool that one store's work may hold at once (`MULTISTORE_STORE_SHARE`).
    pub store_share: StoreShare,
    /// The platform's own host names (`MULTISTORE_PLATFORM_HOSTS`), which no store may claim and no
    /// `Host` header resolves to a store; the API's own host (`bind`) always counts as one.
    pub platform_hosts: Vec<String>,
    /// Whether PostgreSQL is reached through a transaction-mode pooler (PgBouncer): then every
    /// transaction carries the tenant setting and the role, and no statement stays prepared.
    pub db_pooler: DbPooler,
    /// PostgreSQL reached directly, not through the pooler, for what needs a session of its own
    /// (the events listener's `LISTEN`, migrations); `None`: `database_url`.
    pub direct_database_url: Option<String>,
    /// How long after a webhook delivery's first failure it is tried again (doubling each time, up
    /// to an hour).
    pub webhook_retry_base: Duration,
    /// How long after its event a delivery is retried before it is FAILED
    /// (`MULTISTORE_WEBHOOK_RETRY_WINDOW_SECS`, 24 hours).
    pub webhook_retry_window: Duration,
    /// How long a claimed delivery is an instance's before another may try it
    /// (`MULTISTORE_WEBHOOK_LEASE_SECS`, 60 s: longer than an attempt's 10 s timeout).
    pub webhook_lease: Duration,
    /// Whether webhooks may call `http` URLs and private, loopback or link-local addresses (for
    /// development and tests; never on a public platform).
    pub webhook_allow_private: bool,
    /// How long order events (and their webhook deliveries) are kept.
    pub event_retention: Duration,
}

/// The shortest `MULTISTORE_EVENT_RETENTION_DAYS` (CONTRACT.md section 8: events are kept at least 7
/// days, for subscribers that resume).
pub const MIN_EVENT_RETENTION_DAYS: u64 = 7;

/// The part of a shared resource (a pool's connections) that one store may hold at once: more than 0,
/// at most 1 (all of it).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StoreShare(f64);

impl StoreShare {
    pub const HALF: Self = Self(0.5);

    pub fn parse(text: &str) -> anyhow::Result<Self> {
        match text.parse::<f64>() {
            Ok(share) if share > 0.0 && share <= 1.0 => Ok(Self(share)),
            _ => bail!(
                "MULTISTORE_STORE_SHARE must be a fraction above 0 and at most 1, like 0.5; got {text:?}"
            ),
        }
    }

    /// A store's part of `size` things: at least one, at most all.
    pub fn of(self, size: usize) -> usize {
        ((size as f64 * self.0).ceil() as usize).clamp(1, size.max(1))
    }
}

/// How the service's connections reach PostgreSQL (`MULTISTORE_DB_POOLER`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DbPooler {
    /// Directly, or through a session-mode pooler: a connection is the service's for its lifetime.
    #[default]
    None,
    /// Through a transaction-mode pooler: consecutive transactions may run on different server
    /// connections.
    Transaction,
}

impl Config {
    /// Every host name of the platform itself: the configured ones and the API's own address.
    pub fn all_platform_hosts(&self) -> Vec<String> {
        let mut hosts = self.platform_hosts.clone();
        hosts.push(self.bind.ip().to_string());
        hosts
    }

    /// The PostgreSQL URL for sessions of our own (LISTEN, migrations): the direct one when set.
    pub fn direct_database_url(&self) -> DatabaseUrl {
        match (&self.database_url, &self.direct_database_url) {
            (DatabaseUrl::Postgres(_), Some(direct)) => DatabaseUrl::Postgres(direct.clone()),
            (url, _) => url.clone(),
        }
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &self.database_url)
            .field("bind", &self.bind)
            .field("jwt_secret", &"<hidden>")
            .field("jwt_secret_source", &self.jwt_secret_source)
            .field("access_token_ttl", &self.access_token_ttl)
            .field("refresh_token_ttl", &self.refresh_token_ttl)
            .field("graphiql", &self.graphiql)
            .field("introspection", &self.introspection)
            .field("bcrypt_cost", &self.bcrypt_cost)
            .field("db_pool_size", &self.db_pool_size)
            .field("db_role", &self.db_role)
            .field("db_worker_role", &self.db_worker_role)
            .field("db_platform_role", &self.db_platform_role)
            .field("cors_origins", &self.cors_origins)
            .field("signups_per_address", &self.signups_per_address)
            .field("max_connections", &self.max_connections)
            .field("metrics_bind", &self.metrics_bind)
            .field("metrics_public", &self.metrics_public)
            .field("platform_hosts", &self.platform_hosts)
            .field("store_share", &self.store_share)
            .field("unknown_host_ttl", &self.unknown_host_ttl)
            .field("db_pooler", &self.db_pooler)
            .finish()
    }
}

impl Config {
    /// Settings with defaults for everything but the database and the secret; for tests and tools.
    pub fn new(database_url: DatabaseUrl, jwt_secret: Vec<u8>) -> anyhow::Result<Self> {
        check_secret(&jwt_secret)?;
        Ok(Self {
            database_url,
            bind: SocketAddr::from(([127, 0, 0, 1], 8000)),
            jwt_secret,
            jwt_secret_source: SecretSource::Explicit,
            jwt_issuer: "multistore".into(),
            jwt_audience: "multistore-api".into(),
            access_token_ttl: Duration::from_secs(15 * 60),
            refresh_token_ttl: Duration::from_secs(7 * 24 * 3600),
            graphiql: true,
            introspection: true,
            bcrypt_cost: bcrypt::DEFAULT_COST,
            db_pool_size: None,
            db_role: Some(DEFAULT_DB_ROLE.to_owned()),
            db_worker_role: Some(DEFAULT_DB_WORKER_ROLE.to_owned()),
            db_platform_role: Some(DEFAULT_DB_PLATFORM_ROLE.to_owned()),
            cors_origins: Vec::new(),
            signups_per_address: DEFAULT_SIGNUPS_PER_ADDRESS,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            db_pooler: DbPooler::None,
            direct_database_url: None,
            metrics_bind: None,
            metrics_public: false,
            platform_hosts: Vec::new(),
            store_share: StoreShare::HALF,
            unknown_host_ttl: Duration::from_secs(10),
            webhook_retry_base: Duration::from_secs(10),
            webhook_retry_window: Duration::from_secs(24 * 3600),
            webhook_lease: Duration::from_secs(60),
            webhook_allow_private: false,
            event_retention: Duration::from_secs(30 * 24 * 3600),
        })
    }

    /// Reads the environment (see README "Configuration").
    pub fn from_env() -> anyhow::Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup`, so that tests can feed their own environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let var = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };

        let database_url = DatabaseUrl::parse(
            var("DATABASE_URL")
                .as_deref()
                .unwrap_or(DEFAULT_SQLITE_FILE),
        );
        let (jwt_secret, jwt_secret_source) = match lookup("MULTISTORE_JWT_SECRET") {
            Some(secret) if !secret.is_empty() => (secret.into_bytes(), SecretSource::Environment),
            _ => load_or_generate_secret(&secret_file_for(&database_url))?,
        };
        let mut config = Self::new(database_url, jwt_secret)?;
        config.jwt_secret_source = jwt_secret_source;

        if let Some(bind) = var("MULTISTORE_BIND") {
            config.bind = bind.parse().with_context(|| {
                format!("MULTISTORE_BIND={bind:?} is not an address like 127.0.0.1:8000")
            })?;
        }
        if let Some(v) = var("MULTISTORE_ACCESS_TOKEN_TTL_SECS") {
            config.access_token_ttl = parse_duration_secs("MULTISTORE_ACCESS_TOKEN_TTL_SECS", &v)?;
        }
        if let Some(v) = var("MULTISTORE_REFRESH_TOKEN_TTL_SECS") {
            config.refresh_token_ttl =
                parse_duration_secs("MULTISTORE_REFRESH_TOKEN_TTL_SECS", &v)?;
        }
        if let Some(v) = var("MULTISTORE_GRAPHIQL") {
            config.graphiql = parse_bool("MULTISTORE_GRAPHIQL", &v)?;
        }
        if let Some(v) = var("MULTISTORE_INTROSPECTION") {
            config.introspection = parse_bool("MULTISTORE_INTROSPECTION", &v)?;
        }
        if let Some(v) = var("MULTISTORE_BCRYPT_COST") {
            let cost: u32 = v
                .parse()
                .context("MULTISTORE_BCRYPT_COST must be a number")?;
            if !(4..=31).contains(&cost) {
                bail!("MULTISTORE_BCRYPT_COST must be between 4 and 31, got {cost}");
            }
            config.bcrypt_cost = cost;
        }
        if let Some(role) = lookup("MULTISTORE_DB_ROLE") {
            config.db_role = role_name("MULTISTORE_DB_ROLE", &role)?;
        }
        if let Some(role) = lookup("MULTISTORE_DB_WORKER_ROLE") {
            config.db_worker_role = role_name("MULTISTORE_DB_WORKER_ROLE", &role)?;
        }
        if let Some(role) = lookup("MULTISTORE_DB_PLATFORM_ROLE") {
            config.db_platform_role = role_name("MULTISTORE_DB_PLATFORM_ROLE", &role)?;
        }
        if let Some(v) = var("MULTISTORE_CORS_ORIGINS") {
            config.cors_origins = v
                .split(',')
                .map(|origin| origin.trim().trim_end_matches('/').to_owned())
                .filter(|origin| !origin.is_empty())
                .collect();
        }
        if let Some(v) = var("MULTISTORE_SIGNUPS_PER_ADDRESS") {
            config.signups_per_address = v
                .parse()
                .context("MULTISTORE_SIGNUPS_PER_ADDRESS must be a number")?;
        }
        if let Some(v) = var("MULTISTORE_MAX_CONNECTIONS") {
            let max: usize = v
                .parse()
                .context("MULTISTORE_MAX_CONNECTIONS must be a number")?;
            if max == 0 {
                bail!("MULTISTORE_MAX_CONNECTIONS must be at least 1");
            }
            config.max_connections = max;
        }
        if let Some(bind) = var("MULTISTORE_METRICS_BIND") {
            config.metrics_bind = Some(bind.parse().with_context(|| {
                format!("MULTISTORE_METRICS_BIND={bind:?} is not an address like 127.0.0.1:9100")
            })?);
        }
        if let Some(v) = var("MULTISTORE_METRICS_PUBLIC") {
            config.metrics_public = parse_bool("MULTISTORE_METRICS_PUBLIC", &v)?;
        }
        if let Some(v) = var("MULTISTORE_UNKNOWN_HOST_TTL_SECS") {
            config.unknown_host_ttl = parse_duration_secs("MULTISTORE_UNKNOWN_HOST_TTL_SECS", &v)?;
        }
        if let Some(v) = var("MULTISTORE_STORE_SHARE") {
            config.store_share = StoreShare::parse(&v)?;
        }
        if let Some(v) = var("MULTISTORE_PLATFORM_HOSTS") {
            config.platform_hosts = v
                .split(',')
                .filter_map(crate::values::normalize_host)
                .collect();
        }
        if let Some(v) = var("MULTISTORE_DB_POOL_SIZE") {
            let size: usize = v
                .parse()
                .context("MULTISTORE_DB_POOL_SIZE must be a number")?;
            if size == 0 {
                bail!("MULTISTORE_DB_POOL_SIZE must be at least 1");
            }
            config.db_pool_size = Some(size);
        }
        if let Some(v) = var("MULTISTORE_DB_POOLER") {
            config.db_pooler = match v.to_ascii_lowercase().as_str() {
                "transaction" => DbPooler::Transaction,
                "none" | "session" => DbPooler::None,
                _ => bail!("MULTISTORE_DB_POOLER must be transaction, session or none, got {v:?}"),
            };
        }
        if let Some(url) = var("MULTISTORE_DIRECT_DATABASE_URL") {
            if !matches!(DatabaseUrl::parse(&url), DatabaseUrl::Postgres(_)) {
                bail!("MULTISTORE_DIRECT_DATABASE_URL must be a postgres:// URL");
            }
            config.direct_database_url = Some(url);
        }
        if let Some(v) = var("MULTISTORE_WEBHOOK_RETRY_BASE_MS") {
            let ms: u64 = v
                .parse()
                .context("MULTISTORE_WEBHOOK_RETRY_BASE_MS must be a number of milliseconds")?;
            if ms == 0 {
                bail!("MULTISTORE_WEBHOOK_RETRY_BASE_MS must be at least 1");
            }
            config.webhook_retry_base = Duration::from_millis(ms);
        }
        if let Some(v) = var("MULTISTORE_WEBHOOK_RETRY_WINDOW_SECS") {
            config.webhook_retry_window =
                parse_duration_secs("MULTISTORE_WEBHOOK_RETRY_WINDOW_SECS", &v)?;
        }
        if let Some(v) = var("MULTISTORE_WEBHOOK_LEASE_SECS") {
            config.webhook_lease = parse_duration_secs("MULTISTORE_WEBHOOK_LEASE_SECS", &v)?;
        }
        if let Some(v) = var("MULTISTORE_WEBHOOK_ALLOW_PRIVATE") {
            config.webhook_allow_private = parse_bool("MULTISTORE_WEBHOOK_ALLOW_PRIVATE", &v)?;
        }
        if let Some(v) = var("MULTISTORE_EVENT_RETENTION_DAYS") {
            let days: u64 = v
                .parse()
                .context("MULTISTORE_EVENT_RETENTION_DAYS must be a number of days")?;
            if days < MIN_EVENT_RETENTION_DAYS {
                bail!(
                    "MULTISTORE_EVENT_RETENTION_DAYS must be at least {MIN_EVENT_RETENTION_DAYS}"
                );
            }
            config.event_retention = Duration::from_secs(days * 24 * 3600);
        }
        Ok(config)
    }
}

fn check_secret(secret: &[u8]) -> anyhow::Result<()> {
    if secret.len() < MIN_JWT_SECRET_BYTES {
        bail!(
            "MULTISTORE_JWT_SECRET is {} bytes; at least {MIN_JWT_SECRET_BYTES} are required",
            secret.len()
        );
    }
    Ok(())
}

/// The file that keeps a generated secret: beside the SQLite file, or in the working directory for PostgreSQL.
pub fn secret_file_for(url: &DatabaseUrl) -> PathBuf {
    match url {
        DatabaseUrl::Sqlite(path) => {
            let mut name = path.file_name().unwrap_or_default().to_os_string();
            name.push(".jwt-secret");
            path.with_file_name(name)
        }
        DatabaseUrl::Postgres(_) => PathBuf::from("multistore.jwt-secret"),
    }
}

/// Reads the secret kept in `path`, or makes a random one and keeps it there (mode 0600), so that tokens
/// survive a restart. Either way the operator is warned to configure one.
fn load_or_generate_secret(path: &Path) -> anyhow::Result<(Vec<u8>, SecretSource)> {
    if let Ok(existing) = std::fs::read_to_string(path) {
        let secret = existing.trim().as_bytes().to_vec();
        check_secret(&secret).with_context(|| format!("the secret kept in {}", path.display()))?;
        tracing::warn!(
            file = %path.display(),
            "MULTISTORE_JWT_SECRET is not set; using the secret kept in the file"
        );
        return Ok((secret, SecretSource::File(path.to_owned())));
    }
    let secret = crate::crypto::random_token(48);
    write_private_file(path, &secret)
        .with_context(|| format!("cannot keep the generated JWT secret in {}", path.display()))?;
    tracing::warn!(
        file = %path.display(),
        "MULTISTORE_JWT_SECRET is not set; generated a random secret and kept it in the file \
         (set MULTISTORE_JWT_SECRET when running several instances)"
    );
    Ok((
        secret.into_bytes(),
        SecretSource::Generated(path.to_owned()),
    ))
}

fn write_private_file(path: &Path, content: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(content.as_bytes())?;
    file.write_all(b"\n")
}

/// A role name from the environment: a plain identifier (it is written into `SET ROLE`), or empty for
/// none (keep the login role).
fn role_name(name: &str, value: &str) -> anyhow::Result<Option<String>> {
    let role = value.trim();
    if !role.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        bail!("{name} must be a plain role name (letters, digits, _)");
    }
    Ok((!role.is_empty()).then(|| role.to_owned()))
}

fn parse_duration_secs(name: &str, value: &str) -> anyhow::Result<Duration> {
    let secs: u64 = value
        .parse()
        .with_context(|| format!("{name} must be a whole number of seconds, got {value:?}"))?;
    if secs == 0 {
        bail!("{name} must be at least 1 second");
    }
    Ok(Duration::from_secs(secs))
}

fn parse_bool(name: &str, value: &str) -> anyhow::Result<bool> {
    match value.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => bail!("{name} must be true or false, got {value:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config_from(vars: &[(&str, &str)]) -> anyhow::Result<Config> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|name| map.get(name).cloned())
    }

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn database_urls_pick_the_backend() {
        assert_eq!(
            DatabaseUrl::parse("postgres://u@h/db"),
            DatabaseUrl::Postgres("postgres://u@h/db".into())
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite://a.db"),
            DatabaseUrl::Sqlite("a.db".into())
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:a.db"),
            DatabaseUrl::Sqlite("a.db".into())
        );
        assert_eq!(
            DatabaseUrl::parse("x/a.db"),
            DatabaseUrl::Sqlite("x/a.db".into())
        );
    }

    #[test]
    fn debug_output_hides_secrets() {
        let config = config_from(&[
            ("DATABASE_URL", "postgres://app:hunter2hunter2@db:5432/shop"),
            ("MULTISTORE_JWT_SECRET", SECRET),
        ])
        .unwrap();
        let shown = format!("{config:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(!shown.contains(SECRET), "{shown}");
        assert!(shown.contains("db:5432/shop"), "{shown}");
    }

    #[test]
    fn short_secrets_are_refused() {
        let err = config_from(&[("MULTISTORE_JWT_SECRET", "too-short")]).unwrap_err();
        assert!(err.to_string().contains("at least 32"), "{err}");
    }

    #[test]
    fn settings_are_read_and_checked() {
        let config = config_from(&[
            ("MULTISTORE_JWT_SECRET", SECRET),
            ("MULTISTORE_BIND", "0.0.0.0:9000"),
            ("MULTISTORE_ACCESS_TOKEN_TTL_SECS", "60"),
            ("MULTISTORE_GRAPHIQL", "false"),
            ("MULTISTORE_BCRYPT_COST", "4"),
        ])
        .unwrap();
        assert_eq!(config.bind.port(), 9000);
        assert_eq!(config.access_token_ttl, Duration::from_secs(60));
        assert!(!config.graphiql);
        assert_eq!(config.bcrypt_cost, 4);
        assert_eq!(
            config.database_url,
            DatabaseUrl::Sqlite(DEFAULT_SQLITE_FILE.into())
        );

        assert!(
            config_from(&[
                ("MULTISTORE_JWT_SECRET", SECRET),
                ("MULTISTORE_BIND", "nope")
            ])
            .is_err()
        );
        assert!(
            config_from(&[
                ("MULTISTORE_JWT_SECRET", SECRET),
                ("MULTISTORE_GRAPHIQL", "maybe")
            ])
            .is_err()
        );
        assert!(
            config_from(&[
                ("MULTISTORE_JWT_SECRET", SECRET),
                ("MULTISTORE_BCRYPT_COST", "3")
            ])
            .is_err()
        );
    }

    #[test]
    fn a_pooler_in_front_and_the_direct_url() {
        let direct = "postgres://app@db:5432/shop";
        let config = config_from(&[
            ("MULTISTORE_JWT_SECRET", SECRET),
            ("DATABASE_URL", "postgres://app@pgbouncer:6432/shop"),
            ("MULTISTORE_DB_POOLER", "Transaction"),
            ("MULTISTORE_DIRECT_DATABASE_URL", direct),
        ])
        .unwrap();
        assert_eq!(config.db_pooler, DbPooler::Transaction);
        assert_eq!(
            config.direct_database_url(),
            DatabaseUrl::Postgres(direct.into())
        );
        let plain = config_from(&[
            ("MULTISTORE_JWT_SECRET", SECRET),
            ("DATABASE_URL", "postgres://app@db:5432/shop"),
        ])
        .unwrap();
        assert_eq!(plain.db_pooler, DbPooler::None);
        assert_eq!(plain.direct_database_url(), plain.database_url);
        for (name, value) in [
            ("MULTISTORE_DB_POOLER", "statement"),
            ("MULTISTORE_DIRECT_DATABASE_URL", "shop.db"),
        ] {
            assert!(config_from(&[("MULTISTORE_JWT_SECRET", SECRET), (name, value)]).is_err());
        }
    }

    #[test]
    fn a_generated_secret_is_kept_beside_the_database_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("shop.db");
        let url = db.to_str().unwrap().to_owned();
        let first = config_from(&[("DATABASE_URL", &url)]).unwrap();
        assert_eq!(
            first.jwt_secret_source,
            SecretSource::Generated(dir.path().join("shop.db.jwt-secret"))
        );
        assert!(first.jwt_secret.len() >= MIN_JWT_SECRET_BYTES);
        let second = config_from(&[("DATABASE_URL", &url)]).unwrap();
        assert_eq!(second.jwt_secret, first.jwt_secret);
        assert!(matches!(second.jwt_secret_source, SecretSource::File(_)));
    }
}
