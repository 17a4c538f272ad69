//! The daemon assembled: acquisition and store ([`Pipeline`]) plus the components that consume
//! readings. `run`, `demo` and the tests all start the daemon through [`Service::start`], so a new
//! component is wired in exactly one place.

use std::path::Path;
use std::sync::Arc;

use anyhow::Result;
use driftvakt_config::model::Config;

use crate::health::{HealthSources, SinkHealth, render_prometheus};
use crate::pipeline::{Live, Pipeline, Summary};
use crate::sink::Sinks;

/// Time from the stop signal by which sinks must have stopped (the whole stop stays within 5 s).
const SINK_STOP_BUDGET: std::time::Duration = std::time::Duration::from_secs(4);

/// A running daemon.
pub struct Service {
    pipeline: Pipeline,
    sinks: Sinks,
    site: String,
}

impl Service {
    /// Start everything `config` asks for, storing in `data_dir`.
    pub async fn start(config: &Config, data_dir: &Path) -> Result<Service> {
        let taps = Vec::new();
        let pipeline = Pipeline::start(config, data_dir, taps)?;
        let sinks = Sinks::start(config, data_dir, &pipeline.committed())?;
        Ok(Service { pipeline, sinks, site: config.site.id.clone() })
    }

    /// Health of every sink (lag, backlog, last error, delivered/dropped counters).
    #[allow(dead_code)] // for `driftvakt status` and GET /metrics (next)
    pub fn sink_health(&self) -> Vec<Arc<SinkHealth>> {
        self.sinks.health()
    }

    /// Every counter of the daemon (Modbus per device, store, sinks) in Prometheus text format.
    #[allow(dead_code)] // for GET /metrics (next)
    pub fn render_metrics(&self) -> String {
        let store = self.pipeline.store_stats();
        let sinks = self.sinks.health();
        render_prometheus(&HealthSources {
            site: &self.site,
            connections: self.pipeline.connection_stats(),
            store: &store,
            sinks: &sinks,
            now_ms: crate::store::writer::now_ms(),
        })
    }

    /// Latest values, for status screens.
    pub fn live(&self) -> Arc<Live> {
        self.pipeline.live()
    }

    /// Stop everything; every reading already taken is committed first.
    /// Sinks then deliver what they can within the stop budget; the rest waits in the store.
    pub async fn shutdown(self) -> Summary {
        let sinks_deadline = tokio::time::Instant::now() + SINK_STOP_BUDGET;
        let summary = self.pipeline.shutdown().await;
        self.sinks.shutdown(sinks_deadline).await;
        summary
    }
}
