//! End to end against an independent Modbus TCP device (pymodbus): every value of
//! `tests/peers/gencomm_map.json` (every type, every byte/word order, strings, bits, sentinels,
//! an address the device does not serve, a second unit id) is polled by `driftvakt run`, stored,
//! and read back with `driftvakt export` exactly as the map says; the device only ever sees read
//! function codes.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use support::gencomm::{ConfigWriter, GencommMap};
use support::{Daemon, ExportRow, PyPeer, assert_config_valid, wait_for};

const POLL_MS: u32 = 200;

/// Device id in the config for a unit id of the map.
fn device_of(unit_id: u8) -> String {
    format!("g{unit_id}")
}

#[test]
fn every_mapped_value_is_stored_as_the_independent_device_serves_it() {
    let map = GencommMap::load();
    let work = tempfile::tempdir().expect("temp dir");
    let record = work.path().join("requests.jsonl");
    let record_arg = record.to_str().expect("utf-8 temp path");
    let peer = PyPeer::start(
        "pymodbus_server.py",
        &["--port", "0", "--record", record_arg],
    );

    let units: BTreeSet<u8> = map.points.iter().map(|p| p.unit_id).collect();
    let mut writer = ConfigWriter::new().connection("pymodbus", peer.port, 1000);
    for unit in &units {
        writer = writer.device(
            &device_of(*unit),
            "pymodbus",
            *unit,
            POLL_MS,
            &map.unit(*unit),
        );
    }
    let config = work.path().join("driftvakt.toml");
    std::fs::write(&config, writer.finish()).expect("write config");
    assert_config_valid(&config);

    let daemon = Daemon::run(&config);
    let full_id = |p: &support::gencomm::MapPoint| format!("{}.{}", device_of(p.unit_id), p.id);

    // Wait until every point has at least one reading.
    let mut pending: BTreeSet<String> = map.points.iter().map(full_id).collect();
    let total = pending.len();
    wait_for(
        "at least one stored reading of every point",
        Duration::from_secs(30),
        || {
            let mut last_error = String::new();
            pending.retain(|id| match daemon.export(id) {
                Ok(rows) => rows.is_empty(),
                Err(e) => {
                    last_error = e;
                    true
                }
            });
            if pending.is_empty() {
                Ok(())
            } else {
                Err(format!(
                    "{} of {total} points have no reading yet, e.g. {:?}; last export error: {last_error}",
                    pending.len(),
                    pending.iter().take(5).collect::<Vec<_>>()
                ))
            }
        },
    );

    // The newest reading of every point is exactly what the map says.
    let mut wrong = Vec::new();
    let mut latest: BTreeMap<String, ExportRow> = BTreeMap::new();
    for p in &map.points {
        let id = full_id(p);
        let rows = daemon.export_ok(&id);
        let row = rows
            .iter()
            .max_by_key(|r| r.time_ms)
            .expect("at least one reading")
            .clone();
        if !p.matches(&row.value, &row.quality) {
            wrong.push(format!(
                "{id} ({} {} {} {}{}): stored {} {:?}, the device serves {} so expected {} {:?}",
                p.table,
                p.address,
                p.data_type,
                p.order.as_deref().unwrap_or("ABCD"),
                p.bit.map(|b| format!(" bit {b}")).unwrap_or_default(),
                row.value,
                row.quality,
                p.raw,
                p.expected,
                p.quality
            ));
        }
        latest.insert(id, row);
    }
    assert!(
        wrong.is_empty(),
        "{} of {total} points decoded wrongly:\n{}",
        wrong.len(),
        wrong.join("\n")
    );

    // Times are sane: RFC 3339 UTC text and milliseconds agree on the second.
    for (id, row) in &latest {
        assert_eq!(
            row.time.get(..19),
            Some(&support::rfc3339_ms(row.time_ms)[..19]),
            "{id}: time {:?} and time_ms {} disagree",
            row.time,
            row.time_ms
        );
    }

    daemon.stop_cleanly();

    // Read-only towards the plant: the device saw only read function codes, for both units,
    // and every table was read with its own function code.
    let log = std::fs::read_to_string(&record).expect("the peer recorded requests");
    let mut fcs = BTreeSet::new();
    let mut seen_units = BTreeSet::new();
    for line in log.lines() {
        let req: serde_json::Value =
            serde_json::from_str(line).expect("recorder writes JSON lines");
        fcs.insert(req["fc"].as_u64().expect("fc is a number"));
        seen_units.insert(req["unit"].as_u64().expect("unit is a number"));
    }
    let reads: BTreeSet<u64> = [1, 2, 3, 4].into_iter().collect();
    assert!(
        fcs.is_subset(&reads),
        "driftvakt sent non-read function codes: {:?}",
        fcs.difference(&reads)
    );
    assert_eq!(
        fcs, reads,
        "every table (coils, discrete inputs, holding, input) is read with its function code"
    );
    let want_units: BTreeSet<u64> = units.iter().map(|u| u64::from(*u)).collect();
    assert_eq!(
        seen_units, want_units,
        "requests went to exactly the configured unit ids"
    );
    drop(peer);
}
