//! The store as a sink's durable queue: the sink's saved [`Position`] (table `sink_cursors`) and
//! the readings after it, in commit order, read from the log.
//!
//! Positions are the readings' sequence numbers, handed out in commit order by the single
//! writer. Log segments are removed once flushed into chunks and delivered to every sink with a
//! saved position (or past the raw retention, for a sink that never comes back), so a hole in
//! the positions after a sink's own means readings went before the sink delivered them: they
//! are counted, never skipped silently.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::time::Duration;

use driftvakt_domain::{Quality, Value};
use rusqlite::{Connection, OptionalExtension, params};

use crate::log::{SegmentReader, segments};
use crate::query::log_dir;
use crate::shared::db_path;
use crate::{PointMeta, Position, StoreError, schema};

/// Key of a point in the store: small, stable for the life of the data directory.
pub type PointKey = i64;

/// One stored reading as a sink reads it, in commit order.
#[derive(Debug, Clone, PartialEq)]
pub struct QueuedReading {
    /// Its position (the sink's position after delivering it).
    pub position: Position,
    /// The point's key ([`SinkQueue::point`] names it).
    pub point: PointKey,
    /// Reading time, UTC ms.
    pub time_ms: i64,
    /// Value, if the reading has one.
    pub value: Option<Value>,
    /// Quality.
    pub quality: Quality,
}

/// Where a sink's reading of the log stands.
struct Cursor {
    /// First sequence number of the segment being read.
    segment: u64,
    path: PathBuf,
    reader: SegmentReader,
    /// Decoded readings not handed out yet, in order.
    pending: VecDeque<QueuedReading>,
    /// Sequence number of the next reading this cursor yields.
    next: u64,
}

/// Store access of one sink.
pub struct SinkQueue {
    conn: Connection,
    path: PathBuf,
    log: PathBuf,
    sink: String,
    cursor: Option<Cursor>,
}

