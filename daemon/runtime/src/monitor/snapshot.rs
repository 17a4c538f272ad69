//! The one [`Snapshot`] of every counter at one moment ([`Monitor::snapshot`]): plain data, the
//! JSON of `GET /api/status`, and what the Prometheus text (`super::prometheus`) and the
//! `driftvakt status` tables are rendered from.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use driftvakt_domain::alarm::AlarmRecord;
use serde::{Deserialize, Serialize};

use super::Monitor;
use super::counters::SinkHealth;

/// One source (a Modbus connection, a BACnet network …) in the status report.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LinkStatus {
    /// The protocol (`modbus`, `bacnet` …).
    pub protocol: String,
    /// Connection or network id.
    pub id: String,
    /// The source's counters in table order, as `[key, value]` pairs (`requests`, `errors`,
    /// `timeouts`, then the protocol's own, e.g. `reconnects` or `cov_notifications`).
    pub counters: Vec<(String, u64)>,
    /// Datagrams rejected (forged or stray COV notifications, garbage), per reason with a count
    /// above 0 (BACnet: `foreign_address`, `unknown_process`, `unsubscribed_object`,
    /// `malformed`).
    #[serde(default)]
    pub rejected: BTreeMap<String, u64>,
    /// The source's Prometheus counter families (sources of one protocol list the same ones).
    #[serde(default)]
    pub metrics: Vec<MetricFamily>,
}

/// One Prometheus counter family of a source (its name ends in `_total`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct MetricFamily {
    /// Full metric name, e.g. `driftvakt_modbus_timeouts_total`.
    pub name: String,
    /// The HELP text.
    pub help: String,
    /// Its samples from this source.
    pub samples: Vec<MetricSample>,
}

/// One sample of a [`MetricFamily`].
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct MetricSample {
    /// Label names and values, in output order.
    pub labels: Vec<(String, String)>,
    /// The counter's value.
    pub value: u64,
}

/// One device in the status report.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DeviceStatus {
    /// Device id.
    pub id: String,
    /// Connection or BACnet network id.
    pub link: String,
    /// The protocol of its source (`modbus`, `bacnet` …).
    pub protocol: String,
    /// Readings stored.
    pub readings: u64,
    /// Readings with a quality other than good.
    pub not_good: u64,
    /// Time of the newest reading, UTC ms (0 before the first).
    pub last_reading_ms: i64,
    /// Requests sent to the device (Modbus reads; BACnet confirmed requests, each retry
    /// counted); None when the device has no counters.
    pub requests: Option<u64>,
    /// Of those, the ones that failed (timeouts, exceptions or Error/Reject/Abort answers).
    pub request_errors: Option<u64>,
}

/// One sink in the status report.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SinkStatus {
    /// Sink id.
    pub id: String,
    /// Kind (`influxdb_v2`, `influxdb_v1`, `mqtt`).
    pub kind: String,
    /// Whether the last write succeeded.
    pub up: bool,
    /// Readings delivered since the start.
    pub delivered: u64,
    /// Readings dropped for any reason (the sum of the three below).
    pub dropped: u64,
    /// Of those, pruned from the store (raw retention) before they were delivered.
    #[serde(default)]
    pub dropped_pruned: u64,
    /// Of those, skipped because the backlog exceeded `max_backlog_readings`.
    #[serde(default)]
    pub dropped_backlog: u64,
    /// Of those, in batches the server rejected as malformed (HTTP 400).
    #[serde(default)]
    pub rejected: u64,
    /// Readings stored but not yet delivered.
    pub backlog: u64,
    /// Age of the oldest undelivered reading, ms (0 when caught up).
    pub lag_ms: i64,
    /// Failed write attempts.
    pub write_errors: u64,
    /// Time of the last successful write, UTC ms (0 before the first).
    pub last_success_ms: i64,
    /// Text of the last error, if any.
    pub last_error: Option<String>,
}

