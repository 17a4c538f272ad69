//! The model's exercise behaviour: test mode, the schedule, faults and the ground truth
//! ([`Plant::events`]) with its exact times.

use super::*;
use crate::scenario::{MONTHLY_TEST_OFF_AT_S, MONTHLY_TEST_ON_AT_S};

/// Step in 0.1 s steps (as the server does at speed 1, 10 or 60) to the step nearest `t_s`.
fn run_to(p: &mut Plant, t_s: f64) {
    while p.t_s < t_s - 0.05 {
        p.step(0.1);
    }
}

/// The events as (time, kind, unit) for comparison.
fn events(p: &Plant) -> Vec<(f64, &'static str, Option<&'static str>)> {
    p.events.iter().map(|e| (e.t_s, e.kind, e.unit)).collect()
}

/// The time of the first event of `kind` (for `unit`, if given).
fn first(p: &Plant, kind: &str, unit: Option<&str>) -> f64 {
    p.events
        .iter()
        .find(|e| e.kind == kind && (unit.is_none() || e.unit == unit))
        .unwrap_or_else(|| panic!("no {kind} event in {:?}", events(p)))
        .t_s
}

fn count(p: &Plant, kind: &str) -> usize {
    p.events.iter().filter(|e| e.kind == kind).count()
}

fn faults(list: &str) -> Faults {
    list.parse().expect("fault list")
}

const G1: Option<&str> = Some("G1");
const G2: Option<&str> = Some("G2");
const ATS: Option<&str> = Some("ats");
const UPS: Option<&str> = Some("ups");
const PUMP: Option<&str> = Some("pump1");

/// Trigger + start delay: the crank. Trigger = mains loss or test mode on (t = 20 s).
const CRANK: f64 = 20.0 + START_DELAY_S;
/// Crank + 90 % of the ramp: voltage and frequency within 10 %.
const READY: f64 = CRANK + 0.9 * RAMP_S;
/// Ready + acceptance: the ATS transfers and the generators take the load.
const TRANSFER: f64 = READY + ATS_EMERGENCY_ACCEPT_S;

