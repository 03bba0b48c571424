//! The data layer: one set of queries served to PostgreSQL and to SQLite.
//!
//! `Db` holds a deadpool pool of either backend. A store function takes `&mut Conn` (a borrowed
//! connection of either kind) and writes its query once inside `with_conn!`, which expands it for each
//! connection type, so every query is type-checked against both backends. Callers own transactions:
//! `transaction!` runs a block atomically and hands it a `Conn` again.
//!
//! On PostgreSQL every checkout names its tenant for row-level security (`app.vendor_id`). The setting
//! travels with the checkout's first statement, pipelined: both go out in one write and cost one round
//! trip (see `with_conn!`); and it is not sent at all when the connection's session is known to hold
//! that tenant already (`session`).

mod cached;
mod error;
mod explain;
mod migrate;
pub mod notify;
mod predicate;
pub mod schema;
mod session;
pub mod setting;
mod share;
mod tenant;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use diesel::connection::InstrumentationEvent;

use diesel::{Connection as _, SqliteConnection};
use diesel_async::AsyncPgConnection;
use diesel_async::pooled_connection::deadpool::{Object, Pool};
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use futures_util::FutureExt;
use session::{PgSession, PgSessionManager};

use crate::config::{Config, DatabaseUrl, DbPooler};

pub use cached::CacheWrite;
pub use diesel_async::pooled_connection::deadpool::PoolError;
pub use error::{DbError, DbResult};
pub use explain::explain;
pub use migrate::run_migrations;
pub use predicate::Predicate;
pub use setting::TenantSetting;
use share::{StoreShare, StoreShares};
pub use tenant::{TenantId, TenantTable};

pub type SqliteConn = SyncConnectionWrapper<SqliteConnection>;

/// How long a request waits for a pooled connection, or for a new one, before it fails.
const POOL_TIMEOUT: Duration = Duration::from_secs(5);
/// Connections of the background work's pool (the log reader, the announcer, the webhook tasks).
const WORKER_POOL_SIZE: usize = 4;
/// Connections of the platform admins' pool (a few operators, listing and suspending stores).
const PLATFORM_POOL_SIZE: usize = 2;
/// SQLite waits this long for another connection's write lock before answering SQLITE_BUSY.
const SQLITE_BUSY_TIMEOUT_MS: u32 = 5_000;

/// A pool of connections to the configured database, and a count of the statements they ran.
#[derive(Clone)]
pub struct Db {
    pools: Pools,
    /// Each store's share of the pool's connections.
    shares: Arc<StoreShares>,
    statements: Arc<AtomicU64>,
    /// SQLite: the file the connections have open, checked at every checkout.
    sqlite_file: Option<Arc<SqliteFile>>,
}

/// The SQLite file the pool's connections write to. Deleted or replaced while the service runs, the
/// connections would go on writing into the unlinked file and lose every write at restart; made
/// read-only, every write would fail. Either way the service says it is not ready, and no checkout is
/// given out, so no write is acknowledged into a file that is gone (the check is one `stat` per
/// checkout; a file deleted during a transaction already under way is caught at the next checkout).
pub struct SqliteFile {
    path: std::path::PathBuf,
    /// Device and inode of the file when the first connection opened it.
    opened: std::sync::OnceLock<(u64, u64)>,
}

impl SqliteFile {
    fn identity(metadata: &std::fs::Metadata) -> (u64, u64) {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt as _;
            (metadata.dev(), metadata.ino())
        }
        #[cfg(not(unix))]
        {
            let _ = metadata;
            (0, 0)
        }
    }

    fn note_opened(&self) {
        if let Ok(metadata) = std::fs::metadata(&self.path) {
            let _ = self.opened.set(Self::identity(&metadata));
        }
    }

    /// Whether the file at the path is still the one the connections have open, and writable.
    pub fn intact(&self) -> bool {
        match std::fs::metadata(&self.path) {
            Ok(metadata) => {
                self.opened
                    .get()
                    .is_none_or(|opened| *opened == Self::identity(&metadata))
                    && !metadata.permissions().readonly()
            }
            Err(_) => false,
        }
    }
}

