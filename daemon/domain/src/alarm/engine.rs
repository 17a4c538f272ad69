//! The alarm engine: pure. Readings and time go in, changes come out; nothing here reads a
//! clock, touches the store or sends anything, so every rule is testable with synthetic time.
//!
//! Per batch: the latest value of each point is updated, device health is accounted, and the
//! rules of the points involved (and of rules whose `while` conditions involve them) are
//! evaluated once, deterministically. [`Engine::tick`] evaluates everything again so on-delays,
//! stale timers, communication loss and shelving expire without waiting for a reading.

use std::collections::{HashMap, HashSet};

use driftvakt_config::model::{AlarmClass, AlarmRule, Config, Language, RuleKind, System};
use crate::reading::{Quality, Reading};
use crate::text::alarm::Alarms;

use super::comm::{CycleHealth, Health, Verdict};
use super::delay::Debounce;
use super::incident::{Incident, Incidents};
use super::model::{Ack, AlarmRecord, AlarmState, Change, ChangeKind, Shelve};
use super::rate::RateWindow;
use super::text::{PointLook, fill};

/// Why an operator command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AlarmError {
    /// No alarm has this id.
    #[error("okänt larm `{0}` (se `driftvakt alarms`)")]
    Unknown(String),
    /// Acknowledging an alarm that has nothing to acknowledge.
    #[error("larmet `{id}` har inget att kvittera (status: {state})")]
    NothingToAck {
        /// Alarm id.
        id: String,
        /// Its state label.
        state: String,
    },
    /// A shelving request that makes no sense.
    #[error("{0}")]
    BadRequest(String),
}

/// What produces an alarm.
#[derive(Debug, Clone)]
enum Source {
    /// A configured rule (index into `rules`).
    Rule(usize),
    /// A device lost communication.
    Comm(String),
    /// Every device of a connection lost communication.
    ConnComm(String),
    /// A device answers without good values.
    Stale(String),
    /// The daemon's own store cannot commit (disk full, locked).
    StoreFailing,
}

/// Id of the daemon's own alarm raised while the store cannot commit.
pub const STORE_FAILING_ID: &str = "driftvakt.store_failing";
/// How long the store must fail before [`STORE_FAILING_ID`] is raised, and commit again before
/// it clears (a commit waiting a moment for a lock is not an alarm).
const STORE_FAILING_DELAY_MS: i64 = 5_000;

#[derive(Debug, Clone)]
struct Slot {
    source: Source,
    deb: Debounce,
    rate: Option<RateWindow>,
    record: AlarmRecord,
    text_sv: String,
    text_en: String,
    look: PointLook,
    on_delay_ms: i64,
    off_delay_ms: i64,
    /// Device and connection of the watched point (for inhibition).
    device: Option<(String, String)>,
    /// Per `while` condition: since when it has held continuously, UTC ms.
    cond_since: Vec<Option<i64>>,
}

#[derive(Debug, Clone, Copy, Default)]
struct Latest {
    value: Option<f64>,
    since_ms: i64,
    last_good_ms: Option<i64>,
}

/// The alarm engine.
#[derive(Debug, Clone)]
pub struct Engine {
    rules: Vec<AlarmRule>,
    slots: Vec<Slot>,
    index: HashMap<String, usize>,
    by_point: HashMap<String, Vec<usize>>,
    latest: HashMap<String, Latest>,
    health: Health,
    verdict: Verdict,
    incidents: Incidents,
    ack_required: Vec<AlarmClass>,
    comm_lost_after_ms: i64,
    stale_after_ms: i64,
    start_ms: i64,
    /// Whether the store currently fails to commit (fed by the alarm actor).
    store_failing: bool,
    /// While an exercise runs: its id and the alarm ids it explains (activations are marked expected).
    expected: Option<(i64, HashSet<String>)>,
}

