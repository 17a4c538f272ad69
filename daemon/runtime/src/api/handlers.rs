//! Handlers of the operator API.


use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use driftvakt_config::model::Language;
use driftvakt_domain::alarm::{AlarmError, AlarmRecord};
use driftvakt_domain::clock::{Clock, SystemClock};
use driftvakt_domain::text::alarm::Alarms;
use serde::Deserialize;

use super::reply::error;
use super::state::ApiState;
use crate::alarm::service::Stopped;

fn stopped(_: Stopped) -> Response {
    error(StatusCode::SERVICE_UNAVAILABLE, "larmtjänsten stannar")
}

fn refused(e: AlarmError) -> Response {
    let status = match e {
        AlarmError::Unknown(_) => StatusCode::NOT_FOUND,
        AlarmError::NothingToAck { .. } => StatusCode::CONFLICT,
        AlarmError::BadRequest(_) => StatusCode::BAD_REQUEST,
    };
    error(status, e.to_string())
}

fn done(r: Result<Result<AlarmRecord, AlarmError>, Stopped>) -> Response {
    match r {
        Ok(Ok(rec)) => Json(rec).into_response(),
        Ok(Err(e)) => refused(e),
        Err(e) => stopped(e),
    }
}

pub(super) async fn health() -> Response {
    Json(serde_json::json!({ "status": "ok" })).into_response()
}

pub(super) async fn list(State(s): State<ApiState>) -> Response {
    match s.alarms.list().await {
        Ok(list) => Json(list).into_response(),
        Err(e) => stopped(e),
    }
}

pub(super) async fn one(State(s): State<ApiState>, Path(id): Path<String>) -> Response {
    match s.alarms.get(&id).await {
        Ok(Some(rec)) => Json(rec).into_response(),
        Ok(None) => refused(AlarmError::Unknown(id)),
        Err(e) => stopped(e),
    }
}

/// Body of an acknowledgement.
#[derive(Debug, Deserialize)]
pub(super) struct AckBody {
    /// Operator name.
    by: String,
    /// Optional comment.
    comment: Option<String>,
}

pub(super) async fn ack(State(s): State<ApiState>, Path(id): Path<String>, Json(b): Json<AckBody>) -> Response {
    if b.by.trim().is_empty() {
        return error(StatusCode::BAD_REQUEST, "ange vem som kvitterar (--by NAMN)");
    }
    done(s.alarms.ack(&id, b.by.trim(), b.comment.filter(|c| !c.trim().is_empty())).await)
}

/// Body of a shelving.
#[derive(Debug, Deserialize)]
pub(super) struct ShelveBody {
    /// Operator name.
    by: Option<String>,
    /// Duration in seconds.
    for_s: u64,
    /// Why.
    reason: String,
}

pub(super) async fn shelve(State(s): State<ApiState>, Path(id): Path<String>, Json(b): Json<ShelveBody>) -> Response {
    if b.for_s == 0 || b.for_s > 30 * 86_400 {
        return error(StatusCode::BAD_REQUEST, "bortkoppling: mellan 1 s och 30 dygn");
    }
    let until = SystemClock.now_ms() + i64::try_from(b.for_s).unwrap_or(0) * 1000;
    let by = b.by.unwrap_or_else(|| Alarms::of(Language::Sv).unknown_operator.into());
    done(s.alarms.shelve(&id, until, &b.reason, &by).await)
}

/// Body of an unshelving.
#[derive(Debug, Deserialize)]
pub(super) struct UnshelveBody {
    /// Operator name.
    by: Option<String>,
}

pub(super) async fn unshelve(State(s): State<ApiState>, Path(id): Path<String>, Json(b): Json<UnshelveBody>) -> Response {
    let by = b.by.unwrap_or_else(|| Alarms::of(Language::Sv).unknown_operator.into());
    done(s.alarms.unshelve(&id, &by).await)
}

/// Query of the journal.
#[derive(Debug, Deserialize)]
pub(super) struct JournalQuery {
    /// From (inclusive), UTC ms.
    from_ms: Option<i64>,
    /// To (exclusive), UTC ms.
    to_ms: Option<i64>,
    /// Only this alarm.
    alarm: Option<String>,
    /// At most this many entries (default 10 000).
    limit: Option<i64>,
}

pub(super) async fn journal(State(s): State<ApiState>, Query(q): Query<JournalQuery>) -> Response {
    let r = s.alarms.journal(q.from_ms.unwrap_or(0), q.to_ms.unwrap_or(i64::MAX), q.alarm, q.limit.unwrap_or(crate::alarm::store::DEFAULT_JOURNAL_LIMIT).clamp(1, 100_000)).await;
    match r {
        Ok(Ok(entries)) => Json(entries).into_response(),
        Ok(Err(e)) => error(StatusCode::INTERNAL_SERVER_ERROR, e),
        Err(e) => stopped(e),
    }
}
