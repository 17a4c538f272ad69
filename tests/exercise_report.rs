//! The exercise report end to end: a data directory with three runs of 2026 written the way the
//! daemon writes them (role readings polled every second through the store's writer, runs and
//! notes in the exercise tables, alarm journal entries), then `driftvakt report exercise` in
//! HTML, JSON and CSV, Swedish and English, checked against the scripted ground truth and
//! against each other, the HTML rendered by headless Chromium to PNG and PDF, and
//! `driftvakt report exercises --year 2026` counting the runs and the generators' hours.

mod support;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;

use driftvakt_config::model::{Config, ExerciseKind, ExerciseSettings};
use driftvakt_domain::{Quality, Reading, Value};
use driftvakt_runtime::exercise::store::ExerciseDb;
use driftvakt_store::StoreWriter;
use serde_json::Value as Json;

/// 2026-01-14 09:00 UTC (10:00 in Stockholm): the January monthly test, the booster pump trips.
const JAN: i64 = 1_768_381_200_000;
/// 2026-02-11 09:00 UTC: the February monthly test, all well.
const FEB: i64 = 1_770_800_400_000;
/// 2026-03-05 13:00 UTC: a real outage.
const MAR: i64 = 1_772_715_600_000;
/// Poll interval of every role and watched point.
const POLL: i64 = 1_000;
const S: i64 = 1_000;

/// What happens in one run, as offsets (ms) from its `t0`: the truth the readings are polled from.
struct Script {
    t0: i64,
    kind: ExerciseKind,
    /// Mains absent (outage).
    mains_lost: Option<(i64, i64)>,
    /// The switch in test mode (monthly).
    test_mode: Option<(i64, i64)>,
    start_signal: (i64, i64),
    prestart: Option<i64>,
    crank: i64,
    running: i64,
    cooldown: i64,
    stopped: i64,
    transfer: i64,
    retransfer: i64,
    /// Load per generator, kW, while on emergency (plus one second to pick it up).
    load_kw: f64,
    ups_on_battery: Option<(i64, i64)>,
    /// Booster pressure below its band.
    pump_trip: Option<(i64, i64)>,
    /// The run's record: start and stop offsets, who.
    started: i64,
    stopped_run: i64,
    by: (&'static str, &'static str),
    name: &'static str,
}

fn monthly(t0: i64, name: &'static str, pump_trip: Option<(i64, i64)>) -> Script {
    Script {
        t0,
        kind: ExerciseKind::Monthly,
        mains_lost: None,
        test_mode: Some((600, 2_402 * S)),
        start_signal: (1_200, 2_402 * S),
        prestart: Some(2_500),
        crank: 4_300,
        running: 9_400,
        cooldown: 2_400_700,
        stopped: 2_700 * S + 300,
        transfer: 12_300,
        retransfer: 2_400_500,
        load_kw: 300.0,
        ups_on_battery: None,
        pump_trip,
        started: 0,
        stopped_run: 2_760 * S,
        by: ("Anna Berg", "Bo Ek"),
        name,
    }
}

fn outage(t0: i64) -> Script {
    Script {
        t0,
        kind: ExerciseKind::Outage,
        mains_lost: Some((200, 1_800 * S + 200)),
        test_mode: None,
        start_signal: (500, 1_805 * S),
        prestart: None,
        crank: 1_500,
        running: 8_400,
        cooldown: 1_810_300,
        stopped: 2_100 * S + 300,
        transfer: 10_300,
        retransfer: 1_810_100,
        load_kw: 420.0,
        ups_on_battery: Some((300, 14_000)),
        pump_trip: None,
        started: S,
        stopped_run: 2_200 * S,
        by: ("driftvakt", "driftvakt"),
        name: "Avbrott 2026-03-05",
    }
}

fn within(t: i64, span: Option<(i64, i64)>) -> bool {
    span.is_some_and(|(a, b)| t >= a && t < b)
}

/// Engine state at offset `t` (GenComm codes as the reference hospital configures them).
fn engine_state(s: &Script, t: i64) -> f64 {
    if t >= s.stopped {
        0.0
    } else if t >= s.cooldown {
        4.0
    } else if t >= s.running {
        3.0
    } else if t >= s.crank {
        2.0
    } else if s.prestart.is_some_and(|p| t >= p) {
        1.0
    } else {
        0.0
    }
}

