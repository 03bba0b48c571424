//! The tenant setting of a PostgreSQL connection (`app.vendor_id`, what row-level security reads), and
//! how it travels with the statements.
//!
//! - Directly (or behind a session-mode pooler) a connection is ours for its lifetime: the setting is
//!   for the session, sent once per checkout (or switch), pipelined with the next statement.
//! - Behind a transaction-mode pooler (`MULTISTORE_DB_POOLER=transaction`) consecutive transactions may
//!   run on different server connections, with other clients' settings: every transaction carries the
//!   setting (and the role) itself, transaction-local. A statement outside a transaction becomes one:
//!   `BEGIN; SET LOCAL ...` goes out pipelined with it (one round trip), `COMMIT` after it.

use std::sync::Arc;

use diesel::QueryResult;
use diesel_async::{AsyncPgConnection, RunQueryDsl as _, SimpleAsyncConnection as _};

use super::TenantId;

/// How the connections of a pool reach PostgreSQL.
#[derive(Clone, Debug)]
pub enum Mode {
    Session,
    /// Through a transaction-mode pooler; each transaction takes `role` (when set) itself.
    Pooled {
        role: Option<Arc<str>>,
    },
}

/// What a connection must send so that its next statement sees the right tenant.
#[derive(Clone, Debug)]
pub struct TenantSetting {
    mode: Mode,
    /// The value of `app.vendor_id` (`''` for no tenant's rows).
    value: String,
    /// Whether it still has to be sent (once per session switch; once per transaction when pooled).
    pending: bool,
    in_transaction: bool,
}

/// What goes out before a statement.
pub enum Preamble {
    None,
    /// The session's setting (a prepared statement like any other).
    Session(String),
    /// Inside a transaction behind a pooler: `SET LOCAL ...`.
    Local(String),
    /// Outside a transaction behind a pooler: `BEGIN; SET LOCAL ...`, and `COMMIT` after the statement.
    Begin(String),
}

impl TenantSetting {
    pub fn new(mode: Mode) -> Self {
        Self {
            mode,
            value: String::new(),
            pending: true,
            in_transaction: false,
        }
    }

    /// Names the tenant the next statements may see (`None`: no tenant's rows).
    pub fn set(&mut self, tenant: Option<TenantId>) {
        self.value = tenant.map(|t| t.0.to_string()).unwrap_or_default();
        self.pending = true;
    }

    /// What must go out before the next statement.
    pub fn preamble(&mut self) -> Preamble {
        match &self.mode {
            Mode::Session if self.pending => {
                self.pending = false;
                Preamble::Session(self.value.clone())
            }
            Mode::Session => Preamble::None,
            Mode::Pooled { role } => {
                // The value is a number or empty, and the role a checked identifier: no quoting issue.
                let role = role
                    .as_ref()
                    .map(|role| format!("SET LOCAL ROLE \"{role}\"; "))
                    .unwrap_or_default();
                let local = format!("{role}SET LOCAL app.vendor_id = '{}'", self.value);
                if !self.in_transaction {
                    Preamble::Begin(format!("BEGIN; {local}"))
                } else if self.pending {
                    self.pending = false;
                    Preamble::Local(local)
                } else {
                    Preamble::None
                }
            }
        }
    }

    /// The setting inside a transaction that starts now.
    pub fn enter_transaction(&mut self) -> Self {
        let inside = Self {
            in_transaction: true,
            pending: match self.mode {
                Mode::Session => self.pending,
                // Each transaction carries the setting, whatever the one before did.
                Mode::Pooled { .. } => true,
            },
            ..self.clone()
        };
        if let Mode::Session = self.mode {
            // Whatever the transaction sends, it sends for the session (until a rollback undoes it).
            self.pending = false;
        }
        inside
    }

