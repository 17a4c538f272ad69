//! `driftvakt sim`: the reference-hospital simulator alone.

use anyhow::{Context, Result, anyhow};
use driftvakt_sim::{self as sim, Faults, Scenario, SimOptions};
use tokio_util::sync::CancellationToken;

use driftvakt_runtime::pipeline::shutdown_signal;

use crate::cli::SimArgs;

/// Serve the simulated hospital until SIGINT/SIGTERM.
pub async fn run(args: &SimArgs) -> Result<()> {
    let scenario: Scenario = args.scenario.parse().map_err(|e| anyhow!("--scenario: {e}"))?;
    let faults: Faults = args.faults.parse().map_err(|e| anyhow!("--faults: {e}"))?;
    let cancel = CancellationToken::new();
    let opts = SimOptions { scenario, speed: args.speed, bind: args.bind, base_port: args.port, bacnet_port: Some(args.bacnet_port.unwrap_or(47809)), faults };
    let handle = match sim::start(opts.clone(), cancel.clone()).await {
        // The default BACnet port is taken (another simulator): use any free one rather than fail.
        Err(e) if args.bacnet_port.is_none() && e.kind() == std::io::ErrorKind::AddrInUse && e.to_string().contains("BACnet") => {
            eprintln!("warning: {e}; using any free UDP port for BACnet");
            sim::start(SimOptions { bacnet_port: Some(0), ..opts }, cancel.clone()).await
        }
        other => other,
    }
    .context("starting the simulator")?;
    // One write for all start-up lines: a reader that stops after the gateway lines (and closes
    // the pipe) must not make a later line fail.
    let mut banner = String::new();
    for (gateway, addr) in &handle.gateways {
        banner.push_str(&format!("gateway {gateway} listening on {addr}\n"));
    }
    if let Some(b) = &handle.bacnet {
        for d in &b.devices {
            banner.push_str(&format!("BACnet device {} (instance {}) at {} network {} MAC {}\n", d.id, d.instance, b.addr, b.network, d.mac));
        }
    }
    banner.push_str(&format!("scenario {} at speed ×{}, faults {faults}; Ctrl-C stops\n", args.scenario, args.speed));
    {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(banner.as_bytes());
        let _ = out.flush();
    }
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
        let tpath = path.with_extension("truth.json");
        let truth = handle.lock_plant().truth_json();
        std::fs::write(&tpath, truth).with_context(|| format!("writing the simulator's ground truth {}", tpath.display()))?;
    }
    Ok(())
}