#[derive(Clone)]
enum Pools {
    /// PostgreSQL, each connection with its tenant setting.
    Pg(deadpool::managed::Pool<PgSessionManager>),
    Sqlite(Pool<SqliteConn>),
}

/// A connection taken from the pool; returned to it when dropped, with its store's place in the
/// store's share. On PostgreSQL it carries the tenant setting that its statements must bring along
/// (`PgSession`).
pub struct PooledConn {
    conn: Pooled,
    _share: Option<StoreShare>,
}

#[expect(
    clippy::large_enum_variant,
    reason = "lives on the stack of one request; boxing would cost an allocation per checkout"
)]
enum Pooled {
    Pg(deadpool::managed::Object<PgSessionManager>),
    Sqlite(Object<SqliteConn>),
}

/// A borrowed connection of either backend: what store functions take.
pub enum Conn<'a> {
    Pg(&'a mut AsyncPgConnection, &'a mut TenantSetting),
    Sqlite(&'a mut SqliteConn),
}

impl PooledConn {
    pub fn conn(&mut self) -> Conn<'_> {
        match &mut self.conn {
            Pooled::Pg(session) => {
                let PgSession { conn, setting } = &mut **session;
                Conn::Pg(conn, setting)
            }
            Pooled::Sqlite(c) => Conn::Sqlite(c),
        }
    }
}

/// Expands `$body` once per backend with `$c` bound to that backend's connection.
///
/// On PostgreSQL `$c` is a shared reference (`&mut &AsyncPgConnection`, which diesel-async pipelines),
/// and the tenant setting's preamble (`setting::Preamble`) is sent just before `$body`'s first
/// statement: its future is polled first, so its request is queued first (a statement waiting on the
/// connection's statement cache waits behind it), and the server runs them in order. If the preamble
/// fails, `$body`'s result is discarded. Behind a transaction-mode pooler, a statement outside a
/// transaction is made one (`BEGIN; SET LOCAL ...` with it, `COMMIT` after it).
#[macro_export]
macro_rules! with_conn {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::Conn::Pg(pg, setting) => {
                let shared: &diesel_async::AsyncPgConnection = &*pg;
                let preamble = setting.preamble();
                let (set, result) = futures_util::future::join(
                    $crate::db::setting::send_preamble(shared, &preamble),
                    async {
                        let mut shared = shared;
                        let $c = &mut shared;
                        $body
                    },
                )
                .await;
                if set.is_ok() {
                    setting.confirm(&preamble);
                }
                let result = set.and(result);
                $crate::db::setting::end_statement(shared, &preamble, result).await
            }
            $crate::db::Conn::Sqlite($c) => $body,
        }
    };
}

/// Runs `$body` (a `QueryResult`) once per element of `$items`, in their order, and collects the
/// results; `Err` at the first failure. On PostgreSQL the statements are pipelined: all are sent at once
/// (after the tenant setting's preamble) and the server runs them one after another in that order, so
/// row locks are still taken in the order given and N statements cost one round trip. On SQLite they
/// run one after another. Inside a transaction a failure anywhere rolls everything back, whatever ran
/// after it.
#[macro_export]
macro_rules! each_pipelined {
    ($conn:expr, $items:expr, |$c:ident, $item:ident| $body:expr) => {
        match $conn {
            $crate::db::Conn::Pg(pg, setting) => {
                let shared: &diesel_async::AsyncPgConnection = &*pg;
                let preamble = setting.preamble();
                let statements = futures_util::future::try_join_all($items.into_iter().map(
                    |$item| async move {
                        let mut shared = shared;
                        let $c = &mut shared;
                        $body
                    },
                ));
                let (set, result) = futures_util::future::join(
                    $crate::db::setting::send_preamble(shared, &preamble),
                    statements,
                )
                .await;
                if set.is_ok() {
                    setting.confirm(&preamble);
                }
                let result = set.and(result);
                $crate::db::setting::end_statement(shared, &preamble, result).await
            }
            $crate::db::Conn::Sqlite($c) => 'each: {
                let mut results = Vec::new();
                for $item in $items {
                    match $body {
                        Ok(result) => results.push(result),
                        Err(err) => break 'each Err(err),
                    }
                }
                Ok(results)
            }
        }
    };
}

