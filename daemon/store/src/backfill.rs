//! A sink reading flushed readings back from their chunk, for positions older than the log's
//! (a new sink with `backfill = true`, or one whose saved position is older than the log).
//!
//! A flush's readings take the positions `first_seq, first_seq + 1, …` in its directory order:
//! group by group (as the directory lists them), within a group cycle by cycle, within a cycle
//! column by column. That order is fixed by the bytes, so a sink resuming half-way through a
//! flush gets the rest of it, never a reading twice. A flush converted from the first layout
//! may hold fewer readings than its range: the positions past its count are empty.
//!
//! Memory: one group is decoded at a time (≈ 9 bytes a reading; a flush holds at most about
//! a million readings, so at most ~9 MB), kept while the sink reads through it; groups before
//! a resumed position are skipped from their first bytes, without decoding.

use std::collections::HashMap;
use std::fs::File;
use std::io::ErrorKind;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, params};

use crate::chunk::{Entry, decode_dir, decode_group, group_cycles};
use crate::codec::Column;
use crate::engine::decode_keys;
use crate::query::chunk_path;
use crate::queued::{PointKey, QueuedReading};
use crate::{Position, StoreError};

/// One flush's row of the chunk directory.
#[derive(Debug, Clone)]
pub struct FlushRow {
    /// Chunk file id.
    pub file: i64,
    /// Offset of the flush's bytes in the file.
    pub offset: u64,
    /// Length of the flush's bytes.
    pub len: u64,
    /// Position of its first reading.
    pub first_seq: u64,
    /// Last position of its range.
    pub last_seq: u64,
    /// Its groups, in directory order.
    pub entries: Vec<Entry>,
}

impl FlushRow {
    /// The first flush with positions at or after `want`, among those starting before `below`
    /// (where the log takes over).
    pub fn at_or_after(
        conn: &Connection,
        db: &Path,
        want: u64,
        below: u64,
    ) -> Result<Option<FlushRow>, StoreError> {
        let sql = |source| StoreError::Sqlite {
            path: db.to_path_buf(),
            source,
        };
        let row: Option<RawRow> = conn
            .query_row(
                "SELECT id, file, offset, len, first_seq, last_seq, dir FROM chunks \
                 WHERE last_seq >= ?1 AND first_seq < ?2 ORDER BY last_seq LIMIT 1",
                params![seq_param(want), seq_param(below)],
                |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                    ))
                },
            )
            .optional()
            .map_err(sql)?;
        let Some((id, file, offset, len, first, last, dir)) = row else {
            return Ok(None);
        };
        let entries = decode_dir(&dir).map_err(|_| StoreError::Corrupt {
            path: db.to_path_buf(),
            what: format!("directory of flush {id} (chunks row)"),
        })?;
        Ok(Some(FlushRow {
            file,
            offset: offset.max(0) as u64,
            len: len.max(0) as u64,
            first_seq: first.max(0) as u64,
            last_seq: last.max(0) as u64,
            entries,
        }))
    }
}

/// A `chunks` row as SQLite gives it: id, file, offset, len, first_seq, last_seq, dir.
type RawRow = (i64, i64, i64, i64, i64, i64, Vec<u8>);

/// A sequence number as an SQLite integer.
pub fn seq_param(seq: u64) -> i64 {
    i64::try_from(seq).unwrap_or(i64::MAX)
}

/// Point keys of groups, by group id, loaded on first use.
#[derive(Default)]
pub struct GroupKeys(HashMap<i64, Box<[u32]>>);

impl GroupKeys {
    fn get(&mut self, conn: &Connection, db: &Path, id: i64) -> Result<Box<[u32]>, StoreError> {
        if let Some(k) = self.0.get(&id) {
            return Ok(k.clone());
        }
        let blob: Option<Vec<u8>> = conn
            .query_row("SELECT keys FROM groups WHERE id = ?1", [id], |r| r.get(0))
            .optional()
            .map_err(|source| StoreError::Sqlite {
                path: db.to_path_buf(),
                source,
            })?;
        let keys = blob
            .as_deref()
            .and_then(decode_keys)
            .ok_or_else(|| StoreError::Corrupt {
                path: db.to_path_buf(),
                what: format!("group {id} (missing or undecodable)"),
            })?;
        self.0.insert(id, keys.clone());
        Ok(keys)
    }
}

/// The group being read, decoded.
struct OpenGroup {
    keys: Box<[u32]>,
    times: Vec<i64>,
    cols: Vec<Column>,
    /// Per column, the index of its next text.
    texts: Vec<usize>,
    cycle: usize,
    col: usize,
}

impl OpenGroup {
    /// Readings not read yet.
    fn remaining(&self) -> u64 {
        let n = self.keys.len();
        ((self.times.len() - self.cycle.min(self.times.len())) * n - self.col) as u64
    }

    /// Move past the current reading.
    fn step(&mut self) {
        self.col += 1;
        if self.col == self.keys.len() {
            self.col = 0;
            self.cycle += 1;
        }
    }
}

/// Where a sink's reading of one flush stands.
pub struct FlushCursor {
    row: FlushRow,
    path: PathBuf,
    /// `None`: the chunk file was pruned (the flush's positions are a hole).
    file: Option<File>,
    next_entry: usize,
    group: Option<OpenGroup>,
    /// Position of the next reading.
    pos: u64,
    /// Every reading of the flush has been read.
    done: bool,
}

impl FlushCursor {
    /// A cursor at the first reading of `row`.
    pub fn open(data_dir: &Path, row: FlushRow) -> Result<FlushCursor, StoreError> {
        let path = chunk_path(data_dir, row.file);
        let file = match File::open(&path) {
            Ok(f) => Some(f),
            Err(e) if e.kind() == ErrorKind::NotFound => None,
            Err(source) => return Err(StoreError::Io { path, source }),
        };
        Ok(FlushCursor {
            pos: row.first_seq,
            done: file.is_none(),
            row,
            path,
            file,
            next_entry: 0,
            group: None,
        })
    }

