//! driftvakt's embedded store: every reading with its time and quality, 1-minute rollups that
//! outlive the raw data, and the sinks' durable queue. Today SQLite in WAL mode, so exports and
//! reports read while the daemon writes.
//!
//! The API is the seam the historian rebuild (issue 11) replaces behind; no caller sees SQL:
//! - write: [`StoreWriter::start`] → [`BatchSender`] (batches in), [`StoreWriter::committed`]
//!   (the newest committed [`Position`]), [`WriterStats`], [`StoreWriter::stop_at`] and
//!   [`StoreWriter::finish`] (one stop deadline; what misses it is counted as lost);
//! - read: [`Store::open_read_only`] → points, raw readings, rollups, minute values, good-data
//!   coverage;
//! - sinks: [`SinkQueue`] — a sink's saved [`Position`] and the readings after it, in commit order;
//! - bench: [`import_rollups`] writes synthetic rollups.
//!
//! One writer thread owns the write connection ([`StoreWriter`]); readers open their own read-only
//! connections. The alarm tables still live in the same SQLite file on their own connection
//! ([`shared`]); that is the one place a caller sees SQLite.

mod error;
mod import;
mod position;
mod queue;
mod reader;
mod schema;
pub mod shared;
mod writer;

pub use error::StoreError;
pub use import::import_rollups;
pub use position::Position;
pub use queue::{PointKey, QueuedReading, SinkQueue};
pub use reader::{Rollup, Store, StoredReading};
pub use writer::{BatchSender, MAX_HELD_READINGS, PointMeta, RETRY_EVERY, StoreWriter, WriterStats};
