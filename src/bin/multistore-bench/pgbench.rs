//! The limit beside the API: the SQL the service runs for a request, driven by pgbench (prepared
//! statements, the same number of clients) straight at PostgreSQL.

use std::process::Command;

use diesel_async::{AsyncConnection as _, AsyncPgConnection, SimpleAsyncConnection as _};

use crate::seed::{CUSTOMERS_PER_VENDOR, DataSet};

const DATABASE: &str = "multistore_bench";

/// Drops and creates the benchmark database next to the admin URL's; returns its URL.
pub async fn fresh_database(admin_url: &str) -> anyhow::Result<String> {
    let mut admin = AsyncPgConnection::establish(admin_url).await?;
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
        .await?;
    admin
        .batch_execute(&format!("CREATE DATABASE {DATABASE}"))
        .await?;
    let (base, _) = admin_url
        .rsplit_once('/')
        .ok_or_else(|| anyhow::anyhow!("a URL ending in /database"))?;
    Ok(format!("{base}/{DATABASE}"))
}

// The statements the service sends (as its queries build them, with literals for its bind values).
const SET_TENANT: &str = "SELECT set_config('app.vendor_id', :v::text, false);";
const USER_CHECK: &str = "SELECT id, vendor_id, username, email, password_hash, first_name, last_name, role, is_active, created_at, updated_at FROM users WHERE vendor_id = :v AND id = :u LIMIT 1;";
const PAGE: &str = "SELECT id, vendor_id, name, description, price_cents, stock, deleted_at, created_at, updated_at FROM products WHERE vendor_id = :v AND deleted_at IS NULL AND id > :after ORDER BY id ASC LIMIT :limit;";
const TAKE_A: &str = "UPDATE products SET stock = stock - 1, updated_at = now() WHERE vendor_id = :v AND id = :a AND deleted_at IS NULL AND stock >= 1 RETURNING name, price_cents;";
const TAKE_B: &str = "UPDATE products SET stock = stock - 1, updated_at = now() WHERE vendor_id = :v AND id = :b AND deleted_at IS NULL AND stock >= 1 RETURNING name, price_cents;";
const INSERT_ORDER: &str = "INSERT INTO orders (vendor_id, customer_id, status, address, total_cents, created_at, updated_at) VALUES (:v, :u, 'pending', '1 Bench Street', 1000, now(), now()) RETURNING id \\gset";
const ITEM_A: &str = "INSERT INTO order_items (vendor_id, order_id, product_id, product_name, unit_price_cents, quantity) VALUES (:v, :id, :a, 'Product', 500, 1);";
const ITEM_B: &str = "INSERT INTO order_items (vendor_id, order_id, product_id, product_name, unit_price_cents, quantity) VALUES (:v, :id, :b, 'Product', 500, 1);";

/// A customer of a random store, two neighbouring products of that store (the data set's shape comes
/// in as `-D` variables), and the first page's bounds, bound as parameters as the service binds them.
const VARIABLES: &str = r"\set v random(1, :stores)
\set u :stores + (:v - 1) * :customers + random(1, :customers)
\set a (:v - 1) * :per_store + random(1, :per_store - 1)
\set b :a + 1
\set after 0
\set limit 21
";