impl SinkQueue {
    /// Open the store in `data_dir` (the writer has created it) for sink `sink`.
    pub fn open(data_dir: &Path, sink: &str) -> Result<SinkQueue, StoreError> {
        let path = db_path(data_dir);
        let sql = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let conn = Connection::open(&path).map_err(sql)?;
        conn.busy_timeout(Duration::from_secs(5)).map_err(sql)?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS sink_cursors (
                 sink       TEXT PRIMARY KEY,
                 last_rowid INTEGER NOT NULL,
                 updated_ms INTEGER NOT NULL
             );",
        )
        .map_err(sql)?;
        Ok(SinkQueue {
            conn,
            path,
            log: log_dir(data_dir),
            sink: sink.to_string(),
            cursor: None,
        })
    }

    fn err(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    fn io(&self, source: std::io::Error) -> StoreError {
        StoreError::Io {
            path: self.log.clone(),
            source,
        }
    }

    /// The saved position, if this sink has delivered (or been placed) before.
    pub fn saved_position(&self) -> Result<Option<Position>, StoreError> {
        self.conn
            .query_row(
                "SELECT last_rowid FROM sink_cursors WHERE sink = ?1",
                [&self.sink],
                |r| r.get::<_, i64>(0),
            )
            .optional()
            .map(|p| p.map(|p| Position::nth(p.max(0) as u64)))
            .map_err(|e| self.err(e))
    }

    /// Save the position (everything up to `position` is delivered or accounted for).
    pub fn save_position(&self, position: Position, now_ms: i64) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO sink_cursors(sink, last_rowid, updated_ms) VALUES (?1, ?2, ?3) \
                 ON CONFLICT(sink) DO UPDATE SET last_rowid = excluded.last_rowid, updated_ms = excluded.updated_ms",
                params![self.sink, position.readings_since(Position::START) as i64, now_ms],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// (the position just before the oldest reading still in the log, the newest one's); both
    /// [`Position::START`] when the store is empty.
    pub fn bounds(&self) -> Result<(Position, Position), StoreError> {
        let compacted = schema::meta(&self.conn, schema::COMPACTED_SEQ)
            .map_err(|e| self.err(e))?
            .unwrap_or(0)
            .max(0) as u64;
        let segs = segments(&self.log).map_err(|e| self.io(e))?;
        let Some((first, _)) = segs.first() else {
            return Ok((Position::nth(compacted), Position::nth(compacted)));
        };
        let mut newest = compacted.max(first.saturating_sub(1));
        if let Some((last_first, path)) = segs.last() {
            newest = newest.max(last_first.saturating_sub(1));
            if let Ok(mut rd) = SegmentReader::open(path) {
                while let Ok(rec) = rd.next_record() {
                    newest = newest.max(rec.first_seq + rec.len() - 1);
                }
            }
        }
        Ok((
            Position::nth(first.saturating_sub(1)),
            Position::nth(newest),
        ))
    }

    /// Readings still in the log after `after` up to and including `upto`.
    pub fn count_between(&self, after: Position, upto: Position) -> Result<u64, StoreError> {
        let (before_oldest, _) = self.bounds()?;
        Ok(upto.readings_since(after.max(before_oldest)))
    }

    /// The next at most `limit` readings after `after` up to and including `upto` (the newest
    /// commit the sink was told of), in commit order.
    pub fn read(
        &mut self,
        after: Position,
        upto: Position,
        limit: usize,
    ) -> Result<Vec<QueuedReading>, StoreError> {
        let want = after.readings_since(Position::START) + 1;
        let upto = upto.readings_since(Position::START);
        if self.cursor.as_ref().is_none_or(|c| c.next != want) {
            self.cursor = self.seek(want)?;
        }
        let mut out = Vec::new();
        let mut refreshed = false;
        while out.len() < limit {
            let Some(c) = self.cursor.as_mut() else { break };
            if let Some(r) = c.pending.front() {
                let seq = r.position.readings_since(Position::START);
                if seq > upto {
                    break;
                }
                if let Some(r) = c.pending.pop_front() {
                    c.next = seq + 1;
                    out.push(r);
                }
                continue;
            }
            match c.reader.next_record() {
                Ok(rec) => {
                    let mut seq = rec.first_seq;
                    for r in rec.batches.into_iter().flatten() {
                        if seq >= c.next {
                            c.pending.push_back(QueuedReading {
                                position: Position::nth(seq),
                                point: PointKey::from(r.key),
                                time_ms: r.time_ms,
                                value: r.value,
                                quality: r.quality,
                            });
                        }
                        seq += 1;
                    }
                }
                Err(_) if !refreshed => {
                    // The segment may have grown since it was read.
                    refreshed = true;
                    let path = c.path.clone();
                    if let Err(e) = c.reader.refresh(&path) {
                        if e.kind() != std::io::ErrorKind::NotFound {
                            return Err(StoreError::Io { path, source: e });
                        }
                    }
                }
                Err(_) => {
                    // On to the next segment, if there is one.
                    let current = c.segment;
                    let next = segments(&self.log)
                        .map_err(|source| StoreError::Io {
                            path: self.log.clone(),
                            source,
                        })?
                        .into_iter()
                        .find(|(f, _)| *f > current);
                    let Some((first, path)) = next else { break };
                    let reader = SegmentReader::open(&path).map_err(|source| StoreError::Io {
                        path: path.clone(),
                        source,
                    })?;
                    let next_seq = c.next.max(first);
                    *c = Cursor {
                        segment: first,
                        path,
                        reader,
                        pending: VecDeque::new(),
                        next: next_seq,
                    };
                    refreshed = false;
                }
            }
        }
        Ok(out)
    }

    /// A cursor at the segment holding `want` (or the first one after it, past a hole).
    fn seek(&self, want: u64) -> Result<Option<Cursor>, StoreError> {
        let segs = segments(&self.log).map_err(|e| self.io(e))?;
        let pick = segs
            .iter()
            .rev()
            .find(|(f, _)| *f <= want)
            .or_else(|| segs.first());
        let Some((first, path)) = pick.cloned() else {
            return Ok(None);
        };
        let reader = SegmentReader::open(&path).map_err(|source| StoreError::Io {
            path: path.clone(),
            source,
        })?;
        Ok(Some(Cursor {
            segment: first,
            path,
            reader,
            pending: VecDeque::new(),
            next: want.max(first),
        }))
    }

    /// The id, unit and system of a point key; `None` if the store does not know it.
    pub fn point(&self, key: PointKey) -> Result<Option<PointMeta>, StoreError> {
        self.conn
            .query_row(
                "SELECT name, unit, system FROM points WHERE id = ?1",
                [key],
                |r| {
                    Ok(PointMeta {
                        id: r.get(0)?,
                        unit: r.get(1)?,
                        system: r.get(2)?,
                    })
                },
            )
            .optional()
            .map_err(|e| self.err(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::StoreWriter;
    use driftvakt_config::model::StoreSettings;
    use driftvakt_domain::Reading;
    use driftvakt_domain::clock::{Clock, SystemClock};
    use std::sync::Arc;

    fn reading(point: &str, t: i64, v: f64) -> Reading {
        Reading {
            point: Arc::from(point),
            time_ms: t,
            value: Some(Value::Number(v)),
            quality: Quality::Good,
        }
    }

    fn positions(rows: &[QueuedReading]) -> Vec<Position> {
        rows.iter().map(|r| r.position).collect()
    }

    #[test]
    fn reads_forward_in_commit_order_across_restarts() {
        let dir = tempfile::tempdir().expect("tempdir");
        let meta = [PointMeta {
            id: "g1.power".into(),
            unit: "kW".into(),
            system: "reservkraft".into(),
        }];
        let settings = StoreSettings {
            commit_interval_ms: 10,
            ..StoreSettings::default()
        };
        let t = SystemClock.now_ms();
        let mut q = SinkQueue::open_after_start(dir.path(), &meta, &settings, "s1");
        q.save_position(Position::START, t).expect("place");
        for run in 0..2 {
            let w = StoreWriter::start(dir.path(), &meta, &settings).expect("start");
            w.sender()
                .blocking_send(
                    (0..10)
                        .map(|i| reading("g1.power", t + run * 100 + i, i as f64))
                        .collect(),
                )
                .expect("send");
            w.finish();
        }
        assert_eq!(q.saved_position().expect("pos"), Some(Position::START));
        assert_eq!(
            q.bounds().expect("bounds"),
            (Position::nth(0), Position::nth(20)),
            "kept for the sink although flushed"
        );
        assert_eq!(
            q.read(Position::START, Position::nth(3), 100)
                .expect("read")
                .len(),
            3,
            "nothing beyond the newest commit the sink knows of"
        );
        let first = q.read(Position::START, Position::nth(20), 4).expect("read");
        assert_eq!(
            positions(&first),
            (1..=4).map(Position::nth).collect::<Vec<_>>()
        );
        assert_eq!(
            (first[0].time_ms, first[0].value.as_ref(), first[0].quality),
            (t, Some(&Value::Number(0.0)), Quality::Good)
        );
        let p = q.point(first[0].point).expect("point").expect("known");
        assert_eq!(
            (p.id.as_str(), p.unit.as_str(), p.system.as_str()),
            ("g1.power", "kW", "reservkraft")
        );
        assert_eq!(q.point(999).expect("point"), None);
        let rest = q
            .read(Position::nth(4), Position::nth(20), 100)
            .expect("read");
        assert_eq!(
            positions(&rest),
            (5..=20).map(Position::nth).collect::<Vec<_>>(),
            "across both runs' segments"
        );
        assert_eq!(rest[6].time_ms, t + 100, "the second run's first reading");
        assert_eq!(
            q.count_between(Position::nth(4), Position::nth(20))
                .expect("count"),
            16
        );
    }

    impl SinkQueue {
        /// A queue on a store created (empty) first.
        fn open_after_start(
            dir: &Path,
            meta: &[PointMeta],
            settings: &StoreSettings,
            sink: &str,
        ) -> SinkQueue {
            StoreWriter::start(dir, meta, settings)
                .expect("create")
                .finish();
            SinkQueue::open(dir, sink).expect("open")
        }
    }
}
