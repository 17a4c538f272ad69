//! End to end: storage on change (`store = "on_change"`, lossy by design, never the default).
//! One register of the simulator's generator 1 (oil pressure, 0 kPa while it stands still) is read
//! as two points in the same request every 50 ms: one stored by default, one on change with a
//! 1 s heartbeat. The simulator is stopped for a while and started again on the same port, so the
//! readings go `comm_fail` and back to `good`.
//!
//! The default point stores every reading (one per request the simulator answered); the
//! on-change point stores exactly the readings its rule picks out of them: the first, each
//! quality change, and one a heartbeat — far fewer rows.

mod support;

use std::time::Duration;

use support::sim::{Sim, free_ports};
use support::{Daemon, ExportRow, assert_config_valid, wait_until};

const POLL_MS: u32 = 50;
const HEARTBEAT_MS: i64 = 1_000;

fn config(port: u16) -> String {
    let point = |id: &str, store: &str| {
        format!(
            "[[devices.points]]\nid = \"{id}\"\ntable = \"holding\"\naddress = 1024\ntype = \"u16\"\nunit = \"kPa\"\n{store}\n"
        )
    };
    format!(
        "[site]\nid = \"t\"\nname = \"T\"\n\
         [[connections]]\nid = \"stallverk\"\nhost = \"127.0.0.1\"\nport = {port}\ntimeout_ms = 300\n\
         [[devices]]\nid = \"g1\"\nconnection = \"stallverk\"\nunit_id = 1\nsystem = \"reservkraft\"\npoll_interval_ms = {POLL_MS}\n{}{}",
        point("oil_all", ""),
        point("oil_on_change", &format!("store = \"on_change\"\ndeadband = 5\nheartbeat_s = {}", HEARTBEAT_MS / 1_000)),
    )
}

fn sorted(mut rows: Vec<ExportRow>) -> Vec<ExportRow> {
    rows.sort_by_key(|r| r.time_ms);
    rows
}

/// FC3 requests the simulator answered, from its record.
fn read_requests(record: &serde_json::Value) -> usize {
    record["total"]["3"].as_u64().and_then(|n| usize::try_from(n).ok()).unwrap_or(0)
}

/// What the on-change rule keeps of `all` (a value that does not move beyond the deadband): the
/// first reading, every quality change, and a reading once the last kept one is a heartbeat old.
fn expected_on_change(all: &[ExportRow]) -> Vec<(i64, String)> {
    let mut kept: Vec<&ExportRow> = Vec::new();
    for r in all {
        let keep = kept.last().is_none_or(|l| l.quality != r.quality || r.time_ms - l.time_ms >= HEARTBEAT_MS);
        if keep {
            kept.push(r);
        }
    }
    kept.iter().map(|r| (r.time_ms, r.quality.clone())).collect()
}

fn summary(rows: &[ExportRow]) -> String {
    let mut runs: Vec<(String, usize)> = Vec::new();
    for r in rows {
        match runs.last_mut() {
            Some((q, n)) if *q == r.quality => *n += 1,
            _ => runs.push((r.quality.clone(), 1)),
        }
    }
    format!("{} rows, quality runs {runs:?}", rows.len())
}

