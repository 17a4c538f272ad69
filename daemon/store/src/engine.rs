//! The writer's engine, owned by its thread: commits (one synced log record per commit
//! interval) and holding readings in memory while the disk fails, here; flushes of the log into
//! chunks ([`flush`]), daily rollup rows ([`days`]) and retention ([`prune`]) beside it.
//!
//! A commit that fails (disk full) loses nothing at once: the readings are held in memory, up
//! to [`MAX_HELD_READINGS`], and the commit is retried every [`RETRY_EVERY`] while new batches
//! keep being taken (polling never waits for the disk). Only readings beyond the bound, or still
//! held at the stop deadline, are counted as lost and logged. A flush that fails is retried; the
//! readings stay in the log meanwhile.

use std::collections::{HashMap, VecDeque};
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use driftvakt_config::model::StoreSettings;
use driftvakt_domain::Reading;
use driftvakt_domain::clock::{Clock, SystemClock};
use rusqlite::{Connection, params};
use tokio::sync::{mpsc, watch};

use crate::chunk::Builder;
use crate::log::{LogReading, SegmentReader, SegmentWriter, Tail, segments};
use crate::query::log_dir;
use crate::shared::{connect, db_path};
use crate::stats::WriterStats;
use crate::{Position, StoreError, schema};

mod days;
mod flush;
mod prune;

/// Readings the builder collects before a flush into chunks (≈ 9 bytes each in memory).
pub const FLUSH_READINGS: u64 = 1_000_000;
/// Longest time readings wait in the log before a flush.
pub const FLUSH_EVERY: Duration = Duration::from_secs(600);
/// Most readings held in memory while the store cannot commit: over 30 minutes of the reference
/// hospital (~90 readings/s), 60 s at up to 3 300 readings/s. Beyond it readings are lost (counted).
pub const MAX_HELD_READINGS: usize = 200_000;
/// How often a failed commit is tried again.
pub const RETRY_EVERY: Duration = Duration::from_secs(1);
/// How often retention pruning runs.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);
/// A chunk file is closed for appending at this size.
const CHUNK_FILE_BYTES: u64 = 64 << 20;
/// A day's rollups are made once readings this far past its end arrive.
const DAY_GRACE_MS: i64 = 10 * 60_000;
/// At most one "still failing" or "over the bound" line per this interval.
const REPEAT_LOG_EVERY: Duration = Duration::from_secs(30);
/// Most readings in one commit record while the disk keeps up (a burst, fast-forward): the
/// writer commits early rather than hold more, and senders wait for it.
const MAX_COMMIT_READINGS: usize = 65_536;

/// The chunk file being appended to.
struct ChunkFile {
    id: i64,
    file: File,
    len: u64,
}

/// The writer's state (owned by its thread; the migration borrows it before the thread starts).
pub(crate) struct Inner {
    data_dir: PathBuf,
    conn: Connection,
    path: PathBuf,
    keys: HashMap<Arc<str>, u32>,
    groups: HashMap<Box<[u32]>, i64>,
    settings: StoreSettings,
    commit_every: Duration,
    /// Newest committed position.
    committed: watch::Sender<Position>,
    /// Sequence number of the next reading.
    next_seq: u64,
    /// Everything up to here is in chunks.
    compacted_seq: u64,
    segment: Option<SegmentWriter>,
    builder: Builder,
    /// When the builder took its first reading.
    builder_since: Option<Instant>,
    /// The builder was dropped after failing flushes: reload it from the log before the next one.
    rebuild: bool,
    chunk_file: Option<ChunkFile>,
    rolled_until: Option<i64>,
    newest_ms: i64,
    next_flush_try: Option<Instant>,
}

