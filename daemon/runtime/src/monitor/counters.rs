//! The live counters the daemon itself owns: per sink ([`SinkHealth`], updated by its
//! forwarder) and readings per device ([`DeviceReadings`], updated by the pipeline's router).
//! Atomics only; [`super::Monitor::snapshot`] copies them into the [`super::Snapshot`].

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use driftvakt_config::model::Config;
use driftvakt_domain::{Quality, Reading};
use driftvakt_drivers::Source;

/// Readings of one device as the pipeline saw them (any protocol).
#[derive(Debug, Default)]
pub struct DeviceCounts {
    /// Device id.
    pub device: String,
    /// Id of the source it is read through (Modbus connection, BACnet network …).
    pub link: String,
    /// The source's protocol (`modbus`, `bacnet` …).
    pub protocol: &'static str,
    /// Readings handed to the store.
    pub readings: AtomicU64,
    /// Readings whose quality was not `good` (comm failure, device fault, stale …).
    pub not_good: AtomicU64,
    /// Time of the newest reading, UTC ms; 0 before the first.
    pub last_reading_ms: AtomicI64,
}

/// Reading counters of every configured device, updated by the pipeline's router.
#[derive(Debug, Default)]
pub struct DeviceReadings {
    devices: Vec<Arc<DeviceCounts>>,
    by_id: HashMap<String, Arc<DeviceCounts>>,
}

impl DeviceReadings {
    /// Counters for every device of `config`, in configuration order, each named with the
    /// source of `sources` that reads it.
    pub fn new(config: &Config, sources: &[Box<dyn Source>]) -> DeviceReadings {
        let mut links = HashMap::new();
        for s in sources {
            for d in s.device_ids() {
                links.insert(d, (s.id().to_string(), s.protocol()));
            }
        }
        let mut out = DeviceReadings::default();
        for d in &config.devices {
            let (link, protocol) = links.remove(&d.id).unwrap_or((String::new(), "other"));
            let c = Arc::new(DeviceCounts { device: d.id.clone(), link, protocol, ..DeviceCounts::default() });
            out.by_id.insert(d.id.clone(), c.clone());
            out.devices.push(c);
        }
        out
    }

    /// Count a batch of readings (point ids are `device.point`).
    pub fn count(&self, batch: &[Reading]) {
        let mut last: Option<(&str, &Arc<DeviceCounts>)> = None;
        for r in batch {
            let device = r.point.split_once('.').map_or(&*r.point, |(d, _)| d);
            let counts = match last {
                Some((d, c)) if d == device => c,
                _ => match self.by_id.get(device) {
                    Some(c) => {
                        last = Some((device, c));
                        c
                    }
                    None => continue,
                },
            };
            counts.readings.fetch_add(1, Ordering::Relaxed);
            if r.quality != Quality::Good {
                counts.not_good.fetch_add(1, Ordering::Relaxed);
            }
            counts.last_reading_ms.fetch_max(r.time_ms, Ordering::Relaxed);
        }
    }

    /// Every device, in configuration order.
    pub fn all(&self) -> &[Arc<DeviceCounts>] {
        &self.devices
    }
}

/// Counters and state of one sink, updated by the sink task and read by anyone.
#[derive(Debug, Default)]
pub struct SinkHealth {
    /// Sink id from the configuration.
    pub id: String,
    /// Kind of sink, e.g. `influxdb_v2`, `influxdb_v1`.
    pub kind: String,
    /// Readings the server acknowledged.
    pub delivered: AtomicU64,
    /// Readings pruned from the store (raw retention) before they were delivered.
    pub dropped_pruned: AtomicU64,
    /// Readings skipped because the backlog exceeded `max_backlog_readings` (oldest first).
    pub dropped_backlog: AtomicU64,
    /// Readings in batches the server rejected as malformed (HTTP 400); not retried.
    pub rejected: AtomicU64,
    /// Write requests that succeeded.
    pub requests: AtomicU64,
    /// Write attempts that failed (each is retried with backoff unless rejected).
    pub write_errors: AtomicU64,
    /// Readings stored but not yet delivered (the store-and-forward backlog).
    pub backlog: AtomicU64,
    /// Time of the oldest undelivered reading, UTC ms; 0 when nothing is pending.
    pub oldest_pending_ms: AtomicI64,
    /// Time of the last successful write, UTC ms; 0 before the first.
    pub last_success_ms: AtomicI64,
    /// Time of the last failed write, UTC ms; 0 if none.
    pub last_error_ms: AtomicI64,
    /// Whether the last write attempt succeeded.
    pub up: AtomicBool,
    /// Text of the last error.
    last_error: Mutex<Option<String>>,
}

