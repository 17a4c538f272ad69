//! The embedded store: every reading with its time and quality, plus 1-minute rollups that
//! outlive the raw data. SQLite in WAL mode, so exports and reports read while the daemon writes.
//!
//! One writer thread owns the write connection ([`writer`]); readers open their own
//! read-only connections ([`Store::open_read_only`]).

mod schema;
pub mod writer;

use std::path::{Path, PathBuf};

use driftvakt_drivers::{Quality, Value};
use rusqlite::{Connection, OpenFlags, params};

pub use writer::{StoreWriter, WriterStats};
/// Value decoding of stored rows, for readers that query `readings` themselves (sinks).
pub use schema::decode_value;

/// How long a writing connection waits for another one's write lock before its commit counts
/// as failed (and is held and retried): short, so a locked store never stalls a stop.
pub const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(500);

/// File name of the database inside the data directory.
pub const DB_FILE: &str = "driftvakt.db";

/// Errors of the embedded store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed.
    #[error("store {path}: {source}")]
    Sqlite {
        /// Database file.
        path: PathBuf,
        /// Underlying error.
        #[source]
        source: rusqlite::Error,
    },
    /// The data directory could not be created.
    #[error("cannot create data directory {path}: {source}")]
    DataDir {
        /// Directory.
        path: PathBuf,
        /// Underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The data directory holds no store.
    #[error("no store at {0} (is it a driftvakt data directory?)")]
    NoStore(PathBuf),
    /// No such point in the store.
    #[error("point {0} has no data in the store (check the id with `driftvakt export --list`)")]
    UnknownPoint(String),
}

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

/// Path of the database in a data directory.
pub fn db_path(data_dir: &Path) -> PathBuf {
    data_dir.join(DB_FILE)
}

/// `path` as an SQLite `file:` URI (every byte outside the unreserved set percent-encoded).
fn file_uri(path: &Path) -> Option<String> {
    let text = path.to_str()?;
    let mut uri = String::from("file:");
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            uri.push(char::from(b));
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    Some(uri)
}

/// Open the database of `data_dir` read-only, for any reader (reports, exports, operator
/// commands after the fact). Nothing is written: a running daemon is not disturbed, and a store
/// that no process has open (no `-wal` file; a daemon in WAL mode keeps one while it runs) is
/// opened immutable, so not even SQLite's `-wal`/`-shm` side files appear next to it.
pub fn connect_read_only(data_dir: &Path) -> Result<Connection, StoreError> {
    let path = db_path(data_dir);
    if !path.is_file() {
        return Err(StoreError::NoStore(path));
    }
    let sqlite = |source| StoreError::Sqlite { path: path.clone(), source };
    let mut wal = path.clone().into_os_string();
    wal.push("-wal");
    let idle = !Path::new(&wal).exists();
    let conn = match file_uri(&path).filter(|_| idle) {
        Some(uri) => Connection::open_with_flags(
            format!("{uri}?immutable=1"),
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        ),
        None => Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX),
    }
    .map_err(sqlite)?;
    conn.busy_timeout(std::time::Duration::from_secs(5)).map_err(sqlite)?;
    Ok(conn)
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
                    quality: u8::try_from(q).ok().and_then(Quality::from_code).unwrap_or(Quality::DeviceFault),
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
