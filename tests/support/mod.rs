//! Helpers for driftvakt's end-to-end tests: real peers (Python scripts in `tests/peers/`), the
//! daemon binary, and polling with a deadline. Used from test files in `tests/` as `mod support;`.
//!
//! Peers are started by the tests themselves; `tests/run.sh` only installs them (a venv with
//! pinned packages) and exports `DRIFTVAKT_TEST_PYTHON`. A missing peer is a failure, never a skip.
#![allow(dead_code)] // every test binary uses its own subset

pub mod bacnet;
pub mod browser;
pub mod chromium;
pub mod disk;
pub mod alarm;
pub mod gencomm;
pub mod http_tap;
pub mod modgraph;
pub mod sim;
pub mod site;
pub mod telemetry;
pub mod tsdb;

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::Mutex;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use driftvakt_domain::clock::{Clock, SystemClock};
use serde::Deserialize;
use tempfile::TempDir;

/// How long a peer may take from spawn to `LISTENING <port>`.
pub const PEER_START_TIMEOUT: Duration = Duration::from_secs(20);
/// How long the daemon may take to exit after SIGTERM (the CLI contract).
pub const DAEMON_STOP_TIMEOUT: Duration = Duration::from_secs(5);

/// The repository root (the workspace directory).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the daemon crate lives inside the workspace")
        .to_path_buf()
}

/// `tests/peers/` of the repository.
pub fn peers_dir() -> PathBuf {
    repo_root().join("tests").join("peers")
}

/// Now as UTC milliseconds since the Unix epoch (the unit of `time_ms` in exports): the domain's
/// system clock, the one the daemon reads.
pub fn now_ms() -> i64 {
    SystemClock.now_ms()
}

/// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, read it, release it).
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener
        .local_addr()
        .expect("local address of a bound socket")
        .port()
}

/// A UDP port on 127.0.0.1 that was free a moment ago.
pub fn free_udp_port() -> u16 {
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind udp 127.0.0.1:0");
    socket.local_addr().expect("local address of a bound socket").port()
}

/// Polls `cond` every 10 ms until it returns true; panics naming `what` after `timeout`.
pub fn wait_until(what: &str, timeout: Duration, mut cond: impl FnMut() -> bool) {
    wait_for(what, timeout, || {
        if cond() {
            Ok(())
        } else {
            Err("condition false".into())
        }
    })
}

