//! The limit beside the API: the SQL the service runs for a request, driven by pgbench (prepared
//! statements, the same number of clients) straight at PostgreSQL.

use std::process::Command;

use diesel_async::{AsyncConnection as _, AsyncPgConnection, SimpleAsyncConnection as _};

const DATABASE: &str = "multistore_bench";

/// Transactions per second of the raw SQL behind the list and the order scenarios.
pub struct RawRates {
    pub list_tps: f64,
    pub order_tps: f64,
}

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

/// What the service runs for one product-list request with a token: the user check and the page, each
/// after setting the tenant.
const LIST: &str = r"
\set v random(1, 100)
\set u 100 + (:v - 1) * 10 + random(1, 10)
SELECT set_config('app.vendor_id', :v::text, false);
SELECT id, vendor_id, username, email, password_hash, first_name, last_name, role, is_active, created_at, updated_at FROM users WHERE vendor_id = :v AND id = :u LIMIT 1;
SELECT set_config('app.vendor_id', :v::text, false);
SELECT id, vendor_id, name, description, price_cents, stock, deleted_at, created_at, updated_at FROM products WHERE vendor_id = :v AND deleted_at IS NULL ORDER BY id ASC LIMIT 21;
";

/// What the service runs for a two-line order: the user check, then one transaction taking stock with
/// conditional updates and writing the order and its lines.
const ORDER: &str = r"
\set v random(1, 100)
\set u 100 + (:v - 1) * 10 + random(1, 10)
\set a (:v - 1) * 1000 + random(1, 999)
\set b :a + 1
SELECT set_config('app.vendor_id', :v::text, false);
SELECT id, vendor_id, username, email, password_hash, first_name, last_name, role, is_active, created_at, updated_at FROM users WHERE vendor_id = :v AND id = :u LIMIT 1;
SELECT set_config('app.vendor_id', :v::text, false);
BEGIN;
UPDATE products SET stock = stock - 1, updated_at = now() WHERE vendor_id = :v AND id = :a AND deleted_at IS NULL AND stock >= 1 RETURNING name, price_cents;
UPDATE products SET stock = stock - 1, updated_at = now() WHERE vendor_id = :v AND id = :b AND deleted_at IS NULL AND stock >= 1 RETURNING name, price_cents;
INSERT INTO orders (vendor_id, customer_id, status, address, total_cents, created_at, updated_at) VALUES (:v, :u, 'pending', '1 Bench Street', 1000, now(), now()) RETURNING id \gset
INSERT INTO order_items (vendor_id, order_id, product_id, product_name, unit_price_cents, quantity) VALUES (:v, :id, :a, 'Product', 500, 1);
INSERT INTO order_items (vendor_id, order_id, product_id, product_name, unit_price_cents, quantity) VALUES (:v, :id, :b, 'Product', 500, 1);
COMMIT;
";

/// pgbench's rates for the service's SQL. With `role`, its sessions take the role the service's pooled
/// connections take (`SET ROLE` at connection start, through `PGOPTIONS`), so row-level security applies
/// to pgbench as it does to the service; without, they run as the connecting user (an owner or superuser
/// bypasses it).
pub async fn raw_rates(
    url: &str,
    role: Option<&str>,
    clients: usize,
    seconds: u64,
) -> anyhow::Result<RawRates> {
    let dir = std::env::temp_dir().join(format!("multistore-pgbench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let mut rates = Vec::new();
    for (name, script) in [("list", LIST), ("order", ORDER)] {
        let path = dir.join(format!("{name}.sql"));
        std::fs::write(&path, script)?;
        eprintln!("running pgbench ({name}) for {seconds} s on {clients} clients…");
        let mut pgbench = Command::new("pgbench");
        if let Some(role) = role {
            pgbench.env("PGOPTIONS", format!("-c role={role}"));
        }
        let output = pgbench
            .args(["-n", "-M", "prepared", "-j", "2"])
            .args(["-c", &clients.to_string(), "-T", &seconds.to_string(), "-f"])
            .arg(&path)
            .arg(url)
            .output()?;
        let text = String::from_utf8_lossy(&output.stdout);
        anyhow::ensure!(
            output.status.success(),
            "pgbench failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let tps = text
            .lines()
            .find_map(|line| line.trim().strip_prefix("tps = "))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|number| number.parse::<f64>().ok())
            .ok_or_else(|| anyhow::anyhow!("no tps in pgbench's output: {text}"))?;
        rates.push(tps);
    }
    Ok(RawRates {
        list_tps: rates[0],
        order_tps: rates[1],
    })
}
