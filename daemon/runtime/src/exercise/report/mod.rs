//! The exercise report (one run: timeline, figures and criteria, charts, watched points, alarms,
//! observations, signatures) and the run history of a year, from the store. The stored
//! readings of the run's role and watched points are replayed through the domain's own
//! [`Timeline`] and [`analyze`] — what the daemon ran live — so the report and the live alarms
//! cannot disagree. [`gather`] and [`history::gather`] compute every figure once; [`html`],
//! [`csv`] and JSON (serde) only lay the same figures out.

pub use crate::chart;
pub mod csv;
mod data;
mod facts;
pub mod history;
pub mod html;
mod replay;
mod words;

use std::path::Path;

use anyhow::{Context, Result, bail};
use driftvakt_config::model::{Config, ExerciseKind, ExerciseSettings, Language};
use driftvakt_domain::exercise::{Event, Kpi, Timeline, Timing, Verdict, analyze, event_label, timing_label, verdict_label};
use driftvakt_domain::text::exercise::{Exercise, kpi_label};
use driftvakt_domain::text::fill;
use driftvakt_domain::text::journal::event;
use driftvakt_domain::exercise::Run;

pub use data::{
    AlarmRow, ChartSeries, EventRow, GeneratorHours, HistoryData, HistoryRow, KindCount, KpiRow,
    MissingRow, NoteRow, ReportData, RunFacts, SourceRow, WatchRow, Window,
};
pub use facts::settings;
use facts::{facts, zone};
pub use replay::{Replay, replay};
use words::{at_local, figure, local_datetime, symbol};

/// Which run to report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    /// The run with this id.
    Id(i64),
    /// The newest run (the running one, if any).
    Latest,
}

impl Which {
    /// `latest` or a run id.
    pub fn parse(s: &str) -> Option<Which> {
        if s.eq_ignore_ascii_case("latest") {
            return Some(Which::Latest);
        }
        s.parse().ok().map(Which::Id)
    }
}

/// The run `which` from the store of `data_dir`.
pub fn find_run(data_dir: &Path, which: Which) -> Result<Run> {
    let conn = driftvakt_store::shared::connect_read_only(data_dir)
        .with_context(|| format!("opening the store in {}", data_dir.display()))?;
    if !super::store::has_tables(&conn)? {
        bail!("the store in {} has no exercises or outages", data_dir.display());
    }
    match which {
        Which::Id(id) => super::store::run(&conn, id)?
            .with_context(|| format!("no exercise or outage with id {id} in {}", data_dir.display())),
        Which::Latest => super::store::runs(&conn, i64::MIN, i64::MAX)?
            .into_iter()
            .max_by_key(|r| r.id)
            .with_context(|| format!("no exercises or outages in {}", data_dir.display())),
    }
}

/// The name of a switch or generator role, if `unit` is one.
fn unit_name(settings: &ExerciseSettings, unit: Option<&str>) -> Option<String> {
    let unit = unit?;
    settings
        .switches
        .iter()
        .find(|s| s.id == unit)
        .map(|s| s.name.clone())
        .or_else(|| settings.generators.iter().find(|g| g.id == unit).map(|g| g.name.clone()))
}

/// A figure's row: its words, value and limit as shown.
fn kpi_row(settings: &ExerciseSettings, k: &Kpi, lang: Language) -> KpiRow {
    let w = Exercise::of(lang);
    let value_text = k.value.map_or_else(|| w.not_measured_value.to_string(), |v| figure(v, k.unit_label, lang));
    let limit_text = match (k.criterion, k.limit) {
        (None, _) => w.information.to_string(),
        (Some(_), None) => w.not_measured_value.to_string(),
        (Some(_), Some(l)) => fill(
            if k.limit_is_max { w.limit_max } else { w.limit_min },
            &[("limit", figure(l, k.unit_label, lang))],
        ),
    };
    KpiRow {
        label: kpi_label(k.key, lang).to_string(),
        unit_name: unit_name(settings, k.unit.as_deref()),
        value_text,
        resolution_text: k.resolution.map(|r| format!("±{}", figure(r, k.unit_label, lang))),
        limit_text,
        reference_label: k.reference.map(|r| event_label(r, lang).to_string()),
        timing_label: k.timing.map(|t| {
            let res_ms = match (t, k.resolution, k.unit_label) {
                (Timing::Polled, Some(r), "s") => (r * 1000.0).round() as i64,
                _ => 0,
            };
            timing_label(t, res_ms, lang)
        }),
        verdict_label: verdict_label(k.verdict, lang).to_string(),
        verdict_symbol: symbol(k.verdict),
        kpi: k.clone(),
    }
}

