//! End to end: the daemon polls the reference hospital (simulator) and feeds two real servers —
//! VictoriaMetrics through the InfluxDB v2 write API and InfluxDB 1.6.7 through the v1 `/write`
//! API. After SIGTERM every reading in the embedded store must be in both exactly once, with
//! the documented tags (site, instance, system, device, point, unit), fields (value, quality,
//! text) and the reading's own millisecond timestamp.

mod support;

use std::collections::BTreeMap;
use std::process::Command;
use std::time::Duration;

use serde_json::Value as Json;
use support::tsdb::{Influx1, Sim, VictoriaMetrics, rows};
use support::{Daemon, assert_config_valid, daemon_bin, wait_for};

/// One reading as every side can express it: time, numeric value, text, quality code.
#[derive(Debug, Clone, PartialEq)]
pub struct Obs {
    time_ms: i64,
    value: Option<f64>,
    text: Option<String>,
    quality: i64,
}

fn quality_code(q: &str) -> i64 {
    match q {
        "good" => 0,
        "stale" => 1,
        "comm_fail" => 2,
        "device_fault" => 3,
        "not_available" => 4,
        "out_of_range" => 5,
        other => panic!("unknown quality {other}"),
    }
}

/// Every reading in the store, per full point id, via `driftvakt export`.
fn store_readings(daemon: &Daemon) -> BTreeMap<String, Vec<Obs>> {
    let out = Command::new(daemon_bin())
        .args(["export", "--list", "--data"])
        .arg(daemon.data_dir())
        .output()
        .expect("driftvakt export --list");
    assert!(out.status.success(), "export --list: {}", String::from_utf8_lossy(&out.stderr));
    let ids: Vec<String> = String::from_utf8_lossy(&out.stdout).lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect();
    assert!(ids.len() > 50, "the reference hospital has ~88 points, store lists {}", ids.len());
    ids.into_iter()
        .map(|id| {
            let obs = daemon
                .export_ok(&id)
                .into_iter()
                .map(|r| Obs {
                    time_ms: r.time_ms,
                    value: match &r.value {
                        Json::Number(n) => n.as_f64(),
                        Json::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
                        _ => None,
                    },
                    text: r.value.as_str().map(str::to_string),
                    quality: quality_code(&r.quality),
                })
                .collect();
            (id, obs)
        })
        .collect()
}

fn sinks_toml(dir: &std::path::Path, vm: &VictoriaMetrics, influx: &Influx1) -> String {
    let token = dir.join("token");
    std::fs::write(&token, "not-checked-by-victoria-metrics\n").expect("token file");
    let password = dir.join("password");
    std::fs::write(&password, "secret\n").expect("password file");
    format!(
        r#"
[sinks]
instance = "a"

[[sinks.influxdb]]
id = "vm"
url = "{vm}"
org = "region"
bucket = "driftvakt"
token = {{ file = "{token}" }}
flush_interval_ms = 200

[[sinks.influxdb]]
id = "influx1"
api = "v1"
url = "{influx}"
database = "driftvakt"
username = "driftvakt"
password = {{ file = "{password}" }}
flush_interval_ms = 200
"#,
        vm = vm.url(),
        influx = influx.url(),
        token = token.display(),
        password = password.display(),
    )
}

fn same(a: &Obs, b: &Obs) -> bool {
    let close = match (a.value, b.value) {
        (Some(x), Some(y)) => (x - y).abs() <= 1e-9 * x.abs().max(1.0),
        (None, None) => true,
        _ => false,
    };
    a.time_ms == b.time_ms && a.quality == b.quality && a.text == b.text && close
}

fn assert_same(side: &str, point: &str, got: &[Obs], want: &[Obs]) {
    let ok = got.len() == want.len() && got.iter().zip(want).all(|(g, w)| same(g, w));
    assert!(ok, "{side}, point {point}: {} readings arrived, the store has {}\n got: {got:?}\nwant: {want:?}", got.len(), want.len());
}

