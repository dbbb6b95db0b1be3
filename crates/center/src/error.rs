//! The runtime's one error type. The API maps each variant to a status and
//! a stable code; the runtime never knows HTTP.

use centrala_store::StoreError;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CenterError {
    /// The database failed or refused.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No such thing in the company (`what` names it: "client", "staff member").
    #[error("no such {0}")]
    NotFound(&'static str),
    /// The request cannot be done as asked; the text says why.
    #[error("{0}")]
    Invalid(String),
    /// It could be done, but not now (a call that ended, a phone not
    /// registered): `code` is stable, the text says why.
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// The knowledge base's search index failed.
    #[error(transparent)]
    Knowledge(#[from] centrala_kb::Error),
    /// A part of the runtime is not running (the telephony is off).
    #[error("{message}")]
    Unavailable { code: &'static str, message: String },
}

impl CenterError {
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        CenterError::Conflict { code, message: message.into() }
    }
}

pub type CenterResult<T> = Result<T, CenterError>;
