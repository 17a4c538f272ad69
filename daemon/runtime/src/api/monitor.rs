//! `GET /metrics` (Prometheus text format) and `GET /api/status` (JSON for `driftvakt status`):
//! HTTP only. Both take one [`Monitor::snapshot`] (with the alarm counts asked of the alarm
//! actor); `/metrics` renders it with [`prometheus::render`], `/api/status` serializes it.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use driftvakt_domain::clock::{Clock, SystemClock};

use crate::alarm::service::AlarmHandle;
use crate::monitor::{AlarmCounts, Monitor, Snapshot, prometheus};

/// What the two routes read.
#[derive(Clone)]
struct MonitorState {
    monitor: Monitor,
    alarms: AlarmHandle,
}

/// `/metrics` and `/api/status`, behind the API's access rules (token as for [`super::router`]).
pub fn routes(monitor: Monitor, alarms: AlarmHandle, token: Option<Arc<str>>) -> Router {
    let routes = Router::new()
        .route("/metrics", get(metrics))
        .route("/api/status", get(status))
        .with_state(MonitorState { monitor, alarms });
    super::guard(routes, token)
}

/// Every counter now, with the alarm counts unless the alarm actor is gone (daemon stopping):
/// what `/api/status`, `/metrics` and the web screen's health page show.
pub async fn snapshot_now(monitor: &Monitor, alarms: &AlarmHandle) -> Snapshot {
    let counts = match alarms.list().await {
        Ok(list) => Some(AlarmCounts::of(&list, SystemClock.now_ms())),
        Err(_) => None,
    };
    monitor.snapshot(counts, SystemClock.now_ms())
}

async fn snapshot(s: &MonitorState) -> Snapshot {
    snapshot_now(&s.monitor, &s.alarms).await
}

async fn metrics(State(s): State<MonitorState>) -> Response {
    let text = prometheus::render(&snapshot(&s).await);
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response()
}

async fn status(State(s): State<MonitorState>) -> Response {
    Json(snapshot(&s).await).into_response()
}
