//! `GET /metrics` (Prometheus text format) and `GET /api/status` (JSON for `driftvakt status`):
//! the daemon's counters from [`Monitor`], with the alarm counts asked of the alarm actor.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use driftvakt_domain::clock::{Clock, SystemClock};

use crate::alarm::service::AlarmHandle;
use crate::health::AlarmCounts;
use crate::monitor::Monitor;

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

/// Alarm counts now, or `None` when the alarm actor is gone (daemon stopping).
async fn alarm_counts(alarms: &AlarmHandle) -> Option<AlarmCounts> {
    let list = alarms.list().await.ok()?;
    let now = SystemClock.now_ms();
    let mut c = AlarmCounts::default();
    for r in &list {
        if r.is_shelved(now) {
            c.shelved += 1;
            continue;
        }
        if r.state.is_active() {
            c.active += 1;
        }
        if r.state.is_unacked() {
            c.unacknowledged += 1;
        }
    }
    Some(c)
}

async fn metrics(State(s): State<MonitorState>) -> Response {
    let alarms = alarm_counts(&s.alarms).await;
    let text = s.monitor.render(alarms, SystemClock.now_ms());
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
    let alarms = alarm_counts(&s.alarms).await;
    Json(s.monitor.report(alarms, SystemClock.now_ms())).into_response()
}