/// Polls `f` every 10 ms until it returns `Ok`; `Err(reason)` means "not yet", and the last
/// reason is part of the panic message naming `what` after `timeout`.
pub fn wait_for<T>(what: &str, timeout: Duration, mut f: impl FnMut() -> Result<T, String>) -> T {
    let start = Instant::now();
    loop {
        match f() {
            Ok(v) => return v,
            Err(reason) => {
                if start.elapsed() >= timeout {
                    panic!(
                        "timed out after {timeout:?} waiting for {what}; last observation: {reason}"
                    );
                }
            }
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// Last `max` characters of a text file (for failure messages); a note if unreadable.
pub fn tail(path: &Path, max: usize) -> String {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let start = text.len().saturating_sub(max);
            let start = (start..text.len())
                .find(|i| text.is_char_boundary(*i))
                .unwrap_or(text.len());
            text[start..].to_string()
        }
        Err(e) => format!("(cannot read {}: {e})", path.display()),
    }
}

/// The Python interpreter with the peers installed: `$DRIFTVAKT_TEST_PYTHON`, else `python3`.
pub fn python() -> String {
    std::env::var("DRIFTVAKT_TEST_PYTHON").unwrap_or_else(|_| "python3".to_string())
}

/// A running Python peer script that printed `LISTENING <port>`; killed on drop.
pub struct PyPeer {
    /// The peer process (`None` once stopped).
    child: Option<Child>,
    /// The port it listens on.
    pub port: u16,
    /// When it printed `LISTENING`, UTC ms.
    pub listening_at_ms: i64,
    /// Script name, for messages.
    script: String,
    /// Holds the peer's stderr log.
    dir: TempDir,
}

impl PyPeer {
    /// Starts `tests/peers/<script>` (or an absolute path) with `args` and waits for its
    /// `LISTENING <port>` line. Panics, pointing at `tests/run.sh`, if the peer cannot start.
    pub fn start(script: &str, args: &[&str]) -> PyPeer {
        let path = if Path::new(script).is_absolute() {
            PathBuf::from(script)
        } else {
            peers_dir().join(script)
        };
        let dir = tempfile::Builder::new()
            .prefix("driftvakt-peer-")
            .tempdir()
            .expect("temp dir");
        let stderr_path = dir.path().join("stderr.log");
        let stderr = File::create(&stderr_path).expect("create peer stderr log");
        let python = python();
        let mut child = Command::new(&python)
            .arg("-u")
            .arg(&path)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start peer {} with `{python}`: {e}; run tests/run.sh (it installs the \
                     test peers and sets DRIFTVAKT_TEST_PYTHON)",
                    path.display()
                )
            });
        let stdout = child.stdout.take().expect("stdout is piped");
        let (tx, rx) = mpsc::channel::<String>();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    // Nobody listens any more; keep draining so the peer never blocks on stdout.
                    continue;
                }
            }
        });
        let deadline = Instant::now() + PEER_START_TIMEOUT;
        let mut seen = Vec::new();
        let port = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    if let Some(p) = line.strip_prefix("LISTENING ") {
                        match p.trim().parse::<u16>() {
                            Ok(port) => break port,
                            Err(e) => seen.push(format!("{line} (bad port: {e})")),
                        }
                    } else {
                        seen.push(line);
                    }
                }
                Err(err) => {
                    let _ = child.kill();
                    let status = child.wait().map(|s| s.to_string()).unwrap_or_default();
                    let why = match err {
                        mpsc::RecvTimeoutError::Timeout => {
                            format!("no LISTENING line within {PEER_START_TIMEOUT:?}")
                        }
                        mpsc::RecvTimeoutError::Disconnected => format!("it exited ({status})"),
                    };
                    panic!(
                        "peer {} (python `{python}`) did not start: {why}.\nstdout: {:?}\nstderr:\n{}\n\
                         Run tests/run.sh: it installs the test peers (pinned, in tests/.venv) and \
                         sets DRIFTVAKT_TEST_PYTHON.",
                        path.display(),
                        seen,
                        tail(&stderr_path, 4000)
                    );
                }
            }
        };
        PyPeer {
            child: Some(child),
            port,
            listening_at_ms: now_ms(),
            script: script.to_string(),
            dir,
        }
    }

    /// Kills the peer (SIGKILL, like a power cut) and waits for it. Idempotent.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        match self.child.as_mut() {
            Some(child) => matches!(child.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// Tail of the peer's stderr (for failure messages).
    pub fn stderr_tail(&self) -> String {
        tail(&self.dir.path().join("stderr.log"), 4000)
    }
}

impl Drop for PyPeer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// One row of `driftvakt export --format json`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct ExportRow {
    /// RFC 3339 UTC time.
    pub time: String,
    /// The same time in UTC milliseconds.
    pub time_ms: i64,
    /// Number, bool, string or null.
    pub value: serde_json::Value,
    /// good | stale | comm_fail | device_fault | not_available | out_of_range.
    pub quality: String,
}

/// Path of the driftvakt binary under test.
pub fn daemon_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_driftvakt"))
}

/// Runs `driftvakt check FILE...` and returns its output.
pub fn check_config(files: &[&Path]) -> Output {
    Command::new(daemon_bin())
        .arg("check")
        .args(files)
        .stdin(Stdio::null())
        .output()
        .expect("run driftvakt check")
}

/// Asserts `driftvakt check FILE` accepts the file, showing the file and the output if not.
pub fn assert_config_valid(file: &Path) {
    let out = check_config(&[file]);
    assert!(
        out.status.success(),
        "driftvakt check rejected {} ({}):\nstdout:\n{}\nstderr:\n{}\nconfig:\n{}",
        file.display(),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        std::fs::read_to_string(file).unwrap_or_default()
    );
}

/// A running `driftvakt run --config FILE --data DIR` — the one daemon runner of the tests.
/// Its data directory is a fresh temp dir unless the test gives one ([`DaemonOptions::data`]);
/// stdout and stderr go to a log file; SIGTERM on drop.
pub struct Daemon {
    /// The `run` process (`None` once stopped).
    child: Mutex<Option<Child>>,
    /// Temp dir holding `daemon.log` (and `data/` unless the test gave a data directory).
    dir: TempDir,
    /// The directory passed with `--data`.
    data: PathBuf,
    /// Config file it runs.
    config: PathBuf,
}

