//! [`Monitor`]: the one handle on every counter of the running daemon.

use std::sync::Arc;

use driftvakt_drivers::SourceStats;
use driftvakt_store::WriterStats;

use super::counters::{DeviceReadings, SinkHealth};
use crate::notify::NotifyStats;

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
