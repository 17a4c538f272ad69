//! Headless Chromium driven through the Chrome DevTools Protocol (CDP) over its WebSocket, for
//! the browser tests of the operator's pages: a small blocking API.
//!
//! ```ignore
//! let browser = Browser::launch();
//! let mut page = browser.page(390, 844, 2.0);              // a phone: mobile, touch, 2 device px/px
//! page.goto(&format!("{origin}/"));                         // waits for the load event
//! page.wait_for("document.querySelector('.alarm') !== null", Duration::from_secs(3));
//! assert_eq!(page.horizontal_overflow(), Vec::<String>::new());
//! assert_eq!(page.requests_outside(&origin), Vec::<String>::new());
//! page.screenshot(&dir.join("overview-390.png"));
//! ```
//!
//! Each [`Browser`] is its own Chromium (`--headless --remote-debugging-port=0`, a fresh profile in
//! a temp dir, its own process group killed on drop); the port is read from its
//! `DevTools listening on ws://…` stderr line. It is cut off from everything but loopback: every
//! non-loopback request goes to a proxy on a closed local port and fails at once (it is still in
//! the request log), so pages are tested as on the hospital's isolated network. Each [`Page`] is a
//! target with its own WebSocket; its events (requests, load events, JavaScript errors) are
//! collected whenever the page is used. Failures panic with what Chromium said; the `try_*`
//! methods return the message instead.

mod cdp;
mod page;

use std::collections::VecDeque;
use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use serde_json::{Value, json};
use tempfile::TempDir;

use super::chromium;
use cdp::Cdp;
#[allow(unused_imports)] // every test binary uses its own subset
pub use page::{Cookie, Page, png_size};

/// How long Chromium may take from spawn to its `DevTools listening` line.
pub const START_TIMEOUT: Duration = Duration::from_secs(20);
/// How long one CDP command may take to be answered.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(15);
/// How long [`Page::goto`] waits for the load event.
pub const LOAD_TIMEOUT: Duration = Duration::from_secs(15);
/// How often [`Page::wait_for`] evaluates its condition (events are read in between).
pub const POLL_INTERVAL: Duration = Duration::from_millis(25);
/// Widths below this are emulated as a phone (mobile viewport, touch).
pub const MOBILE_BELOW_WIDTH: u32 = 768;
/// Lines of Chromium's stderr kept for failure messages.
const STDERR_LINES: usize = 40;

/// A headless Chromium with its own profile; killed (with every process it started) on drop.
pub struct Browser {
    /// The browser process, leader of its own process group.
    child: Child,
    /// The browser target's connection (creates and closes pages).
    cdp: Mutex<Cdp>,
    /// The DevTools port Chromium chose.
    port: u16,
    /// The last lines of Chromium's stderr.
    stderr: Arc<Mutex<VecDeque<String>>>,
    /// The profile directory (`--user-data-dir`), removed after the processes are gone.
    _profile: TempDir,
}

impl Browser {
    /// Starts headless Chromium and connects to it; panics with its stderr if it cannot.
    pub fn launch() -> Browser {
        let bin = chromium::binary();
        let profile = tempfile::Builder::new()
            .prefix("driftvakt-chromium-")
            .tempdir()
            .expect("temp dir");
        let mut child = Command::new(&bin)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-quic",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-default-apps",
                "--disable-extensions",
                "--disable-sync",
                "--hide-scrollbars",
                "--mute-audio",
                "--remote-debugging-port=0",
                // Cut off from everything but loopback (bypassed by default): the closed port
                // refuses at once, and the request is still in the page's network log.
                "--proxy-server=http://127.0.0.1:9",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start {bin}: {e} (tests/run.sh installs the `chromium` package)")
            });
        let stderr = Arc::new(Mutex::new(VecDeque::new()));
        let (tx, rx) = mpsc::channel::<String>();
        let pipe = child.stderr.take().expect("stderr is piped");
        let keep = Arc::clone(&stderr);
        thread::spawn(move || {
            // Drains stderr for the browser's whole life, so Chromium never blocks on it.
            for line in BufReader::new(pipe).lines() {
                let Ok(line) = line else { break };
                if let Some(url) = line.strip_prefix("DevTools listening on ") {
                    let _ = tx.send(url.trim().to_string());
                }
                if line.contains("dbus") {
                    continue; // no system bus in containers: noise
                }
                let mut lines = keep.lock().unwrap_or_else(|p| p.into_inner());
                if lines.len() == STDERR_LINES {
                    lines.pop_front();
                }
                lines.push_back(line);
            }
        });
        let url = match rx.recv_timeout(START_TIMEOUT) {
            Ok(url) => url,
            Err(e) => {
                kill_group(&mut child);
                let lines = stderr.lock().unwrap_or_else(|p| p.into_inner());
                panic!(
                    "headless Chromium gave no DevTools address ({e}); stderr:\n{}",
                    Vec::from(lines.clone()).join("\n")
                );
            }
        };
        let port = url
            .strip_prefix("ws://127.0.0.1:")
            .and_then(|rest| rest.split('/').next())
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("unexpected DevTools address {url}"));
        let cdp = Cdp::connect(&url).unwrap_or_else(|e| panic!("{e}"));
        Browser {
            child,
            cdp: Mutex::new(cdp),
            port,
            stderr,
            _profile: profile,
        }
    }

    /// Opens a new page (tab) with a `width` × `height` CSS-pixel viewport at `device_scale`
    /// device pixels per CSS pixel; below [`MOBILE_BELOW_WIDTH`] it is a phone (mobile viewport:
    /// `<meta name="viewport">` is honoured, touch). Network, page and runtime events are on.
    pub fn page(&self, width: u32, height: u32, device_scale: f64) -> Page<'_> {
        let target = self
            .call("Target.createTarget", json!({ "url": "about:blank" }))
            .and_then(|r| {
                r["targetId"]
                    .as_str()
                    .map(str::to_string)
                    .ok_or_else(|| format!("no targetId in {r}"))
            })
            .unwrap_or_else(|e| self.fail(&e));
        let url = format!("ws://127.0.0.1:{}/devtools/page/{target}", self.port);
        let cdp = Cdp::connect(&url).unwrap_or_else(|e| self.fail(&e));
        Page::open(self, cdp, target, width, height, device_scale)
    }

    /// Process id of the browser (leader of the process group of all its processes).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The last lines of Chromium's stderr (without the D-Bus noise).
    pub fn stderr_tail(&self) -> String {
        let lines = self.stderr.lock().unwrap_or_else(|p| p.into_inner());
        Vec::from(lines.clone()).join("\n")
    }

    /// A command on the browser target.
    fn call(&self, method: &str, params: Value) -> Result<Value, String> {
        self.cdp
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .call(method, params)
    }

    /// Panics with `what` and Chromium's stderr.
    fn fail(&self, what: &str) -> ! {
        panic!("{what}\nChromium's stderr:\n{}", self.stderr_tail())
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        kill_group(&mut self.child);
    }
}

/// SIGKILLs the process group led by `child` (Chromium's helpers with it) and reaps the leader.
fn kill_group(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{}", child.id())])
        .stderr(Stdio::null())
        .status();
    let _ = child.kill();
    let _ = child.wait();
}
