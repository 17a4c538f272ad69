//! Endurance end to end: the simulator fast-forwarded over a day with a 12-hour blackout and a
//! diesel delivery, the report in HTML, JSON and CSV, compared with the simulator's own ground
//! truth and with each other, and the HTML rendered by headless Chromium to PNG and PDF.

mod support;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use driftvakt_sim::fuel_consumption_l_per_h;
use serde_json::Value;
use support::alarm::cli_ok as run;

const START: &str = "2026-01-10T00:00:00Z";
const START_MS: i64 = 1_768_003_200_000;
const HOUR: i64 = 3_600_000;
const END: &str = "2026-01-11T00:00:00Z";

fn example() -> PathBuf {
    support::repo_root().join("config/examples/reference-hospital.toml")
}


fn report(cfg: &Path, data: &Path, out: &Path, format: &str, lang: &str) -> String {
    report_range(cfg, data, out, format, lang, START, END)
}

fn report_range(
    cfg: &Path,
    data: &Path,
    out: &Path,
    format: &str,
    lang: &str,
    from: &str,
    to: &str,
) -> String {
    let (c, d, o) = (
        cfg.to_string_lossy(),
        data.to_string_lossy(),
        out.to_string_lossy(),
    );
    run(&[
        "report",
        "endurance",
        "--config",
        &c,
        "--data",
        &d,
        "--from",
        from,
        "--to",
        to,
        "--out",
        &o,
        "--format",
        format,
        "--lang",
        lang,
    ]);
    std::fs::read_to_string(out).expect("report written")
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * b.abs().max(1e-9)
}

/// `data-key` → `data-value` of every figure cell in the HTML.
fn html_figures(html: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let mut rest = html;
    while let Some(i) = rest.find("data-key=\"") {
        rest = &rest[i + 10..];
        let Some(end) = rest.find('"') else { break };
        let key = rest[..end].to_string();
        let Some(j) = rest.find("data-value=\"") else {
            break;
        };
        let after = &rest[j + 12..];
        let Some(vend) = after.find('"') else { break };
        out.insert(key, after[..vend].to_string());
        rest = &after[vend..];
    }
    out
}

/// (section, id, scenario, key) → value of the CSV.
fn csv_figures(csv: &str) -> HashMap<(String, String, String, String), String> {
    let mut out = HashMap::new();
    for line in csv.lines().skip(1) {
        let f: Vec<&str> = line.splitn(7, ',').collect();
        if f.len() >= 5 {
            out.insert(
                (f[0].into(), f[1].into(), f[2].into(), f[3].into()),
                f[4].to_string(),
            );
        }
    }
    out
}

fn num(v: &Value) -> Option<f64> {
    v.as_f64()
}

fn same(json: Option<f64>, text: Option<&String>, what: &str) {
    let parsed = text.filter(|t| !t.is_empty()).map(|t| {
        t.parse::<f64>()
            .unwrap_or_else(|_| panic!("{what}: {t:?} is not a number"))
    });
    match (json, parsed) {
        (None, None) => {}
        (Some(a), Some(b)) => assert!(close(a, b, 1e-12), "{what}: JSON {a} vs {b}"),
        (a, b) => panic!("{what}: JSON {a:?} vs {b:?}"),
    }
}

