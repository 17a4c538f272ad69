//! Table layout of the embedded store and the value encoding shared by writer and readers.

use driftvakt_domain::{Quality, Value};
use rusqlite::Connection;

/// Schema version written to `PRAGMA user_version`.
pub const VERSION: i64 = 1;

/// Create the tables if missing. Idempotent.
pub fn create(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = NORMAL;
         CREATE TABLE IF NOT EXISTS points (
             id     INTEGER PRIMARY KEY,
             name   TEXT NOT NULL UNIQUE,
             unit   TEXT NOT NULL DEFAULT '',
             system TEXT NOT NULL DEFAULT ''
         );
         -- vtype: 0 no value, 1 number, 2 bool (value 0/1), 3 text
         CREATE TABLE IF NOT EXISTS readings (
             point   INTEGER NOT NULL,
             ts_ms   INTEGER NOT NULL,
             vtype   INTEGER NOT NULL,
             value   REAL,
             text    TEXT,
             quality INTEGER NOT NULL
         );
         CREATE INDEX IF NOT EXISTS readings_point_ts ON readings(point, ts_ms);
         CREATE INDEX IF NOT EXISTS readings_ts ON readings(ts_ms);
         -- min/max/sum over good numeric samples; count over all samples
         CREATE TABLE IF NOT EXISTS rollup_1m (
             point      INTEGER NOT NULL,
             minute_ms  INTEGER NOT NULL,
             min        REAL,
             max        REAL,
             sum        REAL NOT NULL DEFAULT 0,
             good_count INTEGER NOT NULL DEFAULT 0,
             count      INTEGER NOT NULL DEFAULT 0,
             PRIMARY KEY (point, minute_ms)
         ) WITHOUT ROWID;",
    )?;
    conn.pragma_update(None, "user_version", VERSION)
}

/// Split a value into the (vtype, value, text) columns.
pub fn encode_value(value: Option<&Value>) -> (i64, Option<f64>, Option<&str>) {
    match value {
        None => (0, None, None),
        Some(Value::Number(v)) => (1, Some(*v), None),
        Some(Value::Bool(b)) => (2, Some(if *b { 1.0 } else { 0.0 }), None),
        Some(Value::Text(t)) => (3, None, Some(t.as_str())),
    }
}

/// Inverse of [`encode_value`].
pub fn decode_value(vtype: i64, value: Option<f64>, text: Option<String>) -> Option<Value> {
    match vtype {
        1 => value.map(Value::Number),
        2 => value.map(|v| Value::Bool(v != 0.0)),
        3 => text.map(Value::Text),
        _ => None,
    }
}

/// A stored quality code; an unknown code reads as a device fault.
pub fn decode_quality(code: i64) -> Quality {
    u8::try_from(code).ok().and_then(Quality::from_code).unwrap_or(Quality::DeviceFault)
}
