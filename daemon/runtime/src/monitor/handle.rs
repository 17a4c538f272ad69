//! [`Monitor`]: the one handle on every counter of the running daemon.

use std::sync::Arc;

use driftvakt_domain::exercise::Run;
use driftvakt_drivers::SourceStats;
use driftvakt_store::WriterStats;
use tokio::sync::watch;

use super::counters::{DeviceReadings, SinkHealth};
use crate::exercise::mqtt_cmd::CommandStats;
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
    /// The exercise service's running run (`ExerciseHandle::active`'s watch; None without
    /// `[exercise]`).
    pub exercise: Option<watch::Receiver<Option<Run>>>,
    /// The exercise command topic's counters, shared with `exercise::mqtt_cmd::spawn` (None
    /// without a command topic).
    pub exercise_commands: Option<Arc<CommandStats>>,
}
