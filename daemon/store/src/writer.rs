//! The store's single writer: a thread that drains reading batches into SQLite, one transaction
//! per burst, keeping the 1-minute rollups up to date and pruning raw data past its retention.
//!
//! A commit that fails (disk full, database locked by another process) loses nothing at once:
//! the readings are held in memory, up to [`MAX_HELD_READINGS`], and the commit is retried every
//! [`RETRY_EVERY`] while new batches keep being taken (polling never waits for the disk). Only
//! readings beyond the bound, or still held at the stop deadline, are counted as lost and logged.

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use driftvakt_config::model::StoreSettings;
use driftvakt_domain::clock::{Clock, SystemClock};
use driftvakt_domain::{Quality, Reading};
use rusqlite::{Connection, params};
use tokio::sync::mpsc::error::TryRecvError;
use tokio::sync::{mpsc, watch};

use crate::shared::{connect, db_path};
use crate::{Position, StoreError, schema};

/// Most readings written in one transaction.
const MAX_READINGS_PER_TXN: usize = 20_000;
/// How often retention pruning runs.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);
/// Batches that may wait for the writer before senders have to wait.
const CHANNEL_BATCHES: usize = 4096;
/// Most readings held in memory while the store cannot commit: over 30 minutes of the reference
/// hospital (~90 readings/s), 60 s at up to 3 300 readings/s. Beyond it readings are lost (counted).
pub const MAX_HELD_READINGS: usize = 200_000;
/// How often a failed commit is tried again.
pub const RETRY_EVERY: Duration = Duration::from_secs(1);
/// How often the writer looks for new batches and the stop deadline while it waits to retry.
const IDLE_POLL: Duration = Duration::from_millis(20);
/// Time the final WAL checkpoint needs before the stop deadline to be worth starting.
const CHECKPOINT_MARGIN: Duration = Duration::from_millis(1000);
/// At most one "still failing" or "over the bound" line per this interval.
const REPEAT_LOG_EVERY: Duration = Duration::from_secs(30);

/// Counters of the writer, readable while it runs.
#[derive(Debug, Default)]
pub struct WriterStats {
    /// Readings committed to the store.
    pub readings_written: AtomicU64,
    /// Transactions committed.
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
}

impl WriterStats {
    /// Since when any part of the store fails to commit, UTC ms (the earlier of readings and
    /// alarm tables); `None` while both commit.
    pub fn failing_since_ms(&self) -> Option<i64> {
        [self.failing_since_ms.load(Ordering::Relaxed), self.alarms_failing_since_ms.load(Ordering::Relaxed)]
            .into_iter()
            .filter(|t| *t != 0)
            .min()
    }
}

/// Metadata of a point, written to the `points` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PointMeta {
    /// Full point id.
    pub id: String,
    /// Engineering unit.
    pub unit: String,
    /// System keyword.
    pub system: String,
}

/// Where reading batches go to be stored (one batch per device cycle or router round). Cheap to
/// clone; the writer stops once every sender and its [`StoreWriter`] are dropped.
#[derive(Clone)]
pub struct BatchSender(mpsc::Sender<Vec<Reading>>);

impl BatchSender {
    /// Queue a batch, waiting while the writer's queue is full.
    pub async fn send(&self, batch: Vec<Reading>) -> Result<(), StoreError> {
        self.0.send(batch).await.map_err(|_| StoreError::WriterStopped)
    }

    /// [`BatchSender::send`] from a thread outside the async runtime.
    pub fn blocking_send(&self, batch: Vec<Reading>) -> Result<(), StoreError> {
        self.0.blocking_send(batch).map_err(|_| StoreError::WriterStopped)
    }
}

