//! Every counter of the running daemon in one cloneable handle ([`Monitor`]): rendered as
//! Prometheus text for `GET /metrics`, and as the JSON [`StatusReport`] of `GET /api/status`
//! that `driftvakt status` prints.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use driftvakt_drivers::SourceStats;
use serde::{Deserialize, Serialize};

use crate::alarm::service::NotifyStats;
use crate::health::{AlarmCounts, DeviceReadings, HealthSources, SinkHealth, render_prometheus};
use driftvakt_store::WriterStats;

/// The daemon's counters (all shared with the components that update them).
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
    /// Readings dropped (pruned, over the backlog bound, rejected).
    pub dropped: u64,
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
}

/// `GET /api/status`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StatusReport {
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
}

fn get(a: &AtomicU64) -> u64 {
    a.load(Ordering::Relaxed)
}

impl Monitor {
    /// Prometheus text of every counter, with `alarms` if known.
    pub fn render(&self, alarms: Option<AlarmCounts>, now_ms: i64) -> String {
        let sources: Vec<_> = self.sources.iter().map(|s| s.source_snapshot()).collect();
        render_prometheus(&HealthSources {
            site: &self.site,
            sources: &sources,
            devices: self.devices.all(),
            store: &self.store,
            sinks: &self.sinks,
            notify: self.notify.as_deref(),
            alarms,
            now_ms,
        })
    }

    /// The status report, with `alarms` if known.
    pub fn report(&self, alarms: Option<AlarmCounts>, now_ms: i64) -> StatusReport {
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
        StatusReport {
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
                })
                .collect(),
            devices,
            sinks: self
                .sinks
                .iter()
                .map(|h| {
                    let s = h.snapshot(now_ms);
                    SinkStatus {
                        id: s.id,
                        kind: s.kind,
                        up: s.up,
                        delivered: s.delivered,
                        dropped: s.dropped,
                        backlog: s.backlog,
                        lag_ms: s.lag_ms,
                        write_errors: get(&h.write_errors),
                        last_success_ms: h.last_success_ms.load(Ordering::Relaxed),
                        last_error: s.last_error,
                    }
                })
                .collect(),
            store: StoreStatus {
                readings_written: get(&self.store.readings_written),
                write_errors: get(&self.store.write_errors),
                readings_lost: get(&self.store.readings_lost),
                failing_since_ms: self.store.failing_since_ms(),
                readings_held: get(&self.store.readings_held),
                alarm_writes_held: get(&self.store.alarm_writes_held),
            },
            alarms,
            notify: self.notify.as_ref().map(|n| NotifyStatus {
                email_sent: get(&n.email_sent),
                email_failed: get(&n.email_failed),
                mqtt_sent: get(&n.mqtt_sent),
                mqtt_failed: get(&n.mqtt_failed),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_round_trips_through_json() {
        let sink = Arc::new(SinkHealth::new("region", "mqtt"));
        sink.record_delivery(10, 1000);
        sink.backlog.store(4, Ordering::Relaxed);
        sink.oldest_pending_ms.store(1500, Ordering::Relaxed);
        let m = Monitor {
            site: Arc::from("s"),
            sources: Arc::from(vec![Arc::new(
                driftvakt_drivers::modbus::ConnectionStats::new("gw"),
            ) as Arc<dyn SourceStats>]),
            devices: Arc::new(DeviceReadings::default()),
            store: Arc::new(WriterStats::default()),
            sinks: Arc::from(vec![sink]),
            notify: Some(Arc::new(NotifyStats::default())),
        };
        let r = m.report(
            Some(AlarmCounts {
                active: 2,
                unacknowledged: 1,
                shelved: 0,
            }),
            2000,
        );
        assert_eq!(
            (r.sinks[0].backlog, r.sinks[0].lag_ms, r.sinks[0].delivered),
            (4, 500, 10)
        );
        let back: StatusReport =
            serde_json::from_str(&serde_json::to_string(&r).expect("json")).expect("parse");
        assert_eq!(back, r);
        assert!(
            m.render(None, 2000)
                .contains("driftvakt_sink_backlog_readings{sink=\"region\",kind=\"mqtt\"} 4")
        );
    }
}
