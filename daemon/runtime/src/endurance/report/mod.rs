//! The SSIK evidence report: endurance per reserve and function, målbild and gap, measured
//! evidence, data coverage and the period's alarms, from the store. [`gather`] computes every
//! figure once; [`html`], [`csv`] and JSON (serde) only lay the same figures out.

pub mod chart;
pub mod csv;
mod data;
pub mod html;
pub mod now;

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, Result};
use driftvakt_config::model::{Config, ENDURANCE_CAP_H, Language};
use driftvakt_domain::fmt::local_minute_zone as local;
use driftvakt_domain::text::fill;
use driftvakt_domain::text::journal::event;
use driftvakt_domain::text::report::Report;
use driftvakt_domain::endurance::{
    ChainFigure, Figure, Scenario, function_figure, refills, reserve_figure, trend_per_h,
};

use super::live::point_id;
use driftvakt_store::Store;

pub use data::{AlarmEntry, AssessmentRow, Coverage, Evidence, FunctionReport, ReportData, ReserveReport, ScenarioRow};

/// Most points a chart series keeps (longer series are reduced to bucket minima/means).
const MAX_CHART_POINTS: usize = 600;

/// Reduce a series to at most [`MAX_CHART_POINTS`] by bucket minimum (`min`) or mean.
fn reduce(series: &[(i64, f64)], min: bool) -> Vec<(i64, f64)> {
    if series.len() <= MAX_CHART_POINTS {
        return series.to_vec();
    }
    let per = series.len().div_ceil(MAX_CHART_POINTS);
    series
        .chunks(per)
        .map(|c| {
            let t = c[0].0;
            let v = if min {
                c.iter().map(|p| p.1).fold(f64::INFINITY, f64::min)
            } else {
                c.iter().map(|p| p.1).sum::<f64>() / c.len() as f64
            };
            (t, v)
        })
        .collect()
}

/// Sum of several per-minute series (each sorted by time), only at minutes where every one
/// has a value.
fn sum_series(parts: &[Vec<(i64, f64)>]) -> Vec<(i64, f64)> {
    let Some((first, rest)) = parts.split_first() else {
        return Vec::new();
    };
    let mut pos = vec![0_usize; rest.len()];
    let mut out = Vec::with_capacity(first.len());
    'outer: for &(t, v) in first {
        let mut s = v;
        for (k, p) in rest.iter().enumerate() {
            while pos[k] < p.len() && p[pos[k]].0 < t {
                pos[k] += 1;
            }
            match p.get(pos[k]) {
                Some(&(tk, vk)) if tk == t => s += vk,
                _ => continue 'outer,
            }
        }
        out.push((t, s));
    }
    out
}

fn row(f: &Figure, target_h: f64, limiting: Vec<String>) -> ScenarioRow {
    ScenarioRow {
        scenario: f.scenario,
        endurance_h: f.endurance_h,
        consumption_per_h: f.consumption_per_h,
        model: f.model,
        assumption: f.assumption.clone(),
        meets: f.endurance_h.map(|e| e >= target_h),
        gap_h: f.endurance_h.map(|e| (target_h - e).max(0.0)),
        limiting,
    }
}

fn endurance_evidence(
    store: &Store,
    id: &str,
    from: i64,
    to: i64,
    tz: &jiff::tz::TimeZone,
) -> Result<Evidence> {
    let series = store.minute_values(&point_id(id), from, to, true)?;
    let min = series.iter().copied().min_by(|a, b| a.1.total_cmp(&b.1));
    Ok(Evidence {
        min_endurance_h: min.map(|m| m.1),
        min_endurance_ms: min.map(|m| m.0),
        min_endurance_local: min.map(|m| local(m.0, tz)),
        endurance: reduce(&series, true),
        ..Evidence::default()
    })
}