#[test]
fn monthly_test_sequence_and_timings() {
    let mut p = Plant::new(&Scenario::MonthlyTest);
    let on = MONTHLY_TEST_ON_AT_S;
    let off = MONTHLY_TEST_OFF_AT_S;
    run_to(&mut p, on - 0.1);
    assert!(!p.ats.test_mode && !p.ats.start_signal);
    assert!(p.events.is_empty());

    // Test mode on: start signal at once, mains stays, the load stays on mains.
    run_to(&mut p, on);
    assert!(p.ats.test_mode && p.ats.start_signal && p.mains.available);
    assert_eq!(p.ats.position, AtsPosition::Normal);
    let mut bus_always_powered = true;
    let mut ups_ever_on_battery = false;
    while p.t_s < TRANSFER + 0.3 {
        p.step(0.1);
        bus_always_powered &= p.essential_powered;
        ups_ever_on_battery |= p.ups.on_battery;
        if p.t_s < TRANSFER - 0.05 {
            assert_eq!(p.ats.position, AtsPosition::Normal, "t = {}", p.t_s);
        }
    }
    assert_eq!(p.ats.position, AtsPosition::Emergency);
    assert_eq!(p.ats.transfer_count, 147);
    assert_eq!(
        p.ats.last_transfer_unix_s,
        p.epoch_unix_s + TRANSFER.floor() as u64,
        "device-reported transfer time, whole seconds"
    );
    for g in &p.generators {
        assert_eq!(
            g.state,
            EngineState::WarmingUp,
            "running only 6 s after the crank"
        );
        assert!((g.load_kw - 450.0).abs() < 30.0, "{} {}", g.name, g.load_kw);
    }
    assert!(p.mains.available, "a test: mains present all the time");

    run_to(&mut p, off - 0.1);
    assert_eq!(p.ats.position, AtsPosition::Emergency, "on load for 40 min");
    for g in &p.generators {
        assert_eq!(g.state, EngineState::Running);
    }
    // Test mode off: back to mains at once (mains stable), cool-down, stop.
    run_to(&mut p, off);
    assert!(!p.ats.test_mode);
    assert_eq!(p.ats.position, AtsPosition::Normal);
    assert_eq!(p.ats.transfer_count, 148);
    assert_eq!(p.ats.last_transfer_unix_s, p.epoch_unix_s + off as u64);
    run_to(&mut p, off + 1.0);
    assert!(!p.ats.start_signal);
    for g in &p.generators {
        assert_eq!(g.state, EngineState::CoolingDown);
        assert_eq!(g.load_kw, 0.0);
    }
    while p.t_s < off + COOLDOWN_S + 10.0 {
        p.step(0.1);
        bus_always_powered &= p.essential_powered;
        ups_ever_on_battery |= p.ups.on_battery;
    }
    for g in &p.generators {
        assert_eq!(g.state, EngineState::Stopped);
        assert_eq!(g.rpm, 0.0);
    }
    assert_eq!(p.generators[0].starts, 413);
    assert_eq!(p.generators[1].starts, 399);
    assert!(
        bus_always_powered,
        "the changeover is instantaneous in this model"
    );
    assert!(!ups_ever_on_battery);

    // The ground truth, in order, with exact times.
    let both = |t: f64, kind: &'static str| [(t, kind, G1), (t, kind, G2)];
    let mut expected = vec![(on, "test_mode_on", ATS), (on, "start_signal", ATS)];
    expected.extend(both(on + START_DELAY_S - PRESTART_S, "prestart"));
    expected.extend(both(CRANK, "crank"));
    expected.extend(both(READY, "generator_ready"));
    expected.push((TRANSFER, "transfer_to_emergency", ATS));
    expected.extend(both(TRANSFER, "load_picked_up"));
    expected.push((off, "test_mode_off", ATS));
    expected.push((off, "retransfer", ATS));
    // The start signal drops with the retransfer; the engines follow one model step later.
    expected.extend(both(off + 0.1, "cool_down"));
    expected.extend(both(off + 0.1 + COOLDOWN_S, "generator_stopped"));
    assert_eq!(events(&p), expected);
    assert_eq!((CRANK, READY, TRANSFER), (28.0, 31.6, 33.6));
    let e = &p.events[4];
    assert_eq!(e.unix_ms, p.epoch_unix_s as i64 * 1000 + 28_000);
}

#[test]
fn blackout_ground_truth_in_order() {
    let mut p = Plant::new(&Scenario::Blackout);
    run_to(&mut p, 800.0);
    let back = crate::scenario::BLACKOUT_MAINS_BACK_AT_S;
    let retransfer = back + ATS_RETURN_DELAY_S;
    let both = |t: f64, kind: &'static str| [(t, kind, G1), (t, kind, G2)];
    let mut expected = vec![
        (20.0, "mains_lost", None),
        (20.0, "start_signal", ATS),
        (20.0, "ups_on_battery", UPS),
    ];
    expected.extend(both(25.0, "prestart"));
    expected.extend(both(CRANK, "crank"));
    expected.extend(both(READY, "generator_ready"));
    expected.push((TRANSFER, "transfer_to_emergency", ATS));
    expected.extend(both(TRANSFER, "load_picked_up"));
    expected.push((TRANSFER, "ups_off_battery", UPS));
    expected.push((back, "mains_back", None));
    expected.push((retransfer, "retransfer", ATS));
    expected.extend(both(retransfer + 0.1, "cool_down"));
    expected.extend(both(retransfer + 0.1 + COOLDOWN_S, "generator_stopped"));
    assert_eq!(events(&p), expected);
    assert_eq!(retransfer, 650.0);
}

#[test]
fn the_server_step_at_speed_60_gives_the_same_truth() {
    let mut fine = Plant::new(&Scenario::MonthlyTest);
    let mut coarse = Plant::new(&Scenario::MonthlyTest);
    run_to(&mut fine, 2600.0);
    while coarse.t_s < 2600.0 - 0.05 {
        coarse.step(0.1 * 60.0); // one server tick at --speed 60
    }
    assert_eq!(events(&fine), events(&coarse));
}

