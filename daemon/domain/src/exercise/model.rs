//! What a run is and what happened during it.

use driftvakt_config::model::ExerciseKind;
use serde::Serialize;

/// One exercise or outage, as recorded when it was started and stopped.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Run {
    /// Store id (1, 2, …).
    pub id: i64,
    /// Monthly, island, load bank, or a detected outage.
    #[serde(serialize_with = "kind_key")]
    pub kind: ExerciseKind,
    /// The coordinator's name for it ("Månadsprov december"); outages get a generated one.
    pub name: String,
    /// Who started it (`driftvakt` for a detected outage).
    pub started_by: String,
    /// Start, UTC ms.
    pub started_ms: i64,
    /// Stop, UTC ms; `None` while it runs.
    pub stopped_ms: Option<i64>,
    /// Who stopped it (`driftvakt` when an outage ended by itself).
    pub stopped_by: Option<String>,
    /// Observations written during the run, oldest first.
    pub notes: Vec<Note>,
}

fn kind_key<S: serde::Serializer>(k: &ExerciseKind, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(k.key())
}

/// An observation written during a run (`exercise note`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Note {
    /// When, UTC ms.
    pub at_ms: i64,
    /// Who wrote it.
    pub by: String,
    /// The text.
    pub text: String,
}

/// Where an event's time comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Timing {
    /// The device's own record (a transfer switch's last-transfer time, a counter): exact to
    /// the device's resolution.
    Device,
    /// A change seen between two polls: the event lies between the previous reading and this
    /// one, so it is known to ± the interval between them.
    Polled,
    /// Written by a person or the daemon (start, stop, note).
    Operator,
}

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// The run was started (by the coordinator or, for an outage, by the detection).
    RunStarted,
    /// A transfer switch entered test mode.
    TestModeOn,
    /// The incoming supply was lost.
    MainsLost,
    /// A transfer switch signalled the generators to start.
    StartSignal,
    /// A generator entered pre-start (pre-heat).
    PreStart,
    /// A generator cranked (one per attempt).
    Crank,
    /// A crank that did not lead to running (the engine fell back to stopped or pre-start).
    CrankFailed,
    /// A generator reached rated voltage and frequency (within the configured bands).
    GeneratorReady,
    /// A transfer switch put the load on the generators.
    TransferToEmergency,
    /// A generator took load (above the load threshold).
    LoadPickedUp,
    /// A UPS went on battery.
    UpsOnBattery,
    /// A UPS came off battery.
    UpsOffBattery,
    /// The incoming supply came back.
    MainsBack,
    /// A transfer switch left test mode.
    TestModeOff,
    /// A transfer switch put the load back on mains.
    Retransfer,
    /// A generator ran unloaded to cool down.
    CoolDown,
    /// A generator stopped.
    GeneratorStopped,
    /// The run was stopped.
    RunStopped,
}

impl EventKind {
    /// Every kind, in the order of a typical run.
    pub const ALL: [EventKind; 18] = [
        EventKind::RunStarted,
        EventKind::TestModeOn,
        EventKind::MainsLost,
        EventKind::StartSignal,
        EventKind::PreStart,
        EventKind::Crank,
        EventKind::CrankFailed,
        EventKind::GeneratorReady,
        EventKind::TransferToEmergency,
        EventKind::LoadPickedUp,
        EventKind::UpsOnBattery,
        EventKind::UpsOffBattery,
        EventKind::MainsBack,
        EventKind::TestModeOff,
        EventKind::Retransfer,
        EventKind::CoolDown,
        EventKind::GeneratorStopped,
        EventKind::RunStopped,
    ];

    /// The code used in JSON, CSV and text keys (`mains_lost`, …).
    pub fn key(self) -> &'static str {
        match self {
            EventKind::RunStarted => "run_started",
            EventKind::TestModeOn => "test_mode_on",
            EventKind::MainsLost => "mains_lost",
            EventKind::StartSignal => "start_signal",
            EventKind::PreStart => "prestart",
            EventKind::Crank => "crank",
            EventKind::CrankFailed => "crank_failed",
            EventKind::GeneratorReady => "generator_ready",
            EventKind::TransferToEmergency => "transfer_to_emergency",
            EventKind::LoadPickedUp => "load_picked_up",
            EventKind::UpsOnBattery => "ups_on_battery",
            EventKind::UpsOffBattery => "ups_off_battery",
            EventKind::MainsBack => "mains_back",
            EventKind::TestModeOff => "test_mode_off",
            EventKind::Retransfer => "retransfer",
            EventKind::CoolDown => "cool_down",
            EventKind::GeneratorStopped => "generator_stopped",
            EventKind::RunStopped => "run_stopped",
        }
    }
}

/// One event of the timeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    /// What happened.
    pub kind: EventKind,
    /// When, UTC ms (for a polled change: the time of the reading that showed it).
    pub at_ms: i64,
    /// The switch, generator or UPS it concerns (its role id or point id), if one.
    pub unit: Option<String>,
    /// The point whose reading showed it (empty for operator events).
    pub point: String,
    /// How exactly the time is known, ms: the interval since the previous reading of the point
    /// for a polled change, the device's resolution (1 000 for Unix seconds) for a device time.
    pub resolution_ms: i64,
    /// Where the time comes from.
    pub timing: Timing,
}
