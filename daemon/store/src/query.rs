//! Reading chunks and daily rollups back, on any connection (the writer's or a reader's).

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, params};

use crate::StoreError;
use crate::chunk::{Sample, decode_dir, samples};
use crate::rollup::{Acc, DAY_MS, decode_day, encode_day};

/// Folder of the chunk files in a data directory.
pub fn chunk_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("chunks")
}

/// Folder of the log segments in a data directory.
pub fn log_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("log")
}

/// Path of chunk file `id`.
pub fn chunk_path(data_dir: &Path, id: i64) -> PathBuf {
    chunk_dir(data_dir).join(format!("{id:08}.dat"))
}

/// Open chunk files, by id (`None`: pruned meanwhile).
pub struct ChunkFiles {
    data_dir: PathBuf,
    open: HashMap<i64, Option<File>>,
}

impl ChunkFiles {
    /// Chunk files of `data_dir`.
    pub fn new(data_dir: &Path) -> Self {
        ChunkFiles {
            data_dir: data_dir.to_path_buf(),
            open: HashMap::new(),
        }
    }

    /// `len` bytes at `off` of file `id`; `None` if the file is gone (pruned).
    pub fn read(&mut self, id: i64, off: u64, len: u64) -> Result<Option<Vec<u8>>, StoreError> {
        let path = chunk_path(&self.data_dir, id);
        let file = match self.open.entry(id) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(v) => v.insert(match File::open(&path) {
                Ok(f) => Some(f),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(source) => return Err(StoreError::Io { path, source }),
            }),
        };
        let Some(file) = file else { return Ok(None) };
        let mut buf = vec![0u8; usize::try_from(len).unwrap_or(0)];
        file.read_exact_at(&mut buf, off)
            .map_err(|source| StoreError::Io { path, source })?;
        Ok(Some(buf))
    }
}

fn sql(conn: &Connection) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
    move |source| StoreError::Sqlite {
        path: conn.path().map(PathBuf::from).unwrap_or_default(),
        source,
    }
}

/// The key of a point name.
pub fn point_key(conn: &Connection, name: &str) -> Result<Option<i64>, StoreError> {
    conn.query_row("SELECT id FROM points WHERE name = ?1", [name], |r| {
        r.get(0)
    })
    .optional()
    .map_err(sql(conn))
}

/// Raw samples of point `key` in chunks, `from_ms <= time < to_ms`, in flush order.
pub fn chunk_samples(
    conn: &Connection,
    files: &mut ChunkFiles,
    key: i64,
    from_ms: i64,
    to_ms: i64,
    out: &mut Vec<Sample>,
) -> Result<(), StoreError> {
    let cols: Vec<(i64, usize)> = {
        let mut stmt = conn
            .prepare_cached("SELECT grp, col FROM group_points WHERE point = ?1")
            .map_err(sql(conn))?;
        let rows = stmt
            .query_map([key], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)? as usize))
            })
            .map_err(sql(conn))?;
        rows.collect::<Result<_, _>>().map_err(sql(conn))?
    };
    if cols.is_empty() {
        return Ok(());
    }
    let rows: Vec<(i64, i64, Vec<u8>)> = {
        let mut stmt = conn
            .prepare_cached("SELECT file, offset, dir FROM chunks WHERE start_ms < ?2 AND end_ms >= ?1 ORDER BY id")
            .map_err(sql(conn))?;
        let rows = stmt
            .query_map(params![from_ms, to_ms], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .map_err(sql(conn))?;
        rows.collect::<Result<_, _>>().map_err(sql(conn))?
    };
    for (file, offset, dir) in rows {
        let chunk_file = chunk_path(&files.data_dir, file);
        let corrupt = |what: &str| StoreError::Corrupt {
            path: chunk_file.clone(),
            what: what.to_string(),
        };
        let entries = decode_dir(&dir).map_err(|_| corrupt("chunk directory"))?;
        for e in entries {
            if e.max_t < from_ms || e.min_t >= to_ms {
                continue;
            }
            for (grp, col) in &cols {
                if *grp != e.group {
                    continue;
                }
                let Some(bytes) = files.read(file, offset as u64 + e.off, e.len)? else {
                    continue;
                };
                samples(&bytes, *col, from_ms, to_ms, out).map_err(|_| corrupt("group bytes"))?;
            }
        }
    }
    Ok(())
}

/// The minutes in `keep` of the daily rollup rows of point `key` for days `from_day..to_day`
/// (day numbers), in time order.
pub fn day_rollups(
    conn: &Connection,
    key: i64,
    from_day: i64,
    to_day: i64,
    keep: std::ops::Range<i64>,
    into: &mut Vec<(i64, Acc)>,
) -> Result<(), StoreError> {
    let mut stmt = conn.prepare_cached("SELECT day, data FROM rollups WHERE point = ?1 AND day >= ?2 AND day < ?3 ORDER BY day").map_err(sql(conn))?;
    let rows = stmt
        .query_map(params![key, from_day, to_day], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?))
        })
        .map_err(sql(conn))?;
    for row in rows {
        let (day, data) = row.map_err(sql(conn))?;
        let minutes = decode_day(&data).map_err(|_| StoreError::Corrupt {
            path: conn.path().map(PathBuf::from).unwrap_or_default(),
            what: format!("rollups of point key {key}, day {}", day * DAY_MS),
        })?;
        // One row per point and day, days in order: the minutes come out sorted.
        into.extend(minutes.into_iter().filter(|(m, _)| keep.contains(m)));
    }
    Ok(())
}

/// Write (or, with `merge`, merge into) the rollup row of one point and day.
pub(crate) fn write_day(
    conn: &Connection,
    key: i64,
    day_ms: i64,
    mut minutes: BTreeMap<i64, Acc>,
    merge: bool,
) -> rusqlite::Result<()> {
    let day = day_ms.div_euclid(DAY_MS);
    if merge {
        let old: Option<Vec<u8>> = conn
            .query_row(
                "SELECT data FROM rollups WHERE point = ?1 AND day = ?2",
                params![key, day],
                |r| r.get(0),
            )
            .ok();
        if let Some(old) = old.and_then(|o| decode_day(&o).ok()) {
            for (m, a) in old {
                minutes.entry(m).or_insert(a);
            }
        }
    }
    conn.execute(
        "INSERT INTO rollups(point, day, data) VALUES (?1, ?2, ?3) ON CONFLICT(point, day) DO UPDATE SET data = excluded.data",
        params![key, day, encode_day(&minutes)],
    )
    .map(|_| ())
}
