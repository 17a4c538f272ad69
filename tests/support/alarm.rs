//! Helpers for the alarm tests: a real Mosquitto broker, a real SMTP server (aiosmtpd), an MQTT
//! watcher, and the operator commands (`cli`, `journal`). The site they make up is
//! `super::site`.

use std::collections::HashMap;
use std::fs::File;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tempfile::TempDir;

use super::{PyPeer, daemon_bin, free_port, now_ms, tail, wait_until};

/// The Mosquitto binary: on PATH, or Debian's /usr/sbin.
fn mosquitto_bin() -> PathBuf {
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).map(|d| d.join("mosquitto")).find(|p| p.is_file()))
        .unwrap_or_default();
    on_path.or_else(|| Some(PathBuf::from("/usr/sbin/mosquitto")).filter(|p| p.is_file())).unwrap_or_else(|| {
        panic!("mosquitto is not installed; run tests/run.sh (it installs the apt package `mosquitto`)")
    })
}

/// A Mosquitto broker on 127.0.0.1 and a free port; killed on drop.
pub struct Mosquitto {
    child: Child,
    /// Its port.
    pub port: u16,
    dir: TempDir,
}

impl Mosquitto {
    /// Start a broker (anonymous, no persistence) and wait until it accepts connections.
    pub fn start() -> Mosquitto {
        let dir = tempfile::Builder::new().prefix("driftvakt-mosquitto-").tempdir().expect("temp dir");
        let port = free_port();
        let conf = dir.path().join("mosquitto.conf");
        std::fs::write(&conf, format!("listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n")).expect("write mosquitto.conf");
        let log = File::create(dir.path().join("mosquitto.log")).expect("mosquitto log");
        let child = Command::new(mosquitto_bin())
            .arg("-c")
            .arg(&conf)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("start mosquitto");
        let m = Mosquitto { child, port, dir };
        wait_until("mosquitto accepting connections", Duration::from_secs(10), || TcpStream::connect(("127.0.0.1", port)).is_ok());
        m
    }

    /// The broker's log (for failure messages).
    pub fn log(&self) -> String {
        tail(&self.dir.path().join("mosquitto.log"), 4000)
    }

