//! Alarm-table writes that wait for the store. Normally a write is committed at once; when a
//! commit fails (disk full, database locked) the write and every later one are held in memory,
//! in order, up to [`MAX_HELD_WRITES`], and committed together by a retry every
//! [`RETRY_EVERY`]. The journal then shows what happened meanwhile, framed by two entries of the
//! daemon's own: `store_failed` (when and why) and `store_recovered` (how long, how much waited,
//! how much was lost) — unless the spell was shorter than [`QUIET_SPELL_MS`] and lost nothing
//! (a commit that waited a moment for a lock).

use std::collections::VecDeque;
use std::time::Instant;

use driftvakt_config::model::Language;
use driftvakt_domain::text::fill;
use driftvakt_domain::text::journal::Journal;

use super::store::{AlarmDb, Write};
pub use driftvakt_store::RETRY_EVERY;

/// Most writes held in memory while the store fails; beyond it the oldest are dropped (counted
/// and logged). An incident with its e-mails and MQTT messages is a handful of writes.
pub const MAX_HELD_WRITES: usize = 100_000;
/// A failing spell shorter than this that lost nothing leaves no entries of its own in the journal.
pub const QUIET_SPELL_MS: i64 = 5_000;
/// At most one "still failing" line per this interval.
const REPEAT_LOG_EVERY: std::time::Duration = std::time::Duration::from_secs(30);

/// The writes not committed yet, and the failing spell they belong to.
#[derive(Debug, Default)]
pub struct WriteBehind {
    /// Oldest first.
    queue: VecDeque<Write>,
    /// Since when commits fail, UTC ms.
    failing_since: Option<i64>,
    /// Why the spell began (the first commit error).
    failed_with: String,
    /// When to retry.
    retry_at: Option<Instant>,
    /// Writes that waited during the current spell.
    waited: u64,
    /// Writes dropped over the bound during the current spell.
    lost: u64,
    /// When a repeated error line was last logged.
    last_log: Option<Instant>,
}

impl WriteBehind {
    /// Queue `w` and commit at once unless the store is failing (then the retry commits it).
    pub fn push(&mut self, db: &mut AlarmDb, w: Write, now_ms: i64) {
        self.queue.push_back(w);
        if self.failing_since.is_some() {
            self.waited += 1;
            if self.queue.len() > MAX_HELD_WRITES {
                self.queue.pop_front();
                self.lost += 1;
                if self
                    .last_log
                    .is_none_or(|t| t.elapsed() >= REPEAT_LOG_EVERY)
                {
                    self.last_log = Some(Instant::now());
                    tracing::error!(
                        bound = MAX_HELD_WRITES,
                        lost = self.lost,
                        "the alarm tables cannot be committed and hold as many writes as they may; the oldest are lost"
                    );
                }
            }
            return;
        }
        self.flush(db, now_ms);
    }

    /// Whether a retry is due at `now`.
    pub fn retry_due(&self, now: Instant) -> bool {
        self.retry_at.is_some_and(|t| now >= t)
    }

    /// Since when commits fail, UTC ms.
    pub fn failing_since(&self) -> Option<i64> {
        self.failing_since
    }

    /// Writes held in memory.
    pub fn held(&self) -> usize {
        self.queue.len()
    }

    /// Commit everything queued, in one transaction (after a failing spell, framed by its notes).
    pub fn flush(&mut self, db: &mut AlarmDb, now_ms: i64) {
        if self.queue.is_empty() {
            return;
        }
        let notes = self.failing_since.filter(|since| now_ms - since >= QUIET_SPELL_MS || self.lost > 0).map(|since| {
            let failed = fill(Journal::of(Language::Sv).store_failed, &[("error", &self.failed_with)]);
            (Write::Note { ts_ms: since, event: "store_failed", detail: failed }, Write::Note { ts_ms: now_ms, event: "store_recovered", detail: self.recovered_text(since, now_ms) })
        });
        let result = match &notes {
            Some((failed, recovered)) => db.apply(
                std::iter::once(failed)
                    .chain(self.queue.iter())
                    .chain(std::iter::once(recovered)),
            ),
            None => db.apply(self.queue.iter()),
        };
        match result {
            Ok(()) => {
                self.queue.clear();
                self.retry_at = None;
                if let Some(since) = self.failing_since.take() {
                    tracing::warn!(
                        failed_for_ms = now_ms - since,
                        committed = self.waited,
                        lost = self.lost,
                        "the alarm tables commit again; held changes and notification records are committed"
                    );
                    self.waited = 0;
                    self.lost = 0;
                }
            }
            Err(e) => {
                let error = format!("{e:#}");
                self.retry_at = Some(Instant::now() + RETRY_EVERY);
                if self.failing_since.is_none() {
                    self.failing_since = Some(now_ms);
                    self.waited = self.queue.len() as u64;
                    self.last_log = Some(Instant::now());
                    tracing::error!(error = %error, "cannot store alarm changes; holding them in memory, notifying anyway and retrying every second");
                    self.failed_with = error;
                } else if self
                    .last_log
                    .is_none_or(|t| t.elapsed() >= REPEAT_LOG_EVERY)
                {
                    self.last_log = Some(Instant::now());
                    tracing::error!(error = %error, held = self.queue.len(), "alarm tables still cannot be committed");
                }
            }
        }
    }

