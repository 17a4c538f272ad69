//! Converting a data directory of the first layout (schema 1: every reading a SQLite row in
//! `readings`, rollups in `rollup_1m`) on first start: the readings become chunks with their
//! positions kept (a sink's saved position stays valid), the rollups become daily rows, then
//! the old tables go. Resumable: a chunk's watermark is committed with it, so a start
//! interrupted half-way carries on where it stopped, without duplicates.

use std::collections::BTreeMap;
use std::time::Instant;

use driftvakt_domain::{Quality, Value};
use rusqlite::params;

use crate::StoreError;
use crate::engine::{FLUSH_READINGS, Inner};
use crate::log::LogReading;
use crate::query::write_day;
use crate::rollup::{Acc, DAY_MS, floor_to};
use crate::schema;
use crate::stats::WriterStats;

/// Rows read per query.
const PAGE: i64 = 100_000;

/// One first-layout `readings` row: rowid, point key, time, vtype, value, text, quality.
type V1Row = (i64, i64, i64, i64, Option<f64>, Option<String>, i64);

/// Convert the schema-1 tables of `inner`'s database.
pub(crate) fn from_v1(inner: &mut Inner) -> Result<(), StoreError> {
    let started = Instant::now();
    let db = inner.db_path();
    let sqlf = |source| StoreError::Sqlite {
        path: db.clone(),
        source,
    };
    let total: i64 = inner
        .conn()
        .query_row("SELECT count(*) FROM readings", [], |r| r.get(0))
        .map_err(sqlf)?;
    tracing::warn!(
        readings = total,
        "converting the store to the historian layout (once; every reading is kept)"
    );
    let stats = WriterStats::default();
    let mut after = schema::meta(inner.conn(), schema::COMPACTED_SEQ)
        .map_err(sqlf)?
        .unwrap_or(0);
    let mut converted = 0u64;
    loop {
        let rows: Vec<V1Row> = {
            let mut stmt = inner
                .conn()
                .prepare("SELECT rowid, point, ts_ms, vtype, value, text, quality FROM readings WHERE rowid > ?1 ORDER BY rowid LIMIT ?2")
                .map_err(sqlf)?;
            let mapped = stmt
                .query_map(params![after, PAGE], |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                    ))
                })
                .map_err(sqlf)?;
            mapped.collect::<Result<_, _>>().map_err(sqlf)?
        };
        let Some(last) = rows.last().map(|r| r.0) else {
            break;
        };
        // Runs of consecutive positions with one time: the batches as they were committed.
        let mut run: Vec<LogReading> = Vec::new();
        let mut run_first = 0i64;
        for (rowid, point, ts, vtype, value, text, quality) in rows {
            let contiguous = run.last().is_some_and(|l| l.time_ms == ts)
                && rowid == run_first + run.len() as i64;
            if !contiguous && !run.is_empty() {
                inner
                    .builder_mut()
                    .add(run_first as u64, &[std::mem::take(&mut run)]);
            }
            if run.is_empty() {
                run_first = rowid;
            }
            let value = match vtype {
                1 => value.map(Value::Number),
                2 => value.map(|v| Value::Bool(v != 0.0)),
                3 => text.map(Value::Text),
                _ => None,
            };
            let quality = u8::try_from(quality)
                .ok()
                .and_then(Quality::from_code)
                .unwrap_or(Quality::DeviceFault);
            run.push(LogReading {
                key: u32::try_from(point).unwrap_or(u32::MAX),
                time_ms: ts,
                value,
                quality,
            });
        }
        if !run.is_empty() {
            inner.builder_mut().add(run_first as u64, &[run]);
        }
        after = last;
        if inner.builder_len() >= FLUSH_READINGS {
            converted += inner.builder_len();
            inner.write_chunk_now(&stats)?;
        }
    }
    converted += inner.builder_len();
    inner.write_chunk_now(&stats)?;

    // The old rollups become daily rows; days before the newest one count as rolled up.
    let conn = inner.conn();
    let tx = conn.unchecked_transaction().map_err(sqlf)?;
    let mut newest_day = None;
    {
        let mut stmt = tx
            .prepare("SELECT point, minute_ms, min, max, sum, good_count, count FROM rollup_1m ORDER BY point, minute_ms")
            .map_err(sqlf)?;
        let mut rows = stmt.query([]).map_err(sqlf)?;
        let mut current: Option<(i64, i64)> = None;
        let mut minutes = BTreeMap::new();
        while let Some(r) = rows.next().map_err(sqlf)? {
            let (point, minute): (i64, i64) = (r.get(0).map_err(sqlf)?, r.get(1).map_err(sqlf)?);
            let day = floor_to(minute, DAY_MS);
            newest_day = Some(newest_day.map_or(day, |d: i64| d.max(day)));
            if current.is_some_and(|c| c != (point, day)) {
                let (p, d) = current.unwrap_or_default();
                write_day(&tx, p, d, std::mem::take(&mut minutes), true).map_err(sqlf)?;
            }
            current = Some((point, day));
            let good: i64 = r.get(5).map_err(sqlf)?;
            let min: Option<f64> = r.get(2).map_err(sqlf)?;
            minutes.insert(
                minute,
                Acc {
                    min: min.unwrap_or(0.0),
                    max: r.get::<_, Option<f64>>(3).map_err(sqlf)?.unwrap_or(0.0),
                    sum: r.get(4).map_err(sqlf)?,
                    good: if min.is_some() { good } else { 0 },
                    count: r.get(6).map_err(sqlf)?,
                },
            );
        }
        if let Some((p, d)) = current {
            write_day(&tx, p, d, minutes, true).map_err(sqlf)?;
        }
    }
    if let Some(day) = newest_day {
        let until = schema::meta(&tx, schema::ROLLED_UNTIL)
            .map_err(sqlf)?
            .map_or(day, |u| u.max(day));
        schema::set_meta(&tx, schema::ROLLED_UNTIL, until).map_err(sqlf)?;
    }
    tx.execute_batch("DROP TABLE readings; DROP TABLE IF EXISTS rollup_1m;")
        .map_err(sqlf)?;
    tx.pragma_update(None, "user_version", schema::VERSION)
        .map_err(sqlf)?;
    tx.commit().map_err(sqlf)?;
    if let Err(e) = conn.execute_batch("VACUUM") {
        tracing::warn!(error = %e, "cannot give the converted store's free pages back to the file system");
    }
    tracing::warn!(
        readings = converted,
        seconds = started.elapsed().as_secs_f64(),
        "store converted; every reading and rollup is kept"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::shared::db_path;
    use crate::{Position, SinkQueue, Store, StoreWriter};
    use driftvakt_config::model::StoreSettings;
    use driftvakt_domain::{Quality, Value};

    /// A data directory as the first layout left it: 3 000 readings of two points (one pruned
    /// hole), rollups, a sink half-way.
    fn v1_store(dir: &std::path::Path) {
        let conn = rusqlite::Connection::open(db_path(dir)).expect("open");
        conn.execute_batch(
            "CREATE TABLE points (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, unit TEXT NOT NULL DEFAULT '', system TEXT NOT NULL DEFAULT '');
             CREATE TABLE readings (point INTEGER NOT NULL, ts_ms INTEGER NOT NULL, vtype INTEGER NOT NULL, value REAL, text TEXT, quality INTEGER NOT NULL);
             CREATE INDEX readings_point_ts ON readings(point, ts_ms);
             CREATE TABLE rollup_1m (point INTEGER NOT NULL, minute_ms INTEGER NOT NULL, min REAL, max REAL, sum REAL NOT NULL DEFAULT 0, good_count INTEGER NOT NULL DEFAULT 0, count INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (point, minute_ms)) WITHOUT ROWID;
             CREATE TABLE sink_cursors (sink TEXT PRIMARY KEY, last_rowid INTEGER NOT NULL, updated_ms INTEGER NOT NULL);
             INSERT INTO points(id, name, unit, system) VALUES (1, 'g1.power', 'kW', 'reservkraft'), (2, 'g1.state', '', 'reservkraft');
             INSERT INTO sink_cursors VALUES ('influx', 1000, 0);
             PRAGMA user_version = 1;",
        )
        .expect("schema");
        let t0 = 1_764_547_200_000i64; // 2025-12-01T00:00Z
        conn.execute_batch("BEGIN").expect("begin");
        for i in 0..1500i64 {
            let t = t0 + i * 1000;
            conn.execute("INSERT INTO readings(point, ts_ms, vtype, value, quality) VALUES (1, ?1, 1, ?2, 0)", rusqlite::params![t, 100.0 + (i % 7) as f64]).expect("r1");
            conn.execute("INSERT INTO readings(point, ts_ms, vtype, text, quality) VALUES (2, ?1, 3, 'Drift', 0)", [t]).expect("r2");
        }
        conn.execute_batch("COMMIT").expect("commit");
        conn.execute("DELETE FROM readings WHERE rowid BETWEEN 11 AND 20", [])
            .expect("hole");
        conn.execute(
            "INSERT INTO rollup_1m VALUES (1, ?1, 1.0, 9.0, 50.0, 10, 10)",
            [t0 - 86_400_000],
        )
        .expect("old rollup");
    }

    #[test]
    fn a_first_layout_store_is_converted_on_start_and_nothing_is_lost() {
        let dir = tempfile::tempdir().expect("tempdir");
        v1_store(dir.path());
        let w = StoreWriter::start(dir.path(), &[], &StoreSettings::default()).expect("convert");
        assert_eq!(
            *w.committed().borrow(),
            Position::nth(3000),
            "positions go on after the old ones"
        );
        w.finish();
        let s = Store::open_read_only(dir.path()).expect("open");
        let power = s.readings("g1.power", 0, i64::MAX).expect("power");
        let state = s.readings("g1.state", 0, i64::MAX).expect("state");
        assert_eq!(
            power.len() + state.len(),
            2990,
            "every row kept (10 were pruned before)"
        );
        assert_eq!(state[0].value, Some(Value::Text("Drift".into())));
        assert_eq!(
            (power[100].value.clone(), power[100].quality),
            (Some(Value::Number(100.0 + (105 % 7) as f64)), Quality::Good)
        );
        let t0 = 1_764_547_200_000i64;
        let old = s
            .rollups("g1.power", t0 - 86_400_000, t0 - 86_400_000 + 60_000)
            .expect("old rollup");
        assert_eq!(
            (old[0].min, old[0].max, old[0].mean, old[0].count),
            (Some(1.0), Some(9.0), Some(5.0), 10),
            "rollups whose raw data was gone are kept"
        );
        assert_eq!(
            s.rollups("g1.power", t0, t0 + 60_000).expect("rollup")[0].count,
            60 - 5
        );
        drop(s);
        let q = SinkQueue::open(dir.path(), "influx").expect("queue");
        assert_eq!(
            q.saved_position().expect("saved"),
            Some(Position::nth(1000)),
            "a sink's place survives"
        );
        // A second start finds nothing to convert.
        StoreWriter::start(dir.path(), &[], &StoreSettings::default())
            .expect("again")
            .finish();
        assert_eq!(
            Store::open_read_only(dir.path())
                .expect("open")
                .readings("g1.power", 0, i64::MAX)
                .expect("power")
                .len(),
            power.len()
        );
    }
}