    /// Position of the next reading (once done, past the flush's readings).
    pub fn next_pos(&self) -> u64 {
        self.pos
    }

    /// Last position of the flush's range.
    pub fn last_seq(&self) -> u64 {
        self.row.last_seq
    }

    /// Whether the cursor can go on to `want` without starting the flush again.
    pub fn reaches(&self, want: u64) -> bool {
        want >= self.pos && want <= self.row.last_seq
    }

    /// Bytes of one group.
    fn bytes(&self, e: &Entry, len: u64) -> Result<Option<Vec<u8>>, StoreError> {
        let Some(file) = &self.file else {
            return Ok(None);
        };
        if e.off
            .checked_add(e.len)
            .is_none_or(|end| end > self.row.len)
        {
            return Err(self.corrupt("a group outside its flush"));
        }
        let mut buf = vec![0u8; usize::try_from(len).unwrap_or(0)];
        match file.read_exact_at(&mut buf, self.row.offset + e.off) {
            Ok(()) => Ok(Some(buf)),
            Err(e) if e.kind() == ErrorKind::UnexpectedEof => {
                Err(self.corrupt("the file ends inside a flush"))
            }
            Err(source) => Err(StoreError::Io {
                path: self.path.clone(),
                source,
            }),
        }
    }

    fn corrupt(&self, what: &str) -> StoreError {
        StoreError::Corrupt {
            path: self.path.clone(),
            what: format!(
                "{what} (flush of positions {}..={} at offset {})",
                self.row.first_seq, self.row.last_seq, self.row.offset
            ),
        }
    }

    /// Decode the next group; `false` when there is none.
    fn load_next(
        &mut self,
        conn: &Connection,
        db: &Path,
        groups: &mut GroupKeys,
    ) -> Result<bool, StoreError> {
        let Some(e) = self.row.entries.get(self.next_entry).copied() else {
            return Ok(false);
        };
        self.next_entry += 1;
        let Some(bytes) = self.bytes(&e, e.len)? else {
            return Ok(false);
        };
        let keys = groups.get(conn, db, e.group)?;
        let (times, cols) = decode_group(&bytes).map_err(|_| self.corrupt("group bytes"))?;
        if cols.len() != keys.len() {
            return Err(self.corrupt("a group with other columns than its points"));
        }
        self.group = Some(OpenGroup {
            texts: vec![0; keys.len()],
            keys,
            times,
            cols,
            cycle: 0,
            col: 0,
        });
        Ok(true)
    }

    /// Readings in the next group, from its first bytes (keys from the store).
    fn next_group_len(
        &self,
        conn: &Connection,
        db: &Path,
        groups: &mut GroupKeys,
    ) -> Result<Option<u64>, StoreError> {
        let Some(e) = self.row.entries.get(self.next_entry).copied() else {
            return Ok(None);
        };
        let Some(head) = self.bytes(&e, e.len.min(10))? else {
            return Ok(None);
        };
        let cycles = group_cycles(&head).map_err(|_| self.corrupt("group bytes"))?;
        let keys = groups.get(conn, db, e.group)?.len() as u64;
        Ok(Some(cycles.saturating_mul(keys)))
    }

    /// Move on to position `want` (at or after the next one), skipping whole groups unread.
    pub fn skip_to(
        &mut self,
        want: u64,
        conn: &Connection,
        db: &Path,
        groups: &mut GroupKeys,
    ) -> Result<(), StoreError> {
        while self.pos < want && !self.done {
            let gap = want - self.pos;
            if let Some(g) = self.group.as_mut() {
                let left = g.remaining();
                if left <= gap {
                    self.group = None;
                    self.pos += left;
                } else {
                    // Within the group: texts are numbered in order, so count them.
                    let (c, i) = (g.col, g.cycle);
                    if g.cols[c].tags.get(i).is_some_and(|t| t >> 4 == 3) {
                        g.texts[c] += 1;
                    }
                    g.step();
                    self.pos += 1;
                }
                continue;
            }
            match self.next_group_len(conn, db, groups)? {
                None => self.done = true,
                Some(n) if n <= gap => {
                    self.next_entry += 1;
                    self.pos += n;
                }
                Some(_) => {
                    if !self.load_next(conn, db, groups)? {
                        self.done = true;
                    }
                }
            }
        }
        if self.pos > self.row.last_seq + 1 {
            return Err(self.corrupt("more readings than positions"));
        }
        Ok(())
    }

    /// The next reading of the flush, `None` once every one is read.
    pub fn next(
        &mut self,
        conn: &Connection,
        db: &Path,
        groups: &mut GroupKeys,
    ) -> Result<Option<QueuedReading>, StoreError> {
        loop {
            if self.done {
                return Ok(None);
            }
            if let Some(g) = self.group.as_mut() {
                if g.remaining() == 0 {
                    self.group = None;
                    continue;
                }
                let (c, i) = (g.col, g.cycle);
                let (value, quality) = g.cols[c].get(i, &mut g.texts[c]);
                let reading = QueuedReading {
                    position: Position::nth(self.pos),
                    point: PointKey::from(g.keys[c]),
                    time_ms: g.times[i],
                    value,
                    quality,
                };
                g.step();
                if self.pos > self.row.last_seq {
                    return Err(self.corrupt("more readings than positions"));
                }
                self.pos += 1;
                return Ok(Some(reading));
            }
            if !self.load_next(conn, db, groups)? {
                self.done = true;
            }
        }
    }
}