impl Inner {
    /// Open the database (tables created if missing) and the writer's state around it.
    pub(crate) fn open(data_dir: &Path, settings: &StoreSettings) -> Result<Inner, StoreError> {
        let path = db_path(data_dir);
        let conn = connect(data_dir)?;
        let sqlf = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let was = schema::version(&conn).map_err(sqlf)?;
        schema::create(&conn).map_err(sqlf)?;
        // Chunk rows must be on disk before the log segments they replace are deleted.
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(sqlf)?;
        let (committed, _) = watch::channel(Position::START);
        let inner = Inner {
            data_dir: data_dir.to_path_buf(),
            conn,
            path: path.clone(),
            keys: HashMap::new(),
            groups: HashMap::new(),
            settings: settings.clone(),
            commit_every: Duration::from_millis(u64::from(settings.commit_interval_ms.max(1))),
            committed,
            next_seq: 1,
            compacted_seq: 0,
            segment: None,
            builder: Builder::default(),
            builder_since: None,
            rebuild: false,
            chunk_file: None,
            rolled_until: None,
            newest_ms: i64::MIN,
            next_flush_try: None,
        };
        if was < schema::VERSION && !schema::has_v1_readings(&inner.conn).map_err(sqlf)? {
            inner
                .conn
                .pragma_update(None, "user_version", schema::VERSION)
                .map_err(sqlf)?;
        }
        Ok(inner)
    }

    /// Whether the database still has the first layout's tables (to convert).
    pub(crate) fn needs_conversion(&self) -> Result<bool, StoreError> {
        schema::has_v1_readings(&self.conn).map_err(|e| self.sql(e))
    }

