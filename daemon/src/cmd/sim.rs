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
    let opts = SimOptions { scenario, speed: args.speed, bind: args.bind, base_port: args.port };
    let handle = sim::start(opts, cancel.clone()).await.context("starting the simulator")?;
    // One write, errors ignored: a reader that stops listening after the gateway lines (a test,
    // a supervisor) must not kill the simulator with EPIPE.
    let mut text = String::new();
    for (gateway, addr) in &handle.gateways {
        text.push_str(&format!("gateway {gateway} listening on {addr}\n"));
    }
    text.push_str(&format!("scenario {} at speed ×{}; Ctrl-C stops\n", args.scenario, args.speed));
    {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
    }
    shutdown_signal().await;
    cancel.cancel();
    if let Some(path) = &args.record {
        std::fs::write(path, handle.function_log.to_json())
            .with_context(|| format!("writing the function-code record {}", path.display()))?;
    }
    Ok(())
}
