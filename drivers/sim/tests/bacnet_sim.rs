//! The BACnet devices of `config/examples/reference-hospital.toml` read from the simulator's
//! BACnet router through the real client: values equal the plant, status flags give the
//! qualities, COV notifications arrive, and the simulator saw no write service.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use driftvakt_config::model::DeviceLink;
use driftvakt_domain::{Quality, Reading, Value};
use driftvakt_drivers::bacnet::{BacnetStats, run_network};
use driftvakt_sim::{self as sim, Scenario, SimOptions};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

#[tokio::test]
async fn example_bacnet_points_read_from_the_simulator() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/examples/reference-hospital.toml");
    let mut config = driftvakt_config::load(&path)
        .config
        .expect("example is valid");
    let cancel = CancellationToken::new();
    let opts = SimOptions {
        scenario: Scenario::Normal,
        speed: 1.0,
        bind: [127, 0, 0, 1].into(),
        base_port: 0,
        bacnet_port: Some(0),
        ..SimOptions::default()
    };
    let sim = sim::start(opts, cancel.child_token())
        .await
        .expect("simulator starts");
    let router = sim.bacnet.clone().expect("BACnet side");
    let mut net = config.bacnet_networks[0].clone();
    net.bind = "127.0.0.1:0".parse().expect("addr");
    let devices: Vec<_> = config
        .devices
        .iter_mut()
        .filter_map(|d| {
            if let DeviceLink::Bacnet(b) = &mut d.link {
                b.address = router.addr;
                Some(d.clone())
            } else {
                None
            }
        })
        .collect();
    assert_eq!(devices.len(), 2, "lb01 and vs01");
    let expected: usize = devices.iter().map(|d| d.points.len()).sum();
    let (tx, mut rx) = mpsc::channel::<Vec<Reading>>(64);
    let stats = Arc::new(BacnetStats::new("bas"));
    let task = tokio::spawn(run_network(
        net,
        devices,
        tx,
        stats.clone(),
        cancel.child_token(),
    ));

    let mut latest: HashMap<String, Reading> = HashMap::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while latest.len() < expected || BacnetStats::get(&stats.cov_notifications) == 0 {
        let batch = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .expect("readings within 10 s")
            .expect("channel open");
        for r in batch {
            latest.insert(r.point.to_string(), r);
        }
    }
    let q = |id: &str| latest.get(id).map(|r| r.quality);
    assert_eq!(q("lb01.outdoor_damper"), Some(Quality::Overridden));
    assert_eq!(q("lb01.filter_alarm"), Some(Quality::OutOfService));
    for id in [
        "lb01.supply_air_temp",
        "lb01.fan_running",
        "vs01.supply_temp",
        "vs01.power",
        "vs01.mode",
    ] {
        assert_eq!(q(id), Some(Quality::Good), "{id}: {:?}", latest.get(id));
    }
    let plant = sim.lock_plant().clone();
    let num = |id: &str| match latest.get(id).and_then(|r| r.value.clone()) {
        Some(Value::Number(n)) => n,
        other => panic!("{id}: {other:?}"),
    };
    assert!(
        (num("vs01.supply_temp") - plant.heating.supply_c).abs() < 1.0,
        "follows the plant"
    );
    assert!(
        (num("lb01.supply_air_temp") - plant.ahu.supply_air_c).abs() < 1.0,
        "follows the plant"
    );
    assert_eq!(num("vs01.mode"), 2.0);
    assert!(
        matches!(latest.get("lb01.outdoor_damper").and_then(|r| r.value.clone()), Some(Value::Number(v)) if v == 35.0),
        "overridden keeps its value"
    );

    let services = router.services.snapshot();
    assert!(
        services.contains_key("subscribe-cov") && services.contains_key("read-property-multiple"),
        "{services:?}"
    );
    assert_eq!(router.services.write_services_seen(), 0, "{services:?}");
    cancel.cancel();
    let _ = task.await;
}
