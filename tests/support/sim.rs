//! The reference-hospital simulator for the tests — the one helper for it. By default it runs in
//! the test's own process (so a test decides when mains fail); `own_process()` runs `driftvakt
//! sim` as a separate process instead, the way a site would. Either way it can be stopped and
//! restarted on the same ports, tells what it received, and gives the reference configuration
//! pointed at itself.
//!
//! ```ignore
//! let sim = Sim::scenario("normal").speed(10.0).start();
//! let sim = Sim::scenario("blackout").speed(20.0).own_process().start();
//! ```

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use driftvakt_sim::{self as sim, Scenario, SimHandle, SimOptions};
use tempfile::TempDir;
use tokio_util::sync::CancellationToken;

use super::{daemon_bin, free_udp_port, now_ms, repo_root};

/// How to start a [`Sim`]: scenario, speed, ports, process.
#[derive(Debug, Clone)]
pub struct SimSpec {
    /// Scenario name (`normal`, `blackout`, …).
    scenario: String,
    /// Simulated seconds per real second.
    speed: f64,
    /// `stallverk`'s TCP port (`fastighet` listens on the next one) and the BACnet router's UDP
    /// port; `None`: any free ones.
    ports: Option<(u16, u16)>,
    /// `driftvakt sim` as its own process instead of in this one.
    own_process: bool,
}

impl SimSpec {
    /// Simulated seconds per real second (default 1).
    pub fn speed(mut self, speed: f64) -> SimSpec {
        self.speed = speed;
        self
    }

    /// Fixed ports, from [`free_ports`]: a [`Sim::restart`] comes back on the same ones.
    pub fn ports(mut self, (tcp, udp): (u16, u16)) -> SimSpec {
        self.ports = Some((tcp, udp));
        self
    }

    /// Run `driftvakt sim` as a separate process (what a site runs) instead of in this process.
    pub fn own_process(mut self) -> SimSpec {
        self.own_process = true;
        self
    }

    /// Start the simulator.
    pub fn start(self) -> Sim {
        let running = Running::start(&self);
        Sim { spec: self, running: Some(running) }
    }
}

/// A running simulator; stopped on drop.
pub struct Sim {
    /// How it was started (a restart starts it the same way, on the same ports).
    spec: SimSpec,
    /// The simulator (`None` once stopped).
    running: Option<Running>,
}

/// The simulator in this process or as `driftvakt sim`.
enum Running {
    /// In this process, on its own runtime.
    InProcess {
        /// Runtime of the simulator's tasks.
        rt: tokio::runtime::Runtime,
        /// Its gateways, plant and records.
        handle: SimHandle,
        /// Stops it.
        cancel: CancellationToken,
    },
    /// `driftvakt sim --record FILE`.
    Process {
        /// The simulator process.
        child: Child,
        /// (gateway, port) as announced.
        gateways: Vec<(String, u16)>,
        /// UDP port of its BACnet router.
        bacnet_port: u16,
        /// Holds the record file it writes on SIGTERM.
        dir: TempDir,
    },
}

impl Sim {
    /// A simulator of `scenario` (`normal`, `blackout`, …) at speed 1 on free ports, in this
    /// process; see [`SimSpec`] for the options.
    pub fn scenario(scenario: &str) -> SimSpec {
        SimSpec { scenario: scenario.to_string(), speed: 1.0, ports: None, own_process: false }
    }

    fn running(&self) -> &Running {
        self.running.as_ref().expect("the simulator is stopped")
    }

    /// Port of a gateway (`stallverk`, `fastighet`).
    pub fn port(&self, gateway: &str) -> u16 {
        match self.running() {
            Running::InProcess { handle, .. } => handle.addr(gateway).map(|a| a.port()),
            Running::Process { gateways, .. } => gateways.iter().find(|(g, _)| g == gateway).map(|(_, p)| *p),
        }
        .unwrap_or_else(|| panic!("the simulator has no gateway {gateway}"))
    }

    /// UDP port of the simulator's BACnet router.
    pub fn bacnet_port(&self) -> u16 {
        match self.running() {
            Running::InProcess { handle, .. } => handle.bacnet.as_ref().expect("BACnet side").addr.port(),
            Running::Process { bacnet_port, .. } => *bacnet_port,
        }
    }

    /// The reference-hospital configuration (`config/examples/reference-hospital.toml`) pointed
    /// at this simulator, with `extra` appended.
    pub fn config(&self, extra: &str) -> String {
        let mut config = std::fs::read_to_string(repo_root().join("config/examples/reference-hospital.toml"))
            .expect("reference config");
        for (gateway, default) in [("stallverk", "port = 15020"), ("fastighet", "port = 15021")] {
            assert!(config.contains(default), "reference config has no `{default}`");
            config = config.replacen(default, &format!("port = {}", self.port(gateway)), 1);
        }
        let bacnet = "address = \"127.0.0.1:47809\"";
        assert!(config.contains(bacnet), "reference config has no `{bacnet}`");
        config = config.replace(bacnet, &format!("address = \"127.0.0.1:{}\"", self.bacnet_port()));
        config.push('\n');
        config.push_str(extra);
        config
    }

    fn in_process(&self, what: &str) -> &SimHandle {
        match self.running() {
            Running::InProcess { handle, .. } => handle,
            Running::Process { .. } => panic!("{what} needs the simulator in this process (not `own_process`)"),
        }
    }

    /// Mains fail now; returns the wall time (UTC ms). In-process simulator only.
    pub fn mains_lost(&self) -> i64 {
        let mut p = self.in_process("mains_lost").lock_plant();
        let t = p.t_s;
        p.mains_lost_at_s = Some(t);
        p.mains_back_at_s = None;
        now_ms()
    }

