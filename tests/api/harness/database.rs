//! A fresh database per test: a temporary SQLite file, or a PostgreSQL database cloned from a template
//! that is migrated once (and again only when the migrations change).

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::Path;

use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use multistore::config::DatabaseUrl;
use tokio::sync::OnceCell;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

const DEFAULT_TEST_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";
/// Serializes template creation between test processes that run at the same time.
const TEMPLATE_LOCK: i64 = 0x6d75_6c74_6973;

pub struct TestDatabase {
    pub url: DatabaseUrl,
    /// The PostgreSQL database to drop at the end, with the server URL to drop it from.
    postgres: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDatabase {
    pub async fn create(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let url = DatabaseUrl::Sqlite(dir.path().join("test.db"));
                Self {
                    url,
                    postgres: None,
                    _dir: Some(dir),
                }
            }
            Backend::Postgres => {
                let admin_url = admin_url();
                let template = template().await;
                let name = format!("mst_test_{}", uuid::Uuid::new_v4().simple());
                let mut admin = connect(&admin_url).await;
                admin
                    .batch_execute(&format!("CREATE DATABASE {name} TEMPLATE {template}"))
                    .await
                    .expect("create a test database from the template");
                let url = DatabaseUrl::Postgres(with_database(&admin_url, &name));
                Self {
                    url,
                    postgres: Some((admin_url, name)),
                    _dir: None,
                }
            }
        }
    }
}

impl Drop for TestDatabase {
    /// Drops the PostgreSQL database, from a thread of its own since `Drop` cannot wait on async work.
    fn drop(&mut self) {
        let Some((admin_url, name)) = self.postgres.take() else {
            return;
        };
        let dropping = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                if let Ok(mut admin) = AsyncPgConnection::establish(&admin_url).await {
                    let _ = admin
                        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await;
                }
            });
        });
        let _ = dropping.join();
    }
}

fn admin_url() -> String {
    std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_TEST_DATABASE_URL.to_owned())
}

/// `url` with its database name replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, _) = url
        .rsplit_once('/')
        .expect("a PostgreSQL URL ends with /database");
    format!("{base}/{name}")
}

async fn connect(url: &str) -> AsyncPgConnection {
    AsyncPgConnection::establish(url).await.unwrap_or_else(|e| {
        panic!(
            "cannot reach PostgreSQL at {url} ({e}). The suite needs it: start it with \
             `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start` (or `bash .ci/run`), \
             or point TEST_DATABASE_URL at a server where this user may create databases."
        )
    })
}

/// The name of a migrated template database, made once per migrations content.
async fn template() -> &'static str {
    static TEMPLATE: OnceCell<String> = OnceCell::const_new();
    TEMPLATE
        .get_or_init(|| async {
            let name = format!("mst_template_{:016x}", migrations_hash());
            let admin_url = admin_url();
            let mut admin = connect(&admin_url).await;
            admin
                .batch_execute(&format!("SELECT pg_advisory_lock({TEMPLATE_LOCK})"))
                .await
                .unwrap();
            let exists: bool = {
                use diesel_async::RunQueryDsl;
                diesel::select(diesel::dsl::sql::<diesel::sql_types::Bool>(&format!(
                    "EXISTS (SELECT 1 FROM pg_database WHERE datname = '{name}')"
                )))
                .get_result(&mut admin)
                .await
                .unwrap()
            };
            if !exists {
                let building = format!("{name}_building");
                admin
                    .batch_execute(&format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"))
                    .await
                    .unwrap();
                admin
                    .batch_execute(&format!("CREATE DATABASE {building}"))
                    .await
                    .unwrap();
                let url = DatabaseUrl::Postgres(with_database(&admin_url, &building));
                multistore::db::run_migrations(&url)
                    .await
                    .expect("migrate the template");
                admin
                    .batch_execute(&format!("ALTER DATABASE {building} RENAME TO {name}"))
                    .await
                    .unwrap();
            }
            admin
                .batch_execute(&format!("SELECT pg_advisory_unlock({TEMPLATE_LOCK})"))
                .await
                .unwrap();
            name
        })
        .await
}

/// A hash of the PostgreSQL migrations, so a changed migration gets a new template.
fn migrations_hash() -> u64 {
    let mut hasher = DefaultHasher::new();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/postgres");
    let mut files = Vec::new();
    collect_files(&dir, &mut files);
    files.sort();
    for file in files {
        file.strip_prefix(&dir).unwrap().hash(&mut hasher);
        std::fs::read(&file).unwrap().hash(&mut hasher);
    }
    hasher.finish()
}

fn collect_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect_files(&path, out);
        } else {
            out.push(path);
        }
    }
}
