//! Synthetic-time tests of the engine: every time is given, nothing sleeps.

use std::sync::Arc;

use driftvakt_config::model::Config;
use crate::reading::{Quality, Reading, Value};

use super::*;

const SITE: &str = r#"
[site]
id = "s"
name = "Sjukhuset"

[alarms]
incident_window_ms = 10000
comm_lost_after_ms = 3000
stale_after_ms = 60000
ack_required = ["A"]

[[connections]]
id = "gw"
host = "h"

[[devices]]
id = "ahu"
name = "LB01"
connection = "gw"
unit_id = 1
system = "ventilation"

[[devices.points]]
id = "temp"
name = "Tilluft"
table = "holding"
address = 0
type = "i16"
scale = 0.1
unit = "°C"
alarms = [
  { kind = "h", limit = 25.0, deadband = 1.0, class = "B", text = "Tilluft hög: {value}" },
  { id = "spike", kind = "hh", limit = 40.0, on_delay_ms = 5000, class = "A", text = "Tilluft mycket hög: {value}" },
]

[[devices.points]]
id = "fan"
name = "Fläkt"
table = "coil"
address = 0
type = "bool"
states = { "0" = "stopp", "1" = "i drift" }
alarms = [{ kind = "state", equals = false, class = "B", text = "Fläkt {value}", while = { point = "mains", equals = true, for_ms = 10000 } }]

[[devices.points]]
id = "mains"
table = "coil"
address = 1
type = "bool"
alarms = [{ kind = "state", equals = false, class = "A", text = "Nät bortfall" }]

[[devices]]
id = "pump"
connection = "gw"
unit_id = 2
system = "vatten"

[[devices.points]]
id = "pressure"
table = "holding"
address = 0
type = "u16"
scale = 0.01
unit = "bar"
alarms = [{ kind = "l", limit = 2.0, deadband = 0.5, class = "A", text = "Tryck lågt: {value}" }]
"#;

fn config() -> Config {
    let loaded = driftvakt_config::parse_str(SITE, "t.toml");
    let shown: Vec<String> = loaded.diagnostics.iter().map(ToString::to_string).collect();
    loaded.config.unwrap_or_else(|| panic!("test config invalid:\n{}", shown.join("\n")))
}

fn num(point: &str, t: i64, v: f64) -> Reading {
    Reading { point: Arc::from(point), time_ms: t, value: Some(Value::Number(v)), quality: Quality::Good }
}

fn boolean(point: &str, t: i64, v: bool) -> Reading {
    Reading { point: Arc::from(point), time_ms: t, value: Some(Value::Bool(v)), quality: Quality::Good }
}

fn fail(point: &str, t: i64) -> Reading {
    Reading { point: Arc::from(point), time_ms: t, value: None, quality: Quality::CommFail }
}

fn kinds(changes: &[Change]) -> Vec<(String, ChangeKind)> {
    changes.iter().map(|c| (c.record.id.clone(), c.kind)).collect()
}

/// Feeds one reading per second from `from_s` and collects every change.
fn feed(e: &mut Engine, point: &str, from_s: i64, values: &[f64]) -> Vec<Change> {
    let mut out = Vec::new();
    for (k, v) in values.iter().enumerate() {
        let t = (from_s + k as i64) * 1000;
        out.extend(e.on_readings(&[num(point, t, *v)], t));
        out.extend(e.tick(t));
    }
    out
}

