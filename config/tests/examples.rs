//! Every example configuration loads without errors or warnings.

use std::path::{Path, PathBuf};

use driftvakt_config::load;
use driftvakt_config::model::{DataType, System, Table};

fn examples() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("config/examples exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_example_loads_clean() {
    let files = examples();
    assert!(
        files.len() >= 2,
        "expected the example configs, found {files:?}"
    );
    for file in files {
        let loaded = load(&file);
        let shown: Vec<String> = loaded.diagnostics.iter().map(ToString::to_string).collect();
        assert!(
            shown.is_empty(),
            "{}:\n{}",
            file.display(),
            shown.join("\n")
        );
        assert!(loaded.config.is_some(), "{}", file.display());
    }
}

#[test]
fn minimal_example_has_one_device_with_three_points() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/minimal.toml");
    let config = load(&path).config.expect("valid");
    assert_eq!(config.connections.len(), 1);
    assert_eq!(config.devices.len(), 1);
    let ids: Vec<&str> = config.points().map(|(_, p)| p.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "fvc1.supply_temperature",
            "fvc1.return_temperature",
            "fvc1.pump_running"
        ]
    );
    assert!(config.points().all(|(_, p)| p.system == System::Varme));
}

#[test]
fn gencomm_example_instantiates_the_template_twice() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/gencomm-genset.toml");
    let config = load(&path).config.expect("valid");
    let units: Vec<(&str, u8)> = config
        .devices
        .iter()
        .map(|d| (d.id.as_str(), d.unit_id().expect("modbus")))
        .collect();
    assert_eq!(units, [("g1", 1), ("g2", 2)]);
    let g1 = &config.devices[0];
    let g2 = &config.devices[1];
    assert_eq!(g1.points.len(), g2.points.len());
    assert_eq!(g1.template.as_deref(), Some("dse_genset"));
    let fuel = g2
        .points
        .iter()
        .find(|p| p.id == "g2.fuel_level")
        .expect("fuel level point");
    assert_eq!(fuel.modbus().expect("modbus").address, 1027);
    assert_eq!(fuel.modbus().expect("modbus").table, Table::HoldingRegister);
    assert_eq!(fuel.system, System::Reservkraft);
    assert_eq!(fuel.unit, "%");
    assert_eq!(fuel.sentinels[0].raw, 65535);
    let l1 = g1
        .points
        .iter()
        .find(|p| p.id == "g1.l1_voltage")
        .expect("L1 voltage point");
    assert_eq!(l1.modbus().expect("modbus").data_type, DataType::U32);
}
