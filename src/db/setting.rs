//! The tenant setting of a PostgreSQL connection (`app.vendor_id`, what row-level security reads), and
//! how it travels with the statements.
//!
//! - Directly (or behind a session-mode pooler) a connection is ours for its lifetime: the setting is
//!   for the session, sent with the next statement (pipelined) when a checkout (or a switch) names
//!   another store than the session is known to hold. What it holds is known only from the server's
//!   answer: a setting sent and not answered (a request dropped half-way) leaves it unknown, a
//!   transaction's setting is known after its commit, and a rollback brings back what was before.
//! - Behind a transaction-mode pooler (`MULTISTORE_DB_POOLER=transaction`) consecutive transactions may
//!   run on different server connections, with other clients' settings: every transaction carries the
//!   setting (and the role) itself, transaction-local. A statement outside a transaction becomes one:
//!   `BEGIN; SET LOCAL ...` goes out pipelined with it (one round trip), `COMMIT` after it.
//!
//! A transaction's `BEGIN` goes out the same way, with its first statement (and the setting, if it
//! must go): a transaction costs no round trip of its own but its `COMMIT`.

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
    /// Session mode: the value the session is known to hold (`None`: unknown, so it is sent).
    session: Option<String>,
    /// Inside a transaction: its `BEGIN` is still to go (with the first statement).
    begin_pending: bool,
    /// Outside: a transaction began on this connection and was not seen to end (a request dropped
    /// half-way): the pool closes the connection rather than hand out a session inside a transaction.
    unfinished: bool,
}

/// What a transaction's rollback brings back.
#[derive(Clone, Debug)]
pub struct BeforeTransaction {
    pending: bool,
    session: Option<String>,
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
    /// A transaction's first statement: `BEGIN`, and the setting when it must go (`sets`: the
    /// session's value, in session mode).
    Open {
        sql: String,
        sets: Option<String>,
    },
}

impl TenantSetting {
    pub fn new(mode: Mode) -> Self {
        Self {
            mode,
            value: String::new(),
            pending: true,
            in_transaction: false,
            session: None,
            begin_pending: false,
            unfinished: false,
        }
    }

    /// Names the tenant the next statements may see (`None`: no tenant's rows).
    pub fn set(&mut self, tenant: Option<TenantId>) {
        self.value = tenant.map(|t| t.0.to_string()).unwrap_or_default();
        self.pending = match self.mode {
            Mode::Session => self.session.as_deref() != Some(self.value.as_str()),
            Mode::Pooled { .. } => true,
        };
    }

    /// Forgets what the session holds (after SQL that may have changed it).
    pub fn forget(&mut self) {
        self.session = None;
    }

