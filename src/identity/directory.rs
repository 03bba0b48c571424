//! Which store each domain names, whether it is suspended, and whether an account works: remembered,
//! and forgotten at once when a store or an account changes, on every instance.

use std::collections::HashMap;
use std::sync::RwLock;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use moka::sync::Cache;
use tokio::sync::broadcast;

use crate::db::{Conn, Db, DbResult, TenantId};
use crate::error::{AppError, AppResult};
use crate::values::Domain;

use super::{Role, store};

/// A store as a request's domain finds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KnownStore {
    pub id: TenantId,
    pub suspended: bool,
}

/// What changed: one store's domains or status, one account (deactivated), or anything (what an
/// instance missed while it did not hear of changes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreChange {
    Store(TenantId),
    Account(TenantId, i64),
    Any,
}

impl StoreChange {
    pub fn concerns(self, tenant: TenantId) -> bool {
        match self {
            Self::Store(changed) | Self::Account(changed, _) => changed == tenant,
            Self::Any => true,
        }
    }

    /// The change as a notification's payload: `<store>` or `<store>:<user>`.
    pub fn payload(self) -> String {
        match self {
            Self::Store(tenant) => tenant.0.to_string(),
            Self::Account(tenant, user) => format!("{}:{user}", tenant.0),
            Self::Any => String::new(),
        }
    }

    /// The change a payload names; anything else stands for every store.
    pub fn from_payload(payload: &str) -> Self {
        let number = |text: &str| text.parse::<i64>().ok();
        match payload.split_once(':') {
            None => number(payload).map_or(Self::Any, |id| Self::Store(TenantId(id))),
            Some((tenant, user)) => match (number(tenant), number(user)) {
                (Some(tenant), Some(user)) => Self::Account(TenantId(tenant), user),
                _ => Self::Any,
            },
        }
    }
}

/// What the per-request check learns of an account: its role now and whether its store is
/// suspended; `None` for an account deactivated or gone.
pub type AccountStatus = Option<(Role, bool)>;

/// Which store each domain names, which stores are suspended and which accounts work, as last read
/// from the database.
///
/// Remembering accounts saves every signed-in request a round trip to the database (the account
/// check, which makes deactivation and suspension end a token at once), since the page itself is one.
///
/// A store's domains and status change (`addStoreDomain`, `suspendStore`, ...), an account is
/// deactivated (`deactivateStaff`): the change's transaction announces it (`announce`, a `pg_notify` delivered at commit), and every instance's
/// listener (`changes`) forgets what it knew of that store. While an instance does not listen (before
/// its listener connects, after it loses its connection) it remembers nothing and reads the database
/// for every request; when it listens again it forgets everything, since it may have missed changes.
/// On SQLite only this process writes, and `changed` after each commit is enough.
///
/// A lookup that began before a change is not remembered (it may have read what the change replaced):
/// each change moves `generation` on, and a lookup stores its answer only if the generation it began
/// in is still current.
pub struct TenantDirectory {
    domains: RwLock<HashMap<String, KnownStore>>,
    /// Whether each store is suspended, by id (for the sockets' checks after a change).
    statuses: RwLock<HashMap<TenantId, bool>>,
    /// Each account's status, by store and user.
    accounts: RwLock<HashMap<(TenantId, i64), AccountStatus>>,
    /// `Host` names seen to name no store, for a while: most requests without `X-Tenant-Domain` come
    /// to the API's own host, which would otherwise cost a lookup each.
    not_stores: Cache<String, ()>,
    generation: AtomicU64,
    hears_changes: AtomicBool,
    /// Changes as they are heard, for the open sockets (each closes when its store is suspended).
    changes: broadcast::Sender<StoreChange>,
    /// The platform's own host names: no store may claim one, and a `Host` of one names no store.
    platform_hosts: Vec<String>,
}

/// Entries kept before a map starts over (it refills from the database as requests come).
const DIRECTORY_SIZE: usize = 100_000;
/// How many `Host` names that name no store are remembered (for `MULTISTORE_UNKNOWN_HOST_TTL_SECS`,
/// 10 s by default); forgotten as well at every change of any store, so a domain just added is found
/// at once.
const NOT_STORES_SIZE: u64 = 10_000;
const NOT_STORES_FOR: Duration = Duration::from_secs(10);
/// Changes a slow socket may fall behind by; one that falls further re-checks its store anyway.
const CHANGES_QUEUE: usize = 64;

