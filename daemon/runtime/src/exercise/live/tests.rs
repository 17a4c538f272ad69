//! The monitor in synthetic time: one reading per point per second, nothing sleeps.

use std::time::Duration;

use driftvakt_config::model::{AlarmClass, Criteria, EngineStates, GeneratorRole, SwitchRole};

use super::*;

pub(crate) fn settings() -> ExerciseSettings {
    ExerciseSettings {
        mains_available: "ats.mains_available".into(),
        switches: vec![SwitchRole {
            id: "ats".into(),
            name: "ATS".into(),
            position: "ats.position".into(),
            emergency_value: 1.0,
            test_mode: None,
            start_signal: None,
            last_transfer_time: None,
            transfer_count: None,
            changeover_limit: Duration::from_secs(15),
        }],
        generators: vec![GeneratorRole {
            id: "g1".into(),
            name: "G1".into(),
            engine_state: "g1.engine_state".into(),
            states: EngineStates::default(),
            voltage_v: "g1.voltage_l1".into(),
            frequency_hz: "g1.frequency".into(),
            power_kw: "g1.total_power".into(),
            rated_kw: 800.0,
            nominal_voltage_v: 230.0,
            nominal_frequency_hz: 50.0,
            starts: None,
            run_time: None,
        }],
        ups_on_battery: vec![],
        ups_runtime_min: vec![],
        fuel_stock_l: vec![],
        fuel_unusable_l: 0.0,
        watch: vec![],
        criteria: Criteria::default(),
        detect_outages: true,
        outage_after: Duration::from_secs(2),
        outage_end_after: Duration::from_secs(900),
        lead: Duration::from_secs(60),
        fast_poll: None,
        expected_alarms: vec!["ats.mains_available.state".into()],
        alarm_class: AlarmClass::A,
        command_topic: None,
    }
}

fn r(point: &str, t_s: i64, v: f64) -> Reading {
    Reading { point: Arc::from(point), time_ms: t_s * 1000, value: Some(Value::Number(v)), quality: Quality::Good }
}

/// One second of the plant: mains, switch position, engine state, voltage, frequency, power.
fn plant(t_s: i64, mains: bool, on_emergency: bool, engine: f64) -> Vec<Reading> {
    let running = engine == 3.0;
    vec![
        Reading { point: Arc::from("ats.mains_available"), time_ms: t_s * 1000, value: Some(Value::Bool(mains)), quality: Quality::Good },
        r("ats.position", t_s, if on_emergency { 1.0 } else { 0.0 }),
        r("g1.engine_state", t_s, engine),
        r("g1.voltage_l1", t_s, if running { 230.0 } else { 0.0 }),
        r("g1.frequency", t_s, if running { 50.0 } else { 0.0 }),
        r("g1.total_power", t_s, if running && on_emergency { 400.0 } else { 0.0 }),
    ]
}

fn run(id: i64, kind: ExerciseKind, started_ms: i64) -> Run {
    Run { id, kind, name: "r".into(), started_by: "test".into(), started_ms, stopped_ms: None, stopped_by: None, notes: vec![] }
}

#[test]
fn a_mains_loss_held_for_outage_after_asks_for_an_outage_once_and_its_end_for_a_stop() {
    let mut m = ExerciseMonitor::new(&settings(), None);
    for t in 0..10 {
        assert!(m.observe(&plant(t, true, false, 0.0)).is_empty());
    }
    // Lost at 10 s: not yet at 11 s, an outage from 10 s at 12 s, asked once.
    assert!(m.observe(&plant(10, false, false, 0.0)).is_empty());
    assert!(m.observe(&plant(11, false, false, 2.0)).is_empty());
    assert_eq!(m.observe(&plant(12, false, false, 3.0)), [MonitorAction::StartOutage { at_ms: 10_000 }]);
    assert!(m.observe(&plant(13, false, true, 3.0)).is_empty(), "asked once until recorded");
    m.started(run(1, ExerciseKind::Outage, 10_000));
    for t in 14..100 {
        assert!(m.observe(&plant(t, false, true, 3.0)).is_empty(), "{t}");
    }
    // Mains back; the switch retransfers, the generator cools down, then stops: the end.
    assert!(m.observe(&plant(100, true, true, 3.0)).is_empty());
    assert!(m.observe(&plant(105, true, false, 4.0)).is_empty());
    assert_eq!(m.observe(&plant(200, true, false, 0.0)), [MonitorAction::StopOutage { at_ms: 200_000 }]);
    m.stopped();
    assert!(m.observe(&plant(201, true, false, 0.0)).is_empty());
    assert_eq!(m.failure_readings(201_000).iter().map(|r| r.value.clone()).collect::<Vec<_>>(), vec![Some(Value::Bool(false)); 3]);
}

