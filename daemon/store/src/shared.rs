//! The SQLite file of a data directory, which the readings share with tables kept by others
//! (the alarm tables: state, incidents, journal, outbox). This is the one place a caller sees
//! SQLite; the readings themselves are only reached through the crate's API.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::StoreError;

/// How long a writing connection waits for another one's write lock before its commit counts
/// as failed (and is held and retried): short, so a locked store never stalls a stop.
pub const BUSY_TIMEOUT: Duration = Duration::from_millis(500);

/// File name of the database inside the data directory.
pub const DB_FILE: &str = "driftvakt.db";

/// Path of the database in a data directory.
pub fn db_path(data_dir: &Path) -> PathBuf {
    data_dir.join(DB_FILE)
}

/// A writing connection to the database of `data_dir` (created if missing), waiting at most
/// [`BUSY_TIMEOUT`] for another writer.
pub fn connect(data_dir: &Path) -> Result<Connection, StoreError> {
    let path = db_path(data_dir);
    let sqlite = |source| StoreError::Sqlite {
        path: path.clone(),
        source,
    };
    let conn = Connection::open(&path).map_err(sqlite)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(sqlite)?;
    Ok(conn)
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
    let sqlite = |source| StoreError::Sqlite {
        path: path.clone(),
        source,
    };
    let mut wal = path.clone().into_os_string();
    wal.push("-wal");
    let idle = !Path::new(&wal).exists();
    let conn = match file_uri(&path).filter(|_| idle) {
        Some(uri) => Connection::open_with_flags(
            format!("{uri}?immutable=1"),
            OpenFlags::SQLITE_OPEN_READ_ONLY
                | OpenFlags::SQLITE_OPEN_URI
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        ),
        None => Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        ),
    }
    .map_err(sqlite)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(sqlite)?;
    Ok(conn)
}
