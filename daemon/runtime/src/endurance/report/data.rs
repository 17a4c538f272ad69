//! What the report shows, figure by figure: [`ReportData`] as [`super::gather`] fills it and
//! every renderer (HTML, CSV, JSON by serde) lays it out.

use driftvakt_domain::endurance::{Model, Refill, Scenario};
use serde::Serialize;

use super::now;

/// Everything the report shows.
#[derive(Debug, Clone, Serialize)]
pub struct ReportData {
    /// Title.
    pub title: String,
    /// Language of the texts (`sv` or `en`).
    pub lang: String,
    /// Site id.
    pub site_id: String,
    /// Site name.
    pub site_name: String,
    /// IANA time zone the times are shown in.
    pub timezone: String,
    /// Period start, UTC ms (inclusive).
    pub from_ms: i64,
    /// Period end, UTC ms (exclusive).
    pub to_ms: i64,
    /// Period start, local time.
    pub from_local: String,
    /// Period end, local time.
    pub to_local: String,
    /// When the report was made, local time.
    pub generated_local: String,
    /// Endurance values at or above this mean "nothing drawn".
    pub endurance_cap_h: f64,
    /// What the "now" scenario means: the state at the end of the period.
    pub now: now::NowBasis,
    /// Per reserve.
    pub reserves: Vec<ReserveReport>,
    /// Per function.
    pub functions: Vec<FunctionReport>,
    /// Data coverage per point.
    pub coverage: Vec<Coverage>,
    /// Alarm journal entries of the period (activations, clears, acknowledgements).
    pub alarms: Vec<AlarmEntry>,
    /// Columns of the nulägesanalys/målbild/gapanalys table.
    pub assessment_columns: Vec<String>,
    /// Rows of that table.
    pub assessment: Vec<AssessmentRow>,
    /// Signature lines.
    pub signatures: Vec<String>,
}

/// One scenario of a reserve or function against its målbild.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioRow {
    /// `now`, `design`, `worst`.
    pub scenario: Scenario,
    /// Endurance in hours (capped), if known.
    pub endurance_h: Option<f64>,
    /// Consumption per hour in the reserve's unit, if a model gave one.
    pub consumption_per_h: Option<f64>,
    /// Model used.
    pub model: Option<Model>,
    /// Assumption.
    pub assumption: String,
    /// Whether the endurance meets the målbild.
    pub meets: Option<bool>,
    /// Shortfall in hours (målbild − endurance), 0 when met.
    pub gap_h: Option<f64>,
    /// For functions: the chain to the limiting reserve.
    pub limiting: Vec<String>,
}

/// Measured evidence of a reserve or function over the period.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Evidence {
    /// Stock over the period (time ms, reserve unit), reduced for the chart.
    pub stock: Vec<(i64, f64)>,
    /// Consumption per hour from the stock's trend, per bucket.
    pub consumption: Vec<(i64, f64)>,
    /// Refills detected.
    pub refills: Vec<Refill>,
    /// Stock at the start of the period.
    pub stock_first: Option<f64>,
    /// Stock at the end of the period.
    pub stock_last: Option<f64>,
    /// Lowest live endurance (now scenario) reached, hours.
    pub min_endurance_h: Option<f64>,
    /// When it was reached, UTC ms.
    pub min_endurance_ms: Option<i64>,
    /// When it was reached, local time.
    pub min_endurance_local: Option<String>,
    /// Live endurance over the period (minute minima, reduced for the chart).
    pub endurance: Vec<(i64, f64)>,
}

/// One reserve.
#[derive(Debug, Clone, Serialize)]
pub struct ReserveReport {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Supply system label.
    pub system: String,
    /// Stock unit.
    pub unit: String,
    /// Capacity.
    pub capacity: f64,
    /// Unusable part.
    pub unusable: f64,
    /// Målbild, hours.
    pub target_h: f64,
    /// Stock points.
    pub stock_points: Vec<String>,
    /// The consumption models configured, described.
    pub models: Vec<String>,
    /// Figures per scenario at the end of the period.
    pub scenarios: Vec<ScenarioRow>,
    /// Evidence.
    pub evidence: Evidence,
}

/// One function.
#[derive(Debug, Clone, Serialize)]
pub struct FunctionReport {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Reserves and functions it depends on.
    pub depends_on: Vec<String>,
    /// Målbild, hours.
    pub target_h: f64,
    /// Figures per scenario.
    pub scenarios: Vec<ScenarioRow>,
    /// Evidence (live endurance only).
    pub evidence: Evidence,
}

/// Share of the period with good data for one point.
#[derive(Debug, Clone, Serialize)]
pub struct Coverage {
    /// Point id.
    pub point: String,
    /// Point name.
    pub name: String,
    /// Share 0..=1 of the period lying in minutes with at least one good sample (a minute cut
    /// by the period's start or end counts with its part inside the period).
    pub share: f64,
}

/// One alarm journal entry.
#[derive(Debug, Clone, Serialize)]
pub struct AlarmEntry {
    /// UTC ms.
    pub time_ms: i64,
    /// Local time.
    pub time_local: String,
    /// Alarm id.
    pub alarm: String,
    /// The event in the report's language (`aktiverat`, `återställt`, `kvitterat`, …).
    pub event: String,
    /// The journal's machine-readable event code: `activated`, `cleared`, `acked`, `shelved`,
    /// `unshelved`, `notify_sent`, `notify_failed`.
    pub code: String,
    /// Text.
    pub text: String,
}

/// One assessment row.
#[derive(Debug, Clone, Serialize)]
pub struct AssessmentRow {
    /// Supply system label.
    pub system: String,
    /// Cells.
    pub cells: Vec<String>,
}