#[test]
fn slow_start_takes_the_start_beyond_15_s() {
    let mut p = Plant::new(&Scenario::MonthlyTest).with_faults(faults("slow_start"));
    run_to(&mut p, 120.0);
    let crank = first(&p, "crank", G1);
    let ready = first(&p, "generator_ready", G1);
    let transfer = first(&p, "transfer_to_emergency", ATS);
    assert_eq!(crank, CRANK);
    assert_eq!(ready, crank + 0.9 * SLOW_START_RAMP_S);
    assert_eq!(transfer, ready + ATS_EMERGENCY_ACCEPT_S);
    assert!(
        ready - MONTHLY_TEST_ON_AT_S > 15.0,
        "start time {}",
        ready - 20.0
    );
    assert_eq!(first(&p, "load_picked_up", G2), transfer);
    // Warming up lasts the whole ramp: no jump to nominal at 6 s.
    let mut q = Plant::new(&Scenario::MonthlyTest).with_faults(faults("slow_start"));
    run_to(&mut q, CRANK + WARMUP_S + 1.0);
    assert_eq!(q.generators[0].state, EngineState::WarmingUp);
    assert!(!q.generators[0].output_acceptable());
    assert_eq!(p.generators[0].state, EngineState::Running);
}

#[test]
fn failed_first_crank_stops_rests_and_cranks_again() {
    let mut p = Plant::new(&Scenario::Blackout).with_faults(faults("failed_crank"));
    run_to(&mut p, CRANK + 1.0);
    let g = &p.generators[0];
    assert_eq!(g.state, EngineState::WarmingUp);
    assert_eq!(g.rpm, CRANK_RPM, "the starter turns it, it does not fire");
    assert!(!g.output_acceptable());
    assert_eq!(g.starts, 413, "the attempt counts");
    run_to(&mut p, CRANK + FAILED_CRANK_S);
    assert_eq!(p.generators[0].state, EngineState::Stopped);
    run_to(&mut p, CRANK + FAILED_CRANK_S + 1.0);
    assert_eq!(p.generators[0].state, EngineState::PreStart, "resting");
    run_to(&mut p, 200.0);
    assert_eq!(p.generators[0].starts, 414, "two attempts");
    assert_eq!(p.generators[1].starts, 400);
    let crank2 = CRANK + FAILED_CRANK_S + CRANK_REST_S;
    let g1: Vec<(f64, &str)> = p
        .events
        .iter()
        .filter(|e| e.unit == G1)
        .map(|e| (e.t_s, e.kind))
        .take(6)
        .collect();
    assert_eq!(
        g1,
        vec![
            (25.0, "prestart"),
            (CRANK, "crank"),
            (CRANK + FAILED_CRANK_S, "crank_failed"),
            (CRANK + FAILED_CRANK_S + 0.1, "prestart"),
            (crank2, "crank"),
            (crank2 + 0.9 * RAMP_S, "generator_ready"),
        ]
    );
    let transfer = first(&p, "transfer_to_emergency", ATS);
    assert_eq!(transfer, crank2 + 0.9 * RAMP_S + ATS_EMERGENCY_ACCEPT_S);
    assert!(transfer - 20.0 > 15.0, "changeover {} s", transfer - 20.0);
    assert_eq!(p.ats.position, AtsPosition::Emergency);

    // The next start request fails its first crank again.
    run_to(&mut p, 800.0);
    assert_eq!(p.generators[0].state, EngineState::Stopped);
    p.mains_lost_at_s = Some(900.0);
    p.mains_back_at_s = None;
    run_to(&mut p, 960.0);
    assert_eq!(count(&p, "crank_failed"), 4);
    assert_eq!(p.generators[0].starts, 416);
}