    /// Read the store's watermarks, groups and newest time (after any conversion).
    pub(crate) fn load(&mut self) -> Result<(), StoreError> {
        let path = self.path.clone();
        let sqlf = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let inner = self;
        inner.compacted_seq = schema::meta(&inner.conn, schema::COMPACTED_SEQ)
            .map_err(sqlf)?
            .unwrap_or(0)
            .max(0) as u64;
        inner.rolled_until = schema::meta(&inner.conn, schema::ROLLED_UNTIL).map_err(sqlf)?;
        let mut stmt = inner
            .conn
            .prepare("SELECT id, keys FROM groups")
            .map_err(sqlf)?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?)))
            .map_err(sqlf)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(sqlf)?;
        drop(stmt);
        for (id, keys) in rows {
            if let Some(keys) = decode_keys(&keys) {
                inner.groups.insert(keys, id);
            }
        }
        inner.newest_ms = inner
            .conn
            .query_row(
                "SELECT coalesce(max(end_ms), -9223372036854775808) FROM chunks",
                [],
                |r| r.get(0),
            )
            .map_err(sqlf)?;
        Ok(())
    }

    /// The writing connection.
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Path of the database file.
    pub(crate) fn db_path(&self) -> PathBuf {
        self.path.clone()
    }

    /// The builder (for the migration).
    pub(crate) fn builder_mut(&mut self) -> &mut Builder {
        &mut self.builder
    }

    /// Readings in the builder.
    pub(crate) fn builder_len(&self) -> u64 {
        self.builder.len()
    }

    /// Write the builder as a chunk now and empty it.
    pub(crate) fn write_chunk_now(&mut self, stats: &WriterStats) -> Result<(), StoreError> {
        if self.builder.is_empty() {
            return Ok(());
        }
        self.write_chunk(stats)?;
        self.builder.clear();
        Ok(())
    }

    fn sql(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    /// Newest committed position, for sinks to watch.
    pub(crate) fn committed(&self) -> watch::Receiver<Position> {
        self.committed.subscribe()
    }

    /// Register the configured points (id, unit, system) in the point index, in one transaction.
    pub(crate) fn register_points(&mut self, points: &[(&str, &str, &str)]) -> Result<(), StoreError> {
        self.conn.execute_batch("BEGIN").map_err(|e| self.sql(e))?;
        for (id, unit, system) in points {
            if let Err(e) = self.register(id, unit, system) {
                let _ = self.conn.execute_batch("ROLLBACK");
                return Err(self.sql(e));
            }
        }
        self.conn.execute_batch("COMMIT").map_err(|e| self.sql(e))
    }

    fn register(&mut self, id: &str, unit: &str, system: &str) -> rusqlite::Result<u32> {
        self.conn.execute(
            "INSERT INTO points(name, unit, system) VALUES (?1, ?2, ?3) \
             ON CONFLICT(name) DO UPDATE SET unit = excluded.unit, system = excluded.system",
            params![id, unit, system],
        )?;
        let key: i64 = self
            .conn
            .query_row("SELECT id FROM points WHERE name = ?1", [id], |r| r.get(0))?;
        let key = u32::try_from(key).unwrap_or(u32::MAX);
        self.keys.insert(Arc::from(id), key);
        Ok(key)
    }

    fn key_of(&mut self, point: &Arc<str>) -> rusqlite::Result<u32> {
        if let Some(k) = self.keys.get(point) {
            return Ok(*k);
        }
        self.register(point, "", "")
    }

    /// Read the log after the last flush back into the builder, cut a torn tail, and find the
    /// next sequence number.
    pub(crate) fn recover(&mut self) -> Result<(), StoreError> {
        self.builder.clear();
        let dir = log_dir(&self.data_dir);
        let segs = segments(&dir).map_err(|source| StoreError::Io {
            path: dir.clone(),
            source,
        })?;
        let mut next = self.compacted_seq + 1;
        let last_index = segs.len().saturating_sub(1);
        for (i, (first, path)) in segs.iter().enumerate() {
            if segs
                .get(i + 1)
                .is_some_and(|(n, _)| *n <= self.compacted_seq + 1)
            {
                continue;
            }
            let mut rd = SegmentReader::open(path).map_err(|source| StoreError::Io {
                path: path.clone(),
                source,
            })?;
            let mut seq = *first;
            loop {
                match rd.next_record() {
                    Ok(rec) => {
                        let n = rec.len();
                        if rec.first_seq > self.compacted_seq {
                            self.newest_ms = self.newest_ms.max(
                                rec.batches
                                    .iter()
                                    .flatten()
                                    .map(|r| r.time_ms)
                                    .max()
                                    .unwrap_or(i64::MIN),
                            );
                            self.builder.add(rec.first_seq, &rec.batches);
                        }
                        seq = rec.first_seq + n;
                    }
                    Err(Tail::Clean) => break,
                    Err(Tail::Torn(at)) => {
                        if i == last_index {
                            tracing::warn!(segment = %path.display(), at, "the log ends in an incomplete commit (the daemon stopped while writing it); cutting it off — those readings were never accepted");
                            if let Ok(f) = OpenOptions::new().write(true).open(path) {
                                let _ = f.set_len(at);
                            }
                        } else {
                            tracing::error!(segment = %path.display(), at, "a log segment is damaged; the readings after this point in it cannot be read");
                        }
                        break;
                    }
                }
            }
            next = next.max(seq);
        }
        if !self.builder.is_empty() {
            self.builder_since = Some(Instant::now());
            tracing::info!(
                readings = self.builder.len(),
                "readings committed before the last stop are read back from the log"
            );
        }
        self.next_seq = next;
        self.committed.send_replace(Position::nth(next - 1));
        self.rebuild = false;
        Ok(())
    }

    pub(crate) fn run(
        mut self,
        mut rx: mpsc::Receiver<Vec<Reading>>,
        stats: &WriterStats,
        stop_at: &OnceLock<Instant>,
    ) {
        let rt = match tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
        {
            Ok(rt) => rt,
            Err(e) => {
                tracing::error!(error = %e, "the store writer cannot start its timer");
                return;
            }
        };
        let mut held = Held::default();
        let mut open = true;
        let mut last_commit = Instant::now() - self.commit_every;
        let mut last_prune = Instant::now();
        loop {
            // Take batches until the next commit is due (or, idle, until one arrives).
            let due = if held.batches.is_empty() {
                self.flush_due_at()
            } else {
                Some(held.retry_at.unwrap_or(last_commit + self.commit_every))
            };
            if open {
                let stop = stop_at.get().copied();
                let wake = [due, stop].into_iter().flatten().min();
                let got = rt.block_on(async {
                    match wake {
                        Some(w) => tokio::time::timeout_at(w.into(), rx.recv()).await.ok(),
                        None => Some(rx.recv().await),
                    }
                });
                match got {
                    Some(Some(batch)) => {
                        held.take(batch, stats);
                        // While failing, take everything queued (up to the bound) so senders
                        // never wait for the disk; otherwise one commit's worth.
                        while held.failing_since.is_some() || held.count < MAX_COMMIT_READINGS {
                            let Ok(b) = rx.try_recv() else { break };
                            held.take(b, stats);
                        }
                    }
                    Some(None) => open = false,
                    None => {}
                }
            }
            let now = Instant::now();
            if stop_at.get().is_some_and(|d| now >= *d) {
                self.give_up(&mut held, &mut rx, stats);
                break;
            }
            let commit_due = held.retry_at.map_or(
                now >= last_commit + self.commit_every || held.count >= MAX_COMMIT_READINGS,
                |at| now >= at,
            );
            if !held.batches.is_empty() && (commit_due || !open) {
                self.commit(&mut held, stats);
                last_commit = Instant::now();
                if !open && held.failing_since.is_some() {
                    // Stopping with a failing disk: keep retrying until the deadline or success.
                    std::thread::sleep(
                        RETRY_EVERY.min(
                            stop_at.get().map_or(RETRY_EVERY, |d| {
                                d.saturating_duration_since(Instant::now())
                            }),
                        ),
                    );
                }
            }
            if held.failing_since.is_none()
                && self.flush_due_at().is_some_and(|at| Instant::now() >= at)
            {
                self.flush(stats);
            }
            if held.failing_since.is_none() && last_prune.elapsed() >= PRUNE_EVERY {
                last_prune = Instant::now();
                if let Err(e) = self.prune(SystemClock.now_ms()) {
                    tracing::warn!(error = %e, "retention pruning failed");
                }
            }
            if !open && held.batches.is_empty() {
                break;
            }
        }
        // A final flush leaves a tidy store (the log holds everything anyway).
        if stop_at
            .get()
            .is_none_or(|d| Instant::now() + Duration::from_millis(500) < *d)
            && !self.builder.is_empty()
        {
            self.flush(stats);
        }
        tracing::debug!(
            written = stats.readings_written.load(Ordering::Relaxed),
            "store writer stopped"
        );
    }

    /// When the builder should be flushed, if it holds anything.
    fn flush_due_at(&self) -> Option<Instant> {
        let since = self.builder_since?;
        let at = if self.builder.len() >= FLUSH_READINGS || self.rebuild {
            Instant::now()
        } else {
            since + FLUSH_EVERY
        };
        Some(self.next_flush_try.map_or(at, |t| t.max(at)))
    }

    /// Commit every held batch as one log record. On failure they stay held and the commit
    /// is retried after [`RETRY_EVERY`].
    fn commit(&mut self, held: &mut Held, stats: &WriterStats) {
        let result = self.write(&held.batches);
        match result {
            Ok((n, committed, bytes)) => {
                stats.bytes_written.fetch_add(bytes, Ordering::Relaxed);
                let first = self.next_seq;
                self.next_seq += n;
                if !self.rebuild {
                    self.builder.add(first, &committed);
                }
                self.builder_since.get_or_insert_with(Instant::now);
                held.batches.clear();
                held.count = 0;
                held.retry_at = None;
                stats.readings_written.fetch_add(n, Ordering::Relaxed);
                stats.transactions.fetch_add(1, Ordering::Relaxed);
                self.committed
                    .send_replace(Position::nth(self.next_seq - 1));
                if let Some(since) = held.failing_since.take() {
                    stats.failing_since_ms.store(0, Ordering::Relaxed);
                    tracing::warn!(
                        path = %self.path.display(),
                        failed_for_ms = SystemClock.now_ms() - since,
                        lost = held.lost_in_spell,
                        "the store commits again; every held reading is committed"
                    );
                    held.lost_in_spell = 0;
                }
            }
            Err(e) => {
                stats.write_errors.fetch_add(1, Ordering::Relaxed);
                held.retry_at = Some(Instant::now() + RETRY_EVERY);
                if held.failing_since.is_none() {
                    let now = SystemClock.now_ms();
                    held.failing_since = Some(now);
                    stats.failing_since_ms.store(now, Ordering::Relaxed);
                    held.last_log = Some(Instant::now());
                    tracing::error!(
                        path = %self.data_dir.display(),
                        error = %e,
                        held = held.count,
                        bound = MAX_HELD_READINGS,
                        "store write failed; holding readings in memory and retrying every second"
                    );
                } else if held
                    .last_log
                    .is_none_or(|t| t.elapsed() >= REPEAT_LOG_EVERY)
                {
                    held.last_log = Some(Instant::now());
                    tracing::error!(path = %self.data_dir.display(), error = %e, held = held.count, lost = held.lost_in_spell, "store still failing");
                }
            }
        }
        held.publish(stats);
    }

    /// Append `batches` to the log as one synced record: (readings, the readings with their
    /// keys for the builder, bytes written).
    fn write(
        &mut self,
        batches: &VecDeque<Vec<Reading>>,
    ) -> Result<(u64, Vec<Vec<LogReading>>, u64), StoreError> {
        let mut log: Vec<Vec<LogReading>> = Vec::with_capacity(batches.len());
        for b in batches {
            let mut out = Vec::with_capacity(b.len());
            for r in b {
                let key = self.key_of(&r.point).map_err(|e| self.sql(e))?;
                out.push(LogReading {
                    key,
                    time_ms: r.time_ms,
                    value: r.value.clone(),
                    quality: r.quality,
                });
                self.newest_ms = self.newest_ms.max(r.time_ms);
            }
            log.push(out);
        }
        let n: u64 = log.iter().map(|b| b.len() as u64).sum();
        let dir = log_dir(&self.data_dir);
        if self.segment.is_none() {
            let seg =
                SegmentWriter::create(&dir, self.next_seq).map_err(|source| StoreError::Io {
                    path: dir.clone(),
                    source,
                })?;
            self.segment = Some(seg);
        }
        let Some(seg) = self.segment.as_mut() else {
            return Err(StoreError::WriterStopped);
        };
        let before = seg.len();
        let refs: Vec<&[LogReading]> = log.iter().map(|b| b.as_slice()).collect();
        if let Err(source) = seg.append(self.next_seq, &refs) {
            let path = seg.path().to_path_buf();
            // Its coding state moved on: the next commit starts a new segment.
            self.segment = None;
            return Err(StoreError::Io { path, source });
        }
        let after = self.segment.as_ref().map_or(before, SegmentWriter::len);
        Ok((n, log, after.saturating_sub(before)))
    }

    /// The stop deadline has passed: count what is held or still queued as lost, loudly.
    fn give_up(
        &mut self,
        held: &mut Held,
        rx: &mut mpsc::Receiver<Vec<Reading>>,
        stats: &WriterStats,
    ) {
        let mut lost = held.count;
        held.batches.clear();
        held.count = 0;
        rx.close();
        while let Ok(batch) = rx.try_recv() {
            lost += batch.len();
        }
        stats.readings_held.store(0, Ordering::Relaxed);
        if lost > 0 {
            stats
                .readings_lost
                .fetch_add(lost as u64, Ordering::Relaxed);
            tracing::error!(path = %self.data_dir.display(), readings = lost, stage = "store", "readings could not be committed before the stop deadline and are lost");
        }
    }
}