/// How to start a [`Daemon`]: `Daemon::with().data(&dir).run(&config)`.
#[derive(Debug, Clone, Default)]
pub struct DaemonOptions {
    /// A data directory the test owns (a restart on the same data, a small file system).
    data: Option<PathBuf>,
    /// Soft and optional hard open-files limit (RLIMIT_NOFILE) the daemon starts with.
    open_files: Option<(u64, Option<u64>)>,
}

impl DaemonOptions {
    /// Run on `dir` (created if missing) instead of a fresh temp dir: it outlives the daemon, so
    /// another can start on the same data.
    pub fn data(mut self, dir: &Path) -> DaemonOptions {
        self.data = Some(dir.to_path_buf());
        self
    }

    /// Start with a soft open-files limit of `soft` and, if given, a hard limit of `hard` (else
    /// the test's own). Set by `sh -c ulimit` before `exec`, as a service manager would (the
    /// workspace forbids the unsafe `pre_exec`).
    pub fn open_files_limit(mut self, soft: u64, hard: Option<u64>) -> DaemonOptions {
        self.open_files = Some((soft, hard));
        self
    }

    /// Start `driftvakt run --config CONFIG --data DIR`.
    pub fn run(self, config: &Path) -> Daemon {
        let dir = tempfile::Builder::new()
            .prefix("driftvakt-daemon-")
            .tempdir()
            .expect("temp dir");
        let data = self.data.unwrap_or_else(|| dir.path().join("data"));
        std::fs::create_dir_all(&data).expect("create data dir");
        // The binary, or a shell that sets the limits and execs it (the process id stays the
        // daemon's).
        let mut cmd = match self.open_files {
            None => Command::new(daemon_bin()),
            Some((soft, hard)) => {
                // Soft first: a hard limit below the current soft one is refused.
                let hard = hard.map_or_else(String::new, |h| format!(" && ulimit -H -n {h}"));
                let mut sh = Command::new("sh");
                sh.arg("-c")
                    .arg(format!("ulimit -S -n {soft}{hard} && exec \"$0\" \"$@\""))
                    .arg(daemon_bin());
                sh
            }
        };
        let log = File::create(dir.path().join("daemon.log")).expect("create daemon log");
        let log2 = log.try_clone().expect("clone log handle");
        let child = cmd
            .args(["run", "--config"])
            .arg(config)
            .arg("--data")
            .arg(&data)
            .env(
                "RUST_LOG",
                std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()),
            )
            // The operator commands' settings of whoever runs the tests stay out.
            .env_remove("DRIFTVAKT_API")
            .env_remove("DRIFTVAKT_API_TOKEN")
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log2)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", daemon_bin().display()));
        Daemon {
            child: Mutex::new(Some(child)),
            dir,
            data,
            config: config.to_path_buf(),
        }
    }
}

impl Daemon {
    /// Starts `driftvakt run` on `config` with a fresh data dir.
    pub fn run(config: &Path) -> Daemon {
        DaemonOptions::default().run(config)
    }

    /// Options for a daemon: `Daemon::with().data(&dir).run(&config)`.
    pub fn with() -> DaemonOptions {
        DaemonOptions::default()
    }

    /// The data directory passed with `--data`.
    pub fn data_dir(&self) -> PathBuf {
        self.data.clone()
    }

    /// Process id of the running daemon (`None` once stopped).
    pub fn pid(&self) -> Option<u32> {
        let guard = self.child.lock().unwrap_or_else(|p| p.into_inner());
        guard.as_ref().map(Child::id)
    }

    /// The daemon's log so far (stdout and stderr).
    pub fn log(&self) -> String {
        tail(&self.dir.path().join("daemon.log"), 20_000)
    }

    /// Panics with the log if `run` has exited (fail fast instead of waiting for a deadline).
    pub fn assert_running(&self) {
        let mut guard = self.child.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(child) = guard.as_mut()
            && let Ok(Some(status)) = child.try_wait()
        {
            guard.take();
            drop(guard);
            panic!(
                "driftvakt run --config {} exited early ({status}); log:\n{}",
                self.config.display(),
                self.log()
            );
        }
    }

