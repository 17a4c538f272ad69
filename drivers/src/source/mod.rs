//! The acquisition seam: every protocol's links (a Modbus connection, a BACnet network …) are
//! [`Source`]s, listed by [`crate::sources`] (`registry.rs`) — the one registration point. The pipeline runs them and
//! `/metrics`, `GET /api/status` and `driftvakt status` show their counters through the
//! protocol-neutral [`SourceSnapshot`], so neither knows which protocols exist.

pub mod snapshot;

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use driftvakt_domain::Reading;

pub use snapshot::{DeviceSnapshot, Metric, Sample, SourceSnapshot};

/// The task a [`Source`] runs: reads until stopped, then returns.
pub type SourceTask = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// One link to the plant (a Modbus connection, a BACnet network) with the devices read through
/// it: it turns their points into [`Reading`]s and counts what it does.
pub trait Source: Send {
    /// The protocol, lower case (`modbus`, `bacnet`): the `protocol` label and status column.
    fn protocol(&self) -> &'static str;
    /// The link's id from the configuration (connection or network id).
    fn id(&self) -> &str;
    /// Ids of the devices read through it, in configuration order.
    fn device_ids(&self) -> Vec<String>;
    /// Its counters, shared with the running task (readable before, during and after it).
    fn stats(&self) -> Arc<dyn SourceStats>;
    /// Read every device until `stop` is cancelled, sending one batch per device cycle (or per
    /// notification) to `tx`; the task returns once it has stopped.
    fn run(self: Box<Self>, tx: mpsc::Sender<Vec<Reading>>, stop: CancellationToken) -> SourceTask;
}

/// The counters of a running [`Source`].
pub trait SourceStats: Any + fmt::Debug + Send + Sync {
    /// A copy of the counters now, protocol-neutral.
    fn source_snapshot(&self) -> SourceSnapshot;
    /// The protocol's own counters (e.g. `ConnectionStats`), for protocol-specific tools such as
    /// the bench.
    fn as_any(&self) -> &dyn Any;
}

/// The protocol's own counters of every source in `stats` whose counters are a `T` (e.g. each
/// Modbus connection's `ConnectionStats`), for protocol-specific tools such as the bench.
pub fn stats_of<T: SourceStats>(stats: &[Arc<dyn SourceStats>]) -> impl Iterator<Item = &T> {
    stats.iter().filter_map(|s| s.as_any().downcast_ref::<T>())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modbus::ConnectionStats;
    use crate::sources;

    const CONFIG: &str = "[site]\nid = \"s\"\nname = \"S\"\n\
        [[connections]]\nid = \"gw\"\nhost = \"127.0.0.1\"\n\
        [[connections]]\nid = \"unused\"\nhost = \"127.0.0.1\"\n\
        [[bacnet_networks]]\nid = \"bas\"\nbind = \"127.0.0.1:0\"\n\
        [[devices]]\nid = \"lb01\"\nnetwork = \"bas\"\ninstance = 1\naddress = \"127.0.0.1:47808\"\nsystem = \"ventilation\"\n\
        [[devices.points]]\nid = \"t\"\nname = \"T\"\nobject = \"analog-input:1\"\n\
        [[devices]]\nid = \"g1\"\nconnection = \"gw\"\nunit_id = 1\nsystem = \"reservkraft\"\n\
        [[devices.points]]\nid = \"p\"\ntable = \"holding\"\naddress = 0\ntype = \"u16\"\nunit = \"\"\n";

    #[test]
    fn every_link_with_devices_is_one_source_modbus_first() {
        let config = driftvakt_config::parse_str(CONFIG, "t.toml").config.expect("config");
        let listed: Vec<_> = sources(&config)
            .iter()
            .map(|s| (s.protocol(), s.id().to_string(), s.device_ids()))
            .collect();
        assert_eq!(
            listed,
            [
                ("modbus", "gw".to_string(), vec!["g1".to_string()]),
                ("bacnet", "bas".to_string(), vec!["lb01".to_string()]),
            ]
        );
    }

    #[test]
    fn snapshots_are_protocol_neutral_and_the_protocol_counters_stay_reachable() {
        let config = driftvakt_config::parse_str(CONFIG, "t.toml").config.expect("config");
        let stats: Vec<_> = sources(&config).iter().map(|s| s.stats()).collect();
        let modbus: Vec<&ConnectionStats> = stats_of(&stats).collect();
        assert_eq!(modbus.len(), 1);
        let g1 = modbus[0].register("g1");
        g1.requests.store(5, std::sync::atomic::Ordering::Relaxed);
        g1.request_errors.store(2, std::sync::atomic::Ordering::Relaxed);
        let snap = stats[0].source_snapshot();
        assert_eq!((snap.protocol, snap.link.as_str()), ("modbus", "gw"));
        assert_eq!((snap.counter("requests"), snap.counter("errors")), (Some(5), Some(2)));
        assert_eq!(snap.devices, [DeviceSnapshot { device: "g1".into(), requests: 5, errors: 2 }]);
        let bacnet = stats[1].source_snapshot();
        assert_eq!(bacnet.rejected.len(), 4, "every reason, zeros included");
        for m in snap.metrics.iter().chain(&bacnet.metrics) {
            assert!(m.name.ends_with("_total") && m.name.starts_with("driftvakt_"), "{}", m.name);
        }
    }
}
