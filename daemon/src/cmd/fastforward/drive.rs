//! Fast-forward: the reference-hospital simulator run in simulated time straight into a data
//! directory, so a day or a week with a blackout is ready for a report in seconds.
//!
//! Design (the simplest honest one): the pure plant model is stepped in simulated time; every
//! sample, each Modbus device of the configuration is read from the simulator's own register
//! image (`sim::registers::unit_image`, the bytes the Modbus server would send) and decoded with
//! the driver's decoder (`modbus::decode`), with the configuration's types, orders, scales and
//! sentinels. The readings carry the **simulated** time. They then take the daemon's path:
//! live endurance → store writer (raw + 1-minute rollups) and the alarm engine, whose changes
//! are committed to the alarm journal. Only the TCP transport is skipped, and BACnet devices
//! (whose simulator runs in wall time) are left out.

use std::collections::HashSet;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use driftvakt_config::model::{Config, Table};
use driftvakt_domain::Reading;
use driftvakt_domain::alarm::engine::Engine;
use driftvakt_drivers::modbus::{decode, decode_bit};
use driftvakt_sim::model::Plant;
use driftvakt_sim::registers::{Gateway, unit_image};
use driftvakt_sim::scenario::Scenario;

use driftvakt_runtime::alarm::store::AlarmDb;
use driftvakt_runtime::endurance::live::{EMIT_EVERY_MS, LiveEndurance};
use driftvakt_runtime::pipeline::stored_points;
use driftvakt_store::StoreWriter;

/// What to simulate.
#[derive(Debug, Clone)]
pub struct Options {
    /// Scenario of the plant (blackout times below override the scenario's).
    pub scenario: Scenario,
    /// Simulated time to run (ms).
    pub duration_ms: i64,
    /// Time between samples (ms of simulated time).
    pub sample_ms: i64,
    /// UTC ms of simulated time 0.
    pub start_ms: i64,
    /// Mains lost at this offset (ms), if any.
    pub blackout_at_ms: Option<i64>,
    /// For this long (ms).
    pub blackout_for_ms: i64,
    /// A diesel delivery into the main tank at this offset (ms), if any.
    pub refill_at_ms: Option<i64>,
    /// Litres delivered.
    pub refill_l: f64,
}

/// What a fast-forward did.
#[derive(Debug, Clone)]
pub struct Summary {
    /// Readings handed to the store (derived endurance readings included).
    pub readings: u64,
    /// Alarm changes committed.
    pub alarm_changes: usize,
    /// Simulated period, UTC ms.
    pub from_ms: i64,
    /// End of the simulated period (exclusive), UTC ms.
    pub to_ms: i64,
}

/// The simulator's own figures at one instant (ground truth for tests), one JSON line each.
#[derive(Debug, Clone, serde::Serialize)]
struct Truth {
    time_ms: i64,
    diesel_l: f64,
    burn_l_per_h: f64,
    generator_load_kw: [f64; 2],
    water_m3: f64,
    ups_min: f64,
    mains: bool,
}

fn read_point(
    img: &driftvakt_sim::registers::UnitImage,
    p: &driftvakt_config::model::Point,
) -> Option<(Option<driftvakt_domain::Value>, driftvakt_domain::Quality)> {
    let m = p.modbus()?;
    Some(match m.table {
        Table::Coil | Table::DiscreteInput => match img.read_bits(m.table, m.address, 1) {
            Ok(bits) => decode_bit(p, bits.first().copied().unwrap_or(false)),
            Err(_) => (None, driftvakt_domain::Quality::DeviceFault),
        },
        _ => match img.read_registers(m.table, m.address, m.data_type.width()) {
            Ok(regs) => decode(p, &regs),
            Err(_) => (None, driftvakt_domain::Quality::DeviceFault),
        },
    })
}