/// Runs `$body` in one transaction and evaluates to its result; an `Err` rolls everything back. `$err`
/// is the body's error type (anything a diesel error converts into: `DbError`, or a service's error).
/// `$c` is a `&mut Conn` inside. Transactions do not nest. On PostgreSQL the `BEGIN` goes out with the
/// body's first statement, pipelined (see `setting`), so a transaction costs one round trip of its own,
/// its `COMMIT`; a connection whose transaction was not seen to end (a request dropped half-way) is
/// closed by the pool, never handed out again. On SQLite the transaction starts with `BEGIN IMMEDIATE`,
/// taking the write lock up front: a deferred transaction that reads and then writes can fail with
/// SQLITE_BUSY half-way when another connection wrote in between, which the busy timeout does not cover.
#[macro_export]
macro_rules! transaction {
    ($conn:expr, $err:ty, |$c:ident| $body:expr) => {{
        match $conn {
            $crate::db::Conn::Pg(pg, setting) => {
                // The tenant setting goes with the transaction's first statement (for the session, but
                // undone by a rollback; transaction-local behind a pooler).
                let setting: &mut $crate::db::setting::TenantSetting = setting;
                let pg: &mut diesel_async::AsyncPgConnection = pg;
                let (mut inside, before) = setting.enter_transaction();
                let result: Result<_, $err> = async {
                    let $c = &mut $crate::db::Conn::Pg(pg, &mut inside);
                    $body
                }
                .await;
                let ended =
                    $crate::db::setting::end_transaction(pg, &inside, result.is_ok()).await;
                let committed = result.is_ok() && ended.is_ok();
                setting.leave_transaction(inside, committed, ended.is_ok(), before);
                match (result, ended) {
                    (Ok(value), Ok(())) => Ok(value),
                    (Err(err), _) => Err(err),
                    (Ok(_), Err(err)) => Err(<$err>::from(err)),
                }
            }
            $crate::db::Conn::Sqlite(lite) => {
                lite.immediate_transaction(async |lite| -> Result<_, $err> {
                    let $c = &mut $crate::db::Conn::Sqlite(lite);
                    $body
                })
                .await
            }
        }
    }};
}

