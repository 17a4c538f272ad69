//! End-to-end: driftvakt against an independent BACnet/IP device (bacpypes3, tests/peers/
//! bacnet_device.py) on loopback. Every test also checks the device's service record: no write
//! service ever arrives.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use support::bacnet::{BacMap, assert_no_writes, config, record};
use support::{Daemon, ExportRow, PyPeer, daemon_bin, free_udp_port, wait_for};

const DEVICE: &str = "bacnet_device.py";

/// A temp dir with a device record file and a config path.
struct Files {
    dir: tempfile::TempDir,
}

impl Files {
    fn new() -> Self {
        Self {
            dir: tempfile::Builder::new()
                .prefix("driftvakt-bacnet-")
                .tempdir()
                .expect("temp dir"),
        }
    }
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, text).expect("write file");
        p
    }
}

fn start_device(port: u16, record: &Path, extra: &[&str]) -> PyPeer {
    let port_s = port.to_string();
    let rec = record.to_string_lossy().to_string();
    let mut args = vec!["--port", port_s.as_str(), "--record", rec.as_str()];
    args.extend_from_slice(extra);
    PyPeer::start(DEVICE, &args)
}

/// The newest reading of `point` equals what the device serves (value and quality).
fn matches(row: &ExportRow, value: &serde_json::Value, quality: &str) -> Result<(), String> {
    if row.quality != quality {
        return Err(format!("quality {} (expected {quality})", row.quality));
    }
    let ok = match (value, &row.value) {
        (serde_json::Value::Number(a), serde_json::Value::Number(b)) => {
            (a.as_f64().unwrap_or(f64::NAN) - b.as_f64().unwrap_or(f64::NAN)).abs() < 1e-6
        }
        (a, b) => a == b,
    };
    if ok {
        Ok(())
    } else {
        Err(format!("value {} (expected {value})", row.value))
    }
}

/// Wait until every point of device `dev` shows what the map says (the counter: any good number).
fn wait_all_points(daemon: &Daemon, map: &BacMap, dev: &str, ids: &BTreeMap<String, String>) {
    for o in &map.objects {
        let point = format!(
            "{dev}.{}",
            ids.get(&o.object)
                .cloned()
                .unwrap_or_else(|| o.point.clone())
        );
        wait_for(
            &format!("{point} = {} ({})", o.expected_value(), o.quality),
            Duration::from_secs(15),
            || {
                let rows = daemon.export(&point)?;
                let last = rows.last().ok_or("no reading yet")?;
                if o.counter {
                    return if last.quality == "good" && last.value.is_number() {
                        Ok(())
                    } else {
                        Err(format!("{last:?}"))
                    };
                }
                matches(last, &o.expected_value(), &o.quality)
            },
        );
    }
}

#[test]
fn rpm_values_and_status_flags_match_the_device() {
    let map = BacMap::load();
    let files = Files::new();
    let rec = files.path("device.jsonl");
    let port = free_udp_port();
    let _device = start_device(port, &rec, &[]);
    let cfg = files.write("c.toml", &config(&map, &[("lb01", port, "")], 300, 1000));
    let daemon = Daemon::run(&cfg);
    wait_all_points(&daemon, &map, "lb01", &BTreeMap::new());
    let services = assert_no_writes(&rec);
    assert!(
        services.contains(&"read-property-multiple".to_string()),
        "values are read by RPM: {services:?}"
    );
    daemon.stop_cleanly();
}

