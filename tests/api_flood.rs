//! End to end: 2 000 idle connections to the operator API, each having sent half an HTTP request,
//! must not starve polling. The daemon runs against the simulator with a soft open-files limit of
//! 1024 (as many service managers set it); while the connections are held every Modbus device
//! keeps its poll rate, `/api/health` answers within two seconds, and after a gateway restart
//! (the simulator stopped and started again on the same ports) every device is read again.

mod support;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use support::sim::{Sim, free_ports};
use support::{Daemon, assert_config_valid, free_port, now_ms, wait_for};

/// Idle connections opened against the API.
const IDLE_CONNECTIONS: usize = 2_000;
/// The soft open-files limit the daemon is started with.
const SOFT_LIMIT: u64 = 1024;
/// Open files that must stay free for devices, the store and sinks while the connections are held.
const RESERVED: u64 = 256;
/// How long `/api/health` may take while the idle connections are held.
const HEALTH_WITHIN: Duration = Duration::from_secs(2);
/// Poll interval of every device in the reference configuration.
const POLL_MS: i64 = 1000;
/// How long the poll rate is watched while the connections are held.
const WATCH: Duration = Duration::from_secs(8);

/// The first point id of every Modbus device of `config` (device id → point id).
fn modbus_points(config: &str) -> BTreeMap<String, String> {
    let doc: toml::Table = config.parse().expect("reference config is TOML");
    let mut out = BTreeMap::new();
    for d in doc["devices"].as_array().expect("devices") {
        if d.get("connection").is_none() {
            continue; // BACnet
        }
        let id = d["id"].as_str().expect("device id").to_string();
        let point = d
            .get("points")
            .and_then(|p| p.as_array())
            .and_then(|p| p.first())
            .or_else(|| {
                let template = d.get("template")?.as_str()?;
                doc["templates"]
                    .as_array()?
                    .iter()
                    .find(|t| t["id"].as_str() == Some(template))?["points"]
                    .as_array()?
                    .first()
            })
            .and_then(|p| p["id"].as_str())
            .expect("a point of the device");
        out.insert(id.clone(), format!("{id}.{point}"));
    }
    assert!(
        out.len() >= 8,
        "expected the eight Modbus devices of the reference hospital: {out:?}"
    );
    out
}