/// An event's row: its words, local time (on `start_day`, the run's first local day) and unit.
fn event_row(settings: &ExerciseSettings, e: &Event, tz: &jiff::tz::TimeZone, start_day: &str, lang: Language) -> EventRow {
    EventRow {
        label: event_label(e.kind, lang).to_string(),
        at_local: at_local(e.at_ms, tz, e.timing == Timing::Device && e.resolution_ms < 1000, start_day),
        unit_name: unit_name(settings, e.unit.as_deref()),
        timing_label: timing_label(e.timing, e.resolution_ms, lang),
        event: e.clone(),
    }
}

/// The running run's events and figures so far, in the report's words: `timeline` is the
/// exercise monitor's own (what the daemon sees live), judged at `now_ms`.
#[derive(Debug, Clone)]
pub struct LiveRows {
    /// The events so far, in time order.
    pub events: Vec<EventRow>,
    /// The figures and their verdicts so far.
    pub kpis: Vec<KpiRow>,
    /// The overall verdict so far.
    pub verdict: Verdict,
    /// The overall verdict in words.
    pub verdict_label: String,
    /// Its symbol.
    pub verdict_symbol: &'static str,
}

/// [`LiveRows`] of the running `run` from the monitor's `timeline` at `now_ms`.
pub fn live_rows(config: &Config, run: &Run, timeline: &Timeline, now_ms: i64, lang: Language) -> Result<LiveRows> {
    let settings = settings(config)?;
    let tz = zone(config)?;
    let a = analyze(settings, run, timeline, now_ms);
    let start_day = local_datetime(run.started_ms, &tz).get(..10).unwrap_or_default().to_string();
    Ok(LiveRows {
        events: a.events.iter().map(|e| event_row(settings, e, &tz, &start_day, lang)).collect(),
        kpis: a.kpis.iter().map(|k| kpi_row(settings, k, lang)).collect(),
        verdict: a.verdict,
        verdict_label: verdict_label(a.verdict, lang).to_string(),
        verdict_symbol: symbol(a.verdict),
    })
}

/// The report's title of a run of `kind`.
fn title(kind: ExerciseKind, lang: Language) -> String {
    let w = Exercise::of(lang);
    if kind == ExerciseKind::Outage { w.title_outage } else { w.title }.to_string()
}

/// Compute the report of run `which` from the store in `data_dir`; `now_ms` ends a run that
/// is still going.
pub fn gather(config: &Config, data_dir: &Path, which: Which, lang: Language, now_ms: i64) -> Result<ReportData> {
    let settings = settings(config)?;
    let tz = zone(config)?;
    let run = find_run(data_dir, which)?;
    let store = driftvakt_store::Store::open_read_only(data_dir)
        .with_context(|| format!("opening the store in {}", data_dir.display()))?;
    let r = replay(&store, settings, &run, now_ms)?;
    let w = Exercise::of(lang);
    let a = &r.analysis;
    let start_day = local_datetime(run.started_ms, &tz).get(..10).unwrap_or_default().to_string();

    let events = a.events.iter().map(|e| event_row(settings, e, &tz, &start_day, lang)).collect();
    let kpis = a.kpis.iter().map(|k| kpi_row(settings, k, lang)).collect();
    let watched = a
        .watched
        .iter()
        .map(|res| {
            let (name, unit) = point_meta(config, &res.point);
            WatchRow {
                name,
                unit,
                max_outside_ms: settings
                    .watch
                    .iter()
                    .find(|p| p.point == res.point)
                    .map_or(0, |p| p.max_outside.as_millis() as i64),
                first_outside_local: res.first_outside_ms.map(|t| at_local(t, &tz, false, &start_day)),
                verdict_label: verdict_label(res.verdict, lang).to_string(),
                verdict_symbol: symbol(res.verdict),
                result: res.clone(),
            }
        })
        .collect();
    let charts = r.charts(settings, config, lang);
    let alarms = alarm_rows(data_dir, run.id, r.window.from_ms, r.window.to_ms, &tz, lang);
    let notes = run
        .notes
        .iter()
        .map(|n| NoteRow {
            at_ms: n.at_ms,
            at_local: at_local(n.at_ms, &tz, false, &start_day),
            by: n.by.clone(),
            text: n.text.clone(),
        })
        .collect();
    let mut missing: Vec<MissingRow> = a
        .missing
        .iter()
        .map(|m| MissingRow {
            name: point_meta(config, &m.point).0,
            no_readings: r.count(&m.point) == 0,
            point: m.point.clone(),
            missing_ms: m.missing_ms,
        })
        .collect();
    for s in &r.sources {
        if s.readings == 0 && !missing.iter().any(|m| m.point == s.point) {
            missing.push(MissingRow {
                point: s.point.clone(),
                name: point_meta(config, &s.point).0,
                missing_ms: r.window.end_ms - run.started_ms,
                no_readings: true,
            });
        }
    }
    Ok(ReportData {
        title: title(run.kind, lang),
        lang: lang.code().into(),
        site_id: config.site.id.clone(),
        site_name: config.site.name.clone(),
        timezone: config.site.timezone.clone(),
        generated_local: local_datetime(now_ms, &tz),
        run: facts(&run, now_ms, &tz, lang),
        window: r.window.clone(),
        verdict: a.verdict,
        verdict_label: verdict_label(a.verdict, lang).to_string(),
        events,
        kpis,
        watched,
        charts,
        alarms,
        notes,
        missing,
        sources: r.sources.clone(),
        signatures: w.signature_roles.iter().map(|s| s.to_string()).collect(),
    })
}

