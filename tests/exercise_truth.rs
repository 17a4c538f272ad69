//! Reservkraftprov end to end against the simulator's own ground truth: a monthly test, its
//! faults, a blackout with no exercise running and a year of tests and outages, fast-forwarded
//! through the daemon's path (driver decoding, store, alarm engine, the daemon's exercise
//! monitor) with the role points read every second, then `driftvakt report exercise` and
//! `report exercises` compared with what the plant model really did (`--truth-events`,
//! `--truth`). A figure from polled points must be within one poll interval of the truth; the
//! transfer time comes from the switch's own register and must equal it.

mod support;

use std::path::{Path, PathBuf};

use serde_json::Value;
use support::alarm::cli_ok as run;

/// Start of simulated time: a Wednesday morning in March.
const START: &str = "2026-03-04T08:00:00Z";
/// The role points' poll interval in the fast-forward (`--sample 1s`), ms.
const POLL_MS: i64 = 1_000;

fn example() -> PathBuf {
    support::repo_root().join("config/examples/reference-hospital.toml")
}


/// What the plant model did: its transitions and its per-minute figures.
struct Truth {
    events: Vec<Value>,
    minutes: Vec<Value>,
}

impl Truth {
    /// Time (UTC ms) of the first transition `kind` of `unit` (`None` = any unit).
    fn at(&self, kind: &str, unit: Option<&str>) -> i64 {
        self.find(kind, unit).unwrap_or_else(|| panic!("no {kind} {unit:?} in the truth: {:?}", self.events))
    }

    fn find(&self, kind: &str, unit: Option<&str>) -> Option<i64> {
        self.events
            .iter()
            .find(|e| e["kind"] == kind && unit.is_none_or(|u| e["unit"] == u))
            .map(|e| e["unix_ms"].as_i64().expect("unix_ms"))
    }

    fn count(&self, kind: &str, unit: &str) -> usize {
        self.events.iter().filter(|e| e["kind"] == kind && e["unit"] == unit).count()
    }
}

/// Fast-forward `scenario` with `faults` for `duration` into `dir/data`; the truth beside it.
fn fastforward(dir: &Path, scenario: &str, faults: &str, start: &str, extra: &[&str]) -> (PathBuf, Truth) {
    let data = dir.join("data");
    let (events, minutes) = (dir.join("truth-events.json"), dir.join("truth.jsonl"));
    let cfg = example();
    let mut args = vec![
        "fastforward",
        "--config",
        cfg.to_str().expect("utf-8"),
        "--data",
        data.to_str().expect("utf-8"),
        "--scenario",
        scenario,
        "--faults",
        faults,
        "--start",
        start,
        "--truth-events",
        events.to_str().expect("utf-8"),
        "--truth",
        minutes.to_str().expect("utf-8"),
    ];
    args.extend_from_slice(extra);
    run(&args);
    let events: Value = serde_json::from_str(&std::fs::read_to_string(&events).expect("truth events")).expect("json");
    let minutes = std::fs::read_to_string(&minutes)
        .expect("truth")
        .lines()
        .map(|l| serde_json::from_str(l).expect("truth line"))
        .collect();
    let truth = Truth { events: events["events"].as_array().expect("events").clone(), minutes };
    (data, truth)
}

/// `report exercise` of run `id` in `format`, as text.
fn report(data: &Path, id: &str, format: &str, lang: &str) -> String {
    let out = data.with_extension(format!("{id}.{lang}.{format}"));
    let cfg = example();
    run(&[
        "report",
        "exercise",
        "--config",
        cfg.to_str().expect("utf-8"),
        "--data",
        data.to_str().expect("utf-8"),
        "--id",
        id,
        "--format",
        format,
        "--lang",
        lang,
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    std::fs::read_to_string(out).expect("report written")
}

fn report_json(data: &Path, id: &str) -> Value {
    serde_json::from_str(&report(data, id, "json", "sv")).expect("report JSON")
}

/// The figure `key` of `unit` in a report.
fn kpi<'a>(r: &'a Value, key: &str, unit: &str) -> &'a Value {
    r["kpis"]
        .as_array()
        .expect("kpis")
        .iter()
        .find(|k| k["key"] == key && k["unit"] == unit)
        .unwrap_or_else(|| panic!("no KPI {key} of {unit} in {}", r["kpis"]))
}

fn value(k: &Value) -> f64 {
    k["value"].as_f64().unwrap_or_else(|| panic!("no value in {k}"))
}