/// The store in the status report.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct StoreStatus {
    /// Readings committed.
    pub readings_written: u64,
    /// Transactions committed.
    #[serde(default)]
    pub transactions: u64,
    /// Failed write attempts.
    pub write_errors: u64,
    /// Readings lost (over the in-memory bound while failing, or at the stop deadline).
    pub readings_lost: u64,
    /// Since when the store cannot commit, UTC ms (None while it commits).
    #[serde(default)]
    pub failing_since_ms: Option<i64>,
    /// Readings held in memory, waiting for the store.
    #[serde(default)]
    pub readings_held: u64,
    /// Alarm changes and delivery records held in memory, waiting for the store.
    #[serde(default)]
    pub alarm_writes_held: u64,
}

/// Notification attempts in the status report.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct NotifyStatus {
    /// E-mails delivered.
    pub email_sent: u64,
    /// E-mail attempts that failed.
    pub email_failed: u64,
    /// MQTT notifications delivered.
    pub mqtt_sent: u64,
    /// MQTT notification attempts that failed.
    pub mqtt_failed: u64,
    /// Every notifier kind (`email`, `mqtt` …) with its counts, in registration order: what
    /// `/metrics` renders, so a new kind needs no change here.
    #[serde(default)]
    pub channels: Vec<ChannelStatus>,
}

/// Notification attempts of one notifier kind.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ChannelStatus {
    /// The notifier's key (`email`, `mqtt` …).
    pub channel: String,
    /// Notifications the server acknowledged.
    pub sent: u64,
    /// Attempts that failed.
    pub failed: u64,
}

/// The exercise service in the status report.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct ExerciseStatus {
    /// The running run's id (None when none runs).
    pub active_run: Option<i64>,
    /// Its kind: `monthly`, `island`, `loadbank` or `outage`.
    pub active_kind: Option<String>,
    /// Its start, UTC ms.
    pub active_since_ms: Option<i64>,
    /// Commands on the MQTT command topic the actor carried out.
    pub commands_accepted: u64,
    /// Messages on the MQTT command topic refused (malformed, unauthenticated, refused by the actor).
    pub commands_refused: u64,
}

/// Alarm counts at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlarmCounts {
    /// Alarms in alarm (acknowledged or not), shelved ones excluded.
    pub active: u64,
    /// Alarms (active or cleared) waiting for an acknowledgement.
    pub unacknowledged: u64,
    /// Shelved alarms.
    pub shelved: u64,
}

impl AlarmCounts {
    /// The counts of `records` at `now_ms`.
    pub fn of(records: &[AlarmRecord], now_ms: i64) -> AlarmCounts {
        let mut c = AlarmCounts::default();
        for r in records {
            if r.is_shelved(now_ms) {
                c.shelved += 1;
                continue;
            }
            if r.state.is_active() {
                c.active += 1;
            }
            if r.state.is_unacked() {
                c.unacknowledged += 1;
            }
        }
        c
    }
}

/// Every counter of the daemon at one moment: the JSON of `GET /api/status`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Snapshot {
    /// Site id.
    pub site: String,
    /// driftvakt version.
    pub version: String,
    /// When the report was made, UTC ms.
    pub time_ms: i64,
    /// Every source (Modbus connections, BACnet networks …), in start order.
    pub links: Vec<LinkStatus>,
    /// Every device.
    pub devices: Vec<DeviceStatus>,
    /// Every sink.
    pub sinks: Vec<SinkStatus>,
    /// The embedded store.
    pub store: StoreStatus,
    /// Alarm counts (None when the alarm service does not answer).
    pub alarms: Option<AlarmCounts>,
    /// Notification attempts (None without the alarm service).
    pub notify: Option<NotifyStatus>,
    /// The exercise service (None when the daemon has no `[exercise]`).
    #[serde(default)]
    pub exercise: Option<ExerciseStatus>,
}

