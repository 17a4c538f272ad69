//! The example configuration `config/examples/reference-hospital.toml` must match the simulator:
//! every point it lists is read from the running simulator over Modbus TCP without an
//! exception, and the values decode (with the point's type, order and scale) to the plant's
//! ground truth. The TOML is parsed generically here (the config crate is not used), following
//! `config/SYNTAX.md`.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, SocketAddr};

use tokio_modbus::Slave;
use tokio_modbus::client::{Reader, tcp};
use tokio_util::sync::CancellationToken;

use crate::registers::HEATING_MODEL_NAME;
use crate::scenario::Scenario;
use crate::server::{SimOptions, start};

const EXAMPLE: &str = include_str!("../../../config/examples/reference-hospital.toml");

/// One point as the TOML describes it.
#[derive(Debug, Clone)]
struct PointSpec {
    /// `device.point`.
    id: String,
    /// Connection id.
    connection: String,
    /// Unit id.
    unit: u8,
    /// Table keyword.
    table: String,
    /// Address (0-based).
    address: u16,
    /// Type keyword.
    data_type: String,
    /// Bit number for `bit`.
    bit: u8,
    /// Registers for `string`.
    registers: u16,
    /// Order keyword.
    order: String,
    /// Scale.
    scale: f64,
}

impl PointSpec {
    fn width(&self) -> u16 {
        match self.data_type.as_str() {
            "u32" | "i32" | "f32" => 2,
            "u64" | "i64" | "f64" => 4,
            "string" => self.registers,
            _ => 1,
        }
    }
}

fn get_str<'a>(t: &'a toml::Table, key: &str, default: &'a str) -> &'a str {
    t.get(key).and_then(toml::Value::as_str).unwrap_or(default)
}

fn get_int(t: &toml::Table, key: &str) -> Option<i64> {
    t.get(key).and_then(toml::Value::as_integer)
}

fn tables<'a>(t: &'a toml::Table, key: &str) -> Vec<&'a toml::Table> {
    t.get(key)
        .and_then(toml::Value::as_array)
        .map(|a| a.iter().filter_map(toml::Value::as_table).collect())
        .unwrap_or_default()
}

fn example_points() -> (Vec<PointSpec>, Vec<(String, u16)>) {
    let doc: toml::Table = EXAMPLE.parse().expect("example config is valid TOML");
    let connections: Vec<(String, u16)> = tables(&doc, "connections")
        .iter()
        .map(|c| {
            let port = get_int(c, "port").expect("connection port") as u16;
            (get_str(c, "id", "").to_string(), port)
        })
        .collect();
    let templates: BTreeMap<&str, &toml::Table> = tables(&doc, "templates")
        .into_iter()
        .map(|t| (get_str(t, "id", ""), t))
        .collect();
    let mut points = Vec::new();
    for device in tables(&doc, "devices") {
        // BACnet devices are checked by drivers/tests/bacnet_sim.rs.
        if device.contains_key("network") {
            continue;
        }
        let device_id = get_str(device, "id", "");
        let mut specs = Vec::new();
        if let Some(template) = device.get("template").and_then(toml::Value::as_str) {
            specs.extend(tables(
                templates.get(template).expect("template exists"),
                "points",
            ));
        }
        specs.extend(tables(device, "points"));
        for p in specs {
            let scale = p
                .get("scale")
                .and_then(|v| v.as_float().or_else(|| v.as_integer().map(|i| i as f64)))
                .unwrap_or(1.0);
            points.push(PointSpec {
                id: format!("{device_id}.{}", get_str(p, "id", "")),
                connection: get_str(device, "connection", "").to_string(),
                unit: get_int(device, "unit_id").expect("unit_id") as u8,
                table: get_str(p, "table", "").to_string(),
                address: get_int(p, "address").expect("address") as u16,
                data_type: get_str(p, "type", "").to_string(),
                bit: get_int(p, "bit").unwrap_or(0) as u8,
                registers: get_int(p, "registers").unwrap_or(0) as u16,
                order: get_str(p, "order", "ABCD").to_string(),
                scale,
            });
        }
    }
    (points, connections)
}

/// A decoded point: a number (scaled) or a text.
#[derive(Debug, Clone, PartialEq)]
enum Decoded {
    Number(f64),
    Text(String),
}

