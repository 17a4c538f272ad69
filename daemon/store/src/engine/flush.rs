//! Flushing the log into a chunk: bytes appended and synced, then the directory row and the
//! watermark in one transaction; then the log segments it replaces go (whole flushes only).

use std::fs::OpenOptions;
use std::io::Write;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use rusqlite::params;

use super::{CHUNK_FILE_BYTES, ChunkFile, DAY_GRACE_MS, FLUSH_READINGS, Inner};
use crate::chunk::encode_dir;
use crate::codec::put_uvarint;
use crate::log::segments;
use crate::query::{chunk_dir, chunk_path, log_dir};
use crate::rollup::{DAY_MS, floor_to};
use crate::shared::db_path;
use crate::stats::WriterStats;
use crate::{StoreError, schema};

impl Inner {
    /// Seal the builder into a chunk: bytes into the chunk file (synced), then the directory
    /// row and the new watermark in one SQLite transaction. Then the log segments it replaces
    /// go, and complete days get their rollup rows.
    pub(super) fn flush(&mut self, stats: &WriterStats) {
        if self.rebuild
            && let Err(e) = self.recover()
        {
            tracing::error!(error = %e, "cannot read the log back for a flush");
            self.next_flush_try = Some(Instant::now() + Duration::from_secs(10));
            return;
        }
        if self.builder.is_empty() {
            self.builder_since = None;
            return;
        }
        match self.write_chunk(stats) {
            Ok(()) => {
                self.builder.clear();
                self.builder_since = None;
                self.next_flush_try = None;
                stats.flushes.fetch_add(1, Ordering::Relaxed);
                // The next commit opens a new segment; whole segments up to here can go.
                self.segment = None;
                if let Err(e) = self.drop_segments() {
                    tracing::warn!(error = %e, "cannot remove flushed log segments");
                }
                if let Err(e) = self.roll_days(self.newest_ms.saturating_sub(DAY_GRACE_MS)) {
                    tracing::warn!(error = %e, "cannot make the daily rollups");
                }
            }
            Err(e) => {
                tracing::error!(error = %e, readings = self.builder.len(), "flushing the log into chunks failed; the readings stay in the log and the flush is retried");
                self.next_flush_try = Some(Instant::now() + Duration::from_secs(10));
                if self.builder.len() > 4 * FLUSH_READINGS {
                    // Bound memory: the log has them; read them back when the flush works again.
                    self.builder.clear();
                    self.rebuild = true;
                }
            }
        }
    }

    pub(super) fn write_chunk(&mut self, stats: &WriterStats) -> Result<(), StoreError> {
        let Some((first_seq, last_seq)) = self.builder.seqs() else {
            return Ok(());
        };
        let (start_ms, end_ms) = self.builder.span().unwrap_or((0, 0));
        self.newest_ms = self.newest_ms.max(end_ms);
        let (bytes, mut entries) = self.builder.seal();
        // Group ids (new groups are inserted in the same transaction as the chunk row).
        let mut new_groups = Vec::new();
        for (e, g) in entries.iter_mut().zip(self.builder.groups()) {
            e.group = match self.groups.get(&g.keys) {
                Some(id) => *id,
                None => {
                    new_groups.push(g.keys.clone());
                    -(new_groups.len() as i64)
                }
            };
        }
        let (file_id, offset) = self.append_chunk_bytes(&bytes)?;
        stats
            .bytes_written
            .fetch_add(bytes.len() as u64, Ordering::Relaxed);
        let tx = self
            .conn
            .transaction()
            .map_err(|source| StoreError::Sqlite {
                path: self.path.clone(),
                source,
            })?;
        let sqlf = |source| StoreError::Sqlite {
            path: db_path(&self.data_dir),
            source,
        };
        let mut assigned = Vec::new();
        for keys in &new_groups {
            let mut blob = Vec::new();
            for k in keys.iter() {
                put_uvarint(&mut blob, u64::from(*k));
            }
            tx.execute("INSERT OR IGNORE INTO groups(keys) VALUES (?1)", [&blob])
                .map_err(sqlf)?;
            let id: i64 = tx
                .query_row("SELECT id FROM groups WHERE keys = ?1", [&blob], |r| {
                    r.get(0)
                })
                .map_err(sqlf)?;
            for (col, k) in keys.iter().enumerate() {
                tx.execute(
                    "INSERT OR IGNORE INTO group_points(point, grp, col) VALUES (?1, ?2, ?3)",
                    params![k, id, col as i64],
                )
                .map_err(sqlf)?;
            }
            assigned.push(id);
        }
        for e in &mut entries {
            if e.group < 0 {
                e.group = assigned[(-e.group - 1) as usize];
            }
        }
        tx.execute(
            "INSERT INTO chunks(file, offset, len, first_seq, last_seq, start_ms, end_ms, readings, dir) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![file_id, offset as i64, bytes.len() as i64, first_seq as i64, last_seq as i64, start_ms, end_ms, self.builder.len() as i64, encode_dir(&entries)],
        )
        .map_err(sqlf)?;
        schema::set_meta(&tx, schema::COMPACTED_SEQ, last_seq as i64).map_err(sqlf)?;
        if self.rolled_until.is_none() {
            let day = floor_to(start_ms, DAY_MS);
            schema::set_meta(&tx, schema::ROLLED_UNTIL, day).map_err(sqlf)?;
        }
        // Late readings for days already rolled up: their rows are remade below.
        tx.commit().map_err(sqlf)?;
        if self.rolled_until.is_none() {
            self.rolled_until = Some(floor_to(start_ms, DAY_MS));
        } else if let Some(until) = self.rolled_until
            && start_ms < until
        {
            self.redo_late_days(until)?;
        }
        for (keys, id) in new_groups.into_iter().zip(assigned) {
            self.groups.insert(keys, id);
        }
        self.compacted_seq = last_seq;
        Ok(())
    }

