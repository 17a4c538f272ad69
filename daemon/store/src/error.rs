//! The store's one error type.

use std::path::PathBuf;

/// Errors of the embedded store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed.
    #[error("store {path}: {source}")]
    Sqlite {
        /// Database file.
        path: PathBuf,
        /// Underlying error.
        #[source]
        source: rusqlite::Error,
    },
    /// The data directory could not be created.
    #[error("cannot create data directory {path}: {source}")]
    DataDir {
        /// Directory.
        path: PathBuf,
        /// Underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A log segment or chunk file could not be read or written.
    #[error("store file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A store file holds bytes that do not decode (damaged on disk).
    #[error("store file {path} is damaged: {what}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What did not decode.
        what: String,
    },
    /// The data directory holds no store.
    #[error("no store at {0} (is it a driftvakt data directory?)")]
    NoStore(PathBuf),
    /// No such point in the store.
    #[error("point {0} has no data in the store (check the id with `driftvakt export --list`)")]
    UnknownPoint(String),
    /// The writer has stopped: a batch sent now is not stored.
    #[error("the store writer has stopped")]
    WriterStopped,
}
