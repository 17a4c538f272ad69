//! The figures of a run and their verdicts against the configured criteria.

use driftvakt_config::model::ExerciseSettings;
use serde::Serialize;

use super::model::{Event, EventKind, Run, Timing};
use super::timeline::Timeline;

/// A criterion a run is judged by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Criterion {
    /// Start signal (or mains loss) → generator at rated voltage and frequency within `start_max`.
    StartTime,
    /// No more start attempts than `max_start_attempts`.
    StartAttempts,
    /// Mains loss (or test start) → load on the generators within the switch's changeover limit;
    /// also fails when the transfer never happens.
    Changeover,
    /// Monthly / load bank: at least `min_load_percent` of rating for `min_load_time`.
    Load,
    /// A watched point stayed outside its band longer than allowed.
    Watched,
}

impl Criterion {
    /// Every criterion.
    pub const ALL: [Criterion; 5] = [
        Criterion::StartTime,
        Criterion::StartAttempts,
        Criterion::Changeover,
        Criterion::Load,
        Criterion::Watched,
    ];

    /// The code (`start_time`, …): JSON, CSV, the live alarm point `exercise.<code>`.
    pub fn key(self) -> &'static str {
        match self {
            Criterion::StartTime => "start_time",
            Criterion::StartAttempts => "start_attempts",
            Criterion::Changeover => "changeover",
            Criterion::Load => "load",
            Criterion::Watched => "watched",
        }
    }
}

/// The outcome of one criterion (and of the whole run).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Met.
    Pass,
    /// Not met.
    Fail,
    /// Does not apply to this kind of run (load on an outage).
    NotApplicable,
    /// Could not be judged: the data needed is missing (say which in the figure).
    NotMeasured,
}

impl Verdict {
    /// The code (`pass`, `fail`, `not_applicable`, `not_measured`): JSON, CSV, text keys.
    pub fn key(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::NotApplicable => "not_applicable",
            Verdict::NotMeasured => "not_measured",
        }
    }
}

/// One figure of the run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Kpi {
    /// What it measures: `start_time`, `start_attempts`, `changeover`, `load_percent`,
    /// `minutes_on_load`, `fuel_used_l`, `burn_l_per_h`, `endurance_h`, `ups_minutes`.
    pub key: &'static str,
    /// The criterion it is judged by, if any (fuel and endurance are information).
    pub criterion: Option<Criterion>,
    /// The generator or switch it concerns, if one.
    pub unit: Option<String>,
    /// The figure; `None` when it could not be measured.
    pub value: Option<f64>,
    /// Its unit (`s`, `%`, `min`, `l`, `l/h`, `h`, or empty for a count).
    pub unit_label: &'static str,
    /// ± this much, in the figure's unit (from the polls' intervals or the device's resolution).
    pub resolution: Option<f64>,
    /// Where the times behind it come from.
    pub timing: Option<Timing>,
    /// The event a time is measured from (start time, changeover: mains lost, test mode on,
    /// start signal, or the run's start), if it is a time.
    pub reference: Option<EventKind>,
    /// The configured limit, in the figure's unit, if judged.
    pub limit: Option<f64>,
    /// `true`: the figure must be at most `limit`; `false`: at least.
    pub limit_is_max: bool,
    /// The verdict.
    pub verdict: Verdict,
}

/// One watched point across the run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WatchResult {
    /// Point id.
    pub point: String,
    /// Normal band, in the point's unit.
    pub low: Option<f64>,
    /// Normal band, in the point's unit.
    pub high: Option<f64>,
    /// Lowest and highest value seen during the run.
    pub min: Option<f64>,
    /// Highest value seen during the run.
    pub max: Option<f64>,
    /// Largest distance outside the band, in the point's unit (0 when always inside).
    pub worst_deviation: f64,
    /// Total time outside the band, ms.
    pub outside_ms: i64,
    /// When it first left the band, UTC ms.
    pub first_outside_ms: Option<i64>,
    /// Pass when within `max_outside`.
    pub verdict: Verdict,
}

/// How long one point had no good data during the run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MissingData {
    /// Point id.
    pub point: String,
    /// Time within the run without a good reading, ms (bad-quality readings held until the
    /// next reading, and the time before a point's first reading).
    pub missing_ms: i64,
}

/// A run judged.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Analysis {
    /// The timeline, run start/stop included, in time order.
    pub events: Vec<Event>,
    /// The figures.
    pub kpis: Vec<Kpi>,
    /// Every watched point.
    pub watched: Vec<WatchResult>,
    /// Role and watched points without good data for part of the run (config order; only
    /// those with some time missing).
    pub missing: Vec<MissingData>,
    /// Fail if any criterion failed; Pass if every judged one passed.
    pub verdict: Verdict,
}

/// Judge `run` from its timeline (fed with every reading up to `end_ms`: the stop, or now
/// while it runs).
pub fn analyze(settings: &ExerciseSettings, run: &Run, timeline: &Timeline, end_ms: i64) -> Analysis {
    let _ = (settings, run, timeline, end_ms);
    todo!("analyze")
}
