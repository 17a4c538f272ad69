//! Readings of the role points → the run's events and running sums (load time, fuel, UPS,
//! watched points out of band). Incremental: fed live by the runtime and afterwards by the
//! report with the same stored readings.
//!
//! Each point is followed on its own (its state, its held value, its changes); the events
//! that join several points (generator ready: voltage and frequency after a crank; load
//! picked up; a transfer timed by the switch's own register; cranks only the start counter
//! saw) are derived from those per-point records whenever one changes. So the result depends
//! only on each point's readings in time order, never on how points interleave or how the
//! readings are batched.

use std::collections::HashMap;

use driftvakt_config::model::{ExerciseKind, ExerciseSettings};

use super::derive;
use super::model::{Event, EventKind, Run, Timing};
use super::sums::{LoadSums, Level, Stock, Track, WatchSums, Window};
use super::tracks::{Engine, GeneratorTrack, PositionChange, RegisterChange, SwitchTrack, UpsTrack, engine_class};
use crate::{Quality, Reading, Value};

/// What a point is to the exercise (a point may play several parts).
#[derive(Debug, Clone, Copy)]
enum Role {
    Mains,
    Position(usize),
    TestMode(usize),
    StartSignal(usize),
    LastTransfer(usize),
    TransferCount(usize),
    Engine(usize),
    Voltage(usize),
    Frequency(usize),
    Power(usize),
    Starts(usize),
    UpsBattery(usize),
    UpsRuntime(usize),
    Fuel(usize),
    Watch(usize),
}

/// The events of one run so far and what the figures need.
#[derive(Debug, Clone)]
pub struct Timeline {
    pub(super) settings: ExerciseSettings,
    pub(super) kind: ExerciseKind,
    pub(super) started_ms: i64,
    pub(super) window: Window,
    /// Point id → its index in `tracks` and `parts`.
    index: HashMap<String, usize>,
    /// Per distinct point: its parts.
    parts: Vec<Vec<Role>>,
    /// Per distinct point, in `settings.points()` order: id and track.
    pub(super) tracks: Vec<(String, Track)>,
    mains: Option<bool>,
    /// Mains absent at the first reading.
    pub(super) initially_mains_lost: bool,
    pub(super) switches: Vec<SwitchTrack>,
    pub(super) generators: Vec<GeneratorTrack>,
    pub(super) ups: Vec<UpsTrack>,
    pub(super) runtimes: Vec<Level>,
    pub(super) fuel: Vec<Stock>,
    pub(super) watched: Vec<WatchSums>,
    /// Events of single points, in the order seen.
    pub(super) primary: Vec<Event>,
    /// Every event, in time order.
    events: Vec<Event>,
}

impl Timeline {
    /// An empty timeline of a run of `kind` started at `started_ms` (readings from before the
    /// start — the report's lead — give each point its state before the run).
    pub fn new(settings: &ExerciseSettings, kind: ExerciseKind, started_ms: i64) -> Timeline {
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut tracks = Vec::new();
        let mut parts: Vec<Vec<Role>> = Vec::new();
        let mut add = |point: &str, role: Role| {
            let ix = *index.entry(point.to_string()).or_insert_with(|| {
                tracks.push((point.to_string(), Track::default()));
                parts.push(Vec::new());
                parts.len() - 1
            });
            parts[ix].push(role);
        };
        add(&settings.mains_available, Role::Mains);
        for (i, s) in settings.switches.iter().enumerate() {
            add(&s.position, Role::Position(i));
            let optional = [
                (&s.test_mode, Role::TestMode(i)),
                (&s.start_signal, Role::StartSignal(i)),
                (&s.last_transfer_time, Role::LastTransfer(i)),
                (&s.transfer_count, Role::TransferCount(i)),
            ];
            for (p, r) in optional {
                if let Some(p) = p {
                    add(p, r);
                }
            }
        }
        for (i, g) in settings.generators.iter().enumerate() {
            add(&g.engine_state, Role::Engine(i));
            add(&g.voltage_v, Role::Voltage(i));
            add(&g.frequency_hz, Role::Frequency(i));
            add(&g.power_kw, Role::Power(i));
            if let Some(p) = &g.starts {
                add(p, Role::Starts(i));
            }
        }
        for (i, p) in settings.ups_on_battery.iter().enumerate() {
            add(p, Role::UpsBattery(i));
        }
        for (i, p) in settings.ups_runtime_min.iter().enumerate() {
            add(p, Role::UpsRuntime(i));
        }
        for (i, p) in settings.fuel_stock_l.iter().enumerate() {
            add(p, Role::Fuel(i));
        }
        for (i, w) in settings.watch.iter().enumerate() {
            add(&w.point, Role::Watch(i));
        }
        let c = &settings.criteria;
        Timeline {
            settings: settings.clone(),
            kind,
            started_ms,
            window: Window { lo: started_ms, hi: i64::MAX },
            index,
            parts,
            tracks,
            mains: None,
            initially_mains_lost: false,
            switches: vec![SwitchTrack::default(); settings.switches.len()],
            generators: settings
                .generators
                .iter()
                .map(|_| GeneratorTrack {
                    load: LoadSums::new(c.min_load_percent, c.load_threshold_percent),
                    ..GeneratorTrack::default()
                })
                .collect(),
            ups: vec![UpsTrack::default(); settings.ups_on_battery.len()],
            runtimes: vec![Level::default(); settings.ups_runtime_min.len()],
            fuel: vec![Stock::default(); settings.fuel_stock_l.len()],
            watched: settings.watch.iter().map(|w| WatchSums::new(w.low, w.high)).collect(),
            primary: Vec::new(),
            events: Vec::new(),
        }
    }

