//! The renderers on a hand-built report: every section in both languages, and the HTML's
//! figures the same in the CSV and the JSON.

use std::collections::HashMap;

use driftvakt_config::model::Language;
use driftvakt_domain::exercise::{Criterion, Event, EventKind, Kpi, Timing, Verdict, WatchResult};
use driftvakt_domain::text::exercise::Exercise;

use super::*;

fn event(kind: EventKind, at_ms: i64, unit: Option<&str>, point: &str, resolution_ms: i64, timing: Timing) -> EventRow {
    EventRow {
        label: format!("{kind:?}"),
        at_local: format!("t{at_ms}"),
        unit_name: unit.map(|u| format!("Name of {u}")),
        timing_label: format!("{timing:?}"),
        event: Event { kind, at_ms, unit: unit.map(String::from), point: point.into(), resolution_ms, timing },
    }
}

#[allow(clippy::too_many_arguments)]
fn kpi(key: &'static str, criterion: Option<Criterion>, unit: Option<&str>, value: Option<f64>, unit_label: &'static str, resolution: Option<f64>, limit: Option<f64>, limit_is_max: bool, verdict: Verdict) -> KpiRow {
    KpiRow {
        label: key.into(),
        unit_name: None,
        value_text: value.map_or("–".into(), |v| format!("{v} {unit_label}")),
        resolution_text: resolution.map(|r| format!("±{r}")),
        limit_text: limit.map_or("information".into(), |l| format!("≤ {l}")),
        reference_label: None,
        timing_label: None,
        verdict_label: format!("{verdict:?}"),
        verdict_symbol: words::symbol(verdict),
        kpi: Kpi { key, criterion, unit: unit.map(String::from), value, unit_label, resolution, timing: Some(Timing::Polled), reference: None, limit, limit_is_max, verdict },
    }
}

/// A monthly test whose booster pump tripped at the changeover, with every section filled.
pub(super) fn sample(lang: Language) -> ReportData {
    let t0 = 1_767_258_000_000;
    ReportData {
        title: Exercise::of(lang).title.into(),
        lang: lang.code().into(),
        site_id: "ref".into(),
        site_name: "Referenssjukhuset".into(),
        timezone: "Europe/Stockholm".into(),
        generated_local: "2026-01-01 12:00:00".into(),
        run: RunFacts {
            id: 7,
            kind: "monthly",
            kind_label: "månadsprov".into(),
            name: "Månadsprov januari".into(),
            started_by: "Anna Berg".into(),
            started_ms: t0,
            started_local: "2026-01-01 10:00:00".into(),
            stopped_ms: Some(t0 + 3_600_000),
            stopped_local: "2026-01-01 11:00:00".into(),
            stopped_by: Some("Bo Ek".into()),
            duration_ms: 3_600_000,
        },
        window: Window { from_ms: t0 - 60_000, to_ms: t0 + 3_900_001, end_ms: t0 + 3_600_000 },
        verdict: Verdict::Fail,
        verdict_label: "Underkänd".into(),
        events: vec![
            event(EventKind::RunStarted, t0, None, "", 0, Timing::Operator),
            event(EventKind::TestModeOn, t0 + 1_000, Some("ats"), "ats.test", 1_000, Timing::Polled),
            event(EventKind::Crank, t0 + 2_000, Some("g1"), "g1.state", 1_000, Timing::Polled),
            event(EventKind::GeneratorReady, t0 + 9_000, Some("g1"), "g1.state", 1_000, Timing::Polled),
            event(EventKind::TransferToEmergency, t0 + 10_250, Some("ats"), "ats.last_transfer", 1, Timing::Device),
            event(EventKind::RunStopped, t0 + 3_600_000, None, "", 0, Timing::Operator),
        ],
        kpis: vec![
            kpi("start_time", Some(Criterion::StartTime), Some("g1"), Some(8.0), "s", Some(1.0), Some(15.0), true, Verdict::Pass),
            kpi("changeover", Some(Criterion::Changeover), Some("ats"), Some(9.25), "s", Some(0.001), Some(15.0), true, Verdict::Pass),
            kpi("load_percent", Some(Criterion::Load), Some("g1"), Some(41.5), "%", None, Some(30.0), false, Verdict::Pass),
            kpi("fuel_used_l", None, None, None, "l", None, None, false, Verdict::NotMeasured),
        ],
        watched: vec![WatchRow {
            name: "Tryckstegring".into(),
            unit: "bar".into(),
            max_outside_ms: 30_000,
            first_outside_local: Some("10:00:11".into()),
            verdict_label: "Underkänd".into(),
            verdict_symbol: "✗",
            result: WatchResult {
                point: "vatten.tryck".into(),
                low: Some(3.5),
                high: Some(5.0),
                min: Some(0.4),
                max: Some(4.6),
                worst_deviation: 3.1,
                outside_ms: 95_000,
                first_outside_ms: Some(t0 + 11_000),
                verdict: Verdict::Fail,
            },
        }],
        charts: vec![
            ChartSeries { kind: "power_kw", point: "g1.kw".into(), unit: Some("g1".into()), label: "G1: kW".into(), unit_label: "kW".into(), low: None, high: None, points: vec![(t0, 0.0), (t0 + 600_000, 410.0)] },
            ChartSeries { kind: "watched", point: "vatten.tryck".into(), unit: None, label: "Tryck".into(), unit_label: "bar".into(), low: Some(3.5), high: Some(5.0), points: vec![(t0, 4.2), (t0 + 11_000, 0.4), (t0 + 200_000, 4.3)] },
        ],
        alarms: vec![
            AlarmRow { time_ms: t0 + 1_500, time_local: "10:00:01".into(), alarm: "el.mains.state".into(), code: "activated".into(), event: "aktiverat".into(), expected: Some(true), text: "Nät bortfall".into() },
            AlarmRow { time_ms: t0 + 12_000, time_local: "10:00:12".into(), alarm: "vatten.tryck.low".into(), code: "activated".into(), event: "aktiverat".into(), expected: Some(false), text: "Lågt tryck".into() },
        ],
        notes: vec![NoteRow { at_ms: t0 + 20_000, at_local: "10:00:20".into(), by: "Anna Berg".into(), text: "Tryckstegringspump P2 löste ut, återställd manuellt".into() }],
        missing: vec![MissingRow { point: "ups1.runtime".into(), name: "UPS drifttid".into(), missing_ms: 120_000, no_readings: false }],
        sources: vec![SourceRow { role: "mains_available", unit: None, point: "el.mains".into(), readings: 3_660 }],
        signatures: Exercise::of(lang).signature_roles.iter().map(|s| s.to_string()).collect(),
    }
}

