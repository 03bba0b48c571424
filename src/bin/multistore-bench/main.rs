//! `multistore-bench`: starts the real server (this binary, in server mode, as a child process) on a fresh
//! database, loads a data set, and drives the HTTP API with keep-alive connections for a fixed time per
//! scenario. Reports requests/s, latency percentiles, errors and the server's peak RSS, and on PostgreSQL
//! the same SQL driven by pgbench beside it.
//!
//! ```sh
//! cargo run --release --bin multistore-bench -- --db postgres
//! ```

mod load;
mod pgbench;
mod seed;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context as _, bail};
use multistore::Config;
use multistore::config::DatabaseUrl;
use multistore::identity::Role;
use multistore::identity::Subject;
use multistore::identity::TokenKeys;
use serde_json::json;

use crate::load::{Outcome, RequestSource, graphql_request};

const SECRET: &str = "bench-secret-bench-secret-bench-secret-bench";
const SERVE_FLAG: &str = "--serve-for-bench";

struct Options {
    db: String,
    admin_url: String,
    connections: usize,
    seconds: u64,
    json: PathBuf,
    scenarios: Vec<String>,
    data: seed::DataSet,
    /// PostgreSQL: serve through this transaction-mode pooler (`postgres://user@host:port`), not directly.
    pooler_url: Option<String>,
}

const ALL_SCENARIOS: [&str; 9] = [
    "list",
    "sorted-list",
    "search",
    "get",
    "place-order",
    "hot-order",
    "my-orders",
    "login",
    "mixed",
];

/// The sorts `sorted-list` pages through, each both ways.
const SORTS: [&str; 4] = ["NAME", "PRICE", "CREATED_AT", "UPDATED_AT"];

fn options() -> anyhow::Result<Options> {
    let mut options = Options {
        db: "sqlite".into(),
        admin_url: "postgres://postgres@127.0.0.1:5432/postgres".into(),
        connections: 32,
        seconds: 10,
        json: PathBuf::from("target/bench/latest.json"),
        scenarios: ALL_SCENARIOS.iter().map(|s| (*s).to_owned()).collect(),
        data: seed::DataSet::default(),
        pooler_url: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().with_context(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--db" => options.db = value()?,
            "--admin-url" => options.admin_url = value()?,
            "--connections" => options.connections = value()?.parse()?,
            "--seconds" => options.seconds = value()?.parse()?,
            "--json" => options.json = value()?.into(),
            "--scenarios" => options.scenarios = value()?.split(',').map(str::to_owned).collect(),
            "--stores" => options.data.vendors = value()?.parse()?,
            "--products-per-store" => options.data.products_per_vendor = value()?.parse()?,
            "--pooler-url" => options.pooler_url = Some(value()?),
            "-h" | "--help" => {
                println!(
                    "usage: multistore-bench [--db sqlite|postgres] [--connections 32] [--seconds 10] \
                     [--scenarios {}] [--stores 100] [--products-per-store 1000] \
                     [--json target/bench/latest.json] [--admin-url postgres://…/postgres] \
                     [--pooler-url postgres://…:6432 (serve through a transaction-mode pooler)]",
                    ALL_SCENARIOS.join(",")
                );
                std::process::exit(0);
            }
            other => bail!("unknown argument {other}; see --help"),
        }
    }
    if !["sqlite", "postgres"].contains(&options.db.as_str()) {
        bail!("--db is sqlite or postgres");
    }
    if options.data.vendors < 1 || options.data.products_per_vendor < 2 {
        bail!("a data set has at least 1 store of at least 2 products");
    }
    Ok(options)
}

fn main() -> anyhow::Result<()> {
    if std::env::args().nth(1).as_deref() == Some(SERVE_FLAG) {
        // Server mode: the child process the benchmark measures.
        let runtime = tokio::runtime::Runtime::new()?;
        return runtime.block_on(async { multistore::run(Config::from_env()?).await });
    }
    let options = options()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(bench(options))
}

