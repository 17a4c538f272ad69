//! Alarm tables in the embedded store (`driftvakt.db`, next to the readings): current state of
//! every alarm, incidents, the journal, and the notification outbox. The alarm actor owns the
//! one connection that writes them (WAL mode, so the readings writer and readers go on).
//! The actor hands every decision and delivery record over as a [`Write`]; [`AlarmDb::apply`]
//! commits a run of them in one transaction, so when the store fails (disk full) the actor
//! holds them in memory and commits them, in order, once it can.

use std::path::Path;

use driftvakt_domain::alarm::incident::Incident;
use driftvakt_domain::alarm::model::{AlarmRecord, Change, ChangeKind};
use rusqlite::{Connection, params};
use serde::Serialize;

use driftvakt_store::shared;
use driftvakt_config::model::Language;
use driftvakt_domain::fmt::rfc3339_utc;
use driftvakt_domain::text::fill;
use driftvakt_domain::text::journal::Journal;

/// Create the alarm tables if missing. Idempotent.
pub fn create(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = NORMAL;
         CREATE TABLE IF NOT EXISTS alarm_state (
             id         TEXT PRIMARY KEY,
             state      TEXT NOT NULL,
             record     TEXT NOT NULL,   -- JSON of AlarmRecord
             changed_ms INTEGER NOT NULL
         );
         CREATE TABLE IF NOT EXISTS alarm_incidents (
             id        INTEGER PRIMARY KEY,
             opened_ms INTEGER NOT NULL,
             alarms    TEXT NOT NULL     -- JSON array of alarm ids, the cause first
         );
         CREATE TABLE IF NOT EXISTS alarm_journal (
             seq      INTEGER PRIMARY KEY AUTOINCREMENT,
             ts_ms    INTEGER NOT NULL,
             alarm    TEXT,
             incident INTEGER,
             event    TEXT NOT NULL,
             state    TEXT,
             by       TEXT,
             comment  TEXT,
             detail   TEXT,
             expected_run INTEGER           -- the exercise run that explained the alarm, if one
         );
         CREATE INDEX IF NOT EXISTS alarm_journal_ts ON alarm_journal(ts_ms);
         CREATE TABLE IF NOT EXISTS alarm_outbox (
             id           INTEGER PRIMARY KEY AUTOINCREMENT,
             created_ms   INTEGER NOT NULL,
             channel      TEXT NOT NULL,   -- the notifier's key: email | mqtt
             target       TEXT NOT NULL,   -- recipient group, or MQTT topic
             incident     INTEGER,
             kind         TEXT NOT NULL,   -- email kind, or state | event | status
             alarm        TEXT,
             payload      TEXT,            -- MQTT payload; e-mail text once rendered
             retain       INTEGER NOT NULL DEFAULT 0,
             due_ms       INTEGER NOT NULL,
             attempts     INTEGER NOT NULL DEFAULT 0,
             last_error   TEXT,
             delivered_ms INTEGER
         );
         CREATE INDEX IF NOT EXISTS alarm_outbox_pending ON alarm_outbox(channel, delivered_ms, due_ms);",
    )?;
    // A journal from before exercises has no expected_run column: add it (its rows stay NULL).
    if !has_expected_run(conn)? {
        conn.execute_batch("ALTER TABLE alarm_journal ADD COLUMN expected_run INTEGER")?;
    }
    Ok(())
}

/// Whether the journal has the `expected_run` column (a store from before exercises has not).
fn has_expected_run(conn: &Connection) -> rusqlite::Result<bool> {
    let n: i64 = conn.query_row(
        "SELECT count(*) FROM pragma_table_info('alarm_journal') WHERE name = 'expected_run'",
        [],
        |r| r.get(0),
    )?;
    Ok(n > 0)
}

/// A notification to queue.
#[derive(Debug, Clone, PartialEq)]
pub struct NewOutbox {
    /// Key of the notifier that delivers it (`email`, `mqtt`).
    pub channel: &'static str,
    /// Recipient group (e-mail) or topic (MQTT).
    pub target: String,
    /// Incident it belongs to.
    pub incident: Option<i64>,
    /// E-mail kind, or `state` / `event` for MQTT.
    pub kind: String,
    /// Alarm it concerns: a message about a change; `None` for a plan message about an incident.
    pub alarm: Option<String>,
    /// Payload (MQTT), rendered at send time for e-mail.
    pub payload: Option<String>,
    /// Retained (MQTT state).
    pub retain: bool,
    /// When it may be sent, UTC ms.
    pub due_ms: i64,
}

