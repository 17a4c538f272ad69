//! The run history of a year: every exercise and outage that started in it (each replayed and
//! judged through the same [`super::replay`] as its own report), the runs per kind, and the
//! hours each generator ran on test and on outage — as HTML, CSV and JSON (serde).

use std::path::Path;

use anyhow::{Context, Result};
use driftvakt_config::model::{Config, ExerciseKind, Language};
use driftvakt_domain::exercise::{Analysis, Event, EventKind, Run, Verdict, verdict_label};
use driftvakt_domain::text::exercise::{Exercise, kind_label};
use driftvakt_domain::text::fill;

use super::csv::{HEADER, opt, row};
use super::html::{CSS, esc, key};
use super::words::{duration, figure, local_datetime, symbol};
use super::facts::{facts, settings, zone};
use super::{GeneratorHours, HistoryData, HistoryRow, KindCount, replay};

/// Milliseconds generator `unit` ran within `[from_ms, to_ms)`: from a crank (or, without one,
/// ready or load) to its stop or failed crank, clipped to the window.
pub fn running_ms(events: &[Event], unit: &str, from_ms: i64, to_ms: i64) -> i64 {
    let mut since: Option<i64> = None;
    let mut total = 0;
    let mut add = |a: i64, b: i64| total += (b.min(to_ms) - a.max(from_ms)).max(0);
    for e in events.iter().filter(|e| e.unit.as_deref() == Some(unit)) {
        match e.kind {
            EventKind::Crank | EventKind::GeneratorReady | EventKind::LoadPickedUp | EventKind::CoolDown => {
                since.get_or_insert(e.at_ms);
            }
            EventKind::GeneratorStopped | EventKind::CrankFailed => {
                if let Some(s) = since.take() {
                    add(s, e.at_ms);
                }
            }
            _ => {}
        }
    }
    if let Some(s) = since {
        add(s, to_ms);
    }
    total
}

/// The first and last instant of `year` in `tz` (local midnights), UTC ms.
fn year_span(year: i16, tz: &jiff::tz::TimeZone) -> Result<(i64, i64)> {
    let at = |y: i16| -> Result<i64> {
        Ok(tz.to_ambiguous_timestamp(jiff::civil::date(y, 1, 1).at(0, 0, 0, 0)).compatible().context("year out of range")?.as_millisecond())
    };
    Ok((at(year)?, at(year.checked_add(1).context("year out of range")?)?))
}

/// A run's row of the history: its facts, the slowest and longest figures, its verdict.
fn history_row(run: &Run, a: &Analysis, tz: &jiff::tz::TimeZone, lang: Language, now_ms: i64) -> HistoryRow {
    let most = |k: &str| a.kpis.iter().filter(|x| x.key == k).filter_map(|x| x.value).reduce(f64::max);
    HistoryRow {
        run: facts(run, now_ms, tz, lang),
        start_time_s: most("start_time"),
        changeover_s: most("changeover"),
        minutes_on_load: most("minutes_on_load"),
        load_percent: most("load_percent"),
        verdict: a.verdict,
        verdict_label: verdict_label(a.verdict, lang).to_string(),
        verdict_symbol: symbol(a.verdict),
    }
}

/// The history rows of the runs that started in `[from_ms, to_ms)`, oldest first, each judged
/// by its replay like its report (the exercise page's list of past runs).
pub fn rows(config: &Config, data_dir: &Path, from_ms: i64, to_ms: i64, lang: Language, now_ms: i64) -> Result<Vec<HistoryRow>> {
    let settings = settings(config)?;
    let tz = zone(config)?;
    let conn = driftvakt_store::shared::connect_read_only(data_dir)
        .with_context(|| format!("opening the store in {}", data_dir.display()))?;
    if !super::super::store::has_tables(&conn)? {
        return Ok(Vec::new());
    }
    let runs = super::super::store::runs(&conn, from_ms, to_ms)?;
    let store = driftvakt_store::Store::open_read_only(data_dir)
        .with_context(|| format!("opening the store in {}", data_dir.display()))?;
    runs.iter()
        .map(|run| {
            let r = replay(&store, settings, run, now_ms).with_context(|| format!("run {}", run.id))?;
            Ok(history_row(run, &r.analysis, &tz, lang, now_ms))
        })
        .collect()
}