    /// Stopping: one last commit; what still cannot be committed is counted and logged as lost.
    pub fn finish(&mut self, db: &mut AlarmDb, now_ms: i64) {
        self.flush(db, now_ms);
        if self.failing_since.is_some() {
            let held = self.queue.len();
            tracing::error!(
                writes = held,
                lost_before = self.lost,
                "alarm changes and notification records could not be committed before the stop deadline and are lost"
            );
            self.queue.clear();
        }
    }

    fn recovered_text(&self, since: i64, now_ms: i64) -> String {
        let t = Journal::of(Language::Sv);
        let values = [
            ("secs", ((now_ms - since).max(0) / 1000).to_string()),
            ("saved", self.waited.to_string()),
            ("lost", self.lost.to_string()),
            ("max", MAX_HELD_WRITES.to_string()),
        ];
        fill(if self.lost > 0 { t.store_recovered_lost } else { t.store_recovered }, &values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(ts_ms: i64) -> Write {
        Write::Note {
            ts_ms,
            event: "test",
            detail: format!("at {ts_ms}"),
        }
    }

    #[test]
    fn writes_wait_while_the_store_fails_and_are_journalled_in_order_once_it_commits() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut db = AlarmDb::open(dir.path()).expect("open");
        let mut wb = WriteBehind::default();
        wb.push(&mut db, note(1), 1);
        assert_eq!(wb.held(), 0, "committed at once");

        // A second connection holds the write lock: commits fail, writes wait in order.
        let lock =
            rusqlite::Connection::open(driftvakt_store::shared::db_path(dir.path())).expect("lock conn");
        lock.execute_batch("BEGIN IMMEDIATE").expect("lock");
        wb.push(&mut db, note(2), 2);
        assert_eq!(wb.failing_since(), Some(2));
        wb.push(&mut db, note(3), 3);
        assert_eq!(wb.held(), 2);
        assert!(
            !wb.retry_due(Instant::now()),
            "retried after a pause, not at every write"
        );
        assert!(wb.retry_due(Instant::now() + RETRY_EVERY));
        wb.flush(&mut db, 4);
        assert_eq!(
            (wb.held(), wb.failing_since()),
            (2, Some(2)),
            "still locked"
        );

        lock.execute_batch("ROLLBACK").expect("unlock");
        wb.flush(&mut db, 6_000);
        assert_eq!((wb.held(), wb.failing_since()), (0, None));

        // A short spell (a moment's lock) leaves no notes of its own.
        lock.execute_batch("BEGIN IMMEDIATE").expect("lock again");
        wb.push(&mut db, note(7_000), 7_000);
        lock.execute_batch("ROLLBACK").expect("unlock");
        wb.flush(&mut db, 8_000);
        assert_eq!(wb.held(), 0);
        let j = db.journal(0, i64::MAX, None, 100).expect("journal");
        let got: Vec<(i64, &str)> = j.iter().map(|e| (e.time_ms, e.event.as_str())).collect();
        assert_eq!(
            got,
            [
                (1, "test"),
                (2, "store_failed"),
                (2, "test"),
                (3, "test"),
                (6_000, "store_recovered"),
                (7_000, "test")
            ]
        );
        assert!(
            j[1].detail
                .as_deref()
                .is_some_and(|d| d.contains("database is locked")),
            "{:?}",
            j[1].detail
        );
        assert!(
            j[4].detail
                .as_deref()
                .is_some_and(|d| d.contains("2 larmhändelser")),
            "{:?}",
            j[4].detail
        );
    }
}
