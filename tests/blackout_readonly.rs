//! End to end: the whole `blackout` scenario, simulator and daemon as separate processes, the way
//! a site runs them. Mains fail, the generators start, the transfer switch moves to reserve and
//! back when mains return, the generators stop again — and the simulator, which records every
//! function code it receives, never sees a write. SIGTERM then stops the daemon within 5 s with
//! the readings up to the stop in the store.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use support::{Daemon, ExportRow, assert_config_valid, daemon_bin, now_ms, repo_root, wait_for};

/// Simulated seconds per real second: mains fail 1 s in (20 simulated s) and return 31 s in; with
/// retransfer and cool-down the whole scenario takes ~40 s. Slower than the sim allows, so that a
/// loaded CI machine still sees every step at a 1 s poll interval.
const SPEED: &str = "20";

struct Sim {
    child: Child,
    ports: Vec<(String, u16)>,
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_sim(record: &std::path::Path) -> Sim {
    let mut child = Command::new(daemon_bin())
        .args(["sim", "--scenario", "blackout", "--speed", SPEED, "--port", "0", "--record"])
        .arg(record)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start driftvakt sim");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut ports = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("sim stdout");
        // "gateway stallverk listening on 127.0.0.1:41234"
        if let Some(rest) = line.strip_prefix("gateway ") {
            let (name, addr) = rest.split_once(" listening on ").expect("gateway line");
            let port = addr.rsplit(':').next().and_then(|p| p.parse().ok()).expect("port");
            ports.push((name.to_string(), port));
        }
        if ports.len() == 2 {
            break;
        }
    }
    assert_eq!(ports.len(), 2, "the simulator must announce both gateways");
    Sim { child, ports }
}

/// Good readings of a point; `Err` while the store is not there yet (the daemon is starting).
fn values(daemon: &Daemon, point: &str) -> Result<Vec<ExportRow>, String> {
    Ok(daemon.export(point)?.into_iter().filter(|r| r.quality == "good").collect())
}

#[test]
fn blackout_scenario_is_followed_end_to_end_and_no_write_reaches_the_plant() {
    let dir = tempfile::tempdir().expect("tempdir");
    let record = dir.path().join("function-codes.json");
    let mut sim = start_sim(&record);

    let reference = std::fs::read_to_string(repo_root().join("config/examples/reference-hospital.toml")).expect("reference config");
    let mut config = reference.clone();
    for (gateway, port) in &sim.ports {
        let default = if gateway == "stallverk" { "port = 15020" } else { "port = 15021" };
        assert!(config.contains(default), "reference config has no `{default}`");
        config = config.replacen(default, &format!("port = {port}"), 1);
    }
    let config_path = dir.path().join("hospital.toml");
    std::fs::write(&config_path, config).expect("write config");
    assert_config_valid(&config_path);
    let daemon = Daemon::run(&config_path);

    // The operator-visible sequence, read back from the store.
    let mains_lost = wait_for("mains reported lost", Duration::from_secs(30), || {
        values(&daemon, "ats.mains_available")?
            .into_iter()
            .find(|r| r.value == serde_json::json!(false))
            .map(|r| r.time_ms)
            .ok_or_else(|| "mains still available".to_string())
    });
    wait_for("generator G1 running", Duration::from_secs(30), || {
        values(&daemon, "g1.engine_state")?
            .iter()
            .any(|r| r.time_ms > mains_lost && r.value == serde_json::json!(3.0))
            .then_some(())
            .ok_or_else(|| "G1 not in state 3 (running) yet".to_string())
    });
    let on_reserve = wait_for("ATS on reserve", Duration::from_secs(30), || {
        values(&daemon, "ats.position")?
            .into_iter()
            .find(|r| r.value == serde_json::json!(1.0))
            .map(|r| r.time_ms)
            .ok_or_else(|| "ATS still on normal".to_string())
    });
    assert!(on_reserve >= mains_lost, "the ATS moved to reserve before mains were lost");
    wait_for("ATS back on normal and G1 stopped", Duration::from_secs(60), || {
        let back = values(&daemon, "ats.position")?.iter().any(|r| r.time_ms > on_reserve && r.value == serde_json::json!(0.0));
        let stopped = values(&daemon, "g1.engine_state")?.last().is_some_and(|r| r.value == serde_json::json!(0.0));
        (back && stopped).then_some(()).ok_or_else(|| format!("back on normal: {back}, G1 stopped: {stopped}"))
    });

    // Stop: within 5 s (asserted by terminate) and with the readings up to the stop stored.
    let stop_at = now_ms();
    daemon.stop_cleanly();
    let last = daemon.export_ok("tankar.main_tank").last().map(|r| r.time_ms).expect("tank readings");
    assert!(stop_at - last < 2_000, "newest stored reading is {} ms older than the stop", stop_at - last);

    // The simulator writes its record on SIGTERM.
    let _ = Command::new("kill").args(["-TERM", &sim.child.id().to_string()]).status();
    let status = sim.child.wait().expect("sim exit");
    assert!(status.success(), "simulator exited with {status}");
    let text = std::fs::read_to_string(&record).expect("function-code record");
    let rec: serde_json::Value = serde_json::from_str(&text).expect("record is JSON");
    let total = rec["total"].as_object().expect("total tally");
    assert!(!total.is_empty(), "the simulator recorded no requests: {text}");
    for (code, count) in total {
        assert!(["1", "2", "3", "4"].contains(&code.as_str()), "function code {code} ({count}×) is not a read: {text}");
    }
    assert_eq!(rec["write_requests"], serde_json::json!(0), "{text}");
}
