//! What the pages share: the configuration, the latest values, the alarm actor, the counters,
//! the site's zone, the live hub, the data directory (the store's trends), the exercise actor
//! and the API token, and who is signed in.

use std::path::PathBuf;
use std::sync::Arc;

use driftvakt_config::model::Config;
use jiff::tz::TimeZone;

use super::auth::Auth;
use super::hub::Hub;
use crate::alarm::service::AlarmHandle;
use crate::api::ExerciseApi;
use crate::monitor::Monitor;
use crate::pipeline::Live;

/// What the page handlers read.
#[derive(Clone)]
pub struct WebState {
    /// The configuration (systems, points, reserves, the site's zone).
    pub config: Arc<Config>,
    /// The latest reading of every point.
    pub live: Arc<Live>,
    /// The alarm actor.
    pub alarms: AlarmHandle,
    /// The daemon's counters (health page).
    pub monitor: Monitor,
    /// The site's time zone.
    pub tz: TimeZone,
    /// The live stream's one producer.
    pub hub: Hub,
    /// The data directory (the store, read-only, for trends).
    pub data_dir: PathBuf,
    /// The exercise actor; `None` without `[exercise]`.
    pub exercise: Option<ExerciseApi>,
    /// The `[api] token`: a request bearing it acts as the coordinator "API".
    pub token: Option<Arc<str>>,
    /// Sessions, failed logins and the users who may sign in.
    pub auth: Arc<Auth>,
}

/// What [`WebState::start`] is given beyond the configuration.
pub struct WebParts {
    /// The latest reading of every point.
    pub live: Arc<Live>,
    /// The alarm actor.
    pub alarms: AlarmHandle,
    /// The daemon's counters.
    pub monitor: Monitor,
    /// The data directory.
    pub data_dir: PathBuf,
    /// The exercise actor; `None` without `[exercise]`.
    pub exercise: Option<ExerciseApi>,
    /// The `[api] token`.
    pub token: Option<Arc<str>>,
}
