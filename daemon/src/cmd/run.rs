//! `driftvakt run`: poll and store until SIGINT/SIGTERM.

use std::sync::atomic::Ordering;

use anyhow::Result;

use driftvakt_runtime::pipeline::shutdown_signal;
use driftvakt_runtime::service::Service;

use crate::cli::RunArgs;
use crate::cmd::check::load_or_report;

/// Run the daemon.
pub async fn run(args: &RunArgs) -> Result<()> {
    let config = load_or_report(&args.config)?;
    let service = Service::start(&config, &args.data).await?;
    tracing::info!(site = %config.site.id, points = config.points().count(), data = %args.data.display(), "driftvakt running");
    shutdown_signal().await;
    tracing::info!("stopping: flushing every accepted reading");
    let summary = service.shutdown().await;
    tracing::info!(
        readings_written = summary.store.readings_written.load(Ordering::Relaxed),
        readings_lost = summary.store.readings_lost.load(Ordering::Relaxed),
        "stopped"
    );
    Ok(())
}
