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

/// How pgbench runs: on which database, as which role (the service's, so row-level security applies;
/// `None`: the connecting user), on what data set, with how many clients, for how long each script.
pub struct Run<'a> {
    pub url: &'a str,
    pub role: Option<&'a str>,
    pub data: DataSet,
    pub clients: usize,
    pub seconds: u64,
}

/// Vacuums the benchmark database, so each measured phase starts where autovacuum would keep a
/// database in use (the orders of one phase leave dead rows and unset visibility for the next).
pub async fn vacuum(url: &str) -> anyhow::Result<()> {
    let mut conn = AsyncPgConnection::establish(url).await?;
    conn.batch_execute("VACUUM (ANALYZE)").await?;
    Ok(())
}

// The statements the service sends (as its queries build them, with literals for its bind values).
const SET_TENANT: &str = "SELECT set_config('app.vendor_id', :v::text, false);";
const PAGE: &str = "SELECT id, vendor_id, name, description, price_cents, stock, deleted_at, created_at, updated_at FROM products WHERE vendor_id = :v AND deleted_at IS NULL AND id > :after ORDER BY id ASC LIMIT :limit;";
const TAKE_A: &str = "UPDATE products SET stock = stock - 1 WHERE vendor_id = :v AND id = :a AND deleted_at IS NULL AND stock >= 1;";
const TAKE_B: &str = "UPDATE products SET stock = stock - 1 WHERE vendor_id = :v AND id = :b AND deleted_at IS NULL AND stock >= 1;";
const INSERT_ORDER: &str = "INSERT INTO orders (vendor_id, customer_id, status, address, total_cents, created_at, updated_at) VALUES (:v, :u, 'pending', '1 Bench Street', 1000, now(), now()) RETURNING id \\gset";
const ITEM_A: &str = "INSERT INTO order_items (vendor_id, order_id, product_id, product_name, unit_price_cents, quantity) VALUES (:v, :id, :a, 'Product', 500, 1);";
const READ_PRODUCTS: &str = "SELECT id, vendor_id, name, description, price_cents, stock, deleted_at, created_at, updated_at FROM products WHERE vendor_id = :v AND id IN (:a, :b) AND deleted_at IS NULL;";
const ITEM_B: &str = "INSERT INTO order_items (vendor_id, order_id, product_id, product_name, unit_price_cents, quantity) VALUES (:v, :id, :b, 'Product', 500, 1);";
// The service's order: the order in the pipeline of its rows, which name it by the sequence's `currval`.
const PLACE_ORDER: &str = "INSERT INTO orders (vendor_id, customer_id, status, address, total_cents, created_at, updated_at) VALUES (:v, :u, 'pending', '1 Bench Street', 1000, now(), now()) RETURNING id;";
const PLACE_EVENT: &str = "INSERT INTO order_events (vendor_id, order_id, kind, status, actor_id, created_at, position) VALUES (:v, currval('orders_id_seq'::regclass), 'placed', 'pending', :u, now(), 0);";
const PLACE_ITEM_A: &str = "INSERT INTO order_items (vendor_id, order_id, product_id, product_name, unit_price_cents, quantity) VALUES (:v, currval('orders_id_seq'::regclass), :a, 'Product', 500, 1);";
const PLACE_ITEM_B: &str = "INSERT INTO order_items (vendor_id, order_id, product_id, product_name, unit_price_cents, quantity) VALUES (:v, currval('orders_id_seq'::regclass), :b, 'Product', 500, 1);";

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

/// What the service runs for a product page with a token (the page with the tenant setting, as on a
/// connection whose session held another store's: the account's status is remembered; in a one-store
/// load the setting is mostly not sent) and for a two-line order (one transaction: `BEGIN` and the
/// setting with the products read; the order, its event, the stock taken with conditional updates and
/// its lines; `COMMIT`).
pub const WORKLOADS: &[Workload] = &[
    Workload {
        scenario: "list",
        round_trips: &[&[SET_TENANT, PAGE]],
    },
    Workload {
        scenario: "place-order",
        round_trips: &[
            &["BEGIN;", SET_TENANT, READ_PRODUCTS],
            &[
                PLACE_ORDER,
                PLACE_EVENT,
                TAKE_A,
                TAKE_B,
                PLACE_ITEM_A,
                PLACE_ITEM_B,
            ],
            &["COMMIT;"],
        ],
    },
];