impl SinkHealth {
    /// Fresh counters for sink `id` of `kind`.
    pub fn new(id: &str, kind: &str) -> SinkHealth {
        SinkHealth { id: id.to_string(), kind: kind.to_string(), ..SinkHealth::default() }
    }

    /// Record a failed write attempt.
    pub fn record_error(&self, message: String, now_ms: i64) {
        self.write_errors.fetch_add(1, Ordering::Relaxed);
        self.last_error_ms.store(now_ms, Ordering::Relaxed);
        self.up.store(false, Ordering::Relaxed);
        *self.last_error.lock().unwrap_or_else(|p| p.into_inner()) = Some(message);
    }

    /// Record a successful write of `readings`.
    pub fn record_delivery(&self, readings: u64, now_ms: i64) {
        self.delivered.fetch_add(readings, Ordering::Relaxed);
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.last_success_ms.store(now_ms, Ordering::Relaxed);
        self.up.store(true, Ordering::Relaxed);
    }

    /// The last error's text.
    pub fn last_error(&self) -> Option<String> {
        self.last_error.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Readings dropped for any reason.
    pub fn dropped(&self) -> u64 {
        self.dropped_pruned.load(Ordering::Relaxed)
            + self.dropped_backlog.load(Ordering::Relaxed)
            + self.rejected.load(Ordering::Relaxed)
    }

    /// Age of the oldest undelivered reading at `now_ms` (0 when caught up).
    pub fn lag_ms(&self, now_ms: i64) -> i64 {
        match self.oldest_pending_ms.load(Ordering::Relaxed) {
            0 => 0,
            t => (now_ms - t).max(0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_readings_are_counted_per_device_with_bad_qualities() {
        let cfg: Config = driftvakt_config::parse_str(
            "[site]\nid = \"s\"\nname = \"S\"\n[[connections]]\nid = \"gw\"\nhost = \"127.0.0.1\"\n\
             [[devices]]\nid = \"g1\"\nconnection = \"gw\"\nunit_id = 1\nsystem = \"reservkraft\"\n\
             [[devices.points]]\nid = \"p\"\ntable = \"holding\"\naddress = 0\ntype = \"u16\"\nunit = \"\"\n",
            "t.toml",
        )
        .config
        .expect("config");
        let d = DeviceReadings::new(&cfg, &driftvakt_drivers::sources(&cfg));
        let r = |p: &str, t: i64, q: Quality| Reading { point: Arc::from(p), time_ms: t, value: None, quality: q };
        d.count(&[r("g1.p", 5, Quality::Good), r("g1.p", 7, Quality::CommFail), r("other.p", 9, Quality::Good)]);
        let g1 = &d.all()[0];
        assert_eq!((g1.device.as_str(), g1.link.as_str(), g1.protocol), ("g1", "gw", "modbus"));
        assert_eq!((g1.readings.load(Ordering::Relaxed), g1.not_good.load(Ordering::Relaxed), g1.last_reading_ms.load(Ordering::Relaxed)), (2, 1, 7));
    }

    #[test]
    fn a_sink_snapshot_sums_what_it_dropped_and_ages_its_backlog() {
        let down = SinkHealth::new("old", "influxdb_v1");
        down.record_error("refused".into(), 1_000_500);
        down.dropped_pruned.store(11, Ordering::Relaxed);
        down.rejected.store(2, Ordering::Relaxed);
        assert_eq!(down.dropped(), 13);
        let snap = down.snapshot(1_002_500);
        assert_eq!((snap.up, snap.dropped, snap.lag_ms, snap.write_errors), (false, 13, 0, 1));
        assert_eq!(snap.last_error.as_deref(), Some("refused"));
        down.oldest_pending_ms.store(1_000_000, Ordering::Relaxed);
        assert_eq!(down.snapshot(1_002_500).lag_ms, 2_500);
    }
}
