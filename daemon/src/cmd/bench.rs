//! `driftvakt bench`: figures, not adjectives. Sustained points/s against the simulator with many
//! devices, Modbus reads per poll cycle against one-read-per-point, BACnet reads/s and COV
//! notification latency, store write rate, peak RSS.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use driftvakt_config::model::{Config, StoreSettings};
use driftvakt_drivers::modbus::plan::{PlanLimits, one_read_per_point, plan};
use driftvakt_drivers::sim::{self, Scenario, SimOptions};
use driftvakt_drivers::{Quality, Reading, Value};
use tokio_util::sync::CancellationToken;

use crate::cli::BenchArgs;
use crate::cmd::demo::demo_config;
use crate::pipeline::Pipeline;
use crate::store::StoreWriter;
use crate::store::writer::now_ms;

/// Run every benchmark and print the figures.
pub async fn run(args: &BenchArgs) -> Result<()> {
    let cancel = CancellationToken::new();
    let opts = SimOptions { scenario: Scenario::Normal, speed: 1.0, bind: [127, 0, 0, 1].into(), base_port: 0, bacnet_port: Some(0) };
    let sim = sim::start(opts, cancel.child_token()).await.context("starting the simulator")?;
    let demo = demo_config(&sim.gateways)?;

    println!("== reads per poll cycle (demo configuration)");
    let (mut planned, mut naive) = (0, 0);
    for d in demo.devices.iter().filter(|d| d.connection().is_some()) {
        let conn = demo.connection_of(d).context("device without connection")?;
        let p = plan(&d.points, &PlanLimits::from(conn)).requests.len();
        let n = one_read_per_point(&d.points);
        println!("  {:<14} {:>3} points  {:>3} reads  (one per point: {:>3})", d.id, d.points.len(), p, n);
        planned += p;
        naive += n;
    }
    println!("  total          {:>3} reads per cycle vs {} one-read-per-point ({:.1}× fewer)", planned, naive, naive as f64 / planned.max(1) as f64);

    polling(&demo, args.devices, args.interval_ms, args.seconds, "sustained polling").await?;
    polling(&demo, args.devices, 1, args.seconds, "saturated polling (interval 1 ms: wire- and CPU-bound)").await?;
    if let Some(b) = &sim.bacnet {
        bacnet(&demo, b, args.seconds).await?;
    }
    cancel.cancel();

    println!("== store write rate (synthetic, 200 000 readings in batches of 100)");
    let dir = tempfile::tempdir()?;
    let w = StoreWriter::start(dir.path(), &[], &StoreSettings::default())?;
    let tx = w.sender();
    let t0 = Instant::now();
    let base = now_ms();
    let names: Vec<Arc<str>> = (0..100).map(|i| Arc::from(format!("bench.p{i}"))).collect();
    for k in 0..2000i64 {
        let batch: Vec<Reading> = names
            .iter()
            .enumerate()
            .map(|(i, n)| Reading { point: n.clone(), time_ms: base + k * 100, value: Some(Value::Number(i as f64)), quality: Quality::Good })
            .collect();
        tx.send(batch).await.context("store writer stopped")?;
    }
    drop(tx);
    let stats = tokio::task::spawn_blocking(move || w.finish()).await?;
    let n = stats.readings_written.load(Ordering::Relaxed) as f64;
    println!("  readings/s into SQLite: {:.0} ({} transactions)", n / t0.elapsed().as_secs_f64(), stats.transactions.load(Ordering::Relaxed));

    println!("== memory");
    println!("  peak RSS (daemon and simulator in one process): {}", peak_rss().unwrap_or_else(|| "unknown (no /proc)".into()));
    Ok(())
}

