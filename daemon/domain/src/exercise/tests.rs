//! Synthetic plants polled like a driver would: each point read every second at its own
//! offset, the physical events between the polls, so the figures are checked against a known
//! ground truth within a poll interval (and exactly where a device register times them).

use std::sync::Arc;
use std::time::Duration;

use driftvakt_config::model::{
    AlarmClass, Criteria, EngineStates, ExerciseKind, ExerciseSettings, GeneratorRole, SwitchRole, WatchedPoint,
};

use super::*;
use crate::{Quality, Reading, Value};

/// A Unix-second-aligned start (the switch's register holds whole seconds).
const T0: i64 = 1_700_000_000_000;

fn at(s: f64) -> i64 {
    T0 + (s * 1000.0).round() as i64
}

fn settings() -> ExerciseSettings {
    ExerciseSettings {
        mains_available: "grid.mains_ok".into(),
        switches: vec![SwitchRole {
            id: "ats".into(),
            name: "ATS 1".into(),
            position: "ats.position".into(),
            emergency_value: 1.0,
            test_mode: Some("ats.test".into()),
            start_signal: None,
            last_transfer_time: None,
            transfer_count: None,
            changeover_limit: Duration::from_secs(15),
        }],
        generators: vec![GeneratorRole {
            id: "g1".into(),
            name: "G1".into(),
            engine_state: "g1.state".into(),
            states: EngineStates::default(),
            voltage_v: "g1.voltage".into(),
            frequency_hz: "g1.frequency".into(),
            power_kw: "g1.kw".into(),
            rated_kw: 500.0,
            nominal_voltage_v: 230.0,
            nominal_frequency_hz: 50.0,
            starts: None,
            run_time: None,
        }],
        ups_on_battery: vec!["ups.on_battery".into()],
        ups_runtime_min: vec!["ups.runtime".into()],
        fuel_stock_l: vec!["tank.level".into()],
        fuel_unusable_l: 100.0,
        watch: vec![WatchedPoint {
            point: "booster.pressure".into(),
            low: Some(3.0),
            high: Some(6.0),
            max_outside: Duration::from_secs(30),
        }],
        criteria: Criteria::default(),
        detect_outages: true,
        outage_after: Duration::ZERO,
        outage_end_after: Duration::from_secs(900),
        lead: Duration::from_secs(60),
        fast_poll: None,
        expected_alarms: Vec::new(),
        alarm_class: AlarmClass::A,
        command_topic: None,
    }
}

/// What the plant does, in seconds after `T0`. `None` for a time: it never happens.
#[derive(Clone)]
struct Plant {
    mains_lost: Option<f64>,
    mains_back: Option<f64>,
    test_on: Option<f64>,
    test_off: Option<f64>,
    /// Engine states from these times (codes of `EngineStates::default()`), in order.
    engine: Vec<(f64, f64)>,
    /// Voltage and frequency at rating from these times until `cool_down`.
    voltage_ok: Option<f64>,
    frequency_ok: Option<f64>,
    cool_down: Option<f64>,
    transfer: Option<f64>,
    retransfer: Option<f64>,
    /// Generator kW from these times, in order.
    kw: Vec<(f64, f64)>,
    /// Booster pressure out of band (2 bar) in this span.
    booster_trip: Option<(f64, f64)>,
    /// The generator's point gives no answer in this span.
    comm_fail: Option<(f64, f64)>,
    /// Litres burnt per hour while running.
    burn_l_per_h: f64,
}

impl Plant {
    /// An island test: mains cut at 10.2 s, prestart 10.6, crank 11.5, running 13.4,
    /// voltage 14.2, frequency 13.9, transfer 16.3, 200 kW (40 %) from 16.5, mains back at
    /// 1790, retransfer 1800.3, cool-down 1810, stop 1900.
    fn island() -> Plant {
        Plant {
            mains_lost: Some(10.2),
            mains_back: Some(1790.0),
            test_on: None,
            test_off: None,
            engine: vec![(-1000.0, 0.0), (10.6, 1.0), (11.5, 2.0), (13.4, 3.0), (1810.0, 4.0), (1900.0, 0.0)],
            voltage_ok: Some(14.2),
            frequency_ok: Some(13.9),
            cool_down: Some(1810.0),
            transfer: Some(16.3),
            retransfer: Some(1800.3),
            kw: vec![(-1000.0, 0.0), (16.5, 200.0), (1800.3, 0.0)],
            booster_trip: Some((16.5, 76.5)),
            comm_fail: None,
            burn_l_per_h: 60.0,
        }
    }

    fn between(t: f64, from: Option<f64>, to: Option<f64>) -> bool {
        from.is_some_and(|f| t >= f) && to.is_none_or(|e| t < e)
    }

    fn step(steps: &[(f64, f64)], t: f64) -> f64 {
        steps.iter().rev().find(|(s, _)| t >= *s).map_or(0.0, |(_, v)| *v)
    }

    fn running_s(&self, t: f64) -> f64 {
        let mut total = 0.0;
        let mut since: Option<f64> = None;
        for (s, code) in &self.engine {
            let runs = *code == 3.0 || *code == 4.0;
            match (runs, since) {
                (true, None) => since = Some(*s),
                (false, Some(a)) => {
                    total += (s.min(t) - a).max(0.0);
                    since = None;
                }
                _ => {}
            }
            if *s > t {
                break;
            }
        }
        if let Some(a) = since {
            total += (t - a).max(0.0);
        }
        total
    }