#[test]
fn no_transfer_signals_the_start_but_never_changes_over() {
    let mut p = Plant::new(&Scenario::MonthlyTest).with_faults(faults("no_transfer"));
    run_to(&mut p, 600.0);
    assert!(p.ats.start_signal);
    assert_eq!(p.ats.position, AtsPosition::Normal);
    assert_eq!(p.ats.transfer_count, 146);
    for g in &p.generators {
        assert_eq!(g.state, EngineState::Running);
        assert_eq!(g.load_kw, 0.0, "running unloaded");
    }
    run_to(&mut p, MONTHLY_TEST_OFF_AT_S + COOLDOWN_S + 10.0);
    assert_eq!(count(&p, "transfer_to_emergency"), 0);
    assert_eq!(count(&p, "load_picked_up"), 0);
    assert_eq!(count(&p, "retransfer"), 0);
    assert_eq!(
        first(&p, "cool_down", G1),
        MONTHLY_TEST_OFF_AT_S,
        "the start signal drops with test mode"
    );
    assert_eq!(p.generators[0].state, EngineState::Stopped);

    // In a blackout the essential bus stays dead: the UPS stays on battery.
    let mut b = Plant::new(&Scenario::Blackout).with_faults(faults("no_transfer"));
    run_to(&mut b, 300.0);
    assert!(!b.essential_powered && b.ups.on_battery);
    assert_eq!(b.generators[0].state, EngineState::Running);
    assert!(b.ups.battery_minutes < b.ups.battery_full_minutes - 4.0);
}

#[test]
fn pump_trip_on_the_changeover_lasts_ten_minutes() {
    let mut p = Plant::new(&Scenario::MonthlyTest).with_faults(faults("pump_trip"));
    run_to(&mut p, TRANSFER - 0.1);
    assert!(p.water.pump1_running);
    run_to(&mut p, TRANSFER + 30.0);
    assert!(!p.water.pump1_running, "tripped on the changeover");
    assert!(p.essential_powered, "although the bus has power");
    assert!(
        (p.water.pressure_bar - WATER_STATIC_PRESSURE_BAR).abs() < 0.05,
        "pressure {}",
        p.water.pressure_bar
    );
    run_to(&mut p, TRANSFER + PUMP_TRIP_S - 1.0);
    assert!(!p.water.pump1_running);
    run_to(&mut p, TRANSFER + PUMP_TRIP_S + 30.0);
    assert!(p.water.pump1_running);
    assert!((p.water.pressure_bar - WATER_PRESSURE_BAR).abs() < 0.05);
    run_to(&mut p, MONTHLY_TEST_OFF_AT_S + 60.0);
    let pump: Vec<(f64, &str)> = p
        .events
        .iter()
        .filter(|e| e.unit == PUMP)
        .map(|e| (e.t_s, e.kind))
        .collect();
    assert_eq!(
        pump,
        vec![
            (TRANSFER, "pump_trip"),
            (TRANSFER + PUMP_TRIP_S, "pump_restart")
        ],
        "the retransfer to mains does not trip it"
    );

    // In a blackout it trips when the bus goes dead, not again at the transfer.
    let mut b = Plant::new(&Scenario::Blackout).with_faults(faults("pump_trip"));
    run_to(&mut b, 700.0);
    let pump: Vec<(f64, &str)> = b
        .events
        .iter()
        .filter(|e| e.unit == PUMP)
        .map(|e| (e.t_s, e.kind))
        .collect();
    assert_eq!(
        pump,
        vec![(20.0, "pump_trip"), (20.0 + PUMP_TRIP_S, "pump_restart")]
    );

    // Without the fault the pump runs through the whole test.
    let mut ok = Plant::new(&Scenario::MonthlyTest);
    run_to(&mut ok, TRANSFER + 30.0);
    assert!(ok.water.pump1_running);
    assert_eq!(count(&ok, "pump_trip"), 0);
}