impl Snapshot {
    /// The sources grouped by protocol, the protocols in the order their first source started
    /// (one table each in `driftvakt status` and on the health page).
    pub fn links_by_protocol(&self) -> Vec<(&str, Vec<&LinkStatus>)> {
        let mut groups: Vec<(&str, Vec<&LinkStatus>)> = Vec::new();
        for l in &self.links {
            match groups.iter_mut().find(|(p, _)| *p == l.protocol) {
                Some((_, v)) => v.push(l),
                None => groups.push((&l.protocol, vec![l])),
            }
        }
        groups
    }
}

fn get(a: &AtomicU64) -> u64 {
    a.load(Ordering::Relaxed)
}

impl SinkHealth {
    /// A copy of every counter at `now_ms` (for the status snapshot and the stop log).
    pub fn snapshot(&self, now_ms: i64) -> SinkStatus {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        SinkStatus {
            id: self.id.clone(),
            kind: self.kind.clone(),
            up: self.up.load(Ordering::Relaxed),
            delivered: get(&self.delivered),
            dropped: self.dropped(),
            dropped_pruned: get(&self.dropped_pruned),
            dropped_backlog: get(&self.dropped_backlog),
            rejected: get(&self.rejected),
            backlog: get(&self.backlog),
            lag_ms: self.lag_ms(now_ms),
            write_errors: get(&self.write_errors),
            last_success_ms: self.last_success_ms.load(Ordering::Relaxed),
            last_error: self.last_error(),
        }
    }
}