async fn bench(options: Options) -> anyhow::Result<()> {
    let workdir = tempfile_dir()?;
    let database_url = match options.db.as_str() {
        "postgres" => DatabaseUrl::Postgres(pgbench::fresh_database(&options.admin_url).await?),
        _ => DatabaseUrl::Sqlite(workdir.join("bench.db")),
    };
    let mut config = Config::new(database_url.clone(), SECRET.as_bytes().to_vec())?;
    eprintln!(
        "migrating and loading the data set ({} stores x {} products)…",
        options.data.vendors, options.data.products_per_vendor
    );
    multistore::db::run_migrations(&database_url).await?;
    let hash = bcrypt::hash(seed::PASSWORD, config.bcrypt_cost)?;
    seed::load(&config, options.data, &hash).await?;

    let port = free_port()?;
    config.bind = ([127, 0, 0, 1], port).into();
    let mut server = start_server(&database_url, options.pooler_url.as_deref(), port)?;
    let pid = server.id();
    let result = run_scenarios(&options, &config, port, pid).await;
    let _ = server.kill();
    let _ = server.wait();
    let mut results = result?;

    if let DatabaseUrl::Postgres(url) = &database_url {
        results.pgbench = Some(pgbench::raw_rates(&pgbench_run(url, &config, &options)).await?);
    }
    report(&options, &results)?;
    Ok(())
}

/// pgbench on the bench's database, as the service's role, with the load's clients and duration.
fn pgbench_run<'a>(url: &'a str, config: &'a Config, options: &Options) -> pgbench::Run<'a> {
    pgbench::Run {
        url,
        role: config.db_role.as_deref(),
        data: options.data,
        clients: options.connections,
        seconds: options.seconds,
    }
}