#[test]
fn devices_refusing_large_or_any_rpm_still_yield_every_point() {
    let map = BacMap::load();
    let files = Files::new();
    let (rec_small, rec_none) = (files.path("small.jsonl"), files.path("none.jsonl"));
    let (port_small, port_none) = (free_udp_port(), free_udp_port());
    let _small = start_device(port_small, &rec_small, &["--max-rpm-properties", "3"]);
    let _none = start_device(port_none, &rec_none, &["--no-rpm"]);
    let cfg = files.write(
        "c.toml",
        &config(
            &map,
            &[("small", port_small, ""), ("none", port_none, "")],
            300,
            1000,
        ),
    );
    let daemon = Daemon::run(&cfg);
    wait_all_points(&daemon, &map, "small", &BTreeMap::new());
    wait_all_points(&daemon, &map, "none", &BTreeMap::new());

    let rpm: Vec<u32> = record(&rec_small)
        .iter()
        .filter(|e| e.service == "read-property-multiple")
        .filter_map(|e| e.properties)
        .collect();
    assert!(
        rpm.first().is_some_and(|n| *n > 3),
        "the first batch was sized to the APDU, larger than the device takes: {rpm:?}"
    );
    let last: Vec<u32> = rpm.iter().rev().take(5).copied().collect();
    assert!(
        last.iter().all(|n| *n <= 3),
        "after shrinking every batch fits the device: {rpm:?}"
    );
    let rec = record(&rec_none);
    let rpm_none = rec
        .iter()
        .filter(|e| e.service == "read-property-multiple")
        .count();
    let rp_none = rec.iter().filter(|e| e.service == "read-property").count();
    assert_eq!(
        rpm_none, 1,
        "RPM is tried once, then remembered as unsupported"
    );
    assert!(
        rp_none >= map.objects.len() * 2,
        "every property by ReadProperty: {rp_none}"
    );
    assert_no_writes(&rec_small);
    assert_no_writes(&rec_none);
    daemon.stop_cleanly();
}

/// Counter readings (device counts up every 0.5 s) newer than `after_ms`.
fn counter_rows(daemon: &Daemon, dev: &str, map: &BacMap, after_ms: i64) -> Vec<ExportRow> {
    let rows = daemon
        .export(&format!("{dev}.{}", map.counter().point))
        .unwrap_or_default();
    rows.into_iter().filter(|r| r.time_ms > after_ms).collect()
}

#[test]
fn cov_with_a_short_lifetime_is_renewed_and_notifications_keep_coming() {
    let map = BacMap::load();
    let files = Files::new();
    let rec = files.path("device.jsonl");
    let port = free_udp_port();
    let _device = start_device(port, &rec, &[]);
    // Lifetime 4 s, renewed at 80 %; the check poll (60 s) stays out of the way.
    let cov = "cov = { lifetime_s = 4, renew_at_fraction = 0.8, check_interval_s = 60 }";
    let cfg = files.write("c.toml", &config(&map, &[("lb01", port, cov)], 1000, 1000));
    let daemon = Daemon::run(&cfg);
    wait_all_points(&daemon, &map, "lb01", &BTreeMap::new());
    let start = support::now_ms();
    // Three and a half lifetimes.
    let span_ms = 14_000;
    wait_for("14 s of COV notifications", Duration::from_secs(20), || {
        let rows = counter_rows(&daemon, "lb01", &map, start);
        match rows.last() {
            Some(r) if r.time_ms >= start + span_ms => Ok(()),
            _ => Err(format!("{} readings so far", rows.len())),
        }
    });
    let rows = counter_rows(&daemon, "lb01", &map, start);
    let gaps: Vec<i64> = rows
        .windows(2)
        .map(|w| w[1].time_ms - w[0].time_ms)
        .collect();
    let worst = gaps.iter().copied().max().unwrap_or(i64::MAX);
    assert!(
        rows.len() >= 20,
        "a notification every 0.5 s: {} readings in {span_ms} ms",
        rows.len()
    );
    assert!(
        worst < 1_500,
        "no gap: the subscription never lapsed (worst gap {worst} ms)"
    );
    let values: Vec<f64> = rows.iter().filter_map(|r| r.value.as_f64()).collect();
    assert!(
        values.windows(2).all(|w| w[1] >= w[0]),
        "values by COV follow the device: {values:?}"
    );

    let rec_all = record(&rec);
    let subs: Vec<_> = rec_all
        .iter()
        .filter(|e| e.service == "subscribe-cov")
        .collect();
    assert!(
        subs.iter().all(|e| e.lifetime == Some(4)),
        "finite lifetime, never 0: {subs:?}"
    );
    let renewals = subs.len() / map.objects.len();
    assert!(
        renewals >= 4,
        "subscribed and renewed at least 3 times in 3.5 lifetimes: {} SubscribeCOV for {} objects",
        subs.len(),
        map.objects.len()
    );
    let polls = rec_all
        .iter()
        .filter(|e| e.service == "read-property-multiple" && e.t > start)
        .count();
    assert!(
        polls == 0,
        "values came by COV, not by polling: {polls} RPM during the window"
    );
    assert_no_writes(&rec);
    daemon.stop_cleanly();
}

