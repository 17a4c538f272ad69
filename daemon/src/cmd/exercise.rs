//! `driftvakt exercise start|stop|note|status`: reservkraftprov through the daemon's API (token
//! like `ack`); `status` also from a store directly (`--data DIR`, read-only), printed the same
//! way. Swedish first, `--lang en`.

use std::path::Path;

use anyhow::{Context, Result, bail};
use driftvakt_config::model::{ExerciseKind, Language};
use driftvakt_domain::clock::{Clock, SystemClock};
use driftvakt_domain::fmt::{local_datetime, number};
use driftvakt_domain::text::exercise_live::ExerciseLive;
use driftvakt_domain::text::fill;
use jiff::tz::TimeZone;
use serde::Deserialize;

use driftvakt_runtime::exercise::store;
use driftvakt_runtime::out::{out, outln};

use super::alarms::{check, client, table, tz};
use crate::cli::{ExerciseCommand, ExerciseKindArg, ExerciseNoteArgs, ExerciseStartArgs, ExerciseStatusArgs, ExerciseStopArgs};

/// How far back `status` lists runs.
const RECENT_DAYS: i64 = 400;

/// A note as the API and the store give it.
#[derive(Debug, Clone, Deserialize)]
struct NoteView {
    at_ms: i64,
    by: String,
    text: String,
}

/// A run as the API gives it (the JSON of `driftvakt_domain::exercise::Run`).
#[derive(Debug, Clone, Deserialize)]
struct RunView {
    id: i64,
    kind: String,
    name: String,
    started_by: String,
    started_ms: i64,
    stopped_ms: Option<i64>,
    stopped_by: Option<String>,
    #[serde(default)]
    notes: Vec<NoteView>,
}

/// `GET /api/exercise`, or the same read from a store.
#[derive(Debug, Deserialize)]
struct StatusView {
    active: Option<RunView>,
    runs: Vec<RunView>,
}

/// Run the sub-command.
pub fn run(command: &ExerciseCommand) -> Result<()> {
    match command {
        ExerciseCommand::Start(a) => start(a),
        ExerciseCommand::Stop(a) => stop(a),
        ExerciseCommand::Note(a) => note(a),
        ExerciseCommand::Status(a) => status(a),
    }
}

fn kind_key(k: ExerciseKindArg) -> &'static str {
    match k {
        ExerciseKindArg::Monthly => ExerciseKind::Monthly.key(),
        ExerciseKindArg::Island => ExerciseKind::Island.key(),
        ExerciseKindArg::Loadbank => ExerciseKind::Loadbank.key(),
    }
}

/// A kind in words (its keyword when unknown).
fn kind_label(key: &str, lang: Language) -> String {
    let _ = lang; // TODO(ex-domain merge): driftvakt_domain::text::exercise::kind_label
    ExerciseKind::from_key(key).map_or_else(|| key.to_string(), |k| k.key().to_string())
}

fn user(by: Option<&String>) -> String {
    by.cloned().or_else(|| std::env::var("USER").ok()).unwrap_or_else(|| "okänd".into())
}

fn minutes(ms: i64, lang: Language) -> String {
    format!("{} min", number((ms.max(0) as f64 / 60_000.0).floor(), 0, lang))
}

fn post(api: &crate::cli::ApiArgs, path: &str, body: &serde_json::Value) -> Result<RunView> {
    let answer = check(client(api)?.request("POST", path, Some(body))?)?;
    serde_json::from_value(answer).context("unexpected answer from the API")
}

fn start(a: &ExerciseStartArgs) -> Result<()> {
    let body = serde_json::json!({ "kind": kind_key(a.kind), "name": a.name, "by": a.by });
    let run = post(&a.api, "/api/exercise/start", &body)?;
    let t = ExerciseLive::of(a.lang);
    let line = fill(
        t.started,
        &[
            ("id", run.id.to_string()),
            ("name", run.name.clone()),
            ("kind", kind_label(&run.kind, a.lang)),
            ("by", run.started_by.clone()),
            ("time", local_datetime(run.started_ms, &tz(&a.api))),
        ],
    );
    outln!("{line}")?;
    Ok(())
}

fn stop(a: &ExerciseStopArgs) -> Result<()> {
    let run = post(&a.api, "/api/exercise/stop", &serde_json::json!({ "by": user(a.by.as_ref()) }))?;
    let t = ExerciseLive::of(a.lang);
    let end = run.stopped_ms.unwrap_or(run.started_ms);
    let line = fill(
        t.stopped,
        &[
            ("id", run.id.to_string()),
            ("name", run.name.clone()),
            ("by", run.stopped_by.clone().unwrap_or_default()),
            ("time", local_datetime(end, &tz(&a.api))),
            ("duration", minutes(end - run.started_ms, a.lang)),
        ],
    );
    outln!("{line}")?;
    Ok(())
}