/// The SQL behind a scenario, as the round trips the service makes: each inner list goes out together.
pub struct Workload {
    pub scenario: &'static str,
    round_trips: &'static [&'static [&'static str]],
}

/// What the service runs for a product page with a token (the user check, then the page, each with
/// the tenant setting) and for a two-line order (the user check, then one transaction: stock taken
/// with conditional updates, the order, its lines).
pub const WORKLOADS: &[Workload] = &[
    Workload {
        scenario: "list",
        round_trips: &[&[SET_TENANT, USER_CHECK], &[SET_TENANT, PAGE]],
    },
    Workload {
        scenario: "place-order",
        round_trips: &[
            &[SET_TENANT, USER_CHECK],
            &["BEGIN;"],
            &[SET_TENANT, TAKE_A, TAKE_B],
            &[INSERT_ORDER],
            &[ITEM_A, ITEM_B],
            &["COMMIT;"],
        ],
    },
];

impl Workload {
    /// The pgbench script: every statement one after another, or (`pipelined`) each round trip of
    /// several statements in one pipeline, as the service sends them.
    fn script(&self, pipelined: bool) -> String {
        let mut script = VARIABLES.to_owned();
        for round_trip in self.round_trips {
            let pipeline = pipelined && round_trip.len() > 1;
            if pipeline {
                script.push_str("\\startpipeline\n");
            }
            for statement in *round_trip {
                script.push_str(statement);
                script.push('\n');
            }
            if pipeline {
                script.push_str("\\endpipeline\n");
            }
        }
        script
    }
}

/// pgbench's rate for one workload, its statements one by one and pipelined as the service sends them.
pub struct RawRate {
    pub scenario: &'static str,
    pub one_by_one_tps: f64,
    pub pipelined_tps: f64,
}

/// pgbench's rates for the service's SQL, in sessions with the settings of the service's connections
/// (through `PGOPTIONS`). With `role`, they take the role the service's pooled connections take, so
/// row-level security applies to pgbench as it does to the service; without, they run as the connecting
/// user (an owner or superuser bypasses it).
pub async fn raw_rates(
    url: &str,
    role: Option<&str>,
    data: DataSet,
    clients: usize,
    seconds: u64,
) -> anyhow::Result<Vec<RawRate>> {
    let dir = std::env::temp_dir().join(format!("multistore-pgbench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let mut rates = Vec::new();
    for workload in WORKLOADS {
        let mut tps = [0.0; 2];
        for (pipelined, rate) in [false, true].into_iter().zip(&mut tps) {
            let name = format!(
                "{}-{}",
                workload.scenario,
                if pipelined { "pipelined" } else { "one-by-one" }
            );
            let path = dir.join(format!("{name}.sql"));
            std::fs::write(&path, workload.script(pipelined))?;
            eprintln!("running pgbench ({name}) for {seconds} s on {clients} clients…");
            *rate = pgbench(&path, url, role, data, clients, seconds)?;
        }
        rates.push(RawRate {
            scenario: workload.scenario,
            one_by_one_tps: tps[0],
            pipelined_tps: tps[1],
        });
    }
    Ok(rates)
}

/// Runs pgbench in prepared mode on one script; returns its transactions per second.
fn pgbench(
    script: &std::path::Path,
    url: &str,
    role: Option<&str>,
    data: DataSet,
    clients: usize,
    seconds: u64,
) -> anyhow::Result<f64> {
    let mut pgbench = Command::new("pgbench");
    // The session settings of the service's connections.
    let mut options = format!("-c plan_cache_mode={}", multistore::db::PLAN_CACHE_MODE);
    if let Some(role) = role {
        options.push_str(&format!(" -c role={role}"));
    }
    pgbench.env("PGOPTIONS", options);
    let output = pgbench
        .args(["-n", "-M", "prepared", "-j", "2"])
        .arg(format!("--define=stores={}", data.vendors))
        .arg(format!("--define=per_store={}", data.products_per_vendor))
        .arg(format!("--define=customers={CUSTOMERS_PER_VENDOR}"))
        .args(["-c", &clients.to_string(), "-T", &seconds.to_string(), "-f"])
        .arg(script)
        .arg(url)
        .output()?;
    let text = String::from_utf8_lossy(&output.stdout);
    anyhow::ensure!(
        output.status.success(),
        "pgbench failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    text.lines()
        .find_map(|line| line.trim().strip_prefix("tps = "))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|number| number.parse::<f64>().ok())
        .ok_or_else(|| anyhow::anyhow!("no tps in pgbench's output: {text}"))
}