/// Compute the run history of `year` from the store in `data_dir`.
pub fn gather(config: &Config, data_dir: &Path, year: i16, lang: Language, now_ms: i64) -> Result<HistoryData> {
    let settings = settings(config)?;
    let tz = zone(config)?;
    let w = Exercise::of(lang);
    let (from_ms, to_ms) = year_span(year, &tz)?;
    let conn = driftvakt_store::shared::connect_read_only(data_dir)
        .with_context(|| format!("opening the store in {}", data_dir.display()))?;
    let runs = super::super::store::runs(&conn, from_ms, to_ms)?;
    let store = driftvakt_store::Store::open_read_only(data_dir)
        .with_context(|| format!("opening the store in {}", data_dir.display()))?;
    let mut rows = Vec::new();
    let mut hours: Vec<GeneratorHours> = settings
        .generators
        .iter()
        .map(|g| GeneratorHours { id: g.id.clone(), name: g.name.clone(), test_h: 0.0, outage_h: 0.0, runs: 0 })
        .collect();
    let mut counts: Vec<KindCount> = ExerciseKind::ALL
        .into_iter()
        .map(|k| KindCount { kind: k.key(), label: kind_label(k, lang).to_string(), runs: 0, passed: 0, failed: 0 })
        .collect();
    for run in &runs {
        let r = replay(&store, settings, run, now_ms).with_context(|| format!("run {}", run.id))?;
        let a = &r.analysis;
        for (g, h) in settings.generators.iter().zip(&mut hours) {
            let ms = running_ms(&a.events, &g.id, run.started_ms, r.window.end_ms);
            if ms > 0 {
                h.runs += 1;
            }
            let hrs = ms as f64 / 3_600_000.0;
            if run.kind == ExerciseKind::Outage {
                h.outage_h += hrs;
            } else {
                h.test_h += hrs;
            }
        }
        if let Some(c) = counts.iter_mut().find(|c| c.kind == run.kind.key()) {
            c.runs += 1;
            c.passed += usize::from(a.verdict == Verdict::Pass);
            c.failed += usize::from(a.verdict == Verdict::Fail);
        }
        rows.push(history_row(run, a, &tz, lang, now_ms));
    }
    Ok(HistoryData {
        title: fill(w.history_title, &[("year", year)]),
        lang: lang.code().into(),
        site_id: config.site.id.clone(),
        site_name: config.site.name.clone(),
        timezone: config.site.timezone.clone(),
        year,
        from_ms,
        to_ms,
        generated_local: local_datetime(now_ms, &tz),
        runs: rows,
        counts,
        generators: hours,
        signatures: w.signature_roles.iter().map(|s| s.to_string()).collect(),
    })
}

fn fig(class: &str, k: &str, value: &str, shown: &str) -> String {
    format!("<td class=\"{class}\" data-key=\"{}\" data-value=\"{}\">{}</td>", esc(k), esc(value), esc(shown))
}

