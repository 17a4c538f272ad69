//! End to end: store-and-forward through an outage. The daemon polls all 90 points of the
//! reference hospital every 100 ms (~900 readings/s) into VictoriaMetrics (v2), InfluxDB 1.6.7
//! (v1) and MQTT telemetry per device on Mosquitto 2.0 (read by a subscriber with a persistent
//! session). All three servers are stopped for two minutes and restarted on the same ports and data.
//! Then:
//! - polling never stalled: no point has a gap of more than a second in the store meanwhile;
//! - the backlog is replayed in order: every snapshot of InfluxDB taken during the replay holds,
//!   for the watched points, exactly a prefix of the store's readings (nothing newer first);
//! - every reading of the run arrives, exactly once, in both time-series servers; on MQTT every
//!   reading arrives, the first arrivals exactly in the store's order (QoS 1 may deliver a
//!   message again after the broker restart: counted and printed);
//! - memory stayed bounded: the daemon's peak RSS (VmHWM) is printed with the backlog size.

mod support;

use std::time::{Duration, Instant};

use serde_json::Value as Json;
use support::alarm::{Mosquitto, MqttWatch};
use support::sim::Sim;
use support::telemetry::{PREFIX, Sent, assert_telemetry_matches, broker_and_api, telemetry_readings};
use support::tsdb::{
    Influx1, VictoriaMetrics, assert_influx_matches, assert_vm_matches, influx_readings, rows, sinks_toml,
    store_point, store_readings, vm_readings,
};
use support::{Daemon, assert_config_valid, free_port, now_ms, wait_for};

/// Readings of `g1.frequency` (10 per second) the store must gain while the servers are down.
const OUTAGE_READINGS: usize = 1200;
/// Largest gap between two readings of any point while the servers are down.
const MAX_GAP_MS: i64 = 1000;
/// Points whose arrival order is watched during the replay (one per gateway).
const WATCHED: [(&str, &str); 2] = [("g1", "frequency"), ("fjarrvarme", "supply_temp")];

/// Times of one point in InfluxDB, oldest first.
fn influx_times(influx: &Influx1, device: &str, point: &str) -> Vec<i64> {
    let q = format!("SELECT quality FROM driftvakt WHERE device = '{device}' AND point = '{point}'");
    influx
        .query("driftvakt", &q)
        .map(|r| rows(&r).iter().filter_map(|row| row.get("time").and_then(Json::as_i64)).collect())
        .unwrap_or_default()
}

/// Distinct readings of `id` (`device.point`) received on MQTT so far.
fn mqtt_count(watch: &MqttWatch, id: &str) -> usize {
    first_arrivals(telemetry_readings(&watch.all()).get(id))
}

fn first_arrivals(sent: Option<&Vec<Sent>>) -> usize {
    sent.map_or(0, |s| s.iter().map(|x| x.obs.time_ms).collect::<std::collections::BTreeSet<_>>().len())
}