    /// A broker that keeps retained messages, persistent sessions and their queued messages
    /// (without a limit) across [`Mosquitto::stop`] and [`Mosquitto::restart`].
    pub fn start_persistent() -> Mosquitto {
        let dir = tempfile::Builder::new().prefix("driftvakt-mosquitto-").tempdir().expect("temp dir");
        let port = free_port();
        let conf = dir.path().join("mosquitto.conf");
        let store = dir.path().join("store");
        std::fs::create_dir_all(&store).expect("mosquitto store dir");
        // Started as root, mosquitto drops to its own user: it must be able to write its state.
        use std::os::unix::fs::PermissionsExt;
        for d in [dir.path(), store.as_path()] {
            std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o777)).expect("chmod mosquitto dirs");
        }
        std::fs::write(
            &conf,
            format!(
                "listener {port} 127.0.0.1\nallow_anonymous true\npersistence true\npersistence_location {}/\n\
                 max_queued_messages 0\nmax_inflight_messages 100\n",
                store.display()
            ),
        )
        .expect("write mosquitto.conf");
        let child = Self::spawn(dir.path());
        let m = Mosquitto { child, port, dir };
        wait_until("mosquitto accepting connections", Duration::from_secs(10), || TcpStream::connect(("127.0.0.1", port)).is_ok());
        m
    }

    fn spawn(dir: &Path) -> Child {
        let log = std::fs::OpenOptions::new().create(true).append(true).open(dir.join("mosquitto.log")).expect("mosquitto log");
        Command::new(mosquitto_bin())
            .arg("-c")
            .arg(dir.join("mosquitto.conf"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("start mosquitto")
    }

    /// Stop the broker the way a service manager does (SIGTERM: it saves its state and closes
    /// every connection) and wait until it is gone.
    pub fn stop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        wait_until("mosquitto stopped", Duration::from_secs(10), || matches!(self.child.try_wait(), Ok(Some(_))));
    }

    /// Start it again on the same port and state.
    pub fn restart(&mut self) {
        self.child = Self::spawn(self.dir.path());
        let port = self.port;
        wait_until("mosquitto accepting connections again", Duration::from_secs(10), || TcpStream::connect(("127.0.0.1", port)).is_ok());
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One received MQTT message.
#[derive(Debug, Clone)]
pub struct MqttMsg {
    /// Topic.
    pub topic: String,
    /// Payload as text.
    pub payload: String,
    /// Whether the broker flagged it as a retained message (sent because of the subscription).
    pub retain: bool,
    /// When it arrived, UTC ms.
    pub at_ms: i64,
}

impl MqttMsg {
    /// Payload as JSON (`null` if it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.payload).unwrap_or(serde_json::Value::Null)
    }
}

/// A subscriber that records everything it receives on `filter`.
pub struct MqttWatch {
    msgs: Arc<Mutex<Vec<MqttMsg>>>,
    client: rumqttc::Client,
}

impl MqttWatch {
    /// Subscribe to `filter` on the broker at `port` (QoS 1).
    pub fn start(port: u16, filter: &str) -> MqttWatch {
        let id = format!("test-watch-{}-{}", std::process::id(), free_port());
        let mut opts = rumqttc::MqttOptions::new(id, "127.0.0.1", port);
        opts.set_keep_alive(Duration::from_secs(5));
        MqttWatch::subscribe(opts, filter, false)
    }

    /// A subscriber with a persistent session (fixed client id, clean session off, QoS 1):
    /// it reconnects after the broker went away and gets what was queued for it meanwhile.
    pub fn start_persistent(port: u16, filter: &str) -> MqttWatch {
        let id = format!("test-durable-{}-{}", std::process::id(), free_port());
        let mut opts = rumqttc::MqttOptions::new(id, "127.0.0.1", port);
        opts.set_keep_alive(Duration::from_secs(5));
        opts.set_clean_session(false);
        opts.set_max_packet_size(1 << 20, 1 << 20);
        MqttWatch::subscribe(opts, filter, true)
    }

    /// Subscribe with `opts` and collect every publish in a thread; with `reconnect` a lost
    /// broker is retried (pacing the attempts), otherwise the thread ends.
    fn subscribe(opts: rumqttc::MqttOptions, filter: &str, reconnect: bool) -> MqttWatch {
        let (client, mut connection) = rumqttc::Client::new(opts, 100);
        client.subscribe(filter, rumqttc::QoS::AtLeastOnce).expect("subscribe");
        let msgs = Arc::new(Mutex::new(Vec::new()));
        let sink = msgs.clone();
        std::thread::spawn(move || {
            for ev in connection.iter() {
                match ev {
                    Ok(rumqttc::Event::Incoming(rumqttc::Packet::Publish(p))) => {
                        let m = MqttMsg { topic: p.topic.clone(), payload: String::from_utf8_lossy(&p.payload).into_owned(), retain: p.retain, at_ms: now_ms() };
                        sink.lock().unwrap_or_else(|e| e.into_inner()).push(m);
                    }
                    Ok(_) => {}
                    Err(rumqttc::ConnectionError::RequestsDone) => break,
                    Err(_) if reconnect => std::thread::sleep(Duration::from_millis(200)),
                    Err(_) => break,
                }
            }
        });
        MqttWatch { msgs, client }
    }

    /// Everything received so far.
    pub fn all(&self) -> Vec<MqttMsg> {
        self.msgs.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The latest message per topic.
    pub fn latest(&self) -> HashMap<String, MqttMsg> {
        let mut out = HashMap::new();
        for m in self.all() {
            out.insert(m.topic.clone(), m);
        }
        out
    }
}

impl Drop for MqttWatch {
    fn drop(&mut self) {
        let _ = self.client.disconnect();
    }
}

/// One e-mail as the SMTP peer saved it.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Mail {
    /// Envelope sender.
    pub mail_from: String,
    /// Envelope recipients.
    pub rcpt_tos: Vec<String>,
    /// Decoded subject.
    pub subject: String,
    /// Decoded plain-text body.
    pub body: String,
    /// When it was received (Unix seconds).
    pub received: f64,
}

/// A real SMTP server (aiosmtpd) writing each message to a folder.
pub struct Smtp {
    peer: Option<PyPeer>,
    /// Its port (stays the same across [`Smtp::stop`] / [`Smtp::restart`]).
    pub port: u16,
    maildir: TempDir,
}

impl Smtp {
    /// Start on a free port.
    pub fn start() -> Smtp {
        let maildir = tempfile::Builder::new().prefix("driftvakt-mail-").tempdir().expect("maildir");
        let mut s = Smtp { peer: None, port: free_port(), maildir };
        s.restart();
        s
    }

    /// A stopped server: its port is reserved in the config, nothing listens yet.
    pub fn stopped() -> Smtp {
        let maildir = tempfile::Builder::new().prefix("driftvakt-mail-").tempdir().expect("maildir");
        Smtp { peer: None, port: free_port(), maildir }
    }

    /// Kill it (SIGKILL: the server is simply gone).
    pub fn stop(&mut self) {
        self.peer = None;
    }

    /// (Re)start on the same port.
    pub fn restart(&mut self) {
        let port = self.port.to_string();
        let dir = self.maildir.path().to_string_lossy().into_owned();
        self.peer = Some(PyPeer::start("smtp_server.py", &["--port", &port, "--maildir", &dir]));
    }

    /// Every message received so far, oldest first.
    pub fn mails(&self) -> Vec<Mail> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(self.maildir.path())
            .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|x| x == "json")).collect())
            .unwrap_or_default();
        names.sort();
        names.iter().filter_map(|p| serde_json::from_str(&std::fs::read_to_string(p).ok()?).ok()).collect()
    }
}

/// Run `driftvakt ARGS` (an operator command) and return its output.
pub fn cli(args: &[&str]) -> Output {
    Command::new(daemon_bin())
        .args(args)
        .env_remove("DRIFTVAKT_API")
        .env_remove("DRIFTVAKT_API_TOKEN")
        .stdin(Stdio::null())
        .output()
        .expect("run driftvakt")
}

/// Like [`cli`], but panics (with output) unless it succeeds; returns stdout.
pub fn cli_ok(args: &[&str]) -> String {
    let out = cli(args);
    assert!(
        out.status.success(),
        "driftvakt {} failed ({}):\n{}\n{}",
        args.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The journal as JSON entries via `driftvakt journal --json`.
pub fn journal(api: &str) -> Result<Vec<serde_json::Value>, String> {
    let out = cli(&["journal", "--api", api, "--from", "-1h", "--json"]);
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())
}