#[test]
fn a_value_oscillating_inside_the_deadband_never_flaps() {
    let mut e = Engine::new(&config(), 0);
    // Below the limit, wobbling just under it: nothing.
    assert!(feed(&mut e, "ahu.temp", 0, &[24.0, 24.9, 24.5, 24.99, 24.2]).is_empty());
    // Over the limit once: one activation.
    let c = feed(&mut e, "ahu.temp", 5, &[25.3]);
    assert_eq!(kinds(&c), [("ahu.temp.h".to_string(), ChangeKind::Activated)]);
    assert_eq!(c[0].record.text, "Tilluft hög: 25,3 °C");
    // Oscillating across the limit but inside the deadband (24..25]: no transition at all.
    let wobble: Vec<f64> = (0..200).map(|k| if k % 2 == 0 { 25.4 } else { 24.1 }).collect();
    let mut flaps = feed(&mut e, "ahu.temp", 6, &wobble);
    flaps.retain(|c| c.record.id.starts_with("ahu.temp"));
    assert!(flaps.is_empty(), "flapped inside the deadband: {:?}", kinds(&flaps));
    // Below limit − deadband: one clear.
    let c = feed(&mut e, "ahu.temp", 206, &[23.9]);
    assert_eq!(kinds(&c), [("ahu.temp.h".to_string(), ChangeKind::Cleared)]);
    // B is not in ack_required: straight back to normal.
    assert_eq!(c[0].record.state, AlarmState::Normal);
}

#[test]
fn an_on_delay_holds_back_a_short_spike() {
    let mut e = Engine::new(&config(), 0);
    // A 3 s spike above HH (with a 5 s on-delay): only the H alarm, never the HH one.
    let c = feed(&mut e, "ahu.temp", 0, &[20.0, 45.0, 45.0, 45.0, 20.0, 20.0, 20.0, 20.0, 20.0]);
    assert!(!kinds(&c).iter().any(|(id, _)| id == "ahu.temp.spike"), "{:?}", kinds(&c));
    // Held for longer: active exactly 5 s after it started.
    let mut e = Engine::new(&config(), 0);
    let mut at = None;
    for s in 0..10 {
        let t = s * 1000;
        let mut c = e.on_readings(&[num("ahu.temp", t, 45.0)], t);
        c.extend(e.tick(t + 500));
        if c.iter().any(|c| c.record.id == "ahu.temp.spike" && c.kind == ChangeKind::Activated) {
            at = Some(t);
            break;
        }
    }
    assert_eq!(at, Some(5000));
}

#[test]
fn a_while_condition_must_have_held_for_its_time() {
    let mut e = Engine::new(&config(), 0);
    e.on_readings(&[boolean("ahu.mains", 0, true), boolean("ahu.fan", 0, true)], 0);
    // Fan stops at 5 s, but mains have been present only 5 s of the required 10 s.
    assert!(e.on_readings(&[boolean("ahu.fan", 5000, false)], 5000).is_empty());
    let c = e.tick(10_000);
    assert_eq!(kinds(&c), [("ahu.fan.state".to_string(), ChangeKind::Activated)]);
    assert_eq!(c[0].record.text, "Fläkt stopp");
}

#[test]
fn alarms_from_one_cause_share_one_incident() {
    let mut e = Engine::new(&config(), 0);
    e.on_readings(&[boolean("ahu.mains", 0, true), num("pump.pressure", 0, 4.5)], 0);
    let a = e.on_readings(&[boolean("ahu.mains", 1000, false)], 1000);
    let b = e.on_readings(&[num("pump.pressure", 3000, 0.8)], 3000);
    let c = e.on_readings(&[num("ahu.temp", 20_000, 26.0)], 20_000);
    let all: Vec<&Change> = a.iter().chain(&b).chain(&c).collect();
    assert_eq!(all.len(), 3);
    assert_eq!((all[0].record.incident, all[0].opened_incident), (Some(1), true));
    assert_eq!((all[1].record.incident, all[1].opened_incident), (Some(1), false));
    assert_eq!((all[2].record.incident, all[2].opened_incident), (Some(2), true), "outside the window: a new incident");
    assert_eq!(e.incidents().get(1).map(|i| i.alarms.clone()), Some(vec!["ahu.mains.state".to_string(), "pump.pressure.l".to_string()]));
}