/// `data-key` → `data-value` of every figure in the HTML.
pub(super) fn html_figures(html: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let mut rest = html;
    while let Some(i) = rest.find("data-key=\"") {
        rest = &rest[i + 10..];
        let end = rest.find('"').expect("closing quote");
        let key = rest[..end].replace("&quot;", "\"").replace("&amp;", "&");
        let j = rest.find("data-value=\"").expect("a value beside every key");
        let after = &rest[j + 12..];
        let vend = after.find('"').expect("closing quote");
        out.insert(key, after[..vend].to_string());
        rest = &after[vend..];
    }
    out
}

/// The CSV's rows as fields (quotes honoured).
pub(super) fn csv_rows(csv: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let (mut row, mut field, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = csv.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => row.push(std::mem::take(&mut field)),
            ('\n', false) => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (c, _) => field.push(c),
        }
    }
    rows
}

/// `section.id.unit.key` → value of the CSV (the same key the HTML uses).
pub(super) fn csv_figures(csv: &str) -> HashMap<String, String> {
    let rows = csv_rows(csv);
    assert_eq!(rows[0], ["section", "id", "unit", "key", "value", "unit_label", "text"]);
    rows[1..].iter().map(|r| (format!("{}.{}.{}.{}", r[0], r[1], r[2], r[3]), r[4].clone())).collect()
}