#[test]
fn cov_is_reestablished_within_the_check_interval_after_a_device_restart() {
    let map = BacMap::load();
    let files = Files::new();
    let (rec1, rec2) = (files.path("first.jsonl"), files.path("second.jsonl"));
    let port = free_udp_port();
    let mut device = start_device(port, &rec1, &[]);
    let cov = "cov = { lifetime_s = 300, check_interval_s = 2 }";
    let cfg = files.write("c.toml", &config(&map, &[("lb01", port, cov)], 1000, 300));
    let daemon = Daemon::run(&cfg);
    wait_for(
        "COV notifications before the restart",
        Duration::from_secs(15),
        || {
            let n = counter_rows(&daemon, "lb01", &map, 0).len();
            if n >= 4 {
                Ok(())
            } else {
                Err(format!("{n} counter readings"))
            }
        },
    );

    device.stop(); // power cut: the device forgets its subscriptions
    let device2 = start_device(port, &rec2, &[]);
    let back = device2.listening_at_ms;
    let sub = wait_for(
        "a SubscribeCOV at the restarted device",
        Duration::from_secs(10),
        || {
            record(&rec2)
                .into_iter()
                .find(|e| e.service == "subscribe-cov")
                .ok_or_else(|| "none yet".to_string())
        },
    );
    let after = sub.t - back;
    assert!(
        after <= 2_000 + 1_000,
        "re-subscribed {after} ms after the device came back (check interval 2 s)"
    );
    wait_for(
        "notifications again (faster than the 2 s check poll)",
        Duration::from_secs(10),
        || {
            let rows = counter_rows(&daemon, "lb01", &map, sub.t);
            if rows.len() >= 4 && rows[3].time_ms - sub.t < 2_500 {
                Ok(())
            } else {
                Err(format!("{} readings after re-subscribing", rows.len()))
            }
        },
    );
    assert_no_writes(&rec1);
    assert_no_writes(&rec2);
    daemon.stop_cleanly();
}

#[test]
fn discover_prints_a_file_that_checks_alone_and_a_block_to_paste_that_polls() {
    let map = BacMap::load();
    let files = Files::new();
    let rec = files.path("device.jsonl");
    let port = free_udp_port();
    // The device cannot return its object list whole: discover must read it element by element.
    let _device = start_device(port, &rec, &["--no-whole-object-list"]);
    let out = Command::new(daemon_bin())
        .args([
            "discover",
            "--bacnet",
            "--objects",
            "--bind",
            "127.0.0.1:0",
            "--wait-ms",
            "1000",
        ])
        .args(["--target", &format!("127.0.0.1:{port}")])
        .stdin(Stdio::null())
        .output()
        .expect("run driftvakt discover");
    let block = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "discover failed: {}\n{block}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        block.contains(&format!("instance = {}", map.device.instance)),
        "{block}"
    );
    assert!(block.contains("element by element"), "{block}");
    // What discover prints is a file `check` accepts as it is …
    let alone = files.write("discovered.toml", &block);
    let check = support::check_config(&[&alone]);
    assert!(
        check.status.success(),
        "driftvakt check refuses what discover printed:\n{}\n{block}",
        String::from_utf8_lossy(&check.stdout)
    );
    // … and its header says what to paste into an existing configuration: from this line on.
    let from = "`[[bacnet_networks]]` on";
    assert!(
        block.contains(from),
        "the header says where the block starts:\n{block}"
    );
    let pasted = &block[block.find("\n[[bacnet_networks]]").expect("block start")..];
    let cfg = files.write(
        "c.toml",
        &format!("[site]\nid = \"test\"\nname = \"Test\"\n{pasted}"),
    );
    let check = support::check_config(&[&cfg]);
    assert!(
        check.status.success(),
        "driftvakt check refuses the pasted block:\n{}\n{pasted}",
        String::from_utf8_lossy(&check.stdout)
    );

    // object → point id as discover named them.
    let doc: toml::Table = pasted.parse().expect("TOML");
    let dev = doc["devices"]
        .as_array()
        .and_then(|a| a.first())
        .and_then(|d| d.as_table())
        .expect("one device");
    let dev_id = dev["id"].as_str().expect("device id").to_string();
    let ids: BTreeMap<String, String> = dev["points"]
        .as_array()
        .expect("points")
        .iter()
        .filter_map(|p| {
            Some((
                p.get("object")?.as_str()?.to_string(),
                p.get("id")?.as_str()?.to_string(),
            ))
        })
        .collect();
    assert_eq!(
        ids.len(),
        map.objects.len(),
        "every object of the device became a point: {ids:?}"
    );
    let daemon = Daemon::run(&cfg);
    wait_all_points(&daemon, &map, &dev_id, &ids);
    assert_no_writes(&rec);
    daemon.stop_cleanly();
}

