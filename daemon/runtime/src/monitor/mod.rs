//! The daemon's own health, one owner, one way: **live counters → one [`Snapshot`] →
//! renderers**.
//!
//! | step | file | what |
//! |---|---|---|
//! | live counters | `counters.rs` | the atomics the daemon itself owns: [`SinkHealth`] (per sink, updated by its forwarder) and [`DeviceReadings`] (per device, by the pipeline's router). Counters of other components stay with them: `SourceStats` (drivers, per Modbus connection / BACnet network), `WriterStats` (store), `NotifyStats` (alarm service) |
//! | one handle | `mod.rs` | [`Monitor`]: every component's counters, cloneable, given to the API |
//! | one snapshot | `snapshot.rs` | [`Monitor::snapshot`] copies every counter at one moment into a plain [`Snapshot`]; serialized, it is the JSON of `GET /api/status` |
//! | Prometheus | `prometheus.rs` | [`prometheus::render`]: a [`Snapshot`] → the text of `GET /metrics` |
//!
//! The other renderers read the same snapshot: `crate::api::monitor` serves both routes,
//! `crate::cmd::status` turns the JSON snapshot into the tables of `driftvakt status`.
//! The operator's per-system status lines (the demo screen) are something else:
//! `crate::plant_status`.
//!
//! A new counter: an atomic in the component that counts (or in `counters.rs`), a field in
//! [`Snapshot`] filled in [`Monitor::snapshot`], a family in [`prometheus::render`], and, if
//! the operator should see it, a cell in `cmd/status.rs`.

pub mod counters;
pub mod prometheus;
pub mod snapshot;

use std::sync::Arc;

use driftvakt_drivers::SourceStats;
use driftvakt_store::WriterStats;

use crate::notify::NotifyStats;

pub use counters::{DeviceReadings, SinkHealth};
pub use snapshot::{AlarmCounts, Snapshot};

/// Every counter of the running daemon in one cloneable handle (each shared with the component
/// that updates it).
#[derive(Clone)]
pub struct Monitor {
    /// Site id.
    pub site: Arc<str>,
    /// Every source (Modbus connection, BACnet network …).
    pub sources: Arc<[Arc<dyn SourceStats>]>,
    /// Readings per device.
    pub devices: Arc<DeviceReadings>,
    /// The store writer.
    pub store: Arc<WriterStats>,
    /// Every sink.
    pub sinks: Arc<[Arc<SinkHealth>]>,
    /// Notification attempts.
    pub notify: Option<Arc<NotifyStats>>,
}
