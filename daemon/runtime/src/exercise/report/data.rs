//! What the exercise report shows, figure by figure: [`ReportData`] as [`super::gather`] fills it
//! and every renderer (HTML, CSV, JSON by serde) lays it out. The domain's own records (event,
//! figure, watched point) are carried whole (`flatten`), with the report's words beside them.

use driftvakt_domain::exercise::{Event, Kpi, Verdict, WatchResult};
use serde::Serialize;

/// Everything the report of one run shows.
#[derive(Debug, Clone, Serialize)]
pub struct ReportData {
    /// Title (exercise or outage).
    pub title: String,
    /// Language of the texts (`sv` or `en`).
    pub lang: String,
    /// Site id.
    pub site_id: String,
    /// Site name.
    pub site_name: String,
    /// IANA time zone the times are shown in.
    pub timezone: String,
    /// When the report was made, local time.
    pub generated_local: String,
    /// The run.
    pub run: RunFacts,
    /// Readings from `from_ms` (the start minus the configured lead) to `to_ms` (the stop, or
    /// now while it runs, plus five minutes, never past now) were replayed.
    pub window: Window,
    /// The overall verdict.
    pub verdict: Verdict,
    /// The overall verdict in words.
    pub verdict_label: String,
    /// The timeline, in time order.
    pub events: Vec<EventRow>,
    /// The figures with their verdicts.
    pub kpis: Vec<KpiRow>,
    /// Every watched point.
    pub watched: Vec<WatchRow>,
    /// Chart series: per generator power, voltage, frequency; every watched point.
    pub charts: Vec<ChartSeries>,
    /// Alarm activations and clears in the window.
    pub alarms: Vec<AlarmRow>,
    /// Observations written during the run.
    pub notes: Vec<NoteRow>,
    /// Role and watched points without good data for part of the run.
    pub missing: Vec<MissingRow>,
    /// Every point the figures come from, with its role.
    pub sources: Vec<SourceRow>,
    /// Signature lines (role names).
    pub signatures: Vec<String>,
}

/// The run as recorded.
#[derive(Debug, Clone, Serialize)]
pub struct RunFacts {
    /// Store id.
    pub id: i64,
    /// `monthly`, `island`, `loadbank`, `outage`.
    pub kind: &'static str,
    /// The kind in words.
    pub kind_label: String,
    /// The coordinator's name for it.
    pub name: String,
    /// Who started it.
    pub started_by: String,
    /// Start, UTC ms.
    pub started_ms: i64,
    /// Start, local time.
    pub started_local: String,
    /// Stop, UTC ms; `None` while it runs.
    pub stopped_ms: Option<i64>,
    /// Stop, local time (or "running").
    pub stopped_local: String,
    /// Who stopped it.
    pub stopped_by: Option<String>,
    /// Start to stop (or to now while it runs), ms.
    pub duration_ms: i64,
}

/// The replayed window.
#[derive(Debug, Clone, Serialize)]
pub struct Window {
    /// From, UTC ms (inclusive).
    pub from_ms: i64,
    /// To, UTC ms (exclusive).
    pub to_ms: i64,
    /// The run's end the figures are judged at: the stop, or now while it runs (UTC ms).
    pub end_ms: i64,
}

/// One event of the timeline.
#[derive(Debug, Clone, Serialize)]
pub struct EventRow {
    /// The domain's event.
    #[serde(flatten)]
    pub event: Event,
    /// The event in words.
    pub label: String,
    /// Local time (with milliseconds where the device gave the time to better than a second).
    pub at_local: String,
    /// The unit's name, if the event concerns one.
    pub unit_name: Option<String>,
    /// Where the time comes from, in words, with its resolution.
    pub timing_label: String,
}

/// One figure.
#[derive(Debug, Clone, Serialize)]
pub struct KpiRow {
    /// The domain's figure.
    #[serde(flatten)]
    pub kpi: Kpi,
    /// The figure's name.
    pub label: String,
    /// The unit's name, if the figure concerns one.
    pub unit_name: Option<String>,
    /// The value as shown (number, unit; `–` when not measured).
    pub value_text: String,
    /// The resolution as shown (`±1,0 s`), if known.
    pub resolution_text: Option<String>,
    /// The limit as shown (`högst 15,0 s`), or "information".
    pub limit_text: String,
    /// What the time is measured from, in words.
    pub reference_label: Option<String>,
    /// Where the times come from, in words.
    pub timing_label: Option<String>,
    /// The verdict in words.
    pub verdict_label: String,
    /// The verdict's symbol (✓ ✗ – ?), shown beside the words, never colour alone.
    pub verdict_symbol: &'static str,
}

