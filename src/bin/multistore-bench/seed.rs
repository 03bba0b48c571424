//! The data set: by default 100 stores x 1,000 products, 10 customers per store, 100 two-line orders per
//! customer. Loaded with set-based SQL on an owner connection (row-level security does not apply to it).

use multistore::Config;
use multistore::config::DatabaseUrl;
use multistore::db::Db;

pub const CUSTOMERS_PER_VENDOR: i64 = 10;
/// A store's order history: a thousand orders, as many as its products. With a handful (there were 50,
/// one page), PostgreSQL planned the key checks of new lines and events on `orders` as scans of that
/// page, and kept the plans while a phase's orders grew the table two hundredfold before autovacuum's
/// next analyze: by the end of a 10-second phase each check read 5,000 rows on average (a store's
/// first minute, not its life).
pub const ORDERS_PER_CUSTOMER: i64 = 100;
pub const PASSWORD: &str = "bench-password";

/// How many stores, and how many products each (`--stores`, `--products-per-store`).
#[derive(Clone, Copy, Debug)]
pub struct DataSet {
    pub vendors: i64,
    pub products_per_vendor: i64,
}

impl Default for DataSet {
    fn default() -> Self {
        Self {
            vendors: 100,
            products_per_vendor: 1_000,
        }
    }
}

/// Ids are dense and predictable: owners `1..=vendors`, then customers; products of vendor v are
/// `(v-1)*products_per_vendor+1 ..= v*products_per_vendor`.
impl DataSet {
    pub fn customer_id(&self, vendor: i64, n: i64) -> i64 {
        self.vendors + (vendor - 1) * CUSTOMERS_PER_VENDOR + n
    }

    pub fn product_id(&self, vendor: i64, n: i64) -> i64 {
        (vendor - 1) * self.products_per_vendor + n
    }
}

pub fn domain(vendor: i64) -> String {
    format!("v{vendor}.bench.example")
}

/// The username of customer `n` (1-based) of a store.
pub fn username(n: i64) -> String {
    format!("customer{n}")
}

/// Fills a freshly migrated database. `password_hash` is one bcrypt hash shared by every user.
pub async fn load(config: &Config, set: DataSet, password_hash: &str) -> anyhow::Result<()> {
    let db = Db::connect(&Config {
        db_role: None,
        ..config.clone()
    })?;
    let sql = match config.database_url {
        DatabaseUrl::Postgres(_) => postgres_sql(set, password_hash),
        DatabaseUrl::Sqlite(_) => sqlite_sql(set, password_hash),
    };
    db.batch_execute(&sql)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    if let DatabaseUrl::Postgres(_) = config.database_url {
        // Settled before measuring, as a live table is: without this, autovacuum visits the new rows
        // (a million of them at the largest) during the first scenario, and reads set their hint bits.
        db.batch_execute("VACUUM (ANALYZE)")
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    }
    Ok(())
}

