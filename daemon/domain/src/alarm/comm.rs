//! Communication health per device and per connection, from the readings themselves: a device
//! whose every answer fails has lost communication; one that answers without a good value is
//! stale; a connection whose devices all lost communication is down as a whole.

use std::collections::BTreeMap;

use crate::reading::{Quality, Reading};

/// Health of one device.
#[derive(Debug, Clone)]
pub struct DeviceHealth {
    /// Connection the device sits behind.
    pub connection: String,
    /// Since when every reading failed with a communication error, UTC ms.
    pub failing_since_ms: Option<i64>,
    /// Last good reading, UTC ms (engine start until the first one).
    pub last_good_ms: i64,
}

/// Health verdicts at one moment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Verdict {
    /// Devices that lost communication.
    pub lost_devices: Vec<String>,
    /// Connections whose devices (two or more) all lost communication.
    pub lost_connections: Vec<String>,
    /// Devices that answer without a good value.
    pub stale_devices: Vec<String>,
}

impl Verdict {
    /// Whether `device` (or its connection) has lost communication.
    pub fn inhibits(&self, device: &str, connection: &str) -> bool {
        self.lost_devices.iter().any(|d| d == device) || self.lost_connections.iter().any(|c| c == connection)
    }
}

/// What one or more consecutive cycles of one device say about its communication, folded in
/// order: applying the fold to [`Health`] gives the same state as observing each cycle.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CycleHealth {
    /// Some cycle had a reading that was not a communication failure.
    pub answered: bool,
    /// Start of the trailing run of cycles whose every reading failed to communicate, UTC ms.
    pub failing_from_ms: Option<i64>,
    /// Newest cycle with a good reading, UTC ms.
    pub last_good_ms: Option<i64>,
}

impl CycleHealth {
    /// The summary of one cycle: whether all its readings failed to communicate, whether any
    /// was good, and its (newest) time.
    pub fn of_cycle(all_comm_fail: bool, any_good: bool, time_ms: i64) -> CycleHealth {
        CycleHealth {
            answered: !all_comm_fail,
            failing_from_ms: all_comm_fail.then_some(time_ms),
            last_good_ms: any_good.then_some(time_ms),
        }
    }

    /// Fold a later summary into this one.
    pub fn then(&mut self, later: CycleHealth) {
        if later.answered {
            self.answered = true;
            self.failing_from_ms = later.failing_from_ms;
        } else if self.failing_from_ms.is_none() {
            self.failing_from_ms = later.failing_from_ms;
        }
        self.last_good_ms = self.last_good_ms.max(later.last_good_ms);
    }

    /// Whether the device's last cycle here failed to communicate.
    pub fn failing(&self) -> bool {
        self.failing_from_ms.is_some()
    }
}

/// Health of every device.
#[derive(Debug, Clone, Default)]
pub struct Health {
    devices: BTreeMap<String, DeviceHealth>,
}

impl Health {
    /// Track `devices` (id, connection) from `start_ms`.
    pub fn new(devices: impl IntoIterator<Item = (String, String)>, start_ms: i64) -> Health {
        let devices = devices
            .into_iter()
            .map(|(d, connection)| (d, DeviceHealth { connection, failing_since_ms: None, last_good_ms: start_ms }))
            .collect();
        Health { devices }
    }

    /// Account for one batch of readings (one or more device cycles).
    pub fn observe(&mut self, batch: &[Reading]) {
        let mut per_device: BTreeMap<&str, (bool, bool, i64)> = BTreeMap::new(); // (all comm-fail, any good, time)
        for r in batch {
            let device = r.point.split_once('.').map_or(&*r.point, |(d, _)| d);
            let e = per_device.entry(device).or_insert((true, false, r.time_ms));
            e.0 &= r.quality == Quality::CommFail;
            e.1 |= r.quality == Quality::Good;
            e.2 = e.2.max(r.time_ms);
        }
        for (device, (all_fail, any_good, t)) in per_device {
            self.apply(device, CycleHealth::of_cycle(all_fail, any_good, t));
        }
    }

