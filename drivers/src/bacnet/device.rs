//! One task per BACnet device: poll by ReadPropertyMultiple, or subscribe to changes of value
//! with a finite lifetime, renew before it ends, and check by polling that the subscription is
//! still alive.
//!
//! COV life cycle (per device, all its COV objects together):
//! 1. read every point once, then SubscribeCOV each object with `lifetime_s`;
//! 2. renew (subscribe again) when `renew_at_fraction` of the lifetime has passed;
//! 3. every `check_interval_s`, read every point (the check poll). Subscribe again at once when
//!    the device did not answer a check since the last subscription (network loss, power cut)
//!    or when a value changed without a notification for it (the device restarted and forgot
//!    its subscriptions);
//! 4. objects whose subscription the device refuses are polled every `poll_interval_ms`.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use driftvakt_config::model::{BacnetSource, CovSettings, Device, Point};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::bacnet::client::{Client, CovRoute, Reply, Target};
use crate::bacnet::convert::{self, flags_of, reliability_of};
use crate::bacnet::encoding::AppValue;
use crate::bacnet::reader::{BatchReader, Results, read_property, whole};
use crate::bacnet::services::{CovNotification, PropertyRef, ReadAccessSpec, ReadRequest};
use crate::bacnet::stats::BacnetStats;
use crate::bacnet::types::{ObjectId, PropertyId, unit_text};
use crate::log_limit::{LogLimit, WARN_EVERY};
use driftvakt_domain::clock::{Clock, SystemClock};
use driftvakt_domain::{Quality, Reading};

/// A point with its shared id.
struct Slot {
    point: Point,
    source: BacnetSource,
    id: Arc<str>,
}

/// What COV knows about one subscribed object.
#[derive(Debug, Default)]
struct CovObject {
    /// Whether the device accepted the last SubscribeCOV.
    subscribed: bool,
    /// Whether the device refused subscriptions for it (polled instead).
    refused: bool,
    /// Last present-value seen (notification or poll).
    last_value: Option<AppValue>,
    /// Whether a notification arrived since the last check poll.
    notified: bool,
}

/// The device task's state.
struct DeviceTask {
    client: Arc<Client>,
    device: Device,
    target: Target,
    slots: Vec<Slot>,
    specs: Vec<ReadAccessSpec>,
    reader: BatchReader,
    cov: Option<CovSettings>,
    cov_objects: BTreeMap<ObjectId, CovObject>,
    /// The device did not answer since the last subscription: subscribe again when it does.
    lost: bool,
    units_read: bool,
    tx: mpsc::Sender<Vec<Reading>>,
    /// Rate limit of this device's repeated warnings, per kind.
    log: LogLimit<&'static str>,
}

/// Poll (or subscribe to) one BACnet device until `cancel`; readings go to `tx`.
pub async fn run_device(
    client: Arc<Client>,
    device: Device,
    tx: mpsc::Sender<Vec<Reading>>,
    cancel: CancellationToken,
) {
    let Some(link) = device.bacnet().cloned() else {
        tracing::error!(device = %device.id, "not a BACnet device");
        return;
    };
    let target = Target::new(link.address, link.route.as_ref(), link.max_apdu_bytes);
    let slots: Vec<Slot> = device
        .points
        .iter()
        .filter_map(|p| {
            Some(Slot {
                source: *p.bacnet()?,
                id: Arc::from(p.id.as_str()),
                point: p.clone(),
            })
        })
        .collect();
    // Group by object: the points' properties plus status-flags where the object has them.
    let mut by_object: BTreeMap<ObjectId, Vec<PropertyRef>> = BTreeMap::new();
    for s in &slots {
        let props = by_object.entry(s.source.object).or_default();
        let p = PropertyRef::whole(s.source.property);
        if !props.contains(&p) {
            props.push(p);
        }
        let flags = PropertyRef::whole(PropertyId::STATUS_FLAGS);
        if s.source.object.object_type.has_status_flags() && !props.contains(&flags) {
            props.push(flags);
        }
    }
    let max_props = by_object.values().map(Vec::len).max().unwrap_or(1);
    let specs: Vec<ReadAccessSpec> = by_object
        .into_iter()
        .map(|(object, properties)| ReadAccessSpec { object, properties })
        .collect();
    let cov_objects: BTreeMap<ObjectId, CovObject> = if link.cov.is_some() {
        slots
            .iter()
            .filter(|s| {
                s.source.property == PropertyId::PRESENT_VALUE
                    && s.source.object.object_type.has_status_flags()
            })
            .map(|s| (s.source.object, CovObject::default()))
            .collect()
    } else {
        BTreeMap::new()
    };
    let mut task = DeviceTask {
        reader: BatchReader::new(link.max_apdu_bytes, max_props),
        client,
        target,
        slots,
        specs,
        cov: link.cov,
        cov_objects,
        lost: true,
        units_read: false,
        tx,
        device,
        log: LogLimit::new(WARN_EVERY),
    };
    tracing::info!(device = %task.device.id, address = %task.target.addr, instance = link.instance, points = task.slots.len(), cov = task.cov.is_some(), "polling BACnet device");
    task.run(cancel).await;
}