    /// The timeline of a stored run: [`Timeline::new`] with the run's stop set
    /// ([`Timeline::set_stopped`]), ready to replay its readings.
    pub fn for_run(settings: &ExerciseSettings, run: &Run) -> Timeline {
        let mut t = Timeline::new(settings, run.kind, run.started_ms);
        if let Some(stop) = run.stopped_ms {
            t.set_stopped(stop);
        }
        t
    }

    /// The run stopped at `stopped_ms`: the sums (load, fuel, UPS, watched points, missing
    /// data) end there; readings after it still give events (retransfer, cool-down). Set it
    /// before feeding readings from after the stop.
    pub fn set_stopped(&mut self, stopped_ms: i64) {
        self.window.hi = stopped_ms.max(self.window.lo);
    }

    /// Take one reading; readings of other points are ignored. Per point, readings must come
    /// in time order (points may interleave); an older reading than the point's newest is
    /// ignored.
    pub fn feed(&mut self, reading: &Reading) {
        let Some(&ix) = self.index.get(&*reading.point) else { return };
        let value = match (&reading.quality, &reading.value) {
            (Quality::Good, Some(v @ (Value::Number(_) | Value::Bool(_)))) => v.as_f64().filter(|x| x.is_finite()),
            _ => None,
        };
        let t = reading.time_ms;
        let track = &mut self.tracks[ix].1;
        let prev_good = track.last_good_ms;
        if !track.take(t, value.is_some(), self.window) {
            return;
        }
        let mut changed = false;
        for k in 0..self.parts[ix].len() {
            let role = self.parts[ix][k];
            changed |= self.apply(role, t, value, prev_good, ix);
        }
        if changed {
            self.rebuild();
        }
    }