/// Handle to the running writer thread.
pub struct StoreWriter {
    /// Sender half of the writer's queue (this handle's own).
    tx: mpsc::Sender<Vec<Reading>>,
    /// The writer thread.
    thread: JoinHandle<()>,
    /// Counters shared with the thread.
    stats: Arc<WriterStats>,
    /// Newest committed position.
    committed: watch::Receiver<Position>,
    /// Stop deadline, once stopping: the thread commits until then and counts the rest as lost.
    stop_at: Arc<OnceLock<Instant>>,
}

impl StoreWriter {
    /// Open (or create) the store in `data_dir` and start the writer thread.
    pub fn start(data_dir: &Path, points: &[PointMeta], settings: &StoreSettings) -> Result<StoreWriter, StoreError> {
        std::fs::create_dir_all(data_dir)
            .map_err(|source| StoreError::DataDir { path: data_dir.to_path_buf(), source })?;
        let path = db_path(data_dir);
        let sql = |source| StoreError::Sqlite { path: path.clone(), source };
        let conn = connect(data_dir)?;
        schema::create(&conn).map_err(sql)?;
        let (committed_tx, committed) = watch::channel(Position::START);
        let mut inner =
            Inner { conn, path: path.clone(), ids: HashMap::new(), settings: settings.clone(), committed: committed_tx };
        for p in points {
            inner.register(&p.id, &p.unit, &p.system).map_err(sql)?;
        }
        inner.prune(SystemClock.now_ms()).map_err(sql)?;
        let last_rowid: i64 =
            inner.conn.query_row("SELECT coalesce(max(rowid), 0) FROM readings", [], |r| r.get(0)).map_err(sql)?;
        inner.committed.send_replace(Position::from_seq(last_rowid));

        let (tx, rx) = mpsc::channel(CHANNEL_BATCHES);
        let stats = Arc::new(WriterStats::default());
        let thread_stats = stats.clone();
        let stop_at = Arc::new(OnceLock::new());
        let thread_stop = stop_at.clone();
        let thread = std::thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || inner.run(rx, &thread_stats, &thread_stop))
            .map_err(|source| StoreError::DataDir { path: data_dir.to_path_buf(), source })?;
        Ok(StoreWriter { tx, thread, stats, committed, stop_at })
    }

    /// The position of the newest committed reading, updated after every commit (sinks wake on it).
    pub fn committed(&self) -> watch::Receiver<Position> {
        self.committed.clone()
    }

    /// The writer's counters, readable while it runs.
    pub fn stats(&self) -> Arc<WriterStats> {
        self.stats.clone()
    }

    /// A sender for reading batches. The writer stops once every sender is dropped.
    pub fn sender(&self) -> BatchSender {
        BatchSender(self.tx.clone())
    }

    /// Drop this handle's sender and wait until every queued reading is committed (or, after
    /// [`StoreWriter::stop_at`], until the deadline: the rest is counted as lost and logged).
    /// Other senders must have been dropped already, or this waits for them.
    pub fn finish(self) -> Arc<WriterStats> {
        let StoreWriter { tx, thread, stats, .. } = self;
        drop(tx);
        if thread.join().is_err() {
            tracing::error!("store writer thread panicked");
        }
        stats
    }

    /// Commit only until `deadline` once stopping: what is still held or queued then is
    /// counted as lost and logged with its count.
    pub fn stop_at(&self, deadline: Instant) {
        self.stop_at.get_or_init(|| deadline);
    }
}

struct Inner {
    conn: Connection,
    path: PathBuf,
    ids: HashMap<Arc<str>, i64>,
    settings: StoreSettings,
    /// Newest committed position (rowid of `readings`).
    committed: watch::Sender<Position>,
}

/// Accumulated rollup of one point-minute within one transaction.
#[derive(Default)]
struct RollAcc {
    min: Option<f64>,
    max: Option<f64>,
    sum: f64,
    good: i64,
    count: i64,
}

