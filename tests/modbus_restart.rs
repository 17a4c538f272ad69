//! End to end: two independent Modbus TCP devices (pymodbus) on two connections. Device A dies
//! (killed), its points go `comm_fail` while device B keeps being read at its poll rate; A comes
//! back on the same port and good readings resume within two poll intervals.

mod support;

use std::time::Duration;

use support::gencomm::{ConfigWriter, GencommMap};
use support::{Daemon, ExportRow, PyPeer, assert_config_valid, now_ms, wait_for};

const POLL_MS: u32 = 200;
/// Outage length, counted in good readings of B after A's death (≈ 8 × 200 ms).
const OUTAGE_READINGS_OF_B: usize = 8;

fn rows_since(daemon: &Daemon, point: &str, since_ms: i64) -> Result<Vec<ExportRow>, String> {
    let mut rows = daemon.export(point)?;
    rows.retain(|r| r.time_ms >= since_ms);
    rows.sort_by_key(|r| r.time_ms);
    Ok(rows)
}

fn describe(rows: &[ExportRow]) -> String {
    let shown: Vec<String> = rows
        .iter()
        .rev()
        .take(6)
        .map(|r| format!("{} {} {}", r.time_ms, r.quality, r.value))
        .collect();
    format!("{} readings, newest first: {shown:?}", rows.len())
}

#[test]
fn dead_device_goes_comm_fail_without_slowing_the_other_and_recovers_after_restart() {
    let map = GencommMap::load();
    let (oil, rpm) = (map.point("oil_pressure"), map.point("engine_speed"));
    let mut peer_a = PyPeer::start("pymodbus_server.py", &["--port", "0"]);
    let peer_b = PyPeer::start("pymodbus_server.py", &["--port", "0"]);
    let port_a = peer_a.port;

    let work = tempfile::tempdir().expect("temp dir");
    let config = work.path().join("driftvakt.toml");
    let text = ConfigWriter::new()
        .connection("a", port_a, 1000)
        .connection("b", peer_b.port, 1000)
        .device("ga", "a", 1, POLL_MS, &[oil, rpm])
        .device("gb", "b", 1, POLL_MS, &[oil])
        .finish();
    std::fs::write(&config, text).expect("write config");
    assert_config_valid(&config);
    let daemon = Daemon::run(&config);

    let good_since = |point: &str, since: i64, n: usize| {
        let rows = rows_since(&daemon, point, since)?;
        let good = rows.iter().filter(|r| r.quality == "good").count();
        if good >= n {
            Ok(rows)
        } else {
            Err(format!("{point}: {}", describe(&rows)))
        }
    };
    let start = now_ms();
    for point in ["ga.oil_pressure", "ga.engine_speed", "gb.oil_pressure"] {
        let rows = wait_for(
            &format!("a good reading of {point}"),
            Duration::from_secs(30),
            || good_since(point, start, 1),
        );
        let row = rows
            .iter()
            .rfind(|r| r.quality == "good")
            .expect("one good row");
        let p = if point.ends_with("engine_speed") {
            rpm
        } else {
            oil
        };
        assert!(
            p.matches(&row.value, &row.quality),
            "{point}: stored {}, expected {}",
            row.value,
            p.expected
        );
    }

    // A dies.
    let killed_ms = now_ms();
    peer_a.stop();
    for point in ["ga.oil_pressure", "ga.engine_speed"] {
        wait_for(
            &format!("{point} to be stored as comm_fail after device A died"),
            Duration::from_secs(15),
            || {
                let rows = rows_since(&daemon, point, killed_ms)?;
                match rows.last() {
                    Some(r) if r.quality == "comm_fail" && r.value.is_null() => Ok(()),
                    _ => Err(describe(&rows)),
                }
            },
        );
    }
    // Let the outage last while B is read (poll with a deadline, no blind sleep).
    wait_for(
        "device B to keep being read during A's outage",
        Duration::from_secs(15),
        || good_since("gb.oil_pressure", killed_ms, OUTAGE_READINGS_OF_B),
    );

    // A comes back on the same port.
    let peer_a2 = PyPeer::start("pymodbus_server.py", &["--port", &port_a.to_string()]);
    assert_eq!(
        peer_a2.port, port_a,
        "restarted device listens on its old port"
    );
    let back_ms = peer_a2.listening_at_ms;

    // B was read at its poll rate throughout the outage, and only good.
    let b_rows: Vec<ExportRow> = daemon
        .export_ok("gb.oil_pressure")
        .into_iter()
        .filter(|r| r.time_ms >= killed_ms && r.time_ms <= back_ms)
        .collect();
    let outage_ms = back_ms - killed_ms;
    let expected = usize::try_from(outage_ms / i64::from(POLL_MS)).expect("positive outage");
    let good_b = b_rows.iter().filter(|r| r.quality == "good").count();
    assert!(
        good_b + 1 >= expected,
        "device B got {good_b} good readings in A's {outage_ms} ms outage, expected at least {} at {POLL_MS} ms: {}",
        expected.saturating_sub(1),
        describe(&b_rows)
    );
    assert!(
        b_rows
            .iter()
            .all(|r| r.quality == "good" && oil.matches(&r.value, &r.quality)),
        "device B's readings during A's outage must all be good: {}",
        describe(&b_rows)
    );

    // Good readings from A resume within two poll intervals of its restart.
    for point in ["ga.oil_pressure", "ga.engine_speed"] {
        let rows = wait_for(
            &format!("{point} to be good again after device A restarted"),
            Duration::from_secs(15),
            || good_since(point, back_ms, 1),
        );
        let first = rows
            .iter()
            .find(|r| r.quality == "good")
            .expect("one good row");
        let delay = first.time_ms - back_ms;
        assert!(
            delay <= 2 * i64::from(POLL_MS),
            "{point}: first good reading {delay} ms after device A listened again, allowed {} ms (two poll intervals); {}",
            2 * POLL_MS,
            describe(&rows)
        );
    }

    daemon.stop_cleanly();
    drop(peer_b);
}
