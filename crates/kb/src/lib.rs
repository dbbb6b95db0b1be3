//! The knowledge base's own parts (CC-9, OD-18): safe rendering of
//! Markdown articles ([`markdown`]) and the full-text index over them
//! ([`KbIndex`], tantivy), with its analysis ([`analysis`]: the folding of
//! names plus a light stemmer). The articles themselves live in the store;
//! the center keeps the index in step with it.

pub mod analysis;
mod index;
pub mod markdown;

pub use index::{ArticleDoc, Hit, KbIndex};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("knowledge index: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("knowledge index directory {0}: {1}")]
    Io(String, #[source] std::io::Error),
    #[error("knowledge index is corrupt: {0}")]
    Corrupt(&'static str),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