/// Poll `devices` generator copies at `interval_ms` for `seconds` and print what arrived in the store.
async fn polling(demo: &Config, devices: usize, interval_ms: u64, seconds: u64, title: &str) -> Result<()> {
    let cfg = bench_config(demo, devices, Duration::from_millis(interval_ms))?;
    let points: usize = cfg.devices.iter().map(|d| d.points.len()).sum();
    println!(
        "== {title}: {} generator devices × {} points = {} points every {} ms, {} s",
        cfg.devices.len(),
        cfg.devices.first().map_or(0, |d| d.points.len()),
        points,
        interval_ms,
        seconds
    );
    let dir = tempfile::tempdir()?;
    let pipeline = Pipeline::start(&cfg, dir.path(), Vec::new())?;
    let t0 = Instant::now();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let summary = pipeline.shutdown().await;
    let secs = t0.elapsed().as_secs_f64();
    let written = summary.store.readings_written.load(Ordering::Relaxed) as f64;
    let requests: u64 = summary.connections.iter().map(|(_, s)| s.requests.load(Ordering::Relaxed)).sum();
    let errors: u64 = summary.connections.iter().map(|(_, s)| s.request_errors.load(Ordering::Relaxed)).sum();
    let offered = points as f64 * 1000.0 / interval_ms as f64;
    println!("  points/s stored: {:.0} (offered {:.0}/s)", written / secs, offered);
    println!("  Modbus requests/s: {:.0}, request errors: {errors}", requests as f64 / secs);
    Ok(())
}

/// `devices` copies of the demo's first generator, each on its own connection, alternating unit ids.
fn bench_config(demo: &Config, devices: usize, interval: Duration) -> Result<Config> {
    let gens: Vec<_> = demo.devices.iter().filter(|d| d.template.as_deref() == Some("dse_genset")).collect();
    anyhow::ensure!(!gens.is_empty(), "the demo configuration has no dse_genset devices");
    let mut cfg = demo.clone();
    cfg.devices.clear();
    cfg.connections.clear();
    for i in 0..devices {
        let src = gens[i % gens.len()];
        let mut conn = demo.connection_of(src).context("device without connection")?.clone();
        conn.id = format!("bench{i}");
        let mut d = src.clone();
        d.id = format!("bench{i}");
        if let driftvakt_config::model::DeviceLink::Modbus(m) = &mut d.link {
            m.connection = conn.id.clone();
        }
        d.poll_interval = interval;
        for p in &mut d.points {
            p.id = format!("{}.{}", d.id, p.local_id());
        }
        cfg.connections.push(conn);
        cfg.devices.push(d);
    }
    Ok(cfg)
}

/// Peak resident set size of this process (VmHWM), as the kernel reports it.
fn peak_rss() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find(|l| l.starts_with("VmHWM:")).map(|l| l.trim_start_matches("VmHWM:").trim().to_string())
}

