//! Throttling of failed logins, per store and username and per client address, and of sign-ups per
//! client address (each costs a password hash).
//!
//! Counts live in this process: behind several instances each keeps its own, so an attacker gets at
//! most the limit times the number of instances. A locked key is refused before any password is checked,
//! so a locked account costs no bcrypt work.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::db::TenantId;
use crate::error::{AppError, AppResult};

/// Failed logins of one username in one store within `WINDOW` before it is locked.
pub const PER_ACCOUNT: u32 = 5;
/// Failed logins from one address within `WINDOW` (all stores and usernames) before it is locked.
pub const PER_ADDRESS: u32 = 30;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Entries kept before expired ones are swept out.
const SWEEP_AT: usize = 10_000;

#[derive(Default)]
pub struct LoginThrottle {
    accounts: Mutex<Counters<(TenantId, String)>>,
    addresses: Mutex<Counters<IpAddr>>,
    signups: Mutex<Counters<IpAddr>>,
}

struct Counters<K> {
    entries: HashMap<K, Window>,
}

impl<K> Default for Counters<K> {
    fn default() -> Self {
        Self {
            entries: HashMap::new(),
        }
    }
}

#[derive(Clone, Copy)]
struct Window {
    started: Instant,
    failures: u32,
}

impl<K: Hash + Eq> Counters<K> {
    /// Seconds until `key` may try again, when it is locked.
    fn locked_for(&self, key: &K, limit: u32, now: Instant) -> Option<u64> {
        let window = self.entries.get(key)?;
        let elapsed = now.duration_since(window.started);
        (window.failures >= limit && elapsed < WINDOW).then(|| (WINDOW - elapsed).as_secs().max(1))
    }

    /// Counts one more event (a failure, a sign-up) of `key`.
    fn count(&mut self, key: K, now: Instant) {
        if self.entries.len() >= SWEEP_AT {
            self.entries
                .retain(|_, w| now.duration_since(w.started) < WINDOW);
        }
        let window = self.entries.entry(key).or_insert(Window {
            started: now,
            failures: 0,
        });
        if now.duration_since(window.started) >= WINDOW {
            *window = Window {
                started: now,
                failures: 0,
            };
        }
        window.failures += 1;
    }
}

impl LoginThrottle {
    /// `RATE_LIMITED` with the seconds to wait when the account or the address is locked.
    pub fn check(
        &self,
        tenant: TenantId,
        username: &str,
        address: Option<IpAddr>,
    ) -> AppResult<()> {
        let now = Instant::now();
        let account = (tenant, username.to_lowercase());
        let by_account = lock(&self.accounts).locked_for(&account, PER_ACCOUNT, now);
        let by_address =
            address.and_then(|ip| lock(&self.addresses).locked_for(&ip, PER_ADDRESS, now));
        match by_account.max(by_address) {
            Some(retry_after_secs) => Err(AppError::RateLimited { retry_after_secs }),
            None => Ok(()),
        }
    }

    pub fn failed(&self, tenant: TenantId, username: &str, address: Option<IpAddr>) {
        let now = Instant::now();
        lock(&self.accounts).count((tenant, username.to_lowercase()), now);
        if let Some(ip) = address {
            lock(&self.addresses).count(ip, now);
        }
    }

    /// Counts a sign-up from `address`; `RATE_LIMITED` once it made `limit` within the window.
    pub fn sign_up(&self, address: Option<IpAddr>, limit: u32) -> AppResult<()> {
        let Some(ip) = address else {
            return Ok(());
        };
        let now = Instant::now();
        let mut signups = lock(&self.signups);
        if let Some(retry_after_secs) = signups.locked_for(&ip, limit, now) {
            return Err(AppError::RateLimited { retry_after_secs });
        }
        signups.count(ip, now);
        Ok(())
    }

    /// A successful login clears its account's failures (not its address's: one good account must not
    /// reset the count of an address that guesses others).
    pub fn succeeded(&self, tenant: TenantId, username: &str) {
        lock(&self.accounts)
            .entries
            .remove(&(tenant, username.to_lowercase()));
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_locks_after_its_limit_and_unlocks_on_success() {
        let throttle = LoginThrottle::default();
        let tenant = TenantId(1);
        for _ in 0..PER_ACCOUNT {
            assert!(throttle.check(tenant, "Alice", None).is_ok());
            throttle.failed(tenant, "alice", None);
        }
        let Err(AppError::RateLimited { retry_after_secs }) = throttle.check(tenant, "ALICE", None)
        else {
            panic!("locked");
        };
        assert!(retry_after_secs > 0 && retry_after_secs <= WINDOW.as_secs());
        assert!(
            throttle.check(TenantId(2), "alice", None).is_ok(),
            "another store's alice"
        );
        throttle.succeeded(tenant, "alice");
        assert!(throttle.check(tenant, "alice", None).is_ok());
    }

    #[test]
    fn an_address_locks_across_usernames() {
        let throttle = LoginThrottle::default();
        let ip: IpAddr = "10.0.0.7".parse().unwrap();
        for i in 0..PER_ADDRESS {
            throttle.failed(TenantId(1), &format!("user{i}"), Some(ip));
        }
        assert!(throttle.check(TenantId(1), "fresh", Some(ip)).is_err());
        assert!(throttle.check(TenantId(1), "fresh", None).is_ok());
    }

    #[test]
    fn sign_ups_are_limited_per_address() {
        let throttle = LoginThrottle::default();
        let ip: IpAddr = "10.0.0.8".parse().unwrap();
        for _ in 0..3 {
            assert!(throttle.sign_up(Some(ip), 3).is_ok());
        }
        assert!(throttle.sign_up(Some(ip), 3).is_err());
        assert!(
            throttle
                .sign_up(Some("10.0.0.9".parse().unwrap()), 3)
                .is_ok()
        );
    }

    #[test]
    fn windows_expire() {
        let mut counters = Counters::default();
        let start = Instant::now();
        for _ in 0..3 {
            counters.count("k", start);
        }
        assert!(counters.locked_for(&"k", 3, start).is_some());
        assert!(counters.locked_for(&"k", 3, start + WINDOW).is_none());
        counters.count("k", start + WINDOW);
        assert_eq!(counters.entries["k"].failures, 1);
    }
}
