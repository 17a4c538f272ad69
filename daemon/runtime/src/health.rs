//! Health of the running daemon: per-sink counters ([`SinkHealth`]), readings per device
//! ([`DeviceReadings`]) and the Prometheus text rendering of everything the daemon counts
//! ([`render_prometheus`]), for `GET /metrics` and `driftvakt status`.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use driftvakt_config::model::Config;
use driftvakt_domain::{Quality, Reading};
use driftvakt_drivers::{Source, SourceSnapshot};

use crate::alarm::service::NotifyStats;
use driftvakt_store::WriterStats;

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

/// A copy of a sink's health at one moment, for printing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SinkSnapshot {
    /// Sink id.
    pub id: String,
    /// Kind of sink.
    pub kind: String,
    /// Readings delivered.
    pub delivered: u64,
    /// Readings dropped for any reason (pruned, backlog bound, rejected).
    pub dropped: u64,
    /// Readings waiting in the store.
    pub backlog: u64,
    /// Age of the oldest undelivered reading in ms (0 when caught up).
    pub lag_ms: i64,
    /// Whether the last write attempt succeeded.
    pub up: bool,
    /// Last error text, if any.
    pub last_error: Option<String>,
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

    /// A copy for printing.
    pub fn snapshot(&self, now_ms: i64) -> SinkSnapshot {
        SinkSnapshot {
            id: self.id.clone(),
            kind: self.kind.clone(),
            delivered: self.delivered.load(Ordering::Relaxed),
            dropped: self.dropped(),
            backlog: self.backlog.load(Ordering::Relaxed),
            lag_ms: self.lag_ms(now_ms),
            up: self.up.load(Ordering::Relaxed),
            last_error: self.last_error(),
        }
    }
}

/// Everything [`render_prometheus`] reports. New counters get a field here.
pub struct HealthSources<'a> {
    /// Site id (label of `driftvakt_info`).
    pub site: &'a str,
    /// Every source's counters (connections, networks …).
    pub sources: &'a [SourceSnapshot],
    /// Readings per device (every protocol).
    pub devices: &'a [Arc<DeviceCounts>],
    /// The store writer's counters.
    pub store: &'a WriterStats,
    /// Every sink.
    pub sinks: &'a [Arc<SinkHealth>],
    /// Notification attempts, if the alarm service runs.
    pub notify: Option<&'a NotifyStats>,
    /// Alarms in alarm (acknowledged or not) and alarms waiting for an acknowledgement, if known.
    pub alarms: Option<AlarmCounts>,
    /// Now, UTC ms (for lag).
    pub now_ms: i64,
}

/// Alarm counts at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AlarmCounts {
    /// Alarms in alarm (acknowledged or not), shelved ones excluded.
    pub active: u64,
    /// Alarms (active or cleared) waiting for an acknowledgement.
    pub unacknowledged: u64,
    /// Shelved alarms.
    pub shelved: u64,
}

/// One metric family being written: HELP and TYPE once, then samples.
struct Family<'o> {
    out: &'o mut String,
    name: &'static str,
}

impl Family<'_> {
    fn sample(&mut self, labels: &[(&str, &str)], value: impl std::fmt::Display) {
        self.out.push_str(self.name);
        if !labels.is_empty() {
            self.out.push('{');
            for (i, (k, v)) in labels.iter().enumerate() {
                if i > 0 {
                    self.out.push(',');
                }
                let _ = write!(self.out, "{k}=\"{}\"", escape_label(v));
            }
            self.out.push('}');
        }
        let _ = writeln!(self.out, " {value}");
    }
}

fn family<'o>(out: &'o mut String, name: &'static str, kind: &str, help: &str) -> Family<'o> {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
    Family { out, name }
}