/// The value of `point` (in role `role`) at offset `t` of script `s`.
fn value(settings: &ExerciseSettings, s: &Script, point: &str, t: i64) -> Value {
    let running = t >= s.running && t < s.stopped;
    let on_emergency = t >= s.transfer && t < s.retransfer;
    if point == settings.mains_available {
        return Value::Bool(!within(t, s.mains_lost));
    }
    for sw in &settings.switches {
        if point == sw.position {
            return Value::Number(if on_emergency { sw.emergency_value } else { 0.0 });
        }
        if sw.test_mode.as_deref() == Some(point) {
            return Value::Bool(within(t, s.test_mode));
        }
        if sw.start_signal.as_deref() == Some(point) {
            return Value::Bool(within(t, Some(s.start_signal)));
        }
        if sw.last_transfer_time.as_deref() == Some(point) {
            // The switch's own register: Unix seconds of its latest transfer.
            let last = [s.retransfer, s.transfer].into_iter().find(|&x| t >= x).map_or(1_700_000_000_000, |x| s.t0 + x);
            return Value::Number((last / 1000) as f64);
        }
        if sw.transfer_count.as_deref() == Some(point) {
            return Value::Number(500.0 + [s.transfer, s.retransfer].iter().filter(|&&x| t >= x).count() as f64);
        }
    }
    for g in &settings.generators {
        if point == g.engine_state {
            return Value::Number(engine_state(s, t));
        }
        if point == g.voltage_v {
            return Value::Number(if running { 231.0 } else { 0.0 });
        }
        if point == g.frequency_hz {
            return Value::Number(if running { 50.02 } else { 0.0 });
        }
        if point == g.power_kw {
            return Value::Number(if t >= s.transfer + S && t < s.retransfer { s.load_kw } else { 0.0 });
        }
        if g.starts.as_deref() == Some(point) {
            return Value::Number(if t >= s.crank { 101.0 } else { 100.0 });
        }
        if g.run_time.as_deref() == Some(point) {
            let ran = (t.min(s.stopped) - s.running).max(0) as f64 / 3_600_000.0;
            return Value::Number(1_000.0 + ran);
        }
    }
    if settings.ups_on_battery.iter().any(|p| p == point) {
        return Value::Bool(within(t, s.ups_on_battery));
    }
    if settings.ups_runtime_min.iter().any(|p| p == point) {
        let used = s.ups_on_battery.map_or(0, |(a, b)| (t.min(b) - a).max(0)) as f64 / 60_000.0;
        return Value::Number(30.0 - used);
    }
    if let Some(i) = settings.fuel_stock_l.iter().position(|p| p == point) {
        let burned = 2.0 * 90.0 * (t.min(s.stopped) - s.running).max(0) as f64 / 3_600_000.0;
        return Value::Number(if i == 0 { 15_000.0 - burned } else { 1_000.0 });
    }
    if let Some(w) = settings.watch.iter().find(|w| w.point == point) {
        let normal = match (w.low, w.high) {
            (Some(l), Some(h)) => (l + h) / 2.0,
            (Some(l), None) => l + 10.0,
            (None, Some(h)) => h - 10.0,
            (None, None) => 1.0,
        };
        let tripped = settings.watch.first().is_some_and(|f| f.point == point) && within(t, s.pump_trip);
        return Value::Number(if tripped { w.low.unwrap_or(normal) - 1.5 } else { normal });
    }
    panic!("{point} plays no role")
}

/// Every reading of one run: each role and watched point polled every second from two minutes
/// before `t0` to six minutes after the stop.
fn readings(settings: &ExerciseSettings, s: &Script) -> Vec<Vec<Reading>> {
    let points: Vec<(Arc<str>, &str)> = settings.points().into_iter().map(|p| (Arc::from(p), p)).collect();
    let mut batches = Vec::new();
    let mut t = -120 * S;
    while t <= s.stopped_run + 360 * S {
        batches.push(
            points
                .iter()
                .map(|(id, p)| Reading { point: id.clone(), time_ms: s.t0 + t, value: Some(value(settings, s, p, t)), quality: Quality::Good })
                .collect(),
        );
        t += POLL;
    }
    batches
}

fn reference() -> PathBuf {
    support::repo_root().join("config/examples/reference-hospital.toml")
}

fn load(path: &Path) -> Config {
    let loaded = driftvakt_config::load(path);
    loaded.config.unwrap_or_else(|| panic!("{}: {:?}", path.display(), loaded.diagnostics))
}