/// An UnconfirmedCOVNotification: `value` for `object` of device `device` under `process_id`,
/// well formed (driftvakt's own decoder accepts it; before the checks it was stored).
fn forged_notification(process_id: u32, device: u32, object: &str, value: f32) -> Vec<u8> {
    use driftvakt_drivers::bacnet::encoding::AppValue;
    use driftvakt_drivers::bacnet::frame::{self, Apdu, Npdu, bvlc, unconfirmed};
    use driftvakt_drivers::bacnet::services::{CovNotification, encode_cov_notification};
    use driftvakt_drivers::bacnet::types::{ObjectId, ObjectType, PropertyId};
    let n = CovNotification {
        process_id,
        device: ObjectId::new(ObjectType::DEVICE, device),
        object: ObjectId::parse(object).expect("object id"),
        time_remaining_s: 250,
        values: vec![
            (PropertyId::PRESENT_VALUE, vec![AppValue::Real(value)]),
            (
                PropertyId::STATUS_FLAGS,
                vec![AppValue::Bits(vec![false; 4])],
            ),
        ],
    };
    let apdu = Apdu::Unconfirmed {
        service: unconfirmed::COV_NOTIFICATION,
        data: encode_cov_notification(&n),
    };
    frame::encode_datagram(bvlc::UNICAST, &Npdu::default(), &apdu)
}

/// `driftvakt_bacnet_rejected_total{network="bas",reason=…}` from `/metrics` (0 if absent).
fn rejected(api: u16, reason: &str) -> Result<f64, String> {
    let (status, text) = support::telemetry::http_get(api, "/metrics")?;
    if status != 200 {
        return Err(format!("GET /metrics: HTTP {status}"));
    }
    let series = format!("driftvakt_bacnet_rejected_total{{network=\"bas\",reason=\"{reason}\"}} ");
    Ok(text
        .lines()
        .find_map(|l| l.strip_prefix(&series))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0))
}

/// Once a genuine notification newer than now has been stored (the forgeries before it were
/// handled before it: one receive loop), `supply_air_temp` holds only the device's value.
fn assert_untouched(daemon: &Daemon, map: &BacMap, sent_from: i64) {
    let after = support::now_ms() + 100;
    wait_for(
        "a genuine notification after the forgeries",
        Duration::from_secs(10),
        || match counter_rows(daemon, "lb01", map, after).len() {
            0 => Err("no counter reading yet".to_string()),
            _ => Ok(()),
        },
    );
    let rows = daemon.export_ok("lb01.supply_air_temp");
    let forged: Vec<&support::ExportRow> = rows
        .iter()
        .filter(|r| r.value.as_f64().is_some_and(|v| (v - 777.25).abs() < 1e-3))
        .collect();
    assert!(
        forged.is_empty(),
        "forged values stored as readings: {forged:?}"
    );
    assert!(
        rows.iter()
            .filter(|r| r.time_ms >= sent_from)
            .all(|r| r.quality == "good" && r.value.as_f64() == Some(19.5)),
        "supply_air_temp keeps the device's value: {rows:?}"
    );
}