#[test]
fn every_reading_arrives_exactly_once_in_victoriametrics_and_influxdb_1() {
    let vm = VictoriaMetrics::start();
    let influx = Influx1::start("driftvakt");
    let sim = Sim::start("normal", "1");
    let dir = tempfile::tempdir().expect("tempdir");
    let config_path = dir.path().join("hospital.toml");
    std::fs::write(&config_path, sim.config(&sinks_toml(dir.path(), &vm, &influx))).expect("write config");
    assert_config_valid(&config_path);

    let daemon = Daemon::run(&config_path);
    wait_for("four readings of g1.frequency in the store", Duration::from_secs(30), || {
        daemon.assert_running();
        let n = daemon.export("g1.frequency")?.len();
        if n >= 4 { Ok(()) } else { Err(format!("{n} readings")) }
    });
    // The rest of the backlog is delivered on SIGTERM, within the 5 s stop.
    daemon.stop_cleanly();
    let store = store_readings(&daemon);
    let total: usize = store.values().map(Vec::len).sum();

    // InfluxDB 1.6.7: one query, every tag and field as columns.
    let result = influx.query_ok("driftvakt", "SELECT * FROM driftvakt");
    let mut influx_obs: BTreeMap<String, Vec<Obs>> = BTreeMap::new();
    for row in rows(&result) {
        let tag = |k: &str| row.get(k).and_then(Json::as_str).unwrap_or("").to_string();
        assert_eq!(tag("site"), "referenssjukhuset", "{row:?}");
        assert_eq!(tag("instance"), "a", "{row:?}");
        assert!(!tag("system").is_empty(), "system tag missing: {row:?}");
        let id = format!("{}.{}", tag("device"), tag("point"));
        if id == "g1.frequency" {
            assert_eq!((tag("system").as_str(), tag("unit").as_str()), ("reservkraft", "Hz"));
        }
        if id == "fjarrvarme.supply_temp" {
            assert_eq!((tag("system").as_str(), tag("unit").as_str()), ("värme", "°C"));
        }
        influx_obs.entry(id).or_default().push(Obs {
            time_ms: row.get("time").and_then(Json::as_i64).expect("time"),
            value: row.get("value").and_then(Json::as_f64),
            text: row.get("text").and_then(Json::as_str).map(str::to_string),
            quality: row.get("quality").and_then(Json::as_i64).expect("quality field"),
        });
    }
    assert!(influx_obs.contains_key("fjarrvarme.model"), "the text point arrived as a `text` field");
    for (id, want) in &store {
        assert_same("InfluxDB 1.6.7 (v1 /write)", id, influx_obs.get(id).map_or(&[][..], Vec::as_slice), want);
    }
    assert_eq!(influx_obs.len(), store.len(), "InfluxDB has series the store does not: {:?}", influx_obs.keys());

    // VictoriaMetrics: series `driftvakt_quality` (every reading) and `driftvakt_value` (every
    // reading with a number) and `driftvakt_text` (zeros at the times of text readings).
    let mut vm_quality: BTreeMap<String, Vec<(i64, f64)>> = BTreeMap::new();
    let mut vm_value: BTreeMap<String, Vec<(i64, f64)>> = BTreeMap::new();
    let mut vm_text: BTreeMap<String, Vec<(i64, f64)>> = BTreeMap::new();
    for (labels, ts, vals) in vm.export(r#"{__name__=~"driftvakt_.*"}"#) {
        let l = |k: &str| labels.get(k).and_then(Json::as_str).unwrap_or("").to_string();
        assert_eq!((l("site").as_str(), l("instance").as_str()), ("referenssjukhuset", "a"), "{labels:?}");
        let id = format!("{}.{}", l("device"), l("point"));
        let target = match l("__name__").as_str() {
            "driftvakt_quality" => &mut vm_quality,
            "driftvakt_value" => &mut vm_value,
            // VictoriaMetrics keeps no strings: a string field becomes a series of zeros.
            "driftvakt_text" => &mut vm_text,
            other => panic!("unexpected series {other}: {labels:?}"),
        };
        assert!(target.insert(id.clone(), ts.into_iter().zip(vals).collect()).is_none(), "two series for {id}");
    }
    for (id, want) in &store {
        let q: Vec<(i64, f64)> = want.iter().map(|o| (o.time_ms, o.quality as f64)).collect();
        assert_eq!(vm_quality.get(id), Some(&q), "VictoriaMetrics (v2 write API), quality of {id}");
        let v: Vec<(i64, f64)> = want.iter().filter_map(|o| o.value.map(|v| (o.time_ms, v))).collect();
        let got = vm_value.get(id).cloned().unwrap_or_default();
        let ok = got.len() == v.len()
            && got.iter().zip(&v).all(|(g, w)| g.0 == w.0 && (g.1 - w.1).abs() <= 1e-9 * w.1.abs().max(1.0));
        assert!(ok, "VictoriaMetrics (v2 write API), value of {id}:\n got: {got:?}\nwant: {v:?}");
        let t: Vec<(i64, f64)> = want.iter().filter(|o| o.text.is_some()).map(|o| (o.time_ms, 0.0)).collect();
        assert_eq!(vm_text.get(id).cloned().unwrap_or_default(), t, "VictoriaMetrics, text readings of {id}");
    }
    println!("{total} readings of {} points: all in InfluxDB 1.6.7 and VictoriaMetrics, exactly once", store.len());
}
