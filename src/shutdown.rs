//! Stopping: connections, sockets and background servers hold a handle, learn when shutdown begins, and
//! the process waits for every handle to be dropped (within a bound of the server's).

use std::sync::Arc;

use tokio::sync::watch;

/// Tells connections and sockets that the service is stopping, and waits for them to finish.
#[derive(Clone)]
pub struct Shutdown {
    sender: Arc<watch::Sender<bool>>,
}

impl Default for Shutdown {
    fn default() -> Self {
        Self {
            sender: Arc::new(watch::channel(false).0),
        }
    }
}

impl Shutdown {
    /// A handle held by whatever must finish before the process exits (a connection, a socket); it
    /// tells when shutdown begins.
    pub fn watch(&self) -> Stopping {
        Stopping(self.sender.subscribe())
    }

    /// Tells every handle that shutdown begins.
    pub fn begin(&self) {
        self.sender.send_replace(true);
    }

    /// Completes when every handle is dropped.
    pub async fn drained(&self) {
        self.sender.closed().await;
    }
}

/// Held while a connection or socket is open; `begun` completes once shutdown begins.
pub struct Stopping(watch::Receiver<bool>);

impl Stopping {
    pub async fn begun(&mut self) {
        let _ = self.0.wait_for(|stopping| *stopping).await;
    }
}