/// Decode registers independently of the simulator's encoder.
fn decode(spec: &PointSpec, words: &[u16]) -> Decoded {
    let mut w: Vec<u16> = words.to_vec();
    // Undo the byte swap inside words, then the word reversal.
    if matches!(spec.order.as_str(), "BADC" | "DCBA") {
        w.iter_mut().for_each(|x| *x = x.swap_bytes());
    }
    if matches!(spec.order.as_str(), "CDAB" | "DCBA") && spec.data_type != "string" {
        w.reverse();
    }
    let bytes: Vec<u8> = w.iter().flat_map(|x| x.to_be_bytes()).collect();
    let raw = match spec.data_type.as_str() {
        "bool" => f64::from(words[0] != 0),
        "bit" => f64::from((words[0] >> spec.bit) & 1),
        "u16" => f64::from(words[0]),
        "i16" => f64::from(words[0] as i16),
        "u32" => f64::from(u32::from_be_bytes(bytes[..4].try_into().expect("4"))),
        "i32" => f64::from(i32::from_be_bytes(bytes[..4].try_into().expect("4"))),
        "u64" => u64::from_be_bytes(bytes[..8].try_into().expect("8")) as f64,
        "i64" => i64::from_be_bytes(bytes[..8].try_into().expect("8")) as f64,
        "f32" => f64::from(f32::from_be_bytes(bytes[..4].try_into().expect("4"))),
        "f64" => f64::from_be_bytes(bytes[..8].try_into().expect("8")),
        "string" => {
            let text: String = bytes
                .iter()
                .take_while(|b| **b != 0)
                .map(|b| char::from(*b))
                .collect();
            return Decoded::Text(text.trim_end().to_string());
        }
        other => panic!("unknown type {other} in example config"),
    };
    Decoded::Number(raw * spec.scale)
}

#[test]
fn example_uses_every_type_order_and_table() {
    let (points, connections) = example_points();
    assert_eq!(
        connections,
        vec![
            ("stallverk".to_string(), 15020),
            ("fastighet".to_string(), 15021)
        ]
    );
    let types: BTreeSet<&str> = points.iter().map(|p| p.data_type.as_str()).collect();
    for t in [
        "bool", "bit", "u16", "i16", "u32", "i32", "u64", "i64", "f32", "f64", "string",
    ] {
        assert!(types.contains(t), "type {t} not exercised by the example");
    }
    let orders: BTreeSet<&str> = points
        .iter()
        .filter(|p| p.width() > 1)
        .map(|p| p.order.as_str())
        .collect();
    assert_eq!(orders, BTreeSet::from(["ABCD", "BADC", "CDAB", "DCBA"]));
    let tables: BTreeSet<&str> = points.iter().map(|p| p.table.as_str()).collect();
    assert_eq!(
        tables,
        BTreeSet::from(["coil", "discrete_input", "holding", "input"])
    );
    let ids: BTreeSet<&str> = points.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids.len(), points.len(), "point ids are unique");
}

