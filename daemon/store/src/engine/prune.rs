//! Retention: raw chunks past `raw_retention_days` (their days rolled up first), rollup rows
//! past `rollup_retention_days`, chunk files nothing points to, log segments kept for a sink
//! that never came back.

use std::time::Duration;

use rusqlite::params;

use super::Inner;
use crate::log::segments;
use crate::query::{chunk_dir, log_dir};
use crate::rollup::{DAY_MS, floor_to};
use crate::StoreError;

impl Inner {
    /// Drop raw chunks past raw retention (their days rolled up first), rollups past theirs,
    /// and chunk files nothing points to any more.
    pub(crate) fn prune(&mut self, now_ms: i64) -> Result<(), StoreError> {
        let raw_cut = now_ms - i64::from(self.settings.raw_retention_days) * DAY_MS;
        // Raw data goes only after its days have their rollups.
        self.roll_days(floor_to(raw_cut, DAY_MS) + DAY_MS)?;
        let rolled = self.rolled_until.unwrap_or(i64::MIN);
        let n = self
            .conn
            .execute(
                "DELETE FROM chunks WHERE end_ms < ?1 AND end_ms < ?2",
                params![raw_cut, rolled],
            )
            .map_err(|e| self.sql(e))?;
        let mut m = 0;
        if self.settings.rollup_retention_days > 0 {
            let cut = (now_ms - i64::from(self.settings.rollup_retention_days) * DAY_MS)
                .div_euclid(DAY_MS);
            m = self
                .conn
                .execute("DELETE FROM rollups WHERE day < ?1", [cut])
                .map_err(|e| self.sql(e))?;
        }
        let used: std::collections::HashSet<i64> = {
            let mut stmt = self
                .conn
                .prepare("SELECT DISTINCT file FROM chunks")
                .map_err(|e| self.sql(e))?;
            let rows = stmt.query_map([], |r| r.get(0)).map_err(|e| self.sql(e))?;
            rows.collect::<Result<_, _>>().map_err(|e| self.sql(e))?
        };
        let current = self.chunk_file.as_ref().map(|c| c.id);
        let dir = chunk_dir(&self.data_dir);
        if let Ok(entries) = std::fs::read_dir(&dir) {
            for entry in entries.flatten() {
                let path = entry.path();
                let id = path
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .and_then(|s| s.parse::<i64>().ok());
                if let Some(id) = id
                    && !used.contains(&id)
                    && Some(id) != current
                {
                    let _ = std::fs::remove_file(&path);
                }
            }
        }
        // Log segments kept for a sink that never came back go with the raw retention.
        let log = log_dir(&self.data_dir);
        let segs = segments(&log).map_err(|source| StoreError::Io {
            path: log.clone(),
            source,
        })?;
        let cut = std::time::SystemTime::now()
            - Duration::from_secs(u64::from(self.settings.raw_retention_days) * 86_400);
        // The old segments are the oldest ones; they go a whole flush at a time.
        let mut old_upto = 0;
        for w in segs.windows(2) {
            let ((_, path), (next_first, _)) = (&w[0], &w[1]);
            let old = std::fs::metadata(path)
                .and_then(|m| m.modified())
                .is_ok_and(|t| t < cut);
            if !old {
                break;
            }
            old_upto = next_first.saturating_sub(1);
        }
        let old_upto = self.whole_flushes_upto(old_upto.min(self.compacted_seq))?;
        for w in segs.windows(2) {
            let ((_, path), (next_first, _)) = (&w[0], &w[1]);
            if next_first.saturating_sub(1) <= old_upto {
                let _ = std::fs::remove_file(path);
            }
        }
        if n + m > 0 {
            tracing::info!(
                raw_chunks_deleted = n,
                rollup_days_deleted = m,
                "retention pruning"
            );
        }
        Ok(())
    }
}
