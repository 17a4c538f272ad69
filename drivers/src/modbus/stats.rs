//! Counters a connection task keeps, per connection and per device.
//!
//! Plain atomics, read at any time by the daemon (status output) and the bench
//! (requests per cycle). Connection totals include every device's counts.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

/// Counters of one Modbus connection (all its devices together) plus per-device counters.
#[derive(Debug, Default)]
pub struct ConnectionStats {
    /// Connection id.
    pub connection: String,
    /// Read requests sent.
    pub requests: AtomicU64,
    /// Requests that failed for any reason (timeouts and exceptions included).
    pub request_errors: AtomicU64,
    /// Requests that got no response in time.
    pub timeouts: AtomicU64,
    /// Requests answered with a Modbus exception.
    pub exceptions: AtomicU64,
    /// Successful connects after the first one.
    pub reconnects: AtomicU64,
    /// Failed connection attempts.
    pub connect_failures: AtomicU64,
    /// Device cycles finished (each sent one batch of readings).
    pub cycles: AtomicU64,
    devices: RwLock<Vec<Arc<DeviceStats>>>,
}

/// Counters of one device (unit) on a connection.
#[derive(Debug, Default)]
pub struct DeviceStats {
    /// Device id.
    pub device: String,
    /// Requests its plan makes per cycle.
    pub planned_requests: AtomicU64,
    /// Read requests sent.
    pub requests: AtomicU64,
    /// Requests that failed for any reason.
    pub request_errors: AtomicU64,
    /// Requests that got no response in time.
    pub timeouts: AtomicU64,
    /// Requests answered with a Modbus exception.
    pub exceptions: AtomicU64,
    /// Cycles finished.
    pub cycles: AtomicU64,
    /// Cycles in which some point could not be read (comm failure or exception).
    pub failed_cycles: AtomicU64,
}

/// A consistent-enough copy of the counters, for printing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatsSnapshot {
    /// Read requests sent.
    pub requests: u64,
    /// Requests that failed.
    pub request_errors: u64,
    /// Requests that timed out.
    pub timeouts: u64,
    /// Requests answered with an exception.
    pub exceptions: u64,
    /// Reconnects (connection level only; 0 for devices).
    pub reconnects: u64,
    /// Cycles finished.
    pub cycles: u64,
}

impl StatsSnapshot {
    /// Average requests per cycle (0 before the first cycle).
    pub fn requests_per_cycle(&self) -> f64 {
        if self.cycles == 0 {
            0.0
        } else {
            self.requests as f64 / self.cycles as f64
        }
    }
}

impl fmt::Display for StatsSnapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "requests={} errors={} timeouts={} exceptions={} reconnects={} cycles={} requests/cycle={:.2}",
            self.requests,
            self.request_errors,
            self.timeouts,
            self.exceptions,
            self.reconnects,
            self.cycles,
            self.requests_per_cycle()
        )
    }
}

fn get(a: &AtomicU64) -> u64 {
    a.load(Ordering::Relaxed)
}

pub(crate) fn bump(a: &AtomicU64) {
    a.fetch_add(1, Ordering::Relaxed);
}

impl ConnectionStats {
    /// Empty counters for a connection.
    pub fn new(connection: impl Into<String>) -> Self {
        Self {
            connection: connection.into(),
            ..Self::default()
        }
    }

    /// The counters of a device, once the connection task has registered it.
    pub fn device(&self, id: &str) -> Option<Arc<DeviceStats>> {
        self.devices
            .read()
            .ok()?
            .iter()
            .find(|d| d.device == id)
            .cloned()
    }

    /// Every registered device's counters, in configuration order.
    pub fn devices(&self) -> Vec<Arc<DeviceStats>> {
        self.devices.read().map(|d| d.clone()).unwrap_or_default()
    }

    /// The counters of a device, registering it if new.
    pub fn register(&self, id: &str) -> Arc<DeviceStats> {
        if let Some(d) = self.device(id) {
            return d;
        }
        let d = Arc::new(DeviceStats {
            device: id.to_string(),
            ..DeviceStats::default()
        });
        if let Ok(mut list) = self.devices.write() {
            list.push(d.clone());
        }
        d
    }

    /// Copy of the connection totals.
    pub fn snapshot(&self) -> StatsSnapshot {
        StatsSnapshot {
            requests: get(&self.requests),
            request_errors: get(&self.request_errors),
            timeouts: get(&self.timeouts),
            exceptions: get(&self.exceptions),
            reconnects: get(&self.reconnects),
            cycles: get(&self.cycles),
        }
    }
}

impl DeviceStats {
    /// Copy of the device's counters.
    pub fn snapshot(&self) -> StatsSnapshot {
        StatsSnapshot {
            requests: get(&self.requests),
            request_errors: get(&self.request_errors),
            timeouts: get(&self.timeouts),
            exceptions: get(&self.exceptions),
            reconnects: 0,
            cycles: get(&self.cycles),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn register_is_idempotent_and_snapshot_prints() {
        let s = ConnectionStats::new("gw1");
        let a = s.register("g1");
        let b = s.register("g1");
        assert!(Arc::ptr_eq(&a, &b));
        bump(&a.requests);
        bump(&a.requests);
        bump(&a.cycles);
        let snap = s.device("g1").map(|d| d.snapshot()).unwrap_or_default();
        assert_eq!(snap.requests_per_cycle(), 2.0);
        assert!(snap.to_string().contains("requests/cycle=2.00"));
        assert_eq!(s.devices().len(), 1);
    }
}