    /// All stored readings of `point` (full id `device.point`) via `driftvakt export`.
    pub fn export(&self, point: &str) -> Result<Vec<ExportRow>, String> {
        self.export_range(point, None, None)
    }

    /// Readings of `point` between optional RFC 3339 bounds via `driftvakt export`.
    pub fn export_range(
        &self,
        point: &str,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<Vec<ExportRow>, String> {
        let mut cmd = Command::new(daemon_bin());
        cmd.arg("export")
            .arg("--data")
            .arg(self.data_dir())
            .args(["--point", point]);
        if let Some(from) = from {
            cmd.args(["--from", from]);
        }
        if let Some(to) = to {
            cmd.args(["--to", to]);
        }
        cmd.args(["--format", "json"]).stdin(Stdio::null());
        let out = cmd
            .output()
            .map_err(|e| format!("cannot run driftvakt export: {e}"))?;
        if !out.status.success() {
            self.assert_running();
            return Err(format!(
                "driftvakt export --point {point} failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        serde_json::from_slice(&out.stdout).map_err(|e| {
            self.assert_running();
            format!(
                "driftvakt export --point {point} printed no JSON array of readings ({e}): {}",
                String::from_utf8_lossy(&out.stdout)
            )
        })
    }

    /// Like [`Daemon::export`] but panics on failure.
    pub fn export_ok(&self, point: &str) -> Vec<ExportRow> {
        self.export(point)
            .unwrap_or_else(|e| panic!("{e}\ndaemon log:\n{}", self.log()))
    }

    /// Sends SIGTERM and waits up to [`DAEMON_STOP_TIMEOUT`]; returns the exit status and how long
    /// it took. Panics (after SIGKILL) if it does not exit in time or was already stopped.
    pub fn terminate(&self) -> (ExitStatus, Duration) {
        let mut guard = self.child.lock().unwrap_or_else(|p| p.into_inner());
        let mut child = guard.take().expect("daemon already stopped");
        drop(guard);
        let start = Instant::now();
        sigterm(child.id());
        loop {
            match child.try_wait() {
                Ok(Some(status)) => return (status, start.elapsed()),
                Ok(None) if start.elapsed() < DAEMON_STOP_TIMEOUT => {
                    thread::sleep(Duration::from_millis(10))
                }
                _ => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!(
                        "driftvakt run did not exit within {DAEMON_STOP_TIMEOUT:?} of SIGTERM; log:\n{}",
                        self.log()
                    );
                }
            }
        }
    }

    /// SIGTERM, then asserts exit status 0 within [`DAEMON_STOP_TIMEOUT`].
    pub fn stop_cleanly(&self) {
        let (status, took) = self.terminate();
        assert!(
            status.success(),
            "driftvakt run exited with {status} after SIGTERM (took {took:?}); log:\n{}",
            self.log()
        );
    }

    /// SIGKILL, like a power cut of the server; waits until it is gone.
    pub fn kill9(&self) {
        let mut guard = self.child.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(mut child) = guard.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let mut guard = self.child.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(mut child) = guard.take() {
            sigterm(child.id());
            let start = Instant::now();
            while start.elapsed() < DAEMON_STOP_TIMEOUT {
                if !matches!(child.try_wait(), Ok(None)) {
                    return;
                }
                thread::sleep(Duration::from_millis(10));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Sends SIGTERM to `pid` (via kill(1): the workspace forbids unsafe code).
fn sigterm(pid: u32) {
    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
}

/// Formats UTC milliseconds as RFC 3339 (`2025-01-02T03:04:05.678Z`) for `--from`/`--to`.
pub fn rfc3339_ms(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let milli = ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{milli:03}Z",
        sod / 3600,
        sod % 3600 / 60,
        sod % 60
    )
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_formats_known_instants() {
        assert_eq!(rfc3339_ms(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339_ms(951_782_400_123), "2000-02-29T00:00:00.123Z");
        assert_eq!(rfc3339_ms(1_735_689_599_999), "2024-12-31T23:59:59.999Z");
    }
}