/// The least SQL that gives a scenario's result, one statement after another (the headline limit):
/// a page is one SELECT; an order is one transaction of two conditional stock updates, the order and
/// its two lines, with no event. The store is set once per session (`PGOPTIONS`), store 1's rows.
pub struct Minimal {
    pub scenario: &'static str,
    variables: &'static str,
    statements: &'static [&'static str],
}

const MINIMAL_ORDER: &[&str] = &[
    "BEGIN;",
    TAKE_A,
    TAKE_B,
    INSERT_ORDER,
    ITEM_A,
    ITEM_B,
    "COMMIT;",
];

pub const MINIMAL: &[Minimal] = &[
    Minimal {
        scenario: "list",
        variables: "\\set v 1\n\\set after 0\n\\set limit 21\n",
        statements: &[PAGE],
    },
    Minimal {
        scenario: "place-order",
        variables: "\\set v 1\n\\set u :stores + random(1, :customers)\n\\set a random(1, :per_store - 1)\n\\set b :a + 1\n",
        statements: MINIMAL_ORDER,
    },
    Minimal {
        scenario: "hot-order",
        variables: "\\set v 1\n\\set u :stores + random(1, :customers)\n\\set a 1\n\\set b 2\n",
        statements: MINIMAL_ORDER,
    },
];

/// pgbench's rate for the least SQL of a scenario.
pub struct MinimalRate {
    pub scenario: &'static str,
    pub tps: f64,
}

/// pgbench's rate for the least SQL of `scenario` (if it has one), as the service's role, store 1.
/// Run right after the scenario's own phase, so the ratio of the two compares adjacent moments of a
/// shared machine whose speed drifts over a run.
pub async fn minimal_rate(run: &Run<'_>, scenario: &str) -> anyhow::Result<Option<MinimalRate>> {
    let Some(minimal) = MINIMAL.iter().find(|m| m.scenario == scenario) else {
        return Ok(None);
    };
    let (clients, seconds) = (run.clients, run.seconds);
    let dir = std::env::temp_dir().join(format!("multistore-minimal-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let mut script = minimal.variables.to_owned();
    for statement in minimal.statements {
        script.push_str(statement);
        script.push('\n');
    }
    let path = dir.join(format!("{}-minimal.sql", minimal.scenario));
    std::fs::write(&path, script)?;
    vacuum(run.url).await?;
    eprintln!(
        "running pgbench ({}, minimal SQL) for {seconds} s on {clients} clients…",
        minimal.scenario
    );
    let tps = pgbench(run, &path, Some(1))?;
    Ok(Some(MinimalRate {
        scenario: minimal.scenario,
        tps,
    }))
}

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
pub async fn raw_rates(run: &Run<'_>) -> anyhow::Result<Vec<RawRate>> {
    let (clients, seconds) = (run.clients, run.seconds);
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
            vacuum(run.url).await?;
            eprintln!("running pgbench ({name}) for {seconds} s on {clients} clients…");
            *rate = pgbench(run, &path, None)?;
        }
        rates.push(RawRate {
            scenario: workload.scenario,
            one_by_one_tps: tps[0],
            pipelined_tps: tps[1],
        });
    }
    Ok(rates)
}

/// Runs pgbench in prepared mode on one script; returns its transactions per second. With `store`,
/// every session is that store's for row-level security from the start.
fn pgbench(run: &Run<'_>, script: &std::path::Path, store: Option<i64>) -> anyhow::Result<f64> {
    let Run {
        url,
        role,
        data,
        clients,
        seconds,
    } = *run;
    let mut pgbench = Command::new("pgbench");
    // The session settings of the service's connections.
    let mut options = format!("-c plan_cache_mode={}", multistore::db::PLAN_CACHE_MODE);
    if let Some(role) = role {
        options.push_str(&format!(" -c role={role}"));
    }
    if let Some(store) = store {
        options.push_str(&format!(" -c app.vendor_id={store}"));
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