fn note(a: &ExerciseNoteArgs) -> Result<()> {
    let run = post(&a.api, "/api/exercise/note", &serde_json::json!({ "by": user(a.by.as_ref()), "text": a.text }))?;
    let text = run.notes.last().map_or_else(|| a.text.clone(), |n| n.text.clone());
    outln!("{}", fill(ExerciseLive::of(a.lang).noted, &[("id", run.id.to_string()), ("text", text)]))?;
    Ok(())
}

/// The running run and recent runs of the store in `dir`, read-only.
fn from_store(dir: &Path) -> Result<serde_json::Value> {
    let conn = driftvakt_store::shared::connect_read_only(dir).with_context(|| format!("reading the store in {}", dir.display()))?;
    if !store::has_tables(&conn)? {
        bail!("{} has no exercise runs: no daemon with [exercise] ran on this store", dir.display());
    }
    let active = store::active(&conn)?;
    let from = SystemClock.now_ms() - RECENT_DAYS * 86_400_000;
    let mut runs = store::runs(&conn, from, i64::MAX)?;
    runs.reverse();
    Ok(serde_json::json!({ "active": active, "runs": runs }))
}

fn status(a: &ExerciseStatusArgs) -> Result<()> {
    let body = match &a.data {
        Some(dir) => {
            let body = from_store(dir)?;
            eprintln!("{}", fill(ExerciseLive::of(a.lang).from_store, &[("dir", dir.display().to_string())]));
            body
        }
        None => check(client(&a.api)?.request("GET", "/api/exercise", None)?)?,
    };
    if a.json {
        outln!("{}", serde_json::to_string_pretty(&body)?)?;
        return Ok(());
    }
    let view: StatusView = serde_json::from_value(body).context("unexpected answer from the API")?;
    out!("{}", render(&view, a.lang, &tz(&a.api), SystemClock.now_ms()))?;
    Ok(())
}

fn render(view: &StatusView, lang: Language, tz: &TimeZone, now_ms: i64) -> String {
    let t = ExerciseLive::of(lang);
    let mut out = String::new();
    match &view.active {
        Some(r) => {
            out.push_str(&fill(
                t.running,
                &[
                    ("id", r.id.to_string()),
                    ("name", r.name.clone()),
                    ("kind", kind_label(&r.kind, lang)),
                    ("by", r.started_by.clone()),
                    ("time", local_datetime(r.started_ms, tz)),
                    ("duration", minutes(now_ms - r.started_ms, lang)),
                ],
            ));
            out.push('\n');
            for n in &r.notes {
                out.push_str(&fill(t.note_line, &[("time", local_datetime(n.at_ms, tz)), ("by", n.by.clone()), ("text", n.text.clone())]));
                out.push('\n');
            }
        }
        None => {
            out.push_str(t.none_running);
            out.push('\n');
        }
    }
    out.push('\n');
    if view.runs.is_empty() {
        out.push_str(t.no_runs);
        out.push('\n');
        return out;
    }
    out.push_str(t.recent);
    out.push('\n');
    let mut rows = vec![t.columns.map(String::from).to_vec()];
    for r in &view.runs {
        rows.push(vec![
            r.id.to_string(),
            kind_label(&r.kind, lang),
            r.name.clone(),
            local_datetime(r.started_ms, tz),
            r.stopped_ms.map_or_else(|| t.still_running.to_string(), |s| local_datetime(s, tz)),
            match &r.stopped_by {
                Some(s) if s != &r.started_by => format!("{} / {s}", r.started_by),
                _ => r.started_by.clone(),
            },
            r.notes.len().to_string(),
        ]);
    }
    out.push_str(&table(&rows));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_shows_the_running_run_its_notes_and_the_recent_runs() {
        let body = serde_json::json!({
            "active": { "id": 2, "kind": "monthly", "name": "Månadsprov mars", "started_by": "Anna", "started_ms": 0, "stopped_ms": null, "stopped_by": null,
                        "notes": [{ "at_ms": 60_000, "by": "Bo", "text": "G1 startade" }] },
            "runs": [
                { "id": 2, "kind": "monthly", "name": "Månadsprov mars", "started_by": "Anna", "started_ms": 0, "stopped_ms": null, "stopped_by": null, "notes": [] },
                { "id": 1, "kind": "outage", "name": "Strömavbrott", "started_by": "driftvakt", "started_ms": -86_400_000, "stopped_ms": -86_000_000, "stopped_by": "driftvakt", "notes": [] }
            ]
        });
        let view: StatusView = serde_json::from_value(body).expect("view");
        let sv = render(&view, Language::Sv, &TimeZone::UTC, 12 * 60_000);
        assert!(sv.starts_with("Pågår: körning 2, Månadsprov mars"), "{sv}");
        assert!(sv.contains("12 min sedan"), "{sv}");
        assert!(sv.contains("Bo: G1 startade"), "{sv}");
        assert!(sv.contains("pågår"), "{sv}");
        let en = render(&view, Language::En, &TimeZone::UTC, 12 * 60_000);
        assert!(en.starts_with("Running: run 2"), "{en}");
        assert!(en.contains("Recent runs:"), "{en}");
    }
}