#[test]
fn every_section_is_present_in_both_languages() {
    for lang in Language::ALL {
        let w = Exercise::of(lang);
        let html = html::render(&sample(lang));
        assert!(html.contains(&format!("lang=\"{}\"", lang.code())));
        for id in ["run", "verdict", "timeline", "kpis", "charts", "watched", "alarms", "observations", "coverage", "signatures"] {
            assert!(html.contains(&format!("<section id=\"{id}\"")), "section {id} in {lang:?}");
        }
        assert!(html.contains("<footer id=\"sources\""));
        for heading in [w.timeline_heading, w.kpi_heading, w.charts_heading, w.watched_heading, w.alarms_heading, w.observations_heading, w.coverage_heading, w.signatures_heading, w.overall] {
            assert!(html.contains(heading), "{heading:?} in {lang:?}");
        }
        for role in w.signature_roles {
            assert!(html.contains(role), "signature line {role:?}");
        }
        assert!(html.contains(w.expected) && html.contains(w.unexpected), "expected and unexpected alarms told apart");
        assert!(html.contains("Tryckstegringspump P2 löste ut"), "the observation");
        assert_eq!(html.matches("<polyline class=\"series\"").count(), 2, "a chart per series");
        assert!(html.contains("class=\"band\""), "the watched point's band shaded");
        assert_eq!(html.matches("class=\"mark\"").count(), 4, "start and stop marked on each chart");
        assert!(!html.contains("<script"), "self-contained, no scripts");
        assert!(html.contains("@page{size:A4"));
    }
}

#[test]
fn verdicts_are_words_with_a_symbol_not_colour_alone() {
    let html = html::render(&sample(Language::Sv));
    assert!(html.contains("✗ Underkänd"), "overall and the watched point: symbol and word");
    assert!(html.contains("data-value=\"fail\""));
    assert!(html.contains("✓ Pass"), "a passed figure: symbol and word");
}

#[test]
fn csv_and_json_carry_the_htmls_figures() {
    let d = sample(Language::Sv);
    let html = html_figures(&html::render(&d));
    let csv = csv_figures(&csv::render(&d));
    assert!(html.len() >= 30, "only {} figures in the HTML", html.len());
    for (k, v) in &html {
        assert_eq!(csv.get(k), Some(v), "{k}: HTML {v:?}, CSV {:?}", csv.get(k));
    }
    let j: serde_json::Value = serde_json::from_str(&render(&d, Format::Json).expect("json")).expect("valid JSON");
    let num = |k: &str| html[k].parse::<f64>().unwrap_or_else(|_| panic!("{k} = {:?}", html[k]));
    for (i, k) in j["kpis"].as_array().expect("kpis").iter().enumerate() {
        let key = format!("kpi.{}.{}.", k["key"].as_str().expect("key"), k["unit"].as_str().unwrap_or(""));
        match k["value"].as_f64() {
            Some(v) => assert_eq!(num(&format!("{key}value")), v, "kpi {i}"),
            None => assert_eq!(html[&format!("{key}value")], "", "kpi {i} not measured"),
        }
        assert_eq!(html[&format!("{key}verdict")], k["verdict"].as_str().expect("verdict"));
    }
    for (i, e) in j["events"].as_array().expect("events").iter().enumerate() {
        let key = format!("event.{i}.{}.", e["unit"].as_str().unwrap_or(""));
        assert_eq!(num(&format!("{key}at_ms")), e["at_ms"].as_f64().expect("at_ms"));
        assert_eq!(num(&format!("{key}resolution_ms")), e["resolution_ms"].as_f64().expect("resolution"));
        assert!(e["timing"].is_string() && e["kind"].is_string() && e["label"].is_string());
    }
    let w = &j["watched"][0];
    assert_eq!(num("watched.vatten.tryck..outside_ms"), w["outside_ms"].as_f64().expect("outside"));
    assert_eq!(num("watched.vatten.tryck..worst_deviation"), w["worst_deviation"].as_f64().expect("worst"));
    assert_eq!(j["alarms"][1]["expected"], serde_json::Value::Bool(false));
    assert_eq!(html["alarm.vatten.tryck.low..activated.expected"], "0");
    assert_eq!(j["verdict"], "fail");
    assert_eq!(j["run"]["kind"], "monthly");
    assert_eq!(num("missing.ups1.runtime..missing_ms"), j["missing"][0]["missing_ms"].as_f64().expect("missing"));
    assert_eq!(j["charts"][1]["low"].as_f64(), Some(3.5));
    assert_eq!(j["notes"][0]["by"], "Anna Berg");
}

#[test]
fn a_device_exact_time_keeps_its_milliseconds_and_says_so() {
    let mut d = sample(Language::Sv);
    d.events[4].at_local = "10:00:10.250".into();
    let html = html::render(&d);
    assert!(html.contains("10:00:10.250"));
    assert!(html.contains("data-event=\"transfer_to_emergency\""));
}