/// The report's first event `kind` of `unit`.
fn event<'a>(r: &'a Value, kind: &str, unit: &str) -> &'a Value {
    r["events"]
        .as_array()
        .expect("events")
        .iter()
        .find(|e| e["kind"] == kind && e["unit"] == unit)
        .unwrap_or_else(|| panic!("no event {kind} of {unit} in {}", r["events"]))
}

/// Activations of alarm `id` in the report's alarm section: their `expected` marks.
fn activations(r: &Value, id: &str) -> Vec<Value> {
    r["alarms"]
        .as_array()
        .expect("alarms")
        .iter()
        .filter(|a| a["alarm"] == id && a["code"] == "activated")
        .map(|a| a["expected"].clone())
        .collect()
}

fn assert_within(what: &str, got: f64, truth: f64, tol: f64) {
    assert!((got - truth).abs() <= tol, "{what}: report {got}, truth {truth}, allowed ±{tol}");
}

#[test]
fn a_monthly_test_reports_the_simulators_start_changeover_and_load() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (data, truth) = fastforward(dir.path(), "monthly_test", "", START, &["--duration", "1h", "--sample", "1s"]);
    let r = report_json(&data, "latest");
    assert_eq!(r["run"]["kind"], "monthly", "the fast-forward's coordinator started a monthly test");
    assert_eq!(r["verdict"], "pass", "a fault-free monthly test passes: {}", r["kpis"]);

    let test_on = truth.at("test_mode_on", Some("ats"));
    let poll_s = POLL_MS as f64 / 1000.0;
    for (g, unit) in [("g1", "G1"), ("g2", "G2")] {
        let start = kpi(&r, "start_time", g);
        let truth_s = (truth.at("generator_ready", Some(unit)) - test_on) as f64 / 1000.0;
        assert_within(&format!("{g} start time (s)"), value(start), truth_s, poll_s);
        assert_eq!(start["verdict"], "pass");
        assert_eq!(value(kpi(&r, "start_attempts", g)), 1.0);
        // Every transition of the generator is in the timeline within one poll.
        for (truth_kind, kind) in [("prestart", "pre_start"), ("crank", "crank"), ("generator_ready", "generator_ready"), ("cool_down", "cool_down"), ("generator_stopped", "generator_stopped")] {
            let at = event(&r, kind, g)["at_ms"].as_i64().expect("at_ms");
            let t = truth.at(truth_kind, Some(unit));
            assert!((at - t).abs() <= POLL_MS, "{g} {kind}: report {at}, truth {t}");
        }
    }

    // The transfer time is the switch's own register: exactly the model's transfer second.
    let transfer = truth.at("transfer_to_emergency", Some("ats"));
    let ev = event(&r, "transfer_to_emergency", "ats");
    assert_eq!(ev["timing"], "device", "the transfer is timed by the switch's own register: {ev}");
    assert_eq!(ev["at_ms"].as_i64(), Some(transfer / 1000 * 1000), "device-reported transfer time");
    let changeover = kpi(&r, "changeover", "ats");
    assert_within("changeover (s)", value(changeover), (transfer - test_on) as f64 / 1000.0, poll_s);
    assert_eq!(changeover["timing"], "device");
    let retransfer = event(&r, "retransfer", "ats");
    assert_eq!(retransfer["at_ms"].as_i64(), Some(truth.at("retransfer", Some("ats")) / 1000 * 1000));

    // Load: the plant's per-minute generator load while the switch was on emergency.
    let back = truth.at("retransfer", Some("ats"));
    let on_load: Vec<f64> = truth
        .minutes
        .iter()
        .filter(|m| m["time_ms"].as_i64().is_some_and(|t| t > transfer && t < back))
        .map(|m| m["generator_load_kw"][0].as_f64().expect("kW") / 800.0 * 100.0)
        .collect();
    assert!(on_load.len() > 30, "the test ran about 40 minutes on load");
    let truth_pct = on_load.iter().sum::<f64>() / on_load.len() as f64;
    for g in ["g1", "g2"] {
        let load = kpi(&r, "load_percent", g);
        assert_within(&format!("{g} load (% of rating)"), value(load), truth_pct, 1.0);
        assert_eq!(load["verdict"], "pass", "≥ 30 % of rating");
        let minutes = kpi(&r, "minutes_on_load", g);
        assert_within(&format!("{g} minutes on load"), value(minutes), (back - transfer) as f64 / 60_000.0, 2.0 * poll_s / 60.0);
        assert_eq!(minutes["verdict"], "pass", "≥ 30 min");
    }
    // The switch stayed on reserve with mains present for the whole test: an alarm the
    // exercise explains (shown and journalled as expected, not escalated).
    assert_eq!(activations(&r, "ats.position.stuck_on_reserve"), vec![Value::Bool(true)]);
}