#[test]
fn a_silent_gateway_raises_one_communication_alarm_and_inhibits_value_alarms() {
    let mut e = Engine::new(&config(), 0);
    e.on_readings(&[num("pump.pressure", 0, 4.5), boolean("ahu.mains", 0, true)], 0);
    let mut changes = Vec::new();
    for s in 1..=10 {
        let t = s * 1000;
        changes.extend(e.on_readings(&[fail("pump.pressure", t), fail("ahu.temp", t), fail("ahu.fan", t), fail("ahu.mains", t)], t));
        changes.extend(e.tick(t));
    }
    assert_eq!(kinds(&changes), [("connection.gw.comm_lost".to_string(), ChangeKind::Activated)], "only the gateway alarm");
    // Communication returns with a low pressure: now the value alarm, and the gateway clears.
    let c = e.on_readings(&[num("pump.pressure", 11_000, 0.5), boolean("ahu.mains", 11_000, true)], 11_000);
    let mut k = kinds(&c);
    k.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(k, [("connection.gw.comm_lost".to_string(), ChangeKind::Cleared), ("pump.pressure.l".to_string(), ChangeKind::Activated)]);
}

#[test]
fn one_silent_device_raises_its_own_alarm_and_a_stale_one_too() {
    let mut e = Engine::new(&config(), 0);
    let mut changes = Vec::new();
    for s in 0..=70 {
        let t = s * 1000;
        changes.extend(e.on_readings(&[fail("pump.pressure", t)], t));
        let ahu = Reading { point: Arc::from("ahu.temp"), time_ms: t, value: None, quality: Quality::DeviceFault };
        changes.extend(e.on_readings(&[ahu], t));
        changes.extend(e.tick(t));
    }
    assert_eq!(
        kinds(&changes),
        [("pump.comm_lost".to_string(), ChangeKind::Activated), ("ahu.stale".to_string(), ChangeKind::Activated)]
    );
}

#[test]
fn acknowledge_life_cycle_and_restart_without_a_new_activation() {
    let mut e = Engine::new(&config(), 0);
    e.on_readings(&[boolean("ahu.mains", 0, true)], 0);
    e.on_readings(&[boolean("ahu.mains", 1000, false)], 1000);
    assert_eq!(e.record("ahu.mains.state").map(|r| r.state), Some(AlarmState::ActiveUnacked));

    // Restart while active and unacknowledged: same state, and the same reading makes no change.
    let records: Vec<AlarmRecord> = e.records().cloned().collect();
    let incidents = e.incidents().all().to_vec();
    let mut e2 = Engine::new(&config(), 5000);
    e2.restore(records, incidents, 5000);
    assert_eq!(e2.record("ahu.mains.state").map(|r| r.state), Some(AlarmState::ActiveUnacked));
    assert!(e2.on_readings(&[boolean("ahu.mains", 6000, false)], 6000).is_empty());
    // The next incident continues the numbering.
    e2.on_readings(&[num("ahu.temp", 30_000, 26.0)], 30_000);
    assert_eq!(e2.record("ahu.temp.h").and_then(|r| r.incident), Some(2));

    // Mains return: A needs an acknowledgement before it is normal.
    let c = e2.on_readings(&[boolean("ahu.mains", 40_000, true)], 40_000);
    assert_eq!(c[0].record.state, AlarmState::ClearedUnacked);
    assert!(e2.ack("ahu.temp.spike", "Eva", None, 41_000).is_err(), "nothing to acknowledge");
    let c = e2.ack("ahu.mains.state", "Eva", Some("aggregat provade".into()), 41_000).expect("ack");
    assert_eq!((c.from, c.record.state), (AlarmState::ClearedUnacked, AlarmState::Normal));
    assert_eq!(c.record.ack.map(|a| a.by), Some("Eva".to_string()));
    assert!(matches!(e2.ack("nope", "Eva", None, 0), Err(AlarmError::Unknown(_))));
}

