//! Fast-forward: the reference-hospital simulator run in simulated time straight into a data
//! directory, so a day or a week with a blackout — or a year of monthly tests and outages — is
//! ready for a report in seconds. `driftvakt fastforward` (the binary's `cmd/fastforward.rs`)
//! parses its arguments and calls [`run`]; `driftvakt bench --only exercise` times it.
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

use driftvakt_config::model::ExerciseKind;
use driftvakt_runtime::alarm::store::AlarmDb;
use driftvakt_runtime::exercise::live::{ExerciseMonitor, MonitorAction};
use driftvakt_runtime::exercise::service::{DAEMON, outage_name};
use driftvakt_runtime::exercise::store::ExerciseDb;
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
    /// Faults of the plant, in every test and outage (`--faults`).
    pub faults: driftvakt_sim::Faults,
    /// A timetable of tests and outages replacing the scenario's (`--plan year`).
    pub plan: Option<driftvakt_sim::Schedule>,
    /// Time between samples away from every test and outage (ms); `sample_ms` near them.
    pub coarse_sample_ms: i64,
    /// Write the simulator's own transitions (mains lost, crank, transfer …) here as JSON.
    pub truth_events: Option<std::path::PathBuf>,
}

/// Samples this long before a scheduled test or outage are taken at the fine interval (ms).
const FINE_BEFORE_MS: i64 = 15 * 60_000;
/// … and this long after it (cool-down, the outage's end, the report's margin) (ms).
const FINE_AFTER_MS: i64 = 25 * 60_000;
/// The coordinator starts each scheduled test's exercise this long before test mode (ms).
const EXERCISE_LEAD_MS: i64 = 60_000;
/// … and stops it this long after the generators' cool-down should have ended (ms).
const EXERCISE_TAIL_MS: i64 = 60_000;

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
    plant.faults = opts.faults;
    if let Some(plan) = &opts.plan {
        plant.schedule = plan.clone();
    }
    let busy = busy_periods(&plant, opts.start_ms);
    let mut coordinator = Coordinator::new(config, data_dir, &plant, opts.start_ms)?;
    // Only Modbus devices behind the simulator's gateways are simulated here.
    let mut sim_config = config.clone();
    sim_config.devices.retain(|d| {
        d.connection()
            .is_some_and(|c| Gateway::ALL.iter().any(|g| g.name() == c))
    });
    let kept: HashSet<&str> = sim_config.devices.iter().map(|d| d.id.as_str()).collect();
    sim_config.alarms.rules.retain(|r| {
        r.point.starts_with("endurance.")
            || r.point.starts_with("exercise.")
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
    let mut stepped_to = 0_i64;
    while offset < opts.duration_ms {
        if offset > stepped_to {
            let quiet = !near(&busy, stepped_to + opts.start_ms) && !near(&busy, offset + opts.start_ms);
            let substep_s = if quiet { QUIET_SUBSTEP_S } else { driftvakt_sim::model::MAX_SUBSTEP_S };
            plant.step_by((offset - stepped_to) as f64 / 1000.0, substep_s);
            stepped_to = offset;
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
        // The live criterion readings go to the alarm engine only, as in the daemon.
        let failures = coordinator.observe(&batch, now, &mut engine)?;
        let mut changes = engine.on_readings(&batch, now);
        changes.extend(engine.on_readings(&failures, now));
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
        let coarse = opts.coarse_sample_ms.max(opts.sample_ms);
        offset = if near(&busy, now) {
            offset + opts.sample_ms
        } else {
            // Never jump past the start of the next fine period.
            let next_fine = busy.iter().map(|&(from, _)| from - FINE_BEFORE_MS - opts.start_ms).filter(|&o| o > offset).min();
            ((offset / coarse + 1) * coarse).min(next_fine.unwrap_or(i64::MAX))
        };
    }
    coordinator.finish(opts.start_ms + opts.duration_ms)?;
    if let Some(path) = &opts.truth_events {
        std::fs::write(path, plant.truth_json()).with_context(|| format!("writing {}", path.display()))?;
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

/// The plant's internal step away from every test and outage (s): stocks and temperatures only.
const QUIET_SUBSTEP_S: f64 = 5.0;

/// Whether `now` (UTC ms) lies near a scheduled test or outage: sampled finely, stepped in 0.1 s.
fn near(busy: &[(i64, i64)], now: i64) -> bool {
    busy.iter().any(|&(from, to)| now >= from - FINE_BEFORE_MS && now <= to + FINE_AFTER_MS)
}

/// Every scheduled test and outage as (from, to) UTC ms: the fine sampling's periods.
fn busy_periods(plant: &Plant, start_ms: i64) -> Vec<(i64, i64)> {
    let ms = |s: f64| start_ms + (s * 1000.0) as i64;
    let single = plant.mains_lost_at_s.map(|from| (from, plant.mains_back_at_s.unwrap_or(f64::MAX / 4.0)));
    plant
        .schedule
        .tests
        .iter()
        .chain(&plant.schedule.outages)
        .map(|w| (w.from_s, w.until_s.unwrap_or(f64::MAX / 4.0)))
        .chain(single)
        .map(|(from, to)| (ms(from), ms(to.min(1e12))))
        .collect()
}

/// The preparedness coordinator of the fast-forward and the daemon's exercise service in one:
/// starts an exercise a minute before each scheduled test window and stops it a minute after
/// the generators' cool-down should have ended, as a person would with `driftvakt exercise
/// start|stop`; every sample goes through the daemon's own [`ExerciseMonitor`] (outages
/// detected and ended, live criterion failures as `exercise.*` readings for the alarm engine,
/// expected alarms marked), recorded in the store like the daemon does.
struct Coordinator {
    db: Option<ExerciseDb>,
    monitor: Option<ExerciseMonitor>,
    expected_alarms: Vec<String>,
    tests: Vec<(i64, i64)>,
    next: usize,
    ours: Option<(i64, i64)>,
    tz: jiff::tz::TimeZone,
}

impl Coordinator {
    fn new(config: &Config, data_dir: &Path, plant: &Plant, start_ms: i64) -> Result<Coordinator> {
        let tz = jiff::tz::TimeZone::get(&config.site.timezone).unwrap_or(jiff::tz::TimeZone::UTC);
        let Some(settings) = &config.exercise else {
            return Ok(Coordinator { db: None, monitor: None, expected_alarms: Vec::new(), tests: Vec::new(), next: 0, ours: None, tz });
        };
        let db = ExerciseDb::open(data_dir)?;
        let monitor = ExerciseMonitor::new(settings, db.active()?);
        let ms = |s: f64| start_ms + (s * 1000.0) as i64;
        let cooldown_ms = (driftvakt_sim::model::COOLDOWN_S * 1000.0) as i64;
        let tests = plant
            .schedule
            .tests
            .iter()
            .filter_map(|w| Some((ms(w.from_s) - EXERCISE_LEAD_MS, ms(w.until_s?) + cooldown_ms + EXERCISE_TAIL_MS)))
            .collect();
        Ok(Coordinator { db: Some(db), monitor: Some(monitor), expected_alarms: settings.expected_alarms.clone(), tests, next: 0, ours: None, tz })
    }

    /// Take one sample's readings at `now`: start or stop the coordinator's exercise, let the
    /// monitor see them (outages), and return the live criterion readings for the alarm engine.
    fn observe(&mut self, batch: &[Reading], now: i64, engine: &mut Engine) -> Result<Vec<Reading>> {
        let (Some(db), Some(monitor)) = (self.db.as_mut(), self.monitor.as_mut()) else { return Ok(Vec::new()) };
        if let Some((id, until)) = self.ours
            && now >= until
        {
            if monitor.active().is_some_and(|r| r.id == id) {
                db.stop(COORDINATOR, now)?;
                monitor.stopped();
                engine.set_expected(None);
            }
            self.ours = None;
        }
        while let Some(&(from, until)) = self.tests.get(self.next)
            && now >= from
        {
            self.next += 1;
            if now >= until || self.ours.is_some() {
                continue;
            }
            if let Some(active) = monitor.active() {
                tracing::warn!(run = active.id, "a scheduled monthly test finds another run active; not started");
                continue;
            }
            let day = jiff::Timestamp::from_millisecond(now).map(|t| t.to_zoned_datetime(self.tz.clone()).date().to_string()).unwrap_or_default();
            let run = db.start(ExerciseKind::Monthly, &format!("Månadsprov {day}"), COORDINATOR, now)?;
            engine.set_expected(Some((run.id, self.expected_alarms.clone())));
            self.ours = Some((run.id, until));
            monitor.started(run);
        }
        for action in monitor.observe(batch) {
            match action {
                MonitorAction::StartOutage { at_ms } => {
                    let run = db.start(ExerciseKind::Outage, &outage_name(at_ms, &self.tz), DAEMON, at_ms)?;
                    monitor.started(run);
                }
                MonitorAction::StopOutage { at_ms } => {
                    db.stop(DAEMON, at_ms)?;
                    monitor.stopped();
                }
            }
        }
        Ok(monitor.failure_readings(now))
    }

    /// The simulated period ended at `end_ms`: a run still active is stopped there.
    fn finish(&mut self, end_ms: i64) -> Result<()> {
        if let Some(db) = self.db.as_mut()
            && db.active()?.is_some()
        {
            db.stop(COORDINATOR, end_ms)?;
        }
        Ok(())
    }
}

/// Who the fast-forward's coordinator is in the runs it records.
const COORDINATOR: &str = "fastforward";