    /// What must go out before the next statement.
    pub fn preamble(&mut self) -> Preamble {
        if self.begin_pending {
            return self.open();
        }
        match &self.mode {
            Mode::Session if self.pending => {
                self.pending = false;
                // Unknown until the server answers (`confirm`).
                self.session = None;
                Preamble::Session(self.value.clone())
            }
            Mode::Session => Preamble::None,
            Mode::Pooled { .. } => {
                let local = self.local();
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

    /// `SET LOCAL` of the role (if any) and the value, behind a pooler.
    fn local(&self) -> String {
        // The value is a number or empty, and the role a checked identifier: no quoting issue.
        let role = match &self.mode {
            Mode::Pooled { role: Some(role) } => format!("SET LOCAL ROLE \"{role}\"; "),
            _ => String::new(),
        };
        format!("{role}SET LOCAL app.vendor_id = '{}'", self.value)
    }

    /// The transaction's `BEGIN`, with the setting if it must go.
    fn open(&mut self) -> Preamble {
        self.begin_pending = false;
        let pending = std::mem::replace(&mut self.pending, false);
        match self.mode {
            Mode::Session if pending => {
                // Unknown until the server answers (`confirm`).
                self.session = None;
                Preamble::Open {
                    sql: format!("BEGIN; SET app.vendor_id = '{}'", self.value),
                    sets: Some(self.value.clone()),
                }
            }
            Mode::Session => Preamble::Open {
                sql: "BEGIN".into(),
                sets: None,
            },
            Mode::Pooled { .. } => Preamble::Open {
                sql: format!("BEGIN; {}", self.local()),
                sets: None,
            },
        }
    }

    /// The server ran the preamble: the session holds what it set.
    pub fn confirm(&mut self, preamble: &Preamble) {
        match preamble {
            Preamble::Session(value)
            | Preamble::Open {
                sets: Some(value), ..
            } => self.session = Some(value.clone()),
            _ => {}
        }
    }

    /// Whether a transaction began on the connection and was not seen to end.
    pub fn is_unfinished(&self) -> bool {
        self.unfinished
    }

    /// Whether the transaction's `BEGIN` went out (so it must be ended).
    pub fn has_begun(&self) -> bool {
        self.in_transaction && !self.begin_pending
    }

    /// The setting inside a transaction that starts now, and what a rollback brings back. Transactions
    /// do not nest (a `BEGIN` inside one would be ignored and its `COMMIT` end the outer one).
    pub fn enter_transaction(&mut self) -> (Self, BeforeTransaction) {
        assert!(!self.in_transaction, "transactions do not nest");
        let before = BeforeTransaction {
            pending: self.pending,
            session: self.session.clone(),
        };
        let inside = Self {
            in_transaction: true,
            begin_pending: true,
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
        // Unknown while the transaction runs: if it never ends here (a request dropped half-way), the
        // pool closes the connection (`unfinished`), and nothing is assumed meanwhile.
        self.session = None;
        self.unfinished = true;
        (inside, before)
    }

    /// Back outside: after a commit, what the transaction named stays in force (session) or is carried
    /// on (pooled); after a rollback, what was in force before is again. `ended`: the server answered
    /// the `COMMIT` or `ROLLBACK` (or none was needed); if not, the session is left unknown and the
    /// connection unfinished.
    pub fn leave_transaction(
        &mut self,
        inside: Self,
        committed: bool,
        ended: bool,
        before: BeforeTransaction,
    ) {
        if !ended {
            self.pending = true;
            return;
        }
        self.unfinished = false;
        if committed {
            self.value = inside.value;
            if let Mode::Session = self.mode {
                self.pending = inside.pending;
                self.session = inside.session;
            }
        } else if let Mode::Session = self.mode {
            self.pending = before.pending;
            self.session = before.session;
        }
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
        Preamble::Local(sql) | Preamble::Begin(sql) | Preamble::Open { sql, .. } => {
            conn.batch_execute(sql).await
        }
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

/// Ends a transaction of `transaction!`: `COMMIT` (or `ROLLBACK`) if its `BEGIN` went out, nothing if
/// it ran no statement.
pub async fn end_transaction(
    conn: &AsyncPgConnection,
    inside: &TenantSetting,
    commit: bool,
) -> QueryResult<()> {
    if !inside.has_begun() {
        return Ok(());
    }
    let mut conn = conn;
    conn.batch_execute(if commit { "COMMIT" } else { "ROLLBACK" })
        .await
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
            Preamble::Open { sql, .. } => format!("open {sql}"),
        }
    }

    #[test]
    fn a_session_setting_goes_once_and_a_rollback_restores_it() {
        let mut setting = TenantSetting::new(Mode::Session);
        setting.set(Some(TenantId(5)));
        let (mut inside, before) = setting.enter_transaction();
        let sent = inside.preamble();
        inside.confirm(&sent);
        assert_eq!(text(sent), "open BEGIN; SET app.vendor_id = '5'");
        assert_eq!(text(inside.preamble()), "none");
        assert!(inside.has_begun());
        // Rolled back: the setting it sent is undone, so it is still to be sent.
        setting.leave_transaction(inside, false, true, before);
        assert_eq!(text(setting.preamble()), "session 5");
        assert_eq!(text(setting.preamble()), "none");
    }

    /// Sends the preamble and says the server ran it.
    fn answered(setting: &mut TenantSetting) -> String {
        let preamble = setting.preamble();
        setting.confirm(&preamble);
        text(preamble)
    }

    #[test]
    fn a_session_known_to_hold_the_store_is_not_set_again() {
        let mut setting = TenantSetting::new(Mode::Session);
        setting.set(Some(TenantId(5)));
        assert_eq!(answered(&mut setting), "session 5");
        // The next checkout for the same store sends nothing; another store's sends its own.
        setting.set(Some(TenantId(5)));
        assert_eq!(answered(&mut setting), "none");
        setting.set(None);
        assert_eq!(answered(&mut setting), "session ");
        setting.set(Some(TenantId(5)));
        assert_eq!(answered(&mut setting), "session 5");
        // Sent and never answered (a request dropped half-way): unknown, so sent again.
        setting.set(Some(TenantId(6)));
        assert_eq!(text(setting.preamble()), "session 6");
        setting.set(Some(TenantId(6)));
        assert_eq!(text(setting.preamble()), "session 6");
        // After SQL that may have changed it: sent again.
        setting.set(Some(TenantId(6)));
        answered(&mut setting);
        setting.forget();
        setting.set(Some(TenantId(6)));
        assert_eq!(text(setting.preamble()), "session 6");
    }

    #[test]
    fn what_a_transaction_set_is_known_after_its_commit_and_undone_by_its_rollback() {
        let mut setting = TenantSetting::new(Mode::Session);
        setting.set(Some(TenantId(1)));
        answered(&mut setting);
        // Committed: the session holds what the transaction set.
        setting.set(Some(TenantId(2)));
        let (mut inside, before) = setting.enter_transaction();
        assert_eq!(answered(&mut inside), "open BEGIN; SET app.vendor_id = '2'");
        setting.leave_transaction(inside, true, true, before);
        setting.set(Some(TenantId(2)));
        assert_eq!(text(setting.preamble()), "none");
        // Rolled back: the session holds what it held before (2), whatever the transaction set.
        setting.set(Some(TenantId(3)));
        let (mut inside, before) = setting.enter_transaction();
        assert_eq!(answered(&mut inside), "open BEGIN; SET app.vendor_id = '3'");
        setting.leave_transaction(inside, false, true, before);
        setting.set(Some(TenantId(3)));
        assert_eq!(answered(&mut setting), "session 3");
        // A transaction known to hold the setting begins alone, and one that ran no statement sends
        // nothing at all.
        setting.set(Some(TenantId(3)));
        let (mut inside, before) = setting.enter_transaction();
        assert_eq!(answered(&mut inside), "open BEGIN");
        setting.leave_transaction(inside, true, true, before);
        let (inside, before) = setting.enter_transaction();
        assert!(!inside.has_begun());
        setting.leave_transaction(inside, true, true, before);
        // A transaction that never ended here leaves the session unknown, and the connection
        // unfinished (the pool closes it); so does one whose end went unanswered.
        setting.set(Some(TenantId(3)));
        let (mut inside, _) = setting.enter_transaction();
        answered(&mut inside);
        drop(inside);
        assert!(setting.is_unfinished());
        setting.set(Some(TenantId(3)));
        assert_eq!(text(setting.preamble()), "session 3");
        let mut setting = TenantSetting::new(Mode::Session);
        let (mut inside, before) = setting.enter_transaction();
        answered(&mut inside);
        setting.leave_transaction(inside, true, false, before);
        assert!(setting.is_unfinished());
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
        let (mut inside, before) = setting.enter_transaction();
        assert_eq!(text(inside.preamble()), format!("open BEGIN; {alone}"));
        assert_eq!(text(inside.preamble()), "none");
        // A switch inside the transaction goes with the next statement, and stays after a commit.
        inside.set(Some(TenantId(8)));
        assert!(text(inside.preamble()).ends_with("app.vendor_id = '8'"));
        setting.leave_transaction(inside, true, true, before);
        assert!(text(setting.preamble()).ends_with("app.vendor_id = '8'"));
        let (mut again, _) = setting.enter_transaction();
        assert!(text(again.preamble()).starts_with("open BEGIN; "));
    }
}