#[test]
fn forged_cov_notifications_leave_the_stored_values_untouched_and_are_counted() {
    let map = BacMap::load();
    let files = Files::new();
    let rec = files.path("device.jsonl");
    let port = free_udp_port();
    let _device = start_device(port, &rec, &[]);
    let (bacnet_port, api) = (free_udp_port(), support::free_port());
    let cov = "cov = { lifetime_s = 300, check_interval_s = 60 }";
    let cfg = config(&map, &[("lb01", port, cov)], 1000, 1000).replace(
        "bind = \"127.0.0.1:0\"",
        &format!("bind = \"127.0.0.1:{bacnet_port}\""),
    ) + &format!("\n[api]\nlisten = \"127.0.0.1:{api}\"\n");
    let cfg = files.write("c.toml", &cfg);
    let daemon = Daemon::run(&cfg);
    wait_all_points(&daemon, &map, "lb01", &BTreeMap::new());
    let pid = wait_for(
        "a SubscribeCOV with its process id",
        Duration::from_secs(10),
        || {
            record(&rec)
                .into_iter()
                .find_map(|e| e.process_id)
                .ok_or_else(|| "none yet".to_string())
        },
    );

    // The attacker: another socket on the same host, knowing the device, the object and even
    // the real process id (sniffed), plus guesses around it and across the old id range.
    let forger = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind forger");
    let to = format!("127.0.0.1:{bacnet_port}");
    let temp = map
        .objects
        .iter()
        .find(|o| o.point == "supply_air_temp")
        .expect("supply_air_temp");
    let instance = map.device.instance;
    let real = forged_notification(pid, instance, &temp.object, 777.25);
    // The same notification in a Forwarded-NPDU that claims to come from the device.
    let mut forwarded = vec![0x81, 0x04, 0, 0, 127, 0, 0, 1];
    forwarded.extend_from_slice(&port.to_be_bytes());
    forwarded.extend_from_slice(&real[4..]);
    let len = u16::try_from(forwarded.len()).expect("short").to_be_bytes();
    forwarded[2..4].copy_from_slice(&len);
    let guesses: Vec<u32> = (1..=300u32)
        .flat_map(|k| [pid.wrapping_add(k), pid.wrapping_sub(k)])
        .chain((1..=400u32).map(|k| k * 2_500))
        .filter(|g| *g != pid)
        .collect();
    let sent_from = support::now_ms();
    forger.send_to(&real, &to).expect("send");
    forger.send_to(&forwarded, &to).expect("send");
    forger
        .send_to(b"\x81\x0a\x00\x07\x01\x00\x10", &to)
        .expect("send");
    assert_untouched(&daemon, &map, sent_from);
    // Guesses in batches the socket buffer holds (a flood would be dropped by the kernel, not
    // counted): each batch must be counted before the next goes out.
    for (i, batch) in guesses.chunks(100).enumerate() {
        for g in batch {
            forger
                .send_to(
                    &forged_notification(*g, instance, &temp.object, 777.25),
                    &to,
                )
                .expect("send");
        }
        let want = (i * 100 + batch.len()) as f64;
        wait_for(
            "guessed process ids counted",
            Duration::from_secs(10),
            || match rejected(api, "unknown_process")? {
                n if n == want => Ok(()),
                n => Err(format!("{n} of {want} counted")),
            },
        );
    }
    assert_untouched(&daemon, &map, sent_from);
    let counts = (rejected(api, "foreign_address"), rejected(api, "malformed"));
    assert_eq!(counts, (Ok(2.0), Ok(1.0)), "(foreign address, malformed)");
    let status = Command::new(daemon_bin())
        .args([
            "status",
            "--api",
            &format!("http://127.0.0.1:{api}"),
            "--lang",
            "en",
        ])
        .stdin(Stdio::null())
        .output()
        .expect("run driftvakt status");
    let text = String::from_utf8_lossy(&status.stdout);
    assert!(
        text.contains(&format!(
            "BACnet network bas: {} rejected datagrams (wrong sender 2, malformed 1, unknown process id {})",
            guesses.len() + 3,
            guesses.len()
        )),
        "{text}"
    );
    let log = daemon.log();
    let warnings: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("rejected a BACnet datagram"))
        .collect();
    assert!(
        (1..=3).contains(&warnings.len()) && warnings.iter().all(|l| l.contains("WARN")),
        "one warning per reason, not one per datagram: {warnings:#?}"
    );
    assert_no_writes(&rec);
    daemon.stop_cleanly();
}