    /// Back outside: after a commit, what the transaction named stays in force (session) or is carried
    /// on (pooled); after a rollback, what was in force before is again.
    pub fn leave_transaction(&mut self, inside: Self, committed: bool, was_pending: bool) {
        if committed {
            self.value = inside.value;
            if let Mode::Session = self.mode {
                self.pending = inside.pending;
            }
        } else if let Mode::Session = self.mode {
            self.pending = was_pending;
        }
    }

    /// Whether the setting still has to be sent (for `leave_transaction`).
    pub fn is_pending(&self) -> bool {
        self.pending
    }
}

diesel::define_sql_function! {
    /// PostgreSQL's `set_config(name, value, is_local)`.
    fn set_config(name: diesel::sql_types::Text, value: diesel::sql_types::Text, is_local: diesel::sql_types::Bool) -> diesel::sql_types::Text;
}

/// Sends a preamble (see `with_conn!`); pipelined when polled before the statement it precedes.
pub async fn send_preamble(conn: &AsyncPgConnection, preamble: &Preamble) -> QueryResult<()> {
    let mut conn = conn;
    match preamble {
        Preamble::None => Ok(()),
        Preamble::Session(value) => {
            diesel::select(set_config("app.vendor_id", value, false))
                .execute(&mut conn)
                .await?;
            Ok(())
        }
        Preamble::Local(sql) | Preamble::Begin(sql) => conn.batch_execute(sql).await,
    }
}

/// Ends the transaction a `Begin` preamble opened: `COMMIT` after a statement that succeeded, else
/// `ROLLBACK`.
pub async fn end_statement<T>(
    conn: &AsyncPgConnection,
    preamble: &Preamble,
    result: QueryResult<T>,
) -> QueryResult<T> {
    if !matches!(preamble, Preamble::Begin(_)) {
        return result;
    }
    let mut conn = conn;
    let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
    let ended = conn.batch_execute(end).await;
    let value = result?;
    ended.map(|()| value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(preamble: Preamble) -> String {
        match preamble {
            Preamble::None => "none".into(),
            Preamble::Session(value) => format!("session {value}"),
            Preamble::Local(sql) => format!("local {sql}"),
            Preamble::Begin(sql) => format!("begin {sql}"),
        }
    }

    #[test]
    fn a_session_setting_goes_once_and_a_rollback_restores_it() {
        let mut setting = TenantSetting::new(Mode::Session);
        setting.set(Some(TenantId(5)));
        let was_pending = setting.is_pending();
        let mut inside = setting.enter_transaction();
        assert_eq!(text(inside.preamble()), "session 5");
        assert_eq!(text(inside.preamble()), "none");
        // Rolled back: the setting it sent is undone, so it is still to be sent.
        setting.leave_transaction(inside, false, was_pending);
        assert_eq!(text(setting.preamble()), "session 5");
        assert_eq!(text(setting.preamble()), "none");
    }

    #[test]
    fn behind_a_pooler_every_transaction_carries_the_setting() {
        let role = Some(Arc::from("app"));
        let mut setting = TenantSetting::new(Mode::Pooled { role });
        setting.set(Some(TenantId(7)));
        let alone = r#"SET LOCAL ROLE "app"; SET LOCAL app.vendor_id = '7'"#;
        // Outside a transaction, every statement is made one.
        assert_eq!(text(setting.preamble()), format!("begin BEGIN; {alone}"));
        assert_eq!(text(setting.preamble()), format!("begin BEGIN; {alone}"));
        let mut inside = setting.enter_transaction();
        assert_eq!(text(inside.preamble()), format!("local {alone}"));
        assert_eq!(text(inside.preamble()), "none");
        // A switch inside the transaction goes with the next statement, and stays after a commit.
        inside.set(Some(TenantId(8)));
        assert!(text(inside.preamble()).ends_with("app.vendor_id = '8'"));
        setting.leave_transaction(inside, true, false);
        assert!(text(setting.preamble()).ends_with("app.vendor_id = '8'"));
        let mut again = setting.enter_transaction();
        assert!(text(again.preamble()).starts_with("local "));
    }
}