    /// The value of `point` at `t` s (`None`: no answer).
    fn value(&self, point: &str, t: f64) -> Option<Value> {
        if point.starts_with("g1.") && self.comm_fail.is_some_and(|(a, b)| t >= a && t < b) {
            return None;
        }
        let mains_out = Plant::between(t, self.mains_lost, self.mains_back);
        let emergency = Plant::between(t, self.transfer, self.retransfer);
        Some(match point {
            "grid.mains_ok" => Value::Bool(!mains_out),
            "ats.test" => Value::Bool(Plant::between(t, self.test_on, self.test_off)),
            "ats.position" => Value::Number(if emergency { 1.0 } else { 0.0 }),
            "ats.last_transfer" => {
                let last = [self.transfer, self.retransfer].into_iter().flatten().filter(|x| *x <= t).fold(None, |a: Option<f64>, x| Some(a.map_or(x, |a| a.max(x))));
                Value::Number(last.map_or(T0 as f64 / 1000.0 - 86_400.0, |x| (at(x) / 1000) as f64))
            }
            "g1.state" => Value::Number(Plant::step(&self.engine, t)),
            "g1.voltage" => Value::Number(if Plant::between(t, self.voltage_ok, self.cool_down) { 231.0 } else { 0.0 }),
            "g1.frequency" => Value::Number(if Plant::between(t, self.frequency_ok, self.cool_down) { 50.1 } else { 0.0 }),
            "g1.kw" => Value::Number(Plant::step(&self.kw, t)),
            "ups.on_battery" => Value::Bool(mains_out && !emergency),
            "ups.runtime" => {
                let on = match (self.mains_lost, self.transfer) {
                    (Some(a), Some(b)) => (t.min(b) - a).max(0.0),
                    (Some(a), None) => (t - a).max(0.0),
                    _ => 0.0,
                };
                Value::Number(30.0 - on / 60.0)
            }
            "tank.level" => Value::Number(5000.0 - self.burn_l_per_h * self.running_s(t) / 3600.0),
            "booster.pressure" => {
                Value::Number(if self.booster_trip.is_some_and(|(a, b)| t >= a && t < b) { 2.0 } else { 4.5 })
            }
            _ => return None,
        })
    }

    /// Every point polled each second (the tank each minute) at its own offset, from `from`
    /// to `to` s, per point in time order, points one after the other.
    fn poll(&self, points: &[&str], from: f64, to: f64) -> Vec<Reading> {
        let mut out = Vec::new();
        for (k, point) in points.iter().enumerate() {
            let period = if *point == "tank.level" { 60_000 } else { 1_000 };
            let mut t = at(from) + 37 * k as i64;
            while t <= at(to) {
                let s = (t - T0) as f64 / 1000.0;
                let value = self.value(point, s);
                let quality = if value.is_some() { Quality::Good } else { Quality::CommFail };
                out.push(Reading { point: Arc::from(*point), time_ms: t, value, quality });
                t += period;
            }
        }
        out
    }
}

fn points(settings: &ExerciseSettings) -> Vec<&str> {
    settings.points()
}

/// Readings merged in time order, as the live pipeline sees them.
fn by_time(mut readings: Vec<Reading>) -> Vec<Reading> {
    readings.sort_by(|a, b| a.time_ms.cmp(&b.time_ms).then_with(|| a.point.cmp(&b.point)));
    readings
}

fn run(kind: ExerciseKind, started: f64, stopped: Option<f64>) -> Run {
    Run {
        id: 1,
        kind,
        name: "prov".into(),
        started_by: "Eva".into(),
        started_ms: at(started),
        stopped_ms: stopped.map(at),
        stopped_by: stopped.map(|_| "Eva".into()),
        notes: Vec::new(),
    }
}

/// Feed `readings` (in the given order) to the timeline of `run` and judge it at `end`.
fn judged(settings: &ExerciseSettings, run: &Run, readings: &[Reading], end: f64) -> (Timeline, Analysis) {
    let mut tl = Timeline::for_run(settings, run);
    for r in readings {
        tl.feed(r);
    }
    let a = analyze(settings, run, &tl, at(end));
    (tl, a)
}

fn kpi<'a>(a: &'a Analysis, key: &str) -> &'a Kpi {
    a.kpis.iter().find(|k| k.key == key).unwrap_or_else(|| panic!("no {key} in {:#?}", a.kpis))
}

fn kinds(events: &[Event]) -> Vec<EventKind> {
    events.iter().map(|e| e.kind).collect()
}

