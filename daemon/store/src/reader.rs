//! Read access to a data directory: points, raw readings, rollups, minute values and
//! good-data coverage, on a read-only connection of its own.

use std::path::{Path, PathBuf};

use driftvakt_domain::{Quality, Value};
use rusqlite::{Connection, params};

use crate::shared::{connect_read_only, db_path};
use crate::{StoreError, schema};

/// One stored sample, as read back.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredReading {
    /// UTC milliseconds since the Unix epoch.
    pub time_ms: i64,
    /// The value, if the reading had one.
    pub value: Option<Value>,
    /// Quality of the reading.
    pub quality: Quality,
}

/// A 1-minute rollup row.
#[derive(Debug, Clone, PartialEq)]
pub struct Rollup {
    /// Start of the minute, UTC ms.
    pub minute_ms: i64,
    /// Smallest good value in the minute.
    pub min: Option<f64>,
    /// Largest good value in the minute.
    pub max: Option<f64>,
    /// Mean of the good values in the minute.
    pub mean: Option<f64>,
    /// Number of good samples.
    pub good_count: i64,
    /// Number of samples of any quality.
    pub count: i64,
}

/// Read access to a data directory.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl Store {
    /// Open the store of a data directory for reading (the daemon may be writing meanwhile).
    pub fn open_read_only(data_dir: &Path) -> Result<Store, StoreError> {
        let conn = connect_read_only(data_dir)?;
        Ok(Store { conn, path: db_path(data_dir) })
    }

    fn err(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite { path: self.path.clone(), source }
    }

    /// Every point id known to the store, sorted.
    pub fn point_ids(&self) -> Result<Vec<String>, StoreError> {
        let mut stmt = self.conn.prepare("SELECT name FROM points ORDER BY name").map_err(|e| self.err(e))?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0)).map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    fn point_key(&self, point: &str) -> Result<i64, StoreError> {
        self.conn
            .query_row("SELECT id FROM points WHERE name = ?1", [point], |r| r.get(0))
            .map_err(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => StoreError::UnknownPoint(point.to_string()),
                e => self.err(e),
            })
    }

    /// Raw readings of a point in `[from_ms, to_ms)`, oldest first.
    pub fn readings(&self, point: &str, from_ms: i64, to_ms: i64) -> Result<Vec<StoredReading>, StoreError> {
        let key = self.point_key(point)?;
        let mut stmt = self
            .conn
            .prepare(
                "SELECT ts_ms, vtype, value, text, quality FROM readings \
                 WHERE point = ?1 AND ts_ms >= ?2 AND ts_ms < ?3 ORDER BY ts_ms, rowid",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![key, from_ms, to_ms], |r| {
                let vtype: i64 = r.get(1)?;
                let num: Option<f64> = r.get(2)?;
                let text: Option<String> = r.get(3)?;
                let q: i64 = r.get(4)?;
                Ok(StoredReading {
                    time_ms: r.get(0)?,
                    value: schema::decode_value(vtype, num, text),
                    quality: schema::decode_quality(q),
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// 1-minute rollups of a point in `[from_ms, to_ms)`, oldest first.
    pub fn rollups(&self, point: &str, from_ms: i64, to_ms: i64) -> Result<Vec<Rollup>, StoreError> {
        let key = self.point_key(point)?;
        let mut stmt = self
            .conn
            .prepare(
                "SELECT minute_ms, min, max, CASE WHEN good_count > 0 THEN sum / good_count END, good_count, count \
                 FROM rollup_1m WHERE point = ?1 AND minute_ms >= ?2 AND minute_ms < ?3 ORDER BY minute_ms",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![key, from_ms, to_ms], |r| {
                Ok(Rollup {
                    minute_ms: r.get(0)?,
                    min: r.get(1)?,
                    max: r.get(2)?,
                    mean: r.get(3)?,
                    good_count: r.get(4)?,
                    count: r.get(5)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// Milliseconds of `[from_ms, to_ms)` that lie in minutes with at least one good sample of
    /// `point` (0 if unknown). Minutes are selected as the rollups are kept (whole UTC minutes);
    /// a minute cut by the period's start or end counts with the part of it inside the period,
    /// so the share of the period never exceeds 1.
    pub fn good_ms(&self, point: &str, from_ms: i64, to_ms: i64) -> Result<i64, StoreError> {
        let key = match self.point_key(point) {
            Ok(k) => k,
            Err(StoreError::UnknownPoint(_)) => return Ok(0),
            Err(e) => return Err(e),
        };
        self.conn
            .query_row(
                "SELECT coalesce(sum(min(minute_ms + 60000, ?3) - max(minute_ms, ?2)), 0) FROM rollup_1m \
                 WHERE point = ?1 AND minute_ms > ?2 - 60000 AND minute_ms < ?3 AND good_count > 0",
                params![key, from_ms, to_ms],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))
    }

    /// Mean (or minimum, with `min`) of the good samples per minute of `point` in
    /// `[from_ms, to_ms)`, minutes without good data left out; empty if the point is unknown.
    pub fn minute_values(&self, point: &str, from_ms: i64, to_ms: i64, min: bool) -> Result<Vec<(i64, f64)>, StoreError> {
        let key = match self.point_key(point) {
            Ok(k) => k,
            Err(StoreError::UnknownPoint(_)) => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let sql = if min {
            "SELECT minute_ms, min FROM rollup_1m WHERE point = ?1 AND minute_ms >= ?2 AND minute_ms < ?3 AND good_count > 0 ORDER BY minute_ms"
        } else {
            "SELECT minute_ms, sum / good_count FROM rollup_1m WHERE point = ?1 AND minute_ms >= ?2 AND minute_ms < ?3 AND good_count > 0 ORDER BY minute_ms"
        };
        let mut stmt = self.conn.prepare(sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![key, from_ms, to_ms], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, f64>(1)?)))
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }
}