/// Per backend: `series(n, alias)` is a table `alias` of 1..=n in column `g`; `now` the time; `ago(s)`
/// the time `s` (an SQL expression) seconds ago, so that the time sorts differ from the id order.
fn statements(
    set: DataSet,
    series: impl Fn(i64, &str) -> String,
    hash: &str,
    now: &str,
    ago: impl Fn(&str) -> String,
) -> String {
    let (v, p, c, o) = (
        set.vendors,
        set.products_per_vendor,
        CUSTOMERS_PER_VENDOR,
        ORDERS_PER_CUSTOMER,
    );
    format!(
        "INSERT INTO vendors (store_name, domain, created_at, updated_at)
           SELECT 'Store ' || g, 'v' || g || '.bench.example', {now}, {now} FROM {vendors} ORDER BY g;
         INSERT INTO store_domains (domain, vendor_id, is_primary, created_at)
           SELECT domain, id, TRUE, created_at FROM vendors;
         INSERT INTO users (vendor_id, username, email, password_hash, role, is_active, created_at, updated_at)
           SELECT g, 'owner', 'owner' || g || '@bench.example', '{hash}', 'owner', TRUE, {now}, {now}
           FROM {vendors} ORDER BY g;
         INSERT INTO users (vendor_id, username, email, password_hash, role, is_active, created_at, updated_at)
           SELECT (g - 1) / {c} + 1, 'customer' || ((g - 1) % {c} + 1), 'c' || g || '@bench.example', '{hash}',
                  'customer', TRUE, {now}, {now}
           FROM {customers} ORDER BY g;
         INSERT INTO products (vendor_id, name, name_key, search_name, description, search_description,
                               price_cents, stock, created_at, updated_at)
           SELECT (g - 1) / {p} + 1, {name}, lower({name}), lower({name}),
                  'A fine product, number ' || g, 'a fine product number ' || g,
                  100 + (g * 37) % 9900, 1000000, {created}, {updated}
           FROM {products} ORDER BY g;
         INSERT INTO orders (vendor_id, customer_id, status, address, total_cents, created_at, updated_at)
           SELECT ((g - 1) / {o}) / {c} + 1, {v} + (g - 1) / {o} + 1, 'pending', '1 Bench Street', 0, {now}, {now}
           FROM {orders} ORDER BY g;
         INSERT INTO order_items (vendor_id, order_id, product_id, product_name, unit_price_cents, quantity)
           SELECT o.vendor_id, o.id, (o.vendor_id - 1) * {p} + 1 + (o.id * 7 + k.g * 13) % {p}, 'Product', 500, k.g
           FROM orders o, {two};
         UPDATE orders SET total_cents = (SELECT sum(unit_price_cents * quantity) FROM order_items i
           WHERE i.vendor_id = orders.vendor_id AND i.order_id = orders.id);",
        vendors = series(v, "s"),
        customers = series(v * c, "s"),
        products = series(v * p, "s"),
        orders = series(v * c * o, "s"),
        two = series(2, "k"),
        name = product_name("((g - 1) % {p} + 1)".replace("{p}", &p.to_string())),
        created = ago("g % 100000"),
        updated = ago("(g * 7) % 100000"),
    )
}

/// Colours and kinds of products: a store's product `n` is called "<colour n%10> <kind n/10%10> <n>",
/// so a colour is in a tenth of the names, a colour and a kind in a hundredth, a number in about one.
pub const COLOURS: [&str; 10] = [
    "Red", "Blue", "Green", "Black", "White", "Silver", "Golden", "Wooden", "Linen", "Leather",
];
pub const KINDS: [&str; 10] = [
    "Shirt", "Shoe", "Watch", "Lamp", "Chair", "Table", "Scarf", "Bag", "Mug", "Hat",
];

/// The SQL of product `n`'s name (`n`: an SQL expression of its number in its store).
fn product_name(n: String) -> String {
    let pick = |words: &[&str], of: String| {
        let arms: Vec<String> = words
            .iter()
            .enumerate()
            .map(|(i, w)| format!("WHEN {i} THEN '{w}'"))
            .collect();
        format!("(CASE {of} {} END)", arms.join(" "))
    };
    format!(
        "{} || ' ' || {} || ' ' || {n}",
        pick(&COLOURS, format!("{n} % 10")),
        pick(&KINDS, format!("({n} / 10) % 10"))
    )
}

fn postgres_sql(set: DataSet, hash: &str) -> String {
    statements(
        set,
        |n, alias| format!("generate_series(1, {n}) AS {alias}(g)"),
        hash,
        "now()::timestamp",
        |seconds| format!("(now()::timestamp - ({seconds}) * interval '1 second')"),
    )
}

fn sqlite_sql(set: DataSet, hash: &str) -> String {
    statements(
        set,
        |n, alias| {
            format!(
                "(WITH RECURSIVE r(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM r WHERE g < {n}) SELECT g FROM r) AS {alias}"
            )
        },
        hash,
        "strftime('%Y-%m-%d %H:%M:%f', 'now')",
        |seconds| format!("strftime('%Y-%m-%d %H:%M:%f', 'now', '-' || ({seconds}) || ' seconds')"),
    )
    .replace("TRUE", "1")
}
