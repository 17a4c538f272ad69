//! Read access to a data directory: points, raw readings, rollups, minute values and
//! good-data coverage. A [`Store`] is a consistent snapshot: one SQLite read transaction for
//! the chunks and rollup rows, plus the log records committed after the last flush (read
//! before the snapshot was taken, so nothing is seen twice or missed).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use driftvakt_domain::{Quality, Value};
use rusqlite::Connection;

use crate::chunk::{Builder, Sample};
use crate::log::{Record, SegmentReader, segments};
use crate::query::{ChunkFiles, chunk_samples, day_rollups, log_dir, point_key};
use crate::rollup::{Acc, DAY_MS, MINUTE_MS, Rollup, accumulate, floor_to};
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

/// Read access to a data directory.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    files: RefCell<ChunkFiles>,
    /// Readings committed after the last flush.
    tail: Builder,
    /// Minutes before this are in daily rollup rows.
    rolled_until: i64,
}

impl Store {
    /// Open the store of a data directory for reading (the daemon may be writing meanwhile).
    pub fn open_read_only(data_dir: &Path) -> Result<Store, StoreError> {
        let conn = connect_read_only(data_dir)?;
        let path = db_path(data_dir);
        let sql = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        if schema::has_v1_readings(&conn).map_err(sql)? {
            return Err(StoreError::Corrupt {
                path,
                what: "the store has the previous layout; start the daemon once to convert it"
                    .into(),
            });
        }
        // The log first, then the snapshot: records the snapshot's chunks already hold are
        // dropped by sequence number; a flush in between only moves records into chunks.
        let hint = schema::meta(&conn, schema::COMPACTED_SEQ)
            .map_err(sql)?
            .unwrap_or(0)
            .max(0) as u64;
        let records = read_log(data_dir, hint)?;
        conn.execute_batch("BEGIN").map_err(sql)?;
        let compacted = schema::meta(&conn, schema::COMPACTED_SEQ)
            .map_err(sql)?
            .unwrap_or(0)
            .max(0) as u64;
        let rolled_until = schema::meta(&conn, schema::ROLLED_UNTIL)
            .map_err(sql)?
            .unwrap_or(i64::MIN);
        let mut tail = Builder::default();
        for rec in records.into_iter().filter(|r| r.first_seq > compacted) {
            tail.add(rec.first_seq, &rec.batches);
        }
        Ok(Store {
            conn,
            files: RefCell::new(ChunkFiles::new(data_dir)),
            path,
            tail,
            rolled_until,
        })
    }

    fn err(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    /// Every point id known to the store, sorted.
    pub fn point_ids(&self) -> Result<Vec<String>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT name FROM points ORDER BY name")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    fn key(&self, point: &str) -> Result<Option<i64>, StoreError> {
        point_key(&self.conn, point)
    }

    fn samples(&self, key: i64, from_ms: i64, to_ms: i64) -> Result<Vec<Sample>, StoreError> {
        let mut out = Vec::new();
        chunk_samples(
            &self.conn,
            &mut self.files.borrow_mut(),
            key,
            from_ms,
            to_ms,
            &mut out,
        )?;
        if let Ok(k) = u32::try_from(key) {
            self.tail.readings_of(k, from_ms, to_ms, &mut out);
        }
        // Commit order within equal times, as stored.
        out.sort_by_key(|s| s.0);
        Ok(out)
    }