#[test]
fn a_schedule_with_several_windows_runs_in_one_plant() {
    let mut p = Plant::new(&Scenario::Normal);
    p.schedule = Schedule {
        outages: vec![Window::new(1_000.0, 300.0)],
        tests: vec![
            Window::new(100.0, 600.0),
            Window::new(2_000.0, 600.0).with_faults(faults("failed_crank")),
        ],
    };
    run_to(&mut p, 3_000.0);
    assert_eq!(count(&p, "test_mode_on"), 2);
    assert_eq!(count(&p, "test_mode_off"), 2);
    assert_eq!(count(&p, "mains_lost"), 1);
    assert_eq!(count(&p, "mains_back"), 1);
    assert_eq!(count(&p, "transfer_to_emergency"), 3);
    assert_eq!(count(&p, "retransfer"), 3);
    assert_eq!(count(&p, "generator_stopped"), 6);
    assert_eq!(p.ats.transfer_count, 146 + 6);
    // The fault applies to the second test only: 1 + 1 + 2 attempts.
    assert_eq!(count(&p, "crank_failed"), 2);
    assert_eq!(p.generators[0].starts, 412 + 4);
    let on: Vec<f64> = p
        .events
        .iter()
        .filter(|e| e.kind == "transfer_to_emergency")
        .map(|e| e.t_s)
        .collect();
    assert_eq!(on, vec![113.6, 1_013.6, 2_023.6]);
    assert!(p.mains.available && p.ats.position == AtsPosition::Normal);
    assert!(
        p.events.windows(2).all(|w| w[0].t_s <= w[1].t_s),
        "in order"
    );
}

#[test]
fn test_mode_started_and_ended_live() {
    let mut p = Plant::new(&Scenario::Normal);
    run_to(&mut p, 50.0);
    p.start_test_mode_now();
    run_to(&mut p, 100.0);
    assert_eq!(p.ats.position, AtsPosition::Emergency);
    // Effective from the next model step.
    assert_eq!(first(&p, "test_mode_on", ATS), 50.1);
    assert_eq!(
        first(&p, "transfer_to_emergency", ATS),
        50.1 + TRANSFER - 20.0
    );
    p.end_test_mode_now();
    run_to(&mut p, 101.0);
    assert_eq!(p.ats.position, AtsPosition::Normal);
    assert_eq!(first(&p, "retransfer", ATS), 100.1);
}

#[test]
fn a_mains_loss_during_a_test_keeps_the_load_on_the_generators() {
    let mut p = Plant::new(&Scenario::MonthlyTest);
    p.schedule.outages.push(Window::new(1_000.0, 1_600.0)); // past the test's end
    run_to(&mut p, MONTHLY_TEST_OFF_AT_S + 10.0);
    assert_eq!(p.ats.position, AtsPosition::Emergency, "mains still away");
    assert_eq!(count(&p, "transfer_to_emergency"), 1);
    run_to(&mut p, 2_600.0 + ATS_RETURN_DELAY_S + 1.0);
    assert_eq!(p.ats.position, AtsPosition::Normal);
    assert_eq!(first(&p, "retransfer", ATS), 2_600.0 + ATS_RETURN_DELAY_S);
}

#[test]
fn truth_json_carries_every_event() {
    let mut p = Plant::new(&Scenario::Blackout).with_faults(faults("pump_trip,slow_start"));
    run_to(&mut p, 100.0);
    let v: serde_json::Value = serde_json::from_str(&p.truth_json()).expect("json");
    assert_eq!(v["scenario"], "blackout");
    assert_eq!(v["faults"], "slow_start,pump_trip");
    assert_eq!(v["epoch_unix_s"], DEFAULT_EPOCH_UNIX_S);
    let list = v["events"].as_array().expect("events");
    assert_eq!(list.len(), p.events.len());
    assert_eq!(list[0]["kind"], "mains_lost");
    assert_eq!(list[0]["unit"], serde_json::Value::Null);
    assert_eq!(list[0]["unix_ms"], DEFAULT_EPOCH_UNIX_S * 1000 + 20_000);
    assert!(
        list.iter()
            .any(|e| e["kind"] == "pump_trip" && e["unit"] == "pump1")
    );
}