fn ms(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl Engine {
    /// An engine for every rule of `config` plus the automatic per-device alarms, starting at `now_ms`.
    pub fn new(config: &Config, now_ms: i64) -> Engine {
        let a = &config.alarms;
        let mut looks: HashMap<String, (PointLook, String, String)> = HashMap::new();
        for (d, p) in config.points() {
            let look = PointLook {
                name: p.name.clone(),
                device: d.name.clone(),
                unit: p.unit.clone(),
                kind: Some(p.kind()),
                states: p.states.iter().map(|(k, v)| (*k, v.clone())).collect(),
            };
            looks.insert(p.id.clone(), (look, d.id.clone(), link_of(d)));
        }
        for (id, name) in config.reserves.iter().map(|r| (&r.id, &r.name)).chain(config.functions.iter().map(|f| (&f.id, &f.name))) {
            let look = PointLook { name: name.clone(), unit: "h".into(), kind: Some(driftvakt_config::model::PointKind::Analog), ..PointLook::default() };
            looks.insert(format!("endurance.{id}"), (look, String::new(), String::new()));
        }
        let mut slots = Vec::new();
        for (i, r) in a.rules.iter().enumerate() {
            let (look, dev, conn) = looks.get(&r.point).cloned().unwrap_or_default();
            let rate = match &r.kind {
                RuleKind::Rate { window, .. } => Some(RateWindow::new(ms(*window))),
                _ => None,
            };
            let text_en = r.text_en.clone().unwrap_or_else(|| r.text.clone());
            slots.push(Slot {
                source: Source::Rule(i),
                deb: Debounce { cond_since_ms: now_ms, ..Debounce::default() },
                rate,
                record: AlarmRecord::normal(&r.id, r.class, r.system, &r.text, &text_en),
                text_sv: r.text.clone(),
                text_en,
                look,
                on_delay_ms: ms(r.on_delay),
                off_delay_ms: ms(r.off_delay),
                device: Some((dev, conn)),
                cond_since: vec![None; r.conditions.len()],
            });
        }
        let mut per_conn: HashMap<String, usize> = HashMap::new();
        for d in &config.devices {
            *per_conn.entry(link_of(d)).or_default() += 1;
        }
        for d in &config.devices {
            let system = d.points.first().map_or(System::Ovrigt, |p| p.system);
            let look = PointLook { device: d.name.clone(), ..PointLook::default() };
            let mut auto = |source: Source, id: String, class: AlarmClass, sv: String, en: String, look: &PointLook| {
                slots.push(Slot {
                    source,
                    deb: Debounce { cond_since_ms: now_ms, ..Debounce::default() },
                    rate: None,
                    record: AlarmRecord::normal(&id, class, system, &sv, &en),
                    text_sv: sv,
                    text_en: en,
                    look: look.clone(),
                    on_delay_ms: 0,
                    off_delay_ms: 0,
                    device: None,
                    cond_since: Vec::new(),
                });
            };
            auto(
                Source::Comm(d.id.clone()),
                format!("{}.comm_lost", d.id),
                a.comm_lost_class,
                Alarms::SV.comm_lost.into(),
                Alarms::EN.comm_lost.into(),
                &look,
            );
            auto(
                Source::Stale(d.id.clone()),
                format!("{}.stale", d.id),
                a.stale_class,
                Alarms::SV.stale.into(),
                Alarms::EN.stale.into(),
                &look,
            );
        }
        for c in &config.connections {
            let n = per_conn.get(c.id.as_str()).copied().unwrap_or(0);
            if n < 2 {
                continue;
            }
            let system = config.devices.iter().find(|d| d.connection() == Some(c.id.as_str())).and_then(|d| d.points.first()).map_or(System::Ovrigt, |p| p.system);
            let gateway = |t: &Alarms| crate::text::fill(t.gateway_lost, &[("id", &c.id as &dyn std::fmt::Display), ("n", &n)]);
            let (sv, en) = (gateway(&Alarms::SV), gateway(&Alarms::EN));
            let id = format!("connection.{}.comm_lost", c.id);
            slots.push(Slot {
                source: Source::ConnComm(c.id.clone()),
                deb: Debounce { cond_since_ms: now_ms, ..Debounce::default() },
                rate: None,
                record: AlarmRecord::normal(&id, a.comm_lost_class, system, &sv, &en),
                text_sv: sv,
                text_en: en,
                look: PointLook::default(),
                on_delay_ms: 0,
                off_delay_ms: 0,
                device: None,
                cond_since: Vec::new(),
            });
        }
        let (sv, en) = (Alarms::SV.store_failing, Alarms::EN.store_failing);
        slots.push(Slot {
            source: Source::StoreFailing,
            deb: Debounce { cond_since_ms: now_ms, ..Debounce::default() },
            rate: None,
            record: AlarmRecord::normal(STORE_FAILING_ID, AlarmClass::A, System::Ovrigt, sv, en),
            text_sv: sv.into(),
            text_en: en.into(),
            look: PointLook::default(),
            on_delay_ms: STORE_FAILING_DELAY_MS,
            off_delay_ms: STORE_FAILING_DELAY_MS,
            device: None,
            cond_since: Vec::new(),
        });
        let mut index = HashMap::new();
        let mut by_point: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, s) in slots.iter().enumerate() {
            index.insert(s.record.id.clone(), i);
            if let Source::Rule(r) = s.source {
                let rule = &a.rules[r];
                by_point.entry(rule.point.clone()).or_default().push(i);
                for c in &rule.conditions {
                    by_point.entry(c.point.clone()).or_default().push(i);
                }
            }
        }
        let health = Health::new(config.devices.iter().map(|d| (d.id.clone(), link_of(d))), now_ms);
        Engine {
            rules: a.rules.clone(),
            slots,
            index,
            by_point,
            latest: HashMap::new(),
            health,
            verdict: Verdict::default(),
            incidents: Incidents::new(ms(a.incident_window), Vec::new()),
            ack_required: a.ack_required.clone(),
            comm_lost_after_ms: ms(a.comm_lost_after),
            stale_after_ms: ms(a.stale_after),
            start_ms: now_ms,
            store_failing: false,
            expected: None,
        }
    }

    /// Continue from persisted records and incidents (after a restart): active alarms stay
    /// active without a new activation; unknown ids (rules removed) are ignored and returned,
    /// for the caller to log.
    pub fn restore(&mut self, records: Vec<AlarmRecord>, incidents: Vec<Incident>, now_ms: i64) -> Vec<String> {
        let mut ignored = Vec::new();
        for rec in records {
            let Some(&i) = self.index.get(&rec.id) else {
                ignored.push(rec.id);
                continue;
            };
            let slot = &mut self.slots[i];
            slot.deb = Debounce::restored(rec.state.is_active(), now_ms);
            slot.record = AlarmRecord { class: slot.record.class, system: slot.record.system.clone(), ..rec };
        }
        self.incidents = Incidents::new(self.incidents.window(), incidents);
        ignored
    }

    /// Every alarm record (normal ones included), in rule order.
    pub fn records(&self) -> impl Iterator<Item = &AlarmRecord> {
        self.slots.iter().map(|s| &s.record)
    }

    /// One alarm record.
    pub fn record(&self, id: &str) -> Option<&AlarmRecord> {
        self.index.get(id).map(|&i| &self.slots[i].record)
    }

    /// The incidents.
    pub fn incidents(&self) -> &Incidents {
        &self.incidents
    }

    /// Account for a batch of readings and evaluate the rules it concerns at `now_ms`.
    pub fn on_readings(&mut self, batch: &[Reading], now_ms: i64) -> Vec<Change> {
        let touched = self.take_readings(batch);
        self.health.observe(batch);
        self.after_batch(touched, now_ms)
    }

    /// Like [`Engine::on_readings`] for a batch already reduced by the pipeline: `readings` holds
    /// only readings of points that rules watch ([`Engine::watched_points`]), `health` the folded
    /// communication health of the devices read since the last batch.
    pub fn on_feed(&mut self, readings: &[Reading], health: &[(String, CycleHealth)], now_ms: i64) -> Vec<Change> {
        let touched = self.take_readings(readings);
        for (device, h) in health {
            self.health.apply(device, *h);
        }
        self.after_batch(touched, now_ms)
    }

    /// Every point whose readings a rule uses (its own point or a `while` condition's).
    pub fn watched_points(config: &Config) -> Vec<String> {
        let mut points: Vec<String> = Vec::new();
        for r in &config.alarms.rules {
            for p in std::iter::once(&r.point).chain(r.conditions.iter().map(|c| &c.point)) {
                if !points.contains(p) {
                    points.push(p.clone());
                }
            }
        }
        points
    }

    /// Update the latest values from `batch`; returns the rule slots it concerns.
    fn take_readings(&mut self, batch: &[Reading]) -> Vec<usize> {
        let mut touched: Vec<usize> = Vec::new();
        for r in batch {
            let good = r.quality == Quality::Good;
            let value = if good { r.value.as_ref().and_then(|v| v.as_f64()) } else { None };
            let l = match self.latest.get_mut(&*r.point) {
                Some(l) => l,
                None => self.latest.entry(r.point.to_string()).or_default(),
            };
            if l.value != value || l.since_ms == 0 {
                l.since_ms = r.time_ms;
            }
            l.value = value;
            if value.is_some() {
                l.last_good_ms = Some(r.time_ms);
            }
            if let Some(slots) = self.by_point.get(&*r.point) {
                for &i in slots {
                    let own = matches!(self.slots[i].source, Source::Rule(ri) if self.rules[ri].point == *r.point);
                    if let (true, Some(w), Some(v)) = (own, self.slots[i].rate.as_mut(), value) {
                        w.push(r.time_ms, v);
                    }
                    if !touched.contains(&i) {
                        touched.push(i);
                    }
                }
            }
        }
        touched
    }

    /// Evaluate the `touched` rule slots and every communication and stale alarm at `now_ms`.
    fn after_batch(&mut self, mut touched: Vec<usize>, now_ms: i64) -> Vec<Change> {
        self.verdict = self.health.verdict(now_ms, self.comm_lost_after_ms, self.stale_after_ms);
        // Communication and stale alarms follow every batch too.
        touched.extend((0..self.slots.len()).filter(|&i| !matches!(self.slots[i].source, Source::Rule(_))));
        touched.sort_unstable();
        touched.dedup();
        let mut out = Vec::new();
        for i in touched {
            out.extend(self.evaluate(i, now_ms));
        }
        out
    }

    /// Whether the store fails to commit at `now_ms`: raises or clears [`STORE_FAILING_ID`]
    /// (after its delay; [`Engine::tick`] carries the delay on).
    pub fn set_store_failing(&mut self, failing: bool, now_ms: i64) -> Vec<Change> {
        self.store_failing = failing;
        let Some(&i) = self.index.get(STORE_FAILING_ID) else { return Vec::new() };
        self.evaluate(i, now_ms).into_iter().collect()
    }

    /// Evaluate every alarm at `now_ms` (delays, stale timers, communication loss, shelving).
    pub fn tick(&mut self, now_ms: i64) -> Vec<Change> {
        self.verdict = self.health.verdict(now_ms, self.comm_lost_after_ms, self.stale_after_ms);
        let mut out = Vec::new();
        for i in 0..self.slots.len() {
            if let Some(sh) = &self.slots[i].record.shelved
                && sh.until_ms <= now_ms
            {
                let from = self.slots[i].record.state;
                self.slots[i].record.shelved = None;
                self.slots[i].record.changed_ms = now_ms;
                out.push(self.change(i, ChangeKind::Unshelved, from, now_ms, None, None, false));
            }
            out.extend(self.evaluate(i, now_ms));
        }
        out
    }

    fn raw(&mut self, i: usize, now_ms: i64) -> Option<bool> {
        let slot = &self.slots[i];
        let cur = slot.deb.cond;
        match &slot.source {
            Source::Comm(d) => {
                let lost = self.verdict.lost_devices.contains(d);
                let conn = self.health.connection_of(d).unwrap_or_default();
                let conn_lost = self.verdict.lost_connections.iter().any(|c| c == conn);
                // The connection alarm speaks for all its devices; one already active stays.
                Some(lost && (slot.deb.active || !conn_lost))
            }
            Source::ConnComm(c) => Some(self.verdict.lost_connections.contains(c)),
            Source::Stale(d) => Some(self.verdict.stale_devices.contains(d)),
            Source::StoreFailing => Some(self.store_failing),
            Source::Rule(ri) => {
                let rule = &self.rules[*ri];
                if let Some((dev, conn)) = &slot.device
                    && self.verdict.inhibits(dev, conn)
                {
                    return None;
                }
                let latest = self.latest.get(&rule.point).copied().unwrap_or_default();
                let base = match &rule.kind {
                    RuleKind::Stale { after } => now_ms - latest.last_good_ms.unwrap_or(self.start_ms) >= ms(*after),
                    RuleKind::Limit { level, limit, deadband } => {
                        let v = latest.value?;
                        match (level.is_high(), cur) {
                            (true, true) => v > limit - deadband,
                            (true, false) => v > *limit,
                            (false, true) => v < limit + deadband,
                            (false, false) => v < *limit,
                        }
                    }
                    RuleKind::State { value, equal } => ((latest.value? - value).abs() < 1e-9) == *equal,
                    RuleKind::EnduranceBelow { target_h, deadband_h } => {
                        let v = latest.value?;
                        if cur { v < target_h + deadband_h } else { v < *target_h }
                    }
                    RuleKind::Rate { per_hour, deadband, .. } => {
                        let s = self.slots[i].rate.as_mut()?.slope_per_hour(now_ms)?;
                        match (*per_hour < 0.0, cur) {
                            (true, true) => s < per_hour + deadband,
                            (true, false) => s < *per_hour,
                            (false, true) => s > per_hour - deadband,
                            (false, false) => s > *per_hour,
                        }
                    }
                };
                // Track every condition, whatever the base, so "held for" counts from when it
                // began to hold (not from the last change of the point's value).
                let mut all = Some(true);
                for (k, c) in rule.conditions.iter().enumerate() {
                    let dev = c.point.split_once('.').map_or("", |(d, _)| d);
                    let conn = self.health.connection_of(dev).unwrap_or_default();
                    if self.verdict.inhibits(dev, conn) {
                        all = None;
                        continue;
                    }
                    let l = self.latest.get(&c.point).copied().unwrap_or_default();
                    let now_holds = l.value.is_some_and(|v| ((v - c.value).abs() < 1e-9) == c.equal);
                    let since = &mut self.slots[i].cond_since[k];
                    *since = if now_holds { Some(since.unwrap_or(l.since_ms.min(now_ms))) } else { None };
                    let held = since.is_some_and(|t| now_ms - t >= ms(c.hold));
                    if !held && all.is_some() {
                        all = Some(false);
                    }
                }
                if !base {
                    return Some(false);
                }
                all
            }
        }
    }

    fn evaluate(&mut self, i: usize, now_ms: i64) -> Option<Change> {
        let raw = self.raw(i, now_ms);
        let slot = &mut self.slots[i];
        let edge = slot.deb.update(raw, now_ms, slot.on_delay_ms, slot.off_delay_ms)?;
        self.transition(i, edge, now_ms)
    }

    fn current_value(&self, i: usize) -> (Option<f64>, Option<f64>) {
        match self.slots[i].source {
            Source::Rule(ri) => {
                let rule = &self.rules[ri];
                let v = self.latest.get(&rule.point).and_then(|l| l.value);
                let limit = match rule.kind {
                    RuleKind::Limit { limit, .. } => Some(limit),
                    RuleKind::Rate { per_hour, .. } => Some(per_hour.abs()),
                    RuleKind::EnduranceBelow { target_h, .. } => Some(target_h),
                    _ => None,
                };
                (v, limit)
            }
            _ => (None, None),
        }
    }

    fn transition(&mut self, i: usize, active: bool, now_ms: i64) -> Option<Change> {
        let from = self.slots[i].record.state;
        if active {
            if from.is_active() {
                return None;
            }
            let (value, limit) = self.current_value(i);
            let expected = self.expected.as_ref().filter(|(_, ids)| ids.contains(&self.slots[i].record.id)).map(|(run, _)| *run);
            let slot = &mut self.slots[i];
            let rec = &mut slot.record;
            rec.state = AlarmState::ActiveUnacked;
            rec.active_since_ms = Some(now_ms);
            rec.cleared_ms = None;
            rec.ack = None;
            rec.text = fill(&slot.text_sv, &slot.look, value, limit, Language::Sv);
            rec.text_en = fill(&slot.text_en, &slot.look, value, limit, Language::En);
            rec.value = value.map(|v| slot.look.value(v, Language::Sv));
            rec.changed_ms = now_ms;
            rec.expected_run = expected;
            let shelved = rec.is_shelved(now_ms);
            let mut opened = false;
            let incident = if shelved {
                None
            } else {
                // The store's own alarm is an incident of its own: it never takes over the
                // title of a plant incident, nor joins one.
                let alone = matches!(self.slots[i].source, Source::StoreFailing);
                let (id, new) = self.incidents.assign(&self.slots[i].record.id, now_ms, alone);
                opened = new;
                Some(id)
            };
            self.slots[i].record.incident = incident;
            Some(self.change(i, ChangeKind::Activated, from, now_ms, None, None, opened))
        } else {
            let to = match from {
                AlarmState::ActiveUnacked if self.ack_required.contains(&self.slots[i].record.class) => AlarmState::ClearedUnacked,
                AlarmState::ActiveUnacked | AlarmState::ActiveAcked => AlarmState::Normal,
                _ => return None,
            };
            let rec = &mut self.slots[i].record;
            rec.state = to;
            rec.cleared_ms = Some(now_ms);
            rec.changed_ms = now_ms;
            Some(self.change(i, ChangeKind::Cleared, from, now_ms, None, None, false))
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn change(&self, i: usize, kind: ChangeKind, from: AlarmState, at_ms: i64, by: Option<String>, comment: Option<String>, opened: bool) -> Change {
        Change { kind, from, record: self.slots[i].record.clone(), at_ms, by, comment, opened_incident: opened }
    }

    fn slot_of(&self, id: &str) -> Result<usize, AlarmError> {
        self.index.get(id).copied().ok_or_else(|| AlarmError::Unknown(id.to_string()))
    }

    /// While exercise run `run` is active, activations of the alarms `ids` are marked expected
    /// (`AlarmRecord::expected_run`); `None` ends it (alarms already active keep their mark).
    pub fn set_expected(&mut self, run: Option<(i64, Vec<String>)>) {
        self.expected = run.map(|(id, ids)| (id, ids.into_iter().collect()));
    }

    /// Acknowledge alarm `id` as `by`.
    pub fn ack(&mut self, id: &str, by: &str, comment: Option<String>, now_ms: i64) -> Result<Change, AlarmError> {
        let i = self.slot_of(id)?;
        let from = self.slots[i].record.state;
        let to = match from {
            AlarmState::ActiveUnacked => AlarmState::ActiveAcked,
            AlarmState::ClearedUnacked => AlarmState::Normal,
            other => return Err(AlarmError::NothingToAck { id: id.to_string(), state: other.label(Language::Sv).to_string() }),
        };
        let rec = &mut self.slots[i].record;
        rec.state = to;
        rec.ack = Some(Ack { by: by.to_string(), at_ms: now_ms, comment: comment.clone() });
        rec.changed_ms = now_ms;
        Ok(self.change(i, ChangeKind::Acked, from, now_ms, Some(by.to_string()), comment, false))
    }

    /// Shelve alarm `id` until `until_ms` with a reason.
    pub fn shelve(&mut self, id: &str, until_ms: i64, reason: &str, by: &str, now_ms: i64) -> Result<Change, AlarmError> {
        let i = self.slot_of(id)?;
        if until_ms <= now_ms {
            return Err(AlarmError::BadRequest("bortkoppling måste sluta i framtiden".into()));
        }
        if reason.trim().is_empty() {
            return Err(AlarmError::BadRequest("ange ett skäl för bortkopplingen (--reason)".into()));
        }
        let from = self.slots[i].record.state;
        let rec = &mut self.slots[i].record;
        rec.shelved = Some(Shelve { until_ms, reason: reason.to_string(), by: by.to_string() });
        rec.changed_ms = now_ms;
        Ok(self.change(i, ChangeKind::Shelved, from, now_ms, Some(by.to_string()), Some(reason.to_string()), false))
    }

    /// Lift the shelving of alarm `id`.
    pub fn unshelve(&mut self, id: &str, by: &str, now_ms: i64) -> Result<Change, AlarmError> {
        let i = self.slot_of(id)?;
        if self.slots[i].record.shelved.is_none() {
            return Err(AlarmError::BadRequest(format!("larmet `{id}` är inte bortkopplat")));
        }
        let from = self.slots[i].record.state;
        let rec = &mut self.slots[i].record;
        rec.shelved = None;
        rec.changed_ms = now_ms;
        Ok(self.change(i, ChangeKind::Unshelved, from, now_ms, Some(by.to_string()), None, false))
    }

}

/// What a device is reached through, for "the whole gateway is down" verdicts: its Modbus
/// connection, or its BACnet network.
fn link_of(d: &driftvakt_config::model::Device) -> String {
    match (d.connection(), d.bacnet()) {
        (Some(c), _) => c.to_string(),
        (None, Some(b)) => format!("bacnet:{}", b.network),
        (None, None) => String::new(),
    }
}

#[cfg(test)]
mod tests;
