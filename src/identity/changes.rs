//! How every instance hears that a store or an account changed (PostgreSQL): a connection of its own
//! `LISTEN`s on the stores' channel, and each notification (`<store>` or `<store>:<user>`, sent by the
//! change's transaction at commit) makes the instance's directory forget that store or account. While
//! it does not listen, the directory remembers nothing (every request reads the database); when it
//! listens again, it forgets everything, since it may have missed changes.

use std::sync::Weak;

use crate::db::notify::{Listener, spawn_listener as listen};

use super::store::CHANNEL;
use super::{StoreChange, TenantDirectory};

impl Listener for TenantDirectory {
    fn listening(&self, listening: bool) {
        self.set_hears_changes(listening);
    }

    fn heard(&self, payload: &str) {
        self.changed(StoreChange::from_payload(payload));
    }
}

/// Listens for as long as the directory lives.
pub fn spawn_listener(url: String, directory: Weak<TenantDirectory>) {
    listen(url, CHANNEL, directory);
}