fn tempfile_dir() -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("multistore-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// Starts the server on `url`, or through the transaction-mode pooler at `pooler` (PostgreSQL), which
/// then reaches `url`'s database (the server listens for events and migrates on `url` itself).
fn start_server(url: &DatabaseUrl, pooler: Option<&str>, port: u16) -> anyhow::Result<Child> {
    let mut command = Command::new(std::env::current_exe()?);
    let url = match (url, pooler) {
        (DatabaseUrl::Postgres(direct), Some(pooler)) => {
            let name = direct.rsplit('/').next().unwrap_or_default();
            command
                .env("MULTISTORE_DB_POOLER", "transaction")
                .env("MULTISTORE_DIRECT_DATABASE_URL", direct);
            format!("{}/{name}", pooler.trim_end_matches('/'))
        }
        (DatabaseUrl::Postgres(url), None) => url.clone(),
        (DatabaseUrl::Sqlite(path), _) => path.display().to_string(),
    };
    let child = command
        .arg(SERVE_FLAG)
        .env("DATABASE_URL", url)
        .env("MULTISTORE_BIND", format!("127.0.0.1:{port}"))
        .env("MULTISTORE_JWT_SECRET", SECRET)
        .env("MULTISTORE_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()?;
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(child);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    bail!("the server did not start")
}

/// One simulated client: a customer of one store.
struct Client {
    port: u16,
    rng: u64,
    vendor: i64,
    customer: i64,
    domain: String,
    authorization: String,
    scenario: &'static str,
    data: seed::DataSet,
}

impl Client {
    fn random(&mut self, below: i64) -> i64 {
        // xorshift64: cheap, and good enough to spread requests.
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        (self.rng % below as u64) as i64
    }

    fn product(&mut self) -> i64 {
        let n = 1 + self.random(self.data.products_per_vendor);
        self.data.product_id(self.vendor, n)
    }

    /// What a shopper types: a colour and the start of a kind (in about 2 names of 100: "red sh" is
    /// shirts and shoes), a kind (1 in 10), or a product's number (about one product).
    fn search_words(&mut self) -> String {
        let colour = seed::COLOURS[self.random(10) as usize];
        let kind = seed::KINDS[self.random(10) as usize];
        match self.random(3) {
            0 => format!("{colour} {}", &kind[..2]),
            1 => kind.to_owned(),
            _ => (1 + self.random(self.data.products_per_vendor)).to_string(),
        }
    }

    fn post(&self, body: serde_json::Value, authorized: bool) -> Vec<u8> {
        let mut headers = vec![("X-Tenant-Domain", self.domain.as_str())];
        if authorized {
            headers.push(("Authorization", self.authorization.as_str()));
        }
        graphql_request(self.port, &headers, &body.to_string())
    }

    fn request(&mut self, scenario: &str) -> Vec<u8> {
        match scenario {
            "list" => self.post(
                json!({ "query": "{ products(first: 20) { edges { cursor node { id name price stock } } pageInfo { hasNextPage endCursor } } }" }),
                true,
            ),
            "sorted-list" => {
                let sort = SORTS[self.random(SORTS.len() as i64) as usize];
                let reverse = self.random(2) == 1;
                self.post(
                    json!({
                        "query": "query($sort: ProductSortKey, $reverse: Boolean) { products(first: 20, sortKey: $sort, reverse: $reverse) { edges { cursor node { id name price stock } } pageInfo { hasNextPage endCursor } } }",
                        "variables": { "sort": sort, "reverse": reverse }
                    }),
                    true,
                )
            }
            "search" => {
                let search = self.search_words();
                self.post(
                    json!({
                        "query": "query($search: String) { products(first: 20, search: $search, sortKey: RELEVANCE) { edges { cursor node { id name price stock } } pageInfo { hasNextPage endCursor } } }",
                        "variables": { "search": search }
                    }),
                    true,
                )
            }
            "get" => {
                let id = self.product();
                self.post(
                    json!({ "query": "query($id: ID!) { product(id: $id) { id name description price stock } }", "variables": { "id": id.to_string() } }),
                    true,
                )
            }
            "place-order" | "hot-order" => {
                let (first, second) = if scenario == "hot-order" {
                    // Every order of the store on its first two products: one row lock each.
                    (
                        self.data.product_id(self.vendor, 1),
                        self.data.product_id(self.vendor, 2),
                    )
                } else {
                    let first = self.product();
                    let second = self
                        .data
                        .product_id(self.vendor, 1 + (first % self.data.products_per_vendor));
                    (first, second)
                };
                self.post(
                    json!({
                        "query": "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id total items { productName quantity } } }",
                        "variables": { "input": { "address": "1 Bench Street", "items": [
                            { "productId": first.to_string(), "quantity": 1 },
                            { "productId": second.to_string(), "quantity": 1 },
                        ] } }
                    }),
                    true,
                )
            }
            "my-orders" => self.post(
                json!({ "query": "{ myOrders(first: 20) { nodes { id status total items { productName quantity unitPrice } } } }" }),
                true,
            ),
            "login" => {
                let username = seed::username(self.customer);
                self.post(
                    json!({
                        "query": "mutation($input: LoginInput!) { login(input: $input) { accessToken } }",
                        "variables": { "input": { "username": username, "password": seed::PASSWORD } }
                    }),
                    false,
                )
            }
            _ => {
                // The storefront mix: mostly reads, some orders.
                let pick = match self.random(100) {
                    0..60 => "list",
                    60..85 => "get",
                    85..95 => "my-orders",
                    _ => "place-order",
                };
                self.request(pick)
            }
        }
    }
}

impl RequestSource for Client {
    fn next(&mut self) -> Vec<u8> {
        self.request(self.scenario)
    }
}

pub struct ScenarioResult {
    name: String,
    outcome: Outcome,
    peak_rss_mb: f64,
    /// The server's CPU time (user + system) per request: steadier than req/s on a shared machine.
    server_cpu_us: f64,
}

struct Results {
    backend: String,
    scenarios: Vec<ScenarioResult>,
    pgbench: Option<Vec<pgbench::RawRate>>,
    minimal: Option<Vec<pgbench::MinimalRate>>,
}

async fn run_scenarios(
    options: &Options,
    config: &Config,
    port: u16,
    pid: u32,
) -> anyhow::Result<Results> {
    let keys = TokenKeys::new(config);
    let mut scenarios = Vec::new();
    let mut minimal = Vec::new();
    for name in &options.scenarios {
        let scenario: &'static str = ALL_SCENARIOS
            .iter()
            .find(|s| **s == name.as_str())
            .with_context(|| format!("unknown scenario {name}"))?;
        let mut sources: Vec<Box<dyn RequestSource>> = Vec::new();
        for i in 0..options.connections {
            let data = options.data;
            let vendor = 1 + (i as i64) % data.vendors;
            let n = 1 + (i as i64 / data.vendors) % seed::CUSTOMERS_PER_VENDOR;
            let domain = seed::domain(vendor);
            let token = keys
                .issue_access(&Subject {
                    user_id: data.customer_id(vendor, n),
                    tenant_id: vendor,
                    tenant_domain: &domain,
                    role: Role::Customer,
                })
                .map_err(|e| anyhow::anyhow!("{e:?}"))?;
            sources.push(Box::new(Client {
                port,
                rng: 0x9E37_79B9_7F4A_7C15 ^ (i as u64 + 1),
                vendor,
                customer: n,
                domain,
                authorization: format!("Bearer {token}"),
                scenario,
                data,
            }));
        }
        if let DatabaseUrl::Postgres(url) = &config.database_url {
            pgbench::vacuum(url).await?;
        }
        reset_peak_rss(pid);
        let cpu_before = cpu_seconds(pid);
        eprintln!(
            "running {scenario} for {} s on {} connections…",
            options.seconds, options.connections
        );
        let outcome = load::run(port, sources, Duration::from_secs(options.seconds)).await?;
        let cpu = cpu_seconds(pid) - cpu_before;
        let server_cpu_us = 1e6 * cpu / outcome.latencies_us.len().max(1) as f64;
        scenarios.push(ScenarioResult {
            name: scenario.to_owned(),
            outcome,
            peak_rss_mb: peak_rss_mb(pid),
            server_cpu_us,
        });
        // The least SQL of the same work right after it (the server idle meanwhile).
        if let DatabaseUrl::Postgres(url) = &config.database_url {
            let run = pgbench_run(url, config, options);
            minimal.extend(pgbench::minimal_rate(&run, scenario).await?);
        }
    }
    Ok(Results {
        backend: options.db.clone(),
        scenarios,
        pgbench: None,
        minimal: (!minimal.is_empty()).then_some(minimal),
    })
}

/// Resets the kernel's high-water mark of the process's RSS, so each scenario reports its own peak.
fn reset_peak_rss(pid: u32) {
    let _ = std::fs::write(format!("/proc/{pid}/clear_refs"), "5");
}

/// CPU seconds (user + system) the process has used so far, from `/proc/<pid>/stat`.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces) start at `state`; utime and stime are the
    // 14th and 15th fields of the line, in clock ticks (100 per second on Linux).
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

fn peak_rss_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn report(options: &Options, results: &Results) -> anyhow::Result<()> {
    println!(
        "\nmultistore-bench: {} backend{}, {} stores x {} products, {} connections, {} s per scenario, {} cores",
        results.backend,
        if options.pooler_url.is_some() {
            " through a transaction-mode pooler"
        } else {
            ""
        },
        options.data.vendors,
        options.data.products_per_vendor,
        options.connections,
        options.seconds,
        std::thread::available_parallelism().map_or(0, usize::from)
    );
    println!(
        "{:<12} {:>10} {:>9} {:>9} {:>9} {:>8} {:>10} {:>12}",
        "scenario", "req/s", "p50 ms", "p90 ms", "p99 ms", "errors", "peak RSS", "server CPU"
    );
    let mut scenarios_json = Vec::new();
    for s in &results.scenarios {
        let o = &s.outcome;
        println!(
            "{:<12} {:>10.0} {:>9.2} {:>9.2} {:>9.2} {:>8} {:>7.1} MB {:>7.0} µs/req",
            s.name,
            o.requests_per_sec(),
            o.percentile_ms(50.0),
            o.percentile_ms(90.0),
            o.percentile_ms(99.0),
            o.errors,
            s.peak_rss_mb,
            s.server_cpu_us
        );
        scenarios_json.push(json!({
            "scenario": s.name,
            "requests_per_sec": o.requests_per_sec(),
            "requests": o.latencies_us.len(),
            "p50_ms": o.percentile_ms(50.0),
            "p90_ms": o.percentile_ms(90.0),
            "p99_ms": o.percentile_ms(99.0),
            "errors": o.errors,
            "peak_rss_mb": s.peak_rss_mb,
            "server_cpu_us_per_request": s.server_cpu_us,
        }));
    }
    let mut raw_json = serde_json::Value::Null;
    if let Some(raw) = &results.pgbench {
        let rate = |name: &str| {
            results
                .scenarios
                .iter()
                .find(|s| s.name == name)
                .map(|s| s.outcome.requests_per_sec())
        };
        println!(
            "\nraw SQL of the same requests, pgbench -M prepared, {} clients, as the service's role (row-level security on),\n\
             its statements one by one, and pipelined in the round trips the service makes:",
            options.connections
        );
        println!("scenario       one by one   API/raw    pipelined   API/raw");
        let ratio = |api: Option<f64>, tps: f64| {
            api.map_or_else(
                || "-".to_owned(),
                |api| format!("{:.0}%", 100.0 * api / tps),
            )
        };
        let mut rates = serde_json::Map::new();
        for r in raw {
            let api = rate(r.scenario);
            println!(
                "{:<12} {:>7.0} tx/s {:>9} {:>7.0} tx/s {:>9}",
                r.scenario,
                r.one_by_one_tps,
                ratio(api, r.one_by_one_tps),
                r.pipelined_tps,
                ratio(api, r.pipelined_tps),
            );
            rates.insert(
                r.scenario.to_owned(),
                json!({ "one_by_one_tps": r.one_by_one_tps, "pipelined_tps": r.pipelined_tps }),
            );
        }
        raw_json = rates.into();
    }
    let mut minimal_json = serde_json::Value::Null;
    if let Some(minimal) = &results.minimal {
        println!(
            "\nthe least SQL that gives the same result (the headline limit), pgbench -M prepared, {} clients,\n\
             as the service's role (row-level security on, the store set once per session), store 1:",
            options.connections
        );
        println!("scenario       minimal SQL   API/minimal");
        let mut rates = serde_json::Map::new();
        for m in minimal {
            let api = results
                .scenarios
                .iter()
                .find(|s| s.name == m.scenario)
                .map(|s| s.outcome.requests_per_sec());
            println!(
                "{:<12} {:>8.0} tx/s {:>12}",
                m.scenario,
                m.tps,
                api.map_or_else(|| "-".to_owned(), |api| format!("{:.2}", api / m.tps)),
            );
            rates.insert(m.scenario.to_owned(), json!({ "tps": m.tps }));
        }
        minimal_json = rates.into();
    }
    let document = json!({
        "backend": results.backend,
        "pooler": options.pooler_url.is_some(),
        "stores": options.data.vendors,
        "products_per_store": options.data.products_per_vendor,
        "connections": options.connections,
        "seconds": options.seconds,
        "cores": std::thread::available_parallelism().map_or(0, usize::from),
        "scenarios": scenarios_json,
        "pgbench": raw_json,
        "minimal_sql": minimal_json,
    });
    if let Some(dir) = options.json.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&options.json, serde_json::to_string_pretty(&document)?)?;
    println!("\nJSON: {}", options.json.display());
    Ok(())
}
