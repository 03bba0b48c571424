//! `TestApp`: the real service on a free port over a fresh database, driven through HTTP.

pub mod database;
pub mod fixtures;
pub mod process;
pub mod proxy;
pub mod receiver;
pub mod ws;

pub use database::Backend;
pub use fixtures::{Account, Store};

use std::sync::atomic::{AtomicUsize, Ordering};

use multistore::config::{DatabaseUrl, DbPooler};
use multistore::db::Db;
use multistore::{AppState, Config};
use serde_json::{Value, json};
use tokio::sync::oneshot;

/// The secret the test servers sign with, so tests can forge tokens the way an attacker cannot.
pub const JWT_SECRET: &str = "test-secret-test-secret-test-secret!!";

pub struct TestApp {
    pub url: String,
    /// The server's own state (its pool, its statement counter).
    pub state: AppState,
    /// A pool on the same database as its owner, outside row-level security: for checks and faults
    /// behind the API's back.
    pub admin: Db,
    client: reqwest::Client,
    /// Behind a transaction-mode pooler (`TEST_DB_POOLER_URL`), a second instance of the service on the
    /// same database: `POST /graphql` requests alternate between the two.
    peer: Option<(String, AppState, oneshot::Sender<()>)>,
    turn: AtomicUsize,
    shutdown: Option<oneshot::Sender<()>>,
    _database: database::TestDatabase,
}

/// The longest a test waits for something that must happen (a notification between instances takes
/// milliseconds): a deadline against a hang, never a measure of speed. What a test proves by it must
/// not come about by a clock of the service's meanwhile (caches outlive it in such tests).
pub const DEADLINE: std::time::Duration = std::time::Duration::from_secs(20);

/// Polls `check` until it holds; fails the test, saying `what`, past `DEADLINE`.
pub async fn eventually(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let deadline = std::time::Instant::now() + DEADLINE;
    while !check().await {
        assert!(
            std::time::Instant::now() < deadline,
            "{what}: never happened"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Where the PostgreSQL tests reach the database through a transaction-mode pooler (PgBouncer), when
/// set: `postgres://user@host:port` (CI runs the isolation and order tests so).
pub fn pooler_url() -> Option<String> {
    std::env::var("TEST_DB_POOLER_URL")
        .ok()
        .filter(|url| !url.is_empty())
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Starts the service with settings changed by `configure`.
    pub async fn spawn_with(backend: Backend, configure: impl FnOnce(&mut Config)) -> Self {
        let database = database::TestDatabase::create(backend).await;
        let mut config = Config::new(database.url.clone(), JWT_SECRET.as_bytes().to_vec()).unwrap();
        config.bcrypt_cost = 4;
        config.db_pool_size = Some(8);
        config.platform_hosts = vec!["api.platform.example".to_owned()];
        let pooled = match (&database.url, pooler_url()) {
            (DatabaseUrl::Postgres(direct), Some(pooler)) => {
                let name = direct.rsplit('/').next().unwrap_or_default();
                config.database_url = DatabaseUrl::Postgres(format!("{pooler}/{name}"));
                config.db_pooler = DbPooler::Transaction;
                config.direct_database_url = Some(direct.clone());
                true
            }
            _ => false,
        };
        configure(&mut config);
        let admin = Db::connect(&Config {
            db_role: None,
            database_url: config.direct_database_url(),
            db_pooler: DbPooler::None,
            ..config.clone()
        })
        .unwrap();
        let (url, state, shutdown) = start(config.clone()).await;
        let peer = if pooled {
            Some(start(config).await)
        } else {
            None
        };
        let app = Self {
            url,
            state,
            admin,
            client: reqwest::Client::new(),
            peer,
            turn: AtomicUsize::new(0),
            shutdown: Some(shutdown),
            _database: database,
        };
        app.wait_until_ready().await;
        app
    }

    /// Waits for `/readyz` to answer 200, as a load balancer would before sending traffic (on
    /// PostgreSQL the instance first starts listening for other instances' events).
    pub async fn wait_until_ready(&self) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
        let peer = self.peer.as_ref().map(|(url, _, _)| url.as_str());
        for url in std::iter::once(self.url.as_str()).chain(peer) {
            loop {
                let ready = self
                    .client
                    .get(format!("{url}/readyz"))
                    .send()
                    .await
                    .is_ok_and(|response| response.status() == 200);
                if ready {
                    break;
                }
                assert!(
                    std::time::Instant::now() < deadline,
                    "the service never became ready"
                );
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        }
    }

    /// The test's database as another process or a direct connection reaches it: PostgreSQL directly
    /// (never through the pooler the service may use), or the SQLite file's path.
    pub fn database(&self) -> String {
        match self.state.config.direct_database_url() {
            DatabaseUrl::Postgres(url) => url,
            DatabaseUrl::Sqlite(path) => path.to_string_lossy().into_owned(),
        }
    }

    /// How many instances of the service serve the test (two behind a pooler).
    pub fn instances(&self) -> usize {
        1 + usize::from(self.peer.is_some())
    }

    /// The instance the next `POST /graphql` goes to (they alternate when there are two).
    fn next_url(&self) -> &str {
        match &self.peer {
            Some((peer, _, _)) if self.turn.fetch_add(1, Ordering::Relaxed) % 2 == 1 => peer,
            _ => &self.url,
        }
    }

    /// A request to `POST /graphql` with no headers yet.
    /// The rows of an SQL query on the test's database, behind the API's back (as its owner).
    pub async fn rows<T>(&self, sql: &str) -> Vec<T>
    where
        T: diesel::QueryableByName<diesel::pg::Pg>
            + diesel::QueryableByName<diesel::sqlite::Sqlite>
            + Send
            + 'static,
    {
        use diesel_async::RunQueryDsl as _;
        let mut pooled = self.admin.unscoped().await.unwrap();
        let query = diesel::sql_query(sql);
        multistore::with_conn!(pooled.conn(), |c| query.clone().load::<T>(c).await).unwrap()
    }

    pub fn gql(&self) -> Request<'_> {
        Request {
            app: self,
            headers: Vec::new(),
        }
    }

    /// A request as `account` of `store`: its token and its store's domain.
    pub fn as_user(&self, store: &Store, account: &Account) -> Request<'_> {
        self.gql().tenant(&store.domain).token(&account.token)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .unwrap()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some((_, _, shutdown)) = self.peer.take() {
            let _ = shutdown.send(());
        }
    }
}

/// Starts one instance of the service on a free port: its URL, its state and what stops it.
async fn start(config: Config) -> (String, AppState, oneshot::Sender<()>) {
    let state = multistore::connect(config)
        .await
        .expect("the service starts");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (shutdown, stop) = oneshot::channel::<()>();
    tokio::spawn(multistore::serve(listener, state.clone(), async {
        let _ = stop.await;
    }));
    (url, state, shutdown)
}

pub struct Request<'a> {
    app: &'a TestApp,
    headers: Vec<(String, String)>,
}