/// Label values: backslash, double quote and line feed escaped.
fn escape_label(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

fn get(a: &AtomicU64) -> u64 {
    a.load(Ordering::Relaxed)
}

/// Every source's counter families: one HELP and TYPE per family name, then the samples of
/// every source that has it (families in first-seen order).
fn source_families(out: &mut String, sources: &[SourceSnapshot]) {
    let mut families: Vec<&driftvakt_drivers::source::Metric> = Vec::new();
    for m in sources.iter().flat_map(|s| &s.metrics) {
        if !families.iter().any(|f| f.name == m.name) {
            families.push(m);
        }
    }
    for head in families {
        let mut f = family(out, head.name, "counter", head.help);
        for m in sources.iter().flat_map(|s| &s.metrics).filter(|m| m.name == head.name) {
            for sample in &m.samples {
                let labels: Vec<(&str, &str)> = sample.labels.iter().map(|(k, v)| (*k, v.as_str())).collect();
                f.sample(&labels, sample.value);
            }
        }
    }
}

/// The daemon's counters in the Prometheus text exposition format (version 0.0.4).
pub fn render_prometheus(src: &HealthSources<'_>) -> String {
    let mut out = String::new();
    family(&mut out, "driftvakt_info", "gauge", "Always 1; labels name the site and version.")
        .sample(&[("site", src.site), ("version", env!("CARGO_PKG_VERSION"))], 1);

    source_families(&mut out, src.sources);

    type DeviceReadingCounter = fn(&DeviceCounts) -> &AtomicU64;
    let reading_families: [(&'static str, &str, DeviceReadingCounter); 2] = [
        ("driftvakt_device_readings_total", "Readings stored, per device (every protocol).", |d| &d.readings),
        ("driftvakt_device_readings_not_good_total", "Readings stored with a quality other than good (comm failure, device fault, stale …), per device.", |d| &d.not_good),
    ];
    for (name, help, counter) in reading_families {
        let mut f = family(&mut out, name, "counter", help);
        for d in src.devices {
            f.sample(&[("device", &d.device), ("link", &d.link), ("protocol", d.protocol)], get(counter(d)));
        }
    }
    {
        let mut f = family(&mut out, "driftvakt_device_last_reading_timestamp_seconds", "gauge", "Unix time of the device's newest reading (0 before the first).");
        for d in src.devices {
            f.sample(&[("device", &d.device), ("link", &d.link), ("protocol", d.protocol)], d.last_reading_ms.load(Ordering::Relaxed) as f64 / 1000.0);
        }
    }

    let s = src.store;
    family(&mut out, "driftvakt_store_readings_written_total", "counter", "Readings committed to the embedded store.")
        .sample(&[], get(&s.readings_written));
    family(&mut out, "driftvakt_store_transactions_total", "counter", "Store transactions committed.")
        .sample(&[], get(&s.transactions));
    family(&mut out, "driftvakt_store_write_errors_total", "counter", "Failed store write attempts.")
        .sample(&[], get(&s.write_errors));
    family(&mut out, "driftvakt_store_readings_lost_total", "counter", "Readings lost: over the in-memory bound while the store could not commit, or not committed by the stop deadline.")
        .sample(&[], get(&s.readings_lost));
    family(&mut out, "driftvakt_store_failing", "gauge", "1 while the store cannot commit readings or alarm changes (disk full, locked), else 0.")
        .sample(&[], u8::from(s.failing_since_ms().is_some()));
    family(&mut out, "driftvakt_store_readings_held", "gauge", "Readings held in memory because the store could not commit them yet (retried every second).")
        .sample(&[], get(&s.readings_held));
    family(&mut out, "driftvakt_store_alarm_writes_held", "gauge", "Alarm changes, journal entries and delivery records held in memory because the store could not commit them yet.")
        .sample(&[], get(&s.alarm_writes_held));

    let sinks = src.sinks;
    let label = |h: &SinkHealth| [("sink", h.id.clone()), ("kind", h.kind.clone())];
    {
        let mut f = family(&mut out, "driftvakt_sink_delivered_total", "counter", "Readings the sink's server acknowledged.");
        for h in sinks {
            let l = label(h);
            f.sample(&[(l[0].0, &l[0].1), (l[1].0, &l[1].1)], get(&h.delivered));
        }
    }
    {
        let mut f = family(
            &mut out,
            "driftvakt_sink_dropped_total",
            "counter",
            "Readings a sink will never deliver, by reason: pruned (raw retention), backlog_limit (max_backlog_readings), rejected (HTTP 400).",
        );
        for h in sinks {
            let l = label(h);
            for (reason, n) in [
                ("pruned", &h.dropped_pruned),
                ("backlog_limit", &h.dropped_backlog),
                ("rejected", &h.rejected),
            ] {
                f.sample(&[(l[0].0, &l[0].1), (l[1].0, &l[1].1), ("reason", reason)], get(n));
            }
        }
    }
    type Gauge = (&'static str, &'static str, &'static str, fn(&SinkHealth, i64) -> f64);
    let gauges: [Gauge; 5] = [
        ("driftvakt_sink_write_errors_total", "counter", "Failed write attempts of the sink.", |h, _| get(&h.write_errors) as f64),
        ("driftvakt_sink_backlog_readings", "gauge", "Readings stored but not yet delivered by the sink.", |h, _| get(&h.backlog) as f64),
        ("driftvakt_sink_lag_seconds", "gauge", "Age of the oldest reading the sink has not delivered (0 when caught up).", |h, now| h.lag_ms(now) as f64 / 1000.0),
        ("driftvakt_sink_up", "gauge", "1 if the sink's last write succeeded, else 0.", |h, _| f64::from(u8::from(h.up.load(Ordering::Relaxed)))),
        ("driftvakt_sink_last_success_timestamp_seconds", "gauge", "Unix time of the sink's last successful write (0 before the first).", |h, _| h.last_success_ms.load(Ordering::Relaxed) as f64 / 1000.0),
    ];
    for (name, kind, help, value) in gauges {
        let mut f = family(&mut out, name, kind, help);
        for h in sinks {
            let l = label(h);
            f.sample(&[(l[0].0, &l[0].1), (l[1].0, &l[1].1)], value(h, src.now_ms));
        }
    }
    {
        let mut f = family(&mut out, "driftvakt_sink_last_error_info", "gauge", "1 with the text of the sink's last error, while its last write failed.");
        for h in sinks {
            if h.up.load(Ordering::Relaxed) {
                continue;
            }
            if let Some(e) = h.last_error() {
                let l = label(h);
                f.sample(&[(l[0].0, &l[0].1), (l[1].0, &l[1].1), ("error", &e)], 1);
            }
        }
    }
    if let Some(n) = src.notify {
        let mut f = family(&mut out, "driftvakt_notify_attempts_total", "counter", "Alarm notification attempts since the start, per channel and result (failed attempts are retried with backoff).");
        for (channel, result, c) in [
            ("email", "sent", &n.email_sent),
            ("email", "failed", &n.email_failed),
            ("mqtt", "sent", &n.mqtt_sent),
            ("mqtt", "failed", &n.mqtt_failed),
        ] {
            f.sample(&[("channel", channel), ("result", result)], get(c));
        }
        let mut f = family(&mut out, "driftvakt_notify_failures_total", "counter", "Failed alarm notification attempts since the start, per channel.");
        f.sample(&[("channel", "email")], get(&n.email_failed));
        f.sample(&[("channel", "mqtt")], get(&n.mqtt_failed));
    }
    if let Some(a) = src.alarms {
        family(&mut out, "driftvakt_alarms_active", "gauge", "Alarms in alarm (acknowledged or not), shelved ones excluded.").sample(&[], a.active);
        family(&mut out, "driftvakt_alarms_unacknowledged", "gauge", "Alarms (active or cleared) waiting for an acknowledgement.").sample(&[], a.unacknowledged);
        family(&mut out, "driftvakt_alarms_shelved", "gauge", "Shelved alarms.").sample(&[], a.shelved);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{HashMap, HashSet};

    use driftvakt_drivers::SourceStats;
    use driftvakt_drivers::bacnet::{BacnetStats, Rejected};
    use driftvakt_drivers::modbus::ConnectionStats;

    /// A strict reader of the text format: every sample line belongs to a family declared by
    /// `# TYPE` before it, names and labels are well formed, values are numbers, and no series
    /// appears twice. Returns series (name + labels) → value.
    fn parse(text: &str) -> Result<HashMap<String, f64>, String> {
        let mut types: HashMap<String, String> = HashMap::new();
        let mut samples = HashMap::new();
        let name_ok = |n: &str| {
            !n.is_empty()
                && n.chars().enumerate().all(|(i, c)| c.is_ascii_alphabetic() || c == '_' || c == ':' || (i > 0 && c.is_ascii_digit()))
        };
        for (no, line) in text.lines().enumerate() {
            let ctx = |m: &str| format!("line {}: {m}: {line}", no + 1);
            if let Some(rest) = line.strip_prefix("# ") {
                let mut parts = rest.splitn(3, ' ');
                match (parts.next(), parts.next(), parts.next()) {
                    (Some("HELP"), Some(n), Some(_)) if name_ok(n) => {}
                    (Some("TYPE"), Some(n), Some(t)) if name_ok(n) && ["counter", "gauge"].contains(&t) => {
                        if types.insert(n.to_string(), t.to_string()).is_some() {
                            return Err(ctx("family declared twice"));
                        }
                    }
                    _ => return Err(ctx("bad comment")),
                }
                continue;
            }
            let (series, value) = line.rsplit_once(' ').ok_or_else(|| ctx("no value"))?;
            let value: f64 = value.parse().map_err(|_| ctx("value is not a number"))?;
            let name = series.split('{').next().unwrap_or("");
            if !types.contains_key(name) {
                return Err(ctx("sample before its # TYPE"));
            }
            if types[name] == "counter" && !name.ends_with("_total") {
                return Err(ctx("counter without _total"));
            }
            if let Some(labels) = series.strip_prefix(name)
                && !labels.is_empty()
            {
                let inner = labels.strip_prefix('{').and_then(|l| l.strip_suffix('}')).ok_or_else(|| ctx("bad braces"))?;
                let mut rest = inner;
                let mut keys = HashSet::new();
                while !rest.is_empty() {
                    let (k, after) = rest.split_once("=\"").ok_or_else(|| ctx("bad label"))?;
                    if !name_ok(k) || !keys.insert(k) {
                        return Err(ctx("bad or repeated label name"));
                    }
                    let mut end = None;
                    let mut escaped = false;
                    for (i, c) in after.char_indices() {
                        match (escaped, c) {
                            (true, '\\' | '"' | 'n') => escaped = false,
                            (true, _) => return Err(ctx("bad escape")),
                            (false, '\\') => escaped = true,
                            (false, '"') => {
                                end = Some(i);
                                break;
                            }
                            (false, '\n') => return Err(ctx("raw newline")),
                            _ => {}
                        }
                    }
                    let end = end.ok_or_else(|| ctx("unterminated label value"))?;
                    rest = &after[end + 1..];
                    rest = rest.strip_prefix(',').unwrap_or(rest);
                }
            }
            if samples.insert(series.to_string(), value).is_some() {
                return Err(ctx("series repeated"));
            }
        }
        Ok(samples)
    }

    #[test]
    fn every_counter_renders_as_valid_prometheus_text() {
        let conn = Arc::new(ConnectionStats::new("stallverk"));
        conn.timeouts.store(3, Ordering::Relaxed);
        conn.register("g1").timeouts.store(2, Ordering::Relaxed);
        let store = WriterStats::default();
        store.readings_written.store(1234, Ordering::Relaxed);
        store.alarms_failing_since_ms.store(999_000, Ordering::Relaxed);
        store.readings_held.store(5, Ordering::Relaxed);
        let up = Arc::new(SinkHealth::new("region", "influxdb_v2"));
        up.record_delivery(500, 1_000_000);
        up.backlog.store(7, Ordering::Relaxed);
        up.oldest_pending_ms.store(1_000_000, Ordering::Relaxed);
        let down = Arc::new(SinkHealth::new("old\"db", "influxdb_v1"));
        down.record_error("connection refused\nby \\ 127.0.0.1:1 \"x\"".into(), 1_000_500);
        down.dropped_pruned.store(11, Ordering::Relaxed);
        down.rejected.store(2, Ordering::Relaxed);
        let sinks = [up.clone(), down.clone()];
        let bac = Arc::new(BacnetStats::new("fastighet_bacnet"));
        bac.cov_notifications.store(9, Ordering::Relaxed);
        bac.reject(Rejected::ForeignAddress);
        let lb01 = Arc::new(DeviceCounts { device: "lb01".into(), link: "fastighet_bacnet".into(), protocol: "bacnet", ..DeviceCounts::default() });
        lb01.readings.store(40, Ordering::Relaxed);
        lb01.last_reading_ms.store(1_001_000, Ordering::Relaxed);
        let notify = NotifyStats::default();
        notify.email_failed.store(2, Ordering::Relaxed);
        let lb01_requests = bac.register_device("lb01", "127.0.0.1:47808".parse().expect("addr"), None);
        lb01_requests.requests.store(12, Ordering::Relaxed);
        lb01_requests.errors.store(1, Ordering::Relaxed);
        let text = render_prometheus(&HealthSources {
            site: "referenssjukhuset",
            sources: &[conn.source_snapshot(), bac.source_snapshot()],
            devices: &[lb01],
            store: &store,
            sinks: &sinks,
            notify: Some(&notify),
            alarms: Some(AlarmCounts { active: 3, unacknowledged: 1, shelved: 0 }),
            now_ms: 1_002_500,
        });
        let m = parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(m["driftvakt_store_readings_written_total"], 1234.0);
        assert_eq!((m["driftvakt_store_failing"], m["driftvakt_store_readings_held"]), (1.0, 5.0));
        assert_eq!(m["driftvakt_modbus_timeouts_total{connection=\"stallverk\"}"], 3.0);
        assert_eq!(m["driftvakt_sink_delivered_total{sink=\"region\",kind=\"influxdb_v2\"}"], 500.0);
        assert_eq!(m["driftvakt_sink_lag_seconds{sink=\"region\",kind=\"influxdb_v2\"}"], 2.5);
        assert_eq!(m["driftvakt_sink_backlog_readings{sink=\"region\",kind=\"influxdb_v2\"}"], 7.0);
        assert_eq!(m["driftvakt_sink_up{sink=\"region\",kind=\"influxdb_v2\"}"], 1.0);
        assert_eq!(m["driftvakt_sink_up{sink=\"old\\\"db\",kind=\"influxdb_v1\"}"], 0.0);
        assert_eq!(
            m["driftvakt_sink_dropped_total{sink=\"old\\\"db\",kind=\"influxdb_v1\",reason=\"pruned\"}"],
            11.0
        );
        assert_eq!(down.dropped(), 13);
        let err = m.keys().find(|k| k.starts_with("driftvakt_sink_last_error_info")).expect("error info");
        assert!(err.contains("connection refused\\nby \\\\ 127.0.0.1:1 \\\"x\\\""), "{err}");
        assert!(!text.contains("last_error_info{sink=\"region\""));
        assert_eq!(m["driftvakt_bacnet_cov_notifications_total{network=\"fastighet_bacnet\"}"], 9.0);
        assert_eq!(m["driftvakt_bacnet_rejected_total{network=\"fastighet_bacnet\",reason=\"foreign_address\"}"], 1.0);
        assert_eq!(m["driftvakt_bacnet_rejected_total{network=\"fastighet_bacnet\",reason=\"malformed\"}"], 0.0);
        assert_eq!(m["driftvakt_modbus_device_timeouts_total{connection=\"stallverk\",device=\"g1\"}"], 2.0);
        assert_eq!(m["driftvakt_device_readings_total{device=\"lb01\",link=\"fastighet_bacnet\",protocol=\"bacnet\"}"], 40.0);
        assert_eq!(m["driftvakt_device_last_reading_timestamp_seconds{device=\"lb01\",link=\"fastighet_bacnet\",protocol=\"bacnet\"}"], 1001.0);
        assert_eq!(m["driftvakt_notify_failures_total{channel=\"email\"}"], 2.0);
        assert_eq!(m["driftvakt_notify_attempts_total{channel=\"email\",result=\"failed\"}"], 2.0);
        assert_eq!(m["driftvakt_alarms_active"], 3.0);
        assert_eq!(m["driftvakt_bacnet_device_requests_total{network=\"fastighet_bacnet\",device=\"lb01\"}"], 12.0);
        assert_eq!(m["driftvakt_bacnet_device_request_errors_total{network=\"fastighet_bacnet\",device=\"lb01\"}"], 1.0);
        let snap = down.snapshot(1_002_500);
        assert_eq!((snap.up, snap.dropped, snap.lag_ms), (false, 13, 0));
    }

    #[test]
    fn sources_of_one_protocol_share_their_families() {
        let (a, b) = (ConnectionStats::new("a"), ConnectionStats::new("b"));
        a.register("g1");
        b.register("g2").requests.store(4, Ordering::Relaxed);
        let mut out = String::new();
        source_families(&mut out, &[a.source_snapshot(), b.source_snapshot()]);
        assert_eq!(out.matches("# TYPE driftvakt_modbus_requests_total counter").count(), 1, "{out}");
        let m = parse(&out).unwrap_or_else(|e| panic!("{e}\n{out}"));
        assert_eq!(m["driftvakt_modbus_requests_total{connection=\"b\",device=\"g2\"}"], 4.0);
        assert_eq!(m["driftvakt_modbus_timeouts_total{connection=\"a\"}"], 0.0);
    }

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
    fn the_parse_check_catches_malformed_text() {
        assert!(parse("x_total 1\n").is_err(), "sample without TYPE");
        assert!(parse("# TYPE x counter\nx 1\n").is_err(), "counter without _total");
        assert!(parse("# TYPE x gauge\nx{a=\"1} 1\n").is_err(), "unterminated label");
        assert!(parse("# TYPE x gauge\nx 1\nx 2\n").is_err(), "repeated series");
        assert!(parse("# TYPE x gauge\nx one\n").is_err(), "not a number");
    }
}
