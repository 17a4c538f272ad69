//! The exercise routes: start, stop and note go to the exercise actor (bearer token, like ack);
//! the running run from the actor's watch; the runs of the last 400 days and one run by id from
//! the store through a read-only connection, off the async threads.

use std::path::PathBuf;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use driftvakt_domain::clock::{Clock, SystemClock};
use driftvakt_domain::exercise::Run;
use serde::Deserialize;

use super::state::{ApiState, ExerciseApi};
use super::reply::error;
use crate::exercise::command::{Command, CommandError};
use crate::exercise::store;

/// How far back `GET /api/exercise` lists runs.
pub const RECENT_DAYS: i64 = 400;

fn not_configured() -> Response {
    error(StatusCode::NOT_FOUND, "övningar är inte konfigurerade: daemonens konfiguration saknar [exercise] (no [exercise] in the daemon's configuration)")
}


/// Ask the exercise actor on behalf of a front end — the API's bodies and the web page's forms
/// alike: the command goes to the actor (which decides and records it) and what it decided is
/// logged with who asked.
pub(crate) async fn act(x: &ExerciseApi, via: &'static str, command: Command) -> Result<Run, CommandError> {
    let (action, by) = match &command {
        Command::Start { by, .. } => ("start", by.clone()),
        Command::Stop { by } => ("stop", by.clone()),
        Command::Note { by, .. } => ("note", by.clone()),
    };
    let r = x.handle.send(command).await;
    match &r {
        Ok(run) => tracing::debug!(via, action, by = %by, run = run.id, "exercise command done"),
        Err(e) => tracing::info!(via, action, by = %by, error = %e, "exercise command refused"),
    }
    r
}

fn answer(r: Result<Run, CommandError>) -> Response {
    match r {
        Ok(run) => Json(run).into_response(),
        Err(e @ CommandError::Refused(_)) => error(StatusCode::CONFLICT, e.to_string()),
        Err(e @ CommandError::Store(_)) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
        Err(e @ CommandError::Stopped) => error(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
    }
}

/// Read the store off the async threads.
async fn read<T: Send + 'static>(dir: PathBuf, f: impl FnOnce(&rusqlite::Connection) -> anyhow::Result<T> + Send + 'static) -> Result<T, Response> {
    let done = tokio::task::spawn_blocking(move || {
        let conn = driftvakt_store::shared::connect_read_only(&dir)?;
        if !store::has_tables(&conn)? {
            return Ok(None);
        }
        f(&conn).map(Some)
    })
    .await;
    match done {
        Ok(Ok(Some(v))) => Ok(v),
        Ok(Ok(None)) => Err(error(StatusCode::NOT_FOUND, "no exercise runs are stored yet")),
        Ok(Err(e)) => Err(error(StatusCode::INTERNAL_SERVER_ERROR, format!("reading the runs: {e:#}"))),
        Err(e) => Err(error(StatusCode::INTERNAL_SERVER_ERROR, format!("reading the runs: {e}"))),
    }
}

pub(super) async fn status(State(s): State<ApiState>) -> Response {
    let Some(x) = s.exercise else { return not_configured() };
    let now = SystemClock.now_ms();
    let from = now - RECENT_DAYS * 86_400_000;
    let runs = match read(x.data_dir.clone(), move |c| store::runs(c, from, i64::MAX)).await {
        Ok(mut runs) => {
            runs.reverse();
            runs
        }
        Err(_) => Vec::new(),
    };
    let active = x.handle.active();
    let body = serde_json::json!({ "active": active, "runs": runs });
    Json(body).into_response()
}

pub(super) async fn one(State(s): State<ApiState>, Path(id): Path<String>) -> Response {
    let Some(x) = s.exercise else { return not_configured() };
    let Ok(id) = id.parse::<i64>() else {
        return error(StatusCode::BAD_REQUEST, format!("run id {id:?} is not a number"));
    };
    match read(x.data_dir, move |c| store::run(c, id)).await {
        Ok(Some(run)) => Json(run).into_response(),
        Ok(None) => error(StatusCode::NOT_FOUND, format!("no run {id}")),
        Err(r) => r,
    }
}

/// Body of a start.
#[derive(Debug, Deserialize)]
pub(super) struct StartBody {
    /// `monthly`, `island` or `loadbank`.
    kind: String,
    /// The coordinator's name for it.
    name: String,
    /// Who starts it.
    by: String,
}

pub(super) async fn start(State(s): State<ApiState>, Json(b): Json<StartBody>) -> Response {
    match &s.exercise {
        Some(x) => answer(act(x, "api", Command::Start { kind: b.kind, name: b.name, by: b.by }).await),
        None => not_configured(),
    }
}

/// Body of a stop.
#[derive(Debug, Deserialize)]
pub(super) struct StopBody {
    /// Who stops it.
    by: String,
}

pub(super) async fn stop(State(s): State<ApiState>, Json(b): Json<StopBody>) -> Response {
    match &s.exercise {
        Some(x) => answer(act(x, "api", Command::Stop { by: b.by }).await),
        None => not_configured(),
    }
}

/// Body of a note.
#[derive(Debug, Deserialize)]
pub(super) struct NoteBody {
    /// Who writes it.
    by: String,
    /// The observation.
    text: String,
}

pub(super) async fn note(State(s): State<ApiState>, Json(b): Json<NoteBody>) -> Response {
    match &s.exercise {
        Some(x) => answer(act(x, "api", Command::Note { by: b.by, text: b.text }).await),
        None => not_configured(),
    }
}
