//! BACnet behind the acquisition seam: one [`Source`] per network, its counters as a
//! [`SourceSnapshot`] (the `driftvakt_bacnet_*` families and the status table's columns).

use std::any::Any;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use driftvakt_config::model::{BacnetNetwork, Config, Device};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::bacnet::network::run_network;
use crate::bacnet::stats::{BacnetStats, DeviceRequests, Rejected};
use driftvakt_domain::Reading;
use crate::source::{DeviceSnapshot, Metric, Sample, Source, SourceSnapshot, SourceStats, SourceTask};

/// One BACnet network with its devices.
pub struct BacnetSource {
    network: BacnetNetwork,
    devices: Vec<Device>,
    stats: Arc<BacnetStats>,
}

/// Every BACnet network of `config` that has devices, in configuration order.
pub fn sources(config: &Config) -> Vec<Box<dyn Source>> {
    let mut out: Vec<Box<dyn Source>> = Vec::new();
    for net in &config.bacnet_networks {
        let devices: Vec<_> = config.devices.iter().filter(|d| d.bacnet().is_some_and(|b| b.network == net.id)).cloned().collect();
        if devices.is_empty() {
            continue;
        }
        let stats = Arc::new(BacnetStats::new(&net.id));
        out.push(Box::new(BacnetSource { network: net.clone(), devices, stats }));
    }
    out
}

impl Source for BacnetSource {
    fn protocol(&self) -> &'static str {
        "bacnet"
    }

    fn id(&self) -> &str {
        &self.network.id
    }

    fn device_ids(&self) -> Vec<String> {
        self.devices.iter().map(|d| d.id.clone()).collect()
    }

    fn stats(&self) -> Arc<dyn SourceStats> {
        self.stats.clone()
    }

    fn run(self: Box<Self>, tx: mpsc::Sender<Vec<Reading>>, stop: CancellationToken) -> SourceTask {
        let BacnetSource { network, devices, stats } = *self;
        tracing::info!(network = %network.id, bind = %network.bind, devices = devices.len(), "starting BACnet network");
        Box::pin(run_network(network, devices, tx, stats, stop))
    }
}

impl SourceStats for BacnetStats {
    fn source_snapshot(&self) -> SourceSnapshot {
        let get = BacnetStats::get;
        let net = || ("network", self.network.clone());
        let devices = self.devices();
        let per_network = |name, help, counter: &AtomicU64| Metric { name, help, samples: vec![Sample { labels: vec![net()], value: get(counter) }] };
        type DeviceCounter = fn(&DeviceRequests) -> &AtomicU64;
        let per_device = |name, help, counter: DeviceCounter| {
            Metric::per(name, help, &devices, |d| Sample { labels: vec![net(), ("device", d.device.clone())], value: get(counter(d)) })
        };
        let rejected: Vec<_> = Rejected::ALL.iter().map(|r| (r.as_str(), self.rejected(*r))).collect();
        SourceSnapshot {
            protocol: "bacnet",
            link: self.network.clone(),
            counters: vec![
                ("requests", get(&self.requests)),
                ("timeouts", get(&self.timeouts)),
                ("device_errors", get(&self.device_errors)),
                ("cov_notifications", get(&self.cov_notifications)),
            ],
            devices: devices
                .iter()
                .map(|d| DeviceSnapshot { device: d.device.clone(), requests: get(&d.requests), errors: get(&d.errors) })
                .collect(),
            metrics: vec![
                per_network("driftvakt_bacnet_requests_total", "BACnet confirmed requests sent (each retry counts), per network.", &self.requests),
                per_network("driftvakt_bacnet_timeouts_total", "BACnet requests without an answer in time, per network.", &self.timeouts),
                per_network("driftvakt_bacnet_device_errors_total", "BACnet requests answered with Error, Reject or Abort, per network.", &self.device_errors),
                per_network("driftvakt_bacnet_cov_notifications_total", "BACnet COV notifications received, per network.", &self.cov_notifications),
                per_network("driftvakt_bacnet_resubscriptions_total", "BACnet devices whose COV subscriptions were re-established, per network.", &self.resubscriptions),
                per_network("driftvakt_bacnet_readings_total", "Readings the BACnet driver handed to the pipeline, per network.", &self.readings),
                Metric::per(
                    "driftvakt_bacnet_rejected_total",
                    "BACnet datagrams thrown away, per network and reason: foreign_address (a COV notification not from the subscribed device's address and route, or a Forwarded-NPDU not from the BBMD), unknown_process (no subscription with that process id), unsubscribed_object (device or object not subscribed), malformed.",
                    &rejected,
                    |(reason, n)| Sample { labels: vec![net(), ("reason", reason.to_string())], value: *n },
                ),
                per_device("driftvakt_bacnet_device_requests_total", "BACnet confirmed requests sent (each retry counts), per device.", |d| &d.requests),
                per_device("driftvakt_bacnet_device_request_errors_total", "BACnet requests that failed (no answer in time, Error/Reject/Abort, send error; each retry counts), per device.", |d| &d.errors),
            ],
            rejected,
        }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
