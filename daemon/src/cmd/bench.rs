//! `driftvakt bench`: figures, not adjectives. Sustained points/s against the simulator with many
//! devices, Modbus reads per poll cycle against one-read-per-point, store write rate, peak RSS.

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
    let opts = SimOptions { scenario: Scenario::Normal, speed: 1.0, bind: [127, 0, 0, 1].into(), base_port: 0 };
    let sim = sim::start(opts, cancel.child_token()).await.context("starting the simulator")?;
    let demo = demo_config(&sim.gateways)?;

    println!("== reads per poll cycle (demo configuration)");
    let (mut planned, mut naive) = (0, 0);
    for d in &demo.devices {
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

    crate::cmd::bench_alarm::run(100).await?;

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
        d.connection = conn.id.clone();
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
