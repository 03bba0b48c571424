//! The real `multistore` binary as a process of its own, for what only a process shows: several
//! instances on one database, signals, settings read from the environment.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::JWT_SECRET;

/// A server process of its own, killed when dropped.
pub struct Instance {
    pub url: String,
    pub child: Child,
}

impl Instance {
    pub async fn start(database_url: &str) -> Self {
        Self::start_with(database_url, &[]).await
    }

    /// Starts the binary with more settings in its environment.
    pub async fn start_with(database_url: &str, env: &[(&str, &str)]) -> Self {
        // The listening socket is made here and handed to the process (descriptor 3, systemd's way):
        // the port is never free in between for another test to take.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let mut command = Command::new(env!("CARGO_BIN_EXE_multistore"));
        {
            use std::os::fd::AsRawFd as _;
            use std::os::unix::process::CommandExt as _;
            let fd = listener.as_raw_fd();
            // SAFETY: between fork and exec only dup2 runs, which is async-signal-safe; the copy on
            // descriptor 3 is not closed on exec.
            unsafe {
                command.pre_exec(move || {
                    // On descriptor 3 already, dup2 would change nothing: clear close-on-exec.
                    let done = if fd == 3 {
                        libc::fcntl(3, libc::F_SETFD, 0)
                    } else {
                        libc::dup2(fd, 3)
                    };
                    if done < 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    Ok(())
                });
            }
        }
        let child = command
            .env("DATABASE_URL", database_url)
            .env("MULTISTORE_JWT_SECRET", JWT_SECRET)
            .env("MULTISTORE_BIND", format!("127.0.0.1:{port}"))
            .env("LISTEN_FDS", "1")
            .env("MULTISTORE_BCRYPT_COST", "4")
            .env("MULTISTORE_LOG", "warn")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .spawn()
            .expect("the server binary starts");
        // The child has its copy.
        drop(listener);
        let instance = Self {
            url: format!("http://127.0.0.1:{port}"),
            child,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let ready = reqwest::get(format!("{}/readyz", instance.url)).await;
            if ready.is_ok_and(|response| response.status() == 200) {
                return instance;
            }
            assert!(
                Instant::now() < deadline,
                "instance {port} never became ready"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// One GraphQL operation over HTTP as the store `domain` (none when empty); the `data` of a
    /// successful answer.
    pub async fn data(
        &self,
        domain: &str,
        token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> Value {
        let mut request = reqwest::Client::new()
            .post(format!("{}/graphql", self.url))
            .json(&json!({ "query": query, "variables": variables }));
        // No store yet (`registerVendor`): no header.
        if !domain.is_empty() {
            request = request.header("X-Tenant-Domain", domain);
        }
        if let Some(token) = token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        let body: Value = request.send().await.unwrap().json().await.unwrap();
        assert!(body.get("errors").is_none(), "{body:#}");
        body["data"].clone()
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
