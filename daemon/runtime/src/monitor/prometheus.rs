//! A [`Snapshot`] as Prometheus text (exposition format 0.0.4), for `GET /metrics`: one family
//! per metric name, HELP and TYPE once, then its samples. Every value comes from the snapshot,
//! so the text and the status JSON of the same moment agree.

use std::fmt::Write as _;

use driftvakt_config::model::ExerciseKind;

use super::snapshot::{DeviceStatus, LinkStatus, SinkStatus, Snapshot};

/// One metric family being written: HELP and TYPE once, then samples.
struct Family<'o, 'n> {
    out: &'o mut String,
    name: &'n str,
}

impl Family<'_, '_> {
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

fn family<'o, 'n>(out: &'o mut String, name: &'n str, kind: &str, help: &str) -> Family<'o, 'n> {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
    Family { out, name }
}

/// Label values: backslash, double quote and line feed escaped.
fn escape_label(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// Every source's counter families: one HELP and TYPE per family name, then the samples of
/// every source that has it (families in first-seen order).
fn source_families(out: &mut String, links: &[LinkStatus]) {
    let mut families: Vec<(&str, &str)> = Vec::new();
    for m in links.iter().flat_map(|l| &l.metrics) {
        if !families.iter().any(|(name, _)| *name == m.name) {
            families.push((&m.name, &m.help));
        }
    }
    for (name, help) in families {
        let mut f = family(out, name, "counter", help);
        for m in links.iter().flat_map(|l| &l.metrics).filter(|m| m.name == name) {
            for sample in &m.samples {
                let labels: Vec<(&str, &str)> = sample.labels.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                f.sample(&labels, sample.value);
            }
        }
    }
}

/// The snapshot in the Prometheus text exposition format (version 0.0.4).
pub fn render(s: &Snapshot) -> String {
    let mut out = String::new();
    family(&mut out, "driftvakt_info", "gauge", "Always 1; labels name the site and version.")
        .sample(&[("site", &s.site), ("version", &s.version)], 1);

    source_families(&mut out, &s.links);

    type DeviceCounter = fn(&DeviceStatus) -> u64;
    let reading_families: [(&str, &str, DeviceCounter); 2] = [
        ("driftvakt_device_readings_total", "Readings stored, per device (every protocol).", |d| d.readings),
        ("driftvakt_device_readings_not_good_total", "Readings stored with a quality other than good (comm failure, device fault, stale …), per device.", |d| d.not_good),
    ];
    for (name, help, counter) in reading_families {
        let mut f = family(&mut out, name, "counter", help);
        for d in &s.devices {
            f.sample(&[("device", &d.id), ("link", &d.link), ("protocol", &d.protocol)], counter(d));
        }
    }
    {
        let mut f = family(&mut out, "driftvakt_device_last_reading_timestamp_seconds", "gauge", "Unix time of the device's newest reading (0 before the first).");
        for d in &s.devices {
            f.sample(&[("device", &d.id), ("link", &d.link), ("protocol", &d.protocol)], d.last_reading_ms as f64 / 1000.0);
        }
    }

    let st = &s.store;
    family(&mut out, "driftvakt_store_readings_written_total", "counter", "Readings committed to the embedded store.")
        .sample(&[], st.readings_written);
    family(&mut out, "driftvakt_store_transactions_total", "counter", "Store transactions committed.")
        .sample(&[], st.transactions);
    family(&mut out, "driftvakt_store_write_errors_total", "counter", "Failed store write attempts.")
        .sample(&[], st.write_errors);
    family(&mut out, "driftvakt_store_readings_lost_total", "counter", "Readings lost: over the in-memory bound while the store could not commit, or not committed by the stop deadline.")
        .sample(&[], st.readings_lost);
    family(&mut out, "driftvakt_store_failing", "gauge", "1 while the store cannot commit readings or alarm changes (disk full, locked), else 0.")
        .sample(&[], u8::from(st.failing_since_ms.is_some()));
    family(&mut out, "driftvakt_store_readings_held", "gauge", "Readings held in memory because the store could not commit them yet (retried every second).")
        .sample(&[], st.readings_held);
    family(&mut out, "driftvakt_store_alarm_writes_held", "gauge", "Alarm changes, journal entries and delivery records held in memory because the store could not commit them yet.")
        .sample(&[], st.alarm_writes_held);

    let sinks = &s.sinks;
    let label = |h: &SinkStatus| [("sink", h.id.clone()), ("kind", h.kind.clone())];
    {
        let mut f = family(&mut out, "driftvakt_sink_delivered_total", "counter", "Readings the sink's server acknowledged.");
        for h in sinks {
            let l = label(h);
            f.sample(&[(l[0].0, &l[0].1), (l[1].0, &l[1].1)], h.delivered);
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
                ("pruned", h.dropped_pruned),
                ("backlog_limit", h.dropped_backlog),
                ("rejected", h.rejected),
            ] {
                f.sample(&[(l[0].0, &l[0].1), (l[1].0, &l[1].1), ("reason", reason)], n);
            }
        }
    }
    type Gauge = (&'static str, &'static str, &'static str, fn(&SinkStatus) -> f64);
    let gauges: [Gauge; 5] = [
        ("driftvakt_sink_write_errors_total", "counter", "Failed write attempts of the sink.", |h| h.write_errors as f64),
        ("driftvakt_sink_backlog_readings", "gauge", "Readings stored but not yet delivered by the sink.", |h| h.backlog as f64),
        ("driftvakt_sink_lag_seconds", "gauge", "Age of the oldest reading the sink has not delivered (0 when caught up).", |h| h.lag_ms as f64 / 1000.0),
        ("driftvakt_sink_up", "gauge", "1 if the sink's last write succeeded, else 0.", |h| f64::from(u8::from(h.up))),
        ("driftvakt_sink_last_success_timestamp_seconds", "gauge", "Unix time of the sink's last successful write (0 before the first).", |h| h.last_success_ms as f64 / 1000.0),
    ];
    for (name, kind, help, value) in gauges {
        let mut f = family(&mut out, name, kind, help);
        for h in sinks {
            let l = label(h);
            f.sample(&[(l[0].0, &l[0].1), (l[1].0, &l[1].1)], value(h));
        }
    }
    {
        let mut f = family(&mut out, "driftvakt_sink_last_error_info", "gauge", "1 with the text of the sink's last error, while its last write failed.");
        for h in sinks {
            if h.up {
                continue;
            }
            if let Some(e) = &h.last_error {
                let l = label(h);
                f.sample(&[(l[0].0, &l[0].1), (l[1].0, &l[1].1), ("error", e)], 1);
            }
        }
    }
    if let Some(n) = &s.notify {
        let mut f = family(&mut out, "driftvakt_notify_attempts_total", "counter", "Alarm notification attempts since the start, per channel and result (failed attempts are retried with backoff).");
        for c in &n.channels {
            f.sample(&[("channel", &c.channel), ("result", "sent")], c.sent);
            f.sample(&[("channel", &c.channel), ("result", "failed")], c.failed);
        }
        let mut f = family(&mut out, "driftvakt_notify_failures_total", "counter", "Failed alarm notification attempts since the start, per channel.");
        for c in &n.channels {
            f.sample(&[("channel", &c.channel)], c.failed);
        }
    }
    if let Some(a) = s.alarms {
        family(&mut out, "driftvakt_alarms_active", "gauge", "Alarms in alarm (acknowledged or not), shelved ones excluded.").sample(&[], a.active);
        family(&mut out, "driftvakt_alarms_unacknowledged", "gauge", "Alarms (active or cleared) waiting for an acknowledgement.").sample(&[], a.unacknowledged);
        family(&mut out, "driftvakt_alarms_shelved", "gauge", "Shelved alarms.").sample(&[], a.shelved);
    }
    if let Some(x) = &s.exercise {
        let mut f = family(&mut out, "driftvakt_exercise_active", "gauge", "1 for the kind of the running exercise or outage run (monthly, island, loadbank, outage), 0 for the other kinds.");
        for kind in ExerciseKind::ALL {
            f.sample(&[("kind", kind.key())], u8::from(x.active_kind.as_deref() == Some(kind.key())));
        }
        let mut f = family(&mut out, "driftvakt_exercise_commands_total", "counter", "Messages on the exercise MQTT command topic, by outcome: accepted (carried out), refused (malformed, wrong or missing token, not a command, or refused by the exercise service).");
        f.sample(&[("outcome", "accepted")], x.commands_accepted);
        f.sample(&[("outcome", "refused")], x.commands_refused);
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};
    use std::sync::Arc;
    use std::sync::atomic::Ordering;

    use driftvakt_domain::exercise::Run;
    use driftvakt_drivers::SourceStats;
    use driftvakt_drivers::bacnet::{BacnetStats, Rejected};
    use driftvakt_drivers::modbus::ConnectionStats;
    use driftvakt_store::WriterStats;

    use super::*;
    use crate::exercise::mqtt_cmd::CommandStats;
    use crate::notify::NotifyStats;
    use crate::monitor::{AlarmCounts, DeviceReadings, Monitor, SinkHealth};

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

    /// A modbus connection `stallverk` (device g1) and a BACnet network `fastighet_bacnet`
    /// (device lb01), two sinks (one up, one down with an error that needs escaping), the store,
    /// notifications and alarms, every one with some counts: the snapshot at `1_002_500`.
    fn snapshot() -> Snapshot {
        let config = driftvakt_config::parse_str(
            "[site]\nid = \"referenssjukhuset\"\nname = \"S\"\n\
             [[connections]]\nid = \"stallverk\"\nhost = \"127.0.0.1\"\n\
             [[bacnet_networks]]\nid = \"fastighet_bacnet\"\nbind = \"127.0.0.1:0\"\n\
             [[devices]]\nid = \"g1\"\nconnection = \"stallverk\"\nunit_id = 1\nsystem = \"reservkraft\"\n\
             [[devices.points]]\nid = \"p\"\ntable = \"holding\"\naddress = 0\ntype = \"u16\"\nunit = \"\"\n\
             [[devices]]\nid = \"lb01\"\nnetwork = \"fastighet_bacnet\"\ninstance = 1\naddress = \"127.0.0.1:47808\"\nsystem = \"ventilation\"\n\
             [[devices.points]]\nid = \"t\"\nname = \"T\"\nobject = \"analog-input:1\"\n",
            "t.toml",
        )
        .config
        .expect("config");
        let devices = DeviceReadings::new(&config, &driftvakt_drivers::sources(&config));
        let lb01 = &devices.all()[1];
        lb01.readings.store(40, Ordering::Relaxed);
        lb01.not_good.store(3, Ordering::Relaxed);
        lb01.last_reading_ms.store(1_001_000, Ordering::Relaxed);

        let conn = Arc::new(ConnectionStats::new("stallverk"));
        conn.timeouts.store(3, Ordering::Relaxed);
        conn.register("g1").timeouts.store(2, Ordering::Relaxed);
        let bac = Arc::new(BacnetStats::new("fastighet_bacnet"));
        bac.cov_notifications.store(9, Ordering::Relaxed);
        bac.reject(Rejected::ForeignAddress);
        let lb01_requests = bac.register_device("lb01", "127.0.0.1:47808".parse().expect("addr"), None);
        lb01_requests.requests.store(12, Ordering::Relaxed);
        lb01_requests.errors.store(1, Ordering::Relaxed);

        let store = WriterStats::default();
        store.readings_written.store(1234, Ordering::Relaxed);
        store.transactions.store(17, Ordering::Relaxed);
        store.alarms_failing_since_ms.store(999_000, Ordering::Relaxed);
        store.readings_held.store(5, Ordering::Relaxed);

        let up = Arc::new(SinkHealth::new("region", "influxdb_v2"));
        up.record_delivery(500, 1_000_000);
        up.backlog.store(7, Ordering::Relaxed);
        up.oldest_pending_ms.store(1_000_000, Ordering::Relaxed);
        let down = Arc::new(SinkHealth::new("old\"db", "influxdb_v1"));
        down.record_error("connection refused\nby \\ 127.0.0.1:1 \"x\"".into(), 1_000_500);
        down.dropped_pruned.store(11, Ordering::Relaxed);
        down.dropped_backlog.store(4, Ordering::Relaxed);
        down.rejected.store(2, Ordering::Relaxed);

        let notify = NotifyStats::default();
        notify.channel("email").expect("e-mail counters").failed.store(2, Ordering::Relaxed);
        notify.channel("mqtt").expect("MQTT counters").sent.store(6, Ordering::Relaxed);

        let (_run, active) = tokio::sync::watch::channel(Some(Run {
            id: 3,
            kind: ExerciseKind::Outage,
            name: "Avbrott".into(),
            started_by: "driftvakt".into(),
            started_ms: 900_000,
            stopped_ms: None,
            stopped_by: None,
            notes: Vec::new(),
        }));
        let commands = CommandStats::default();
        commands.accepted.store(4, Ordering::Relaxed);
        commands.refused.store(1, Ordering::Relaxed);

        let monitor = Monitor {
            site: Arc::from("referenssjukhuset"),
            sources: Arc::from(vec![conn as Arc<dyn SourceStats>, bac]),
            devices: Arc::new(devices),
            store: Arc::new(store),
            sinks: Arc::from(vec![up, down]),
            notify: Some(Arc::new(notify)),
            exercise: Some(active),
            exercise_commands: Some(Arc::new(commands)),
        };
        monitor.snapshot(Some(AlarmCounts { active: 3, unacknowledged: 1, shelved: 2 }), 1_002_500)
    }

    /// Every metric name, label, value and HELP text, as `testdata/metrics.prom` has them (the
    /// version label as `{version}`). A change here changes what Prometheus scrapes.
    #[test]
    fn the_text_is_exactly_the_golden_file() {
        let text = render(&snapshot()).replace(env!("CARGO_PKG_VERSION"), "{version}");
        let golden = include_str!("testdata/metrics.prom");
        for (no, (got, want)) in text.lines().zip(golden.lines()).enumerate() {
            assert_eq!(got, want, "line {}", no + 1);
        }
        assert_eq!(text, golden);
    }

    #[test]
    fn the_text_of_a_json_round_trip_is_the_same() {
        let snap = snapshot();
        let back: Snapshot = serde_json::from_str(&serde_json::to_string(&snap).expect("json")).expect("parse");
        assert_eq!(render(&back), render(&snap));
    }

    #[test]
    fn every_counter_renders_as_valid_prometheus_text() {
        let text = render(&snapshot());
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
        assert_eq!(m["driftvakt_exercise_active{kind=\"outage\"}"], 1.0);
        assert_eq!(m["driftvakt_exercise_active{kind=\"monthly\"}"], 0.0);
        assert_eq!(m["driftvakt_exercise_commands_total{outcome=\"refused\"}"], 1.0);
    }

    #[test]
    fn the_exercise_families_follow_the_service() {
        let mut snap = snapshot();
        let x = snap.exercise.as_mut().expect("exercise");
        (x.active_run, x.active_kind, x.active_since_ms) = (None, None, None);
        let m = parse(&render(&snap)).expect("valid text");
        for kind in ExerciseKind::ALL {
            assert_eq!(m[&format!("driftvakt_exercise_active{{kind=\"{}\"}}", kind.key())], 0.0, "{kind:?}");
        }
        snap.exercise = None;
        assert!(!render(&snap).contains("driftvakt_exercise_"), "no [exercise], no exercise families");
    }

    #[test]
    fn sources_of_one_protocol_share_their_families() {
        let (a, b) = (ConnectionStats::new("a"), ConnectionStats::new("b"));
        a.register("g1");
        b.register("g2").requests.store(4, Ordering::Relaxed);
        let monitor = Monitor {
            site: Arc::from("s"),
            sources: Arc::from(vec![Arc::new(a) as Arc<dyn SourceStats>, Arc::new(b)]),
            devices: Arc::new(DeviceReadings::default()),
            store: Arc::new(WriterStats::default()),
            sinks: Arc::from(Vec::new()),
            notify: None,
            exercise: None,
            exercise_commands: None,
        };
        let mut out = String::new();
        source_families(&mut out, &monitor.snapshot(None, 0).links);
        assert_eq!(out.matches("# TYPE driftvakt_modbus_requests_total counter").count(), 1, "{out}");
        let m = parse(&out).unwrap_or_else(|e| panic!("{e}\n{out}"));
        assert_eq!(m["driftvakt_modbus_requests_total{connection=\"b\",device=\"g2\"}"], 4.0);
        assert_eq!(m["driftvakt_modbus_timeouts_total{connection=\"a\"}"], 0.0);
    }

    #[test]
    fn the_parse_check_catches_malformed_text() {
        assert!(parse("x_total 1\n").is_err(), "sample without TYPE");
        assert!(parse("# TYPE x counter\nx 1\n").is_err(), "counter without _total");
        assert!(parse("# TYPE x gauge\nx{a=\"1} 1\n").is_err(), "unterminated label");
        assert!(parse("# TYPE x gauge\nx 1\nx 2\n").is_err(), "repeated series");
        assert!(parse("# TYPE x gauge\nx one\n").is_err(), "not a number");
    }}
