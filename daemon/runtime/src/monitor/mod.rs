//! The daemon's own health, one owner, one way: **live counters → one [`Snapshot`] →
//! renderers**.
//!
//! | step | file | what |
//! |---|---|---|
//! | live counters | `counters.rs` | the atomics the daemon itself owns: [`SinkHealth`] (per sink, updated by its forwarder) and [`DeviceReadings`] (per device, by the pipeline's router). Counters of other components stay with them: `SourceStats` (drivers, per Modbus connection / BACnet network), `WriterStats` (store), `NotifyStats` (alarm service) |
//! | one handle | `handle.rs` | [`Monitor`]: every component's counters, cloneable, given to the API |
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
mod handle;
pub mod prometheus;
pub mod snapshot;

pub use counters::{DeviceReadings, SinkHealth};
pub use handle::Monitor;
pub use snapshot::{AlarmCounts, Snapshot};
