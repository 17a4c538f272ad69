use super::*;

const SETTINGS: OnChange = OnChange { deadband: 0.5, heartbeat_s: 60 };

fn reading(time_s: i64, value: Option<Value>, quality: Quality) -> Reading {
    Reading { point: Arc::from("d.p"), time_ms: time_s * 1_000, value, quality }
}

fn num(time_s: i64, v: f64) -> Reading {
    reading(time_s, Some(Value::Number(v)), Quality::Good)
}

/// Feed `readings` through one point's filter; the times (s) of those stored.
fn stored(settings: OnChange, readings: &[Reading]) -> Vec<i64> {
    let mut f = OnChangeFilter::new([(Arc::from("d.p"), settings)]).expect("one point");
    readings.iter().filter(|r| f.keep(r)).map(|r| r.time_ms / 1_000).collect()
}

#[test]
fn a_static_value_is_stored_first_and_then_once_per_heartbeat() {
    let rs: Vec<Reading> = (0..=180).map(|t| num(t, 42.0)).collect();
    assert_eq!(stored(SETTINGS, &rs), [0, 60, 120, 180]);
}

#[test]
fn the_deadband_is_measured_from_the_last_stored_value_and_is_exclusive() {
    // A slow creep is stored once it is more than 0.5 from what was stored, not from the last seen.
    let rs = [num(0, 10.0), num(1, 10.3), num(2, 10.5), num(3, 10.6), num(4, 10.9), num(5, 11.2)];
    assert_eq!(stored(SETTINGS, &rs), [0, 3, 5]);
    // Downwards too; deadband 0 stores any change and nothing else.
    let rs = [num(0, 10.0), num(1, 9.4), num(2, 9.4), num(3, 9.400_001)];
    assert_eq!(stored(SETTINGS, &rs), [0, 1]);
    assert_eq!(stored(OnChange { deadband: 0.0, heartbeat_s: 60 }, &rs), [0, 1, 3]);
}

#[test]
fn a_quality_change_is_always_stored_with_the_same_value_and_back() {
    let rs = [
        num(0, 5.0),
        reading(1, Some(Value::Number(5.0)), Quality::Overridden),
        reading(2, Some(Value::Number(5.0)), Quality::Overridden),
        num(3, 5.0),
        reading(4, None, Quality::CommFail),
        reading(5, None, Quality::CommFail),
        reading(6, None, Quality::DeviceFault),
        num(7, 5.0),
    ];
    assert_eq!(stored(SETTINGS, &rs), [0, 1, 3, 4, 6, 7]);
}

#[test]
fn a_change_of_value_kind_is_stored_and_bools_and_text_store_any_change() {
    let rs = [
        num(0, 1.0),
        reading(1, Some(Value::Bool(true)), Quality::Good),
        reading(2, Some(Value::Bool(true)), Quality::Good),
        reading(3, Some(Value::Bool(false)), Quality::Good),
        reading(4, Some(Value::Text("A".into())), Quality::Good),
        reading(5, Some(Value::Text("A".into())), Quality::Good),
        reading(6, Some(Value::Text("B".into())), Quality::Good),
        reading(7, None, Quality::Good),
        reading(8, None, Quality::Good),
        num(9, 1.0),
    ];
    assert_eq!(stored(SETTINGS, &rs), [0, 1, 3, 4, 6, 7, 9]);
}

#[test]
fn nan_and_infinity_changes_are_stored() {
    let rs = [num(0, 1.0), num(1, f64::NAN), num(2, f64::NAN), num(3, 1.0), num(4, f64::INFINITY), num(5, f64::INFINITY)];
    assert_eq!(stored(SETTINGS, &rs), [0, 1, 3, 4]);
}

#[test]
fn a_clock_stepped_back_stores_at_once_and_restarts_the_heartbeat_from_there() {
    let rs = [num(1_000, 3.0), num(1_010, 3.0), num(500, 3.0), num(530, 3.0), num(560, 3.0)];
    assert_eq!(stored(SETTINGS, &rs), [1_000, 500, 560]);
}

#[test]
fn only_configured_points_are_filtered_and_the_batch_keeps_its_order() {
    let mut f = OnChangeFilter::new([(Arc::from("d.p"), SETTINGS)]).expect("one point");
    let other = |t: i64| Reading { point: Arc::from("d.all"), ..num(t, 1.0) };
    let mut batch = vec![num(0, 1.0), other(0), num(1, 1.0), other(1), num(2, 9.0), other(2)];
    f.retain(&mut batch);
    let seen: Vec<(&str, i64)> = batch.iter().map(|r| (&*r.point, r.time_ms / 1_000)).collect();
    assert_eq!(seen, [("d.p", 0), ("d.all", 0), ("d.all", 1), ("d.p", 2), ("d.all", 2)]);
    assert!(OnChangeFilter::new(std::iter::empty()).is_none(), "no on-change point: no filter at all");
}

#[test]
fn the_filter_of_a_configuration_holds_its_on_change_points_only() {
    use driftvakt_config::model::{DataType, Point, Storage, Table, WordOrder};
    let mut config = driftvakt_config::parse_str(
        "[site]\nid = \"s\"\nname = \"S\"\n[[connections]]\nid = \"c\"\nhost = \"h\"\n\
         [[devices]]\nid = \"d\"\nconnection = \"c\"\nunit_id = 1\nsystem = \"el\"\n",
        "t.toml",
    )
    .config
    .expect("valid");
    config.devices[0].points.push(Point::plain_modbus("d.all", Table::HoldingRegister, 0, DataType::U16, WordOrder::Abcd));
    assert!(OnChangeFilter::from_config(&config).is_none(), "every point stores all: nothing to run");
    let mut p = Point::plain_modbus("d.p", Table::HoldingRegister, 1, DataType::U16, WordOrder::Abcd);
    p.store = Storage::OnChange(SETTINGS);
    config.devices[0].points.push(p);
    let mut f = OnChangeFilter::from_config(&config).expect("one on-change point");
    let mut batch = vec![num(0, 1.0), num(1, 1.0), Reading { point: Arc::from("d.all"), ..num(1, 1.0) }];
    f.retain(&mut batch);
    assert_eq!(batch.len(), 2);
}
