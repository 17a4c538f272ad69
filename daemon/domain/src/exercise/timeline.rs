//! Readings of the role points → the run's events and running sums (load time, fuel, UPS,
//! watched points out of band). Incremental: fed live by the runtime and afterwards by the
//! report with the same stored readings.

use driftvakt_config::model::{ExerciseKind, ExerciseSettings};

use super::kpi::Criterion;
use super::model::Event;
use crate::Reading;

/// A criterion that has already failed while the run goes on (e.g. no transfer within the
/// changeover limit): the runtime raises its alarm.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveFailure {
    /// The failed criterion.
    pub criterion: Criterion,
    /// The switch or generator it concerns, if one.
    pub unit: Option<String>,
}

/// The events of one run so far and what the figures need.
#[derive(Debug, Clone)]
pub struct Timeline {
    settings: ExerciseSettings,
    kind: ExerciseKind,
    started_ms: i64,
    events: Vec<Event>,
}

impl Timeline {
    /// An empty timeline of a run of `kind` started at `started_ms` (readings from before the
    /// start — the report's lead — give each point its state before the run).
    pub fn new(settings: &ExerciseSettings, kind: ExerciseKind, started_ms: i64) -> Timeline {
        Timeline { settings: settings.clone(), kind, started_ms, events: Vec::new() }
    }

    /// Take one reading; readings of other points are ignored. Per point, readings must come
    /// in time order (points may interleave).
    pub fn feed(&mut self, reading: &Reading) {
        let _ = (reading, &self.settings, self.kind, self.started_ms);
        todo!("exercise timeline")
    }

    /// The events so far, in time order.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// The criteria already failed at `now_ms` (deadlines passed without the event, too many
    /// start attempts); empty while all is well or undecided.
    pub fn live_failures(&self, now_ms: i64) -> Vec<LiveFailure> {
        let _ = now_ms;
        todo!("live failures")
    }
}
