//! A sink's view of the embedded store: its saved position (table `sink_cursors`) and the
//! readings after it, in rowid (= commit) order, as [`Row`]s for the sink's transport to encode.
//!
//! Rowids of `readings` are handed out in commit order by the single writer and rows are only
//! ever deleted by retention pruning, so a hole in the rowids after a sink's position means
//! readings were pruned before the sink delivered them: they are counted, never skipped silently.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use driftvakt_domain::Quality;
use rusqlite::{Connection, OptionalExtension, params};

use crate::sink::transport::{PointInfo, Row};
use crate::store::{StoreError, db_path, decode_value};

/// One `readings` row: rowid, point key, time, vtype, value, text, quality.
type RawRow = (i64, i64, i64, i64, Option<f64>, Option<String>, i64);

/// Store access of one sink.
pub struct Backlog {
    conn: Connection,
    path: PathBuf,
    sink: String,
    /// Point key → the point's names, loaded on first use.
    points: HashMap<i64, Arc<PointInfo>>,
}

impl Backlog {
    /// Open the store in `data_dir` (the writer has created it) for sink `sink`.
    pub fn open(data_dir: &Path, sink: &str) -> Result<Backlog, StoreError> {
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
        Ok(Backlog {
            conn,
            path,
            sink: sink.to_string(),
            points: HashMap::new(),
        })
    }

    fn err(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite { path: self.path.clone(), source }
    }

    /// The saved position, if this sink has delivered (or been placed) before.
    pub fn saved_position(&self) -> Result<Option<i64>, StoreError> {
        self.conn
            .query_row("SELECT last_rowid FROM sink_cursors WHERE sink = ?1", [&self.sink], |r| r.get(0))
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Save the position (everything up to `rowid` is delivered or accounted for).
    pub fn save_position(&self, rowid: i64, now_ms: i64) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO sink_cursors(sink, last_rowid, updated_ms) VALUES (?1, ?2, ?3) \
                 ON CONFLICT(sink) DO UPDATE SET last_rowid = excluded.last_rowid, updated_ms = excluded.updated_ms",
                params![self.sink, rowid, now_ms],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// (smallest, largest) rowid in the store; (0, 0) when it is empty.
    pub fn bounds(&self) -> Result<(i64, i64), StoreError> {
        self.conn
            .query_row("SELECT coalesce(min(rowid), 0), coalesce(max(rowid), 0) FROM readings", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .map_err(|e| self.err(e))
    }

    /// Readings with `after < rowid <= upto`.
    pub fn count_between(&self, after: i64, upto: i64) -> Result<u64, StoreError> {
        self.conn
            .query_row("SELECT count(*) FROM readings WHERE rowid > ?1 AND rowid <= ?2", [after, upto], |r| {
                r.get::<_, i64>(0)
            })
            .map(|n| u64::try_from(n).unwrap_or(0))
            .map_err(|e| self.err(e))
    }

    /// The next at most `limit` readings after position `after` up to rowid `upto` (the newest
    /// commit the sink was told of), in commit order.
    pub fn read(&mut self, after: i64, upto: i64, limit: usize) -> Result<Vec<Row>, StoreError> {
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
                .query_map(params![after, upto, limit], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?))
                })
                .map_err(|e| self.err(e))?;
            mapped.collect::<Result<_, _>>().map_err(|e| self.err(e))?
        };
        let mut rows = Vec::with_capacity(raw.len());
        for (rowid, point, ts_ms, vtype, value, text, quality) in raw {
            let quality = u8::try_from(quality).ok().and_then(Quality::from_code).unwrap_or(Quality::DeviceFault);
            rows.push(Row { rowid, point: self.point(point)?, time_ms: ts_ms, value: decode_value(vtype, value, text), quality });
        }
        Ok(rows)
    }

    /// Names of a point key, from the `points` table (loaded on first use).
    fn point(&mut self, key: i64) -> Result<Arc<PointInfo>, StoreError> {
        if let Some(p) = self.points.get(&key) {
            return Ok(p.clone());
        }
        let (name, unit, system): (String, String, String) = self
            .conn
            .query_row("SELECT name, unit, system FROM points WHERE id = ?1", [key], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()
            .map_err(|e| self.err(e))?
            .unwrap_or_else(|| (format!("unknown.point{key}"), String::new(), String::new()));
        let (device, point) = name.split_once('.').unwrap_or(("", name.as_str()));
        let info = Arc::new(PointInfo { key, device: device.to_string(), point: point.to_string(), unit, system });
        self.points.insert(key, info.clone());
        Ok(info)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::StoreWriter;
    use crate::store::writer::PointMeta;
    use driftvakt_config::model::StoreSettings;
    use driftvakt_domain::clock::{Clock, SystemClock};
    use driftvakt_domain::{Reading, Value};
    use std::sync::Arc;

    fn reading(point: &str, t: i64, v: f64) -> Reading {
        Reading { point: Arc::from(point), time_ms: t, value: Some(Value::Number(v)), quality: Quality::Good }
    }

    #[test]
    fn reads_forward_in_commit_order_with_holes_where_rows_were_pruned() {
        let dir = tempfile::tempdir().expect("tempdir");
        let meta = [PointMeta { id: "g1.power".into(), unit: "kW".into(), system: "reservkraft".into() }];
        let w = StoreWriter::start(dir.path(), &meta, &StoreSettings::default()).expect("start");
        let t = SystemClock.now_ms();
        w.sender().blocking_send((0..10).map(|i| reading("g1.power", t + i, i as f64)).collect()).expect("send");
        w.finish();

        let mut b = Backlog::open(dir.path(), "s1").expect("open");
        assert_eq!(b.saved_position().expect("pos"), None);
        assert_eq!(b.bounds().expect("bounds"), (1, 10));
        assert_eq!(b.read(0, 3, 100).expect("read").len(), 3, "nothing beyond the newest commit the sink knows of");
        let first = b.read(0, 10, 4).expect("read");
        assert_eq!(first.iter().map(|r| r.rowid).collect::<Vec<_>>(), [1, 2, 3, 4]);
        assert_eq!((first[0].time_ms, first[0].value.as_ref(), first[0].quality), (t, Some(&Value::Number(0.0)), Quality::Good));
        let p = &first[0].point;
        assert_eq!((p.device.as_str(), p.point.as_str(), p.unit.as_str(), p.system.as_str()), ("g1", "power", "kW", "reservkraft"));
        assert!(Arc::ptr_eq(&first[0].point, &first[3].point), "point names are loaded once");
        b.save_position(4, t).expect("save");
        assert_eq!(b.saved_position().expect("pos"), Some(4));

        // Pruning removed rows 5..=7 before they were delivered: the next rows start at 8.
        b.conn.execute("DELETE FROM readings WHERE rowid BETWEEN 5 AND 7", []).expect("delete");
        let rest = b.read(4, 10, 100).expect("read");
        assert_eq!(rest.iter().map(|r| r.rowid).collect::<Vec<_>>(), [8, 9, 10]);
        assert_eq!(b.count_between(4, 10).expect("count"), 3);
    }
}