#[test]
fn a_failed_first_crank_fails_start_attempts_and_raises_its_alarm() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (data, truth) = fastforward(dir.path(), "monthly_test", "failed_crank", START, &["--duration", "15m", "--sample", "1s"]);
    assert_eq!(truth.count("crank_failed", "G1"), 1, "the model's first crank failed");
    let r = report_json(&data, "latest");
    assert_eq!(r["verdict"], "fail");
    for g in ["g1", "g2"] {
        let attempts = kpi(&r, "start_attempts", g);
        assert_eq!((value(attempts), attempts["verdict"].as_str()), (2.0, Some("fail")), "{attempts}");
        assert!(r["events"].as_array().expect("events").iter().any(|e| e["kind"] == "crank_failed" && e["unit"] == g));
    }
    assert_eq!(activations(&r, "exercise.start_attempts"), vec![Value::Bool(false)], "raised, and not explained by the exercise");
}

#[test]
fn a_transfer_that_never_happens_fails_changeover_and_raises_its_alarm() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (data, truth) = fastforward(dir.path(), "monthly_test", "no_transfer", START, &["--duration", "15m", "--sample", "1s"]);
    assert!(truth.find("transfer_to_emergency", Some("ats")).is_none(), "the model never transferred");
    let r = report_json(&data, "latest");
    assert_eq!(r["verdict"], "fail");
    let changeover = kpi(&r, "changeover", "ats");
    assert!(changeover["value"].is_null(), "no changeover time without a transfer: {changeover}");
    assert_eq!(changeover["verdict"], "fail");
    assert_eq!(kpi(&r, "start_time", "g1")["verdict"], "pass", "the generators themselves started");
    assert_eq!(activations(&r, "exercise.changeover"), vec![Value::Bool(false)], "raised, and not explained by the exercise");
}

#[test]
fn a_tripped_booster_pump_shows_as_a_watched_point_out_of_band() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (data, truth) = fastforward(dir.path(), "monthly_test", "pump_trip", START, &["--duration", "1h", "--sample", "1s"]);
    let (trip, restart) = (truth.at("pump_trip", Some("pump1")), truth.at("pump_restart", Some("pump1")));
    let r = report_json(&data, "latest");
    let w = r["watched"]
        .as_array()
        .expect("watched")
        .iter()
        .find(|w| w["point"] == "reservvatten.pressure")
        .expect("booster pressure is watched");
    assert_eq!(w["verdict"], "fail");
    // Pressure leaves the 3.5 bar band about 1 s after the trip and is back about 4 s after the
    // restart (the model's 3 s pressure time constant): the pump's 600 s ± a few polls.
    let outside_s = w["outside_ms"].as_f64().expect("outside_ms") / 1000.0;
    assert_within("time out of band (s)", outside_s, (restart - trip) as f64 / 1000.0, 5.0 + 2.0 * POLL_MS as f64 / 1000.0);
    let first = w["first_outside_ms"].as_i64().expect("first outside");
    assert!((first - trip).abs() <= 2 * POLL_MS, "left the band at {first}, pump tripped at {trip}");
    assert_eq!(r["verdict"], "fail");
    assert_eq!(kpi(&r, "changeover", "ats")["verdict"], "pass", "only the watched point failed");
    assert_eq!(activations(&r, "reservvatten.pressure.l"), vec![Value::Bool(false)], "the low-pressure alarm escalates");
}

