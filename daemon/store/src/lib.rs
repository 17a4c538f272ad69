//! driftvakt's embedded historian store: every reading with its time and quality, 1-minute
//! rollups that outlive the raw data, and the sinks' durable queue.
//!
//! Layout of a data directory (see ARCHITECTURE.md, "The store"):
//! - `log/` — the commit log: one record per commit (group commit, synced), compact (a value
//!   equal to the point's previous costs one byte); it makes a reading durable and is the
//!   sinks' queue by position (`sinks/<id>.pos`: each sink's saved position);
//! - `chunks/` — readings regrouped per device cycle (time once per cycle, one column per point,
//!   numbers as bit-packed integer deltas), appended at each flush;
//! - `driftvakt.db` (SQLite) — point index, groups, chunk directory, daily rollup rows, sink
//!   positions, and the alarm tables kept by others ([`shared`]).
//!
//! The API is small and no caller sees the layout:
//! - write: [`StoreWriter::start`] → [`BatchSender`] (batches in), [`StoreWriter::committed`]
//!   (the newest committed [`Position`]), [`WriterStats`], [`StoreWriter::stop_at`] and
//!   [`StoreWriter::finish`] (one stop deadline; what misses it is counted as lost);
//! - read: [`Store::open_read_only`] → points, raw readings, rollups, minute values, good-data
//!   coverage, counts;
//! - sinks: [`SinkQueue`] — a sink's saved [`Position`] and the readings after it, in position
//!   order (the log's commit order; older than the log, from the chunks);
//! - bench: [`import_rollups`] writes synthetic rollups.

mod backfill;
mod chunk;
mod codec;
mod engine;
mod error;
mod import;
mod log;
mod migrate;
mod position;
mod query;
mod queue;
mod queued;
mod reader;
mod rollup;
mod schema;
mod sinkpos;
pub mod shared;
mod stats;
mod writer;

pub use engine::{MAX_HELD_READINGS, RETRY_EVERY};
pub use error::StoreError;
pub use import::import_rollups;
pub use position::Position;
pub use queue::SinkQueue;
pub use queued::{PointKey, QueuedReading};
pub use reader::{Store, StoredReading};
pub use rollup::Rollup;
pub use stats::WriterStats;
pub use writer::{BatchSender, PointMeta, StoreWriter};
