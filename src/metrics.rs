//! The service's counters for Prometheus: GraphQL operations and their latency per operation name,
//! errors per contract code, HTTP answers per status, open WebSockets; rendered with the database pool's
//! figures by `http::metrics` on `GET /metrics`. Written by hand in the text exposition format: a few
//! counters need no metrics framework.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];
/// Distinct operation names kept; later ones are counted as "other" (names come from clients' documents,
/// and only from documents that validated).
const MAX_OPERATIONS: usize = 200;
/// Longer operation names are counted as "other".
const MAX_NAME_BYTES: usize = 64;

#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Counters>,
    /// Open GraphQL WebSocket connections.
    sockets: AtomicI64,
}

#[derive(Default)]
struct Counters {
    operations: HashMap<String, Histogram>,
    errors: BTreeMap<String, u64>,
    statuses: BTreeMap<u16, u64>,
}

#[derive(Default)]
struct Histogram {
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum_seconds: f64,
}

impl Metrics {
    /// One GraphQL operation ran (named by its `operationName`, or "anonymous") and took `elapsed`.
    pub fn operation(&self, name: Option<&str>, elapsed: Duration, error_codes: &[&str]) {
        let mut counters = self.lock();
        let known = counters.operations.len() < MAX_OPERATIONS;
        let name = match name {
            Some(name) if name.len() > MAX_NAME_BYTES => "other",
            Some(name) if known || counters.operations.contains_key(name) => name,
            Some(_) => "other",
            None => "anonymous",
        };
        let histogram = counters.operations.entry(name.to_owned()).or_default();
        let seconds = elapsed.as_secs_f64();
        for (bucket, bound) in histogram.buckets.iter_mut().zip(BUCKETS) {
            if seconds <= bound {
                *bucket += 1;
            }
        }
        histogram.count += 1;
        histogram.sum_seconds += seconds;
        for code in error_codes {
            *counters.errors.entry((*code).to_owned()).or_default() += 1;
        }
    }

    /// An answer of `POST /graphql` with this HTTP status.
    pub fn status(&self, status: u16) {
        *self.lock().statuses.entry(status).or_default() += 1;
    }

    /// A GraphQL WebSocket connection opened: counted from its upgrade (before it has sent
    /// `connection_init`) until the returned guard is dropped, so sockets still waiting for their init
    /// count against the cap too.
    pub fn socket_opened(self: &std::sync::Arc<Self>) -> OpenSocket {
        self.sockets.fetch_add(1, Ordering::Relaxed);
        OpenSocket(self.clone())
    }

    /// GraphQL WebSocket connections open now.
    pub fn sockets_open(&self) -> i64 {
        self.sockets.load(Ordering::Relaxed)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Counters> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The exposition text, with the pool's and the parse cache's figures of the moment.
    pub fn render(
        &self,
        pool: deadpool::Status,
        statements: u64,
        parse_cache_bytes: u64,
    ) -> String {
        let counters = self.lock();
        let mut out = String::new();
        out.push_str(
            "# HELP multistore_graphql_operation_seconds GraphQL operations by operation name.\n",
        );
        out.push_str("# TYPE multistore_graphql_operation_seconds histogram\n");
        let mut names: Vec<&String> = counters.operations.keys().collect();
        names.sort();
        for name in names {
            let h = &counters.operations[name];
            let name = escape(name);
            for (bound, count) in BUCKETS.iter().zip(h.buckets) {
                let _ = writeln!(
                    out,
                    "multistore_graphql_operation_seconds_bucket{{operation=\"{name}\",le=\"{bound}\"}} {count}"
                );
            }
            let _ = writeln!(
                out,
                "multistore_graphql_operation_seconds_bucket{{operation=\"{name}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "multistore_graphql_operation_seconds_sum{{operation=\"{name}\"}} {}",
                h.sum_seconds
            );
            let _ = writeln!(
                out,
                "multistore_graphql_operation_seconds_count{{operation=\"{name}\"}} {}",
                h.count
            );
        }
        out.push_str("# HELP multistore_graphql_errors_total GraphQL errors by contract code.\n");
        out.push_str("# TYPE multistore_graphql_errors_total counter\n");
        for (code, count) in &counters.errors {
            let _ = writeln!(
                out,
                "multistore_graphql_errors_total{{code=\"{}\"}} {count}",
                escape(code)
            );
        }
        out.push_str(
            "# HELP multistore_http_responses_total Answers of POST /graphql by HTTP status.\n",
        );
        out.push_str("# TYPE multistore_http_responses_total counter\n");
        for (status, count) in &counters.statuses {
            let _ = writeln!(
                out,
                "multistore_http_responses_total{{status=\"{status}\"}} {count}"
            );
        }
        out.push_str(
            "# HELP multistore_db_pool_connections Database pool: open, idle, maximum, waiting.\n",
        );
        out.push_str("# TYPE multistore_db_pool_connections gauge\n");
        let _ = writeln!(
            out,
            "multistore_db_pool_connections{{state=\"open\"}} {}",
            pool.size
        );
        let _ = writeln!(
            out,
            "multistore_db_pool_connections{{state=\"idle\"}} {}",
            pool.available
        );
        let _ = writeln!(
            out,
            "multistore_db_pool_connections{{state=\"max\"}} {}",
            pool.max_size
        );
        let _ = writeln!(
            out,
            "multistore_db_pool_connections{{state=\"waiting\"}} {}",
            pool.waiting
        );
        out.push_str(
            "# HELP multistore_db_statements_total SQL statements run by the pool's connections.\n",
        );
        out.push_str("# TYPE multistore_db_statements_total counter\n");
        let _ = writeln!(out, "multistore_db_statements_total {statements}");
        out.push_str(
            "# HELP multistore_parse_cache_bytes Parsed documents kept (as weighed by the cache).\n",
        );
        out.push_str("# TYPE multistore_parse_cache_bytes gauge\n");
        let _ = writeln!(out, "multistore_parse_cache_bytes {parse_cache_bytes}");
        out.push_str(
            "# HELP multistore_websocket_connections Open GraphQL WebSocket connections.\n",
        );
        out.push_str("# TYPE multistore_websocket_connections gauge\n");
        let _ = writeln!(
            out,
            "multistore_websocket_connections {}",
            self.sockets.load(Ordering::Relaxed)
        );
        out
    }
}

/// Label values are quoted; backslashes, quotes and line feeds are escaped as the text format asks, and
/// any other control character (a carriage return) is dropped: no reader should see a line break.
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// An open GraphQL WebSocket connection, counted while it lives.
pub struct OpenSocket(std::sync::Arc<Metrics>);

impl Drop for OpenSocket {
    fn drop(&mut self) {
        self.0.sockets.fetch_sub(1, Ordering::Relaxed);
    }
}