impl TenantDirectory {
    /// `hears_changes`: whether every change is heard from the start (SQLite: this process makes
    /// them all); on PostgreSQL the listener says so once it listens.
    pub fn new(hears_changes: bool) -> Self {
        Self {
            domains: RwLock::default(),
            statuses: RwLock::default(),
            accounts: RwLock::default(),
            not_stores: Cache::builder()
                .max_capacity(NOT_STORES_SIZE)
                .time_to_live(NOT_STORES_FOR)
                .build(),
            generation: AtomicU64::new(0),
            hears_changes: AtomicBool::new(hears_changes),
            changes: broadcast::channel(CHANGES_QUEUE).0,
            platform_hosts: Vec::new(),
        }
    }

    /// The directory, remembering a `Host` that names no store for `ttl`.
    pub fn with_unknown_host_ttl(mut self, ttl: Duration) -> Self {
        self.not_stores = Cache::builder()
            .max_capacity(NOT_STORES_SIZE)
            .time_to_live(ttl)
            .build();
        self
    }

    /// The directory, knowing the platform's own host names (normalized).
    pub fn with_platform_hosts(mut self, hosts: Vec<String>) -> Self {
        self.platform_hosts = hosts;
        self
    }

    /// `BAD_USER_INPUT` on `field` when `domain` is one of the platform's own host names: a store that
    /// held it would be named by every request sent to the platform itself.
    pub fn claimable(&self, field: &str, domain: &Domain) -> AppResult<()> {
        if self.is_platform_host(domain) {
            return Err(AppError::bad_input(
                field,
                "this host name is the platform's own; a store cannot claim it",
            ));
        }
        Ok(())
    }

    fn is_platform_host(&self, host: &str) -> bool {
        self.platform_hosts.iter().any(|platform| platform == host)
    }

    /// The store a domain (normalized: lower case, no port) names, if any.
    pub async fn find(&self, db: &Db, domain: &str) -> DbResult<Option<KnownStore>> {
        if self.hears_changes()
            && let Some(known) = read(&self.domains).get(domain)
        {
            return Ok(Some(*known));
        }
        let began = self.generation.load(Ordering::Acquire);
        let mut pooled = db.unscoped().await?;
        let found = store::store_by_domain(&mut pooled.conn(), domain).await?;
        if let Some(known) = found {
            self.remember(began, &self.domains, domain.to_owned(), known);
            self.remember(began, &self.statuses, known.id, known.suspended);
        }
        Ok(found)
    }

    /// The store a request's `Host` names, if any (a host seen to name none is not looked up again
    /// for a while).
    /// The platform's own host names and hosts that are no registrable domain (an IP address,
    /// `localhost`) never name a store, whatever a row says.
    pub async fn find_host(&self, db: &Db, host: &str) -> DbResult<Option<KnownStore>> {
        if self.is_platform_host(host) || Domain::parse("host", host).is_err() {
            return Ok(None);
        }
        if self.hears_changes() && self.not_stores.contains_key(host) {
            return Ok(None);
        }
        let began = self.generation.load(Ordering::Acquire);
        let found = self.find(db, host).await?;
        if found.is_none() && self.generation.load(Ordering::Acquire) == began {
            self.not_stores.insert(host.to_owned(), ());
        }
        Ok(found)
    }

    /// Whether the store is suspended now (`false` for a store that does not exist).
    pub async fn suspended(&self, db: &Db, tenant: TenantId) -> DbResult<bool> {
        if self.hears_changes()
            && let Some(suspended) = read(&self.statuses).get(&tenant)
        {
            return Ok(*suspended);
        }
        let began = self.generation.load(Ordering::Acquire);
        let mut pooled = db.unscoped().await?;
        let suspended = store::is_suspended(&mut pooled.conn(), tenant).await?;
        self.remember(began, &self.statuses, tenant, suspended);
        Ok(suspended)
    }