/// A point's name and unit from the configuration (its id and no unit if unknown).
fn point_meta(config: &Config, id: &str) -> (String, String) {
    config.point(id).map_or_else(|| (id.to_string(), String::new()), |(_, p)| (p.name.clone(), p.unit.clone()))
}

/// An expected activation's text without the journal's mark ("… (väntat under övning N, inget
/// utskick)", the alarm side's `Journal::SV.expected`).
fn without_mark(detail: &str, run: i64) -> String {
    let mark = fill(driftvakt_domain::text::journal::Journal::SV.expected, &[("text", String::new()), ("run", run.to_string())]);
    detail.strip_suffix(mark.as_str()).unwrap_or(detail).to_string()
}

/// Alarm activations and clears in `[from_ms, to_ms)`; an activation is expected when the
/// journal's `expected_run` says run `run` explained it, a clear as its activation was. A store whose alarms
/// never ran has none.
fn alarm_rows(data_dir: &Path, run: i64, from_ms: i64, to_ms: i64, tz: &jiff::tz::TimeZone, lang: Language) -> Vec<AlarmRow> {
    let Ok(conn) = driftvakt_store::shared::connect_read_only(data_dir) else {
        return Vec::new();
    };
    let Ok(entries) = crate::alarm::store::journal(&conn, from_ms, to_ms, None, 100_000) else {
        return Vec::new();
    };
    let mut last: std::collections::HashMap<String, bool> = std::collections::HashMap::new();
    let mut out = Vec::new();
    for e in entries.into_iter().filter(|e| e.event == "activated" || e.event == "cleared") {
        let alarm = e.alarm.clone().unwrap_or_default();
        let (text, expected) = if e.event == "activated" {
            let expected = e.expected_run == Some(run);
            last.insert(alarm.clone(), expected);
            (without_mark(e.detail.as_deref().unwrap_or(""), run), Some(expected))
        } else {
            (e.detail.clone().unwrap_or_default(), last.get(&alarm).copied())
        };
        out.push(AlarmRow {
            time_ms: e.time_ms,
            time_local: local_datetime(e.time_ms, tz),
            alarm,
            event: event(&e.event, lang).to_string(),
            expected,
            text,
            code: e.event,
        });
    }
    out
}

pub use crate::report_format::Format;

/// Render the report of one run in `format`.
pub fn render(data: &ReportData, format: Format) -> Result<String> {
    Ok(match format {
        Format::Html => html::render(data),
        Format::Json => serde_json::to_string_pretty(data)?,
        Format::Csv => csv::render(data),
    })
}

/// Render the run history in `format`.
pub fn render_history(data: &HistoryData, format: Format) -> Result<String> {
    Ok(match format {
        Format::Html => history::html(data),
        Format::Json => serde_json::to_string_pretty(data)?,
        Format::Csv => history::csv(data),
    })
}

#[cfg(test)]
mod tests;
