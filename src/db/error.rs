//! What a store function can fail with: the data layer's own error, with no notion of the API above it.
//! The API turns it into a contract code (the `error` module above), and a service into a field's `CONFLICT` where
//! a unique constraint stands for a rule (a taken username, a taken domain).

use diesel::result::{DatabaseErrorKind, Error as DieselError};

pub type DbResult<T> = Result<T, DbError>;

#[derive(Debug)]
pub enum DbError {
    /// A unique constraint refused the write; the constraint's name when the driver tells it.
    Unique(Option<String>),
    /// The database cannot be reached now (no connection in time, or the connection was lost).
    Unavailable(String),
    /// Anything else: a bug or a broken database. The text is for the log, never for a client.
    Failed(String),
}

impl DbError {
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, Self::Unique(_))
    }
}

impl From<DieselError> for DbError {
    fn from(err: DieselError) -> Self {
        match err {
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                Self::Unique(info.constraint_name().map(str::to_owned))
            }
            DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, info) => {
                Self::Unavailable(format!("connection lost: {}", info.message()))
            }
            other => Self::Failed(other.to_string()),
        }
    }
}

impl From<super::PoolError> for DbError {
    /// No connection could be had in time: the database is down or overloaded.
    fn from(err: super::PoolError) -> Self {
        Self::Unavailable(format!("no connection: {err}"))
    }
}