/// One write to the alarm tables, in the order the actor decided it.
#[derive(Debug, Clone)]
pub enum Write {
    /// Alarm changes (state and journal), the incidents they touched, and the notifications
    /// queued with them (with the ids the actor gave them).
    Decision {
        /// Changes.
        changes: Vec<Change>,
        /// Incidents touched.
        incidents: Vec<Incident>,
        /// Notifications queued, with their ids.
        outbox: Vec<(i64, NewOutbox)>,
        /// When it was decided, UTC ms.
        now_ms: i64,
    },
    /// One delivery attempt of an outbox row, and its journal entry.
    Attempt {
        /// The row as it was attempted.
        row: OutboxRow,
        /// The outcome.
        result: Result<(), String>,
        /// Journal text (channel, recipients).
        detail: String,
        /// When, UTC ms.
        now_ms: i64,
        /// When it is due again after a failure, UTC ms.
        retry_ms: i64,
    },
    /// The rendered text of an e-mail (what was attempted is what the journal shows).
    Payload {
        /// Outbox row id.
        id: i64,
        /// Subject and body.
        payload: String,
    },
    /// A journal entry of the daemon itself (e.g. the store failing and recovering).
    Note {
        /// When, UTC ms.
        ts_ms: i64,
        /// Event code.
        event: &'static str,
        /// Text.
        detail: String,
    },
}

/// A queued notification, as read back.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxRow {
    /// Row id.
    pub id: i64,
    /// Key of the notifier that delivers it (`email`, `mqtt`).
    pub channel: String,
    /// Recipient group or topic.
    pub target: String,
    /// Incident.
    pub incident: Option<i64>,
    /// Kind.
    pub kind: String,
    /// Alarm.
    pub alarm: Option<String>,
    /// Payload.
    pub payload: Option<String>,
    /// Retained.
    pub retain: bool,
    /// Attempts so far.
    pub attempts: i64,
    /// When it was delivered.
    pub delivered_ms: Option<i64>,
}

/// One journal entry.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct JournalEntry {
    /// Sequence number.
    pub seq: i64,
    /// When, UTC ms.
    pub time_ms: i64,
    /// When, RFC 3339 UTC.
    pub time: String,
    /// Alarm id, if it concerns one.
    pub alarm: Option<String>,
    /// Incident, if any.
    pub incident: Option<i64>,
    /// `activated`, `cleared`, `acked`, `shelved`, `unshelved`, `notify_sent`, `notify_failed`.
    pub event: String,
    /// State after the event.
    pub state: Option<String>,
    /// Operator.
    pub by: Option<String>,
    /// Comment, reason.
    pub comment: Option<String>,
    /// Text, recipients, error.
    pub detail: Option<String>,
    /// The exercise run that explained this activation (or clear): shown and journalled, not
    /// notified. `None` for every other entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_run: Option<i64>,
}

/// The alarm tables, through the alarm actor's own connection.
pub struct AlarmDb {
    conn: Connection,
}

const OUTBOX_COLS: &str = "id, channel, target, incident, kind, alarm, payload, retain, attempts, delivered_ms";

fn outbox_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<OutboxRow> {
    Ok(OutboxRow {
        id: r.get(0)?,
        channel: r.get(1)?,
        target: r.get(2)?,
        incident: r.get(3)?,
        kind: r.get(4)?,
        alarm: r.get(5)?,
        payload: r.get(6)?,
        retain: r.get::<_, i64>(7)? != 0,
        attempts: r.get(8)?,
        delivered_ms: r.get(9)?,
    })
}

impl AlarmDb {
    /// Open (or create) the alarm tables in the store of `data_dir`.
    pub fn open(data_dir: &Path) -> anyhow::Result<AlarmDb> {
        std::fs::create_dir_all(data_dir)?;
        let conn = shared::connect(data_dir)?;
        create(&conn)?;
        Ok(AlarmDb { conn })
    }

