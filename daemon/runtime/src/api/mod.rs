//! The operator HTTP API of the running daemon (axum), on loopback unless configured otherwise.
//!
//! | method and path | what |
//! |---|---|
//! | `GET /api/health` | `{"status":"ok"}` |
//! | `GET /api/alarms` | alarms that are not normal, or shelved (most urgent first) |
//! | `GET /api/alarms/{id}` | one alarm (any state) |
//! | `POST /api/alarms/{id}/ack` | `{"by": "Eva", "comment": "..."}` — acknowledge |
//! | `POST /api/alarms/{id}/shelve` | `{"by": "Eva", "for_s": 7200, "reason": "..."}` — shelve |
//! | `POST /api/alarms/{id}/unshelve` | `{"by": "Eva"}` — lift a shelving |
//! | `GET /api/journal?from_ms=&to_ms=&alarm=&limit=` | journal entries, oldest first |
//! | `GET /api/exercise` | `{"active": run or null, "runs": [the runs of the last 400 days, newest first]}` |
//! | `GET /api/exercise/{id}` | one run (notes included) |
//! | `POST /api/exercise/start` | `{"kind": "monthly", "name": "...", "by": "Eva"}` — start an exercise (409 while a run is active) |
//! | `POST /api/exercise/stop` | `{"by": "Eva"}` — stop the running exercise or outage (409 when none runs) |
//! | `POST /api/exercise/note` | `{"by": "Eva", "text": "..."}` — a note in the running run's timeline |
//! | `GET /api/status` | counters of connections, devices, sinks, store, alarms ([`crate::monitor::Snapshot`]) |
//! | `GET /metrics` | the same and more in the Prometheus text format |
//!
//! GET is open to loopback clients; everything else (and GET from beyond loopback) needs
//! `Authorization: Bearer <token>` with the `[api] token`. Without a configured token,
//! state-changing calls are refused. Without `[exercise]` the exercise routes answer 404 saying
//! so. Errors are `{"error": "..."}` with a fitting status.
//! [`router`] returns a plain `axum::Router`, so other components can merge routes into it;
//! [`guard`] puts such routes behind the same rules. [`serve`] bounds the connections and times
//! out slow clients ([`conn`]), so that no client can use the open files polling needs.

mod conn;
mod exercise;
mod handlers;
pub mod monitor;
mod reply;
mod state;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use tokio_util::sync::CancellationToken;

pub use state::{ApiState, ExerciseApi};
pub(crate) use exercise::act as exercise_act;
use reply::error;
use crate::constant_time::same;

/// The API's routes (serve with [`serve`], or merge into a larger router).
pub fn router(state: ApiState) -> Router {
    let token = state.token.clone();
    let routes = Router::new()
        .route("/api/health", get(handlers::health))
        .route("/api/alarms", get(handlers::list))
        .route("/api/alarms/{id}", get(handlers::one))
        .route("/api/alarms/{id}/ack", post(handlers::ack))
        .route("/api/alarms/{id}/shelve", post(handlers::shelve))
        .route("/api/alarms/{id}/unshelve", post(handlers::unshelve))
        .route("/api/journal", get(handlers::journal))
        .route("/api/exercise", get(exercise::status))
        .route("/api/exercise/start", post(exercise::start))
        .route("/api/exercise/stop", post(exercise::stop))
        .route("/api/exercise/note", post(exercise::note))
        .route("/api/exercise/{id}", get(exercise::one))
        .with_state(state);
    guard(routes, token)
}

/// Who may call the API: GET from loopback freely, everything else with `token`.
#[derive(Clone)]
struct Guard {
    token: Option<Arc<str>>,
}

/// `routes` behind the API's rules: GET and HEAD open to loopback clients, everything else
/// (and GET from beyond loopback) only with `Authorization: Bearer <token>`.
pub fn guard(routes: Router, token: Option<Arc<str>>) -> Router {
    routes.layer(middleware::from_fn_with_state(Guard { token }, auth))
}

async fn auth(State(state): State<Guard>, req: Request, next: Next) -> Response {
    let loopback = req.extensions().get::<ConnectInfo<SocketAddr>>().is_some_and(|c| c.0.ip().is_loopback());
    let read = matches!(*req.method(), Method::GET | Method::HEAD);
    if read && loopback {
        return next.run(req).await;
    }
    let Some(token) = &state.token else {
        return error(StatusCode::FORBIDDEN, "ingen API-token är konfigurerad ([api] token); ändringar via API:t är avstängda");
    };
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    match given {
        Some(g) if same(g.as_bytes(), token.as_bytes()) => next.run(req).await,
        Some(_) => error(StatusCode::UNAUTHORIZED, "fel API-token"),
        None => error(StatusCode::UNAUTHORIZED, "API-token krävs (Authorization: Bearer …; --token-file eller DRIFTVAKT_API_TOKEN)"),
    }
}

/// Bind `listen` and serve `router` until `cancel`, at most `max_connections` client
/// connections at once (see [`conn`]); returns the bound address (port 0 = any).
pub async fn serve(
    listen: SocketAddr,
    router: Router,
    max_connections: usize,
    cancel: CancellationToken,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    let task = tokio::spawn(conn::serve(listener, router, conn::Limits::new(max_connections), cancel));
    Ok((addr, task))
}
