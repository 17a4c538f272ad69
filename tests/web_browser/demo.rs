//! `driftvakt demo` as the browser tests run it: the real binary on free ports with a data
//! directory the test owns, the page address, the simulator's gateways and the two sign-ins
//! (operator, coordinator; random passwords) parsed from its header; and the simulator's own
//! truth about mains, read over Modbus beside the daemon.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use driftvakt_config::model::{Language, Role};
use driftvakt_domain::text::auth::Auth;
use driftvakt_domain::text::fill;
use driftvakt_domain::text::screen::Screen;

use crate::support::{daemon_bin, now_ms};

/// How long the demo may take to print its header (simulator and daemon started).
const HEADER_TIMEOUT: Duration = Duration::from_secs(30);
/// How long the demo may take to stop after SIGTERM before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// A running `driftvakt demo`; stopped on drop (SIGTERM, then SIGKILL).
pub struct Demo {
    /// The demo process.
    child: Child,
    /// The operator screen's origin, `http://127.0.0.1:PORT` (no trailing slash).
    pub origin: String,
    /// The simulated `stallverk` gateway (generators, ATS, tanks).
    pub stallverk: SocketAddr,
    /// The web sign-ins the demo made: (role, name, password).
    logins: Vec<(Role, String, String)>,
    /// Everything the demo printed so far.
    out: Arc<Mutex<Vec<String>>>,
}

impl Demo {
    /// Starts `driftvakt demo ARGS --data DATA` (Swedish) and waits for its header.
    pub fn start(args: &[&str], data: &Path) -> Demo {
        let mut child = Command::new(daemon_bin())
            .arg("demo")
            .args(args)
            .arg("--data")
            .arg(data)
            // A safety net: the demo never outlives a test that forgot it.
            .args(["--for", "600s"])
            .env("RUST_LOG", "warn")
            .env_remove("DRIFTVAKT_API_TOKEN")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {} demo: {e}", daemon_bin().display()));
        let out = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel::<String>();
        let pipe = child.stdout.take().expect("stdout is piped");
        let keep = Arc::clone(&out);
        thread::spawn(move || {
            // Drains stdout for the demo's whole life (it prints a status every 2 s).
            for line in BufReader::new(pipe).lines() {
                let Ok(line) = line else { break };
                keep.lock().unwrap_or_else(|p| p.into_inner()).push(line.clone());
                let _ = tx.send(line);
            }
        });
        let t = Screen::of(Language::Sv);
        let web_prefix = t.demo_web.split("{url}").next().expect("a template").trim();
        let gateway_prefix = t.demo_gateway.split("{id}").next().expect("a template").trim();
        let (mut origin, mut stallverk, mut logins) = (None, None, Vec::new());
        let deadline = Instant::now() + HEADER_TIMEOUT;
        while origin.is_none() || stallverk.is_none() || logins.len() < ROLES.len() {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = match rx.recv_timeout(left) {
                Ok(line) => line,
                Err(e) => {
                    let _ = child.kill();
                    let status = child.wait().map(|s| s.to_string()).unwrap_or_default();
                    let printed = out.lock().unwrap_or_else(|p| p.into_inner()).join("\n");
                    panic!("the demo printed no page address, gateway and sign-ins within {HEADER_TIMEOUT:?} ({e}; {status}):\n{printed}");
                }
            };
            let line = line.trim();
            if let Some(rest) = line.strip_prefix(web_prefix) {
                let url = rest.split_whitespace().next().expect("the page's URL");
                origin = Some(url.trim_end_matches('/').to_string());
            } else if let Some(addr) = line
                .strip_prefix(gateway_prefix)
                .and_then(|r| r.trim().strip_prefix("stallverk:"))
            {
                stallverk = Some(addr.trim().parse().unwrap_or_else(|e| panic!("gateway address in `{line}`: {e}")));
            } else if let Some(login) = ROLES.into_iter().find_map(|role| login_of(line, role)) {
                logins.push(login);
            }
        }
        Demo { child, origin: origin.expect("origin"), stallverk: stallverk.expect("stallverk"), logins, out }
    }

    /// The demo's sign-in for `role`: (name, password).
    pub fn login(&self, role: Role) -> (&str, &str) {
        self.logins
            .iter()
            .find(|(r, _, _)| *r == role)
            .map(|(_, name, password)| (name.as_str(), password.as_str()))
            .unwrap_or_else(|| panic!("the demo printed no {role:?} sign-in"))
    }