#[test]
fn fast_forwarded_blackout_day_gives_a_report_that_matches_the_simulator_in_every_format() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let truth_path = dir.path().join("truth.jsonl");
    let cfg = example();
    let summary = run(&[
        "fastforward",
        "--config",
        &cfg.to_string_lossy(),
        "--data",
        &data.to_string_lossy(),
        "--duration",
        "24h",
        "--sample",
        "30s",
        "--start",
        START,
        "--blackout-at",
        "2h",
        "--blackout-for",
        "12h",
        "--refill-at",
        "18h",
        "--refill-l",
        "4000",
        "--truth",
        &truth_path.to_string_lossy(),
    ]);
    assert!(summary.contains("fastforward:"), "{summary}");

    let truth: Vec<Value> = std::fs::read_to_string(&truth_path)
        .expect("truth file")
        .lines()
        .map(|l| serde_json::from_str(l).expect("truth line"))
        .collect();
    assert!(
        truth.len() >= 1439,
        "a truth line per simulated minute, got {}",
        truth.len()
    );

    let html = report(&cfg, &data, &dir.path().join("r.html"), "html", "sv");
    let json_text = report(&cfg, &data, &dir.path().join("r.json"), "json", "sv");
    let csv = report(&cfg, &data, &dir.path().join("r.csv"), "csv", "sv");
    let j: Value = serde_json::from_str(&json_text).expect("JSON report");
    let reserves = j["reserves"].as_array().expect("reserves");
    let diesel = reserves
        .iter()
        .find(|r| r["id"] == "diesel")
        .expect("diesel");
    let unusable = diesel["unusable"].as_f64().expect("unusable");

    // Ground truth: the lowest endurance during the blackout = stock ÷ the model's own burn.
    let (truth_min, truth_min_ms) = truth
        .iter()
        .filter(|t| t["burn_l_per_h"].as_f64().unwrap_or(0.0) > 0.0)
        .map(|t| {
            let e = (t["diesel_l"].as_f64().unwrap_or(0.0) - unusable)
                / t["burn_l_per_h"].as_f64().unwrap_or(1.0);
            (e, t["time_ms"].as_i64().unwrap_or(0))
        })
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .expect("generators burned during the blackout");
    let min = diesel["evidence"]["min_endurance_h"]
        .as_f64()
        .expect("minimum endurance");
    let min_ms = diesel["evidence"]["min_endurance_ms"]
        .as_i64()
        .expect("when");
    assert!(
        close(min, truth_min, 0.02),
        "lowest diesel endurance {min} h vs simulator {truth_min} h"
    );
    assert!(
        (min_ms - truth_min_ms).abs() <= 5 * 60_000,
        "reached at {min_ms}, simulator {truth_min_ms}"
    );
    assert!(
        min_ms > START_MS + 2 * HOUR && min_ms <= START_MS + 14 * HOUR,
        "within the blackout"
    );

    // Design scenario at the end: usable stock ÷ the datasheet at 900 kW on two generators.
    let last = truth.last().expect("truth");
    let truth_design = (last["diesel_l"].as_f64().unwrap_or(0.0) - unusable)
        / (2.0 * fuel_consumption_l_per_h(450.0 / 800.0));
    let design = diesel["scenarios"][1]["endurance_h"]
        .as_f64()
        .expect("design endurance");
    assert_eq!(diesel["scenarios"][1]["scenario"], "design");
    assert!(
        close(design, truth_design, 0.02),
        "design {design} h vs simulator {truth_design} h"
    );
    assert_eq!(
        diesel["scenarios"][1]["meets"], false,
        "81 h does not meet the 96 h målbild"
    );
    assert!(diesel["scenarios"][1]["gap_h"].as_f64().unwrap_or(0.0) > 10.0);

    // The delivery is found as a refill, at its time and size.
    let refills = diesel["evidence"]["refills"].as_array().expect("refills");
    assert_eq!(refills.len(), 1, "{refills:?}");
    assert!((refills[0]["time_ms"].as_i64().unwrap_or(0) - (START_MS + 18 * HOUR)).abs() <= 60_000);
    assert!(close(
        refills[0]["amount"].as_f64().unwrap_or(0.0),
        4000.0,
        0.02
    ));

    // Reserve water: measured trend now vs the simulator's steady draw.
    let water = reserves
        .iter()
        .find(|r| r["id"] == "reservvatten")
        .expect("water");
    let truth_water = (last["water_m3"].as_f64().unwrap_or(0.0)
        - water["unusable"].as_f64().unwrap_or(0.0))
        / driftvakt_sim::model::WATER_CONSUMPTION_M3_PER_H;
    let now_w = water["scenarios"][0]["endurance_h"]
        .as_f64()
        .expect("water now");
    assert!(
        close(now_w, truth_water, 0.02),
        "water {now_w} h vs simulator {truth_water} h"
    );

    // The function names its limiting link.
    let op = j["functions"]
        .as_array()
        .expect("functions")
        .iter()
        .find(|f| f["id"] == "operationssal")
        .expect("operationssal");
    assert_eq!(
        op["scenarios"][1]["limiting"],
        serde_json::json!(["operationssal", "diesel"])
    );

    // "Endurance below target" fired when the generators took the load and cleared after.
    let alarms = j["alarms"].as_array().expect("alarms");
    let at = |id: &str, ev: &str| {
        alarms
            .iter()
            .find(|a| a["alarm"] == id && a["event"] == ev)
            .and_then(|a| a["time_ms"].as_i64())
    };
    let on =
        at("endurance.diesel.below_target", "aktiverat").expect("diesel endurance alarm activated");
    let off =
        at("endurance.diesel.below_target", "återställt").expect("diesel endurance alarm cleared");
    assert!(
        (on - (START_MS + 2 * HOUR)).abs() <= 2 * 60_000,
        "activated {on}"
    );
    assert!(
        (off - (START_MS + 14 * HOUR)).abs() <= 2 * 60_000,
        "cleared {off}"
    );
    assert!(at("endurance.operationssal.below_target", "aktiverat").is_some());
    assert!(html.contains("endurance.diesel.below_target"));

    // The three formats carry the same figures.
    let hf = html_figures(&html);
    let cf = csv_figures(&csv);
    let mut compared = 0;
    for (section, list) in [
        ("reserve", reserves),
        ("function", j["functions"].as_array().expect("functions")),
    ] {
        for r in list {
            let id = r["id"].as_str().expect("id");
            for s in r["scenarios"].as_array().expect("scenarios") {
                let sc = s["scenario"].as_str().expect("scenario");
                for key in ["endurance_h", "gap_h"] {
                    let what = format!("{section}.{id}.{sc}.{key}");
                    same(num(&s[key]), hf.get(&what), &format!("HTML {what}"));
                    same(
                        num(&s[key]),
                        cf.get(&(section.into(), id.into(), sc.into(), key.into())),
                        &format!("CSV {what}"),
                    );
                    compared += 2;
                }
                let meets = s["meets"].as_bool().map(|m| if m { 1.0 } else { 0.0 });
                same(
                    meets,
                    hf.get(&format!("{section}.{id}.{sc}.meets")),
                    "HTML meets",
                );
                same(
                    meets,
                    cf.get(&(section.into(), id.into(), sc.into(), "meets".into())),
                    "CSV meets",
                );
            }
            let m = num(&r["evidence"]["min_endurance_h"]);
            same(
                m,
                hf.get(&format!("evidence.{id}.min_endurance_h")),
                "HTML min endurance",
            );
            same(
                m,
                cf.get(&(
                    "evidence".into(),
                    id.into(),
                    String::new(),
                    "min_endurance_h".into(),
                )),
                "CSV min endurance",
            );
        }
    }
    for c in j["coverage"].as_array().expect("coverage") {
        let p = c["point"].as_str().expect("point");
        same(
            num(&c["share"]),
            hf.get(&format!("coverage.{p}.share")),
            "HTML coverage",
        );
        same(
            num(&c["share"]),
            cf.get(&("coverage".into(), p.into(), String::new(), "share".into())),
            "CSV coverage",
        );
    }
    assert!(compared >= 30, "compared {compared} figures");
    let g1 = j["coverage"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["point"] == "g1.total_power"))
        .expect("coverage of g1");
    assert!(
        g1["share"].as_f64().unwrap_or(0.0) > 0.99,
        "simulated points have full coverage"
    );

    // Swedish by default, English on request.
    assert!(
        html.contains("lang=\"sv\"")
            && html.contains("Uthållighet per reserv och funktion")
            && html.contains("uppfyller inte")
    );
    let en = report(&cfg, &data, &dir.path().join("r-en.html"), "html", "en");
    assert!(en.contains("Endurance per reserve and function") && en.contains("does not meet"));

    render_in_chromium(&dir.path().join("r.html"), dir.path());
}

