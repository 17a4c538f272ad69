//! Daily rollup rows: once a UTC day is complete its 1-minute rollups are kept per point, made
//! group by group from the chunks; late readings for a kept day remake its rows.

use std::collections::HashMap;
use std::time::Instant;

use rusqlite::params;

use super::Inner;
use crate::chunk::{decode_dir, decode_group};
use crate::query::{ChunkFiles, chunk_path, write_day};
use crate::rollup::{DAY_MS, floor_to};
use crate::{StoreError, schema};

impl Inner {
    /// Make the rollup rows of every day that ends by `upto_ms`.
    pub(super) fn roll_days(&mut self, upto_ms: i64) -> Result<(), StoreError> {
        let Some(mut until) = self.rolled_until else {
            return Ok(());
        };
        let mut files = ChunkFiles::new(&self.data_dir);
        while until + DAY_MS <= upto_ms {
            let next = until + DAY_MS;
            let any: i64 = self
                .conn
                .query_row(
                    "SELECT count(*) FROM chunks WHERE start_ms < ?2 AND end_ms >= ?1",
                    params![until, next],
                    |r| r.get(0),
                )
                .map_err(|e| self.sql(e))?;
            if any > 0 {
                self.roll_day(&mut files, until)?;
            } else {
                // Skip empty stretches (a daemon stopped for weeks) in one step.
                let after: Option<i64> = self
                    .conn
                    .query_row(
                        "SELECT min(start_ms) FROM chunks WHERE start_ms >= ?1",
                        [next],
                        |r| r.get(0),
                    )
                    .map_err(|e| self.sql(e))?;
                if let Some(a) = after {
                    let day = floor_to(a, DAY_MS);
                    if day > next {
                        until = day;
                        schema::set_meta(&self.conn, schema::ROLLED_UNTIL, until)
                            .map_err(|e| self.sql(e))?;
                        continue;
                    }
                }
            }
            until = next;
            schema::set_meta(&self.conn, schema::ROLLED_UNTIL, until).map_err(|e| self.sql(e))?;
            self.rolled_until = Some(until);
        }
        self.rolled_until = Some(until);
        Ok(())
    }

    /// Rollup rows of day `day_ms` for every point with readings in it (merged with rows
    /// already there, e.g. converted from the previous layout). Group by group: each group's
    /// bytes of each flush are read and decoded once, every column at a time, and a point's row
    /// is written as soon as the last group holding it is done.
    pub(super) fn roll_day(&mut self, files: &mut ChunkFiles, day_ms: i64) -> Result<(), StoreError> {
        let started = Instant::now();
        let day_end = day_ms + DAY_MS;
        let rows: Vec<(i64, i64, Vec<u8>)> = {
            let mut stmt = self
                .conn
                .prepare("SELECT file, offset, dir FROM chunks WHERE start_ms < ?2 AND end_ms >= ?1 ORDER BY id")
                .map_err(|e| self.sql(e))?;
            let mapped = stmt.query_map(params![day_ms, day_end], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).map_err(|e| self.sql(e))?;
            mapped.collect::<Result<_, _>>().map_err(|e| self.sql(e))?
        };
        // (group, file, offset of its bytes, length) of every entry touching the day.
        let mut parts: Vec<(i64, i64, u64, u64)> = Vec::new();
        for (file, offset, dir) in &rows {
            let entries = decode_dir(dir).map_err(|_| StoreError::Corrupt { path: chunk_path(&self.data_dir, *file), what: "chunk directory".into() })?;
            for e in entries.into_iter().filter(|e| e.max_t >= day_ms && e.min_t < day_end) {
                parts.push((e.group, *file, *offset as u64 + e.off, e.len));
            }
        }
        parts.sort_by_key(|p| p.0); // stable: flush order within a group
        let keys_of: HashMap<i64, Box<[u32]>> = self.groups.iter().map(|(k, id)| (*id, k.clone())).collect();
        let mut last_group_of: HashMap<u32, i64> = HashMap::new();
        for (g, ..) in &parts {
            for k in keys_of.get(g).into_iter().flat_map(|ks| ks.iter()) {
                last_group_of.insert(*k, *g);
            }
        }
        let mut minutes: HashMap<u32, std::collections::BTreeMap<i64, crate::rollup::Acc>> = HashMap::new();
        let mut i = 0;
        while i < parts.len() {
            let g = parts[i].0;
            let keys = keys_of.get(&g).cloned().unwrap_or_default();
            while i < parts.len() && parts[i].0 == g {
                let (_, file, off, len) = parts[i];
                i += 1;
                let Some(bytes) = files.read(file, off, len)? else { continue };
                let (times, cols) = decode_group(&bytes).map_err(|_| StoreError::Corrupt { path: chunk_path(&self.data_dir, file), what: "group bytes".into() })?;
                for (key, col) in keys.iter().zip(&cols) {
                    let acc = minutes.entry(*key).or_default();
                    let mut text = 0;
                    for (n, t) in times.iter().enumerate() {
                        let (value, quality) = col.get(n, &mut text);
                        if *t >= day_ms && *t < day_end {
                            acc.entry(floor_to(*t, crate::rollup::MINUTE_MS)).or_default().add(&(*t, value, quality));
                        }
                    }
                }
            }
            // The points of this group that no later group holds are complete: written in a
            // transaction of their own that takes the write lock at once (the alarm and exercise
            // tables share the file; a read-then-write transaction would fail, not wait, when
            // one of them wrote in between). Rewriting a day is idempotent, so a stop between
            // two groups leaves nothing wrong.
            let ready: Vec<(u32, std::collections::BTreeMap<i64, crate::rollup::Acc>)> = keys
                .iter()
                .filter(|k| last_group_of.get(k) == Some(&g))
                .filter_map(|k| minutes.remove(k).filter(|m| !m.is_empty()).map(|m| (*k, m)))
                .collect();
            if !ready.is_empty() {
                let tx = rusqlite::Transaction::new_unchecked(&self.conn, rusqlite::TransactionBehavior::Immediate).map_err(|e| self.sql(e))?;
                for (key, m) in ready {
                    write_day(&tx, i64::from(key), day_ms, m, true).map_err(|source| StoreError::Sqlite { path: self.path.clone(), source })?;
                }
                tx.commit().map_err(|e| self.sql(e))?;
            }
        }
        tracing::info!(day_ms, points = last_group_of.len(), parts = parts.len(), ms = started.elapsed().as_millis() as u64, "a day's 1-minute rollups are kept");
        Ok(())
    }

    /// Readings older than the rollup watermark arrived: remake the rows of those days from
    /// the raw data.
    pub(super) fn redo_late_days(&mut self, until: i64) -> Result<(), StoreError> {
        let mut days: Vec<i64> = Vec::new();
        for g in self.builder.groups() {
            for t in &g.times {
                if *t < until {
                    days.push(floor_to(*t, DAY_MS));
                }
            }
        }
        days.sort_unstable();
        days.dedup();
        let mut files = ChunkFiles::new(&self.data_dir);
        for day in days {
            let tx = rusqlite::Transaction::new_unchecked(&self.conn, rusqlite::TransactionBehavior::Immediate).map_err(|e| self.sql(e))?;
            tx.execute(
                "DELETE FROM rollups WHERE day = ?1 AND point IN (SELECT point FROM group_points)",
                [day / DAY_MS],
            )
            .map_err(|e| self.sql(e))?;
            tx.commit().map_err(|e| self.sql(e))?;
            self.roll_day(&mut files, day)?;
        }
        Ok(())
    }
}
