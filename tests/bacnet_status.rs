//! End to end: `driftvakt status` shows requests and errors for BACnet devices (README promises
//! them per device), against the bacpypes3 device and an address where no device answers.

mod support;

use std::time::Duration;

use support::alarm::{cli, cli_ok};
use support::bacnet::{BacMap, config};
use support::{Daemon, PyPeer, free_port, free_udp_port, wait_for};

/// The row of `device` in the device table of `text`, split into columns.
fn row<'a>(text: &'a str, device: &str) -> Option<Vec<&'a str>> {
    let line = text
        .lines()
        .find(|l| l.starts_with(&format!("{device} ")))?;
    Some(line.split_whitespace().collect())
}

#[test]
fn status_shows_requests_and_errors_of_bacnet_devices() {
    let map = BacMap::load();
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_udp_port();
    let record = dir.path().join("device.jsonl");
    let (port_s, rec_s) = (port.to_string(), record.display().to_string());
    let _device = PyPeer::start("bacnet_device.py", &["--port", &port_s, "--record", &rec_s]);
    // `gone`: an address where nothing answers, so every request of it fails.
    let api = free_port();
    let text = format!(
        "{}\n[api]\nlisten = \"127.0.0.1:{api}\"\n",
        config(
            &map,
            &[("lb01", port, ""), ("gone", free_udp_port(), "")],
            200,
            150
        )
    );
    let cfg = dir.path().join("c.toml");
    std::fs::write(&cfg, text).expect("write config");
    let daemon = Daemon::run(&cfg);
    let url = format!("http://127.0.0.1:{api}");

    let mut json = serde_json::Value::Null;
    wait_for(
        "requests to both devices, failures for `gone`",
        Duration::from_secs(20),
        || {
            daemon.assert_running();
            let out = cli(&["status", "--api", &url, "--json"]);
            if !out.status.success() {
                return Err(String::from_utf8_lossy(&out.stderr).into_owned());
            }
            json = serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())?;
            let dev = |id: &str| {
                json["devices"]
                    .as_array()
                    .and_then(|a| a.iter().find(|d| d["id"] == id))
                    .cloned()
            };
            let (lb01, gone) = (dev("lb01").ok_or("no lb01")?, dev("gone").ok_or("no gone")?);
            let n = |d: &serde_json::Value, k: &str| d[k].as_u64();
            match (
                n(&lb01, "requests"),
                n(&lb01, "request_errors"),
                n(&gone, "requests"),
                n(&gone, "request_errors"),
            ) {
                (Some(r), Some(0), Some(g), Some(e)) if r >= 2 && g >= 2 && e >= 2 => Ok(()),
                other => Err(format!("lb01/gone requests and errors: {other:?}")),
            }
        },
    );
    let dev = |id: &str| {
        json["devices"]
            .as_array()
            .and_then(|a| a.iter().find(|d| d["id"] == id))
            .cloned()
            .expect("device")
    };
    let gone = dev("gone");
    assert_eq!(
        gone["requests"], gone["request_errors"],
        "every request to `gone` fails: {gone}"
    );

    // The Swedish table shows numbers in Förfrågningar and Fel, not "–".
    let out = cli_ok(&["status", "--api", &url]);
    let header = row(&out, "Enhet").unwrap_or_else(|| panic!("no device table:\n{out}"));
    assert_eq!(
        &header[header.len() - 2..],
        ["Förfrågningar", "Fel"],
        "{out}"
    );
    for id in ["lb01", "gone"] {
        let cols = row(&out, id).unwrap_or_else(|| panic!("no row for {id}:\n{out}"));
        let (requests, errors) = (cols[cols.len() - 2], cols[cols.len() - 1]);
        assert!(
            requests != "–" && errors != "–",
            "{id}: requests {requests}, errors {errors}\n{out}"
        );
    }
    let lb01 = row(&out, "lb01").expect("lb01 row");
    assert_eq!(
        lb01[lb01.len() - 1],
        "0",
        "lb01 answers every request:\n{out}"
    );
    daemon.stop_cleanly();
}