/// Journal an alarm change as the alarm service does (`detail` as it writes it; `expected_run`
/// the run that explained it).
fn journal(conn: &rusqlite::Connection, ts_ms: i64, alarm: &str, event: &str, detail: &str, expected_run: Option<i64>) {
    let state = if event == "activated" { "active_unacked" } else { "cleared_unacked" };
    conn.execute(
        "INSERT INTO alarm_journal(ts_ms, alarm, incident, event, state, by, comment, detail, expected_run) VALUES (?1, ?2, NULL, ?3, ?4, NULL, NULL, ?5, ?6)",
        rusqlite::params![ts_ms, alarm, event, state, detail, expected_run],
    )
    .expect("journal");
}

/// A data directory with the three runs of 2026.
fn build(config: &Config, data: &Path) -> Vec<Script> {
    let settings = config.exercise.as_ref().expect("the reference hospital has [exercise]");
    let scripts = vec![
        monthly(JAN, "Månadsprov januari", Some((12_500, 107_500))),
        monthly(FEB, "Månadsprov februari", None),
        outage(MAR),
    ];
    let writer = StoreWriter::start(data, &driftvakt_runtime::pipeline::stored_points(config), &config.store).expect("store");
    let tx = writer.sender();
    for s in &scripts {
        for b in readings(settings, s) {
            tx.blocking_send(b).expect("send");
        }
    }
    drop(tx);
    writer.finish();
    let mut db = ExerciseDb::open(data).expect("exercise tables");
    for s in &scripts {
        db.start(s.kind, s.name, s.by.0, s.t0 + s.started).expect("start");
        if s.t0 == JAN {
            db.note("Anna Berg", "Tryckstegringspump P2 löste ut vid omkopplingen, återställd för hand", JAN + 20 * S).expect("note");
        }
        db.stop(s.by.1, s.t0 + s.stopped_run).expect("stop");
    }
    drop(db);
    driftvakt_runtime::alarm::store::AlarmDb::open(data).expect("alarm tables");
    let conn = driftvakt_store::shared::connect(data).expect("connect");
    journal(&conn, JAN + 13 * S, "ats.position.stuck_on_reserve", "activated", "Omkopplaren står kvar på reserv (väntat under övning 1, inget utskick)", Some(1));
    journal(&conn, JAN + 14 * S, "reservvatten.pressure.low", "activated", "Lågt tryck efter tryckstegring", None);
    journal(&conn, JAN + 108 * S, "reservvatten.pressure.low", "cleared", "Lågt tryck efter tryckstegring", None);
    journal(&conn, JAN + 2_401 * S, "ats.position.stuck_on_reserve", "cleared", "Omkopplaren står kvar på reserv", Some(1));
    scripts
}

fn driftvakt(args: &[&str]) -> Output {
    Command::new(support::daemon_bin()).args(args).stdin(Stdio::null()).output().expect("run driftvakt")
}

fn ok(args: &[&str]) {
    let out = driftvakt(args);
    assert!(
        out.status.success(),
        "driftvakt {args:?} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn report(cfg: &Path, data: &Path, out: &Path, what: &[&str], format: &str, lang: &str) -> String {
    let (c, d, o) = (cfg.to_string_lossy(), data.to_string_lossy(), out.to_string_lossy());
    let mut args = vec!["report"];
    args.extend(what);
    args.extend(["--config", &c, "--data", &d, "--out", &o, "--format", format, "--lang", lang]);
    ok(&args);
    std::fs::read_to_string(out).expect("report written")
}

/// `data-key` → `data-value` of every figure in the HTML.
fn html_figures(html: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let mut rest = html;
    while let Some(i) = rest.find("data-key=\"") {
        rest = &rest[i + 10..];
        let end = rest.find('"').expect("quote");
        let key = rest[..end].replace("&amp;", "&");
        let j = rest.find("data-value=\"").expect("a value beside every key");
        let after = &rest[j + 12..];
        let vend = after.find('"').expect("quote");
        out.insert(key, after[..vend].to_string());
        rest = &after[vend..];
    }
    out
}

/// `section.id.unit.key` → value of the CSV (quotes honoured).
fn csv_figures(csv: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let (mut row, mut field, mut quoted) = (Vec::<String>::new(), String::new(), false);
    let mut chars = csv.chars().peekable();
    let mut first = true;
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
                let r = std::mem::take(&mut row);
                if first {
                    assert_eq!(r, ["section", "id", "unit", "key", "value", "unit_label", "text"]);
                    first = false;
                } else {
                    out.insert(format!("{}.{}.{}.{}", r[0], r[1], r[2], r[3]), r[4].clone());
                }
            }
            (c, _) => field.push(c),
        }
    }
    out
}