impl Db {
    /// Builds the pool (connections are opened lazily) for the configured database.
    pub fn connect(config: &Config) -> anyhow::Result<Self> {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        let statements = Arc::new(AtomicU64::new(0));
        let mut sqlite_file = None;
        let (pools, size) = match &config.database_url {
            DatabaseUrl::Postgres(url) => {
                let counter = statements.clone();
                let mode = match config.db_pooler {
                    DbPooler::None => setting::Mode::Session,
                    DbPooler::Transaction => setting::Mode::Pooled {
                        role: config.db_role.as_deref().map(Arc::from),
                    },
                };
                let role = config.db_role.clone();
                let opening = mode.clone();
                let mut manager_config = fast_recycling();
                manager_config.custom_setup = Box::new(move |url| {
                    open_postgres(
                        url.to_owned(),
                        opening.clone(),
                        role.clone(),
                        counter.clone(),
                    )
                    .boxed()
                });
                let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(
                    url,
                    manager_config,
                );
                let size = config.db_pool_size.unwrap_or(cores * 8);
                let manager = PgSessionManager {
                    connections: manager,
                    mode,
                };
                (Pools::Pg(build_pool(manager, size)?), size)
            }
            DatabaseUrl::Sqlite(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir)?;
                }
                let counter = statements.clone();
                let file = Arc::new(SqliteFile {
                    path: path.clone(),
                    opened: std::sync::OnceLock::new(),
                });
                sqlite_file = Some(file.clone());
                let mut manager_config = fast_recycling();
                manager_config.custom_setup = Box::new(move |url| {
                    open_sqlite(url.to_owned(), counter.clone(), file.clone()).boxed()
                });
                let url = path.to_string_lossy().into_owned();
                let manager = AsyncDieselConnectionManager::<SqliteConn>::new_with_config(
                    url,
                    manager_config,
                );
                // SQLite takes one writer at a time; a few connections let reads run beside it.
                let size = config.db_pool_size.unwrap_or(cores * 2);
                (Pools::Sqlite(build_pool(manager, size)?), size)
            }
        };
        Ok(Self {
            pools,
            shares: StoreShares::new(config.store_share.of(size)),
            statements,
            sqlite_file,
        })
    }

    /// The pool of the instance's background work (reading every store's event log, webhooks): a
    /// small pool of its own, so requests never wait behind it (and its statements are counted apart).
    /// On PostgreSQL its connections take the worker role (`MULTISTORE_DB_WORKER_ROLE`), which
    /// row-level security lets touch what that work needs of every store and nothing else.
    pub fn worker(config: &Config) -> anyhow::Result<Self> {
        Self::connect(&Config {
            db_role: config.db_worker_role.clone(),
            db_pool_size: Some(WORKER_POOL_SIZE),
            ..config.clone()
        })
    }

    /// The pool of the platform admins' requests. On PostgreSQL its connections take the platform role
    /// (`MULTISTORE_DB_PLATFORM_ROLE`), which may read the stores, suspend and reactivate them and
    /// nothing else: no right on any store's products, orders or people.
    pub fn platform(config: &Config) -> anyhow::Result<Self> {
        Self::connect(&Config {
            db_role: config.db_platform_role.clone(),
            db_pool_size: Some(PLATFORM_POOL_SIZE),
            ..config.clone()
        })
    }

    /// How many SQL statements this pool's connections have run (for query-count checks and metrics).
    pub fn statements_run(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }

    /// The pool's size, idle connections and waiters now (for metrics).
    pub fn pool_status(&self) -> deadpool::Status {
        match &self.pools {
            Pools::Pg(pool) => pool.status(),
            Pools::Sqlite(pool) => pool.status(),
        }
    }

    /// A connection whose queries see only `tenant`'s rows (PostgreSQL row-level security).
    pub async fn tenant(&self, tenant: TenantId) -> DbResult<PooledConn> {
        self.scoped(Some(tenant)).await
    }

    /// A connection for what belongs to no tenant (finding a store by its domain, opening a store): under
    /// row-level security it sees no tenant's rows.
    pub async fn unscoped(&self) -> DbResult<PooledConn> {
        self.scoped(None).await
    }

    /// Every checkout names its tenant, so a connection never carries the previous user's: sent with
    /// the next statement unless the connection's session is known to hold that tenant already.
    async fn scoped(&self, tenant: Option<TenantId>) -> DbResult<PooledConn> {
        if let Some(file) = &self.sqlite_file
            && !file.intact()
        {
            return Err(DbError::Unavailable(format!(
                "the SQLite file {} is gone, replaced or read-only",
                file.path.display()
            )));
        }
        // A store's place in its share first: a store past its share waits for its own connections,
        // and holds none of the pool's meanwhile.
        let share = match tenant {
            Some(tenant) => Some(self.shares.enter(tenant, POOL_TIMEOUT).await?),
            None => None,
        };
        let conn = match &self.pools {
            Pools::Pg(pool) => Pooled::Pg(pool.get().await?),
            Pools::Sqlite(pool) => Pooled::Sqlite(pool.get().await?),
        };
        let mut pooled = PooledConn {
            conn,
            _share: share,
        };
        set_tenant(&mut pooled.conn(), tenant);
        Ok(pooled)
    }

    pub fn backend_name(&self) -> &'static str {
        match self.pools {
            Pools::Pg(..) => "postgres",
            Pools::Sqlite(_) => "sqlite",
        }
    }

    /// Whether the database answers a query now; used by `/readyz`.
    pub async fn ping(&self) -> bool {
        use diesel_async::RunQueryDsl as _;
        let check = async {
            let mut pooled = self.unscoped().await.ok()?;
            let answered: diesel::QueryResult<usize> =
                with_conn!(pooled.conn(), |c| diesel::sql_query("SELECT 1")
                    .execute(c)
                    .await);
            answered.ok()
        };
        matches!(
            tokio::time::timeout(Duration::from_secs(2), check).await,
            Ok(Some(_))
        )
    }

    /// Runs SQL text of several statements (seeding, maintenance) on a connection of its own, outside
    /// any tenant.
    pub async fn batch_execute(&self, sql: &str) -> DbResult<()> {
        use diesel_async::SimpleAsyncConnection as _;
        match &self.pools {
            Pools::Pg(pool) => {
                let mut session = pool.get().await?;
                // Whatever the SQL set, the session's tenant setting is no longer known.
                session.setting.forget();
                session.conn.batch_execute(sql).await?
            }
            Pools::Sqlite(pool) => pool.get().await?.batch_execute(sql).await?,
        }
        Ok(())
    }
}