fn render_in_chromium(html: &Path, dir: &Path) {
    let rendered = support::chromium::render(html, dir, "report");
    // The DOM as Chromium built it: every section, and drawn charts.
    let dom = &rendered.dom;
    for id in [
        "site",
        "endurance",
        "assumptions",
        "evidence",
        "coverage",
        "alarms",
        "assessment",
        "signatures",
    ] {
        assert!(
            dom.contains(&format!("<section id=\"{id}\"")),
            "section {id} missing in Chromium's DOM"
        );
    }
    let charts = dom.matches("<polyline class=\"series\"").count();
    assert!(charts >= 8, "only {charts} charts drawn");
    assert!(
        dom.contains("Driftchef") && dom.contains("Nulägesanalys"),
        "signatures and assessment columns from the config"
    );
    // PNG: a full-page screenshot that is not blank; the PDF prints.
    let bytes = &rendered.png;
    assert!(bytes.starts_with(b"\x89PNG"), "not a PNG");
    assert!(bytes.len() > 50_000, "screenshot only {} bytes: blank?", bytes.len());
    let bytes = &rendered.pdf;
    assert!(bytes.starts_with(b"%PDF"), "not a PDF");
    assert!(bytes.len() > 20_000, "PDF only {} bytes", bytes.len());
    if let Ok(keep) = std::env::var("DRIFTVAKT_KEEP_REPORT") {
        for f in ["r.html", "report.png", "report.pdf"] {
            let _ = std::fs::copy(dir.join(f), Path::new(&keep).join(f));
        }
    }
}