fn kpi<'a>(j: &'a Json, key: &str, unit: &str) -> &'a Json {
    j["kpis"]
        .as_array()
        .expect("kpis")
        .iter()
        .find(|k| k["key"] == key && k["unit"].as_str().unwrap_or("") == unit)
        .unwrap_or_else(|| panic!("no figure {key} of {unit}: {}", j["kpis"]))
}

fn event<'a>(j: &'a Json, kind: &str, unit: &str) -> &'a Json {
    j["events"]
        .as_array()
        .expect("events")
        .iter()
        .find(|e| e["kind"] == kind && (unit.is_empty() || e["unit"].as_str() == Some(unit)))
        .unwrap_or_else(|| panic!("no event {kind} of {unit}: {}", j["events"]))
}

#[test]
fn an_exercise_report_in_every_format_and_language_and_the_years_run_history() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let cfg = reference();
    let config = load(&cfg);
    let settings = config.exercise.clone().expect("[exercise]");
    let scripts = build(&config, &data);
    let (g1, ats, pump) = (settings.generators[0].id.as_str(), settings.switches[0].id.as_str(), settings.watch[0].point.as_str());

    // January: every format, both languages.
    let html = report(&cfg, &data, &dir.path().join("jan.html"), &["exercise", "--id", "1"], "html", "sv");
    let json = report(&cfg, &data, &dir.path().join("jan.json"), &["exercise", "--id", "1"], "json", "sv");
    let csv = report(&cfg, &data, &dir.path().join("jan.csv"), &["exercise", "--id", "1"], "csv", "sv");
    let j: Json = serde_json::from_str(&json).expect("JSON report");
    assert_eq!((j["run"]["kind"].as_str(), j["run"]["name"].as_str()), (Some("monthly"), Some("Månadsprov januari")));
    assert_eq!((j["run"]["started_by"].as_str(), j["run"]["stopped_by"].as_str()), (Some("Anna Berg"), Some("Bo Ek")));

    // The switch's own register gives the transfer to the second, exactly (12,3 s → 12 s).
    let transfer = event(&j, "transfer_to_emergency", ats);
    assert_eq!(transfer["timing"], "device", "{transfer}");
    assert_eq!(transfer["at_ms"].as_i64(), Some(JAN + 12 * S), "{transfer}");
    // Polled events lie within one poll interval after the truth.
    let ready = event(&j, "generator_ready", g1);
    let at = ready["at_ms"].as_i64().expect("ready at");
    assert!((JAN + 9_400..=JAN + 9_400 + POLL).contains(&at), "ready at +{} ms, truth +9 400 ms", at - JAN);
    assert_eq!(ready["timing"], "polled");
    assert!(ready["resolution_ms"].as_i64().is_some_and(|r| r <= POLL), "{ready}");
    // The figures: start time and changeover pass, load 37,5 % of 800 kW.
    let start = kpi(&j, "start_time", g1);
    assert_eq!(start["verdict"], "pass", "{start}");
    assert!(start["value"].as_f64().is_some_and(|v| v > 0.0 && v <= 15.0), "{start}");
    let changeover = kpi(&j, "changeover", ats);
    assert_eq!(changeover["verdict"], "pass", "{changeover}");
    let load = kpi(&j, "load_percent", g1);
    assert!(load["value"].as_f64().is_some_and(|v| (v - 37.5).abs() < 0.5), "{load}");
    let minutes = kpi(&j, "minutes_on_load", g1);
    let truth_min = (2_400_500 - 13_300) as f64 / 60_000.0;
    assert!(minutes["value"].as_f64().is_some_and(|v| (v - truth_min).abs() <= 2.0 * POLL as f64 / 60_000.0), "{minutes}, truth {truth_min}");
    // The booster pump: 95 s below its band (60 s allowed) fails the run.
    let w = j["watched"].as_array().expect("watched").iter().find(|w| w["point"] == pump).expect("the pump");
    let outside = w["outside_ms"].as_i64().expect("outside");
    assert!((95_000 - POLL..=95_000 + POLL).contains(&outside), "{w}");
    assert_eq!(w["verdict"], "fail");
    assert_eq!(j["verdict"], "fail");
    // Alarms: the expected one told from the one the run does not explain; the observation.
    let alarms = j["alarms"].as_array().expect("alarms");
    assert_eq!(alarms.len(), 4, "{alarms:?}");
    let expected: Vec<(&str, &str, bool)> = alarms
        .iter()
        .map(|a| (a["alarm"].as_str().unwrap_or(""), a["code"].as_str().unwrap_or(""), a["expected"].as_bool().expect("marked")))
        .collect();
    assert!(expected.contains(&("ats.position.stuck_on_reserve", "activated", true)), "{expected:?}");
    assert!(expected.contains(&("reservvatten.pressure.low", "activated", false)), "{expected:?}");
    assert_eq!(j["notes"][0]["by"], "Anna Berg");
    assert!(j["charts"].as_array().is_some_and(|c| c.len() == 3 * settings.generators.len() + settings.watch.len()));

    // HTML, CSV and JSON carry the same figures.
    let hf = html_figures(&html);
    let cf = csv_figures(&csv);
    assert!(hf.len() > 50, "only {} figures in the HTML", hf.len());
    for (k, v) in &hf {
        assert_eq!(cf.get(k), Some(v), "{k}: HTML {v:?}, CSV {:?}", cf.get(k));
    }
    for k in j["kpis"].as_array().expect("kpis") {
        let key = format!("kpi.{}.{}.", k["key"].as_str().expect("key"), k["unit"].as_str().unwrap_or(""));
        let shown = &hf[&format!("{key}value")];
        match k["value"].as_f64() {
            Some(v) => assert_eq!(shown.parse::<f64>().ok(), Some(v), "{key}"),
            None => assert!(shown.is_empty(), "{key}"),
        }
        assert_eq!(hf[&format!("{key}verdict")], k["verdict"].as_str().expect("verdict"), "{key}");
    }
    assert_eq!(hf[&format!("watched.{pump}..outside_ms")], outside.to_string());
    assert_eq!(hf[&format!("event.{}.{ats}.at_ms", j["events"].as_array().expect("events").iter().position(|e| e == transfer).expect("index"))], (JAN + 12 * S).to_string());
    assert!(html.contains("lang=\"sv\"") && html.contains("Tidslinje") && html.contains("✗ Underkänd") && html.contains("enhetens egen tid"));
    let en = report(&cfg, &data, &dir.path().join("jan-en.html"), &["exercise", "--id", "1"], "html", "en");
    assert!(en.contains("lang=\"en\"") && en.contains("Timeline") && en.contains("Key figures and criteria") && en.contains("✗ Fail"));
    let en_json: Json = serde_json::from_str(&report(&cfg, &data, &dir.path().join("jan-en.json"), &["exercise", "--id", "1"], "json", "en")).expect("JSON");
    for (a, b) in en_json["kpis"].as_array().expect("kpis").iter().zip(j["kpis"].as_array().expect("kpis")) {
        assert_eq!((&a["value"], &a["verdict"]), (&b["value"], &b["verdict"]), "the language changes words, not figures");
    }

    // Chromium: every section, the charts drawn, PNG and PDF.
    let r = support::chromium::render(&dir.path().join("jan.html"), dir.path(), "jan");
    for id in ["run", "verdict", "timeline", "kpis", "charts", "watched", "alarms", "observations", "coverage", "signatures"] {
        assert!(r.dom.contains(&format!("<section id=\"{id}\"")), "section {id} missing in Chromium's DOM");
    }
    assert!(r.dom.contains("<footer id=\"sources\""));
    let charts = r.dom.matches("<polyline class=\"series\"").count();
    assert_eq!(charts, 3 * settings.generators.len() + settings.watch.len(), "every chart drawn");
    assert!(r.dom.contains("Beredskapssamordnare") && r.dom.contains("Fastighetsförvaltare"), "signature lines: coordinator and property manager");
    assert!(r.png.starts_with(b"\x89PNG") && r.png.len() > 50_000, "screenshot {} bytes", r.png.len());
    assert!(r.pdf.starts_with(b"%PDF") && r.pdf.len() > 20_000, "PDF {} bytes", r.pdf.len());

    // February passes; `latest` is the outage, reported the same way.
    let feb: Json = serde_json::from_str(&report(&cfg, &data, &dir.path().join("feb.json"), &["exercise", "--id", "2"], "json", "sv")).expect("JSON");
    assert_eq!(feb["verdict"], "pass", "{}", feb["kpis"]);
    let out: Json = serde_json::from_str(&report(&cfg, &data, &dir.path().join("latest.json"), &["exercise", "--id", "latest"], "json", "sv")).expect("JSON");
    assert_eq!((out["run"]["id"].as_i64(), out["run"]["kind"].as_str()), (Some(3), Some("outage")));
    assert!(out["title"].as_str().is_some_and(|t| t.starts_with("Avbrott")));
    let lost = event(&out, "mains_lost", "")["at_ms"].as_i64().expect("mains lost");
    assert!((MAR + 200..=MAR + 200 + POLL).contains(&lost), "mains lost at +{} ms, truth +200 ms", lost - MAR);
    assert_eq!(event(&out, "transfer_to_emergency", ats)["at_ms"].as_i64(), Some(MAR + 10 * S), "the switch's own time");

    // The run history of 2026.
    let hist_html = report(&cfg, &data, &dir.path().join("y.html"), &["exercises", "--year", "2026"], "html", "sv");
    let hist: Json = serde_json::from_str(&report(&cfg, &data, &dir.path().join("y.json"), &["exercises", "--year", "2026"], "json", "sv")).expect("JSON");
    let hist_csv = report(&cfg, &data, &dir.path().join("y.csv"), &["exercises", "--year", "2026"], "csv", "en");
    let runs = hist["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), scripts.len());
    assert_eq!(runs.iter().map(|r| r["verdict"].as_str().unwrap_or("")).collect::<Vec<_>>()[..2], ["fail", "pass"]);
    let count = |kind: &str| hist["counts"].as_array().expect("counts").iter().find(|c| c["kind"] == kind).expect("kind").clone();
    assert_eq!((count("monthly")["runs"].as_u64(), count("monthly")["passed"].as_u64(), count("monthly")["failed"].as_u64()), (Some(2), Some(1), Some(1)));
    assert_eq!(count("outage")["runs"].as_u64(), Some(1));
    assert_eq!(count("island")["runs"].as_u64(), Some(0));
    // Hours per generator: crank to stop (each as polled: ± one poll), within each run.
    let g = hist["generators"].as_array().expect("generators").iter().find(|g| g["id"] == g1).expect("g1").clone();
    let h = |ms: i64| ms as f64 / 3_600_000.0;
    let test_h = 2.0 * h(2_700_300 - 4_300);
    let outage_h = h(2_100_300 - 1_500);
    let tol = h(4 * POLL);
    assert!(g["test_h"].as_f64().is_some_and(|v| (v - test_h).abs() <= tol), "{g}: test {test_h}");
    assert!(g["outage_h"].as_f64().is_some_and(|v| (v - outage_h).abs() <= tol), "{g}: outage {outage_h}");
    let hf = html_figures(&hist_html);
    let cf = csv_figures(&hist_csv);
    for (k, v) in &hf {
        assert_eq!(cf.get(k), Some(v), "{k}");
    }
    for id in ["history", "runs", "counts", "hours", "signatures"] {
        assert!(hist_html.contains(&format!("<section id=\"{id}\"")), "history section {id}");
    }
    let other = report(&cfg, &data, &dir.path().join("y25.json"), &["exercises", "--year", "2025"], "json", "sv");
    assert_eq!(serde_json::from_str::<Json>(&other).expect("JSON")["runs"].as_array().map(Vec::len), Some(0));
    if let Ok(keep) = std::env::var("DRIFTVAKT_KEEP_REPORT") {
        for f in ["jan.html", "jan.png", "jan.pdf", "y.html", "latest.json"] {
            let _ = std::fs::copy(dir.path().join(f), Path::new(&keep).join(f));
        }
    }
}

#[test]
fn clear_errors_for_a_missing_run_and_a_configuration_without_exercise() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let cfg = reference();
    let config = load(&cfg);
    build(&config, &data);
    let (c, d) = (cfg.to_string_lossy(), data.to_string_lossy());
    let out = driftvakt(&["report", "exercise", "--config", &c, "--data", &d, "--id", "99"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("no exercise or outage with id 99"), "{err}");
    let out = driftvakt(&["report", "exercise", "--config", &c, "--data", &d, "--id", "nio"]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("latest"));
    // The same site without its [exercise] section.
    let text = std::fs::read_to_string(&cfg).expect("reference");
    let cut = text.find("\n[exercise]").expect("an [exercise] section");
    let bare = dir.path().join("bare.toml");
    std::fs::write(&bare, &text[..cut]).expect("write");
    let b = bare.to_string_lossy();
    let out = driftvakt(&["report", "exercise", "--config", &b, "--data", &d, "--id", "1"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("no [exercise] section"), "{err}");
    let out = driftvakt(&["report", "exercises", "--config", &b, "--data", &d, "--year", "2026"]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("no [exercise] section"));
}