    /// Apply one reading to one part; `true` when an event or a derived input changed.
    fn apply(&mut self, role: Role, t: i64, v: Option<f64>, prev_good: Option<i64>, ix: usize) -> bool {
        let w = self.window;
        let point = ix;
        // The first good reading of a point only sets its state: `res` is None then.
        let res = prev_good.map(|p| t - p);
        match role {
            Role::Mains => {
                let Some(b) = v.map(|x| x != 0.0) else { return false };
                match self.mains.replace(b) {
                    None => {
                        self.initially_mains_lost = !b;
                        false
                    }
                    Some(old) if old != b => {
                        let kind = if b { EventKind::MainsBack } else { EventKind::MainsLost };
                        self.push(kind, t, None, point, res.unwrap_or(0), Timing::Polled);
                        true
                    }
                    Some(_) => false,
                }
            }
            Role::Position(i) => {
                let Some(x) = v else { return false };
                let on = (x - self.settings.switches[i].emergency_value).abs() < 1e-9;
                let s = &mut self.switches[i];
                match s.on_emergency.replace(on) {
                    None => {
                        s.initially_emergency = on;
                        false
                    }
                    Some(old) if old != on => {
                        s.positions.push(PositionChange { at: t, res: res.unwrap_or(0), to_emergency: on });
                        true
                    }
                    Some(_) => false,
                }
            }
            Role::TestMode(i) | Role::StartSignal(i) => {
                let Some(b) = v.map(|x| x != 0.0) else { return false };
                let test = matches!(role, Role::TestMode(_));
                let s = &mut self.switches[i];
                let state = if test { &mut s.test } else { &mut s.start };
                match state.replace(b) {
                    None => {
                        s.initially_test |= b;
                        false
                    }
                    Some(old) if old != b => {
                        let kind = match (test, b) {
                            (true, true) => EventKind::TestModeOn,
                            (true, false) => EventKind::TestModeOff,
                            (false, true) => EventKind::StartSignal,
                            (false, false) => return false,
                        };
                        let unit = Some(self.settings.switches[i].id.clone());
                        self.push(kind, t, unit, point, res.unwrap_or(0), Timing::Polled);
                        true
                    }
                    Some(_) => false,
                }
            }
            Role::LastTransfer(i) | Role::TransferCount(i) => {
                let Some(x) = v else { return false };
                let register = matches!(role, Role::LastTransfer(_));
                let s = &mut self.switches[i];
                let state = if register { &mut s.register } else { &mut s.count };
                let old = state.replace(x);
                match (old, prev_good) {
                    (Some(old), Some(prev)) if old != x => {
                        let change = RegisterChange { at: t, res: t - prev, prev_at: prev, value: x, delta: x - old };
                        if register && x > 0.0 {
                            s.registers.push(change);
                        } else if !register && x > old {
                            s.counts.push(change);
                        } else {
                            return false;
                        }
                        true
                    }
                    _ => false,
                }
            }
            Role::Engine(i) => self.engine(i, t, v, res, point),
            Role::Voltage(i) | Role::Frequency(i) => {
                let Some(x) = v else { return false };
                let g = &self.settings.generators[i];
                let c = &self.settings.criteria;
                let (nominal, band) = if matches!(role, Role::Voltage(_)) {
                    (g.nominal_voltage_v, c.voltage_band_percent)
                } else {
                    (g.nominal_frequency_hz, c.frequency_band_percent)
                };
                let inside = (x - nominal).abs() <= nominal.abs() * band / 100.0;
                let gt = &mut self.generators[i];
                let b = if matches!(role, Role::Voltage(_)) { &mut gt.voltage } else { &mut gt.frequency };
                b.take(t, inside, res.unwrap_or(0))
            }
            Role::Power(i) => {
                let rated = self.settings.generators[i].rated_kw;
                let pct = v.filter(|_| rated > 0.0).map(|x| x / rated * 100.0);
                let threshold = self.settings.criteria.load_threshold_percent;
                let gt = &mut self.generators[i];
                gt.load.take(t, pct, w);
                match pct {
                    Some(p) => gt.carrying.take(t, p > threshold, res.unwrap_or(0)),
                    None => false,
                }
            }
            Role::Starts(i) => {
                let Some(x) = v else { return false };
                let gt = &mut self.generators[i];
                gt.counter_seen = true;
                let old = gt.starts.replace(x);
                match (old, prev_good) {
                    // An implausible jump (a counter reset or a new controller) is no attempt.
                    (Some(old), Some(prev)) if x > old && x - old < 100.0 => {
                        gt.start_increases.push(RegisterChange { at: t, res: t - prev, prev_at: prev, value: x, delta: x - old });
                        true
                    }
                    _ => false,
                }
            }
            Role::UpsBattery(i) => {
                let b = v.map(|x| x != 0.0);
                let u = &mut self.ups[i];
                u.on_battery.take(t, b, w);
                let Some(b) = b else { return false };
                match u.state.replace(b) {
                    Some(old) if old != b => {
                        let kind = if b { EventKind::UpsOnBattery } else { EventKind::UpsOffBattery };
                        let unit = Some(self.tracks[point].0.clone());
                        self.push(kind, t, unit, point, res.unwrap_or(0), Timing::Polled);
                        true
                    }
                    _ => false,
                }
            }
            Role::UpsRuntime(i) => {
                self.runtimes[i].take(t, v, w);
                false
            }
            Role::Fuel(i) => {
                if let Some(x) = v {
                    self.fuel[i].take(t, x, w);
                }
                false
            }
            Role::Watch(i) => {
                self.watched[i].take(t, v, w);
                false
            }
        }
    }

