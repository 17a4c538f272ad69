//! The acquisition seam: every protocol's links (a Modbus connection, a BACnet network …) are
//! [`Source`]s, listed by [`sources`] — the one registration point. The pipeline runs them and
//! `/metrics`, `GET /api/status` and `driftvakt status` show their counters through the
//! protocol-neutral [`SourceSnapshot`], so neither knows which protocols exist.

pub mod snapshot;

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use driftvakt_config::model::Config;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::reading::Reading;

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

/// Every link of `config` that has devices, as a [`Source`]: Modbus connections, then BACnet
/// networks, each in configuration order. A new protocol adds its line here.
pub fn sources(config: &Config) -> Vec<Box<dyn Source>> {
    let mut out = crate::modbus::source::sources(config);
    out.extend(crate::bacnet::source::sources(config));
    out
}