    /// Every persisted alarm record and the last incidents (oldest first).
    pub fn load(&self) -> anyhow::Result<(Vec<AlarmRecord>, Vec<Incident>)> {
        let records = records(&self.conn)?;
        let mut stmt = self.conn.prepare("SELECT id, opened_ms, alarms FROM (SELECT * FROM alarm_incidents ORDER BY id DESC LIMIT 200) ORDER BY id")?;
        let incidents = stmt
            .query_map([], |r| {
                let alarms: String = r.get(2)?;
                Ok(Incident { id: r.get(0)?, opened_ms: r.get(1)?, alarms: serde_json::from_str(&alarms).unwrap_or_default() })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok((records, incidents))
    }

    /// Commit changes, the incidents they touched, their journal entries and notifications, at once.
    pub fn commit(&mut self, changes: &[Change], incidents: &[&Incident], outbox: &[NewOutbox], now_ms: i64) -> anyhow::Result<()> {
        let tx = self.conn.transaction()?;
        decision(&tx, changes, incidents.iter().copied(), outbox.iter().map(|o| (None, o)), now_ms)?;
        tx.commit()?;
        Ok(())
    }

    /// Commit `writes` in order, in one transaction: all or nothing.
    pub fn apply<'a>(&mut self, writes: impl IntoIterator<Item = &'a Write>) -> anyhow::Result<()> {
        let tx = self.conn.transaction()?;
        for w in writes {
            match w {
                Write::Decision { changes, incidents, outbox, now_ms } => {
                    decision(&tx, changes, incidents.iter(), outbox.iter().map(|(id, o)| (Some(*id), o)), *now_ms)?;
                }
                Write::Attempt { row, result, detail, now_ms, retry_ms } => attempt(&tx, row, result, detail, *now_ms, *retry_ms)?,
                Write::Payload { id, payload } => {
                    tx.execute("UPDATE alarm_outbox SET payload = ?2 WHERE id = ?1", params![id, payload])?;
                }
                Write::Note { ts_ms, event, detail } => {
                    tx.execute("INSERT INTO alarm_journal(ts_ms, event, detail) VALUES (?1, ?2, ?3)", params![ts_ms, event, detail])?;
                }
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Every undelivered notification with the time it is due, oldest first.
    pub fn undelivered(&self) -> anyhow::Result<Vec<(OutboxRow, i64)>> {
        let sql = format!("SELECT {OUTBOX_COLS}, due_ms FROM alarm_outbox WHERE delivered_ms IS NULL ORDER BY id");
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map([], |r| Ok((outbox_row(r)?, r.get(10)?)))?.collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// The highest outbox row id ever given (0 if none): the actor numbers new rows after it.
    pub fn last_outbox_id(&self) -> anyhow::Result<i64> {
        let max: i64 = self.conn.query_row("SELECT coalesce(max(id), 0) FROM alarm_outbox", [], |r| r.get(0))?;
        let seq: i64 = self
            .conn
            .query_row("SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'alarm_outbox'), 0)", [], |r| r.get(0))
            .unwrap_or(0);
        Ok(max.max(seq))
    }

    /// Forget delivered notifications older than `before_ms` (the journal keeps their record).
    pub fn prune_delivered(&self, before_ms: i64) -> anyhow::Result<usize> {
        Ok(self.conn.execute("DELETE FROM alarm_outbox WHERE delivered_ms IS NOT NULL AND delivered_ms < ?1", [before_ms])?)
    }

    /// Every plan message row of `channel` (incident, group, kind, delivered), for rebuilding the planner.
    pub fn plan_rows(&self, channel: &str) -> anyhow::Result<Vec<(i64, String, String, bool)>> {
        let mut stmt = self.conn.prepare("SELECT incident, target, kind, delivered_ms IS NOT NULL FROM alarm_outbox WHERE channel = ?1 AND incident IS NOT NULL")?;
        let rows = stmt.query_map([channel], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?.collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Journal entries in `[from_ms, to_ms)`, optionally of one alarm, oldest first, at most `limit`.
    pub fn journal(&self, from_ms: i64, to_ms: i64, alarm: Option<&str>, limit: i64) -> anyhow::Result<Vec<JournalEntry>> {
        journal(&self.conn, from_ms, to_ms, alarm, limit)
    }

    /// Undelivered notifications of `channel`.
    #[cfg(test)]
    pub fn pending(&self, channel: &str) -> anyhow::Result<i64> {
        Ok(self.conn.query_row("SELECT COUNT(*) FROM alarm_outbox WHERE channel = ?1 AND delivered_ms IS NULL", [channel], |r| r.get(0))?)
    }
}

/// Every persisted alarm record, on any connection (the daemon's, or a read-only one); an
/// unreadable one is logged and left out (the daemon starts it as normal).
pub fn records(conn: &Connection) -> anyhow::Result<Vec<AlarmRecord>> {
    let mut stmt = conn.prepare("SELECT id, record FROM alarm_state")?;
    let mut records = Vec::new();
    for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))? {
        let (id, json) = row?;
        match serde_json::from_str::<AlarmRecord>(&json) {
            Ok(rec) => records.push(rec),
            Err(e) => tracing::warn!(alarm = %id, error = %e, "unreadable persisted alarm state; starting it as normal"),
        }
    }
    Ok(records)
}

/// Whether the store behind `conn` has alarm tables (the alarm service ran on it at least once).
pub fn has_alarm_tables(conn: &Connection) -> anyhow::Result<bool> {
    let n: i64 = conn.query_row("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('alarm_state', 'alarm_journal')", [], |r| r.get(0))?;
    Ok(n == 2)
}

/// Most journal entries a query returns unless it asks for another limit (API and CLI).
pub const DEFAULT_JOURNAL_LIMIT: i64 = 10_000;

/// Changes, incidents and queued notifications (with the actor's ids, or new ones) in `tx`.
fn decision<'a>(
    tx: &rusqlite::Transaction<'_>,
    changes: &[Change],
    incidents: impl Iterator<Item = &'a Incident>,
    outbox: impl Iterator<Item = (Option<i64>, &'a NewOutbox)>,
    now_ms: i64,
) -> anyhow::Result<()> {
    for c in changes {
        let r = &c.record;
        tx.execute(
            "INSERT INTO alarm_state(id, state, record, changed_ms) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(id) DO UPDATE SET state = excluded.state, record = excluded.record, changed_ms = excluded.changed_ms",
            params![r.id, r.state.key(), serde_json::to_string(r)?, r.changed_ms],
        )?;
        let expected = match c.kind {
            ChangeKind::Activated | ChangeKind::Cleared => r.expected_run,
            _ => None,
        };
        let detail = match c.kind {
            ChangeKind::Activated => Some(match r.expected_run {
                Some(run) => fill(Journal::of(Language::Sv).expected, &[("text", r.text.clone()), ("run", run.to_string())]),
                None => r.text.clone(),
            }),
            ChangeKind::Cleared => Some(r.text.clone()),
            ChangeKind::Shelved => r.shelved.as_ref().map(|s| fill(Journal::of(Language::Sv).shelved_until, &[("until", rfc3339_utc(s.until_ms))])),
            _ => None,
        };
        tx.execute(
            "INSERT INTO alarm_journal(ts_ms, alarm, incident, event, state, by, comment, detail, expected_run) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![c.at_ms, r.id, r.incident, c.kind.key(), r.state.key(), c.by, c.comment, detail, expected],
        )?;
    }
    for i in incidents {
        tx.execute(
            "INSERT INTO alarm_incidents(id, opened_ms, alarms) VALUES (?1, ?2, ?3)
             ON CONFLICT(id) DO UPDATE SET alarms = excluded.alarms",
            params![i.id, i.opened_ms, serde_json::to_string(&i.alarms)?],
        )?;
    }
    for (id, o) in outbox {
        // OR IGNORE: a row already committed (by id) is never queued twice.
        tx.execute(
            "INSERT OR IGNORE INTO alarm_outbox(id, created_ms, channel, target, incident, kind, alarm, payload, retain, due_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![id, now_ms, o.channel, o.target, o.incident, o.kind, o.alarm, o.payload, i64::from(o.retain), o.due_ms],
        )?;
    }
    Ok(())
}

/// One delivery attempt: delivered, or failed and due again at `retry_ms`; journalled.
fn attempt(tx: &rusqlite::Transaction<'_>, row: &OutboxRow, result: &Result<(), String>, detail: &str, now_ms: i64, retry_ms: i64) -> anyhow::Result<()> {
    match result {
        Ok(()) => {
            tx.execute("UPDATE alarm_outbox SET attempts = attempts + 1, delivered_ms = ?2, last_error = NULL WHERE id = ?1", params![row.id, now_ms])?;
        }
        Err(e) => {
            tx.execute("UPDATE alarm_outbox SET attempts = attempts + 1, due_ms = ?2, last_error = ?3 WHERE id = ?1", params![row.id, retry_ms, e])?;
        }
    }
    let (event, comment) = match result {
        Ok(()) => ("notify_sent", None),
        Err(e) => ("notify_failed", Some(e.clone())),
    };
    tx.execute(
        "INSERT INTO alarm_journal(ts_ms, alarm, incident, event, state, by, comment, detail) VALUES (?1, ?2, ?3, ?4, NULL, NULL, ?5, ?6)",
        params![now_ms, row.alarm, row.incident, event, comment, fill(Journal::of(Language::Sv).attempt, &[("detail", detail.to_string()), ("attempt", (row.attempts + 1).to_string())])],
    )?;
    Ok(())
}

/// Journal query on any connection (the daemon's, or a read-only one).
pub fn journal(conn: &Connection, from_ms: i64, to_ms: i64, alarm: Option<&str>, limit: i64) -> anyhow::Result<Vec<JournalEntry>> {
    // A store from before exercises, opened read-only, has no expected_run column.
    let expected = if has_expected_run(conn)? { "expected_run" } else { "NULL" };
    let mut stmt = conn.prepare(&format!(
        "SELECT seq, ts_ms, alarm, incident, event, state, by, comment, detail, {expected} FROM alarm_journal
         WHERE ts_ms >= ?1 AND ts_ms < ?2 AND (?3 IS NULL OR alarm = ?3) ORDER BY seq LIMIT ?4"
    ))?;
    let rows = stmt
        .query_map(params![from_ms, to_ms, alarm, limit], |r| {
            let ts: i64 = r.get(1)?;
            Ok(JournalEntry {
                seq: r.get(0)?,
                time_ms: ts,
                time: rfc3339_utc(ts),
                alarm: r.get(2)?,
                incident: r.get(3)?,
                event: r.get(4)?,
                state: r.get(5)?,
                by: r.get(6)?,
                comment: r.get(7)?,
                detail: r.get(8)?,
                expected_run: r.get(9)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use driftvakt_config::model::{AlarmClass, System};
    use driftvakt_domain::alarm::AlarmState;

    use super::*;

    #[test]
    fn state_journal_and_outbox_survive_reopening() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut db = AlarmDb::open(dir.path()).expect("open");
        let mut rec = AlarmRecord::normal("a.b.state", AlarmClass::A, System::Reservkraft, "Nät bortfall", "Mains lost");
        rec.state = AlarmState::ActiveUnacked;
        rec.incident = Some(1);
        let change = Change { kind: ChangeKind::Activated, from: AlarmState::Normal, record: rec.clone(), at_ms: 10, by: None, comment: None, opened_incident: true };
        let inc = Incident { id: 1, opened_ms: 10, alarms: vec!["a.b.state".into()] };
        let mail = NewOutbox { channel: "email", target: "jour".into(), incident: Some(1), kind: "incident".into(), alarm: None, payload: None, retain: false, due_ms: 1010 };
        let decision = Write::Decision { changes: vec![change], incidents: vec![inc.clone()], outbox: vec![(7, mail)], now_ms: 10 };
        db.apply([&decision]).expect("commit");
        let (row, due) = db.undelivered().expect("undelivered").pop().expect("a row");
        assert_eq!((row.id, due), (7, 1010));
        let failed = Write::Attempt { row, result: Err("connection refused".into()), detail: "e-post till jour".into(), now_ms: 1010, retry_ms: 2010 };
        db.apply([&failed]).expect("attempt");
        assert_eq!(db.last_outbox_id().expect("last id"), 7);
        drop(db);

        let mut db = AlarmDb::open(dir.path()).expect("reopen");
        let (records, incidents) = db.load().expect("load");
        assert_eq!(records, [rec]);
        assert_eq!(incidents, [inc]);
        let (row, due) = db.undelivered().expect("undelivered").pop().expect("still pending");
        assert_eq!((row.attempts, due), (1, 2010));
        db.apply([&Write::Attempt { row, result: Ok(()), detail: "e-post till jour".into(), now_ms: 2010, retry_ms: 0 }]).expect("attempt");
        assert_eq!(db.pending("email").expect("pending"), 0);
        let j = db.journal(0, i64::MAX, None, 100).expect("journal");
        let events: Vec<&str> = j.iter().map(|e| e.event.as_str()).collect();
        assert_eq!(events, ["activated", "notify_failed", "notify_sent"]);
        assert_eq!(j[1].comment.as_deref(), Some("connection refused"));
    }
}
