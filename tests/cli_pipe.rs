//! End to end: every sub-command that prints to stdout, run with its stdout a pipe whose reader
//! has already gone (`driftvakt probe … | head` once `head` has quit), stops quietly: no panic
//! message and never exit status 101. And durations too large to mean anything are a clear error
//! naming the argument, not a panic.

mod support;

use std::io::Read;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use support::sim::{Sim, free_ports};
use support::{Daemon, assert_config_valid, daemon_bin, repo_root, wait_for, wait_until};

/// What a shell reports for a program stopped by a closed pipe (128 + SIGPIPE).
const BROKEN_PIPE: i32 = 141;

/// A stdout for a child whose reader is gone: the read end is closed before the child starts.
fn closed_stdout() -> Stdio {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    Stdio::from(writer)
}

/// Runs `driftvakt ARGS` with stdout a closed pipe.
fn run_closed(args: &[&str]) -> Output {
    Command::new(daemon_bin())
        .args(args)
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null())
        .stdout(closed_stdout())
        .stderr(Stdio::piped())
        .output()
        .unwrap_or_else(|e| panic!("cannot run driftvakt {args:?}: {e}"))
}

/// `None` if `driftvakt ARGS` stopped as one of `allowed` without a panic, else why not.
fn judge(args: &[&str], out: &Output, allowed: &[i32]) -> Option<String> {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let code = out.status.code();
    let quiet = !stderr.contains("panicked") && !stderr.to_lowercase().contains("broken pipe");
    (!(quiet && code.is_some_and(|c| allowed.contains(&c)))).then(|| {
        format!(
            "driftvakt {args:?}: {}, expected exit status {allowed:?}, stderr:\n{stderr}",
            out.status
        )
    })
}

#[test]
fn every_command_that_prints_stops_quietly_when_stdout_is_a_closed_pipe() {
    let dir = tempfile::tempdir().expect("tempdir");
    let token = dir.path().join("token");
    std::fs::write(&token, "pipe-test-token").expect("write token");
    // The blackout at ×20: mains are lost 1 s in, so alarms exist to list, acknowledge and shelve.
    let sim = Sim::scenario("blackout").speed(20.0).start();
    let api = support::free_port();
    let config = sim
        .config("")
        .replace(
            "listen = \"127.0.0.1:8750\"",
            &format!("listen = \"127.0.0.1:{api}\""),
        )
        .replace(
            "token = { env = \"DRIFTVAKT_API_TOKEN\" }",
            &format!("token = {{ file = \"{}\" }}", token.display()),
        );
    let config_path = dir.path().join("hospital.toml");
    std::fs::write(&config_path, config).expect("write config");
    assert_config_valid(&config_path);
    let daemon = Daemon::run(&config_path);
    let data = daemon.data_dir();
    let (data, cfg) = (
        data.to_str().expect("utf-8 path"),
        config_path.to_str().expect("utf-8 path"),
    );
    let api_url = format!("http://127.0.0.1:{api}");
    let token = token.to_str().expect("utf-8 path");
    let api_args = ["--api", api_url.as_str(), "--token-file", token];

    // An active alarm, once the daemon has seen the blackout.
    let alarm = wait_for(
        "an active alarm in the running daemon",
        Duration::from_secs(30),
        || {
            daemon.assert_running();
            let out = Command::new(daemon_bin())
                .args(["alarms", "--json"])
                .args(api_args)
                .output()
                .map_err(|e| e.to_string())?;
            let list: serde_json::Value = serde_json::from_slice(&out.stdout)
                .map_err(|e| format!("{e}: {}", String::from_utf8_lossy(&out.stderr)))?;
            list.as_array()
                .and_then(|a| a.iter().find(|r| r["state"] == "active_unacked"))
                .and_then(|r| r["id"].as_str().map(str::to_string))
                .ok_or_else(|| format!("no unacknowledged active alarm yet: {list}"))
        },
    );
    wait_until("readings in the store", Duration::from_secs(30), || {
        daemon
            .export("ats.mains_available")
            .is_ok_and(|r| !r.is_empty())
    });

    let stallverk = sim.port("stallverk").to_string();
    let bacnet = format!("127.0.0.1:{}", sim.bacnet_port());
    let ff_data = dir.path().join("ff");
    let ff_data = ff_data.to_str().expect("utf-8 path");
    let example = repo_root().join("config/examples/reference-hospital.toml");
    let example = example.to_str().expect("utf-8 path");
    let with_api = |cmd: &[&str]| -> Vec<String> {
        cmd.iter()
            .chain(api_args.iter())
            .map(|s| s.to_string())
            .collect()
    };
    let owned = |cmd: &[&str]| -> Vec<String> { cmd.iter().map(|s| s.to_string()).collect() };
    // Every sub-command of daemon/src/cli.rs that writes to stdout (`run` logs to stderr only;
    // `sim` has its own test below), with the exit statuses allowed: clap's own help and version
    // output ignore a closed pipe and exit 0, everything else stops with 141.
    let commands: Vec<(Vec<String>, &[i32])> = vec![
        (owned(&["--help"]), &[0, BROKEN_PIPE]),
        (owned(&["--version"]), &[0, BROKEN_PIPE]),
        (owned(&["bench", "--help"]), &[0, BROKEN_PIPE]),
        (owned(&["check", cfg]), &[BROKEN_PIPE]),
        (
            owned(&[
                "probe",
                "--host",
                "127.0.0.1",
                "--port",
                &stallverk,
                "--unit",
                "1",
                "--address",
                "1024",
                "--count",
                "2",
            ]),
            &[BROKEN_PIPE],
        ),
        (owned(&["export", "--data", data, "--list"]), &[BROKEN_PIPE]),
        (
            owned(&["export", "--data", data, "--point", "ats.mains_available"]),
            &[BROKEN_PIPE],
        ),
        (
            owned(&[
                "export",
                "--data",
                data,
                "--point",
                "ats.mains_available",
                "--format",
                "json",
                "--rollup",
            ]),
            &[BROKEN_PIPE],
        ),
        (
            owned(&[
                "discover",
                "--bacnet",
                "--target",
                &bacnet,
                "--bind",
                "127.0.0.1:0",
                "--wait-ms",
                "500",
            ]),
            &[BROKEN_PIPE],
        ),
        (with_api(&["alarms"]), &[BROKEN_PIPE]),
        (with_api(&["alarms", "--json"]), &[BROKEN_PIPE]),
        (with_api(&["journal"]), &[BROKEN_PIPE]),
        (with_api(&["journal", "--json"]), &[BROKEN_PIPE]),
        (with_api(&["status"]), &[BROKEN_PIPE]),
        (with_api(&["status", "--json"]), &[BROKEN_PIPE]),
        (with_api(&["ack", &alarm, "--by", "Eva"]), &[BROKEN_PIPE]),
        (
            with_api(&[
                "shelve", &alarm, "--for", "1h", "--reason", "test", "--by", "Eva",
            ]),
            &[BROKEN_PIPE],
        ),
        (
            with_api(&["unshelve", &alarm, "--by", "Eva"]),
            &[BROKEN_PIPE],
        ),
        (
            owned(&[
                "report",
                "endurance",
                "--config",
                cfg,
                "--data",
                data,
                "--from",
                "-10m",
            ]),
            &[BROKEN_PIPE],
        ),
        (
            owned(&[
                "report",
                "endurance",
                "--config",
                cfg,
                "--data",
                data,
                "--from",
                "-10m",
                "--format",
                "json",
            ]),
            &[BROKEN_PIPE],
        ),
        (
            owned(&[
                "fastforward",
                "--config",
                example,
                "--data",
                ff_data,
                "--duration",
                "10m",
            ]),
            &[BROKEN_PIPE],
        ),
        (owned(&["bench", "--only", "endurance"]), &[BROKEN_PIPE]),
        (
            owned(&["demo", "--scenario", "normal", "--for", "3s"]),
            &[BROKEN_PIPE],
        ),
    ];
    let mut failures = Vec::new();
    for (args, allowed) in &commands {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run_closed(&args);
        failures.extend(judge(&args, &out, allowed));
    }
    assert!(
        failures.is_empty(),
        "{} of {} commands did not stop quietly:\n{}",
        failures.len(),
        commands.len(),
        failures.join("\n")
    );
    daemon.stop_cleanly();
}