fn first(events: &[Event], kind: EventKind) -> &Event {
    events.iter().find(|e| e.kind == kind).unwrap_or_else(|| panic!("no {kind:?} in {events:#?}"))
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

#[test]
fn an_island_test_gives_every_event_in_order_with_its_point_and_resolution() {
    let s = settings();
    let plant = Plant::island();
    let readings = by_time(plant.poll(&points(&s), -60.0, 1960.0));
    let (tl, a) = judged(&s, &run(ExerciseKind::Island, 0.0, Some(1850.0)), &readings, 1850.0);
    use EventKind::*;
    assert_eq!(
        kinds(tl.events()),
        [
            // The UPS is polled 0.3 s after the mains point in each cycle: it sees the loss first.
            UpsOnBattery, MainsLost, PreStart, Crank, GeneratorReady, TransferToEmergency, LoadPickedUp, UpsOffBattery,
            MainsBack, Retransfer, CoolDown, GeneratorStopped
        ]
    );
    let lost = first(tl.events(), MainsLost);
    assert_eq!((lost.at_ms, lost.resolution_ms, lost.timing), (at(11.0), 1000, Timing::Polled));
    assert_eq!(lost.point, "grid.mains_ok");
    let ready = first(tl.events(), GeneratorReady);
    assert_eq!(ready.unit.as_deref(), Some("g1"));
    assert_eq!(ready.point, "g1.voltage", "the later of voltage and frequency makes it ready");
    assert!(ready.at_ms >= at(14.2) && ready.at_ms - ready.resolution_ms <= at(14.2), "{ready:?}");
    let transfer = first(tl.events(), TransferToEmergency);
    assert_eq!((transfer.unit.as_deref(), transfer.point.as_str()), (Some("ats"), "ats.position"));
    assert!(transfer.at_ms >= at(16.3) && transfer.at_ms - transfer.resolution_ms <= at(16.3));
    // The analysis adds the operator's start and stop.
    assert_eq!(a.events.first().map(|e| e.kind), Some(RunStarted));
    assert_eq!(a.events.iter().filter(|e| e.kind == RunStopped).count(), 1);
    assert!(a.events.windows(2).all(|w| w[0].at_ms <= w[1].at_ms));
}

#[test]
fn an_island_test_measures_start_changeover_within_a_poll_and_judges_each_criterion() {
    let s = settings();
    let plant = Plant::island();
    let readings = by_time(plant.poll(&points(&s), -60.0, 1960.0));
    let (_, a) = judged(&s, &run(ExerciseKind::Island, 0.0, Some(1850.0)), &readings, 1850.0);

    let start = kpi(&a, "start_time");
    let truth = 14.2 - 10.2;
    let v = start.value.expect("start time");
    assert!(close(v, truth, start.resolution.unwrap_or(0.0)), "{start:?}");
    assert_eq!(start.resolution, Some(2.0), "± one poll at each end");
    assert_eq!((start.timing, start.reference, start.verdict), (Some(Timing::Polled), Some(EventKind::MainsLost), Verdict::Pass));
    assert_eq!((start.limit, start.limit_is_max), (Some(15.0), true));

    let ch = kpi(&a, "changeover");
    assert!(close(ch.value.expect("measured"), 16.3 - 10.2, ch.resolution.expect("measured")), "{ch:?}");
    assert_eq!((ch.unit.as_deref(), ch.verdict, ch.reference), (Some("ats"), Verdict::Pass, Some(EventKind::MainsLost)));

    let attempts = kpi(&a, "start_attempts");
    assert_eq!((attempts.value, attempts.verdict), (Some(1.0), Verdict::Pass));

    // Load is judged on monthly and load-bank tests only.
    assert_eq!(kpi(&a, "load_percent").verdict, Verdict::NotApplicable);
    assert!(close(kpi(&a, "load_percent").value.expect("measured"), 40.0, 1e-9));
    let minutes = kpi(&a, "minutes_on_load").value.expect("measured");
    assert!(close(minutes, (1800.3 - 16.5) / 60.0, 2.0 / 60.0), "{minutes}");

    // UPS: on battery from the mains loss to the transfer.
    let ups = kpi(&a, "ups_minutes");
    assert!(close(ups.value.expect("measured"), (16.3 - 10.2) / 60.0, 2.0 / 60.0), "{ups:?}");
    assert!(close(kpi(&a, "ups_runtime_used_min").value.expect("measured"), (16.3 - 10.2) / 60.0, 2.0 / 60.0));

    // The booster tripped for 60 s: outside its band longer than the 30 s allowed.
    let w = &a.watched[0];
    assert_eq!(w.point, "booster.pressure");
    assert!((59_000..=61_000).contains(&w.outside_ms), "{w:?}");
    assert!(close(w.worst_deviation, 1.0, 1e-9));
    assert_eq!((w.min, w.max), (Some(2.0), Some(4.5)));
    assert!(w.first_outside_ms.is_some_and(|t| t >= at(16.5) && t <= at(17.6)));
    assert_eq!(w.verdict, Verdict::Fail);
    assert_eq!(a.verdict, Verdict::Fail);

    // Fuel: 60 l/h burnt while running; endurance of the usable stock at that burn.
    let burn = kpi(&a, "burn_l_per_h").value.expect("measured");
    assert!(close(burn, 60.0, 3.0), "{burn}");
    let used = kpi(&a, "fuel_used_l").value.expect("measured");
    assert!(used > 25.0 && used < 31.0, "{used}");
    let endurance = kpi(&a, "endurance_h").value.expect("measured");
    assert!(close(endurance, (5000.0 - used - 100.0) / burn, 1e-6), "{endurance}");
    assert_eq!(kpi(&a, "endurance_h").criterion, None);
    assert!(a.missing.is_empty(), "{:?}", a.missing);
    let g = &a.generators[0];
    assert!(close(g.run_ms as f64 / 1000.0, 1850.0 - 13.4, 2.0), "{g:?}");
}

#[test]
fn the_result_does_not_depend_on_how_points_interleave_or_are_batched() {
    let mut s = settings();
    s.switches[0].last_transfer_time = Some("ats.last_transfer".into());
    let plant = Plant::island();
    let mut pts = points(&s);
    let raw = plant.poll(&pts, -60.0, 1960.0);
    let r = run(ExerciseKind::Island, 0.0, Some(1850.0));
    let (tl, a) = judged(&s, &r, &by_time(raw.clone()), 1850.0);
    // Point after point (as a replay per series would), in both directions.
    let (tl2, a2) = judged(&s, &r, &raw, 1850.0);
    pts.reverse();
    let reversed = plant.poll(&pts, -60.0, 1960.0);
    let (tl3, a3) = judged(&s, &r, &reversed, 1850.0);
    assert_eq!(tl.events(), tl2.events());
    assert_eq!(a, a2);
    // Offsets differ in the reversed poll: the same events, each within a poll of the other.
    assert_eq!(tl.events().len(), tl3.events().len());
    for e in tl.events() {
        assert!(
            tl3.events().iter().any(|x| x.kind == e.kind && (x.at_ms - e.at_ms).abs() <= 1000),
            "{e:?} in {:?}",
            tl3.events()
        );
    }
    assert_eq!(a.verdict, a3.verdict);
    assert_eq!(kinds(&a.events).len(), kinds(&a3.events).len());
}

#[test]
fn the_switchs_own_last_transfer_time_is_preferred_and_exact() {
    let mut s = settings();
    s.switches[0].last_transfer_time = Some("ats.last_transfer".into());
    let plant = Plant::island();
    let readings = by_time(plant.poll(&points(&s), -60.0, 1960.0));
    let (tl, a) = judged(&s, &run(ExerciseKind::Island, 0.0, Some(1850.0)), &readings, 1850.0);
    let transfer = first(tl.events(), EventKind::TransferToEmergency);
    assert_eq!((transfer.at_ms, transfer.timing, transfer.resolution_ms), (at(16.0), Timing::Device, 1000));
    assert_eq!(transfer.point, "ats.last_transfer");
    let back = first(tl.events(), EventKind::Retransfer);
    assert_eq!((back.at_ms, back.timing), (at(1800.0), Timing::Device));
    let ch = kpi(&a, "changeover");
    assert_eq!(ch.timing, Some(Timing::Device));
    assert!(close(ch.value.expect("measured"), 16.0 - 11.0, 1e-9), "{ch:?}");
    assert_eq!(ch.resolution, Some(2.0), "device second + the polled mains loss");
}

#[test]
fn a_register_read_before_the_position_still_times_the_transfer() {
    let mut s = settings();
    s.switches[0].last_transfer_time = Some("ats.last_transfer".into());
    let plant = Plant::island();
    // The register is read 0.9 s before the position in each poll cycle.
    let mut readings = plant.poll(&points(&s), -60.0, 1960.0);
    for r in readings.iter_mut().filter(|r| &*r.point == "ats.last_transfer") {
        let t = r.time_ms - 900;
        *r = Reading { time_ms: t, value: plant.value("ats.last_transfer", (t - T0) as f64 / 1000.0), ..r.clone() };
    }
    let (tl, _) = judged(&s, &run(ExerciseKind::Island, 0.0, Some(1850.0)), &by_time(readings), 1850.0);
    let transfer = first(tl.events(), EventKind::TransferToEmergency);
    assert_eq!((transfer.at_ms, transfer.timing), (at(16.0), Timing::Device));
}

#[test]
fn a_failed_first_crank_fails_start_attempts_live_and_in_the_report() {
    let s = settings();
    let mut plant = Plant::island();
    // Crank at 11.5 falls back to stopped at 14.5, second crank 16.5 (seen 17.1), running 18.4.
    plant.engine = vec![(-1000.0, 0.0), (10.6, 1.0), (11.5, 2.0), (14.5, 0.0), (16.5, 2.0), (18.4, 3.0), (1810.0, 4.0), (1900.0, 0.0)];
    plant.voltage_ok = Some(19.2);
    plant.frequency_ok = Some(18.9);
    plant.transfer = Some(21.3);
    let readings = by_time(plant.poll(&points(&s), -60.0, 1960.0));
    let r = run(ExerciseKind::Island, 0.0, Some(1850.0));
    let mut tl = Timeline::for_run(&s, &r);
    let mut live_at_18 = None;
    for reading in &readings {
        if reading.time_ms > at(18.0) && live_at_18.is_none() {
            live_at_18 = Some(tl.live_failures(at(18.0)));
        }
        tl.feed(reading);
    }
    assert_eq!(
        live_at_18.expect("measured"),
        [LiveFailure { criterion: Criterion::StartAttempts, unit: Some("g1".into()) }],
        "the second crank raises the alarm at once"
    );
    use EventKind::*;
    assert_eq!(tl.events().iter().filter(|e| e.kind == Crank).count(), 2);
    assert_eq!(tl.events().iter().filter(|e| e.kind == CrankFailed).count(), 1);
    assert_eq!(tl.events().iter().filter(|e| e.kind == GeneratorReady).count(), 1);
    let a = analyze(&s, &r, &tl, at(1850.0));
    let attempts = kpi(&a, "start_attempts");
    assert_eq!((attempts.value, attempts.verdict), (Some(2.0), Verdict::Fail));
    assert_eq!(kpi(&a, "start_time").verdict, Verdict::Pass, "still started within 15 s");
    assert_eq!(a.verdict, Verdict::Fail);
}

#[test]
fn a_transfer_that_never_happens_fails_changeover_live_after_the_limit_and_in_the_report() {
    let s = settings();
    let mut plant = Plant::island();
    plant.transfer = None;
    plant.retransfer = None;
    plant.booster_trip = None;
    let readings = by_time(plant.poll(&points(&s), -60.0, 1960.0));
    let r = run(ExerciseKind::Island, 0.0, Some(1850.0));
    let mut tl = Timeline::for_run(&s, &r);
    for reading in readings.iter().filter(|x| x.time_ms <= at(25.0)) {
        tl.feed(reading);
    }
    assert!(tl.live_failures(at(25.0)).is_empty(), "within 15 s of the mains loss at 11.0");
    for reading in readings.iter().filter(|x| x.time_ms > at(25.0) && x.time_ms <= at(27.0)) {
        tl.feed(reading);
    }
    assert_eq!(tl.live_failures(at(26.5)), [LiveFailure { criterion: Criterion::Changeover, unit: Some("ats".into()) }]);
    for reading in readings.iter().filter(|x| x.time_ms > at(27.0)) {
        tl.feed(reading);
    }
    let a = analyze(&s, &r, &tl, at(1850.0));
    let ch = kpi(&a, "changeover");
    assert_eq!((ch.value, ch.verdict), (None, Verdict::Fail));
    assert_eq!(a.verdict, Verdict::Fail);
}

#[test]
fn a_slow_start_fails_start_time_live_and_stays_failed_once_ready() {
    let s = settings();
    let mut plant = Plant::island();
    plant.voltage_ok = Some(30.2);
    plant.frequency_ok = Some(30.0);
    plant.transfer = Some(31.0);
    let readings = by_time(plant.poll(&points(&s), -60.0, 1960.0));
    let r = run(ExerciseKind::Island, 0.0, Some(1850.0));
    let mut tl = Timeline::for_run(&s, &r);
    let mut seen = Vec::new();
    for reading in &readings {
        tl.feed(reading);
        if reading.time_ms % 1000 == 0 && reading.time_ms <= at(40.0) {
            seen.push((reading.time_ms, tl.live_failures(reading.time_ms)));
        }
    }
    let start_failed = |f: &Vec<LiveFailure>| f.iter().any(|x| x.criterion == Criterion::StartTime);
    let first_fail = seen.iter().find(|(_, f)| start_failed(f)).map(|(t, _)| *t);
    assert_eq!(first_fail, Some(at(27.0)), "15 s after the mains loss was seen at 11.0");
    assert!(start_failed(&tl.live_failures(at(1000.0))));
    let a = analyze(&s, &r, &tl, at(1850.0));
    assert_eq!(kpi(&a, "start_time").verdict, Verdict::Fail);
    assert!(kpi(&a, "start_time").value.expect("measured") > 15.0);
    assert_eq!(kpi(&a, "changeover").verdict, Verdict::Fail);
}

/// A monthly test: the switch put in test at 5.2 s, the generator runs and carries `kw`
/// from 20 s to `load_until`, test mode off then.
fn monthly(kw: f64, load_until: f64) -> Plant {
    Plant {
        mains_lost: None,
        mains_back: None,
        test_on: Some(5.2),
        test_off: Some(load_until),
        engine: vec![(-1000.0, 0.0), (6.0, 2.0), (8.0, 3.0), (load_until + 10.0, 4.0), (load_until + 100.0, 0.0)],
        voltage_ok: Some(9.1),
        frequency_ok: Some(9.0),
        cool_down: Some(load_until + 10.0),
        transfer: Some(12.4),
        retransfer: Some(load_until),
        kw: vec![(-1000.0, 0.0), (20.0, kw), (load_until, 0.0)],
        booster_trip: None,
        comm_fail: None,
        burn_l_per_h: 50.0,
    }
}

#[test]
fn a_monthly_test_on_load_passes_from_test_mode_and_an_hour_at_40_percent() {
    let s = settings();
    let plant = monthly(200.0, 20.0 + 35.0 * 60.0);
    let readings = by_time(plant.poll(&points(&s), -60.0, 2400.0));
    let (tl, a) = judged(&s, &run(ExerciseKind::Monthly, 0.0, Some(2300.0)), &readings, 2300.0);
    let test_on = first(tl.events(), EventKind::TestModeOn);
    assert!(test_on.at_ms > at(5.2) && test_on.at_ms - test_on.resolution_ms <= at(5.2), "{test_on:?}");
    let start = kpi(&a, "start_time");
    assert_eq!(start.reference, Some(EventKind::TestModeOn));
    assert!(close(start.value.expect("measured"), 9.1 - 5.2, start.resolution.expect("measured")), "{start:?}");
    let ch = kpi(&a, "changeover");
    assert!(close(ch.value.expect("measured"), 12.4 - 5.2, ch.resolution.expect("measured")), "{ch:?}");
    let load = kpi(&a, "load_percent");
    assert_eq!((load.value, load.verdict, load.limit, load.limit_is_max), (Some(40.0), Verdict::Pass, Some(30.0), false));
    let minutes = kpi(&a, "minutes_on_load");
    assert!(close(minutes.value.expect("measured"), 35.0, 1.0 / 60.0 + 1e-9), "{minutes:?}");
    assert_eq!((minutes.verdict, minutes.limit), (Verdict::Pass, Some(30.0)));
    assert_eq!(kpi(&a, "start_attempts").verdict, Verdict::Pass);
    assert_eq!(a.verdict, Verdict::Pass);
    assert!(tl.live_failures(at(2300.0)).is_empty());
}

#[test]
fn a_monthly_test_too_short_or_too_light_fails_load() {
    let s = settings();
    let short = monthly(200.0, 20.0 + 20.0 * 60.0);
    let (_, a) = judged(&s, &run(ExerciseKind::Monthly, 0.0, Some(1400.0)), &by_time(short.poll(&points(&s), -60.0, 1500.0)), 1400.0);
    assert_eq!(kpi(&a, "load_percent").verdict, Verdict::Pass);
    assert_eq!(kpi(&a, "minutes_on_load").verdict, Verdict::Fail);
    assert_eq!(a.verdict, Verdict::Fail);

    let light = monthly(100.0, 20.0 + 40.0 * 60.0);
    let (_, a) = judged(&s, &run(ExerciseKind::Monthly, 0.0, Some(2500.0)), &by_time(light.poll(&points(&s), -60.0, 2600.0)), 2500.0);
    let load = kpi(&a, "load_percent");
    assert_eq!((load.value, load.verdict), (Some(20.0), Verdict::Fail), "the mean load it carried");
    assert_eq!((kpi(&a, "minutes_on_load").value, kpi(&a, "minutes_on_load").verdict), (Some(0.0), Verdict::Fail));
}

#[test]
fn bad_readings_change_no_state_or_sum_and_their_time_is_counted_as_missing() {
    let s = settings();
    let mut plant = monthly(200.0, 20.0 + 35.0 * 60.0);
    // The generator's controller does not answer for 2 minutes in the middle of the load.
    plant.comm_fail = Some((600.0, 720.0));
    let readings = by_time(plant.poll(&points(&s), -60.0, 2400.0));
    let (tl, a) = judged(&s, &run(ExerciseKind::Monthly, 0.0, Some(2300.0)), &readings, 2300.0);
    // No stop or restart from the gap.
    assert_eq!(tl.events().iter().filter(|e| e.kind == EventKind::GeneratorStopped).count(), 1);
    assert_eq!(tl.events().iter().filter(|e| e.kind == EventKind::Crank).count(), 1);
    let minutes = kpi(&a, "minutes_on_load").value.expect("measured");
    assert!(close(minutes, 33.0, 2.0 / 60.0), "the gap neither counts nor breaks the stretch: {minutes}");
    let missing: Vec<(&str, i64)> = a.missing.iter().map(|m| (m.point.as_str(), m.missing_ms)).collect();
    assert_eq!(missing.len(), 4, "{missing:?}");
    for (p, ms) in missing {
        assert!(p.starts_with("g1."), "{p}");
        assert!((119_000..=121_000).contains(&ms), "{p}: {ms}");
    }
    assert_eq!(tl.missing_ms("g1.kw", at(2300.0)), Some(a.missing[0].missing_ms));
}

#[test]
fn an_outage_detected_on_the_mains_loss_itself_measures_from_the_run_start() {
    // The live runtime starts the outage on the reading that shows mains lost and feeds from
    // there: that first reading only sets the state, the run's start is the reference.
    let s = settings();
    let plant = Plant::island();
    let r = run(ExerciseKind::Outage, 11.0, None);
    let readings: Vec<Reading> =
        by_time(plant.poll(&points(&s), -60.0, 60.0)).into_iter().filter(|x| x.time_ms >= at(11.0)).collect();
    let mut tl = Timeline::for_run(&s, &r);
    for reading in &readings {
        tl.feed(reading);
    }
    assert!(!kinds(tl.events()).contains(&EventKind::MainsLost));
    assert!(tl.live_failures(at(60.0)).is_empty());
    let a = analyze(&s, &r, &tl, at(60.0));
    let start = kpi(&a, "start_time");
    assert_eq!(start.reference, Some(EventKind::RunStarted));
    assert!(close(start.value.expect("measured"), 14.2 - 11.0, start.resolution.expect("measured")));
    assert_eq!(a.events.iter().filter(|e| e.kind == EventKind::RunStopped).count(), 0, "still running");
}

#[test]
fn live_waits_for_the_test_mode_of_a_monthly_test() {
    let s = settings();
    let mut plant = monthly(200.0, 2000.0);
    // Operator walks to the switch: test mode only at 120 s.
    plant.test_on = Some(120.2);
    plant.engine = vec![(-1000.0, 0.0), (121.0, 2.0), (123.0, 3.0)];
    plant.voltage_ok = Some(124.1);
    plant.frequency_ok = Some(124.0);
    plant.transfer = Some(126.0);
    let readings = by_time(plant.poll(&points(&s), -60.0, 200.0));
    let r = run(ExerciseKind::Monthly, 0.0, None);
    let mut tl = Timeline::for_run(&s, &r);
    for reading in readings.iter().filter(|x| x.time_ms <= at(110.0)) {
        tl.feed(reading);
    }
    assert!(tl.live_failures(at(110.0)).is_empty(), "no deadline before the test mode is seen");
    for reading in readings.iter().filter(|x| x.time_ms > at(110.0)) {
        tl.feed(reading);
    }
    assert!(tl.live_failures(at(200.0)).is_empty());
    let a = analyze(&s, &r, &tl, at(200.0));
    assert_eq!(kpi(&a, "changeover").verdict, Verdict::Pass);
    assert_eq!(kpi(&a, "start_time").verdict, Verdict::Pass);
}

fn reading(point: &str, s: f64, value: Value) -> Reading {
    Reading { point: Arc::from(point), time_ms: at(s), value: Some(value), quality: Quality::Good }
}

#[test]
fn the_start_counter_counts_attempts_the_engine_state_missed() {
    let mut s = settings();
    s.generators[0].starts = Some("g1.starts".into());
    let r = run(ExerciseKind::Island, 0.0, None);
    let mut tl = Timeline::for_run(&s, &r);
    let n = |v: f64| Value::Number(v);
    for (point, t, v) in [
        ("grid.mains_ok", 0.0, Value::Bool(true)),
        ("g1.state", 0.0, n(0.0)),
        ("g1.starts", 0.0, n(41.0)),
        ("g1.voltage", 0.0, n(0.0)),
        ("g1.frequency", 0.0, n(0.0)),
        ("grid.mains_ok", 1.0, Value::Bool(false)),
        // One crank seen; a failed crank and a second one fell between the polls.
        ("g1.state", 2.0, n(2.0)),
        ("g1.starts", 2.0, n(42.0)),
        ("g1.state", 6.0, n(3.0)),
        ("g1.starts", 6.0, n(43.0)),
        ("g1.voltage", 7.0, n(230.0)),
        ("g1.frequency", 7.0, n(50.0)),
    ] {
        tl.feed(&reading(point, t, v));
    }
    let cranks: Vec<&Event> = tl.events().iter().filter(|e| e.kind == EventKind::Crank).collect();
    assert_eq!(cranks.len(), 2, "{cranks:?}");
    assert_eq!((cranks[1].timing, cranks[1].point.as_str(), cranks[1].at_ms), (Timing::Device, "g1.starts", at(6.0)));
    let a = analyze(&s, &r, &tl, at(10.0));
    let attempts = kpi(&a, "start_attempts");
    assert_eq!((attempts.value, attempts.timing, attempts.verdict), (Some(2.0), Some(Timing::Device), Verdict::Fail));
}

#[test]
fn a_quick_transfer_and_back_between_polls_shows_both_from_the_counter() {
    let mut s = settings();
    s.switches[0].transfer_count = Some("ats.count".into());
    s.switches[0].last_transfer_time = Some("ats.last_transfer".into());
    let mut tl = Timeline::new(&s, ExerciseKind::Island, at(0.0));
    let n = |v: f64| Value::Number(v);
    let unix = |x: f64| n((at(x) / 1000) as f64);
    for (point, t, v) in [
        ("ats.position", 0.0, n(0.0)),
        ("ats.count", 0.0, n(10.0)),
        ("ats.last_transfer", 0.0, unix(-5000.0)),
        ("ats.position", 1.0, n(0.0)),
        ("ats.count", 1.0, n(12.0)),
        ("ats.last_transfer", 1.0, unix(0.6)),
    ] {
        tl.feed(&reading(point, t, v));
    }
    let evs = tl.events();
    assert_eq!(kinds(evs), [EventKind::TransferToEmergency, EventKind::Retransfer]);
    assert_eq!((evs[1].at_ms, evs[1].timing), (at(0.0), Timing::Device), "register holds whole seconds");
}

#[test]
fn sums_end_at_the_stop_but_events_after_it_are_kept() {
    let s = settings();
    let plant = Plant::island();
    let readings = by_time(plant.poll(&points(&s), -60.0, 1960.0));
    // Stopped 10 minutes into the load: the margin still shows retransfer and stop.
    let r = run(ExerciseKind::Island, 0.0, Some(616.5));
    let (tl, a) = judged(&s, &r, &readings, 1960.0);
    assert!(kinds(tl.events()).contains(&EventKind::Retransfer));
    assert!(kinds(tl.events()).contains(&EventKind::GeneratorStopped));
    assert!(close(kpi(&a, "minutes_on_load").value.expect("measured"), 10.0, 2.0 / 60.0));
    assert!(close(a.generators[0].run_ms as f64 / 1000.0, 616.5 - 13.4, 2.0));
    // Judged while it runs: held values carry to "now".
    let r = run(ExerciseKind::Island, 0.0, None);
    let mut tl = Timeline::for_run(&s, &r);
    for x in readings.iter().filter(|x| x.time_ms <= at(316.5)) {
        tl.feed(x);
    }
    let a = analyze(&s, &r, &tl, at(316.5));
    assert!(close(kpi(&a, "minutes_on_load").value.expect("measured"), 5.0, 2.0 / 60.0));
}

#[test]
fn nothing_read_is_nothing_judged() {
    let s = settings();
    let r = run(ExerciseKind::Island, 0.0, Some(600.0));
    let tl = Timeline::for_run(&s, &r);
    let a = analyze(&s, &r, &tl, at(600.0));
    assert_eq!(a.verdict, Verdict::NotMeasured);
    assert!(a.kpis.iter().all(|k| k.verdict != Verdict::Fail && k.verdict != Verdict::Pass), "{:#?}", a.kpis);
    assert_eq!(a.watched[0].verdict, Verdict::NotMeasured);
    assert_eq!(a.missing.len(), s.points().len());
    assert!(a.missing.iter().all(|m| m.missing_ms == 600_000));
    assert_eq!(kinds(&a.events), [EventKind::RunStarted, EventKind::RunStopped]);
}

#[test]
fn out_of_order_and_foreign_readings_are_ignored() {
    let s = settings();
    let mut tl = Timeline::new(&s, ExerciseKind::Island, at(0.0));
    tl.feed(&reading("grid.mains_ok", 5.0, Value::Bool(true)));
    tl.feed(&reading("grid.mains_ok", 4.0, Value::Bool(false)));
    tl.feed(&reading("other.point", 6.0, Value::Bool(false)));
    tl.feed(&reading("grid.mains_ok", 7.0, Value::Text("x".into())));
    assert!(tl.events().is_empty());
    tl.feed(&reading("grid.mains_ok", 8.0, Value::Bool(false)));
    let lost = first(tl.events(), EventKind::MainsLost);
    assert_eq!((lost.at_ms, lost.resolution_ms), (at(8.0), 3000), "since the last good reading");
}

#[test]
fn a_generator_not_in_a_monthly_test_is_not_judged() {
    let mut s = settings();
    let mut g2 = s.generators[0].clone();
    for (field, name) in [(&mut g2.engine_state, "g2.state"), (&mut g2.voltage_v, "g2.voltage"), (&mut g2.frequency_hz, "g2.frequency"), (&mut g2.power_kw, "g2.kw")] {
        *field = name.into();
    }
    g2.id = "g2".into();
    s.generators.push(g2);
    let plant = monthly(200.0, 20.0 + 35.0 * 60.0);
    let mut readings = plant.poll(&points(&s), -60.0, 2400.0);
    for r in readings.iter_mut().filter(|r| r.point.starts_with("g2.")) {
        r.value = Some(Value::Number(0.0));
    }
    let (_, a) = judged(&s, &run(ExerciseKind::Monthly, 0.0, Some(2300.0)), &by_time(readings), 2300.0);
    let g2: Vec<Verdict> = a.kpis.iter().filter(|k| k.unit.as_deref() == Some("g2")).map(|k| k.verdict).collect();
    assert!(g2.iter().all(|v| *v == Verdict::NotApplicable), "{g2:?}");
    assert_eq!(a.verdict, Verdict::Pass);
}


#[test]
fn a_start_signal_is_the_reference_when_there_is_no_test_mode_and_a_load_bank_leaves_the_switch_unjudged() {
    let mut s = settings();
    s.switches[0].test_mode = None;
    s.switches[0].start_signal = Some("ats.start".into());
    let r = run(ExerciseKind::Loadbank, 0.0, Some(100.0));
    let mut tl = Timeline::for_run(&s, &r);
    let n = |v: f64| Value::Number(v);
    for (point, t, v) in [
        ("grid.mains_ok", -10.0, Value::Bool(true)),
        ("ats.position", -10.0, n(0.0)),
        ("ats.start", -10.0, Value::Bool(false)),
        ("g1.state", -10.0, n(0.0)),
        ("g1.voltage", -10.0, n(0.0)),
        ("g1.frequency", -10.0, n(0.0)),
        ("ats.start", 2.0, Value::Bool(true)),
        ("g1.state", 3.0, n(2.0)),
        ("g1.state", 5.0, n(3.0)),
        ("g1.voltage", 6.0, n(229.0)),
        ("g1.frequency", 6.5, n(49.8)),
        ("ats.position", 60.0, n(0.0)),
    ] {
        tl.feed(&reading(point, t, v));
    }
    assert_eq!(first(tl.events(), EventKind::StartSignal).unit.as_deref(), Some("ats"));
    let a = analyze(&s, &r, &tl, at(100.0));
    let start = kpi(&a, "start_time");
    assert_eq!((start.reference, start.value), (Some(EventKind::StartSignal), Some(4.5)));
    let ready = first(&a.events, EventKind::GeneratorReady);
    assert_eq!(ready.point, "g1.frequency", "the later of the two");
    // The start signal is the switch's own: its changeover is expected and never came.
    assert_eq!(kpi(&a, "changeover").verdict, Verdict::Fail);

    // A load bank run without anything from the switch: its changeover is not judged.
    let mut s2 = settings();
    s2.switches[0].test_mode = None;
    let mut tl = Timeline::for_run(&s2, &r);
    for (point, t, v) in [("ats.position", -10.0, n(0.0)), ("g1.state", -10.0, n(0.0)), ("g1.state", 3.0, n(2.0)), ("ats.position", 60.0, n(0.0))] {
        tl.feed(&reading(point, t, v));
    }
    let a = analyze(&s2, &r, &tl, at(100.0));
    assert_eq!(kpi(&a, "changeover").verdict, Verdict::NotApplicable);
    assert!(tl.live_failures(at(100.0)).iter().all(|f| f.criterion != Criterion::Changeover));
}

#[test]
fn a_watched_point_briefly_outside_its_allowance_passes_and_bad_readings_do_not_count_as_outside() {
    let s = settings();
    let r = run(ExerciseKind::Island, 0.0, Some(100.0));
    let mut tl = Timeline::for_run(&s, &r);
    let p = |t: f64, v: Option<f64>| Reading {
        point: Arc::from("booster.pressure"),
        time_ms: at(t),
        value: v.map(Value::Number),
        quality: if v.is_some() { Quality::Good } else { Quality::CommFail },
    };
    // Held from before the start: outside from the start until 10 s, then a gap, then
    // above the band 40–50 s.
    for x in [p(-5.0, Some(2.5)), p(10.0, Some(4.0)), p(20.0, None), p(30.0, Some(4.0)), p(40.0, Some(7.5)), p(50.0, Some(5.0))] {
        tl.feed(&x);
    }
    let a = analyze(&s, &r, &tl, at(100.0));
    let w = &a.watched[0];
    assert_eq!((w.outside_ms, w.first_outside_ms), (20_000, Some(at(0.0))));
    assert_eq!((w.min, w.max), (Some(2.5), Some(7.5)));
    assert!(close(w.worst_deviation, 1.5, 1e-9));
    assert_eq!(w.verdict, Verdict::Pass, "20 s ≤ 30 s allowed");
    let missing = a.missing.iter().find(|m| m.point == "booster.pressure").map(|m| m.missing_ms);
    assert_eq!(missing, Some(10_000));
}

#[test]
fn ups_minutes_count_only_good_data_on_battery() {
    let s = settings();
    let r = run(ExerciseKind::Outage, 0.0, Some(600.0));
    let mut tl = Timeline::for_run(&s, &r);
    let u = |t: f64, v: Option<bool>| Reading {
        point: Arc::from("ups.on_battery"),
        time_ms: at(t),
        value: v.map(Value::Bool),
        quality: if v.is_some() { Quality::Good } else { Quality::CommFail },
    };
    for x in [u(0.0, Some(false)), u(60.0, Some(true)), u(120.0, None), u(180.0, Some(true)), u(240.0, Some(false))] {
        tl.feed(&x);
    }
    assert_eq!(kinds(tl.events()), [EventKind::UpsOnBattery, EventKind::UpsOffBattery], "the gap is no change");
    let a = analyze(&s, &r, &tl, at(600.0));
    assert_eq!(kpi(&a, "ups_minutes").value, Some(2.0));
    assert_eq!(kpi(&a, "ups_minutes").criterion, None);
}
