//! Exercise and outage runs in the embedded store (`driftvakt.db`, beside the alarm tables):
//! one row per run, its notes. A run is written when it starts, so after a crash or SIGKILL the
//! daemon finds it still running; its events are not stored — the report rebuilds them from the
//! stored readings (`driftvakt_domain::exercise::Timeline`), so nothing can disagree.

use std::path::Path;

use anyhow::{Context, Result, bail};
use driftvakt_config::model::ExerciseKind;
use driftvakt_domain::exercise::{Note, Run};
use driftvakt_store::shared;
use rusqlite::{Connection, OptionalExtension, params};

/// Create the exercise tables if missing. Idempotent.
pub fn create(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS exercise_runs (
             id INTEGER PRIMARY KEY,
             kind TEXT NOT NULL,
             name TEXT NOT NULL,
             started_by TEXT NOT NULL,
             started_ms INTEGER NOT NULL,
             stopped_ms INTEGER,
             stopped_by TEXT
         );
         CREATE TABLE IF NOT EXISTS exercise_notes (
             run INTEGER NOT NULL,
             ts_ms INTEGER NOT NULL,
             by TEXT NOT NULL,
             text TEXT NOT NULL
         );
         CREATE INDEX IF NOT EXISTS exercise_notes_run ON exercise_notes(run, ts_ms);",
    )
}

/// The writing side: the exercise actor's own connection.
pub struct ExerciseDb {
    conn: Connection,
}

impl ExerciseDb {
    /// Open (or create) the exercise tables in the store of `data_dir`.
    pub fn open(data_dir: &Path) -> Result<ExerciseDb> {
        std::fs::create_dir_all(data_dir)?;
        let conn = shared::connect(data_dir)?;
        create(&conn)?;
        Ok(ExerciseDb { conn })
    }

    /// Record a new run; refused while another one runs.
    pub fn start(&mut self, kind: ExerciseKind, name: &str, by: &str, at_ms: i64) -> Result<Run> {
        if let Some(active) = active(&self.conn)? {
            bail!("run {} ({}) is still running", active.id, active.name);
        }
        self.conn.execute(
            "INSERT INTO exercise_runs(kind, name, started_by, started_ms) VALUES (?1, ?2, ?3, ?4)",
            params![kind.key(), name, by, at_ms],
        )?;
        let id = self.conn.last_insert_rowid();
        run(&self.conn, id)?.context("run just written is missing")
    }

    /// Stop the running run, if any; returns it as stopped.
    pub fn stop(&mut self, by: &str, at_ms: i64) -> Result<Option<Run>> {
        let Some(active) = active(&self.conn)? else { return Ok(None) };
        self.conn.execute(
            "UPDATE exercise_runs SET stopped_ms = ?1, stopped_by = ?2 WHERE id = ?3",
            params![at_ms.max(active.started_ms), by, active.id],
        )?;
        run(&self.conn, active.id)
    }

    /// Add a note to the running run; an error when none runs.
    pub fn note(&mut self, by: &str, text: &str, at_ms: i64) -> Result<Run> {
        let active = active(&self.conn)?.context("no exercise is running")?;
        self.conn.execute(
            "INSERT INTO exercise_notes(run, ts_ms, by, text) VALUES (?1, ?2, ?3, ?4)",
            params![active.id, at_ms, by, text],
        )?;
        run(&self.conn, active.id)?.context("run vanished")
    }

    /// The running run, if any.
    pub fn active(&self) -> Result<Option<Run>> {
        active(&self.conn)
    }

    /// The connection, for reads.
    pub fn conn(&self) -> &Connection {
        &self.conn
    }
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(Run, String)> {
    let kind: String = r.get(1)?;
    Ok((
        Run {
            id: r.get(0)?,
            kind: ExerciseKind::Monthly,
            name: r.get(2)?,
            started_by: r.get(3)?,
            started_ms: r.get(4)?,
            stopped_ms: r.get(5)?,
            stopped_by: r.get(6)?,
            notes: Vec::new(),
        },
        kind,
    ))
}

const COLUMNS: &str = "id, kind, name, started_by, started_ms, stopped_ms, stopped_by";

fn finish(conn: &Connection, (mut run, kind): (Run, String)) -> Result<Run> {
    run.kind = ExerciseKind::from_key(&kind).with_context(|| format!("run {}: unknown kind {kind:?}", run.id))?;
    let mut stmt = conn.prepare_cached("SELECT ts_ms, by, text FROM exercise_notes WHERE run = ?1 ORDER BY ts_ms, rowid")?;
    run.notes = stmt
        .query_map([run.id], |r| Ok(Note { at_ms: r.get(0)?, by: r.get(1)?, text: r.get(2)? }))?
        .collect::<Result<_, _>>()?;
    Ok(run)
}

/// The running run, if any (the newest without a stop).
pub fn active(conn: &Connection) -> Result<Option<Run>> {
    let sql = format!("SELECT {COLUMNS} FROM exercise_runs WHERE stopped_ms IS NULL ORDER BY id DESC LIMIT 1");
    let found = conn.query_row(&sql, [], row).optional()?;
    found.map(|f| finish(conn, f)).transpose()
}

/// One run by id.
pub fn run(conn: &Connection, id: i64) -> Result<Option<Run>> {
    let sql = format!("SELECT {COLUMNS} FROM exercise_runs WHERE id = ?1");
    let found = conn.query_row(&sql, [id], row).optional()?;
    found.map(|f| finish(conn, f)).transpose()
}

/// Every run that started in `[from_ms, to_ms)`, oldest first.
pub fn runs(conn: &Connection, from_ms: i64, to_ms: i64) -> Result<Vec<Run>> {
    if !has_tables(conn)? {
        return Ok(Vec::new());
    }
    let sql = format!("SELECT {COLUMNS} FROM exercise_runs WHERE started_ms >= ?1 AND started_ms < ?2 ORDER BY started_ms, id");
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map(params![from_ms, to_ms], row)?.collect::<Result<Vec<_>, _>>()?;
    rows.into_iter().map(|f| finish(conn, f)).collect()
}

/// Whether the store has the exercise tables (a store from before them has none: no runs).
pub fn has_tables(conn: &Connection) -> Result<bool> {
    let n: i64 = conn.query_row(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'exercise_runs'",
        [],
        |r| r.get(0),
    )?;
    Ok(n > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_survives_reopening_and_keeps_its_notes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut db = ExerciseDb::open(dir.path()).expect("open");
        let started = db.start(ExerciseKind::Monthly, "Månadsprov", "Anna", 1_000).expect("start");
        assert!(db.start(ExerciseKind::Island, "again", "Anna", 2_000).is_err(), "one run at a time");
        db.note("Anna", "G1 startade", 3_000).expect("note");
        drop(db);
        let mut db = ExerciseDb::open(dir.path()).expect("reopen");
        let active = db.active().expect("active").expect("still running after reopening");
        assert_eq!(active.id, started.id);
        assert_eq!(active.notes.len(), 1);
        let stopped = db.stop("Bo", 9_000).expect("stop").expect("was running");
        assert_eq!((stopped.stopped_ms, stopped.stopped_by.as_deref()), (Some(9_000), Some("Bo")));
        assert!(db.active().expect("active").is_none());
        assert_eq!(runs(db.conn(), 0, 10_000).expect("runs").len(), 1);
        assert!(db.note("Bo", "late", 10_000).is_err(), "no note without a running run");
    }
}