    /// An engine-state reading.
    fn engine(&mut self, i: usize, t: i64, v: Option<f64>, res: Option<i64>, point: usize) -> bool {
        let Some(class) = v.and_then(|x| engine_class(&self.settings.generators[i].states, x)) else { return false };
        let unit = Some(self.settings.generators[i].id.clone());
        let g = &mut self.generators[i];
        let runs = |e: Engine| matches!(e, Engine::Running | Engine::CoolDown);
        let old = match g.engine.replace(class) {
            None => {
                g.initially_running = runs(class);
                g.ran = runs(class);
                if runs(class) {
                    g.running.push((t, None));
                }
                return false;
            }
            Some(old) if old == class => return false,
            Some(old) => old,
        };
        let res = res.unwrap_or(0);
        // Running stretches.
        if runs(class) && !runs(old) {
            g.running.push((t, None));
        } else if !runs(class)
            && runs(old)
            && let Some(last) = g.running.last_mut()
        {
            last.1 = Some(t);
        }
        let mut kinds = Vec::new();
        match class {
            Engine::PreStart | Engine::Stopped => {
                if old == Engine::Cranking && !g.ran {
                    kinds.push(EventKind::CrankFailed);
                }
                if class == Engine::PreStart {
                    kinds.push(EventKind::PreStart);
                } else if runs(old) {
                    kinds.push(EventKind::GeneratorStopped);
                }
            }
            Engine::Cranking => {
                g.ran = false;
                kinds.push(EventKind::Crank);
            }
            Engine::Running | Engine::CoolDown => {
                // Straight from stopped to running: the crank fell between two polls.
                if matches!(old, Engine::Stopped | Engine::PreStart) {
                    kinds.push(EventKind::Crank);
                }
                g.ran = true;
                if class == Engine::CoolDown {
                    kinds.push(EventKind::CoolDown);
                }
            }
        }
        for kind in &kinds {
            self.push(*kind, t, unit.clone(), point, res, Timing::Polled);
        }
        !kinds.is_empty()
    }

    /// An event of the point at `point` (its index).
    fn push(&mut self, kind: EventKind, at_ms: i64, unit: Option<String>, point: usize, resolution_ms: i64, timing: Timing) {
        let point = self.tracks[point].0.clone();
        self.primary.push(Event { kind, at_ms, unit, point, resolution_ms, timing });
    }

    /// Every event again: the single points' events and those derived from several points.
    fn rebuild(&mut self) {
        let mut events = self.primary.clone();
        derive::transfers(&self.settings, &self.switches, &mut events);
        derive::counter_cranks(&self.settings, &self.generators, &mut events);
        derive::ready_and_load(&self.settings, &self.generators, &mut events);
        sort_events(&mut events);
        self.events = events;
    }

    /// The events so far, in time order.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// Whether `point` gave a good reading.
    pub(super) fn has_good(&self, point: &str) -> bool {
        self.index.get(point).is_some_and(|ix| self.tracks[*ix].1.last_good_ms.is_some())
    }

    /// Time `point` had no good data in the run up to `end_ms`, ms (`None` for a point the
    /// exercise does not read).
    pub fn missing_ms(&self, point: &str, end_ms: i64) -> Option<i64> {
        let ix = self.index.get(point)?;
        Some(self.tracks[*ix].1.missing_until(end_ms, self.window))
    }
}

/// Sort events by time, then by their order in a run, unit and point (so equal times come
/// out the same however the readings were batched).
pub(super) fn sort_events(events: &mut [Event]) {
    let order = |k: EventKind| EventKind::ALL.iter().position(|x| *x == k).unwrap_or(0);
    events.sort_by(|a, b| {
        (a.at_ms, order(a.kind), &a.unit, &a.point).cmp(&(b.at_ms, order(b.kind), &b.unit, &b.point))
    });
}