impl Inner {
    fn register(&mut self, id: &str, unit: &str, system: &str) -> rusqlite::Result<i64> {
        self.conn.execute(
            "INSERT INTO points(name, unit, system) VALUES (?1, ?2, ?3) \
             ON CONFLICT(name) DO UPDATE SET unit = excluded.unit, system = excluded.system",
            params![id, unit, system],
        )?;
        let key: i64 = self.conn.query_row("SELECT id FROM points WHERE name = ?1", [id], |r| r.get(0))?;
        self.ids.insert(Arc::from(id), key);
        Ok(key)
    }

    fn key_of(&mut self, point: &Arc<str>) -> rusqlite::Result<i64> {
        if let Some(k) = self.ids.get(point) {
            return Ok(*k);
        }
        self.register(point, "", "")
    }

    fn run(mut self, mut rx: mpsc::Receiver<Vec<Reading>>, stats: &WriterStats, stop_at: &OnceLock<Instant>) {
        let mut last_prune = Instant::now();
        let mut held = Held::default();
        let mut open = true;
        loop {
            // Wait for work only when nothing is held.
            if held.readings.is_empty() {
                if !open {
                    break;
                }
                match rx.blocking_recv() {
                    Some(batch) => held.take(batch, stats),
                    None => {
                        open = false;
                        continue;
                    }
                }
            }
            // While failing, take everything queued (up to the bound) so senders never wait
            // for the disk; otherwise one transaction's worth.
            while open && (held.failing_since.is_some() || held.readings.len() < MAX_READINGS_PER_TXN) {
                match rx.try_recv() {
                    Ok(batch) => held.take(batch, stats),
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => open = false,
                }
            }
            if stop_at.get().is_some_and(|d| Instant::now() >= *d) {
                self.give_up(&mut held, &mut rx, stats);
                break;
            }
            if let Some(at) = held.retry_at
                && Instant::now() < at
            {
                std::thread::sleep(IDLE_POLL.min(at.saturating_duration_since(Instant::now())));
                continue;
            }
            self.commit_chunk(&mut held, stats);
            if held.failing_since.is_none() && last_prune.elapsed() >= PRUNE_EVERY {
                last_prune = Instant::now();
                if let Err(e) = self.prune(SystemClock.now_ms()) {
                    tracing::warn!(path = %self.path.display(), error = %e, "retention pruning failed");
                }
            }
        }
        if stop_at.get().is_none_or(|d| Instant::now() + CHECKPOINT_MARGIN < *d) {
            if let Err(e) = self.conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);") {
                tracing::warn!(path = %self.path.display(), error = %e, "final WAL checkpoint failed");
            }
        } else {
            // Nor when the connection closes: the next start completes it.
            if let Err(e) = self.conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true) {
                tracing::debug!(error = %e, "cannot skip the checkpoint on close");
            }
            tracing::debug!("no time left for the final WAL checkpoint; the next start completes it");
        }
        tracing::debug!(written = stats.readings_written.load(Ordering::Relaxed), "store writer stopped");
    }

    /// Commit the oldest held readings (one transaction). On failure they stay held and the
    /// commit is retried after [`RETRY_EVERY`].
    fn commit_chunk(&mut self, held: &mut Held, stats: &WriterStats) {
        let n = held.readings.len().min(MAX_READINGS_PER_TXN);
        let result = self.write(&held.readings.make_contiguous()[..n]);
        match result {
            Ok(()) => {
                held.readings.drain(..n);
                held.retry_at = None;
                stats.readings_written.fetch_add(n as u64, Ordering::Relaxed);
                stats.transactions.fetch_add(1, Ordering::Relaxed);
                match self.conn.query_row("SELECT coalesce(max(rowid), 0) FROM readings", [], |r| r.get(0)) {
                    Ok(rowid) => {
                        self.committed.send_replace(Position::from_seq(rowid));
                    }
                    Err(e) => tracing::warn!(path = %self.path.display(), error = %e, "cannot read the newest rowid"),
                }
                if held.readings.is_empty()
                    && let Some(since) = held.failing_since.take()
                {
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
                        path = %self.path.display(),
                        error = %e,
                        held = held.readings.len(),
                        bound = MAX_HELD_READINGS,
                        "store write failed; holding readings in memory and retrying every second"
                    );
                } else if held.last_log.is_none_or(|t| t.elapsed() >= REPEAT_LOG_EVERY) {
                    held.last_log = Some(Instant::now());
                    tracing::error!(path = %self.path.display(), error = %e, held = held.readings.len(), lost = held.lost_in_spell, "store still failing");
                }
            }
        }
        held.publish(stats);
    }

    /// The stop deadline has passed: count what is held or still queued as lost, loudly.
    fn give_up(&mut self, held: &mut Held, rx: &mut mpsc::Receiver<Vec<Reading>>, stats: &WriterStats) {
        let mut lost = held.readings.len();
        held.readings.clear();
        rx.close();
        while let Ok(batch) = rx.try_recv() {
            lost += batch.len();
        }
        stats.readings_held.store(0, Ordering::Relaxed);
        if lost > 0 {
            stats.readings_lost.fetch_add(lost as u64, Ordering::Relaxed);
            tracing::error!(path = %self.path.display(), readings = lost, stage = "store", "readings could not be committed before the stop deadline and are lost");
        }
    }

    fn write(&mut self, batch: &[Reading]) -> rusqlite::Result<()> {
        let mut keys = Vec::with_capacity(batch.len());
        for r in batch {
            keys.push(self.key_of(&r.point)?);
        }
        let mut rolls: HashMap<(i64, i64), RollAcc> = HashMap::new();
        let tx = self.conn.transaction()?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO readings(point, ts_ms, vtype, value, text, quality) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for (r, key) in batch.iter().zip(&keys) {
                let (vtype, value, text) = schema::encode_value(r.value.as_ref());
                insert.execute(params![key, r.time_ms, vtype, value, text, r.quality.code()])?;
                let acc = rolls.entry((*key, r.time_ms.div_euclid(60_000) * 60_000)).or_default();
                acc.count += 1;
                if let (Quality::Good, Some(v)) = (r.quality, r.value.as_ref().and_then(|v| v.as_f64())) {
                    acc.good += 1;
                    acc.sum += v;
                    acc.min = Some(acc.min.map_or(v, |m| m.min(v)));
                    acc.max = Some(acc.max.map_or(v, |m| m.max(v)));
                }
            }
            let mut upsert = tx.prepare_cached(
                "INSERT INTO rollup_1m(point, minute_ms, min, max, sum, good_count, count) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
                 ON CONFLICT(point, minute_ms) DO UPDATE SET \
                   min = CASE WHEN excluded.min IS NULL THEN min WHEN min IS NULL THEN excluded.min \
                              WHEN excluded.min < min THEN excluded.min ELSE min END, \
                   max = CASE WHEN excluded.max IS NULL THEN max WHEN max IS NULL THEN excluded.max \
                              WHEN excluded.max > max THEN excluded.max ELSE max END, \
                   sum = sum + excluded.sum, \
                   good_count = good_count + excluded.good_count, \
                   count = count + excluded.count",
            )?;
            for ((key, minute), a) in &rolls {
                upsert.execute(params![key, minute, a.min, a.max, a.sum, a.good, a.count])?;
            }
        }
        tx.commit()
    }

    fn prune(&mut self, now_ms: i64) -> rusqlite::Result<()> {
        const DAY_MS: i64 = 86_400_000;
        let raw_cut = now_ms - i64::from(self.settings.raw_retention_days) * DAY_MS;
        let n = self.conn.execute("DELETE FROM readings WHERE ts_ms < ?1", [raw_cut])?;
        let mut m = 0;
        if self.settings.rollup_retention_days > 0 {
            let cut = now_ms - i64::from(self.settings.rollup_retention_days) * DAY_MS;
            m = self.conn.execute("DELETE FROM rollup_1m WHERE minute_ms < ?1", [cut])?;
        }
        if n + m > 0 {
            tracing::info!(raw_deleted = n, rollups_deleted = m, "retention pruning");
        }
        Ok(())
    }
}