    /// Raw readings of a point in `[from_ms, to_ms)`, oldest first.
    pub fn readings(
        &self,
        point: &str,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<StoredReading>, StoreError> {
        let key = self
            .key(point)?
            .ok_or_else(|| StoreError::UnknownPoint(point.to_string()))?;
        Ok(self
            .samples(key, from_ms, to_ms)?
            .into_iter()
            .map(|(time_ms, value, quality)| StoredReading {
                time_ms,
                value,
                quality,
            })
            .collect())
    }

    /// (minute start, rollup) of point `key` for minutes starting in `[from_ms, to_ms)`, in order: daily rows
    /// where the day is rolled up, the raw readings after that.
    fn minutes(&self, key: i64, from_ms: i64, to_ms: i64) -> Result<Vec<(i64, Acc)>, StoreError> {
        let mut out = Vec::new();
        if from_ms >= to_ms {
            return Ok(out);
        }
        if from_ms < self.rolled_until {
            let until = to_ms.min(self.rolled_until);
            let (d0, d1) = (from_ms.div_euclid(DAY_MS), until.div_euclid(DAY_MS) + 1);
            day_rollups(&self.conn, key, d0, d1, from_ms..until, &mut out)?;
        }
        let raw_from = from_ms.max(self.rolled_until);
        if raw_from < to_ms {
            let start = floor_to(raw_from, MINUTE_MS);
            let end = to_ms.saturating_add(MINUTE_MS - 1).div_euclid(MINUTE_MS).saturating_mul(MINUTE_MS);
            let mut raw = BTreeMap::new();
            accumulate(&self.samples(key, start, end)?, &mut raw);
            out.extend(raw.range(raw_from..to_ms).map(|(m, a)| (*m, *a)));
        }
        Ok(out)
    }

    /// 1-minute rollups of a point in `[from_ms, to_ms)`, oldest first.
    pub fn rollups(
        &self,
        point: &str,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<Rollup>, StoreError> {
        let key = self
            .key(point)?
            .ok_or_else(|| StoreError::UnknownPoint(point.to_string()))?;
        Ok(self
            .minutes(key, from_ms, to_ms)?
            .iter()
            .map(|(m, a)| a.row(*m))
            .collect())
    }

    /// Milliseconds of `[from_ms, to_ms)` that lie in minutes with at least one good sample of
    /// `point` (0 if unknown). Minutes are selected as the rollups are kept (whole UTC minutes);
    /// a minute cut by the period's start or end counts with the part of it inside the period,
    /// so the share of the period never exceeds 1.
    pub fn good_ms(&self, point: &str, from_ms: i64, to_ms: i64) -> Result<i64, StoreError> {
        let Some(key) = self.key(point)? else {
            return Ok(0);
        };
        let first = floor_to(from_ms, MINUTE_MS);
        Ok(self
            .minutes(key, first, to_ms)?
            .iter()
            .filter(|(_, a)| a.good > 0)
            .map(|(m, _)| (m + MINUTE_MS).min(to_ms) - (*m).max(from_ms))
            .filter(|ms| *ms > 0)
            .sum())
    }

    /// Mean (or minimum, with `min`) of the good samples per minute of `point` in
    /// `[from_ms, to_ms)`, minutes without good data left out; empty if the point is unknown.
    pub fn minute_values(
        &self,
        point: &str,
        from_ms: i64,
        to_ms: i64,
        min: bool,
    ) -> Result<Vec<(i64, f64)>, StoreError> {
        let Some(key) = self.key(point)? else {
            return Ok(Vec::new());
        };
        Ok(self
            .minutes(key, from_ms, to_ms)?
            .iter()
            .filter(|(_, a)| a.good > 0)
            .map(|(m, a)| (*m, if min { a.min } else { a.sum / a.good as f64 }))
            .collect())
    }

    /// Readings stored with `from_ms <= time < to_ms` (all points), and how many of them are good.
    pub fn count(&self, from_ms: i64, to_ms: i64) -> Result<(u64, u64), StoreError> {
        let keys: Vec<i64> = {
            let mut stmt = self
                .conn
                .prepare("SELECT id FROM points")
                .map_err(|e| self.err(e))?;
            let rows = stmt.query_map([], |r| r.get(0)).map_err(|e| self.err(e))?;
            rows.collect::<Result<_, _>>().map_err(|e| self.err(e))?
        };
        let (mut all, mut good) = (0u64, 0u64);
        for k in keys {
            for s in self.samples(k, from_ms, to_ms)? {
                all += 1;
                good += u64::from(s.2 == Quality::Good);
            }
        }
        Ok((all, good))
    }
}

/// Every intact record of the log after sequence number `after` (whole segments before it are
/// skipped), oldest first; segments a flush removes meanwhile are skipped.
pub(crate) fn read_log(data_dir: &Path, after: u64) -> Result<Vec<Record>, StoreError> {
    let dir = log_dir(data_dir);
    let segs = segments(&dir).map_err(|source| StoreError::Io {
        path: dir.clone(),
        source,
    })?;
    let mut out = Vec::new();
    for (i, (_, path)) in segs.iter().enumerate() {
        if segs.get(i + 1).is_some_and(|(next, _)| *next <= after + 1) {
            continue;
        }
        let path = path.clone();
        let mut rd = match SegmentReader::open(&path) {
            Ok(r) => r,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(source) => return Err(StoreError::Io { path, source }),
        };
        while let Ok(rec) = rd.next_record() {
            out.push(rec);
        }
    }
    Ok(out)
}
