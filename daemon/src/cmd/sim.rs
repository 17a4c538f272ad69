//! `driftvakt sim`: the reference-hospital simulator alone.

use anyhow::{Context, Result, anyhow};
use driftvakt_drivers::sim::{self, Scenario, SimOptions};
use tokio_util::sync::CancellationToken;

use crate::cli::SimArgs;
use crate::pipeline::shutdown_signal;

/// Serve the simulated hospital until SIGINT/SIGTERM.
pub async fn run(args: &SimArgs) -> Result<()> {
    let scenario: Scenario = args.scenario.parse().map_err(|e| anyhow!("--scenario: {e}"))?;
    let cancel = CancellationToken::new();
    let opts = SimOptions { scenario, speed: args.speed, bind: args.bind, base_port: args.port, bacnet_port: Some(args.bacnet_port) };
    let handle = sim::start(opts, cancel.clone()).await.context("starting the simulator")?;
    for (gateway, addr) in &handle.gateways {
        println!("gateway {gateway} listening on {addr}");
    }
    if let Some(b) = &handle.bacnet {
        for d in &b.devices {
            println!("BACnet device {} (instance {}) at {} network {} MAC {}", d.id, d.instance, b.addr, b.network, d.mac);
        }
    }
    println!("scenario {} at speed ×{}; Ctrl-C stops", args.scenario, args.speed);
    shutdown_signal().await;
    cancel.cancel();
    if let Some(path) = &args.record {
        std::fs::write(path, handle.function_log.to_json())
            .with_context(|| format!("writing the function-code record {}", path.display()))?;
        if let Some(b) = &handle.bacnet {
            let bpath = path.with_extension("bacnet.json");
            std::fs::write(&bpath, b.services.to_json())
                .with_context(|| format!("writing the BACnet service record {}", bpath.display()))?;
        }
    }
    Ok(())
}