/// `GET /api/health` on a fresh connection: how long it took, or why it failed.
fn health(api: SocketAddr) -> Result<Duration, String> {
    let start = Instant::now();
    let mut s =
        TcpStream::connect_timeout(&api, HEALTH_WITHIN).map_err(|e| format!("connect: {e}"))?;
    s.set_read_timeout(Some(HEALTH_WITHIN))
        .map_err(|e| e.to_string())?;
    s.write_all(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .map_err(|e| format!("send: {e}"))?;
    let mut answer = String::new();
    s.read_to_string(&mut answer)
        .map_err(|e| format!("no answer within {HEALTH_WITHIN:?}: {e}"))?;
    if !answer.starts_with("HTTP/1.1 200") || !answer.contains("\"ok\"") {
        return Err(format!("unexpected answer: {answer:?}"));
    }
    Ok(start.elapsed())
}

/// Opens `n` connections to `api` (from several threads, so that connections the daemon's listen
/// queue has no room for cost little time), each sending the start of a request and nothing more.
fn idle_connections(api: SocketAddr, n: usize) -> Vec<TcpStream> {
    const THREADS: usize = 40;
    let openers: Vec<_> = (0..THREADS)
        .map(|t| {
            std::thread::spawn(move || {
                let mut held = Vec::new();
                for _ in (t..n).step_by(THREADS) {
                    // One the queue has no room for does not complete, and counts as not opened.
                    if let Ok(mut s) = TcpStream::connect_timeout(&api, Duration::from_millis(1500))
                    {
                        let _ = s.write_all(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n");
                        held.push(s);
                    }
                }
                held
            })
        })
        .collect();
    openers
        .into_iter()
        .flat_map(|o| o.join().expect("opener thread"))
        .collect()
}

/// Good readings of each device's point at or after `since_ms`.
fn good_since(
    daemon: &Daemon,
    points: &BTreeMap<String, String>,
    since_ms: i64,
) -> Result<BTreeMap<String, usize>, String> {
    let mut counts = BTreeMap::new();
    for (device, point) in points {
        let rows = daemon.export(point)?;
        let good = rows
            .iter()
            .filter(|r| r.time_ms >= since_ms && r.quality == "good")
            .count();
        counts.insert(device.clone(), good);
    }
    Ok(counts)
}

/// The whole scenario with the daemon's hard limit `hard` (`None`: the test's own, so the daemon
/// may raise its soft limit to it).
fn idle_clients_do_not_starve_polling(hard: Option<u64>) {
    let mut sim = Sim::scenario("normal").ports(free_ports()).start();
    let api_port = free_port();
    let config = sim.config("").replace(
        "listen = \"127.0.0.1:8750\"",
        &format!("listen = \"127.0.0.1:{api_port}\""),
    );
    let points = modbus_points(&config);
    let dir = tempfile::tempdir().expect("tempdir");
    let config_path = dir.path().join("hospital.toml");
    std::fs::write(&config_path, &config).expect("write config");
    assert_config_valid(&config_path);
    let daemon = Daemon::with().open_files_limit(SOFT_LIMIT, hard).run(&config_path);
    let api: SocketAddr = ([127, 0, 0, 1], api_port).into();
    let start = now_ms();
    wait_for(
        "the API and a good reading of every Modbus device",
        Duration::from_secs(30),
        || {
            daemon.assert_running();
            health(api)?;
            let counts = good_since(&daemon, &points, start)?;
            counts
                .values()
                .all(|n| *n > 0)
                .then_some(())
                .ok_or_else(|| format!("good readings per device: {counts:?}"))
        },
    );

    let held = idle_connections(api, IDLE_CONNECTIONS);
    let flood_ms = now_ms();
    eprintln!(
        "{} of {IDLE_CONNECTIONS} idle connections opened and held",
        held.len()
    );

    // The daemon keeps room for device connections: its open files stay far below its limit.
    let pid = daemon.pid().expect("daemon running");
    let open = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(Iterator::count)
        .unwrap_or(0);
    eprintln!("the daemon has {open} files open with the idle connections held");
    assert!(
        open + usize::try_from(RESERVED).expect("small")
            <= usize::try_from(SOFT_LIMIT).expect("small"),
        "the daemon has {open} files open with {} idle API connections held: less than {RESERVED} of its {SOFT_LIMIT} are left for devices",
        held.len()
    );

    // The API answers while they are held.
    let took = health(api).unwrap_or_else(|e| {
        panic!(
            "/api/health with {} idle connections held: {e}\nlog:\n{}",
            held.len(),
            daemon.log()
        )
    });
    eprintln!("/api/health answered in {took:?} with the idle connections held");

    // Every device keeps its poll rate.
    let watched = wait_for(
        "the watch period of the poll rate",
        WATCH + Duration::from_secs(5),
        || {
            daemon.assert_running();
            let elapsed = now_ms() - flood_ms;
            if elapsed < i64::try_from(WATCH.as_millis()).expect("ms") {
                return Err(format!("{elapsed} ms watched"));
            }
            Ok(elapsed)
        },
    );
    let counts = good_since(&daemon, &points, flood_ms)
        .unwrap_or_else(|e| panic!("{e}\nlog:\n{}", daemon.log()));
    let expected = usize::try_from(watched / POLL_MS - 2).expect("positive");
    assert!(
        counts.values().all(|n| *n >= expected),
        "with {} idle API connections held for {watched} ms every device needs ≥ {expected} good readings at {POLL_MS} ms: {counts:?}\nlog:\n{}",
        held.len(),
        daemon.log()
    );

    // A gateway restart is reconnected while they are still held.
    sim.restart();
    let back_ms = now_ms();
    wait_for(
        "every device read again after the gateways restarted",
        Duration::from_secs(20),
        || {
            daemon.assert_running();
            let counts = good_since(&daemon, &points, back_ms)?;
            counts
                .values()
                .all(|n| *n > 0)
                .then_some(())
                .ok_or_else(|| format!("good readings per device since the restart: {counts:?}"))
        },
    );
    let took = health(api)
        .unwrap_or_else(|e| panic!("/api/health after the restart: {e}\nlog:\n{}", daemon.log()));
    eprintln!("after the gateway restart every device was read again; /api/health in {took:?}");
    drop(held);
    daemon.stop_cleanly();
    sim.stop();
    let log = daemon.log();
    assert!(
        log.contains("open files"),
        "the daemon must log its open-files limits:\n{log}"
    );
}

#[test]
fn idle_api_connections_do_not_starve_polling_with_a_raisable_soft_limit() {
    idle_clients_do_not_starve_polling(None);
}

#[test]
fn idle_api_connections_do_not_starve_polling_when_the_hard_limit_is_1024_too() {
    idle_clients_do_not_starve_polling(Some(SOFT_LIMIT));
}

#[test]
fn the_open_files_limit_is_raised_to_the_hard_limit_and_logged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("minimal.toml");
    std::fs::write(
        &config,
        "[site]\nid = \"s\"\nname = \"S\"\n[api]\nenabled = false\n",
    )
    .expect("write config");
    let daemon = Daemon::with().open_files_limit(SOFT_LIMIT, Some(4096)).run(&config);
    let line = wait_for(
        "the daemon running, with its open-files line in the log",
        Duration::from_secs(10),
        || {
            daemon.assert_running();
            let log = daemon.log();
            let line = log
                .lines()
                .find(|l| l.contains("open files limit"))
                .ok_or_else(|| "not logged yet".to_string())?;
            log.contains("driftvakt running")
                .then(|| line.to_string())
                .ok_or_else(|| "not running yet".to_string())
        },
    );
    assert!(
        line.contains("soft=4096") && line.contains("hard=4096") && line.contains("was=1024"),
        "{line}"
    );
    daemon.stop_cleanly();
}