    /// Kill the demo at once (SIGKILL): the daemon gone as in a power cut, its pages left open.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Everything the demo printed so far (for failure messages).
    pub fn printed(&self) -> String {
        self.out.lock().unwrap_or_else(|p| p.into_inner()).join("\n")
    }
}

/// The roles the demo makes a sign-in for.
const ROLES: [Role; 2] = [Role::Operator, Role::Coordinator];

/// `line` as the demo's sign-in line for `role` (`inloggning operatör: namn N, lösenord P`):
/// (role, name, password).
fn login_of(line: &str, role: Role) -> Option<(Role, String, String)> {
    let a = Auth::of(Language::Sv);
    let word = if role == Role::Operator { a.role_operator } else { a.role_coordinator };
    // Only {role} filled in: the line's literal parts around {name} and {password}.
    let template = fill(a.demo_login, &[("role", word)]);
    let (before, rest) = template.trim().split_once("{name}")?;
    let between = rest.split("{password}").next()?;
    let (name, password) = line.trim().strip_prefix(before)?.split_once(between)?;
    Some((role, name.to_string(), password.trim().to_string()))
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The moment mains failed, as the simulator itself tells it: its ATS's "mains available"
/// input read straight from the gateway every [`MainsWatch::EVERY`], beside the daemon.
pub struct MainsWatch {
    /// (last read with mains present, first read with mains gone), UTC ms.
    lost: Arc<Mutex<Option<(i64, i64)>>>,
    /// Stops the reader thread.
    stop: Arc<AtomicBool>,
}

impl MainsWatch {
    /// How often the input is read.
    pub const EVERY: Duration = Duration::from_millis(5);
    /// The ATS's Modbus unit behind `stallverk` (reference hospital, device `ats`).
    const ATS_UNIT: u8 = 3;
    /// `ats.mains_available`: discrete input 0 (1 = mains present).
    const MAINS_INPUT: u16 = 0;

    /// Starts reading `gateway`; panics if the first read fails or mains are already gone.
    pub fn start(gateway: SocketAddr) -> MainsWatch {
        let mut conn = TcpStream::connect(gateway).unwrap_or_else(|e| panic!("connect to the simulator at {gateway}: {e}"));
        conn.set_read_timeout(Some(Duration::from_secs(2))).expect("read timeout");
        conn.set_nodelay(true).expect("nodelay");
        let first = mains_present(&mut conn, 0).unwrap_or_else(|e| panic!("reading mains from the simulator: {e}"));
        assert!(first, "mains were already lost when the watch started");
        let lost = Arc::new(Mutex::new(None));
        let stop = Arc::new(AtomicBool::new(false));
        let (keep, halt) = (Arc::clone(&lost), Arc::clone(&stop));
        thread::spawn(move || {
            let mut last_present = now_ms();
            let mut tid: u16 = 1;
            while !halt.load(Ordering::Relaxed) {
                tid = tid.wrapping_add(1);
                match mains_present(&mut conn, tid) {
                    Ok(true) => last_present = now_ms(),
                    Ok(false) => {
                        *keep.lock().unwrap_or_else(|p| p.into_inner()) = Some((last_present, now_ms()));
                        return;
                    }
                    Err(e) => panic!("reading mains from the simulator: {e}"),
                }
                thread::sleep(MainsWatch::EVERY);
            }
        });
        MainsWatch { lost, stop }
    }

    /// When mains failed: (the last read that still had them, the first that did not), UTC ms;
    /// `None` while they are present.
    pub fn lost(&self) -> Option<(i64, i64)> {
        *self.lost.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for MainsWatch {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// One Modbus TCP "read discrete inputs" (function 2) of the ATS's mains input.
fn mains_present(conn: &mut TcpStream, tid: u16) -> Result<bool, String> {
    let [t0, t1] = tid.to_be_bytes();
    let [a0, a1] = MainsWatch::MAINS_INPUT.to_be_bytes();
    let request = [t0, t1, 0, 0, 0, 6, MainsWatch::ATS_UNIT, 2, a0, a1, 0, 1];
    conn.write_all(&request).map_err(|e| format!("send: {e}"))?;
    let mut head = [0u8; 8];
    conn.read_exact(&mut head).map_err(|e| format!("answer: {e}"))?;
    let len = usize::from(u16::from_be_bytes([head[4], head[5]]));
    let mut rest = vec![0u8; len.saturating_sub(2)];
    conn.read_exact(&mut rest).map_err(|e| format!("answer: {e}"))?;
    if head[..2] != [t0, t1] || head[7] != 2 || rest.len() < 2 {
        return Err(format!("unexpected answer {head:?} {rest:?}"));
    }
    Ok(rest[1] & 1 == 1)
}
