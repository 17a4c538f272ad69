//! Sinks' saved positions: one small file per sink in `<data>/sinks/`, rewritten in place after
//! every delivered batch. Not synced: a SIGKILL keeps the position (it is in the page cache), a
//! power cut may set a sink back to an earlier position, which re-sends readings and never
//! loses any. A durable SQLite commit per batch would write a page or two of WAL every second
//! per sink — more than the readings themselves at plant rates.
//!
//! Stores of the first layout kept positions in the table `sink_cursors`; a sink's row is moved
//! to its file when the sink first opens the store.

use std::fs::OpenOptions;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension};

use crate::StoreError;

/// Bytes of a position file: `<position> <saved at, UTC ms>\n`, fixed width so an in-place
/// rewrite never leaves old bytes behind.
const WIDTH: usize = 42;

/// Folder of the position files.
fn dir(data_dir: &Path) -> PathBuf {
    data_dir.join("sinks")
}

/// The position file of `sink` (sink ids are `[a-z0-9_-]`, checked by the configuration).
fn path(data_dir: &Path, sink: &str) -> PathBuf {
    dir(data_dir).join(format!("{sink}.pos"))
}

fn read_file(path: &Path) -> Result<Option<u64>, StoreError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(StoreError::Io { path: path.to_path_buf(), source }),
    };
    text.split_whitespace()
        .next()
        .and_then(|p| p.parse().ok())
        .map(Some)
        .ok_or_else(|| StoreError::Corrupt { path: path.to_path_buf(), what: format!("not a sink position: {:?}", text.trim()) })
}

fn table_row(conn: &Connection, sink: &str) -> Option<i64> {
    conn.query_row("SELECT last_rowid FROM sink_cursors WHERE sink = ?1", [sink], |r| r.get(0)).optional().ok().flatten()
}

/// The saved position of `sink` (as a sequence number), moving a first-layout row to its file.
pub fn load(data_dir: &Path, conn: &Connection, sink: &str) -> Result<Option<u64>, StoreError> {
    let file = path(data_dir, sink);
    if let Some(p) = read_file(&file)? {
        return Ok(Some(p));
    }
    let Some(row) = table_row(conn, sink) else { return Ok(None) };
    let p = row.max(0) as u64;
    save(data_dir, sink, p, 0)?;
    let _ = conn.execute("DELETE FROM sink_cursors WHERE sink = ?1", [sink]);
    Ok(Some(p))
}

/// Save `sink`'s position (a sequence number) in place.
pub fn save(data_dir: &Path, sink: &str, seq: u64, now_ms: i64) -> Result<(), StoreError> {
    let d = dir(data_dir);
    let file = path(data_dir, sink);
    let io = |source| StoreError::Io { path: file.clone(), source };
    std::fs::create_dir_all(&d).map_err(|source| StoreError::Io { path: d.clone(), source })?;
    let f = OpenOptions::new().create(true).truncate(false).write(true).open(&file).map_err(io)?;
    let line = format!("{seq:>20} {now_ms:>20}\n");
    debug_assert_eq!(line.len(), WIDTH);
    f.write_all_at(line.as_bytes(), 0).map_err(io)
}

/// The lowest saved position of any sink (files, and first-layout rows not moved yet).
pub fn min_saved(data_dir: &Path, conn: &Connection) -> Result<Option<u64>, StoreError> {
    let mut min: Option<u64> = conn
        .query_row("SELECT min(last_rowid) FROM sink_cursors", [], |r| r.get::<_, Option<i64>>(0))
        .ok()
        .flatten()
        .map(|p| p.max(0) as u64);
    let d = dir(data_dir);
    let entries = match std::fs::read_dir(&d) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(min),
        Err(source) => return Err(StoreError::Io { path: d, source }),
    };
    for entry in entries.flatten() {
        let p = entry.path();
        if p.extension().is_some_and(|e| e == "pos")
            && let Some(seq) = read_file(&p)?
        {
            min = Some(min.map_or(seq, |m| m.min(seq)));
        }
    }
    Ok(min)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_saved_in_place_and_a_first_layout_row_moves_to_its_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let conn = Connection::open_in_memory().expect("db");
        conn.execute_batch("CREATE TABLE sink_cursors (sink TEXT PRIMARY KEY, last_rowid INTEGER NOT NULL, updated_ms INTEGER NOT NULL); INSERT INTO sink_cursors VALUES ('old', 7, 0);").expect("table");
        assert_eq!(load(dir.path(), &conn, "new").expect("load"), None);
        assert_eq!(min_saved(dir.path(), &conn).expect("min"), Some(7));
        save(dir.path(), "new", 123_456_789, 1).expect("save");
        save(dir.path(), "new", 12, 2).expect("save smaller");
        assert_eq!(load(dir.path(), &conn, "new").expect("load"), Some(12), "no old digits left behind");
        assert_eq!(load(dir.path(), &conn, "old").expect("load"), Some(7));
        assert_eq!(table_row(&conn, "old"), None, "moved to its file");
        assert_eq!(min_saved(dir.path(), &conn).expect("min"), Some(7));
        std::fs::write(path(dir.path(), "new"), "garbage").expect("damage");
        assert!(matches!(load(dir.path(), &conn, "new"), Err(StoreError::Corrupt { .. })));
    }
}