fn vm_hwm_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn readings_taken_while_the_servers_are_down_arrive_in_order_after_they_return() {
    let mut vm = VictoriaMetrics::start();
    let mut influx = Influx1::start("driftvakt");
    let mut broker = Mosquitto::start_persistent();
    let watch = MqttWatch::start_persistent(broker.port, &format!("{PREFIX}/telemetry/#"));
    let sim = Sim::scenario("normal").start();
    let dir = tempfile::tempdir().expect("tempdir");
    let config_path = dir.path().join("hospital.toml");
    // Small batches so the replay takes many requests (and order is observable); quick retries.
    let knobs = "batch_size = 500\nflush_interval_ms = 200\nretry_max_ms = 500";
    let sinks = format!(
        "{}\n[sinks.mqtt]\nper = \"device\"\nbackfill = true\n{knobs}\n",
        sinks_toml(dir.path(), &vm, &influx, knobs)
    );
    // Every device polled every 100 ms (BACnet too: without COV, so no point waits for a change).
    let config = broker_and_api(&sim.config(&sinks), broker.port, free_port())
        .replace("poll_interval_ms = 1000", "poll_interval_ms = 100")
        .replace("poll_interval_ms = 5000", "poll_interval_ms = 100")
        .replace("cov = { lifetime_s = 300, renew_at_fraction = 0.8, check_interval_s = 60 }\n", "");
    std::fs::write(&config_path, config).expect("write config");
    assert_config_valid(&config_path);
    let daemon = Daemon::run(&config_path);
    let pid = daemon.pid().expect("daemon pid");

    wait_for("g1.frequency in InfluxDB and on MQTT", Duration::from_secs(30), || {
        daemon.assert_running();
        let n = influx_times(&influx, "g1", "frequency").len();
        let m = mqtt_count(&watch, "g1.frequency");
        if n >= 10 && m >= 10 { Ok(()) } else { Err(format!("{n} readings in InfluxDB, {m} on MQTT")) }
    });

    // Outage.
    vm.stop();
    influx.stop();
    broker.stop();
    let down_at = now_ms();
    let down = Instant::now();
    wait_for("readings stored during the outage", Duration::from_secs(240), || {
        daemon.assert_running();
        let n = daemon.export("g1.frequency")?.iter().filter(|r| r.time_ms > down_at).count();
        if n >= OUTAGE_READINGS { Ok(()) } else { Err(format!("{n} of {OUTAGE_READINGS}")) }
    });
    let outage = down.elapsed();
    let up_at = now_ms();
    vm.restart();
    influx.restart();
    broker.restart();
    let replay_start = Instant::now();

    // Replay: snapshot the watched points until they hold everything stored before the restart.
    let backlog_times: Vec<Vec<i64>> = WATCHED
        .iter()
        .map(|(d, p)| store_point(&daemon, &format!("{d}.{p}")).iter().map(|o| o.time_ms).filter(|t| *t <= up_at).collect())
        .collect();
    let mut snapshots: Vec<Vec<Vec<i64>>> = Vec::new();
    wait_for("the backlog replayed into InfluxDB", Duration::from_secs(180), || {
        daemon.assert_running();
        let snap: Vec<Vec<i64>> = WATCHED.iter().map(|(d, p)| influx_times(&influx, d, p)).collect();
        let done = snap.iter().zip(&backlog_times).all(|(got, want)| got.len() >= want.len());
        snapshots.push(snap);
        if done { Ok(()) } else { Err("still replaying".into()) }
    });
    let replay = replay_start.elapsed();
    let backlog_g1 = backlog_times[0].len();
    wait_for("the backlog replayed on MQTT", Duration::from_secs(180), || {
        daemon.assert_running();
        let m = mqtt_count(&watch, "g1.frequency");
        if m >= backlog_g1 { Ok(()) } else { Err(format!("{m} of {backlog_g1} readings of g1.frequency; broker log:\n{}", broker.log())) }
    });
    let mqtt_replay = replay_start.elapsed();
    let peak_kb = vm_hwm_kb(pid);
    daemon.stop_cleanly();

    let store = store_readings(&daemon);
    let total: usize = store.values().map(Vec::len).sum();
    // What the daemon published before it stopped reaches the subscriber shortly after.
    wait_for("every stored reading on MQTT", Duration::from_secs(20), || {
        let got = telemetry_readings(&watch.all());
        let missing: Vec<&String> = store.iter().filter(|(id, want)| first_arrivals(got.get(*id)) < want.len()).map(|(id, _)| id).collect();
        if missing.is_empty() { Ok(()) } else { Err(format!("{} points incomplete, e.g. {}", missing.len(), missing[0])) }
    });
    let backlog: usize = store.values().flatten().filter(|o| o.time_ms > down_at && o.time_ms <= up_at).count();

    // Polling never stalled (the derived `endurance.*` series are computed every 10 s).
    for (id, obs) in store.iter().filter(|(id, _)| !id.starts_with("endurance.")) {
        let times: Vec<i64> = obs.iter().map(|o| o.time_ms).filter(|t| *t > down_at - MAX_GAP_MS && *t <= up_at).collect();
        let worst = times.windows(2).map(|w| w[1] - w[0]).max().unwrap_or(i64::MAX);
        assert!(worst <= MAX_GAP_MS, "{id}: polling stalled during the outage (largest gap {worst} ms, {} readings)", times.len());
    }
    // In order: each snapshot is a prefix of the store's readings.
    for (i, (d, p)) in WATCHED.iter().enumerate() {
        let all: Vec<i64> = store[&format!("{d}.{p}")].iter().map(|o| o.time_ms).collect();
        for (k, snap) in snapshots.iter().enumerate() {
            let got = &snap[i];
            assert_eq!(got.as_slice(), &all[..got.len().min(all.len())], "{d}.{p}: snapshot {k} during the replay is not a prefix of the store (out of order or a hole)");
        }
    }
    let distinct: std::collections::BTreeSet<usize> = snapshots.iter().map(|s| s[0].len()).collect();

    // Everything arrived, exactly once.
    assert_influx_matches("InfluxDB 1.6.7 (v1 /write)", &store, &influx_readings(&influx, "driftvakt", |_| {}));
    assert_vm_matches(&store, &vm_readings(&vm, |_| {}));
    let again = assert_telemetry_matches(&store, &telemetry_readings(&watch.all()), true);

    println!(
        "outage {:.1} s at ~{:.0} readings/s: backlog {backlog} readings, replayed into InfluxDB in {:.2} s \
         ({} InfluxDB snapshots, {} distinct prefixes), on MQTT within {:.2} s; {total} readings in all arrived \
         exactly once in both time-series servers and in order on MQTT ({again} delivered again after the \
         broker restart); daemon peak RSS (VmHWM) {} kB",
        outage.as_secs_f64(),
        backlog as f64 / outage.as_secs_f64().max(0.001),
        replay.as_secs_f64(),
        snapshots.len(),
        distinct.len(),
        mqtt_replay.as_secs_f64(),
        peak_kb.map_or("unknown".into(), |k| k.to_string()),
    );
    if let Some(kb) = peak_kb {
        assert!(kb < 256 * 1024, "daemon peak RSS {kb} kB: memory is not bounded by the batch size");
    }
}