    /// Account for the folded cycles of one device (see [`CycleHealth`]); unknown devices are
    /// ignored.
    pub fn apply(&mut self, device: &str, cycles: CycleHealth) {
        let Some(h) = self.devices.get_mut(device) else { return };
        if cycles.answered {
            h.failing_since_ms = None;
        }
        if let Some(t) = cycles.failing_from_ms {
            h.failing_since_ms.get_or_insert(t);
        }
        if let Some(t) = cycles.last_good_ms {
            h.last_good_ms = h.last_good_ms.max(t);
        }
    }

    /// The verdicts at `now_ms`.
    pub fn verdict(&self, now_ms: i64, comm_lost_after_ms: i64, stale_after_ms: i64) -> Verdict {
        let mut v = Verdict::default();
        let mut per_conn: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
        for (id, h) in &self.devices {
            let lost = h.failing_since_ms.is_some_and(|s| now_ms - s >= comm_lost_after_ms);
            let e = per_conn.entry(&h.connection).or_default();
            e.0 += 1;
            if lost {
                e.1 += 1;
                v.lost_devices.push(id.clone());
            } else if h.failing_since_ms.is_none() && now_ms - h.last_good_ms >= stale_after_ms {
                v.stale_devices.push(id.clone());
            }
        }
        for (conn, (n, lost)) in per_conn {
            if n >= 2 && lost == n {
                v.lost_connections.push(conn.to_string());
            }
        }
        v
    }

    /// The connection of a device.
    pub fn connection_of(&self, device: &str) -> Option<&str> {
        self.devices.get(device).map(|h| h.connection.as_str())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn r(point: &str, t: i64, q: Quality) -> Reading {
        Reading { point: Arc::from(point), time_ms: t, value: None, quality: q }
    }

    #[test]
    fn a_silent_gateway_is_one_connection_verdict_and_a_busy_device_is_stale() {
        let mut h = Health::new([("a".into(), "gw".into()), ("b".into(), "gw".into()), ("c".into(), "other".into())], 0);
        h.observe(&[r("a.x", 1000, Quality::CommFail), r("b.x", 1000, Quality::CommFail), r("c.x", 1000, Quality::DeviceFault)]);
        assert_eq!(h.verdict(3000, 5000, 60_000), Verdict::default());
        let v = h.verdict(6000, 5000, 60_000);
        assert_eq!(v.lost_devices, ["a", "b"]);
        assert_eq!(v.lost_connections, ["gw"]);
        assert!(v.inhibits("a", "gw"));
        assert_eq!(h.verdict(61_000, 5000, 60_000).stale_devices, ["c"]);
        h.observe(&[r("a.x", 7000, Quality::Good)]);
        let v = h.verdict(8000, 5000, 60_000);
        assert_eq!(v.lost_devices, ["b"]);
        assert!(v.lost_connections.is_empty());
    }

    #[test]
    fn folded_cycles_leave_the_same_health_as_each_cycle_observed() {
        // (all comm-fail, any good, time) per cycle of device "a".
        let cycles = [
            vec![(true, false, 1000), (true, false, 2000)],
            vec![(true, false, 1000), (false, true, 2000), (true, false, 3000), (true, false, 4000)],
            vec![(false, true, 1000), (false, false, 2000)],
            vec![(true, false, 1000), (false, false, 2000)],
            vec![(false, true, 5000)],
        ];
        for seq in cycles {
            for before in [None, Some(500)] {
                let start = || {
                    let mut h = Health::new([("a".into(), "gw".into())], 0);
                    if let Some(t) = before {
                        h.observe(&[r("a.x", t, Quality::CommFail)]);
                    }
                    h
                };
                let (mut one_by_one, mut folded) = (start(), start());
                let mut fold = CycleHealth::default();
                for &(fail, good, t) in &seq {
                    let q = if fail { Quality::CommFail } else if good { Quality::Good } else { Quality::DeviceFault };
                    one_by_one.observe(&[r("a.x", t, q)]);
                    fold.then(CycleHealth::of_cycle(fail, good, t));
                }
                folded.apply("a", fold);
                let (x, y) = (&one_by_one.devices["a"], &folded.devices["a"]);
                assert_eq!((x.failing_since_ms, x.last_good_ms), (y.failing_since_ms, y.last_good_ms), "{seq:?} after {before:?}");
            }
        }
    }
}