impl Monitor {
    /// Every counter now, with `alarms` if known.
    pub fn snapshot(&self, alarms: Option<AlarmCounts>, now_ms: i64) -> Snapshot {
        let sources: Vec<_> = self.sources.iter().map(|s| s.source_snapshot()).collect();
        let devices = self
            .devices
            .all()
            .iter()
            .map(|d| {
                let counted = sources
                    .iter()
                    .flat_map(|s| &s.devices)
                    .find(|c| c.device == d.device);
                DeviceStatus {
                    id: d.device.clone(),
                    link: d.link.clone(),
                    protocol: d.protocol.to_string(),
                    readings: get(&d.readings),
                    not_good: get(&d.not_good),
                    last_reading_ms: d.last_reading_ms.load(Ordering::Relaxed),
                    requests: counted.map(|c| c.requests),
                    request_errors: counted.map(|c| c.errors),
                }
            })
            .collect();
        Snapshot {
            site: self.site.to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            time_ms: now_ms,
            links: sources
                .iter()
                .map(|s| LinkStatus {
                    protocol: s.protocol.to_string(),
                    id: s.link.clone(),
                    counters: s.counters.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
                    rejected: s
                        .rejected
                        .iter()
                        .filter(|(_, n)| *n > 0)
                        .map(|(k, n)| (k.to_string(), *n))
                        .collect(),
                    metrics: s
                        .metrics
                        .iter()
                        .map(|m| MetricFamily {
                            name: m.name.to_string(),
                            help: m.help.to_string(),
                            samples: m
                                .samples
                                .iter()
                                .map(|x| MetricSample {
                                    labels: x.labels.iter().map(|(k, v)| (k.to_string(), v.clone())).collect(),
                                    value: x.value,
                                })
                                .collect(),
                        })
                        .collect(),
                })
                .collect(),
            devices,
            sinks: self.sinks.iter().map(|h| h.snapshot(now_ms)).collect(),
            store: StoreStatus {
                readings_written: get(&self.store.readings_written),
                transactions: get(&self.store.transactions),
                write_errors: get(&self.store.write_errors),
                readings_lost: get(&self.store.readings_lost),
                failing_since_ms: self.store.failing_since_ms(),
                readings_held: get(&self.store.readings_held),
                alarm_writes_held: get(&self.store.alarm_writes_held),
            },
            alarms,
            notify: self.notify.as_ref().map(|n| NotifyStatus {
                email_sent: n.sent("email"),
                email_failed: n.failed("email"),
                mqtt_sent: n.sent("mqtt"),
                mqtt_failed: n.failed("mqtt"),
                channels: n
                    .channels()
                    .map(|(channel, _)| ChannelStatus { channel: channel.to_string(), sent: n.sent(channel), failed: n.failed(channel) })
                    .collect(),
            }),
            exercise: self.exercise.as_ref().map(|active| {
                let run = active.borrow();
                let run = run.as_ref();
                let commands = self.exercise_commands.as_deref();
                ExerciseStatus {
                    active_run: run.map(|r| r.id),
                    active_kind: run.map(|r| r.kind.key().to_string()),
                    active_since_ms: run.map(|r| r.started_ms),
                    commands_accepted: commands.map_or(0, |c| get(&c.accepted)),
                    commands_refused: commands.map_or(0, |c| get(&c.refused)),
                }
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use driftvakt_config::model::ExerciseKind;
    use driftvakt_domain::exercise::Run;
    use driftvakt_drivers::SourceStats;
    use driftvakt_store::WriterStats;

    use super::*;
    use crate::exercise::mqtt_cmd::CommandStats;
    use crate::notify::NotifyStats;
    use crate::monitor::{DeviceReadings, SinkHealth};

    #[test]
    fn the_snapshot_round_trips_through_json() {
        let sink = Arc::new(SinkHealth::new("region", "mqtt"));
        sink.record_delivery(10, 1000);
        sink.backlog.store(4, Ordering::Relaxed);
        sink.oldest_pending_ms.store(1500, Ordering::Relaxed);
        let gw = driftvakt_drivers::modbus::ConnectionStats::new("gw");
        gw.register("g1").requests.store(3, Ordering::Relaxed);
        let (_run, active) = tokio::sync::watch::channel(Some(Run {
            id: 3,
            kind: ExerciseKind::Outage,
            name: "Avbrott".into(),
            started_by: "driftvakt".into(),
            started_ms: 1500,
            stopped_ms: None,
            stopped_by: None,
            notes: Vec::new(),
        }));
        let commands = Arc::new(CommandStats::default());
        commands.accepted.store(4, Ordering::Relaxed);
        commands.refused.store(1, Ordering::Relaxed);
        let m = Monitor {
            site: Arc::from("s"),
            sources: Arc::from(vec![Arc::new(gw) as Arc<dyn SourceStats>]),
            devices: Arc::new(DeviceReadings::default()),
            store: Arc::new(WriterStats::default()),
            sinks: Arc::from(vec![sink]),
            notify: Some(Arc::new(NotifyStats::default())),
            exercise: Some(active),
            exercise_commands: Some(commands),
        };
        let r = m.snapshot(Some(AlarmCounts { active: 2, unacknowledged: 1, shelved: 0 }), 2000);
        assert_eq!((r.sinks[0].backlog, r.sinks[0].lag_ms, r.sinks[0].delivered), (4, 500, 10));
        assert!(r.links[0].metrics.iter().any(|f| f.name == "driftvakt_modbus_requests_total"));
        assert_eq!(
            r.exercise,
            Some(ExerciseStatus {
                active_run: Some(3),
                active_kind: Some("outage".into()),
                active_since_ms: Some(1500),
                commands_accepted: 4,
                commands_refused: 1,
            })
        );
        let back: Snapshot = serde_json::from_str(&serde_json::to_string(&r).expect("json")).expect("parse");
        assert_eq!(back, r);
        assert!(
            crate::monitor::prometheus::render(&back)
                .contains("driftvakt_sink_backlog_readings{sink=\"region\",kind=\"mqtt\"} 4")
        );
    }

    #[test]
    fn an_older_daemons_json_without_exercise_still_reads() {
        let m = Monitor {
            site: Arc::from("s"),
            sources: Arc::from(Vec::new()),
            devices: Arc::new(DeviceReadings::default()),
            store: Arc::new(WriterStats::default()),
            sinks: Arc::from(Vec::new()),
            notify: None,
            exercise: None,
            exercise_commands: None,
        };
        let r = m.snapshot(None, 0);
        let mut json = serde_json::to_value(&r).expect("json");
        json.as_object_mut().expect("object").remove("exercise");
        let back: Snapshot = serde_json::from_value(json).expect("parse");
        assert_eq!(back, r);
        assert_eq!(back.exercise, None);
    }
}