    /// Append bytes to the current chunk file (a new one past [`CHUNK_FILE_BYTES`]), synced.
    pub(super) fn append_chunk_bytes(&mut self, bytes: &[u8]) -> Result<(i64, u64), StoreError> {
        if self
            .chunk_file
            .as_ref()
            .is_none_or(|c| c.len >= CHUNK_FILE_BYTES)
        {
            let dir = chunk_dir(&self.data_dir);
            std::fs::create_dir_all(&dir).map_err(|source| StoreError::Io {
                path: dir.clone(),
                source,
            })?;
            let next: i64 = self
                .conn
                .query_row("SELECT coalesce(max(file), 0) + 1 FROM chunks", [], |r| {
                    r.get(0)
                })
                .map_err(|e| self.sql(e))?;
            let id = self
                .chunk_file
                .as_ref()
                .map_or(next, |c| c.id.max(next - 1) + 1);
            let path = chunk_path(&self.data_dir, id);
            let file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .map_err(|source| StoreError::Io {
                    path: path.clone(),
                    source,
                })?;
            let len = file.metadata().map(|m| m.len()).unwrap_or(0);
            self.chunk_file = Some(ChunkFile { id, file, len });
        }
        let Some(c) = self.chunk_file.as_mut() else {
            return Err(StoreError::WriterStopped);
        };
        let path = chunk_path(&self.data_dir, c.id);
        let offset = c.len;
        let result = c.file.write_all(bytes).and_then(|()| c.file.sync_data());
        if let Err(source) = result {
            let _ = c.file.set_len(offset);
            return Err(StoreError::Io { path, source });
        }
        c.len += bytes.len() as u64;
        Ok((c.id, offset))
    }

    /// `seq` lowered to the end of the last whole flush at or before it: log segments go a
    /// whole flush at a time, so a flush's positions are served either all from the log (commit
    /// order) or all from its chunk (directory order) — see `queue.rs` — and a sink half-way
    /// through a flush never finds the rest of it in the other order.
    pub(super) fn whole_flushes_upto(&self, seq: u64) -> Result<u64, StoreError> {
        let inside: Option<i64> = self
            .conn
            .query_row(
                "SELECT min(first_seq) FROM chunks WHERE first_seq <= ?1 AND last_seq > ?1",
                [seq as i64],
                |r| r.get(0),
            )
            .map_err(|e| self.sql(e))?;
        Ok(inside.map_or(seq, |f| (f.max(1) as u64) - 1))
    }

    /// Remove log segments that are in chunks and delivered to every sink that has a position
    /// (whole flushes only).
    pub(super) fn drop_segments(&mut self) -> Result<(), StoreError> {
        let dir = log_dir(&self.data_dir);
        let segs = segments(&dir).map_err(|source| StoreError::Io {
            path: dir.clone(),
            source,
        })?;
        let sinks_at = crate::sinkpos::min_saved(&self.data_dir, &self.conn)?;
        let keep_from = self.whole_flushes_upto(sinks_at.map_or(self.compacted_seq, |s| s.min(self.compacted_seq)))?;
        for w in segs.windows(2) {
            let ((_, path), (next_first, _)) = (&w[0], &w[1]);
            if next_first.saturating_sub(1) <= keep_from {
                std::fs::remove_file(path).map_err(|source| StoreError::Io {
                    path: path.clone(),
                    source,
                })?;
            }
        }
        // The newest segment is closed too once fully flushed (the writer opens a new one).
        if let Some((_, path)) = segs.last()
            && self.segment.is_none()
            && self.next_seq.saturating_sub(1) <= keep_from
        {
            std::fs::remove_file(path).map_err(|source| StoreError::Io {
                path: path.clone(),
                source,
            })?;
        }
        Ok(())
    }
}
