//! [`WriterStats`]: the writer's counters, readable while it runs.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

/// Counters of the writer, readable while it runs.
#[derive(Debug, Default)]
pub struct WriterStats {
    /// Readings committed to the store.
    pub readings_written: AtomicU64,
    /// Commits (log records synced).
    pub transactions: AtomicU64,
    /// Failed commit attempts (the readings are held in memory and retried).
    pub write_errors: AtomicU64,
    /// Readings lost: over the in-memory bound while the store failed, or not committed by the
    /// stop deadline (each loss is logged with its count).
    pub readings_lost: AtomicU64,
    /// Readings held in memory because the store could not commit them yet (a gauge).
    pub readings_held: AtomicU64,
    /// Since when reading commits fail, UTC ms; 0 while they succeed.
    pub failing_since_ms: AtomicI64,
    /// Since when the alarm tables cannot be committed, UTC ms; 0 while they can (set by the
    /// alarm actor, which holds its changes and notifications in memory meanwhile).
    pub alarms_failing_since_ms: AtomicI64,
    /// Alarm-table writes (changes, journal entries, delivery records) held in memory (a gauge).
    pub alarm_writes_held: AtomicU64,
    /// Bytes written to the log and chunk files (SQLite's own writes not included).
    pub bytes_written: AtomicU64,
    /// Flushes of the log into chunks.
    pub flushes: AtomicU64,
}

impl WriterStats {
    /// Since when any part of the store fails to commit, UTC ms (the earlier of readings and
    /// alarm tables); `None` while both commit.
    pub fn failing_since_ms(&self) -> Option<i64> {
        [
            self.failing_since_ms.load(Ordering::Relaxed),
            self.alarms_failing_since_ms.load(Ordering::Relaxed),
        ]
        .into_iter()
        .filter(|t| *t != 0)
        .min()
    }
}