/// Raw readings of `point` via `driftvakt export` (JSON), as (time ms, good value).
fn export(data: &Path, point: &str) -> Vec<(i64, Option<f64>)> {
    let out = run(&[
        "export",
        "--data",
        &data.to_string_lossy(),
        "--point",
        point,
        "--format",
        "json",
    ]);
    let rows: Vec<Value> = serde_json::from_str(&out).expect("export JSON");
    rows.iter()
        .map(|r| {
            let good = r["quality"] == "good";
            (
                r["time_ms"].as_i64().expect("time_ms"),
                r["value"].as_f64().filter(|_| good),
            )
        })
        .collect()
}

/// `driftvakt fastforward` of the reference hospital from START into `data`.
fn fast_forward(data: &Path, extra: &[&str]) {
    let cfg = example();
    let mut args = vec![
        "fastforward",
        "--config",
        cfg.to_str().expect("utf-8 path"),
        "--data",
        data.to_str().expect("utf-8 path"),
        "--start",
        START,
        "--sample",
        "10s",
    ];
    args.extend_from_slice(extra);
    let summary = run(&args);
    assert!(summary.contains("fastforward:"), "{summary}");
}

/// The JSON report of `[from_ms, to_ms)`.
fn json_report(data: &Path, dir: &Path, from_ms: i64, to_ms: i64) -> Value {
    let out = dir.join(format!("r-{from_ms}-{to_ms}.json"));
    let text = report_range(
        &example(),
        data,
        &out,
        "json",
        "sv",
        &support::rfc3339_ms(from_ms),
        &support::rfc3339_ms(to_ms),
    );
    serde_json::from_str(&text).expect("JSON report")
}

fn coverage_of(j: &Value, point: &str) -> f64 {
    j["coverage"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["point"] == point))
        .and_then(|c| c["share"].as_f64())
        .unwrap_or_else(|| panic!("no coverage of {point}"))
}

/// Coverage by its definition, from the raw samples: the share of `[from, to)` lying in minutes
/// that have at least one good sample.
fn expected_coverage(samples: &[(i64, Option<f64>)], from: i64, to: i64) -> f64 {
    let mut covered = 0;
    let mut m = from.div_euclid(60_000) * 60_000;
    while m < to {
        if samples
            .iter()
            .any(|s| s.1.is_some() && s.0 >= m && s.0 < m + 60_000)
        {
            covered += (m + 60_000).min(to) - m.max(from);
        }
        m += 60_000;
    }
    covered as f64 / (to - from) as f64
}

#[test]
fn coverage_of_short_and_uneven_periods_is_exact_and_never_above_100_percent() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    fast_forward(&data, &["--duration", "20m"]);
    let s = 1000;
    // 1 min 58 s of a point sampled every 10 s without a gap: all of it covered.
    let j = json_report(&data, dir.path(), START_MS, START_MS + 118 * s);
    let g1 = coverage_of(&j, "g1.total_power");
    assert!((g1 - 1.0).abs() < 1e-9, "1 min 58 s: coverage {g1}");
    // A few seconds inside a minute with data.
    let j = json_report(&data, dir.path(), START_MS + 65 * s, START_MS + 72 * s);
    let g1 = coverage_of(&j, "g1.total_power");
    assert!((g1 - 1.0).abs() < 1e-9, "7 s: coverage {g1}");
    // Every share of every point is a share.
    for c in j["coverage"].as_array().expect("coverage") {
        let v = c["share"].as_f64().expect("share");
        assert!((0.0..=1.0).contains(&v), "{c}");
    }
    // A period that starts 47 s before the minute of the first stored figure and ends 20 s
    // into a later minute is covered only where it has data: the edge minutes count with
    // their parts inside the period.
    let water = export(&data, "endurance.reservvatten");
    let first = water
        .iter()
        .find(|w| w.1.is_some())
        .map(|w| w.0)
        .expect("water endurance stored");
    let minute = first.div_euclid(60_000) * 60_000;
    let (from, to) = (minute - 47 * s, minute + 80 * s);
    let want = expected_coverage(&water, from, to);
    assert!(
        want > 0.3 && want < 0.9,
        "the period straddles the start: {want}"
    );
    let j = json_report(&data, dir.path(), from, to);
    let got = coverage_of(&j, "endurance.reservvatten");
    assert!(
        (got - want).abs() < 1e-9,
        "coverage {got}, by definition {want}"
    );
}