/// BACnet figures against the simulator's router: saturated ReadPropertyMultiple polling of its
/// two devices (reads/s), and COV notification latency from a value change in the device to
/// the reading arriving at a pipeline tap.
async fn bacnet(demo: &Config, sim: &driftvakt_drivers::sim::SimBacnet, seconds: u64) -> Result<()> {
    use driftvakt_config::model::{CovSettings, ObjectId};
    use driftvakt_drivers::bacnet::BacnetStats;

    let mut cfg = demo.clone();
    cfg.connections.clear();
    cfg.devices.retain(|d| d.bacnet().is_some());
    crate::cmd::demo::point_bacnet_at(&mut cfg, sim);
    anyhow::ensure!(!cfg.devices.is_empty(), "the demo configuration has no BACnet devices");

    // Reads/s: 20 copies of each BACnet device (own task each, same router), polled every 1 ms.
    let copies = 20;
    let mut polled = cfg.clone();
    polled.devices.clear();
    for k in 0..copies {
        for src in &cfg.devices {
            let mut d = src.clone();
            d.id = format!("{}_{k}", src.id);
            d.poll_interval = Duration::from_millis(1);
            if let driftvakt_config::model::DeviceLink::Bacnet(b) = &mut d.link {
                b.cov = None;
            }
            for p in &mut d.points {
                p.id = format!("{}.{}", d.id, p.local_id());
            }
            polled.devices.push(d);
        }
    }
    let points: usize = polled.devices.iter().map(|d| d.points.len()).sum();
    println!(
        "== BACnet saturated polling: {} device tasks ({copies} copies of each simulated device, one router), {points} points, interval 1 ms, {seconds} s",
        polled.devices.len()
    );
    let dir = tempfile::tempdir()?;
    let pipeline = Pipeline::start(&polled, dir.path(), Vec::new())?;
    let t0 = Instant::now();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let summary = pipeline.shutdown().await;
    let secs = t0.elapsed().as_secs_f64();
    let stat = |f: fn(&BacnetStats) -> u64| summary.bacnet.iter().map(|(_, s)| f(s)).sum::<u64>() as f64;
    println!("  points/s read and stored: {:.0}", summary.store.readings_written.load(Ordering::Relaxed) as f64 / secs);
    println!(
        "  BACnet ReadPropertyMultiple requests/s: {:.0} (timeouts {}, device errors {})",
        stat(|s| BacnetStats::get(&s.requests)) / secs,
        stat(|s| BacnetStats::get(&s.timeouts)),
        stat(|s| BacnetStats::get(&s.device_errors))
    );

    // COV latency: change a value in the device, time until its reading reaches a tap.
    let lb01 = cfg.devices.iter().find(|d| d.id == "lb01").context("no lb01 in the demo configuration")?.clone();
    let instance = lb01.bacnet().map(|b| b.instance).context("lb01 is not a BACnet device")?;
    let point = lb01.points.iter().find(|p| p.local_id() == "supply_air_temp").context("lb01 has no supply_air_temp")?;
    let object: ObjectId = point.bacnet().context("not a BACnet point")?.object;
    let point_id: Arc<str> = Arc::from(point.id.as_str());
    let mut cov_cfg = cfg.clone();
    cov_cfg.devices.retain(|d| d.id == "lb01");
    for d in &mut cov_cfg.devices {
        if let driftvakt_config::model::DeviceLink::Bacnet(b) = &mut d.link {
            b.cov = Some(CovSettings { lifetime: Duration::from_secs(300), renew_at_fraction: 0.8, check_interval: Duration::from_secs(60) });
        }
    }
    let (tap_tx, mut tap) = tokio::sync::mpsc::channel::<Arc<[Reading]>>(1024);
    let dir = tempfile::tempdir()?;
    let pipeline = Pipeline::start(&cov_cfg, dir.path(), vec![tap_tx])?;
    let subscribed = || pipeline.bacnet_stats().iter().map(|(_, s)| BacnetStats::get(&s.subscriptions)).sum::<u64>();
    let ready_by = Instant::now() + Duration::from_secs(10);
    while subscribed() == 0 {
        anyhow::ensure!(Instant::now() < ready_by, "lb01 was not subscribed within 10 s");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    while tap.try_recv().is_ok() {}
    let samples = 200;
    let mut latencies = Vec::with_capacity(samples);
    for i in 0..samples {
        let target = 100.0 + i as f64;
        let sent = Instant::now();
        sim.set_override(instance, object, Some(target));
        let wait = tokio::time::timeout(Duration::from_secs(2), async {
            while let Some(batch) = tap.recv().await {
                if batch.iter().any(|r| r.point == point_id && r.value.as_ref().and_then(Value::as_f64).is_some_and(|v| (v - target).abs() < 1e-3)) {
                    return true;
                }
            }
            false
        })
        .await;
        if matches!(wait, Ok(true)) {
            latencies.push(sent.elapsed());
        }
    }
    sim.set_override(instance, object, None);
    let notifications: u64 = pipeline.bacnet_stats().iter().map(|(_, s)| BacnetStats::get(&s.cov_notifications)).sum();
    drop(pipeline.shutdown().await);
    latencies.sort();
    let pct = |p: f64| latencies.get(((latencies.len() as f64 - 1.0) * p).round() as usize).map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0);
    println!("== BACnet COV notification latency: value change in the device → reading at a pipeline tap ({samples} changes)");
    println!(
        "  received {} of {samples}; median {:.2} ms, p95 {:.2} ms, max {:.2} ms ({notifications} notifications)",
        latencies.len(),
        pct(0.5),
        pct(0.95),
        pct(1.0)
    );
    Ok(())
}