/// A connection that broke is noticed on its next query and dropped by the pool then; the default
/// `SELECT 1` before every checkout would cost a round trip on every request.
fn fast_recycling<C: diesel_async::AsyncConnection + 'static>() -> ManagerConfig<C> {
    let mut config = ManagerConfig::default();
    config.recycling_method = RecyclingMethod::Fast;
    config
}

fn build_pool<M: deadpool::managed::Manager>(
    manager: M,
    size: usize,
) -> anyhow::Result<deadpool::managed::Pool<M>> {
    Ok(deadpool::managed::Pool::builder(manager)
        .max_size(size)
        .runtime(deadpool::Runtime::Tokio1)
        .wait_timeout(Some(POOL_TIMEOUT))
        .create_timeout(Some(POOL_TIMEOUT))
        .recycle_timeout(Some(POOL_TIMEOUT))
        .build()?)
}

/// Every statement is prepared once per connection and run many times, so it is planned once too
/// (a generic plan). With PostgreSQL's default, a page query (`LIMIT $n`: a generic plan must assume
/// a tenth of the rows) was planned anew on every run once a store held many products: a store of
/// 1,000,000 products listed a fifth slower than one of 1,000. Our statements are lookups and ranges
/// on (tenant, ...) indexes, for which the generic plan is the plan.
pub const PLAN_CACHE_MODE: &str = "force_generic_plan";

/// Opens a PostgreSQL connection. In session mode the connection is ours for its lifetime: it takes
/// the session's settings and, when configured, switches to `role`, the one that owns nothing and is
/// subject to row-level security (tables' owners and superusers bypass it). Behind a transaction-mode
/// pooler a session setting would land on whichever server connection runs it, so each transaction
/// takes the role itself (`setting`), and no statement is kept prepared: a named statement would be left
/// on a server connection that other clients' transactions run on.
async fn open_postgres(
    url: String,
    mode: setting::Mode,
    role: Option<String>,
    counter: Arc<AtomicU64>,
) -> diesel::ConnectionResult<AsyncPgConnection> {
    use diesel_async::{AsyncConnection as _, SimpleAsyncConnection as _};
    let mut conn = match mode {
        setting::Mode::Session => {
            let mut conn = AsyncPgConnection::establish(&url).await?;
            // The name was checked to be a plain identifier when the settings were read.
            let role = role.map(|role| format!("SET ROLE \"{role}\";"));
            let settings = format!("SET plan_cache_mode = {PLAN_CACHE_MODE}");
            conn.batch_execute(&format!("{}{settings}", role.unwrap_or_default()))
                .await
                .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
            conn
        }
        setting::Mode::Pooled { .. } => open_behind_pooler(&url).await?,
    };
    conn.set_instrumentation(counting(counter));
    Ok(conn)
}