#[test]
fn shelving_expires_by_itself() {
    let mut e = Engine::new(&config(), 0);
    let c = e.shelve("pump.pressure.l", 10_000, "pumpbyte", "Eva", 0).expect("shelve");
    assert_eq!(c.kind, ChangeKind::Shelved);
    // Activation while shelved: tracked, but in no incident (no notification).
    e.on_readings(&[num("pump.pressure", 1000, 0.5)], 1000);
    assert_eq!(e.record("pump.pressure.l").map(|r| (r.state, r.incident)), Some((AlarmState::ActiveUnacked, None)));
    let c = e.tick(10_000);
    assert_eq!(kinds(&c), [("pump.pressure.l".to_string(), ChangeKind::Unshelved)]);
    assert!(e.shelve("pump.pressure.l", 5, "x", "Eva", 10_000).is_err());
}

#[test]
fn a_failing_store_raises_its_own_a_alarm_after_its_delay_in_an_incident_of_its_own() {
    let mut e = Engine::new(&config(), 0);
    // A moment's failure (a lock) raises nothing.
    assert!(e.set_store_failing(true, 1_000).is_empty());
    assert!(e.set_store_failing(false, 3_000).is_empty());
    assert!(e.tick(9_000).is_empty());
    // Failing for 5 s: the A alarm, in an incident of its own.
    assert!(e.set_store_failing(true, 10_000).is_empty());
    assert!(e.tick(14_000).is_empty());
    let up = e.set_store_failing(true, 15_000);
    assert_eq!(kinds(&up), [(STORE_FAILING_ID.to_string(), ChangeKind::Activated)]);
    let rec = &up[0].record;
    assert_eq!((rec.class, rec.system.as_str()), (AlarmClass::A, "övrigt"));
    assert!(rec.text.starts_with("Lagring misslyckas") && rec.text_en.starts_with("Store failing"), "{rec:?}");
    // A plant alarm a moment later opens its own incident, not the store's.
    let mains = e.on_readings(&[boolean("ahu.mains", 15_500, false)], 15_500);
    assert_eq!(kinds(&mains), [("ahu.mains.state".to_string(), ChangeKind::Activated)]);
    assert_ne!(mains[0].record.incident, rec.incident);
    // Commits succeed again: cleared after the same delay.
    assert!(e.set_store_failing(false, 20_000).is_empty());
    let down = e.tick(25_000);
    assert_eq!(kinds(&down), [(STORE_FAILING_ID.to_string(), ChangeKind::Cleared)]);
}

#[test]
fn during_an_exercise_only_the_listed_alarms_are_marked_expected() {
    let mut e = Engine::new(&config(), 0);
    e.set_expected(Some((7, vec!["ahu.mains.state".to_string()])));
    let c = e.on_readings(&[boolean("ahu.mains", 1000, false), num("pump.pressure", 1000, 1.0)], 1000);
    let marks: Vec<(String, Option<i64>)> = c.iter().map(|c| (c.record.id.clone(), c.record.expected_run)).collect();
    assert!(marks.contains(&("ahu.mains.state".to_string(), Some(7))), "{marks:?}");
    assert!(marks.contains(&("pump.pressure.l".to_string(), None)), "an alarm the exercise does not explain: {marks:?}");
    assert_eq!(e.record("ahu.mains.state").and_then(|r| r.expected_run), Some(7), "kept in the record");
    // After the run, a new activation is an ordinary alarm again.
    e.set_expected(None);
    e.on_readings(&[boolean("ahu.mains", 2000, true)], 2000);
    e.ack("ahu.mains.state", "Eva", None, 2500).expect("ack");
    let c = e.on_readings(&[boolean("ahu.mains", 3000, false)], 3000);
    assert_eq!(c.iter().find(|c| c.record.id == "ahu.mains.state").map(|c| c.record.expected_run), Some(None));
}
