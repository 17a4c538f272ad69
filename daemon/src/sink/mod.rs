//! External sinks: InfluxDB (v2 and v1 write APIs, and VictoriaMetrics through v2), fed from
//! the embedded store by position — store-and-forward without a second queue.
//!
//! Every reading is already durable in the store (`readings`, in rowid = commit order). Each
//! sink keeps its position (last delivered rowid, table `sink_cursors`) and reads forward in
//! batches, woken by the writer's commits. While a server is down polling never waits: readings
//! pile up in the store only, and are replayed in order when it returns. The bound is the raw
//! retention (plus `max_backlog_readings`); whatever a sink loses that way is counted in its
//! [`SinkHealth`] and logged.

pub mod backlog;
pub mod forward;
pub mod http;
pub mod line;

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use driftvakt_config::model::Config;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::health::SinkHealth;
use backlog::Backlog;
use forward::Forwarder;
use http::Writer;

/// Errors of a sink's store access.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// The blocking task running the store call failed.
    #[error("store task failed: {0}")]
    Task(String),
}

/// The running sinks.
pub struct Sinks {
    tasks: Vec<(Arc<SinkHealth>, JoinHandle<()>)>,
    drain: watch::Sender<Option<Instant>>,
}

impl Sinks {
    /// Start every sink of `config`, reading the store in `data_dir` (the writer must have
    /// created it) and woken by `committed` (the newest committed rowid).
    pub fn start(config: &Config, data_dir: &Path, committed: &watch::Receiver<i64>) -> Result<Sinks> {
        let (drain, drain_rx) = watch::channel(None);
        let mut tasks = Vec::new();
        for sink in &config.sinks.influxdb {
            let backlog = Backlog::open(data_dir, &sink.id, &config.site.id, config.sinks.instance.as_deref())
                .with_context(|| format!("sink {}: opening the store", sink.id))?;
            let health = Arc::new(SinkHealth::new(&sink.id, Writer::kind(sink)));
            let fwd = Forwarder::new(sink, backlog, health.clone(), committed.clone(), drain_rx.clone());
            tasks.push((health, tokio::spawn(fwd.run())));
        }
        Ok(Sinks { tasks, drain })
    }

    /// Health of every sink, in configuration order.
    pub fn health(&self) -> Vec<Arc<SinkHealth>> {
        self.tasks.iter().map(|(h, _)| h.clone()).collect()
    }

    /// Deliver what the store holds, but stop by `deadline`; undelivered readings stay in the
    /// store and are sent after the next start.
    pub async fn shutdown(self, deadline: Instant) {
        self.drain.send_replace(Some(deadline));
        for (health, mut task) in self.tasks {
            let grace = deadline + std::time::Duration::from_millis(200);
            if tokio::time::timeout_at(grace, &mut task).await.is_err() {
                tracing::warn!(sink = %health.id, "sink did not stop in time; aborting it");
                task.abort();
            }
            let s = health.snapshot(crate::store::writer::now_ms());
            tracing::info!(sink = %s.id, kind = %s.kind, delivered = s.delivered, dropped = s.dropped,
                backlog = s.backlog, "sink stopped; its backlog is delivered after the next start");
        }
    }
}
