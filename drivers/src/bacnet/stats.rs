//! Counters of one BACnet network (all its devices): what the bench and the tests read.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::bacnet::frame::Route;

/// Request counters of one BACnet device (what `driftvakt status` shows per device).
#[derive(Debug, Default)]
pub struct DeviceRequests {
    /// Device id.
    pub device: String,
    /// Confirmed requests sent to it (each retry counts).
    pub requests: AtomicU64,
    /// Of those, the ones that failed: no answer in time, Error/Reject/Abort, or a send error.
    pub errors: AtomicU64,
}

/// Request counters of a network's devices: in registration order, and by the device's address
/// and route (how a request names it).
type DeviceTable = (
    Vec<Arc<DeviceRequests>>,
    HashMap<(SocketAddr, Option<Route>), Arc<DeviceRequests>>,
);

/// Why a received datagram was thrown away (a forged or stray COV notification, garbage).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rejected {
    /// A COV notification (or reply) from an address or route other than the subscribed
    /// device's, or a Forwarded-NPDU that did not come from the configured BBMD.
    ForeignAddress,
    /// A COV notification for a subscriber process id driftvakt does not use.
    UnknownProcess,
    /// A COV notification from the right device for an object or device instance that was not
    /// subscribed under that process id.
    UnsubscribedObject,
    /// A datagram (or COV notification) that cannot be decoded.
    Malformed,
}

impl Rejected {
    /// Every reason, in metrics order.
    pub const ALL: [Rejected; 4] = [
        Rejected::ForeignAddress,
        Rejected::UnknownProcess,
        Rejected::UnsubscribedObject,
        Rejected::Malformed,
    ];

    /// The label value in `/metrics` and `driftvakt status`.
    pub fn as_str(self) -> &'static str {
        match self {
            Rejected::ForeignAddress => "foreign_address",
            Rejected::UnknownProcess => "unknown_process",
            Rejected::UnsubscribedObject => "unsubscribed_object",
            Rejected::Malformed => "malformed",
        }
    }
}

/// Counters of one BACnet network.
#[derive(Debug, Default)]
pub struct BacnetStats {
    /// Network id.
    pub network: String,
    /// Confirmed requests sent (each retry counts).
    pub requests: AtomicU64,
    /// Requests that got no answer in time (after retries).
    pub timeouts: AtomicU64,
    /// Requests answered with Error, Reject or Abort.
    pub device_errors: AtomicU64,
    /// ReadPropertyMultiple batches split because the device refused their size.
    pub batch_shrinks: AtomicU64,
    /// Requests done as single ReadProperty because the device cannot do RPM at that size.
    pub read_property_fallbacks: AtomicU64,
    /// COV notifications received for a live subscription.
    pub cov_notifications: AtomicU64,
    /// Successful SubscribeCOV requests (first subscriptions and renewals).
    pub subscriptions: AtomicU64,
    /// Times a device's subscriptions were re-established after the check found them dead
    /// (device unreachable, or a value changed without a notification).
    pub resubscriptions: AtomicU64,
    /// Readings handed to the pipeline.
    pub readings: AtomicU64,
    /// Datagrams rejected, per [`Rejected`] reason (indexed by `Rejected as usize`).
    rejected: [AtomicU64; Rejected::ALL.len()],
    /// Units read from devices for points configured without `unit` (point id → unit).
    units: Mutex<BTreeMap<String, String>>,
    /// Request counters per device.
    devices: Mutex<DeviceTable>,
}

impl BacnetStats {
    /// Counters for network `id`.
    pub fn new(id: impl Into<String>) -> Self {
        Self {
            network: id.into(),
            ..Self::default()
        }
    }

    /// Add one to a counter.
    pub fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// A counter's value.
    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }

    /// Count a rejected datagram.
    pub fn reject(&self, reason: Rejected) {
        Self::bump(&self.rejected[reason as usize]);
    }

    /// Datagrams rejected for `reason` so far.
    pub fn rejected(&self, reason: Rejected) -> u64 {
        Self::get(&self.rejected[reason as usize])
    }

    /// Record the unit a device reported for a point.
    pub fn set_unit(&self, point: &str, unit: &str) {
        self.units
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(point.to_string(), unit.to_string());
    }

    /// Units read from devices (point id → unit).
    pub fn units(&self) -> BTreeMap<String, String> {
        self.units.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Count the requests to `addr` (behind `route`) as device `id`'s, from now on.
    pub fn register_device(
        &self,
        id: &str,
        addr: SocketAddr,
        route: Option<Route>,
    ) -> Arc<DeviceRequests> {
        let mut devices = self.devices.lock().unwrap_or_else(|p| p.into_inner());
        let d = Arc::new(DeviceRequests {
            device: id.to_string(),
            ..DeviceRequests::default()
        });
        devices.0.push(d.clone());
        devices.1.insert((addr, route), d.clone());
        d
    }

    /// The counters of the device at `addr` (behind `route`), if it is a registered device.
    pub fn device_at(
        &self,
        addr: SocketAddr,
        route: Option<&Route>,
    ) -> Option<Arc<DeviceRequests>> {
        let devices = self.devices.lock().unwrap_or_else(|p| p.into_inner());
        devices.1.get(&(addr, route.cloned())).cloned()
    }

    /// Request counters of every registered device of the network.
    pub fn devices(&self) -> Vec<Arc<DeviceRequests>> {
        self.devices
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .0
            .clone()
    }
}