/// One watched point.
#[derive(Debug, Clone, Serialize)]
pub struct WatchRow {
    /// The domain's result.
    #[serde(flatten)]
    pub result: WatchResult,
    /// The point's name.
    pub name: String,
    /// The point's unit.
    pub unit: String,
    /// Time outside allowed, ms.
    pub max_outside_ms: i64,
    /// When it first left the band, local time.
    pub first_outside_local: Option<String>,
    /// The verdict in words.
    pub verdict_label: String,
    /// The verdict's symbol.
    pub verdict_symbol: &'static str,
}

/// One chart.
#[derive(Debug, Clone, Serialize)]
pub struct ChartSeries {
    /// `power_kw`, `voltage_v`, `frequency_hz` or `watched`.
    pub kind: &'static str,
    /// The point.
    pub point: String,
    /// The generator's id (generator charts).
    pub unit: Option<String>,
    /// Caption.
    pub label: String,
    /// Engineering unit.
    pub unit_label: String,
    /// Band shaded: accepted band (voltage, frequency) or normal band (watched point).
    pub low: Option<f64>,
    /// Upper edge of the band.
    pub high: Option<f64>,
    /// (UTC ms, value), reduced to a bucket's minimum and maximum on long runs.
    pub points: Vec<(i64, f64)>,
}

/// One alarm journal entry (activation or clear) in the window.
#[derive(Debug, Clone, Serialize)]
pub struct AlarmRow {
    /// UTC ms.
    pub time_ms: i64,
    /// Local time.
    pub time_local: String,
    /// Alarm id.
    pub alarm: String,
    /// `activated` or `cleared`.
    pub code: String,
    /// The event in words.
    pub event: String,
    /// Whether the run explains it (journalled as expected, not escalated); `None` when the
    /// journal does not say.
    pub expected: Option<bool>,
    /// Its text.
    pub text: String,
}

/// One observation.
#[derive(Debug, Clone, Serialize)]
pub struct NoteRow {
    /// UTC ms.
    pub at_ms: i64,
    /// Local time.
    pub at_local: String,
    /// Who wrote it.
    pub by: String,
    /// The text.
    pub text: String,
}

/// A point without good data for part of the run.
#[derive(Debug, Clone, Serialize)]
pub struct MissingRow {
    /// Point id.
    pub point: String,
    /// Its name.
    pub name: String,
    /// Time within the run without good data, ms.
    pub missing_ms: i64,
    /// The store has no reading of it at all in the window.
    pub no_readings: bool,
}

/// A point the figures come from.
#[derive(Debug, Clone, Serialize)]
pub struct SourceRow {
    /// Role (`mains_available`, `position`, `power_kw`, `watch`, …).
    pub role: &'static str,
    /// The switch, generator or UPS, if one.
    pub unit: Option<String>,
    /// Point id.
    pub point: String,
    /// Readings of it in the window.
    pub readings: usize,
}

/// The run history of a year.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryData {
    /// Title.
    pub title: String,
    /// Language of the texts.
    pub lang: String,
    /// Site id.
    pub site_id: String,
    /// Site name.
    pub site_name: String,
    /// IANA time zone.
    pub timezone: String,
    /// The year.
    pub year: i16,
    /// Its first instant (local midnight 1 January), UTC ms.
    pub from_ms: i64,
    /// The next year's first instant, UTC ms.
    pub to_ms: i64,
    /// When the report was made, local time.
    pub generated_local: String,
    /// Every run that started in the year, oldest first.
    pub runs: Vec<HistoryRow>,
    /// Runs per kind.
    pub counts: Vec<KindCount>,
    /// Running hours per generator, on test and on outage.
    pub generators: Vec<GeneratorHours>,
    /// Signature lines.
    pub signatures: Vec<String>,
}

/// One run in the history.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryRow {
    /// The run.
    pub run: RunFacts,
    /// Start time, s: the slowest generator's (`None`: not measured).
    pub start_time_s: Option<f64>,
    /// Changeover, s: the slowest switch's.
    pub changeover_s: Option<f64>,
    /// Minutes on load: the longest of the generators'.
    pub minutes_on_load: Option<f64>,
    /// Load as % of rating: the highest of the generators'.
    pub load_percent: Option<f64>,
    /// Overall verdict.
    pub verdict: Verdict,
    /// The verdict in words.
    pub verdict_label: String,
    /// The verdict's symbol.
    pub verdict_symbol: &'static str,
}

/// Runs of one kind.
#[derive(Debug, Clone, Serialize)]
pub struct KindCount {
    /// `monthly`, `island`, `loadbank`, `outage`.
    pub kind: &'static str,
    /// In words.
    pub label: String,
    /// How many.
    pub runs: usize,
    /// How many passed.
    pub passed: usize,
    /// How many failed.
    pub failed: usize,
}

/// One generator's hours.
#[derive(Debug, Clone, Serialize)]
pub struct GeneratorHours {
    /// Role id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Hours running during exercises (monthly, island, load bank).
    pub test_h: f64,
    /// Hours running during outages.
    pub outage_h: f64,
    /// Runs in which it ran.
    pub runs: usize,
}