#[tokio::test]
async fn every_example_point_reads_from_the_simulator_and_matches_ground_truth() {
    let (points, _) = example_points();
    let cancel = CancellationToken::new();
    let sim = start(
        SimOptions {
            scenario: Scenario::FuelLeak,
            speed: 1.0,
            bind: IpAddr::from([127, 0, 0, 1]),
            base_port: 0,
            bacnet_port: Some(0),
            ..SimOptions::default()
        },
        cancel.clone(),
    )
    .await
    .expect("simulator starts");

    // An hour of leaking makes the signed 64-bit tank change clearly negative (-50 l), so a
    // wrong word order could not pass by accident.
    sim.lock_plant().step(3600.0);

    let mut values: BTreeMap<String, Decoded> = BTreeMap::new();
    for p in &points {
        let addr: SocketAddr = sim
            .addr(&p.connection)
            .unwrap_or_else(|| panic!("{}: unknown connection", p.id));
        let mut ctx = tcp::connect_slave(addr, Slave(p.unit))
            .await
            .expect("connect");
        let words: Vec<u16> = match p.table.as_str() {
            "coil" | "discrete_input" => {
                let bits = if p.table == "coil" {
                    ctx.read_coils(p.address, 1).await
                } else {
                    ctx.read_discrete_inputs(p.address, 1).await
                };
                let bits = bits
                    .expect("transport")
                    .unwrap_or_else(|e| panic!("{}: exception {e:?}", p.id));
                bits.iter().take(1).map(|b| u16::from(*b)).collect()
            }
            "input" => ctx
                .read_input_registers(p.address, p.width())
                .await
                .expect("transport")
                .unwrap_or_else(|e| panic!("{}: exception {e:?}", p.id)),
            "holding" => ctx
                .read_holding_registers(p.address, p.width())
                .await
                .expect("transport")
                .unwrap_or_else(|e| panic!("{}: exception {e:?}", p.id)),
            other => panic!("{}: unknown table {other}", p.id),
        };
        assert_eq!(
            words.len(),
            usize::from(if p.table.contains('_') || p.table == "coil" {
                1
            } else {
                p.width()
            })
        );
        values.insert(p.id.clone(), decode(p, &words));
    }
    assert_eq!(sim.function_log.write_codes_seen(), 0);

    let num = |id: &str| match values.get(id) {
        Some(Decoded::Number(x)) => *x,
        other => panic!("{id}: expected a number, got {other:?}"),
    };
    let close = |id: &str, truth: f64, tol: f64| {
        let got = num(id);
        assert!(
            (got - truth).abs() <= tol,
            "{id}: read {got}, plant has {truth}"
        );
    };
    let plant = sim.lock_plant().clone();
    close("g1.control_mode", 1.0, 0.0);
    close("g1.engine_state", 0.0, 0.0);
    close("g1.starts", 412.0, 0.0);
    close("g2.starts", 398.0, 0.0);
    close("g1.charge_alternator_voltage", 0xFFFF as f64 * 0.1, 1e-6); // raw 0xFFFF: "not available"
    close("g2.oil_temp", f64::from(0x7FFC_u16), 0.0); // GenComm sensor fault for i16
    close("g1.fuel_level", plant.fuel.day_percent(), 1.0);
    close("g1.run_time", plant.generators[0].run_time_s / 3600.0, 0.01);
    close("g1.energy", plant.generators[0].energy_kwh, 0.1);
    close("ats.position", 0.0, 0.0);
    close("ats.status_in_normal", 1.0, 0.0);
    close("ats.status_in_emergency", 0.0, 0.0);
    close("ats.mains_available", 1.0, 0.0);
    close("ats.transfer_count", 146.0, 0.0);
    close(
        "ats.last_transfer_time",
        plant.ats.last_transfer_unix_s as f64,
        0.0,
    );
    close("ats.mains_voltage", 231.5, 1.5);
    close("ats.mains_frequency", 50.0, 0.1);
    close("ups.on_battery", 0.0, 0.0);
    close("ups.battery_runtime", plant.ups.battery_minutes, 0.1);
    close("tankar.main_tank", plant.fuel.main_l, 0.5);
    close("tankar.day_tank", plant.fuel.day_l, 0.5);
    close("tankar.main_tank_change", plant.fuel.main_change_l(), 0.05);
    assert!(num("tankar.main_tank_change") < -49.0, "leaked about 50 l");
    close("reservvatten.volume", plant.water.volume_m3, 0.01);
    close("reservvatten.pressure", 4.5, 0.1);
    close("reservvatten.pump1_running", 1.0, 0.0);
    close("fjarrvarme.supply_temp", plant.heating.supply_c, 0.5);
    close("fjarrvarme.power", plant.heating.power_kw, 25.0);
    close("fjarrvarme.energy", plant.heating.energy_kwh, 5.0);
    close("fjarrvarme.flow", plant.heating.flow_m3_per_h, 0.2);
    close("aggregat.supply_air_temp", plant.ahu.supply_air_c, 0.3);
    close("aggregat.duct_pressure", 350.0, 5.0);
    close("aggregat.fan_running", 1.0, 0.0);
    assert_eq!(
        values.get("fjarrvarme.model"),
        Some(&Decoded::Text(HEATING_MODEL_NAME.to_string()))
    );

    cancel.cancel();
    sim.stopped().await;
}
