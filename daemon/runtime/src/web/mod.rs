//! The operator's web screen, served on the operator API's listener (merged into its router):
//! server-rendered HTML, two small scripts (the live updates, the console's actions), every asset in the binary, no
//! request beyond the daemon. Swedish first; `?lang=en` switches (a cookie remembers it).
//!
//! | method and path | what | file |
//! |---|---|---|
//! | `GET /` | overview: each system's key values and active alarms, every reserve's and function's endurance against its målbild | `overview.rs` |
//! | `GET /larm` | alarm console: active first, unacknowledged first; an operator's acknowledge/shelve forms | `alarms.rs`, `alarm_actions.rs` |
//! | `GET /larm/journal` | the alarm journal, newest first, filtered by period, alarm, system, class, event and who (in the URL) | `journal.rs` |
//! | `GET /ovningar` | exercises: the running run's live timeline, the past year's runs; a coordinator's start, note and stop forms | `exercises.rs` |
//! | `POST /ovningar/starta`, `/ovningar/notering`, `/ovningar/stoppa` | start, note, stop (coordinator, CSRF) → 303 back | `exercises.rs` |
//! | `GET /ovningar/{id}/rapport.{html,csv,json}` | a run's exercise report to download | `report.rs` |
//! | `GET /system/{id}?span=1h\|24h\|7d` | a system: every point's live value, its active alarms, a trend chart per point from the store (gaps named, never bridged; ≤ ~300 points a chart) | `system.rs`, `trend.rs`, `crate::chart` |
//! | `GET /reserver` | every reserve and function: endurance against målbild (the overview's bars, live), the stock, consumption, load and model it comes from | `reserves.rs` |
//! | `GET /halsa` | health: store, sinks, connections, devices (the [`crate::monitor::Snapshot`]) | `health.rs` |
//! | `GET /static/{file}` | `style.css`, `live.js`, `actions.js` | `assets.rs` |
//! | `GET /logga-in`, `POST /logga-in`, `POST /logga-ut` | sign in (a user or the API token; rate-limited) and out | `auth/login.rs` |
//! | `POST /larm/{id}/kvittera`, `/parkera`, `/avparkera` | acknowledge, shelve, unshelve (operator; CSRF) → 303 `/larm` | `alarm_actions.rs` |
//! | `GET /web/live?lang=` | server-sent events: the overview's values and the alarm list, once a second and at once on an alarm change | `live.rs` |
//!
//! Who may look is [`viewer::Viewer`]'s (`gate.rs` makes it): every page handler takes one: a signed-in user (session
//! cookie, `auth/`), the API token, or the anonymous viewer when `[web] view_open` (or the client
//! is on this machine). Every POST from another origin is refused (`auth/origin.rs`). The shell, escaping and headers are `page.rs`'s, the language `lang.rs`'s;
//! `hub.rs` is the one producer of the live frames (`frame.rs` what is in them), `live.rs` the
//! clients' streams, `state.rs` what the handlers share.

mod alarm_actions;
mod alarms;
mod auth;
mod assets;
mod exercises;
mod frame;
mod gate;
mod health;
mod hub;
mod journal;
mod lang;
mod live;
mod overview;
mod page;
mod report;
mod reserves;
mod state;
mod system;
mod trend;
pub mod viewer;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use driftvakt_config::model::Config;
use jiff::tz::TimeZone;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;


pub use hub::Hub;
pub use state::{WebParts, WebState};

impl WebState {
    /// The state for `config`, with its live hub started (it ends with `cancel`, and with it
    /// every client's stream).
    pub fn start(config: &Config, parts: WebParts, cancel: CancellationToken) -> (WebState, JoinHandle<()>) {
        let WebParts { live, alarms, monitor, data_dir, exercise, token } = parts;
        let config = Arc::new(config.clone());
        let tz = TimeZone::get(&config.site.timezone).unwrap_or(TimeZone::UTC);
        let produce = {
            let (config, live, tz) = (Arc::clone(&config), Arc::clone(&live), tz.clone());
            let running = exercise.as_ref().map(|x| x.handle.clone());
            move |list: Option<&[driftvakt_domain::alarm::AlarmRecord]>, now_ms: i64| frame::frame(&config, &live, list, running.as_ref(), now_ms, &tz)
        };
        let (hub, task) = Hub::start(produce, alarms.clone(), cancel);
        let auth = Arc::new(auth::Auth::new(config.web.users.clone(), token.clone(), config.web.session_idle));
        (WebState { config, live, alarms, monitor, tz, hub, data_dir, exercise, token, auth }, task)
    }
}

/// The most a form of the pages may send (its fields are a few hundred characters at most):
/// a larger body is refused before it is read.
pub const FORM_MAX_BYTES: usize = 16_384;

/// The pages' routes, to merge into the operator API's router.
pub fn router(state: WebState) -> Router {
    Router::new()
        .route("/", get(overview::page))
        .route("/larm", get(alarms::page))
        .route("/larm/journal", get(journal::page))
        .route("/ovningar", get(exercises::page))
        .route("/ovningar/starta", post(exercises::start))
        .route("/ovningar/notering", post(exercises::note))
        .route("/ovningar/stoppa", post(exercises::stop))
        .route("/ovningar/{id}/{file}", get(report::download))
        .route("/halsa", get(health::page))
        .route("/system/{id}", get(system::page))
        .route("/reserver", get(reserves::page))
        .route("/static/{file}", get(assets::serve))
        .route("/web/live", get(live::stream))
        .route("/logga-in", get(auth::login::form).post(auth::login::submit))
        .route("/logga-ut", post(auth::login::logout))
        .route("/larm/{id}/kvittera", post(alarm_actions::ack))
        .route("/larm/{id}/parkera", post(alarm_actions::shelve))
        .route("/larm/{id}/avparkera", post(alarm_actions::unshelve))
        .layer(axum::middleware::from_fn(auth::origin::guard))
        .layer(DefaultBodyLimit::max(FORM_MAX_BYTES))
        .with_state(state)
}
