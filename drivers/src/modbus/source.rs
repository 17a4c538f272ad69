//! Modbus behind the acquisition seam: one [`Source`] per connection, its counters as a
//! [`SourceSnapshot`] (the `driftvakt_modbus_*` families and the status table's columns).

use std::any::Any;
use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use driftvakt_config::model::{Config, Connection, Device};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::boost::PollBoost;
use crate::modbus::poller::{DeviceBoost, run_connection_boosted};
use crate::modbus::stats::{ConnectionStats, DeviceStats};
use driftvakt_domain::Reading;
use crate::source::{DeviceSnapshot, Metric, Sample, Source, SourceSnapshot, SourceStats, SourceTask};

/// One Modbus connection with its devices.
pub struct ModbusSource {
    conn: Connection,
    devices: Vec<Device>,
    /// The boost and the devices it applies to, if any of them holds an exercise point.
    boost: Option<DeviceBoost>,
    stats: Arc<ConnectionStats>,
}

/// Every connection of `config` that has devices, in configuration order.
pub fn sources(config: &Config) -> Vec<Box<dyn Source>> {
    sources_with(config, None)
}

/// [`sources`], with `boost` for the devices holding a point of `[exercise]` (role or watched
/// point; none without `[exercise]`).
pub fn sources_with(config: &Config, boost: Option<&PollBoost>) -> Vec<Box<dyn Source>> {
    let exercise_points: HashSet<&str> = config.exercise.as_ref().map(|e| e.points().into_iter().collect()).unwrap_or_default();
    let mut out: Vec<Box<dyn Source>> = Vec::new();
    for conn in &config.connections {
        let devices: Vec<_> = config.devices.iter().filter(|d| d.connection() == Some(conn.id.as_str())).cloned().collect();
        if devices.is_empty() {
            continue;
        }
        let boost = boost.and_then(|b| {
            let devices = boosted_devices(&devices, &exercise_points);
            (!devices.is_empty()).then(|| DeviceBoost { boost: b.clone(), devices })
        });
        let stats = Arc::new(ConnectionStats::new(&conn.id));
        out.push(Box::new(ModbusSource { conn: conn.clone(), devices, boost, stats }));
    }
    out
}

/// The ids of `devices` that hold one of `points`.
fn boosted_devices(devices: &[Device], points: &HashSet<&str>) -> HashSet<String> {
    devices.iter().filter(|d| d.points.iter().any(|p| points.contains(p.id.as_str()))).map(|d| d.id.clone()).collect()
}

impl Source for ModbusSource {
    fn protocol(&self) -> &'static str {
        "modbus"
    }

    fn id(&self) -> &str {
        &self.conn.id
    }

    fn device_ids(&self) -> Vec<String> {
        self.devices.iter().map(|d| d.id.clone()).collect()
    }

    fn stats(&self) -> Arc<dyn SourceStats> {
        self.stats.clone()
    }

    fn run(self: Box<Self>, tx: mpsc::Sender<Vec<Reading>>, stop: CancellationToken) -> SourceTask {
        let ModbusSource { conn, devices, boost, stats } = *self;
        tracing::info!(connection = %conn.id, host = %conn.host, port = conn.port, devices = devices.len(), boosted = boost.as_ref().map_or(0, |b| b.devices.len()), "starting connection");
        Box::pin(run_connection_boosted(conn, devices, boost, tx, stats, stop))
    }
}

fn get(a: &AtomicU64) -> u64 {
    a.load(Ordering::Relaxed)
}

impl SourceStats for ConnectionStats {
    fn source_snapshot(&self) -> SourceSnapshot {
        let conn = || ("connection", self.connection.clone());
        let devices = self.devices();
        type DeviceCounter = fn(&DeviceStats) -> &AtomicU64;
        let per_device = |name, help, counter: DeviceCounter| {
            Metric::per(name, help, &devices, |d| Sample { labels: vec![conn(), ("device", d.device.clone())], value: get(counter(d)) })
        };
        let per_connection = |name, help, counter: &AtomicU64| Metric { name, help, samples: vec![Sample { labels: vec![conn()], value: get(counter) }] };
        let requests: u64 = devices.iter().map(|d| get(&d.requests)).sum();
        let errors: u64 = devices.iter().map(|d| get(&d.request_errors)).sum();
        SourceSnapshot {
            protocol: "modbus",
            link: self.connection.clone(),
            counters: vec![
                ("requests", requests),
                ("errors", errors),
                ("timeouts", get(&self.timeouts)),
                ("reconnects", get(&self.reconnects)),
                ("connect_failures", get(&self.connect_failures)),
            ],
            rejected: Vec::new(),
            devices: devices
                .iter()
                .map(|d| DeviceSnapshot { device: d.device.clone(), requests: get(&d.requests), errors: get(&d.request_errors) })
                .collect(),
            metrics: vec![
                per_device("driftvakt_modbus_requests_total", "Modbus read requests sent, per device.", |d| &d.requests),
                per_device("driftvakt_modbus_request_errors_total", "Modbus read requests that failed (timeouts and exceptions included), per device.", |d| &d.request_errors),
                per_device("driftvakt_modbus_cycles_total", "Poll cycles finished, per device.", |d| &d.cycles),
                per_device("driftvakt_modbus_failed_cycles_total", "Poll cycles in which some point could not be read, per device.", |d| &d.failed_cycles),
                per_connection("driftvakt_modbus_timeouts_total", "Modbus requests without a response in time, per connection.", &self.timeouts),
                per_connection("driftvakt_modbus_exceptions_total", "Modbus requests answered with an exception, per connection.", &self.exceptions),
                per_connection("driftvakt_modbus_reconnects_total", "Successful reconnects after the first connect, per connection.", &self.reconnects),
                per_connection("driftvakt_modbus_connect_failures_total", "Failed connection attempts, per connection.", &self.connect_failures),
                per_device("driftvakt_modbus_device_timeouts_total", "Modbus requests without a response in time, per device.", |d| &d.timeouts),
            ],
        }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_devices_holding_an_exercise_point_are_boosted() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../config/examples/reference-hospital.toml");
        let config = driftvakt_config::load(std::path::Path::new(path)).config.expect("config");
        let points: HashSet<&str> = config.exercise.as_ref().expect("[exercise]").points().into_iter().collect();
        let mut boosted: Vec<String> = boosted_devices(&config.devices, &points).into_iter().collect();
        boosted.sort();
        // Roles on stallverk (gensets, switch, UPS, tanks), watched points on fastighet; vs01 is
        // BACnet (not boosted: not a Modbus device). fjarrvarme holds no exercise point.
        let modbus: Vec<String> = boosted.into_iter().filter(|d| config.devices.iter().any(|x| &x.id == d && x.connection().is_some())).collect();
        assert_eq!(modbus, ["aggregat", "ats", "g1", "g2", "reservvatten", "tankar", "ups"]);
        let boost = PollBoost::new();
        assert_eq!(sources_with(&config, Some(&boost)).len(), sources(&config).len());
    }
}
