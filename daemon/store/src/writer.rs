//! The store's single writer, as callers see it: [`StoreWriter::start`] opens (or converts)
//! the store and starts the writer thread ([`crate::engine`]); batches go in through
//! [`BatchSender`]; [`StoreWriter::committed`] tells sinks the newest committed position.

use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;
use std::time::Instant;

use driftvakt_config::model::StoreSettings;
use driftvakt_domain::Reading;
use driftvakt_domain::clock::{Clock, SystemClock};
use tokio::sync::{mpsc, watch};

use crate::engine::Inner;
use crate::stats::WriterStats;
use crate::{Position, StoreError, migrate};

/// Batches that may wait for the writer before senders have to wait.
const CHANNEL_BATCHES: usize = 4096;

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
        self.0
            .send(batch)
            .await
            .map_err(|_| StoreError::WriterStopped)
    }

    /// [`BatchSender::send`] from a thread outside the async runtime.
    pub fn blocking_send(&self, batch: Vec<Reading>) -> Result<(), StoreError> {
        self.0
            .blocking_send(batch)
            .map_err(|_| StoreError::WriterStopped)
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
    /// Open (or create) the store in `data_dir` and start the writer thread. A data directory
    /// of the previous layout (every reading a SQLite row) is converted first, with a message.
    pub fn start(
        data_dir: &Path,
        points: &[PointMeta],
        settings: &StoreSettings,
    ) -> Result<StoreWriter, StoreError> {
        std::fs::create_dir_all(data_dir).map_err(|source| StoreError::DataDir {
            path: data_dir.to_path_buf(),
            source,
        })?;
        let mut inner = Inner::open(data_dir, settings)?;
        if inner.needs_conversion()? {
            migrate::from_v1(&mut inner)?;
        }
        inner.load()?;
        let metas: Vec<(&str, &str, &str)> = points.iter().map(|p| (p.id.as_str(), p.unit.as_str(), p.system.as_str())).collect();
        inner.register_points(&metas)?;
        let stats = Arc::new(WriterStats::default());
        inner.recover()?;
        if let Err(e) = inner.prune(SystemClock.now_ms()) {
            tracing::warn!(error = %e, "retention pruning failed");
        }

        let (tx, rx) = mpsc::channel(CHANNEL_BATCHES);
        let thread_stats = stats.clone();
        let stop_at = Arc::new(OnceLock::new());
        let thread_stop = stop_at.clone();
        let committed = inner.committed();
        let thread = std::thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || inner.run(rx, &thread_stats, &thread_stop))
            .map_err(|source| StoreError::DataDir {
                path: data_dir.to_path_buf(),
                source,
            })?;
        Ok(StoreWriter {
            tx,
            thread,
            stats,
            committed,
            stop_at,
        })
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
        let StoreWriter {
            tx, thread, stats, ..
        } = self;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Store;
    use crate::query::{chunk_dir, log_dir};
    use driftvakt_domain::Reading;
    use driftvakt_domain::{Quality, Value};
    use std::fs::OpenOptions;
    use std::io::Write;
    use std::sync::atomic::Ordering;
    use std::time::Duration;

    fn reading(point: &str, t: i64, v: Option<f64>, q: Quality) -> Reading {
        Reading {
            point: Arc::from(point),
            time_ms: t,
            value: v.map(Value::Number),
            quality: q,
        }
    }

    fn fast() -> StoreSettings {
        StoreSettings {
            commit_interval_ms: 10,
            ..StoreSettings::default()
        }
    }

    /// Polls `cond` every 10 ms for up to 10 s.
    fn eventually(what: &str, cond: impl Fn() -> bool) {
        let start = Instant::now();
        while !cond() {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "timed out waiting for {what}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    #[test]
    fn every_reading_is_stored_with_quality_and_rolled_up_per_minute() {
        let dir = tempfile::tempdir().expect("tempdir");
        let meta = [PointMeta {
            id: "t.level".into(),
            unit: "l".into(),
            system: "reservkraft".into(),
        }];
        let w = StoreWriter::start(dir.path(), &meta, &fast()).expect("start");
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
            Reading {
                point: Arc::from("t.text"),
                time_ms: now,
                value: Some(Value::Text("DSE".into())),
                quality: Quality::Good,
            },
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
        assert_eq!(
            (rolls[0].min, rolls[0].max, rolls[0].mean),
            (Some(10.0), Some(30.0), Some(20.0))
        );
        assert_eq!((rolls[0].good_count, rolls[0].count), (2, 3));
        assert_eq!(
            s.readings("t.text", now, now + 1).expect("text")[0].value,
            Some(Value::Text("DSE".into()))
        );
        assert!(matches!(
            s.readings("nope", 0, 1),
            Err(StoreError::UnknownPoint(_))
        ));
    }

    #[test]
    fn a_failing_commit_holds_the_readings_and_retries_until_the_store_commits_again() {
        let dir = tempfile::tempdir().expect("tempdir");
        let w = StoreWriter::start(dir.path(), &[], &fast()).expect("start");
        let stats = w.stats();
        // Where the log goes is taken by a file: nothing can be committed.
        std::fs::write(log_dir(dir.path()), b"in the way").expect("block");
        let now = SystemClock.now_ms();
        for k in 0..5 {
            w.sender()
                .blocking_send(vec![reading("p.x", now + k, Some(k as f64), Quality::Good)])
                .expect("send");
        }
        eventually("the writer failing and holding", || {
            stats.failing_since_ms.load(Ordering::Relaxed) != 0
                && stats.readings_held.load(Ordering::Relaxed) > 0
        });
        w.sender()
            .blocking_send(vec![reading("p.x", now + 5, Some(5.0), Quality::Good)])
            .expect("send");
        eventually("every reading held", || {
            stats.readings_held.load(Ordering::Relaxed) == 6
        });
        std::fs::remove_file(log_dir(dir.path())).expect("unblock");
        eventually("the retry committing them", || {
            stats.readings_written.load(Ordering::Relaxed) == 6
        });
        assert_eq!(
            (
                stats.failing_since_ms.load(Ordering::Relaxed),
                stats.readings_held.load(Ordering::Relaxed)
            ),
            (0, 0)
        );
        let stats = w.finish();
        assert_eq!(stats.readings_lost.load(Ordering::Relaxed), 0);
        assert!(stats.write_errors.load(Ordering::Relaxed) >= 1);
        let s = Store::open_read_only(dir.path()).expect("open");
        assert_eq!(s.readings("p.x", 0, i64::MAX).expect("readings").len(), 6);
    }

    #[test]
    fn at_the_stop_deadline_what_cannot_be_committed_is_counted_as_lost() {
        let dir = tempfile::tempdir().expect("tempdir");
        let w = StoreWriter::start(dir.path(), &[], &fast()).expect("start");
        std::fs::write(log_dir(dir.path()), b"in the way").expect("block");
        let batch: Vec<Reading> = (0..100)
            .map(|k| reading("p.x", k, Some(1.0), Quality::Good))
            .collect();
        w.sender().blocking_send(batch).expect("send");
        let t0 = Instant::now();
        w.stop_at(t0 + Duration::from_millis(1500));
        let stats = w.finish();
        assert!(
            t0.elapsed() < Duration::from_millis(2500),
            "stopped after {:?}",
            t0.elapsed()
        );
        assert_eq!(
            (
                stats.readings_written.load(Ordering::Relaxed),
                stats.readings_lost.load(Ordering::Relaxed)
            ),
            (0, 100)
        );
    }

    #[test]
    fn committed_readings_not_yet_flushed_are_read_back_from_the_log_after_a_hard_stop() {
        let dir = tempfile::tempdir().expect("tempdir");
        let now = SystemClock.now_ms();
        let w = StoreWriter::start(dir.path(), &[], &fast()).expect("start");
        let committed = w.committed();
        w.sender()
            .blocking_send(
                (0..50)
                    .map(|k| reading("p.x", now + k, Some(k as f64), Quality::Good))
                    .collect(),
            )
            .expect("send");
        eventually("the commit", || *committed.borrow() == Position::nth(50));
        // A stop with no time left: no flush, as after a SIGKILL.
        w.stop_at(Instant::now());
        w.finish();
        assert!(
            crate::log::segments(&log_dir(dir.path()))
                .expect("log")
                .len()
                == 1,
            "the readings are in the log only"
        );
        let s = Store::open_read_only(dir.path()).expect("open");
        assert_eq!(
            s.readings("p.x", 0, i64::MAX).expect("tail").len(),
            50,
            "readers see the log"
        );
        drop(s);
        // A torn record at the end (a commit cut off by the crash) is cut away on start.
        let (_, seg) = crate::log::segments(&log_dir(dir.path()))
            .expect("log")
            .remove(0);
        let mut f = OpenOptions::new()
            .append(true)
            .open(&seg)
            .expect("open segment");
        f.write_all(&[200, 0, 0, 0, 1, 2, 3]).expect("tear");
        drop(f);
        let w = StoreWriter::start(dir.path(), &[], &fast()).expect("restart");
        assert_eq!(
            *w.committed().borrow(),
            Position::nth(50),
            "positions go on where they stopped"
        );
        w.sender()
            .blocking_send(vec![reading("p.x", now + 100, Some(1.0), Quality::Good)])
            .expect("send");
        w.finish();
        let s = Store::open_read_only(dir.path()).expect("open");
        let all = s.readings("p.x", 0, i64::MAX).expect("all");
        assert_eq!(all.len(), 51, "no reading lost, none twice");
        assert!(
            crate::log::segments(&log_dir(dir.path()))
                .expect("log")
                .is_empty(),
            "flushed at the stop, the log is gone"
        );
    }

    #[test]
    fn a_completed_days_rollup_rows_equal_its_raw_readings_with_points_in_several_groups() {
        let dir = tempfile::tempdir().expect("tempdir");
        let day = (SystemClock.now_ms() / 86_400_000 - 3) * 86_400_000;
        let w = StoreWriter::start(dir.path(), &[], &fast()).expect("start");
        // Two devices' cycles every 20 s over a day and a half; "b.x" is read in both device
        // layouts (a plan change), and quality, bools and gaps vary.
        for c in 0..(36 * 180) {
            let t = day + c * 20_000;
            let q = if c % 17 == 0 { Quality::CommFail } else { Quality::Good };
            let v = |k: i64| if q == Quality::Good { Some((k + c % 7) as f64) } else { None };
            let mut a = vec![reading("a.x", t, v(1), q), reading("a.y", t, v(2), Quality::Good)];
            if c % 2 == 0 {
                a.push(reading("b.x", t, v(3), q));
            }
            let mut b = vec![Reading { point: Arc::from("b.on"), time_ms: t + 3, value: Some(Value::Bool(c % 3 == 0)), quality: Quality::Good }];
            if c % 2 == 1 {
                b.push(reading("b.x", t + 3, v(4), Quality::Good));
            }
            w.sender().blocking_send(a).expect("send");
            w.sender().blocking_send(b).expect("send");
        }
        w.finish();
        let s = Store::open_read_only(dir.path()).expect("open");
        for p in ["a.x", "a.y", "b.x", "b.on"] {
            let raw = s.readings(p, day, day + 86_400_000).expect("raw");
            let mut expect = std::collections::BTreeMap::new();
            crate::rollup::accumulate(&raw.iter().map(|r| (r.time_ms, r.value.clone(), r.quality)).collect::<Vec<_>>(), &mut expect);
            let expect: Vec<crate::Rollup> = expect.iter().map(|(m, a)| a.row(*m)).collect();
            assert_eq!(s.rollups(p, day, day + 86_400_000).expect("rollups"), expect, "{p}: the day's rows equal its raw readings");
            assert_eq!(expect.len(), 1440, "{p}: every minute of the day");
        }
        let rows: i64 = rusqlite::Connection::open(crate::shared::db_path(dir.path()))
            .and_then(|c| c.query_row("SELECT count(*) FROM rollups WHERE day = ?1", [day / 86_400_000], |r| r.get(0)))
            .expect("rows");
        assert_eq!(rows, 4, "the day is rolled up into one row per point");
    }

    #[test]
    fn rollups_outlive_pruned_raw_data() {
        let dir = tempfile::tempdir().expect("tempdir");
        let settings = StoreSettings {
            raw_retention_days: 1,
            ..fast()
        };
        let old = SystemClock.now_ms() - 3 * 86_400_000;
        let w = StoreWriter::start(dir.path(), &[], &settings).expect("start");
        w.sender()
            .blocking_send(vec![reading("p.x", old, Some(1.0), Quality::Good)])
            .expect("send");
        w.finish();
        // A restart prunes at start-up.
        let w = StoreWriter::start(dir.path(), &[], &settings).expect("restart");
        w.finish();
        let s = Store::open_read_only(dir.path()).expect("open");
        assert!(s.readings("p.x", 0, i64::MAX).expect("raw").is_empty());
        assert_eq!(s.rollups("p.x", 0, i64::MAX).expect("rollups").len(), 1);
        assert!(
            std::fs::read_dir(chunk_dir(dir.path()))
                .expect("chunks")
                .next()
                .is_none(),
            "the chunk file went with it"
        );
    }
}