/// Readings taken from the queue but not committed yet.
#[derive(Default)]
struct Held {
    /// Oldest first.
    readings: VecDeque<Reading>,
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
    fn take(&mut self, batch: Vec<Reading>, stats: &WriterStats) {
        let room = MAX_HELD_READINGS.saturating_sub(self.readings.len());
        let lost = batch.len().saturating_sub(room);
        self.readings.extend(batch.into_iter().take(room));
        if lost > 0 {
            stats.readings_lost.fetch_add(lost as u64, Ordering::Relaxed);
            self.lost_in_spell += lost as u64;
            if self.last_log.is_none_or(|t| t.elapsed() >= REPEAT_LOG_EVERY) {
                self.last_log = Some(Instant::now());
                tracing::error!(bound = MAX_HELD_READINGS, lost_so_far = self.lost_in_spell, "the store cannot commit and holds as many readings as it may; newer readings are lost");
            }
        }
        self.publish(stats);
    }

    /// Show what is held because commits fail (not the batch of a commit in progress).
    fn publish(&self, stats: &WriterStats) {
        let held = if self.failing_since.is_some() { self.readings.len() } else { 0 };
        stats.readings_held.store(held as u64, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Store;
    use crate::shared::BUSY_TIMEOUT;
    use driftvakt_domain::Value;

    fn reading(point: &str, t: i64, v: Option<f64>, q: Quality) -> Reading {
        Reading { point: Arc::from(point), time_ms: t, value: v.map(Value::Number), quality: q }
    }

    #[test]
    fn every_reading_is_stored_with_quality_and_rolled_up_per_minute() {
        let dir = tempfile::tempdir().expect("tempdir");
        let meta = [PointMeta { id: "t.level".into(), unit: "l".into(), system: "reservkraft".into() }];
        let w = StoreWriter::start(dir.path(), &meta, &StoreSettings::default()).expect("start");
        let now = SystemClock.now_ms() / 60_000 * 60_000;
        let tx = w.sender();
        tx.blocking_send(vec![
            reading("t.level", now + 1_000, Some(10.0), Quality::Good),
            reading("t.level", now + 2_000, Some(30.0), Quality::Good),
            reading("t.level", now + 3_000, None, Quality::CommFail),
        ])
        .expect("send");
        tx.blocking_send(vec![
            reading("t.level", now + 61_000, Some(5.0), Quality::Good),
            Reading { point: Arc::from("t.text"), time_ms: now, value: Some(Value::Text("DSE".into())), quality: Quality::Good },
        ])
        .expect("send");
        drop(tx);
        let stats = w.finish();
        assert_eq!(stats.readings_written.load(Ordering::Relaxed), 5);

        let s = Store::open_read_only(dir.path()).expect("open");
        let rs = s.readings("t.level", now, now + 120_000).expect("readings");
        assert_eq!(rs.len(), 4);
        assert_eq!(rs[2].quality, Quality::CommFail);
        assert_eq!(rs[2].value, None);
        let rolls = s.rollups("t.level", now, now + 120_000).expect("rollups");
        assert_eq!(rolls.len(), 2);
        assert_eq!((rolls[0].min, rolls[0].max, rolls[0].mean), (Some(10.0), Some(30.0), Some(20.0)));
        assert_eq!((rolls[0].good_count, rolls[0].count), (2, 3));
        assert_eq!(s.readings("t.text", now, now + 1).expect("text")[0].value, Some(Value::Text("DSE".into())));
        assert!(matches!(s.readings("nope", 0, 1), Err(StoreError::UnknownPoint(_))));
    }

    /// Polls `cond` every 10 ms for up to 10 s.
    fn eventually(what: &str, cond: impl Fn() -> bool) {
        let start = Instant::now();
        while !cond() {
            assert!(start.elapsed() < Duration::from_secs(10), "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    #[test]
    fn a_failing_commit_holds_the_readings_and_retries_until_the_store_commits_again() {
        let dir = tempfile::tempdir().expect("tempdir");
        let w = StoreWriter::start(dir.path(), &[], &StoreSettings::default()).expect("start");
        let stats = w.stats();
        // Another process holds the write lock: nothing can be committed.
        let lock = Connection::open(db_path(dir.path())).expect("lock conn");
        lock.execute_batch("BEGIN IMMEDIATE").expect("lock");
        let now = SystemClock.now_ms();
        for k in 0..5 {
            w.sender().blocking_send(vec![reading("p.x", now + k, Some(k as f64), Quality::Good)]).expect("send");
        }
        eventually("the writer failing and holding", || stats.failing_since_ms.load(Ordering::Relaxed) != 0 && stats.readings_held.load(Ordering::Relaxed) > 0);
        w.sender().blocking_send(vec![reading("p.x", now + 5, Some(5.0), Quality::Good)]).expect("send");
        eventually("every reading held", || stats.readings_held.load(Ordering::Relaxed) == 6);
        lock.execute_batch("ROLLBACK").expect("unlock");
        eventually("the retry committing them", || stats.readings_written.load(Ordering::Relaxed) == 6);
        assert_eq!((stats.failing_since_ms.load(Ordering::Relaxed), stats.readings_held.load(Ordering::Relaxed)), (0, 0));
        let stats = w.finish();
        assert_eq!(stats.readings_lost.load(Ordering::Relaxed), 0);
        assert!(stats.write_errors.load(Ordering::Relaxed) >= 1);
        let s = Store::open_read_only(dir.path()).expect("open");
        assert_eq!(s.readings("p.x", 0, i64::MAX).expect("readings").len(), 6);
    }

    #[test]
    fn at_the_stop_deadline_what_cannot_be_committed_is_counted_as_lost() {
        let dir = tempfile::tempdir().expect("tempdir");
        let w = StoreWriter::start(dir.path(), &[], &StoreSettings::default()).expect("start");
        let lock = Connection::open(db_path(dir.path())).expect("lock conn");
        lock.execute_batch("BEGIN IMMEDIATE").expect("lock");
        let batch: Vec<Reading> = (0..100).map(|k| reading("p.x", k, Some(1.0), Quality::Good)).collect();
        w.sender().blocking_send(batch).expect("send");
        let t0 = Instant::now();
        w.stop_at(t0 + Duration::from_millis(1500));
        let stats = w.finish();
        assert!(t0.elapsed() < Duration::from_millis(1500) + BUSY_TIMEOUT + Duration::from_millis(500), "stopped after {:?}", t0.elapsed());
        assert_eq!((stats.readings_written.load(Ordering::Relaxed), stats.readings_lost.load(Ordering::Relaxed)), (0, 100));
    }

    #[test]
    fn rollups_outlive_pruned_raw_data() {
        let dir = tempfile::tempdir().expect("tempdir");
        let settings = StoreSettings { raw_retention_days: 1, rollup_retention_days: 0 };
        let old = SystemClock.now_ms() - 3 * 86_400_000;
        let w = StoreWriter::start(dir.path(), &[], &settings).expect("start");
        w.sender().blocking_send(vec![reading("p.x", old, Some(1.0), Quality::Good)]).expect("send");
        w.finish();
        // A restart prunes at start-up.
        let w = StoreWriter::start(dir.path(), &[], &settings).expect("restart");
        w.finish();
        let s = Store::open_read_only(dir.path()).expect("open");
        assert!(s.readings("p.x", 0, i64::MAX).expect("raw").is_empty());
        assert_eq!(s.rollups("p.x", 0, i64::MAX).expect("rollups").len(), 1);
    }
}
