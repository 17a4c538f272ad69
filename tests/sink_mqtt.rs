//! End to end: MQTT telemetry and the daemon's health, against a real Mosquitto 2.0.
//!
//! The daemon polls the reference hospital (simulator) and publishes every reading per point on
//! `<prefix>/telemetry/<device>/<point>`. After SIGTERM:
//! - every reading in the embedded store arrived exactly once, in order, with the right value,
//!   unit, quality and time (RFC 3339 and ms);
//! - a subscriber that comes after the daemon has stopped gets the retained last value of every
//!   point at once, equal to the store's newest reading.
//!
//! While it runs, `GET /metrics` parses with the official Prometheus client's parser and names
//! every sink and every device, and `driftvakt status` prints each sink with lag and backlog.

mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use support::alarm::{Mosquitto, MqttWatch, cli_ok};
use support::sim::Sim;
use support::telemetry::{
    PREFIX, assert_telemetry_matches, broker_and_api, http_get, parse_prometheus,
    telemetry_readings,
};
use support::tsdb::store_readings;
use support::{Daemon, assert_config_valid, free_port, wait_for};

#[test]
fn every_reading_is_published_once_and_late_subscribers_get_the_last_values() {
    let broker = Mosquitto::start();
    let filter = format!("{PREFIX}/telemetry/#");
    let watch = MqttWatch::start(broker.port, &filter);
    let sim = Sim::scenario("normal").start();
    let dir = tempfile::tempdir().expect("tempdir");
    let config_path = dir.path().join("hospital.toml");
    let api = free_port();
    let sinks = "[sinks.mqtt]\nper = \"point\"\nflush_interval_ms = 100\nbackfill = true\n";
    std::fs::write(
        &config_path,
        broker_and_api(&sim.config(sinks), broker.port, api),
    )
    .expect("write config");
    assert_config_valid(&config_path);

    let daemon = Daemon::run(&config_path);
    wait_for(
        "six readings of g1.frequency on MQTT",
        Duration::from_secs(30),
        || {
            daemon.assert_running();
            let n = watch
                .all()
                .iter()
                .filter(|m| m.topic.ends_with("/telemetry/g1/frequency"))
                .count();
            if n >= 6 {
                Ok(())
            } else {
                Err(format!("{n} messages"))
            }
        },
    );

    // GET /metrics: valid Prometheus text naming every sink and every device.
    let (status, text) =
        http_get(api, "/metrics").unwrap_or_else(|e| panic!("GET /metrics: {e}\n{}", daemon.log()));
    assert_eq!(status, 200, "{text}");
    let samples = parse_prometheus(&text)
        .unwrap_or_else(|e| panic!("GET /metrics is not Prometheus text: {e}\n{text}"));
    let label_values = |name: &str, label: &str| -> BTreeSet<String> {
        samples
            .iter()
            .filter(|s| s.name == name)
            .filter_map(|s| s.labels.get(label).cloned())
            .collect()
    };
    let sinks_named = label_values("driftvakt_sink_delivered_total", "sink");
    assert_eq!(sinks_named, BTreeSet::from(["mqtt".to_string()]), "{text}");
    assert!(
        samples
            .iter()
            .any(|s| s.name == "driftvakt_sink_backlog_readings"
                && s.labels.get("kind").is_some_and(|k| k == "mqtt")),
        "{text}"
    );
    let config = driftvakt_config::load(&config_path)
        .config
        .expect("valid config");
    let devices: BTreeSet<String> = config.devices.iter().map(|d| d.id.clone()).collect();
    assert_eq!(
        label_values("driftvakt_device_readings_total", "device"),
        devices,
        "every device is named in /metrics"
    );
    assert!(label_values("driftvakt_modbus_requests_total", "device").contains("g1"));
    assert!(
        !label_values("driftvakt_bacnet_requests_total", "network").is_empty(),
        "{text}"
    );
    assert!(
        samples
            .iter()
            .any(|s| s.family == "driftvakt_notify_failures" && s.kind == "counter"),
        "{text}"
    );
    assert!(
        samples.iter().any(|s| s.name == "driftvakt_alarms_active"),
        "{text}"
    );
    let written = samples
        .iter()
        .find(|s| s.name == "driftvakt_store_readings_written_total")
        .map_or(0.0, |s| s.value);
    assert!(written > 0.0, "{text}");

    // driftvakt status: the sink with its lag and backlog (Swedish by default), JSON on request.
    let api_url = format!("http://127.0.0.1:{api}");
    let out = cli_ok(&["status", "--api", &api_url]);
    let header = out
        .lines()
        .find(|l| l.starts_with("Utgång"))
        .unwrap_or_else(|| panic!("no sink table:\n{out}"));
    assert!(
        header.contains("Kö") && header.contains("Eftersläpning"),
        "{out}"
    );
    let row = out
        .lines()
        .find(|l| l.starts_with("mqtt "))
        .unwrap_or_else(|| panic!("no row for the sink:\n{out}"));
    assert!(
        row.contains("mqtt") && row.contains(" s ") && row.contains("uppe"),
        "the row shows kind, lag and state: {row}\n{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with("g1 ") && l.contains("stallverk")),
        "{out}"
    );
    assert!(out.contains("Larm: "), "{out}");
    let en = cli_ok(&["status", "--api", &api_url, "--lang", "en"]);
    assert!(
        en.lines()
            .any(|l| l.starts_with("Sink") && l.contains("Backlog") && l.contains("Lag")),
        "{en}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&cli_ok(&["status", "--api", &api_url, "--json"]))
            .expect("status --json");
    let sink = &json["sinks"][0];
    assert_eq!(
        (sink["id"].as_str(), sink["kind"].as_str()),
        (Some("mqtt"), Some("mqtt")),
        "{json}"
    );
    assert!(
        sink["backlog"].is_u64()
            && sink["lag_ms"].is_i64()
            && sink["delivered"].as_u64().is_some_and(|n| n > 0),
        "{json}"
    );

    // The rest of the backlog is delivered on SIGTERM, within the 5 s stop.
    daemon.stop_cleanly();
    let store = store_readings(&daemon);
    assert!(
        store.len() > 50,
        "the reference hospital has ~90 points, the store lists {}",
        store.len()
    );
    let total: usize = store.values().map(Vec::len).sum();
    let got = telemetry_readings(&watch.all());
    assert_eq!(assert_telemetry_matches(&store, &got, false), 0);
    for (id, unit) in [
        ("g1.frequency", "Hz"),
        ("fjarrvarme.supply_temp", "°C"),
        ("g1.starts", ""),
    ] {
        assert!(
            got[id].iter().all(|s| s.unit == unit),
            "{id}: unit {unit:?} in every message"
        );
    }
    assert!(
        got["fjarrvarme.model"].iter().any(|s| s.obs.text.is_some()),
        "the text point arrives as a string value"
    );

    // A late subscriber gets the newest reading of every point, retained.
    let late = MqttWatch::start(broker.port, &filter);
    let latest = wait_for(
        "a retained value for every point",
        Duration::from_secs(10),
        || {
            let l = late.latest();
            if l.len() >= store.len() {
                Ok(l)
            } else {
                Err(format!("{} of {} points", l.len(), store.len()))
            }
        },
    );
    for (id, want) in &store {
        let (device, point) = id.split_once('.').expect("device.point");
        let m = &latest[&format!("{PREFIX}/telemetry/{device}/{point}")];
        assert!(
            m.retain,
            "{id}: a late subscriber gets it as a retained message"
        );
        let last = want.last().expect("a reading");
        assert_eq!(
            m.json()["time_ms"].as_i64(),
            Some(last.time_ms),
            "{id}: the retained value is the newest reading"
        );
    }
    println!(
        "{total} readings of {} points published on MQTT exactly once; retained last values for all",
        store.len()
    );
}
