//! What the [`super::Timeline`] keeps of each switch, generator and UPS: the per-point records
//! (position and register changes, bands, running stretches) that the events joining several
//! points (`derive.rs`) are derived from.

use driftvakt_config::model::EngineStates;

use super::sums::{Band, LoadSums, OnTime};

/// A change of a switch's position seen by polling.
#[derive(Debug, Clone, Copy)]
pub(super) struct PositionChange {
    /// Reading that showed it.
    pub at: i64,
    /// Interval since the previous good reading.
    pub res: i64,
    /// Onto the generators (else back to mains).
    pub to_emergency: bool,
}

/// A change of a device register (last-transfer time, a counter) seen by polling.
#[derive(Debug, Clone, Copy)]
pub(super) struct RegisterChange {
    /// Reading that showed it.
    pub at: i64,
    /// Interval since the previous good reading.
    pub res: i64,
    /// Time of the previous good reading.
    pub prev_at: i64,
    /// The new value.
    pub value: f64,
    /// New minus old.
    pub delta: f64,
}

/// One transfer switch followed.
#[derive(Debug, Clone, Default)]
pub(super) struct SwitchTrack {
    /// On the generators, at the last good reading of its position.
    pub on_emergency: Option<bool>,
    /// In test mode, at the last good reading.
    pub test: Option<bool>,
    /// Signalling a start, at the last good reading.
    pub start: Option<bool>,
    /// The last-transfer-time register's last good value.
    pub register: Option<f64>,
    /// The transfer counter's last good value.
    pub count: Option<f64>,
    /// On the generators at its first reading.
    pub initially_emergency: bool,
    /// In test mode or signalling a start at its first reading.
    pub initially_test: bool,
    /// Position changes.
    pub positions: Vec<PositionChange>,
    /// Last-transfer-time register changes.
    pub registers: Vec<RegisterChange>,
    /// Transfer-counter increases.
    pub counts: Vec<RegisterChange>,
}

/// Engine-state classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Engine {
    Stopped,
    PreStart,
    Cranking,
    Running,
    CoolDown,
}

pub(super) fn engine_class(states: &EngineStates, v: f64) -> Option<Engine> {
    let is = |codes: &[f64]| codes.iter().any(|c| (c - v).abs() < 1e-9);
    [
        (&states.stopped, Engine::Stopped),
        (&states.prestart, Engine::PreStart),
        (&states.cranking, Engine::Cranking),
        (&states.running, Engine::Running),
        (&states.cooldown, Engine::CoolDown),
    ]
    .into_iter()
    .find(|(codes, _)| is(codes))
    .map(|(_, e)| e)
}

/// One generator followed.
#[derive(Debug, Clone, Default)]
pub(super) struct GeneratorTrack {
    /// Engine-state class at the last good reading.
    pub engine: Option<Engine>,
    /// Reached running since the last crank.
    pub ran: bool,
    /// Running (or cooling down) at its first engine reading.
    pub initially_running: bool,
    /// Voltage within the band.
    pub voltage: Band,
    /// Frequency within the band.
    pub frequency: Band,
    /// Power above the load threshold.
    pub carrying: Band,
    /// Load sums.
    pub load: LoadSums,
    /// The start counter's last good value.
    pub starts: Option<f64>,
    /// Start-counter increases.
    pub start_increases: Vec<RegisterChange>,
    /// Running (or cooling down) stretches: start, end (open while running).
    pub running: Vec<(i64, Option<i64>)>,
    /// The start counter gave a good reading.
    pub counter_seen: bool,
}

/// One UPS on-battery point followed.
#[derive(Debug, Clone, Default)]
pub(super) struct UpsTrack {
    /// On battery at the last good reading.
    pub state: Option<bool>,
    /// Time on battery.
    pub on_battery: OnTime,
}