#[test]
fn a_mains_loss_with_no_exercise_running_is_reported_as_an_outage() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (data, truth) = fastforward(dir.path(), "blackout", "", START, &["--duration", "30m", "--sample", "1s"]);
    let r = report_json(&data, "latest");
    assert_eq!(r["run"]["kind"], "outage");
    assert_eq!(r["run"]["started_by"], "driftvakt", "detected, not started by a person");
    let lost = truth.at("mains_lost", None);
    let started = r["run"]["started_ms"].as_i64().expect("started");
    assert!((started - lost).abs() <= POLL_MS, "outage started {started}, mains lost {lost}");
    let stopped = r["run"]["stopped_ms"].as_i64().expect("the outage ended when the plant was back on mains");
    let gens_stopped = truth.at("generator_stopped", Some("G1"));
    assert!((stopped - gens_stopped).abs() <= 2 * POLL_MS, "outage ended {stopped}, generators stopped {gens_stopped}");

    let transfer = truth.at("transfer_to_emergency", Some("ats"));
    assert_within("changeover (s)", value(kpi(&r, "changeover", "ats")), (transfer - lost) as f64 / 1000.0, 1.0);
    let ups = r["kpis"].as_array().expect("kpis").iter().find(|k| k["key"] == "ups_minutes").expect("UPS minutes");
    let truth_ups = (truth.at("ups_off_battery", Some("ups")) - truth.at("ups_on_battery", Some("ups"))) as f64 / 60_000.0;
    assert_within("UPS minutes on battery", value(ups), truth_ups, 2.0 * POLL_MS as f64 / 60_000.0);
    assert_eq!(kpi(&r, "load_percent", "g1")["verdict"], "not_applicable", "no load criterion in a real outage");
    // A real outage explains no alarm: the mains alarm escalates.
    assert_eq!(activations(&r, "ats.mains_available.state"), vec![Value::Bool(false)]);
    // The same figures in English and in CSV.
    let en = report(&data, "latest", "html", "en");
    assert!(en.contains("Power outage") || en.contains("outage"), "English report names the kind");
    let csv = report(&data, "latest", "csv", "sv");
    assert!(csv.lines().any(|l| l.contains("changeover") && l.contains("ats")), "CSV carries the changeover");
}

#[test]
fn a_fast_forwarded_year_lists_every_exercise_and_outage() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (data, truth) = fastforward(
        dir.path(),
        "normal",
        "",
        "2026-01-01T00:00:00Z",
        &["--plan", "year", "--duration", "365d", "--sample", "2s", "--coarse-sample", "30m"],
    );
    let cfg = example();
    let out = dir.path().join("history.json");
    run(&[
        "report",
        "exercises",
        "--config",
        cfg.to_str().expect("utf-8"),
        "--data",
        data.to_str().expect("utf-8"),
        "--year",
        "2026",
        "--format",
        "json",
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    let h: Value = serde_json::from_str(&std::fs::read_to_string(&out).expect("history")).expect("json");
    let runs = h["runs"].as_array().expect("runs");
    let kinds: Vec<&str> = runs.iter().map(|r| r["run"]["kind"].as_str().expect("kind")).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "monthly").count(), 12, "{kinds:?}");
    assert_eq!(kinds.iter().filter(|k| **k == "outage").count(), 2, "{kinds:?}");
    let count = |kind: &str| h["counts"].as_array().expect("counts").iter().find(|c| c["kind"] == kind).cloned().expect("count row");
    assert_eq!((count("monthly")["runs"].as_u64(), count("monthly")["passed"].as_u64()), (Some(12), Some(12)));
    assert_eq!((count("outage")["runs"].as_u64(), count("outage")["passed"].as_u64()), (Some(2), Some(2)));
    assert_eq!(truth.count("test_mode_on", "ats"), 12);
    assert_eq!(truth.events.iter().filter(|e| e["kind"] == "mains_lost").count(), 2);

    // Hours per generator on test and in outages: crank to stop, from the model's transitions.
    let mut hours = [0.0_f64; 2]; // [test, outage]
    let mut crank = None;
    let mut in_outage = false;
    for e in &truth.events {
        match (e["kind"].as_str(), e["unit"].as_str()) {
            (Some("mains_lost"), _) => in_outage = true,
            (Some("test_mode_on"), _) => in_outage = false,
            (Some("crank"), Some("G1")) if crank.is_none() => crank = e["unix_ms"].as_i64(),
            (Some("generator_stopped"), Some("G1")) => {
                let ms = e["unix_ms"].as_i64().expect("ms") - crank.take().expect("a crank before the stop");
                hours[usize::from(in_outage)] += ms as f64 / 3_600_000.0;
            }
            _ => {}
        }
    }
    let g1 = h["generators"].as_array().expect("generators").iter().find(|g| g["id"] == "g1").expect("g1");
    // 14 runs, each known to two samples (2 s) at either end.
    let tol = 14.0 * 2.0 * 4.0 / 3600.0;
    assert_within("G1 hours on test", g1["test_h"].as_f64().expect("test_h"), hours[0], tol);
    assert_within("G1 hours in outages", g1["outage_h"].as_f64().expect("outage_h"), hours[1], tol);
}