#[test]
fn a_static_on_change_point_stores_far_fewer_rows_and_every_quality_change() {
    let mut sim = Sim::scenario("normal").ports(free_ports()).start();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("on_change.toml");
    std::fs::write(&path, config(sim.port("stallverk"))).expect("write config");
    assert_config_valid(&path);
    let daemon = Daemon::run(&path);
    let good = |point: &str| daemon.export(point).map(|rows| rows.iter().filter(|r| r.quality == "good").count());

    // Phase 1: the simulator answers; the value stands still at 0 kPa.
    wait_until("60 good readings of the default point", Duration::from_secs(30), || {
        good("g1.oil_all").is_ok_and(|n| n >= 60)
    });
    let before_outage = read_requests(&sim.stop());

    // Phase 2: the gateway is gone; the on-change point must store the quality change at once.
    wait_until("a comm_fail reading of the on-change point", Duration::from_secs(30), || {
        daemon.export("g1.oil_on_change").is_ok_and(|rows| rows.iter().any(|r| r.quality == "comm_fail"))
    });
    // Long enough without the gateway for a heartbeat of comm_fail readings.
    let down_since = daemon.export_ok("g1.oil_all").iter().find(|r| r.quality == "comm_fail").map(|r| r.time_ms);
    wait_until("1.5 s of comm_fail readings", Duration::from_secs(30), || {
        daemon.export("g1.oil_all").is_ok_and(|rows| {
            rows.last().zip(down_since).is_some_and(|(l, d)| l.quality == "comm_fail" && l.time_ms - d >= 1_500)
        })
    });

    // Phase 3: the gateway is back on the same port.
    sim.restart();
    let good_before = good("g1.oil_all").expect("export");
    wait_until("40 good readings after the outage", Duration::from_secs(30), || {
        good("g1.oil_all").is_ok_and(|n| n >= good_before + 40)
    });
    daemon.stop_cleanly();
    let after_outage = read_requests(&sim.stop());

    let all = sorted(daemon.export_ok("g1.oil_all"));
    let on_change = sorted(daemon.export_ok("g1.oil_on_change"));
    let (all_s, on_change_s) = (summary(&all), summary(&on_change));
    eprintln!("default: {all_s}\non change: {on_change_s}");

    // The default point stores every reading: one per request the simulator answered, in each
    // of its two runs (a request it got just as it stopped may have gone unanswered).
    let first_bad = all.iter().position(|r| r.quality != "good").expect("an outage");
    let good_after = all.iter().skip(first_bad).filter(|r| r.quality == "good").count();
    assert!(
        (before_outage.saturating_sub(1)..=before_outage).contains(&first_bad),
        "before the outage the simulator answered {before_outage} reads, the default point stored {first_bad} good readings ({all_s})"
    );
    assert!(
        (after_outage.saturating_sub(1)..=after_outage).contains(&good_after),
        "after the outage the simulator answered {after_outage} reads, the default point stored {good_after} good readings ({all_s})"
    );
    assert!(all.iter().all(|r| r.quality != "good" || r.value.as_f64() == Some(0.0)), "a static 0 kPa: {all_s}");

    // The on-change point stores exactly what its rule picks out of every reading: the first,
    // each quality change, and one a heartbeat; with the same times, qualities and values.
    let stored: Vec<(i64, String)> = on_change.iter().map(|r| (r.time_ms, r.quality.clone())).collect();
    assert_eq!(stored, expected_on_change(&all), "default: {all_s}\non change: {on_change_s}");
    for r in &on_change {
        let same = all.iter().find(|a| a.time_ms == r.time_ms).expect("same reading in the default point");
        assert_eq!(r.value, same.value, "value at {}", r.time_ms);
    }
    // good → comm_fail → good: both quality changes are stored the moment they happen.
    let qualities: Vec<&str> = on_change.iter().map(|r| r.quality.as_str()).collect();
    let comm_fail = qualities.iter().position(|q| *q == "comm_fail").expect("comm_fail stored");
    assert_eq!(on_change[comm_fail].time_ms, all[first_bad].time_ms, "the first comm_fail reading is stored");
    let back = all.iter().skip(first_bad).find(|r| r.quality == "good").expect("good again");
    assert!(on_change.iter().any(|r| r.time_ms == back.time_ms && r.quality == "good"), "the first good reading after the outage is stored");
    // Far fewer rows: at 50 ms polls and a 1 s heartbeat, about one in twenty.
    assert!(
        all.len() >= 8 * on_change.len(),
        "the on-change point should store far fewer rows: default {all_s}, on change {on_change_s}"
    );
}