#[test]
fn now_is_the_state_at_the_end_of_the_period_and_agrees_with_live_endurance() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    // Mains back at 7 min, the transfer switch returns 30 s later and the generators run
    // unloaded: in the period's last seconds nothing is drawn from the diesel.
    fast_forward(
        &data,
        &[
            "--duration",
            "8m",
            "--blackout-at",
            "2m",
            "--blackout-for",
            "5m",
        ],
    );
    let to = START_MS + 8 * 60_000;
    let j = json_report(&data, dir.path(), START_MS, to);
    let stored_at_end = |id: &str| -> (i64, Option<f64>) {
        export(&data, &format!("endurance.{id}"))
            .into_iter()
            .rfind(|s| s.0 < to)
            .unwrap_or((i64::MIN, None))
    };
    let last_emit = ["diesel", "ups"]
        .iter()
        .map(|id| stored_at_end(id).0)
        .max()
        .expect("live endurance stored");
    let diesel_live = stored_at_end("diesel").1.expect("diesel live endurance");
    assert!(
        diesel_live >= 8760.0,
        "the generators are unloaded at the end: live endurance {diesel_live}"
    );
    let mut compared = 0;
    for (section, list) in [("reserves", &j["reserves"]), ("functions", &j["functions"])] {
        for r in list.as_array().expect("list") {
            let id = r["id"].as_str().expect("id");
            let now = &r["scenarios"][0];
            assert_eq!(now["scenario"], "now");
            let report_now = now["endurance_h"].as_f64();
            // Live emits a figure only when it is known: no figure at its last emission means
            // unknown at the end.
            let (t, v) = stored_at_end(id);
            let live = v.filter(|_| t == last_emit);
            match (report_now, live) {
                (Some(a), Some(b)) => assert!(
                    close(a, b, 0.01),
                    "{section} {id}: report now {a} h, live endurance {b} h"
                ),
                (None, None) => {}
                (a, b) => panic!("{section} {id}: report now {a:?}, live endurance {b:?}"),
            }
            compared += 1;
        }
    }
    assert!(compared >= 4, "compared {compared}");
    // The report says what "now" means, in every format and both languages.
    let now = &j["now"];
    assert_eq!(now["at_ms"].as_i64(), Some(to), "{now}");
    assert!(
        now["text"]
            .as_str()
            .is_some_and(|t| t.contains("läget vid periodens slut")),
        "{now}"
    );
    let html = report_range(
        &example(),
        &data,
        &dir.path().join("now.html"),
        "html",
        "sv",
        START,
        &support::rfc3339_ms(to),
    );
    assert!(
        html.contains("Nu = läget vid periodens slut"),
        "Swedish HTML"
    );
    let en = report_range(
        &example(),
        &data,
        &dir.path().join("now-en.html"),
        "html",
        "en",
        START,
        &support::rfc3339_ms(to),
    );
    assert!(
        en.contains("Now = the state at the end of the period"),
        "English HTML"
    );
    // The period's alarm events carry machine-readable codes beside the Swedish words.
    let alarms = j["alarms"].as_array().expect("alarms");
    let mains = alarms
        .iter()
        .find(|a| a["alarm"] == "ats.mains_available.state" && a["code"] == "activated")
        .unwrap_or_else(|| panic!("mains alarm activated, with its code: {alarms:?}"));
    assert_eq!(mains["event"], "aktiverat");
    assert!(alarms.iter().any(|a| a["code"] == "cleared"), "{alarms:?}");
    for a in alarms {
        let code = a["code"].as_str().unwrap_or_default();
        assert!(
            [
                "activated",
                "cleared",
                "acked",
                "shelved",
                "unshelved",
                "notify_sent",
                "notify_failed"
            ]
            .contains(&code),
            "{a}"
        );
    }
}