impl Request<'_> {
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn tenant(self, domain: &str) -> Self {
        self.header("X-Tenant-Domain", domain)
    }

    pub fn token(self, token: &str) -> Self {
        self.header("Authorization", &format!("Bearer {token}"))
    }

    /// Sends one operation.
    pub async fn send(self, query: &str, variables: Value) -> Gql {
        self.send_body(json!({ "query": query, "variables": variables }).to_string())
            .await
    }

    /// Sends a raw body (a batch, broken JSON, a huge document).
    pub async fn send_body(self, body: impl Into<reqwest::Body>) -> Gql {
        let mut request = self
            .app
            .client
            .post(format!("{}/graphql", self.app.next_url()))
            .header("Content-Type", "application/json")
            .body(body);
        for (name, value) in &self.headers {
            request = request.header(name, value);
        }
        let response = request.send().await.expect("the server answers");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        let body = serde_json::from_str(&text)
            .unwrap_or_else(|_| panic!("the body is JSON (status {status}): {text}"));
        Gql {
            status,
            headers,
            body,
        }
    }
}

/// An answer of `POST /graphql`.
#[derive(Debug)]
pub struct Gql {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Gql {
    /// `data`, after checking that the operation succeeded.
    #[track_caller]
    pub fn data(&self) -> &Value {
        assert_eq!(self.status, 200, "{:#}", self.body);
        assert!(
            self.body.get("errors").is_none(),
            "unexpected errors: {:#}",
            self.body
        );
        &self.body["data"]
    }

    /// The `extensions.code` of the first error.
    #[track_caller]
    pub fn code(&self) -> &str {
        self.error()["extensions"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("an error with a code: {:#}", self.body))
    }

    /// The `extensions.field` of the first error.
    #[track_caller]
    pub fn field(&self) -> &str {
        self.error()["extensions"]["field"]
            .as_str()
            .unwrap_or_else(|| panic!("an error with a field: {:#}", self.body))
    }

    #[track_caller]
    /// The `message` of the first error.
    pub fn message(&self) -> &str {
        self.error()["message"]
            .as_str()
            .unwrap_or_else(|| panic!("an error with a message: {:#}", self.body))
    }

    pub fn error(&self) -> &Value {
        let error = &self.body["errors"][0];
        assert!(error.is_object(), "an error was expected: {:#}", self.body);
        error
    }

    /// Asserts an error with `code`, answered with HTTP `status`.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "{:#}", self.body);
        assert_eq!(self.code(), code, "{:#}", self.body);
    }
}

/// Runs each named `async fn(TestApp)` once on SQLite and once on PostgreSQL, as `name::sqlite` and
/// `name::postgres`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let app = $crate::harness::TestApp::spawn($crate::harness::Backend::Sqlite).await;
                    super::$name(app).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    let app = $crate::harness::TestApp::spawn($crate::harness::Backend::Postgres).await;
                    super::$name(app).await;
                }
            }
        )*
    };
}