/// The run history as HTML (A4, self-contained).
pub fn html(d: &HistoryData) -> String {
    let lang = Language::from_code(&d.lang).unwrap_or_default();
    let w = Exercise::of(lang);
    let dash = w.not_measured_value;
    let shown = |v: Option<f64>, unit: &str| v.map_or_else(|| dash.to_string(), |v| figure(v, unit, lang));
    let mut o = format!(
        "<!DOCTYPE html><html lang=\"{}\"><head><meta charset=\"utf-8\"><title>{} – {}</title><style>{CSS}</style></head><body>",
        esc(&d.lang),
        esc(&d.title),
        esc(&d.site_name)
    );
    o.push_str(&format!(
        "<section id=\"history\"><h1>{}</h1><table><tr><th>{}</th><td>{} ({})</td></tr><tr><th>{}</th><td>{}</td></tr><tr><th>{}</th><td>{}</td></tr></table></section>",
        esc(&d.title),
        w.site,
        esc(&d.site_name),
        esc(&d.site_id),
        w.timezone,
        esc(&d.timezone),
        w.generated,
        esc(&d.generated_local)
    ));
    // Every run.
    o.push_str(&format!("<section id=\"runs\"><h2>{}</h2>", w.history_heading));
    if d.runs.is_empty() {
        o.push_str(&format!("<p>{}</p>", w.no_runs));
    } else {
        o.push_str("<table><thead><tr>");
        for c in w.history_columns {
            o.push_str(&format!("<th>{c}</th>"));
        }
        o.push_str(&format!("<th>{}</th></tr></thead><tbody>", w.started_by));
        for h in &d.runs {
            let id = h.run.id.to_string();
            let k = |name: &str| key("run", &id, "", name);
            o.push_str(&format!(
                "<tr data-kind=\"{}\"><td>{id}</td>{}{}<td>{}</td>{}{}{}<td class=\"verdict {}\" data-key=\"{}\" data-value=\"{}\">{} {}</td>{}<td>{}</td></tr>",
                h.run.kind,
                fig("num", &k("started_ms"), &h.run.started_ms.to_string(), &h.run.started_local),
                fig("", &k("kind"), h.run.kind, &h.run.kind_label),
                esc(&h.run.name),
                fig("num", &k("start_time_s"), &opt(h.start_time_s), &shown(h.start_time_s, "s")),
                fig("num", &k("changeover_s"), &opt(h.changeover_s), &shown(h.changeover_s, "s")),
                fig("num", &k("minutes_on_load"), &opt(h.minutes_on_load), &shown(h.minutes_on_load, "min")),
                h.verdict.key(),
                esc(&k("verdict")),
                h.verdict.key(),
                h.verdict_symbol,
                esc(&h.verdict_label),
                fig("num", &k("duration_ms"), &h.run.duration_ms.to_string(), &duration(h.run.duration_ms, lang)),
                esc(&h.run.started_by),
            ));
        }
        o.push_str("</tbody></table>");
    }
    o.push_str("</section>");
    // Per kind.
    o.push_str(&format!("<section id=\"counts\"><h2>{}</h2><table><thead><tr>", w.counts_heading));
    for c in w.counts_columns {
        o.push_str(&format!("<th>{c}</th>"));
    }
    o.push_str("</tr></thead><tbody>");
    for c in &d.counts {
        let k = |name: &str| key("count", c.kind, "", name);
        o.push_str(&format!(
            "<tr><td>{}</td>{}{}{}</tr>",
            esc(&c.label),
            fig("num", &k("runs"), &c.runs.to_string(), &c.runs.to_string()),
            fig("num", &k("passed"), &c.passed.to_string(), &c.passed.to_string()),
            fig("num", &k("failed"), &c.failed.to_string(), &c.failed.to_string()),
        ));
    }
    o.push_str("</tbody></table></section>");
    // Hours per generator.
    o.push_str(&format!("<section id=\"hours\"><h2>{}</h2><table><thead><tr>", w.hours_heading));
    for c in w.hours_columns {
        o.push_str(&format!("<th>{c}</th>"));
    }
    o.push_str("</tr></thead><tbody>");
    for g in &d.generators {
        let k = |name: &str| key("generator", &g.id, "", name);
        o.push_str(&format!(
            "<tr><td>{} <span class=\"note\">({})</span></td>{}{}{}</tr>",
            esc(&g.name),
            esc(&g.id),
            fig("num", &k("test_h"), &g.test_h.to_string(), &figure(g.test_h, "h", lang)),
            fig("num", &k("outage_h"), &g.outage_h.to_string(), &figure(g.outage_h, "h", lang)),
            fig("num", &k("runs"), &g.runs.to_string(), &g.runs.to_string()),
        ));
    }
    o.push_str("</tbody></table></section>");
    o.push_str(&format!("<section id=\"signatures\"><h2>{}</h2>", w.signatures_heading));
    for s in &d.signatures {
        o.push_str(&format!("<div class=\"sig\">{}<br>{}</div>", esc(s), w.name_date));
    }
    o.push_str(&format!(
        "</section><footer id=\"sources\"><p>{} ({}) · {} · {}</p><p>{}</p></footer></body></html>\n",
        esc(&d.site_name),
        esc(&d.site_id),
        esc(&d.title),
        esc(&d.generated_local),
        w.history_sources
    ));
    o
}

/// The run history as CSV (the same columns as a run's CSV).
pub fn csv(d: &HistoryData) -> String {
    let mut o = String::from(HEADER);
    row(&mut o, "site", &d.site_id, "", "year", &d.year.to_string(), "", &d.site_name);
    for h in &d.runs {
        let id = h.run.id.to_string();
        row(&mut o, "run", &id, "", "kind", h.run.kind, "", &h.run.name);
        row(&mut o, "run", &id, "", "started_ms", &h.run.started_ms.to_string(), "ms", &h.run.started_local);
        row(&mut o, "run", &id, "", "started_by", "", "", &h.run.started_by);
        row(&mut o, "run", &id, "", "duration_ms", &h.run.duration_ms.to_string(), "ms", "");
        row(&mut o, "run", &id, "", "start_time_s", &opt(h.start_time_s), "s", "");
        row(&mut o, "run", &id, "", "changeover_s", &opt(h.changeover_s), "s", "");
        row(&mut o, "run", &id, "", "minutes_on_load", &opt(h.minutes_on_load), "min", "");
        row(&mut o, "run", &id, "", "load_percent", &opt(h.load_percent), "%", "");
        row(&mut o, "run", &id, "", "verdict", h.verdict.key(), "", &h.verdict_label);
    }
    for c in &d.counts {
        row(&mut o, "count", c.kind, "", "runs", &c.runs.to_string(), "", &c.label);
        row(&mut o, "count", c.kind, "", "passed", &c.passed.to_string(), "", "");
        row(&mut o, "count", c.kind, "", "failed", &c.failed.to_string(), "", "");
    }
    for g in &d.generators {
        row(&mut o, "generator", &g.id, "", "test_h", &g.test_h.to_string(), "h", &g.name);
        row(&mut o, "generator", &g.id, "", "outage_h", &g.outage_h.to_string(), "h", "");
        row(&mut o, "generator", &g.id, "", "runs", &g.runs.to_string(), "", "");
    }
    o
}
