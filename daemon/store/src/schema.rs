//! The SQLite side of the store: the point index, groups, the chunk directory, daily rollups
//! and the store's watermarks. Raw values live in the log and the chunk files, not here.

use rusqlite::{Connection, OptionalExtension, params};

/// Schema version written to `PRAGMA user_version` (1: every reading a row; 2: log + chunks).
pub const VERSION: i64 = 2;

/// Meta key: every reading up to this sequence number is in a chunk.
pub const COMPACTED_SEQ: &str = "compacted_seq";
/// Meta key: minutes before this time (UTC ms, a day start) are kept in `rollups` rows.
pub const ROLLED_UNTIL: &str = "rolled_until_ms";

/// Create the tables if missing. Idempotent.
pub fn create(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         CREATE TABLE IF NOT EXISTS points (
             id     INTEGER PRIMARY KEY,
             name   TEXT NOT NULL UNIQUE,
             unit   TEXT NOT NULL DEFAULT '',
             system TEXT NOT NULL DEFAULT ''
         );
         -- a group: the points one device cycle reads at one instant (varint keys)
         CREATE TABLE IF NOT EXISTS groups (
             id   INTEGER PRIMARY KEY,
             keys BLOB NOT NULL UNIQUE
         );
         CREATE TABLE IF NOT EXISTS group_points (
             point INTEGER NOT NULL,
             grp   INTEGER NOT NULL,
             col   INTEGER NOT NULL,
             PRIMARY KEY (point, grp, col)
         ) WITHOUT ROWID;
         -- one flush: its bytes in chunks/<file>.dat and which group is where (dir)
         CREATE TABLE IF NOT EXISTS chunks (
             id        INTEGER PRIMARY KEY,
             file      INTEGER NOT NULL,
             offset    INTEGER NOT NULL,
             len       INTEGER NOT NULL,
             first_seq INTEGER NOT NULL,
             last_seq  INTEGER NOT NULL,
             start_ms  INTEGER NOT NULL,
             end_ms    INTEGER NOT NULL,
             readings  INTEGER NOT NULL,
             dir       BLOB NOT NULL
         );
         CREATE INDEX IF NOT EXISTS chunks_start ON chunks(start_ms);
         -- sinks find the flush holding a position
         CREATE INDEX IF NOT EXISTS chunks_seq ON chunks(last_seq);
         -- 1-minute rollups of one point and UTC day (day = ms / 86 400 000)
         CREATE TABLE IF NOT EXISTS rollups (
             point INTEGER NOT NULL,
             day   INTEGER NOT NULL,
             data  BLOB NOT NULL,
             PRIMARY KEY (point, day)
         ) WITHOUT ROWID;
         CREATE TABLE IF NOT EXISTS store_meta (
             key   TEXT PRIMARY KEY,
             value INTEGER NOT NULL
         );",
    )
}

/// The schema version of an existing database (0 if new).
pub fn version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
}

/// Whether the version-1 tables (one row per reading) are present.
pub fn has_v1_readings(conn: &Connection) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'readings'",
        [],
        |r| r.get::<_, i64>(0),
    )
    .map(|n| n > 0)
}

/// A meta value.
pub fn meta(conn: &Connection, key: &str) -> rusqlite::Result<Option<i64>> {
    conn.query_row("SELECT value FROM store_meta WHERE key = ?1", [key], |r| {
        r.get(0)
    })
    .optional()
}

/// Set a meta value.
pub fn set_meta(conn: &Connection, key: &str, value: i64) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO store_meta(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )
    .map(|_| ())
}