#[test]
fn the_simulator_keeps_serving_with_a_closed_stdout_and_stops_cleanly() {
    let (port, bacnet) = free_ports();
    let mut child = Command::new(daemon_bin())
        .args([
            "sim",
            "--port",
            &port.to_string(),
            "--bacnet-port",
            &bacnet.to_string(),
        ])
        .stdin(Stdio::null())
        .stdout(closed_stdout())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start driftvakt sim");
    wait_until("the simulator to listen", Duration::from_secs(20), || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill -TERM");
    let status = wait_for(
        "the simulator to exit after SIGTERM",
        Duration::from_secs(5),
        || {
            child
                .try_wait()
                .map_err(|e| e.to_string())?
                .ok_or_else(|| "still running".to_string())
        },
    );
    let mut stderr = Vec::new();
    child
        .stderr
        .take()
        .expect("piped stderr")
        .read_to_end(&mut stderr)
        .expect("read stderr");
    let out = Output {
        status,
        stdout: Vec::new(),
        stderr,
    };
    if let Some(why) = judge(&["sim"], &out, &[0]) {
        panic!("{why}");
    }
}

#[test]
fn durations_too_large_to_mean_anything_are_an_error_naming_the_argument() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().to_str().expect("utf-8 path");
    let example = repo_root().join("config/examples/reference-hospital.toml");
    let example = example.to_str().expect("utf-8 path");
    let huge = "99999999999999999999999d";
    let back = format!("-{huge}");
    let cases: [(&[&str], &str); 7] = [
        (
            &["export", "--data", data, "--point", "p", "--from", &back],
            "--from",
        ),
        (
            &["export", "--data", data, "--point", "p", "--to", &back],
            "--to",
        ),
        (
            &[
                "fastforward",
                "--config",
                example,
                "--data",
                data,
                "--duration",
                huge,
            ],
            "--duration",
        ),
        (
            &[
                "fastforward",
                "--config",
                example,
                "--data",
                data,
                "--blackout-at",
                "36526d",
            ],
            "--blackout-at",
        ),
        (
            &[
                "shelve",
                "g1.alarm",
                "--for",
                huge,
                "--reason",
                "r",
                "--api",
                "http://127.0.0.1:9",
            ],
            "--for",
        ),
        (
            &["journal", "--from", &back, "--api", "http://127.0.0.1:9"],
            "--from",
        ),
        (&["demo", "--for", huge], "--for"),
    ];
    for (args, name) in cases {
        let out = Command::new(daemon_bin())
            .args(args)
            .env("RUST_BACKTRACE", "0")
            .stdin(Stdio::null())
            .output()
            .expect("run driftvakt");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(1),
            "driftvakt {args:?}: {}\n{stderr}",
            out.status
        );
        assert!(
            stderr.contains(&format!("error: {name}: "))
                && stderr.contains("too long")
                && !stderr.contains("panicked"),
            "driftvakt {args:?} must name {name} and say the duration is too long:\n{stderr}"
        );
    }
}
