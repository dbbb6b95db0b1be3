//! The store's one error type.

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    #[error("unsupported database URL {0}: use sqlite://PATH or postgres://…")]
    UnsupportedUrl(String),
    #[error("cannot connect to {0}: {1}")]
    Connect(String, #[source] sqlx::Error),
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    /// The change would break a rule of the data (`code` is stable, e.g.
    /// `last_admin`); nothing was written.
    #[error("{message}")]
    Refused { code: &'static str, message: String },
    #[error("{0}")]
    Invalid(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("password hashing failed: {0}")]
    Hash(String),
}

impl StoreError {
    /// The database or its disk is full: SQLite's `SQLITE_FULL` (13),
    /// PostgreSQL's `disk_full` (53100); a write failed, nothing was kept.
    pub fn is_full(&self) -> bool {
        match self {
            StoreError::Db(sqlx::Error::Database(d)) => {
                matches!(d.code().as_deref(), Some("13" | "53100")) || d.message().contains("disk is full")
            }
            _ => false,
        }
    }

    /// Maps a unique-constraint violation to `Conflict(msg)`.
    pub(crate) fn unique(e: sqlx::Error, msg: impl Into<String>) -> StoreError {
        match &e {
            sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Conflict(msg.into()),
            _ => StoreError::Db(e),
        }
    }
}

/// `Ok` when a statement changed a row; `NotFound` when it matched none
/// (no such id, or another company's).
pub(crate) fn found(r: sqlx::any::AnyQueryResult) -> Result<(), StoreError> {
    if r.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}