    /// An account's status (see `AccountStatus`), read on the tenant's connection when not known.
    pub async fn account(&self, db: &Db, tenant: TenantId, user: i64) -> DbResult<AccountStatus> {
        if self.hears_changes()
            && let Some(status) = read(&self.accounts).get(&(tenant, user))
        {
            return Ok(*status);
        }
        let began = self.generation.load(Ordering::Acquire);
        let mut pooled = db.tenant(tenant).await?;
        let status = store::active_role(&mut pooled.conn(), tenant, user).await?;
        self.remember(began, &self.accounts, (tenant, user), status);
        Ok(status)
    }

    /// Announces, inside the transaction that makes `change`, that it happened: every instance hears
    /// of it when (and only if) the transaction commits. The instance that made the change calls
    /// `changed` after the commit too, so it need not wait for the notification.
    pub async fn announce(conn: &mut Conn<'_>, change: StoreChange) -> DbResult<()> {
        store::announce_change(conn, &change.payload()).await
    }

    /// Forgets what it knew of the store or account (of everything for `Any`) and tells the open
    /// sockets.
    pub fn changed(&self, change: StoreChange) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        match change {
            StoreChange::Store(tenant) => {
                write(&self.domains).retain(|_, known| known.id != tenant);
                write(&self.statuses).remove(&tenant);
                write(&self.accounts).retain(|(of, _), _| *of != tenant);
                // A domain that named no store may name this one now.
                self.not_stores.invalidate_all();
            }
            StoreChange::Account(tenant, user) => {
                write(&self.accounts).remove(&(tenant, user));
            }
            StoreChange::Any => {
                write(&self.domains).clear();
                write(&self.statuses).clear();
                write(&self.accounts).clear();
                self.not_stores.invalidate_all();
            }
        }
        // No socket listening is fine.
        let _ = self.changes.send(change);
    }

    /// The changes from now on (a receiver that lags behind gets `Lagged`: take it as `Any`).
    pub fn subscribe(&self) -> broadcast::Receiver<StoreChange> {
        self.changes.subscribe()
    }

    fn hears_changes(&self) -> bool {
        self.hears_changes.load(Ordering::Acquire)
    }

    /// Set by the listener: `true` once it listens (everything remembered is forgotten, since changes
    /// may have been missed), `false` when it loses its connection.
    pub fn set_hears_changes(&self, hears: bool) {
        self.hears_changes.store(hears, Ordering::Release);
        self.changed(StoreChange::Any);
    }

    /// Stores an answer read in generation `began`, unless a change came since.
    fn remember<K: std::hash::Hash + Eq, V>(
        &self,
        began: u64,
        map: &RwLock<HashMap<K, V>>,
        key: K,
        value: V,
    ) {
        if !self.hears_changes() {
            return;
        }
        let mut entries = write(map);
        // Checked under the lock: `changed` moves the generation on before it takes the lock.
        if self.generation.load(Ordering::Acquire) != began {
            return;
        }
        if entries.len() >= DIRECTORY_SIZE {
            entries.clear();
        }
        entries.insert(key, value);
    }
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_survives_its_notification_and_junk_means_everything() {
        for change in [
            StoreChange::Store(TenantId(7)),
            StoreChange::Account(TenantId(7), 42),
        ] {
            assert_eq!(StoreChange::from_payload(&change.payload()), change);
        }
        for junk in ["", "x", "7:", ":42", "7:x", "1:2:3"] {
            assert_eq!(StoreChange::from_payload(junk), StoreChange::Any, "{junk}");
        }
        assert!(StoreChange::Account(TenantId(7), 42).concerns(TenantId(7)));
        assert!(!StoreChange::Store(TenantId(7)).concerns(TenantId(8)));
    }

    #[test]
    fn an_answer_read_before_a_change_is_not_remembered() {
        let directory = TenantDirectory::new(true);
        let began = directory.generation.load(Ordering::Acquire);
        directory.changed(StoreChange::Account(TenantId(1), 2));
        directory.remember(began, &directory.accounts, (TenantId(1), 2), None);
        assert!(read(&directory.accounts).is_empty());
        let began = directory.generation.load(Ordering::Acquire);
        directory.remember(began, &directory.accounts, (TenantId(1), 2), None);
        assert_eq!(read(&directory.accounts).len(), 1);
        directory.changed(StoreChange::Store(TenantId(1)));
        assert!(read(&directory.accounts).is_empty());
    }
}