/// Group keys from their blob.
pub(crate) fn decode_keys(blob: &[u8]) -> Option<Box<[u32]>> {
    let mut b = crate::codec::Bytes::new(blob);
    let mut keys = Vec::new();
    while !b.is_empty() {
        keys.push(u32::try_from(b.uvarint().ok()?).ok()?);
    }
    Some(keys.into())
}

/// Readings taken from the queue but not committed yet.
#[derive(Default)]
struct Held {
    /// Oldest first.
    batches: VecDeque<Vec<Reading>>,
    /// Readings in `batches`.
    count: usize,
    /// Since when commits fail, UTC ms (until everything held is committed).
    failing_since: Option<i64>,
    /// When to try the next commit after a failure.
    retry_at: Option<Instant>,
    /// Readings lost over the bound during the current failing spell.
    lost_in_spell: u64,
    /// When the last repeated error line was logged.
    last_log: Option<Instant>,
}

impl Held {
    /// Hold `batch`, up to [`MAX_HELD_READINGS`]; the rest is counted as lost and logged.
    fn take(&mut self, mut batch: Vec<Reading>, stats: &WriterStats) {
        let room = MAX_HELD_READINGS.saturating_sub(self.count);
        let lost = batch.len().saturating_sub(room);
        batch.truncate(room);
        self.count += batch.len();
        if !batch.is_empty() {
            self.batches.push_back(batch);
        }
        if lost > 0 {
            stats
                .readings_lost
                .fetch_add(lost as u64, Ordering::Relaxed);
            self.lost_in_spell += lost as u64;
            if self
                .last_log
                .is_none_or(|t| t.elapsed() >= REPEAT_LOG_EVERY)
            {
                self.last_log = Some(Instant::now());
                tracing::error!(
                    bound = MAX_HELD_READINGS,
                    lost_so_far = self.lost_in_spell,
                    "the store cannot commit and holds as many readings as it may; newer readings are lost"
                );
            }
        }
        self.publish(stats);
    }

    /// Show what is held because commits fail (not the batch of a commit in progress).
    fn publish(&self, stats: &WriterStats) {
        let held = if self.failing_since.is_some() {
            self.count
        } else {
            0
        };
        stats.readings_held.store(held as u64, Ordering::Relaxed);
    }
}