fn history_sample(lang: Language) -> HistoryData {
    let d = sample(lang);
    HistoryData {
        title: "Körhistorik reservkraft 2026".into(),
        lang: lang.code().into(),
        site_id: d.site_id.clone(),
        site_name: d.site_name.clone(),
        timezone: d.timezone.clone(),
        year: 2026,
        from_ms: 1_767_222_000_000,
        to_ms: 1_798_758_000_000,
        generated_local: d.generated_local.clone(),
        runs: vec![HistoryRow {
            run: d.run.clone(),
            start_time_s: Some(8.0),
            changeover_s: Some(9.25),
            minutes_on_load: Some(42.5),
            load_percent: Some(41.5),
            verdict: Verdict::Fail,
            verdict_label: "Underkänd".into(),
            verdict_symbol: "✗",
        }],
        counts: vec![
            KindCount { kind: "monthly", label: "månadsprov".into(), runs: 1, passed: 0, failed: 1 },
            KindCount { kind: "outage", label: "avbrott".into(), runs: 0, passed: 0, failed: 0 },
        ],
        generators: vec![GeneratorHours { id: "g1".into(), name: "G1".into(), test_h: 0.75, outage_h: 0.0, runs: 1 }],
        signatures: d.signatures.clone(),
    }
}

#[test]
fn the_run_history_has_every_section_and_the_same_figures_in_csv_and_json() {
    for lang in Language::ALL {
        let w = Exercise::of(lang);
        let d = history_sample(lang);
        let html_text = render_history(&d, Format::Html).expect("html");
        for id in ["history", "runs", "counts", "hours", "signatures"] {
            assert!(html_text.contains(&format!("<section id=\"{id}\"")), "section {id}");
        }
        for h in [w.history_heading, w.counts_heading, w.hours_heading] {
            assert!(html_text.contains(h), "{h:?}");
        }
        let html = html_figures(&html_text);
        let csv = csv_figures(&render_history(&d, Format::Csv).expect("csv"));
        for (k, v) in &html {
            assert_eq!(csv.get(k), Some(v), "{k}");
        }
        let j: serde_json::Value = serde_json::from_str(&render_history(&d, Format::Json).expect("json")).expect("JSON");
        assert_eq!(html["run.7..changeover_s"].parse::<f64>().ok(), j["runs"][0]["changeover_s"].as_f64());
        assert_eq!(html["generator.g1..test_h"].parse::<f64>().ok(), j["generators"][0]["test_h"].as_f64());
        assert_eq!(html["count.monthly..failed"], "1");
    }
}

#[test]
fn generator_hours_run_from_crank_to_stop_within_the_run() {
    let ev = |kind, at_ms, unit: &str| Event { kind, at_ms, unit: Some(unit.into()), point: String::new(), resolution_ms: 1000, timing: Timing::Polled };
    let events = [
        ev(EventKind::Crank, 1_000, "g1"),
        ev(EventKind::CrankFailed, 3_000, "g1"),
        ev(EventKind::Crank, 10_000, "g1"),
        ev(EventKind::GeneratorReady, 15_000, "g1"),
        ev(EventKind::Crank, 12_000, "g2"),
        ev(EventKind::GeneratorStopped, 50_000, "g1"),
    ];
    assert_eq!(history::running_ms(&events, "g1", 0, 100_000), 2_000 + 40_000);
    assert_eq!(history::running_ms(&events, "g1", 20_000, 30_000), 10_000, "clipped to the run");
    assert_eq!(history::running_ms(&events, "g2", 0, 100_000), 88_000, "still running at the end");
    assert_eq!(history::running_ms(&events, "g3", 0, 100_000), 0);
}

#[test]
fn which_run_reads_ids_and_latest() {
    assert_eq!(Which::parse("12"), Some(Which::Id(12)));
    assert_eq!(Which::parse("latest"), Some(Which::Latest));
    assert_eq!(Which::parse("tolv"), None);
}

#[test]
fn an_expected_activation_is_shown_without_the_journals_mark() {
    assert_eq!(without_mark("Nät bortfall (väntat under övning 7, inget utskick)", 7), "Nät bortfall");
    assert_eq!(without_mark("Lågt tryck", 7), "Lågt tryck");
}
