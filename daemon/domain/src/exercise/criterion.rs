//! The criteria a run is judged by, and a criterion failed while the run goes on: plain types
//! that the live check (`judge.rs`), the judgment (`kpi.rs`) and the words (`words.rs`) share.

use serde::Serialize;

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

/// A criterion that has already failed while the run goes on (e.g. no transfer within the
/// changeover limit): the runtime raises its alarm.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveFailure {
    /// The failed criterion.
    pub criterion: Criterion,
    /// The switch or generator it concerns, if one.
    pub unit: Option<String>,
}