    /// Mains return now; returns the wall time (UTC ms). In-process simulator only.
    pub fn mains_back(&self) -> i64 {
        let mut p = self.in_process("mains_back").lock_plant();
        let t = p.t_s;
        p.mains_back_at_s = Some(t);
        now_ms()
    }

    /// Stop it (a process gets SIGTERM and must exit 0) and return its record of the Modbus
    /// function codes it received: `{"gateways":{…},"total":{"3":120,…},"write_requests":0}`.
    pub fn stop(&mut self) -> serde_json::Value {
        let running = self.running.take().expect("the simulator is already stopped");
        let text = running.stop();
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("the simulator's record is not JSON ({e}): {text}"))
    }

    /// Stop it and start it again the same way on the same ports: a gateway coming back.
    /// Needs fixed ports ([`SimSpec::ports`]).
    pub fn restart(&mut self) {
        assert!(self.spec.ports.is_some(), "a restart on the same ports needs Sim::scenario(..).ports(free_ports())");
        if let Some(running) = self.running.take() {
            running.stop();
        }
        self.running = Some(Running::start(&self.spec));
    }
}

impl Running {
    fn start(spec: &SimSpec) -> Running {
        if spec.own_process { Running::spawn(spec) } else { Running::in_process(spec) }
    }

    fn in_process(spec: &SimSpec) -> Running {
        let scenario: Scenario = spec.scenario.parse().unwrap_or_else(|e| panic!("scenario {}: {e}", spec.scenario));
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
        let cancel = CancellationToken::new();
        let (base_port, bacnet_port) = spec.ports.unwrap_or((0, 0));
        let opts = SimOptions {
            scenario,
            speed: spec.speed,
            bind: [127, 0, 0, 1].into(),
            base_port,
            bacnet_port: Some(bacnet_port),
            ..SimOptions::default()
        };
        let handle = rt.block_on(sim::start(opts, cancel.clone())).expect("start the simulator");
        Running::InProcess { rt, handle, cancel }
    }

    fn spawn(spec: &SimSpec) -> Running {
        let dir = tempfile::Builder::new().prefix("driftvakt-sim-").tempdir().expect("temp dir");
        let (port, bacnet_port) = spec.ports.unwrap_or_else(|| (0, free_udp_port()));
        let mut child = Command::new(daemon_bin())
            .args(["sim", "--scenario", &spec.scenario, "--speed", &spec.speed.to_string(), "--port"])
            .arg(port.to_string())
            .arg("--bacnet-port")
            .arg(bacnet_port.to_string())
            .arg("--record")
            .arg(dir.path().join("record.json"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start driftvakt sim");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut gateways = Vec::new();
        let mut lines = BufReader::new(stdout).lines();
        while gateways.len() < 2 {
            let Some(Ok(line)) = lines.next() else { break };
            // "gateway stallverk listening on 127.0.0.1:41234"
            if let Some(rest) = line.strip_prefix("gateway ")
                && let Some((name, addr)) = rest.split_once(" listening on ")
                && let Some(port) = addr.rsplit(':').next().and_then(|p| p.parse().ok())
            {
                gateways.push((name.to_string(), port));
            }
        }
        // Keep draining stdout so the simulator never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        assert_eq!(gateways.len(), 2, "the simulator must announce both gateways");
        Running::Process { child, gateways, bacnet_port, dir }
    }

    /// Stop and return the function-code record as JSON text.
    fn stop(self) -> String {
        match self {
            Running::InProcess { rt, handle, cancel } => {
                cancel.cancel();
                let h = handle.clone();
                let _ = rt.block_on(async move { tokio::time::timeout(Duration::from_secs(3), h.stopped()).await });
                handle.function_log.to_json()
            }
            Running::Process { mut child, dir, .. } => {
                let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
                let status = child.wait().expect("wait for driftvakt sim");
                assert!(status.success(), "the simulator did not exit cleanly on SIGTERM: {status}");
                let path = dir.path().join("record.json");
                std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("function-code record {}: {e}", path.display()))
            }
        }
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        match self.running.take() {
            Some(Running::Process { mut child, .. }) => {
                let _ = child.kill();
                let _ = child.wait();
            }
            Some(running) => {
                running.stop();
            }
            None => {}
        }
    }
}

/// Ports for [`SimSpec::ports`]: two consecutive TCP ports and a UDP port that were free a moment
/// ago, chosen below the kernel's ephemeral range. A simulator restarted on fixed ports must find
/// them unused: inside the ephemeral range the kernel may meanwhile have given the port to an
/// outgoing connection (the daemon re-dialling, 2 000 idle API clients) or to another test's
/// `bind(0)`, and the restart would fail with "address in use".
pub fn free_ports() -> (u16, u16) {
    let below = ephemeral_low().saturating_sub(2).max(10_002);
    let span = u32::from(below - 10_000);
    let mut seed = std::hash::BuildHasher::hash_one(&std::collections::hash_map::RandomState::new(), std::process::id());
    for _ in 0..1000 {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        let port = 10_000 + u16::try_from((seed >> 33) as u32 % span).expect("below u16::MAX");
        let free = |p: u16| std::net::TcpListener::bind(("127.0.0.1", p)).is_ok();
        if free(port) && free(port + 1) && std::net::UdpSocket::bind(("127.0.0.1", port)).is_ok() {
            return (port, port);
        }
    }
    panic!("found no two consecutive free TCP ports below the ephemeral range on 127.0.0.1");
}

/// The lowest port the kernel hands out on its own (Linux: `ip_local_port_range`; 32768 if unknown).
fn ephemeral_low() -> u16 {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|r| r.split_whitespace().next()?.parse().ok())
        .unwrap_or(32_768)
}
