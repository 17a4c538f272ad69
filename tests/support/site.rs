//! The alarm tests' site: the reference hospital with its alarm rules, the simulator in this
//! process (the test decides when mains fail), a real SMTP server and Mosquitto broker when the
//! test asks for them, the operator API on a free port with a token file, and the daemon started
//! on it once its API answers.
//!
//! ```ignore
//! let site = Site::start(SiteSpec { email: Email::Down, mqtt: true, ..SiteSpec::default() });
//! let daemon = site.daemon();
//! site.sim.mains_lost();
//! ```

use std::path::PathBuf;
use std::time::Duration;

use tempfile::TempDir;

use super::alarm::{Mosquitto, Smtp, cli};
use super::sim::Sim;
use super::{Daemon, free_port, wait_for};

/// E-mail notification at the site.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Email {
    /// Off in the configuration (no SMTP server).
    Off,
    /// On, and the SMTP server is running.
    Up,
    /// On, but the SMTP server is not running yet ([`Smtp::restart`] brings it up on its port).
    Down,
}

/// What the site has.
#[derive(Debug, Clone)]
pub struct SiteSpec {
    /// E-mail notification and the SMTP server's state.
    pub email: Email,
    /// MQTT notification on a Mosquitto broker.
    pub mqtt: bool,
    /// Content of the API token file.
    pub token: &'static str,
    /// Poll interval of every device (ms).
    pub poll_ms: u32,
    /// The daemon's data directory; `None`: `data/` in the site's temp dir.
    pub data: Option<PathBuf>,
}

impl Default for SiteSpec {
    fn default() -> SiteSpec {
        SiteSpec { email: Email::Off, mqtt: false, token: "t0ken", poll_ms: 200, data: None }
    }
}

/// A site ready for [`Site::daemon`]: simulator, servers, configuration, token.
pub struct Site {
    /// The simulator, at speed ×10.
    pub sim: Sim,
    /// The SMTP server (its port reserved even with [`Email::Off`]).
    pub smtp: Smtp,
    /// The broker, with [`SiteSpec::mqtt`].
    pub broker: Option<Mosquitto>,
    /// The configuration file.
    pub config: PathBuf,
    /// The daemon's data directory (kept across daemons: a restart runs on the same data).
    pub data: PathBuf,
    /// The API's base URL, `http://127.0.0.1:PORT`.
    pub api: String,
    /// The API token file.
    pub token: PathBuf,
    /// Holds the configuration, token and default data directory.
    _dir: TempDir,
}

impl Site {
    /// Start the simulator and the servers `spec` asks for and write the configuration.
    pub fn start(spec: SiteSpec) -> Site {
        let smtp = match spec.email {
            Email::Up => Smtp::start(),
            Email::Off | Email::Down => Smtp::stopped(),
        };
        let broker = spec.mqtt.then(Mosquitto::start);
        let sim = Sim::scenario("normal").speed(10.0).start();
        let dir = tempfile::tempdir().expect("tempdir");
        let token = dir.path().join("token");
        std::fs::write(&token, spec.token).expect("token");
        let api_port = free_port();
        let ports = Ports {
            smtp: (spec.email != Email::Off).then_some(smtp.port),
            mqtt: broker.as_ref().map(|b| b.port),
            api: api_port,
            token_file: token.clone(),
            poll_ms: spec.poll_ms,
        };
        let config = dir.path().join("hospital.toml");
        std::fs::write(&config, hospital_config(&sim, &ports)).expect("config");
        let data = spec.data.unwrap_or_else(|| dir.path().join("data"));
        Site { sim, smtp, broker, config, data, api: format!("http://127.0.0.1:{api_port}"), token, _dir: dir }
    }

    /// The broker's port (panics without [`SiteSpec::mqtt`]).
    pub fn mqtt_port(&self) -> u16 {
        self.broker.as_ref().expect("a site with MQTT").port
    }

    /// The token file as an argument (`--token-file`).
    pub fn token_arg(&self) -> String {
        self.token.to_string_lossy().into_owned()
    }

    /// The data directory as an argument (`--data`).
    pub fn data_arg(&self) -> String {
        self.data.to_string_lossy().into_owned()
    }

    /// Start `driftvakt run` on the site's configuration and data and wait until its API answers.
    pub fn daemon(&self) -> Daemon {
        let daemon = Daemon::with().data(&self.data).run(&self.config);
        wait_for("the daemon's API", Duration::from_secs(20), || {
            daemon.assert_running();
            let out = cli(&["alarms", "--api", &self.api]);
            if out.status.success() {
                Ok(())
            } else {
                Err(String::from_utf8_lossy(&out.stderr).into_owned())
            }
        });
        daemon
    }
}

/// Where the configuration points besides the simulator.
struct Ports {
    /// SMTP port (e-mail enabled), if any.
    smtp: Option<u16>,
    /// MQTT port (MQTT enabled), if any.
    mqtt: Option<u16>,
    /// API port.
    api: u16,
    /// File with the API token.
    token_file: PathBuf,
    /// Poll interval of every device (ms).
    poll_ms: u32,
}

/// The bundled reference-hospital configuration with its alarm rules, pointed at the simulator,
/// SMTP server, broker and API port, with short notification retries.
fn hospital_config(sim: &Sim, p: &Ports) -> String {
    let mut c = sim.config("");
    let mut swap = |from: &str, to: &str| {
        assert!(c.contains(from), "reference config has no `{from}`");
        c = c.replacen(from, to, 1);
    };
    swap("retry_max_ms = 60000", "retry_max_ms = 2000");
    swap("retry_initial_ms = 1000 ", "retry_initial_ms = 500 ");
    if let Some(port) = p.smtp {
        swap("enabled = false                 # the demo has no mail server", "enabled = true  #");
        swap("port = 25\n", &format!("port = {port}\n"));
    }
    if let Some(port) = p.mqtt {
        swap("enabled = false                 # the demo has no broker", "enabled = true  #");
        swap("port = 1883\n", &format!("port = {port}\n"));
    }
    swap("listen = \"127.0.0.1:8750\"", &format!("listen = \"127.0.0.1:{}\"", p.api));
    swap("token = { env = \"DRIFTVAKT_API_TOKEN\" }", &format!("token = {{ file = \"{}\" }}", p.token_file.display()));
    c.replace("poll_interval_ms = 1000", &format!("poll_interval_ms = {}", p.poll_ms))
}