/// A connection through a transaction-mode pooler. diesel-async sets a connection up (time zone,
/// encoding) with prepared statements, each prepared and then run in two exchanges, between which the
/// pooler may move to another server connection, where the statement does not exist: so the setup runs
/// inside one transaction. Afterwards no statement is kept prepared.
async fn open_behind_pooler(url: &str) -> diesel::ConnectionResult<AsyncPgConnection> {
    use diesel_async::{AsyncConnection as _, SimpleAsyncConnection as _};
    let bad = |err: tokio_postgres::Error| diesel::ConnectionError::BadConnection(err.to_string());
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .map_err(bad)?;
    tokio::spawn(async move {
        if let Err(err) = connection.await {
            tracing::warn!(%err, "a PostgreSQL connection through the pooler ended");
        }
    });
    client.batch_execute("BEGIN").await.map_err(bad)?;
    let mut conn = AsyncPgConnection::try_from(client).await?;
    // Dropping the cache closes what the setup prepared, still inside the transaction; nothing named
    // may stay on a server connection that other clients' transactions will run on.
    conn.set_prepared_statement_cache_size(diesel::connection::CacheSize::Disabled);
    conn.batch_execute("DEALLOCATE ALL; COMMIT")
        .await
        .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
    Ok(conn)
}

/// Names the tenant that PostgreSQL's row-level security lets this connection see (`None`: no tenant's
/// rows): every checkout and every switch names it, and it goes with the next statement unless the
/// session is known to hold it. A no-op on SQLite.
pub fn set_tenant(conn: &mut Conn<'_>, tenant: Option<TenantId>) {
    if let Conn::Pg(_, setting) = conn {
        setting.set(tenant);
    }
}

/// Counts every statement a connection starts.
fn counting(counter: Arc<AtomicU64>) -> impl diesel::connection::Instrumentation {
    move |event: InstrumentationEvent<'_>| {
        if let InstrumentationEvent::StartQuery { .. } = event {
            counter.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Opens an SQLite file with the settings every connection needs: foreign keys enforced (off by default
/// in SQLite), WAL so readers never block the writer, and a busy timeout instead of immediate SQLITE_BUSY.
async fn open_sqlite(
    path: String,
    counter: Arc<AtomicU64>,
    file: Arc<SqliteFile>,
) -> diesel::ConnectionResult<SqliteConn> {
    tokio::task::spawn_blocking(move || {
        use diesel::connection::SimpleConnection as _;
        let mut conn = SqliteConnection::establish(&path)?;
        file.note_opened();
        conn.set_instrumentation(counting(counter));
        conn.batch_execute(&format!(
            "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}; \
             PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
        ))
        .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
        Ok(SyncConnectionWrapper::new(conn))
    })
    .await
    .map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))?
}

/// The current time as stored: UTC, truncated to microseconds (PostgreSQL's precision), so that a value
/// reads back the same on both backends.
pub fn now() -> chrono::NaiveDateTime {
    use chrono::{DurationRound as _, TimeDelta};
    let now = chrono::Utc::now().naive_utc();
    now.duration_trunc(TimeDelta::microseconds(1))
        .unwrap_or(now)
}

diesel::define_sql_function! {
    /// SQL `lower()`. Both sides of a case-insensitive comparison go through it, so each backend compares
    /// consistently (PostgreSQL folds all of Unicode, SQLite only ASCII).
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}