#[test]
fn an_outage_whose_generator_never_stops_ends_outage_end_after_mains_came_back() {
    let mut s = settings();
    s.outage_end_after = Duration::from_secs(60);
    let mut m = ExerciseMonitor::new(&s, Some(run(1, ExerciseKind::Outage, 0)));
    for t in 0..10 {
        assert!(m.observe(&plant(t, false, true, 3.0)).is_empty());
    }
    for t in 10..70 {
        assert!(m.observe(&plant(t, true, false, 3.0)).is_empty(), "{t}");
    }
    assert_eq!(m.observe(&plant(70, true, false, 3.0)), [MonitorAction::StopOutage { at_ms: 70_000 }]);
}

#[test]
fn a_mains_loss_during_an_exercise_is_the_exercise_not_an_outage() {
    let mut m = ExerciseMonitor::new(&settings(), None);
    m.observe(&plant(0, true, false, 0.0));
    m.started(run(1, ExerciseKind::Island, 500));
    for t in 1..30 {
        assert!(m.observe(&plant(t, false, true, 3.0)).is_empty());
    }
    // Stopped while mains are still cut: no outage from the same loss.
    m.stopped();
    for t in 30..40 {
        assert!(m.observe(&plant(t, false, true, 3.0)).is_empty());
    }
    // Mains back, then a real loss: an outage.
    m.observe(&plant(40, true, false, 0.0));
    m.observe(&plant(41, false, false, 0.0));
    assert_eq!(m.observe(&plant(43, false, false, 0.0)), [MonitorAction::StartOutage { at_ms: 41_000 }]);
}

#[test]
fn outage_detection_off_never_asks() {
    let mut s = settings();
    s.detect_outages = false;
    let mut m = ExerciseMonitor::new(&s, None);
    for t in 0..30 {
        assert!(m.observe(&plant(t, false, false, 0.0)).is_empty());
    }
}

#[test]
fn a_transfer_that_never_happens_turns_the_changeover_point_true_while_the_run_lasts() {
    let mut m = ExerciseMonitor::new(&settings(), None);
    for t in 0..5 {
        m.observe(&plant(t, true, false, 0.0));
    }
    m.started(run(1, ExerciseKind::Island, 5_000));
    let changeover = |m: &ExerciseMonitor, t: i64| {
        m.failure_readings(t * 1000).into_iter().find(|r| &*r.point == "exercise.changeover").and_then(|r| r.value)
    };
    // Mains cut at 5 s; the generator starts, the switch never transfers.
    for t in 5..15 {
        m.observe(&plant(t, false, false, if t < 7 { 2.0 } else { 3.0 }));
    }
    assert_eq!(changeover(&m, 14), Some(Value::Bool(false)), "within the 15 s limit");
    assert!(!m.failures_changed(14_000));
    for t in 15..30 {
        m.observe(&plant(t, false, false, 3.0));
    }
    assert_eq!(changeover(&m, 29), Some(Value::Bool(true)), "15 s after the loss without a transfer");
    assert!(m.failures_changed(29_000));
    assert!(!m.failures_changed(30_000));
    m.stopped();
    assert_eq!(changeover(&m, 31), Some(Value::Bool(false)), "cleared when the run ends");
}

#[test]
fn the_live_criteria_are_the_ones_the_configuration_makes_alarm_rules_for() {
    let keys: Vec<&str> = super::LIVE_CRITERIA.iter().map(|c| c.key()).collect();
    assert_eq!(keys, driftvakt_config::model::LIVE_ALARM_CRITERIA);
}
