//! End to end: the daemon polls the reference hospital (simulator) and feeds two real servers —
//! VictoriaMetrics through the InfluxDB v2 write API and InfluxDB 1.6.7 through the v1 `/write`
//! API. After SIGTERM every reading in the embedded store must be in both exactly once, with
//! the documented tags (site, instance, system, device, point, unit), fields (value, quality,
//! text) and the reading's own millisecond timestamp.

mod support;

use std::time::Duration;

use serde_json::Value as Json;
use support::sim::Sim;
use support::tsdb::{
    Influx1, VictoriaMetrics, assert_influx_matches, assert_vm_matches, influx_readings, sinks_toml,
    store_readings, vm_readings,
};
use support::{Daemon, assert_config_valid, now_ms, wait_for};

#[test]
fn every_reading_arrives_exactly_once_in_victoriametrics_and_influxdb_1() {
    let vm = VictoriaMetrics::start();
    let influx = Influx1::start("driftvakt");
    let sim = Sim::scenario("normal").start();
    let dir = tempfile::tempdir().expect("tempdir");
    let config_path = dir.path().join("hospital.toml");
    let sinks = sinks_toml(dir.path(), &vm, &influx, "flush_interval_ms = 200");
    std::fs::write(&config_path, sim.config(&sinks)).expect("write config");
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
    assert!(store.len() > 50, "the reference hospital has ~90 points, the store lists {}", store.len());
    let total: usize = store.values().map(Vec::len).sum();

    let got = influx_readings(&influx, "driftvakt", |row| {
        let tag = |k: &str| row.get(k).and_then(Json::as_str).unwrap_or("").to_string();
        assert_eq!((tag("site").as_str(), tag("instance").as_str()), ("referenssjukhuset", "a"), "{row:?}");
        assert!(!tag("system").is_empty(), "system tag missing: {row:?}");
        match (tag("device").as_str(), tag("point").as_str()) {
            ("g1", "frequency") => assert_eq!((tag("system").as_str(), tag("unit").as_str()), ("reservkraft", "Hz")),
            ("fjarrvarme", "supply_temp") => assert_eq!((tag("system").as_str(), tag("unit").as_str()), ("värme", "°C")),
            ("g1", "starts") => assert_eq!(tag("unit"), "", "an empty unit is no tag"),
            _ => {}
        }
    });
    assert!(got.get("fjarrvarme.model").is_some_and(|v| v.iter().any(|o| o.text.is_some())), "the text point arrives as field `text`");
    assert_influx_matches("InfluxDB 1.6.7 (v1 /write)", &store, &got);

    let got = vm_readings(&vm, |labels| {
        let l = |k: &str| labels.get(k).and_then(Json::as_str).unwrap_or("").to_string();
        assert_eq!((l("site").as_str(), l("instance").as_str()), ("referenssjukhuset", "a"), "{labels:?}");
    });
    assert_vm_matches(&store, &got);
    println!("{total} readings of {} points: all in InfluxDB 1.6.7 and VictoriaMetrics, exactly once", store.len());
}

/// The test's own reading of VictoriaMetrics sees a sample written in the current second (the
/// daemon's last readings before a stop are that young when the test above reads them at once;
/// VictoriaMetrics' export without `end` stops at now rounded down to whole seconds).
#[test]
fn victoriametrics_export_includes_a_sample_of_the_current_second() {
    let vm = VictoriaMetrics::start();
    // Start early in a second, so that writing and reading back end within it.
    wait_for("the clock in the first half of a second", Duration::from_secs(2), || {
        if now_ms() % 1000 < 500 { Ok(()) } else { Err("second half".into()) }
    });
    let t = now_ms();
    let resp = reqwest::blocking::Client::new()
        .post(format!("{}/api/v2/write?org=o&bucket=b&precision=ms", vm.url()))
        .body(format!("driftvakt,device=d,point=p quality=0i {t}"))
        .send()
        .expect("write to VictoriaMetrics");
    assert!(resp.status().is_success(), "write: {}", resp.status());
    let got: Vec<i64> = vm.export(r#"{__name__="driftvakt_quality"}"#).into_iter().flat_map(|(_, ts, _)| ts).collect();
    assert_eq!(got, [t], "written and read back within {} ms", now_ms() - t);
}