/// Run the simulator fast-forwarded into the store of `data_dir`; with `truth`, write the
/// simulator's own figures once a simulated minute as JSON lines.
pub fn run(
    config: &Config,
    data_dir: &Path,
    opts: &Options,
    truth: Option<&Path>,
) -> Result<Summary> {
    let mut plant = Plant::with_epoch(
        &opts.scenario,
        u64::try_from(opts.start_ms / 1000).unwrap_or(0),
    );
    if let Some(at) = opts.blackout_at_ms {
        plant.mains_lost_at_s = Some(at as f64 / 1000.0);
        plant.mains_back_at_s = Some((at + opts.blackout_for_ms) as f64 / 1000.0);
    }
    // Only Modbus devices behind the simulator's gateways are simulated here.
    let mut sim_config = config.clone();
    sim_config.devices.retain(|d| {
        d.connection()
            .is_some_and(|c| Gateway::ALL.iter().any(|g| g.name() == c))
    });
    let kept: HashSet<&str> = sim_config.devices.iter().map(|d| d.id.as_str()).collect();
    sim_config.alarms.rules.retain(|r| {
        r.point.starts_with("endurance.")
            || r.point
                .split_once('.')
                .is_some_and(|(d, _)| kept.contains(d))
    });
    let sim_config = Arc::new(sim_config);

    let metas = stored_points(config);
    let writer = StoreWriter::start(data_dir, &metas, &config.store)?;
    let tx = writer.sender();
    let mut alarm_db = AlarmDb::open(data_dir)?;
    let mut engine = Engine::new(&sim_config, opts.start_ms);
    let mut live = LiveEndurance::new(sim_config.clone(), EMIT_EVERY_MS);
    let mut on_change = driftvakt_domain::on_change::OnChangeFilter::from_config(&sim_config);
    let mut truth_out = match truth {
        Some(p) => Some(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?,
        )),
        None => None,
    };
    let ids: Vec<Vec<Arc<str>>> = sim_config
        .devices
        .iter()
        .map(|d| d.points.iter().map(|p| Arc::from(p.id.as_str())).collect())
        .collect();

    let mut readings = 0_u64;
    let mut alarm_changes = 0;
    let mut refilled = false;
    let mut offset = 0_i64;
    while offset < opts.duration_ms {
        if offset > 0 {
            plant.step(opts.sample_ms as f64 / 1000.0);
        }
        if let Some(at) = opts.refill_at_ms
            && !refilled
            && offset >= at
        {
            refilled = true;
            plant.fuel.main_l = (plant.fuel.main_l + opts.refill_l)
                .min(driftvakt_sim::model::MAIN_TANK_CAPACITY_L);
        }
        let now = opts.start_ms + offset;
        let mut batch: Vec<Reading> = Vec::new();
        for (di, d) in sim_config.devices.iter().enumerate() {
            let (Some(conn), Some(unit)) = (d.connection(), d.unit_id()) else {
                continue;
            };
            let Some(gw) = Gateway::ALL.into_iter().find(|g| g.name() == conn) else {
                continue;
            };
            let Some(img) = unit_image(&plant, gw, unit) else {
                continue;
            };
            for (pi, p) in d.points.iter().enumerate() {
                if let Some((value, quality)) = read_point(&img, p) {
                    batch.push(Reading {
                        point: ids[di][pi].clone(),
                        time_ms: now,
                        value,
                        quality,
                    });
                }
            }
        }
        batch.extend(live.on_batch(&batch));
        let mut changes = engine.on_readings(&batch, now);
        changes.extend(engine.tick(now));
        if !changes.is_empty() {
            let touched: HashSet<i64> = changes.iter().filter_map(|c| c.record.incident).collect();
            let incidents: Vec<_> = touched
                .iter()
                .filter_map(|i| engine.incidents().get(*i))
                .collect();
            alarm_db.commit(&changes, &incidents, &[], now)?;
            alarm_changes += changes.len();
        }
        if let Some(f) = on_change.as_mut() { f.retain(&mut batch); }
        readings += batch.len() as u64;
        if tx.blocking_send(batch).is_err() {
            anyhow::bail!("the store writer stopped");
        }
        if let Some(out) = truth_out.as_mut()
            && offset % 60_000 == 0
        {
            let t = Truth {
                time_ms: now,
                diesel_l: plant.fuel.main_l + plant.fuel.day_l,
                burn_l_per_h: plant.generators.iter().map(|g| g.fuel_rate_l_per_h).sum(),
                generator_load_kw: [plant.generators[0].load_kw, plant.generators[1].load_kw],
                water_m3: plant.water.volume_m3,
                ups_min: plant.ups.battery_minutes,
                mains: plant.mains.available,
            };
            writeln!(out, "{}", serde_json::to_string(&t)?)?;
        }
        offset += opts.sample_ms;
    }
    drop(tx);
    let stats = writer.finish();
    if let Some(mut out) = truth_out {
        out.flush()?;
    }
    let lost = stats
        .readings_lost
        .load(std::sync::atomic::Ordering::Relaxed);
    if lost > 0 {
        anyhow::bail!("{lost} readings could not be stored");
    }
    Ok(Summary {
        readings,
        alarm_changes,
        from_ms: opts.start_ms,
        to_ms: opts.start_ms + opts.duration_ms,
    })
}
