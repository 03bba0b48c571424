//! A small HTTP/1.1 load generator: a fixed number of keep-alive connections, each sending requests
//! back to back for a fixed time. Written against the socket so that the load generator, which shares
//! the machine with the server and the database, spends as little CPU as it can.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// What one connection sends: the full bytes of a request, made fresh for each one.
pub trait RequestSource: Send + 'static {
    fn next(&mut self) -> Vec<u8>;
}

#[derive(Default)]
pub struct Outcome {
    /// Latency of every request, in microseconds.
    pub latencies_us: Vec<u32>,
    /// Requests answered with another status than 200 or with GraphQL errors.
    pub errors: u64,
    pub elapsed: Duration,
}

impl Outcome {
    pub fn requests_per_sec(&self) -> f64 {
        self.latencies_us.len() as f64 / self.elapsed.as_secs_f64()
    }

    /// The latency at `percent` (0 to 100), in milliseconds.
    pub fn percentile_ms(&self, percent: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return 0.0;
        }
        let mut sorted = self.latencies_us.clone();
        sorted.sort_unstable();
        let rank = ((percent / 100.0) * (sorted.len() - 1) as f64).round() as usize;
        f64::from(sorted[rank]) / 1000.0
    }
}

/// A POST /graphql request with the given headers and JSON body.
pub fn graphql_request(port: u16, headers: &[(&str, &str)], body: &str) -> Vec<u8> {
    let mut request = format!(
        "POST /graphql HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    request.into_bytes()
}

/// Runs `sources.len()` connections against `port` for `duration`.
pub async fn run(
    port: u16,
    sources: Vec<Box<dyn RequestSource>>,
    duration: Duration,
) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    let deadline = started + duration;
    let tasks: Vec<_> = sources
        .into_iter()
        .map(|source| tokio::spawn(connection(port, source, deadline)))
        .collect();
    let mut outcome = Outcome::default();
    for task in tasks {
        let part = task.await??;
        outcome.latencies_us.extend(part.latencies_us);
        outcome.errors += part.errors;
    }
    outcome.elapsed = started.elapsed();
    Ok(outcome)
}

async fn connection(
    port: u16,
    mut source: Box<dyn RequestSource>,
    deadline: Instant,
) -> anyhow::Result<Outcome> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await?;
    stream.set_nodelay(true)?;
    let mut outcome = Outcome::default();
    let mut buffer = Vec::with_capacity(64 * 1024);
    while Instant::now() < deadline {
        let request = source.next();
        let sent = Instant::now();
        stream.write_all(&request).await?;
        let (status, body_has_errors) = read_response(&mut stream, &mut buffer).await?;
        outcome
            .latencies_us
            .push(sent.elapsed().as_micros().min(u128::from(u32::MAX)) as u32);
        if status != 200 || body_has_errors {
            outcome.errors += 1;
        }
    }
    Ok(outcome)
}

/// Reads one response (Content-Length framed); returns its status and whether its body holds
/// `"errors"`.
async fn read_response(
    stream: &mut TcpStream,
    buffer: &mut Vec<u8>,
) -> anyhow::Result<(u16, bool)> {
    buffer.clear();
    let mut chunk = [0u8; 16 * 1024];
    let header_end = loop {
        if let Some(end) = find(buffer, b"\r\n\r\n") {
            break end + 4;
        }
        let read = stream.read(&mut chunk).await?;
        anyhow::ensure!(read > 0, "the server closed the connection");
        buffer.extend_from_slice(&chunk[..read]);
    };
    let head = std::str::from_utf8(&buffer[..header_end])?;
    let status: u16 = head.split(' ').nth(1).unwrap_or("0").parse()?;
    let length: usize = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .ok_or_else(|| anyhow::anyhow!("a response without Content-Length"))?;
    while buffer.len() < header_end + length {
        let read = stream.read(&mut chunk).await?;
        anyhow::ensure!(read > 0, "the server closed the connection");
        buffer.extend_from_slice(&chunk[..read]);
    }
    let body = &buffer[header_end..header_end + length];
    Ok((status, find(body, b"\"errors\"").is_some()))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}