impl DeviceTask {
    /// Time until the next poll: the check interval when every point is covered by a live
    /// subscription, else the poll interval.
    fn poll_every(&self) -> Duration {
        let interval = self.device.poll_interval.max(Duration::from_millis(1));
        let Some(cov) = self.cov else { return interval };
        let all_covered = !self.lost
            && self.slots.iter().all(|s| {
                s.source.property == PropertyId::PRESENT_VALUE
                    && self
                        .cov_objects
                        .get(&s.source.object)
                        .is_some_and(|o| o.subscribed)
            });
        if all_covered {
            cov.check_interval
        } else {
            interval.min(cov.check_interval)
        }
    }

    async fn run(&mut self, cancel: CancellationToken) {
        let instance = self.device.bacnet().map_or(0, |l| l.instance);
        let mut route: Option<CovRoute> = self.cov.map(|_| {
            self.client
                .cov_route(&self.target, instance, self.cov_objects.keys().copied())
        });
        let mut next_poll = Instant::now();
        let far = Duration::from_secs(86_400 * 365);
        let mut next_renew = Instant::now() + far;
        loop {
            let notification = async {
                match route.as_mut() {
                    Some(r) => r.rx.recv().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                () = cancel.cancelled() => break,
                () = tokio::time::sleep_until(next_poll) => {
                    // A request in flight must not delay shutdown: every step races `cancel`.
                    let answered = tokio::select! {
                        () = cancel.cancelled() => break,
                        a = self.poll() => a,
                    };
                    if let (Some(cov), Some(r)) = (self.cov, route.as_ref()) {
                        if !answered {
                            self.lost = true;
                        } else if self.lost || self.dead_subscription() {
                            tokio::select! {
                                () = cancel.cancelled() => break,
                                () = self.subscribe(r.process_id, cov) => {}
                            }
                            next_renew = Instant::now() + cov.renew_after();
                        }
                        for o in self.cov_objects.values_mut() {
                            o.notified = false;
                        }
                    }
                    next_poll = Instant::now() + self.poll_every();
                }
                () = tokio::time::sleep_until(next_renew) => {
                    if let (Some(cov), Some(r)) = (self.cov, route.as_ref()) {
                        tracing::debug!(device = %self.device.id, "renewing COV subscriptions");
                        tokio::select! {
                            () = cancel.cancelled() => break,
                            () = self.subscribe(r.process_id, cov) => {}
                        }
                        next_renew = Instant::now() + cov.renew_after();
                    } else {
                        next_renew = Instant::now() + far;
                    }
                }
                Some(n) = notification => {
                    tokio::select! {
                        () = cancel.cancelled() => break,
                        () = self.notified(n) => {}
                    }
                }
            }
        }
        drop(route.take());
    }

    /// Read every point; send the readings. Whether the device answered.
    async fn poll(&mut self) -> bool {
        let specs = self.specs.clone();
        let result = self.reader.read(&self.client, &self.target, &specs).await;
        let t = SystemClock.now_ms();
        let readings = match result {
            Ok(mut results) => {
                self.read_reliability(&mut results).await;
                let readings: Vec<Reading> = self
                    .slots
                    .iter()
                    .map(|s| self.reading_from(s, &results, t))
                    .collect();
                // The check poll's values are the reference the next check compares with.
                for (object, o) in &mut self.cov_objects {
                    let pv = results
                        .get(&whole(*object, PropertyId::PRESENT_VALUE))
                        .and_then(|r| r.as_ref().ok())
                        .and_then(|v| v.first().cloned());
                    if o.subscribed
                        && !o.notified
                        && o.last_value.is_some()
                        && pv.is_some()
                        && o.last_value != pv
                    {
                        tracing::info!(device = %self.device.id, %object, "value changed without a COV notification");
                        o.subscribed = false;
                    }
                    o.last_value = pv;
                }
                if !self.units_read {
                    self.units_read = true;
                    self.read_units().await;
                }
                readings
            }
            Err(e) => {
                if let Some(suppressed) = self.log.allow("no answer") {
                    tracing::warn!(
                        network = %link_network(&self.device), device = %self.device.id, address = %self.target.addr,
                        "BACnet device does not answer: {e}{suppressed}"
                    );
                }
                self.slots
                    .iter()
                    .map(|s| Reading {
                        point: s.id.clone(),
                        time_ms: t,
                        value: None,
                        quality: Quality::CommFail,
                    })
                    .collect()
            }
        };
        let answered =
            readings.iter().any(|r| r.quality != Quality::CommFail) || self.slots.is_empty();
        self.send(readings).await;
        answered
    }

    /// Whether the last check found a COV object whose subscription died.
    fn dead_subscription(&self) -> bool {
        self.cov_objects
            .values()
            .any(|o| !o.subscribed && !o.refused)
    }

    /// Objects with the fault flag: read their reliability to tell out-of-range from faults.
    async fn read_reliability(&mut self, results: &mut Results) {
        let faulted: Vec<ObjectId> = self
            .specs
            .iter()
            .map(|s| s.object)
            .filter(|o| {
                results
                    .get(&whole(*o, PropertyId::STATUS_FLAGS))
                    .and_then(|r| r.as_ref().ok())
                    .and_then(|v| flags_of(v))
                    .is_some_and(|f| f.fault)
            })
            .collect();
        if faulted.is_empty() {
            return;
        }
        let specs: Vec<ReadAccessSpec> = faulted
            .iter()
            .map(|o| ReadAccessSpec {
                object: *o,
                properties: vec![PropertyRef::whole(PropertyId::RELIABILITY)],
            })
            .collect();
        if let Ok(more) = self.reader.read(&self.client, &self.target, &specs).await {
            results.extend(more);
        }
    }

    /// Points configured without a unit: read `units` once and record it.
    async fn read_units(&mut self) {
        let missing: Vec<(Arc<str>, ObjectId)> = self
            .slots
            .iter()
            .filter(|s| {
                s.point.unit.is_empty()
                    && s.source.property == PropertyId::PRESENT_VALUE
                    && s.source.object.object_type.is_analog()
            })
            .map(|s| (s.id.clone(), s.source.object))
            .collect();
        if missing.is_empty() {
            return;
        }
        let specs: Vec<ReadAccessSpec> = missing
            .iter()
            .map(|(_, o)| ReadAccessSpec {
                object: *o,
                properties: vec![PropertyRef::whole(PropertyId::UNITS)],
            })
            .collect();
        let Ok(results) = self.reader.read(&self.client, &self.target, &specs).await else {
            return;
        };
        for (id, object) in missing {
            if let Some(Ok(v)) = results.get(&whole(object, PropertyId::UNITS))
                && let Some(AppValue::Enumerated(u)) = v.first()
            {
                let text = unit_text(*u).map_or_else(|| format!("units {u}"), str::to_string);
                if text.is_empty() {
                    continue;
                }
                tracing::info!(point = %id, unit = %text, "unit read from the device (not configured)");
                self.client.stats().set_unit(&id, &text);
            }
        }
    }

    fn reading_from(&self, s: &Slot, results: &Results, t: i64) -> Reading {
        let object = s.source.object;
        let flags = results
            .get(&whole(object, PropertyId::STATUS_FLAGS))
            .and_then(|r| r.as_ref().ok())
            .and_then(|v| flags_of(v));
        let rel = results
            .get(&whole(object, PropertyId::RELIABILITY))
            .and_then(|r| r.as_ref().ok())
            .and_then(|v| reliability_of(v));
        let value = results.get(&whole(object, s.source.property));
        if let Some(Err((class, code))) = value {
            tracing::debug!(point = %s.id, class, code, "device refused the property");
        }
        convert::reading(&s.point, &s.id, &s.source, value, flags, rel, t)
    }

    /// SubscribeCOV every COV object (first subscription or renewal).
    async fn subscribe(&mut self, process_id: u32, cov: CovSettings) {
        let lifetime_s = u32::try_from(cov.lifetime.as_secs())
            .unwrap_or(u32::MAX)
            .max(1);
        let was_lost = self.lost || self.dead_subscription();
        let objects: Vec<ObjectId> = self
            .cov_objects
            .iter()
            .filter(|(_, o)| !o.refused)
            .map(|(id, _)| *id)
            .collect();
        let mut any_answer = false;
        for object in objects {
            let req = ReadRequest::SubscribeCov {
                process_id,
                object,
                lifetime_s,
            };
            let result = self.client.request(&self.target, &req).await;
            let Some(o) = self.cov_objects.get_mut(&object) else {
                continue;
            };
            match result {
                Ok(Reply::SimpleAck) | Ok(Reply::ComplexAck(_)) => {
                    any_answer = true;
                    o.subscribed = true;
                    BacnetStats::bump(&self.client.stats().subscriptions);
                }
                Err(e) if e.device_answered() => {
                    any_answer = true;
                    o.subscribed = false;
                    o.refused = true;
                    tracing::warn!(device = %self.device.id, %object, error = %e, "device refuses COV for this object; polling it instead");
                }
                Err(e) => {
                    o.subscribed = false;
                    if let Some(suppressed) = self.log.allow("subscribe no answer") {
                        tracing::warn!(
                            network = %link_network(&self.device), device = %self.device.id, address = %self.target.addr, %object,
                            "SubscribeCOV got no answer: {e}{suppressed}"
                        );
                    }
                    break;
                }
            }
        }
        if any_answer {
            if was_lost {
                BacnetStats::bump(&self.client.stats().resubscriptions);
                tracing::info!(device = %self.device.id, lifetime_s, "COV subscriptions established");
            }
            self.lost = false;
        }
    }

    /// A COV notification: readings for the points of its object.
    async fn notified(&mut self, n: CovNotification) {
        let Some(link) = self.device.bacnet() else {
            return;
        };
        if n.device.instance != link.instance {
            tracing::debug!(device = %self.device.id, from = n.device.instance, "COV notification from another device");
            return;
        }
        let t = SystemClock.now_ms();
        let flags = n.get(PropertyId::STATUS_FLAGS).and_then(flags_of);
        let mut rel = None;
        if flags.is_some_and(|f| f.fault)
            && let Ok(Ok(v)) = read_property(
                &self.client,
                &self.target,
                n.object,
                PropertyRef::whole(PropertyId::RELIABILITY),
            )
            .await
        {
            rel = reliability_of(&v);
        }
        if let Some(o) = self.cov_objects.get_mut(&n.object) {
            o.notified = true;
            o.last_value = n
                .get(PropertyId::PRESENT_VALUE)
                .and_then(|v| v.first().cloned());
        }
        let mut results: Results = HashMap::new();
        for (p, v) in &n.values {
            results.insert(whole(n.object, *p), Ok(v.clone()));
        }
        let readings: Vec<Reading> = self
            .slots
            .iter()
            .filter(|s| {
                s.source.object == n.object
                    && results.contains_key(&whole(n.object, s.source.property))
            })
            .map(|s| {
                let value = results.get(&whole(n.object, s.source.property));
                convert::reading(&s.point, &s.id, &s.source, value, flags, rel, t)
            })
            .collect();
        self.send(readings).await;
    }

    async fn send(&self, readings: Vec<Reading>) {
        if readings.is_empty() {
            return;
        }
        let n = readings.len() as u64;
        if self.tx.send(readings).await.is_ok() {
            self.client
                .stats()
                .readings
                .fetch_add(n, std::sync::atomic::Ordering::Relaxed);
        }
    }
}

/// The BACnet network id of `device` (for log lines).
fn link_network(device: &Device) -> &str {
    device.bacnet().map_or("?", |l| l.network.as_str())
}

/// Points of `devices` that were never read because the network could not start: comm-fail.
pub(crate) fn comm_fail_all(devices: &[Device]) -> Vec<Reading> {
    let t = SystemClock.now_ms();
    devices
        .iter()
        .flat_map(|d| d.points.iter())
        .map(|p| Reading {
            point: Arc::from(p.id.as_str()),
            time_ms: t,
            value: None,
            quality: Quality::CommFail,
        })
        .collect()
}
