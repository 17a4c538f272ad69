//! The bundled reference-hospital configuration (`config/examples/reference-hospital.toml`)
//! pointed at a running simulator: what `driftvakt demo` and `driftvakt bench` poll.

use std::net::SocketAddr;

use driftvakt_config::model::{Config, DeviceLink};

use crate::SimBacnet;

/// The bundled demo configuration (the reference hospital).
pub const DEMO_CONFIG: &str = include_str!("../../../config/examples/reference-hospital.toml");
/// Name shown in diagnostics of the bundled configuration.
pub const DEMO_CONFIG_NAME: &str = "config/examples/reference-hospital.toml";

/// Why the demo configuration cannot be pointed at the simulator.
#[derive(Debug, thiserror::Error)]
pub enum DemoConfigError {
    /// The bundled configuration does not parse (its diagnostics, one per line).
    #[error("the bundled demo configuration is invalid:\n{0}")]
    Invalid(String),
    /// A connection of the configuration has no simulated gateway.
    #[error("the simulator has no gateway for connection {0}")]
    NoGateway(String),
}

/// Load the bundled demo configuration and point its connections at the simulator's gateways.
pub fn demo_config(gateways: &[(String, SocketAddr)]) -> Result<Config, DemoConfigError> {
    let loaded = driftvakt_config::parse_str(DEMO_CONFIG, DEMO_CONFIG_NAME);
    let Some(mut config) = loaded.config else {
        let errs: Vec<String> = loaded.diagnostics.iter().map(ToString::to_string).collect();
        return Err(DemoConfigError::Invalid(errs.join("\n")));
    };
    for conn in &mut config.connections {
        let (_, addr) = gateways
            .iter()
            .find(|(id, _)| *id == conn.id)
            .ok_or_else(|| DemoConfigError::NoGateway(conn.id.clone()))?;
        conn.host = addr.ip().to_string();
        conn.port = addr.port();
    }
    // The demo never competes with a running daemon for the API port.
    config.api.listen.set_port(0);
    Ok(config)
}

/// Point the BACnet devices of `config` at the simulator's BACnet router (matched by instance)
/// and bind every BACnet network to an ephemeral loopback port.
pub fn point_bacnet_at(config: &mut Config, sim: &SimBacnet) {
    for net in &mut config.bacnet_networks {
        net.bind = SocketAddr::from(([127, 0, 0, 1], 0));
    }
    for d in &mut config.devices {
        if let DeviceLink::Bacnet(b) = &mut d.link
            && sim.devices.iter().any(|s| s.instance == b.instance)
        {
            b.address = sim.addr;
        }
    }
}
