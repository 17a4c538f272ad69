//! What the pages share: the configuration, the latest values, the alarm actor, the counters,
//! the site's zone and the live hub.

use std::sync::Arc;

use driftvakt_config::model::Config;
use jiff::tz::TimeZone;

use super::hub::Hub;
use crate::alarm::service::AlarmHandle;
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
}
