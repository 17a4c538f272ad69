//! The reference-hospital simulator (`driftvakt sim`) as a separate process on free ports, and the
//! reference configuration pointed at it.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use super::{daemon_bin, repo_root};

/// A running `driftvakt sim`; killed on drop.
pub struct Sim {
    /// The simulator process.
    pub child: Child,
    /// (gateway, port) as announced.
    pub ports: Vec<(String, u16)>,
    /// UDP port of its BACnet router.
    pub bacnet_port: u16,
}

impl Sim {
    /// Start `scenario` at `speed`.
    pub fn start(scenario: &str, speed: &str) -> Sim {
        Sim::start_recording(scenario, speed, None)
    }

    /// Start `scenario` at `speed`; with `record`, the simulator writes the tally of received
    /// Modbus function codes there (and BACnet services beside it) when it gets SIGTERM.
    pub fn start_recording(scenario: &str, speed: &str, record: Option<&Path>) -> Sim {
        Sim::spawn(scenario, speed, 0, free_udp_port(), record)
    }

    /// Start `scenario` at `speed` with `stallverk` on `port`, `fastighet` on `port + 1` and the
    /// BACnet router on UDP `bacnet_port` (see [`free_ports`]): a restart on the same ports is a
    /// gateway coming back.
    pub fn start_at(scenario: &str, speed: &str, port: u16, bacnet_port: u16) -> Sim {
        Sim::spawn(scenario, speed, port, bacnet_port, None)
    }

    fn spawn(scenario: &str, speed: &str, port: u16, bacnet_port: u16, record: Option<&Path>) -> Sim {
        let mut cmd = Command::new(daemon_bin());
        cmd.args(["sim", "--scenario", scenario, "--speed", speed, "--port"])
            .arg(port.to_string())
            .arg("--bacnet-port")
            .arg(bacnet_port.to_string());
        if let Some(record) = record {
            cmd.arg("--record").arg(record);
        }
        let mut child =
            cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().expect("start driftvakt sim");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut ports = Vec::new();
        let mut lines = BufReader::new(stdout).lines();
        while ports.len() < 2 {
            let Some(Ok(line)) = lines.next() else { break };
            // "gateway stallverk listening on 127.0.0.1:41234"
            if let Some(rest) = line.strip_prefix("gateway ")
                && let Some((name, addr)) = rest.split_once(" listening on ")
                && let Some(port) = addr.rsplit(':').next().and_then(|p| p.parse().ok())
            {
                ports.push((name.to_string(), port));
            }
        }
        // Keep draining stdout so the simulator never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        assert_eq!(ports.len(), 2, "the simulator must announce both gateways");
        Sim { child, ports, bacnet_port }
    }

    /// The reference-hospital configuration pointed at this simulator, with `extra` appended.
    pub fn config(&self, extra: &str) -> String {
        let mut config = std::fs::read_to_string(repo_root().join("config/examples/reference-hospital.toml"))
            .expect("reference config");
        for (gateway, port) in &self.ports {
            let default = if gateway == "stallverk" { "port = 15020" } else { "port = 15021" };
            assert!(config.contains(default), "reference config has no `{default}`");
            config = config.replacen(default, &format!("port = {port}"), 1);
        }
        let bacnet = "address = \"127.0.0.1:47809\"";
        assert!(config.contains(bacnet), "reference config has no `{bacnet}`");
        config = config.replace(bacnet, &format!("address = \"127.0.0.1:{}\"", self.bacnet_port));
        config.push('\n');
        config.push_str(extra);
        config
    }

    /// Stop with SIGTERM (so it writes its record) and return whether it exited successfully.
    pub fn terminate(&mut self) -> bool {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        self.child.wait().is_ok_and(|s| s.success())
    }
}

/// A UDP port on 127.0.0.1 that was free a moment ago.
fn free_udp_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0").and_then(|s| s.local_addr()).map(|a| a.port()).expect("free UDP port")
}

/// Ports for [`Sim::start_at`]: a TCP port whose successor was free too a moment ago, and a free
/// UDP port.
pub fn free_ports() -> (u16, u16) {
    for _ in 0..100 {
        let port = super::free_port();
        if port < u16::MAX && std::net::TcpListener::bind(("127.0.0.1", port + 1)).is_ok() {
            return (port, free_udp_port());
        }
    }
    panic!("found no two consecutive free TCP ports on 127.0.0.1");
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