/// Endurance per scenario key of one reserve.
type ScenarioFigures = Vec<(&'static str, Option<f64>)>;

fn join<T>(r: std::thread::Result<Result<T>>) -> Result<T> {
    r.unwrap_or_else(|_| Err(anyhow::anyhow!("a report thread panicked")))
}

/// Compute the report of `[from_ms, to_ms)` from the store in `data_dir`.
pub fn gather(
    config: &Config,
    data_dir: &Path,
    from_ms: i64,
    to_ms: i64,
    lang: Language,
) -> Result<ReportData> {
    let tz = jiff::tz::TimeZone::get(&config.site.timezone)
        .with_context(|| format!("unknown time zone {}", config.site.timezone))?;
    let t = Report::of(lang);
    let period_ms = (to_ms - from_ms).max(1);
    let end = now::end_state(config, &Store::open_read_only(data_dir)?, to_ms)
        .context("the state at the end of the period")?;

    let reserve_one = |store: &Store,
                       r: &driftvakt_config::model::Reserve,
                       inputs: &driftvakt_domain::endurance::Inputs|
     -> Result<(ReserveReport, ScenarioFigures)> {
        let mut by_scenario = Vec::new();
        let parts = r
            .stock
            .iter()
            .map(|p| store.minute_values(p, from_ms, to_ms, false))
            .collect::<Result<Vec<_>, _>>()?;
        let stock = sum_series(&parts);
        // Every scenario from the state at the end of the period, as live endurance saw it.
        let mut scenarios = Vec::new();
        for sc in Scenario::ALL {
            let f = reserve_figure(r, inputs, sc);
            by_scenario.push((sc.key(), f.endurance_h));
            scenarios.push(row(&f, r.target_h, Vec::new()));
        }
        // Consumption per bucket from the stock's trend (refill-aware).
        let bucket = ((to_ms - from_ms) / 96).max(3_600_000);
        let mut consumption = Vec::new();
        let mut start = 0;
        let mut t0 = from_ms;
        while t0 < to_ms {
            let end = stock[start..].partition_point(|s| s.0 < t0 + bucket) + start;
            if let Some(c) = trend_per_h(&stock[start..end], bucket, r.refill_threshold) {
                consumption.push((t0 + bucket / 2, c));
            }
            start = end;
            t0 += bucket;
        }
        let mut ev = endurance_evidence(store, &r.id, from_ms, to_ms, &tz)?;
        ev.refills = refills(&stock, r.refill_threshold);
        ev.stock_first = stock.first().map(|s| s.1);
        ev.stock_last = stock.last().map(|s| s.1);
        ev.stock = reduce(&stock, false);
        if !r.is_runtime() {
            ev.consumption = consumption;
        }
        let mut models = Vec::new();
        if r.is_runtime() {
            models.push(t.model_runtime.to_string());
        }
        if let Some(m) = &r.consumption.load {
            let curve: Vec<String> = m
                .curve
                .iter()
                .map(|(x, y)| format!("{x} %: {y} {}/h", r.unit))
                .collect();
            models.push(fill(
                t.model_load,
                &[
                    ("points", m.points.join(", ")),
                    ("rated", m.rated.to_string()),
                    ("unit", m.load_unit.clone()),
                    ("curve", curve.join("; ")),
                ],
            ));
        }
        if let Some(m) = &r.consumption.measured {
            models.push(fill(t.model_measured, &[("minutes", m.window.as_secs() / 60)]));
        }
        if let Some(p) = &r.consumption.planning {
            models.push(fill(
                t.model_planning,
                &[
                    ("per_day", p.per_day.to_string()),
                    ("worst", p.per_day_worst.to_string()),
                    ("unit", p.unit.clone()),
                    ("per", p.per.to_string()),
                    ("count", p.count.to_string()),
                    ("source", p.source.to_string()),
                ],
            ));
        }
        let report = ReserveReport {
            id: r.id.clone(),
            name: r.name.clone(),
            system: r.system.label(lang).to_string(),
            unit: r.unit.clone(),
            capacity: r.capacity,
            unusable: r.unusable,
            target_h: r.target_h,
            stock_points: r.stock.clone(),
            models,
            scenarios,
            evidence: ev,
        };
        Ok((report, by_scenario))
    };
    let coverage_of = |store: &Store| -> Result<Vec<Coverage>> {
        let mut coverage = Vec::new();
        for (_, p) in config.points() {
            let good = store.good_ms(&p.id, from_ms, to_ms)?;
            coverage.push(Coverage {
                point: p.id.clone(),
                name: p.name.clone(),
                share: good as f64 / period_ms as f64,
            });
        }
        for id in config
            .reserves
            .iter()
            .map(|r| (&r.id, &r.name))
            .chain(config.functions.iter().map(|f| (&f.id, &f.name)))
        {
            let good = store.good_ms(&point_id(id.0), from_ms, to_ms)?;
            let name = fill(t.endurance_of, &[("name", id.1)]);
            coverage.push(Coverage {
                point: point_id(id.0),
                name,
                share: good as f64 / period_ms as f64,
            });
        }
        Ok(coverage)
    };
    // Reserves, functions' evidence and coverage read the store in parallel, each thread on its
    // own read-only connection (WAL readers do not block each other).
    let open = || Store::open_read_only(data_dir);
    let (results, fevidence, coverage) = std::thread::scope(|sc| {
        let handles: Vec<_> = config
            .reserves
            .iter()
            .zip(&end.inputs)
            .map(|(r, inputs)| {
                let reserve_one = &reserve_one;
                sc.spawn(move || reserve_one(&open()?, r, inputs))
            })
            .collect();
        let fh: Vec<_> = config
            .functions
            .iter()
            .map(|f| {
                let tz = &tz;
                sc.spawn(move || endurance_evidence(&open()?, &f.id, from_ms, to_ms, tz))
            })
            .collect();
        let ch = sc.spawn(|| coverage_of(&open()?));
        let results: Vec<Result<(ReserveReport, ScenarioFigures)>> =
            handles.into_iter().map(|h| join(h.join())).collect();
        let fevidence: Vec<Result<Evidence>> = fh.into_iter().map(|h| join(h.join())).collect();
        (results, fevidence, join(ch.join()))
    });
    let mut reserves = Vec::new();
    let mut by_scenario: HashMap<(String, &'static str), Option<f64>> = HashMap::new();
    for r in results {
        let (report, figures) = r?;
        for (k, v) in figures {
            by_scenario.insert((report.id.clone(), k), v);
        }
        reserves.push(report);
    }
    let coverage = coverage?;
    let mut fevidence = fevidence.into_iter();

    let mut functions = Vec::new();
    for f in &config.functions {
        let mut scenarios = Vec::new();
        for sc in Scenario::ALL {
            let get = |id: &str| {
                by_scenario
                    .get(&(id.to_string(), sc.key()))
                    .copied()
                    .flatten()
            };
            let ChainFigure {
                endurance_h,
                limiting,
            } = function_figure(config, f, &get);
            let fig = Figure {
                scenario: sc,
                consumption_per_h: None,
                endurance_h: endurance_h.map(|e| e.min(ENDURANCE_CAP_H)),
                model: None,
                assumption: String::new(),
            };
            scenarios.push(row(&fig, f.target_h, limiting));
        }
        functions.push(FunctionReport {
            id: f.id.clone(),
            name: f.name.clone(),
            depends_on: f.depends_on.clone(),
            target_h: f.target_h,
            scenarios,
            evidence: fevidence.next().context("function evidence")??,
        });
    }

    let alarms = alarm_entries(data_dir, from_ms, to_ms, &tz, lang);
    let title = config.report.title.clone().unwrap_or_else(|| t.title.into());
    Ok(ReportData {
        title,
        lang: lang.code().into(),
        site_id: config.site.id.clone(),
        site_name: config.site.name.clone(),
        timezone: config.site.timezone.clone(),
        from_ms,
        to_ms,
        from_local: local(from_ms, &tz),
        to_local: local(to_ms, &tz),
        generated_local: local(jiff::Timestamp::now().as_millisecond(), &tz),
        endurance_cap_h: ENDURANCE_CAP_H,
        now: now::basis(&end, to_ms, local(to_ms, &tz), lang),
        reserves,
        functions,
        coverage,
        alarms,
        assessment_columns: config.report.columns.clone(),
        assessment: config
            .report
            .assessment
            .iter()
            .map(|a| AssessmentRow {
                system: a.system.label(lang).to_string(),
                cells: a.cells.clone(),
            })
            .collect(),
        signatures: config.report.signatures.clone(),
    })
}

fn alarm_entries(
    data_dir: &Path,
    from_ms: i64,
    to_ms: i64,
    tz: &jiff::tz::TimeZone,
    lang: Language,
) -> Vec<AlarmEntry> {
    let Ok(conn) = driftvakt_store::shared::connect_read_only(data_dir) else {
        return Vec::new();
    };
    // A store without alarm tables (alarms never ran) simply has no alarms to show.
    let Ok(entries) = crate::alarm::store::journal(&conn, from_ms, to_ms, None, 100_000) else {
        return Vec::new();
    };
    entries
        .into_iter()
        .map(|e| AlarmEntry {
            time_ms: e.time_ms,
            time_local: local(e.time_ms, tz),
            alarm: e.alarm.clone().unwrap_or_default(),
            event: event(&e.event, lang).to_string(),
            text: [e.detail.as_deref(), e.by.as_deref(), e.comment.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" · "),
            code: e.event,
        })
        .collect()
}

pub use crate::report_format::Format;

/// Render `data` in `format`.
pub fn render(data: &ReportData, format: Format) -> Result<String> {
    Ok(match format {
        Format::Html => html::render(data),
        Format::Json => serde_json::to_string_pretty(data)?,
        Format::Csv => csv::render(data),
    })
}
