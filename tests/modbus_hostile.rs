//! End to end: a hostile Modbus TCP server (tests/peers/hostile_modbus.py, raw sockets) whose
//! units answer with short frames, wrong transaction ids, too few registers or not at all,
//! polled 200 times at 20 ms. The operator's log stays short and readable — a handful of lines
//! per device, each naming connection and unit, no Rust debug structures — and the timeouts are
//! counted per device and connection in `/metrics`.

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use support::telemetry::http_get;
use support::{Daemon, PyPeer, assert_config_valid, free_port, wait_for};

/// Polls each misbehaving unit must have had before the log is judged.
const POLLS: f64 = 200.0;

/// (device id, unit id, what its unit does) — see hostile_modbus.py.
const DEVICES: [(&str, u8, &str); 5] = [
    ("h_short", 1, "short reply"),
    ("h_tid", 2, "reply with wrong transaction id"),
    ("h_silent", 3, "no reply within 200 ms"),
    ("h_good", 4, ""),
    ("h_few", 5, "short reply: expected 2 registers at 0, got 1"),
];

fn config(port: u16, api: u16) -> String {
    let mut s = format!(
        "[site]\nid = \"t\"\nname = \"T\"\n\n[api]\nlisten = \"127.0.0.1:{api}\"\n\n\
         [[connections]]\nid = \"hostile\"\nhost = \"127.0.0.1\"\nport = {port}\ntimeout_ms = 200\n"
    );
    for (id, unit, _) in DEVICES {
        s.push_str(&format!(
            "\n[[devices]]\nid = \"{id}\"\nconnection = \"hostile\"\nunit_id = {unit}\n\
             poll_interval_ms = 20\nsystem = \"reservkraft\"\n\n[[devices.points]]\nid = \"v\"\n\
             table = \"holding\"\naddress = 0\ntype = \"u32\"\nunit = \"\"\n"
        ));
    }
    s
}

/// Every sample of `/metrics` (series with labels → value).
fn metrics(api: u16) -> Result<BTreeMap<String, f64>, String> {
    let (status, text) = http_get(api, "/metrics")?;
    if status != 200 {
        return Err(format!("GET /metrics: HTTP {status}"));
    }
    Ok(text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (k, v) = l.rsplit_once(' ')?;
            Some((k.to_string(), v.parse().ok()?))
        })
        .collect())
}

fn requests(m: &BTreeMap<String, f64>, device: &str) -> f64 {
    let key =
        format!("driftvakt_modbus_requests_total{{connection=\"hostile\",device=\"{device}\"}}");
    m.get(&key).copied().unwrap_or(0.0)
}

#[test]
fn a_hostile_device_gives_a_short_readable_log_and_counted_timeouts() {
    let peer = PyPeer::start("hostile_modbus.py", &["--port", "0"]);
    let api = free_port();
    let work = tempfile::tempdir().expect("temp dir");
    let cfg = work.path().join("c.toml");
    std::fs::write(&cfg, config(peer.port, api)).expect("write config");
    assert_config_valid(&cfg);
    let daemon = Daemon::run(&cfg);

    let m = wait_for(
        "200 polls of each unit that answers wrongly",
        Duration::from_secs(90),
        || {
            let m = metrics(api)?;
            let n: Vec<f64> = ["h_short", "h_tid", "h_few"]
                .iter()
                .map(|d| requests(&m, d))
                .collect();
            if n.iter().all(|&n| n >= POLLS) {
                Ok(m)
            } else {
                Err(format!("requests (short, tid, few) = {n:?}"))
            }
        },
    );
    let log = daemon.log();
    let driver: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("connection=hostile"))
        .collect();
    let show = || driver.join("\n");
    for (id, unit, says) in DEVICES {
        let lines: Vec<&&str> = driver
            .iter()
            .filter(|l| l.contains(&format!("device={id} ")))
            .collect();
        assert!(
            lines.len() <= 3,
            "{id}: {} log lines after {POLLS} polls (rate limit):\n{}",
            lines.len(),
            show()
        );
        assert!(
            lines.iter().all(|l| l.contains(&format!("unit={unit}"))),
            "{id}: every line names the unit:\n{}",
            show()
        );
        if !says.is_empty() {
            assert!(
                lines.iter().any(|l| l.contains("WARN") && l.contains(says)),
                "{id}: a warning saying \"{says}\":\n{}",
                show()
            );
        }
    }
    assert!(
        driver.len() <= 15,
        "{} driver lines:\n{}",
        driver.len(),
        show()
    );
    for l in &driver {
        assert!(
            !l.contains("WARN") || l.contains(" unit=") || l.contains(" units="),
            "a warning without its unit: {l}"
        );
        for debug in ["Some(", "{ ", "Header", "fill whole buffer", "os error 0"] {
            assert!(
                !l.contains(debug),
                "Rust internals in the log ({debug}): {l}"
            );
        }
    }

    let device_timeouts = m
        .get("driftvakt_modbus_device_timeouts_total{connection=\"hostile\",device=\"h_silent\"}")
        .copied();
    let conn_timeouts = m
        .get("driftvakt_modbus_timeouts_total{connection=\"hostile\"}")
        .copied();
    assert!(
        device_timeouts.is_some_and(|n| n >= 1.0) && conn_timeouts.is_some_and(|n| n >= 1.0),
        "timeouts in /metrics: device {device_timeouts:?}, connection {conn_timeouts:?}"
    );
    let good = daemon.export_ok("h_good.v");
    assert!(
        good.iter().any(|r| r.quality == "good"),
        "the well-behaved unit is still read: {good:?}"
    );
    daemon.stop_cleanly();
}
