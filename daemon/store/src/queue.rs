//! The store as a sink's durable queue: the sink's saved [`Position`] (table `sink_cursors`) and
//! the readings after it, in commit order.
//!
//! Positions are the rowids of `readings`, handed out in commit order by the single writer; rows
//! are only ever deleted by retention pruning, so a hole in the positions after a sink's own
//! means readings were pruned before the sink delivered them: they are counted, never skipped
//! silently.

use std::path::{Path, PathBuf};
use std::time::Duration;

use driftvakt_domain::{Quality, Value};
use rusqlite::{Connection, OptionalExtension, params};

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

/// One `readings` row: rowid, point key, time, vtype, value, text, quality.
type RawRow = (i64, i64, i64, i64, Option<f64>, Option<String>, i64);

/// Store access of one sink.
pub struct SinkQueue {
    conn: Connection,
    path: PathBuf,
    sink: String,
}

impl SinkQueue {
    /// Open the store in `data_dir` (the writer has created it) for sink `sink`.
    pub fn open(data_dir: &Path, sink: &str) -> Result<SinkQueue, StoreError> {
        let path = db_path(data_dir);
        let sql = |source| StoreError::Sqlite { path: path.clone(), source };
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
        Ok(SinkQueue { conn, path, sink: sink.to_string() })
    }

    fn err(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite { path: self.path.clone(), source }
    }

    /// The saved position, if this sink has delivered (or been placed) before.
    pub fn saved_position(&self) -> Result<Option<Position>, StoreError> {
        self.conn
            .query_row("SELECT last_rowid FROM sink_cursors WHERE sink = ?1", [&self.sink], |r| r.get(0))
            .optional()
            .map(|p| p.map(Position::from_seq))
            .map_err(|e| self.err(e))
    }

    /// Save the position (everything up to `position` is delivered or accounted for).
    pub fn save_position(&self, position: Position, now_ms: i64) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO sink_cursors(sink, last_rowid, updated_ms) VALUES (?1, ?2, ?3) \
                 ON CONFLICT(sink) DO UPDATE SET last_rowid = excluded.last_rowid, updated_ms = excluded.updated_ms",
                params![self.sink, position.seq(), now_ms],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// (the position just before the oldest stored reading, the newest one's); both
    /// [`Position::START`] when the store is empty.
    pub fn bounds(&self) -> Result<(Position, Position), StoreError> {
        self.conn
            .query_row("SELECT coalesce(min(rowid), 0), coalesce(max(rowid), 0) FROM readings", [], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
            })
            .map(|(min, max)| (Position::from_seq(min - 1), Position::from_seq(max)))
            .map_err(|e| self.err(e))
    }

    /// Stored readings after `after` up to and including `upto`.
    pub fn count_between(&self, after: Position, upto: Position) -> Result<u64, StoreError> {
        self.conn
            .query_row("SELECT count(*) FROM readings WHERE rowid > ?1 AND rowid <= ?2", [after.seq(), upto.seq()], |r| {
                r.get::<_, i64>(0)
            })
            .map(|n| u64::try_from(n).unwrap_or(0))
            .map_err(|e| self.err(e))
    }

    /// The next at most `limit` readings after `after` up to and including `upto` (the newest
    /// commit the sink was told of), in commit order.
    pub fn read(&self, after: Position, upto: Position, limit: usize) -> Result<Vec<QueuedReading>, StoreError> {
        let raw: Vec<RawRow> = {
            let mut stmt = self
                .conn
                .prepare_cached(
                    "SELECT rowid, point, ts_ms, vtype, value, text, quality FROM readings \
                     WHERE rowid > ?1 AND rowid <= ?2 ORDER BY rowid LIMIT ?3",
                )
                .map_err(|e| self.err(e))?;
            let limit = i64::try_from(limit).unwrap_or(i64::MAX);
            let mapped = stmt
                .query_map(params![after.seq(), upto.seq(), limit], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?))
                })
                .map_err(|e| self.err(e))?;
            mapped.collect::<Result<_, _>>().map_err(|e| self.err(e))?
        };
        Ok(raw
            .into_iter()
            .map(|(rowid, point, time_ms, vtype, value, text, quality)| QueuedReading {
                position: Position::from_seq(rowid),
                point,
                time_ms,
                value: schema::decode_value(vtype, value, text),
                quality: schema::decode_quality(quality),
            })
            .collect())
    }

    /// The id, unit and system of a point key; `None` if the store does not know it.
    pub fn point(&self, key: PointKey) -> Result<Option<PointMeta>, StoreError> {
        self.conn
            .query_row("SELECT name, unit, system FROM points WHERE id = ?1", [key], |r| {
                Ok(PointMeta { id: r.get(0)?, unit: r.get(1)?, system: r.get(2)? })
            })
            .optional()
            .map_err(|e| self.err(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::StoreWriter;
    use driftvakt_domain::clock::{Clock, SystemClock};
    use driftvakt_config::model::StoreSettings;
    use driftvakt_domain::Reading;
    use std::sync::Arc;

    fn reading(point: &str, t: i64, v: f64) -> Reading {
        Reading { point: Arc::from(point), time_ms: t, value: Some(Value::Number(v)), quality: Quality::Good }
    }

    fn positions(rows: &[QueuedReading]) -> Vec<Position> {
        rows.iter().map(|r| r.position).collect()
    }

    #[test]
    fn reads_forward_in_commit_order_with_holes_where_rows_were_pruned() {
        let dir = tempfile::tempdir().expect("tempdir");
        let meta = [PointMeta { id: "g1.power".into(), unit: "kW".into(), system: "reservkraft".into() }];
        let w = StoreWriter::start(dir.path(), &meta, &StoreSettings::default()).expect("start");
        let t = SystemClock.now_ms();
        w.sender().blocking_send((0..10).map(|i| reading("g1.power", t + i, i as f64)).collect()).expect("send");
        w.finish();

        let q = SinkQueue::open(dir.path(), "s1").expect("open");
        assert_eq!(q.saved_position().expect("pos"), None);
        assert_eq!(q.bounds().expect("bounds"), (Position::nth(0), Position::nth(10)));
        assert_eq!(q.read(Position::START, Position::nth(3), 100).expect("read").len(), 3, "nothing beyond the newest commit the sink knows of");
        let first = q.read(Position::START, Position::nth(10), 4).expect("read");
        assert_eq!(positions(&first), (1..=4).map(Position::nth).collect::<Vec<_>>());
        assert_eq!((first[0].time_ms, first[0].value.as_ref(), first[0].quality), (t, Some(&Value::Number(0.0)), Quality::Good));
        let p = q.point(first[0].point).expect("point").expect("known");
        assert_eq!((p.id.as_str(), p.unit.as_str(), p.system.as_str()), ("g1.power", "kW", "reservkraft"));
        assert_eq!(q.point(999).expect("point"), None);
        q.save_position(Position::nth(4), t).expect("save");
        assert_eq!(q.saved_position().expect("pos"), Some(Position::nth(4)));

        // Pruning removed rows 5..=7 before they were delivered: the next rows start at 8.
        q.conn.execute("DELETE FROM readings WHERE rowid BETWEEN 5 AND 7", []).expect("delete");
        let rest = q.read(Position::nth(4), Position::nth(10), 100).expect("read");
        assert_eq!(positions(&rest), (8..=10).map(Position::nth).collect::<Vec<_>>());
        assert_eq!(q.count_between(Position::nth(4), Position::nth(10)).expect("count"), 3);
    }
}
