//! Bench: the store at plant scale, through the store crate's public API only.
//!
//! 10 000 points (100 devices × 100 u16 registers, named as `../shared/peerbench` names them)
//! with plant-like values like peerbench's `VARY=1` load server: a third static, a third a slow
//! sine rounded to integers, a third noise among 7 values changing every 100 ms. One reading per
//! point per simulated second, sent as device-cycle batches (one device's 100 readings sharing
//! one time stamp, a few ms of jitter per device cycle) as fast as the writer takes them; times
//! run from now − N s to now. Then the queries of issue 11 on stores written the same way.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use anyhow::{Context, Result};
use driftvakt_config::model::StoreSettings;
use driftvakt_domain::clock::{Clock, SystemClock};
use driftvakt_domain::fmt::rfc3339_utc;
use driftvakt_domain::{Quality, Reading, Value};
use driftvakt_runtime::out::outln;
use driftvakt_store::{BatchSender, PointMeta, Store, StoreWriter};

use crate::procfs::{DirSize, IoCounters, peak_rss};

/// Simulated devices.
const DEVICES: u16 = 100;
/// Registers (points) per device.
const POINTS_PER_DEVICE: u16 = 100;
/// Readings of the export query's point: 24 h at 1 s.
const EXPORT_READINGS: i64 = 86_400;
/// Points read by the "last hour" query.
const HOUR_QUERY_POINTS: usize = 20;

/// Write `seconds` simulated seconds of the plant into a fresh store and print the write and
/// query figures.
pub async fn run(seconds: u64) -> Result<()> {
    let points = usize::from(DEVICES) * usize::from(POINTS_PER_DEVICE);
    let total = points as u64 * seconds;
    outln!(
        "== store: {DEVICES} devices × {POINTS_PER_DEVICE} points = {points} points, plant-like values (peerbench VARY=1), \
         1 reading per point per second for {seconds} simulated s = {total} readings in device-cycle batches"
    )?;
    let dir = tempfile::tempdir()?;
    outln!(
        "  data directory: {} (on the file system of TMPDIR)",
        dir.path().display()
    )?;
    let names = point_names();
    let end_ms = SystemClock.now_ms();
    let start_ms = end_ms - seconds as i64 * 1000;

    let io0 = IoCounters::read();
    let t0 = Instant::now();
    let metas: Vec<PointMeta> = names
        .iter()
        .flatten()
        .map(|n| PointMeta {
            id: n.to_string(),
            unit: String::new(),
            system: "bench".into(),
        })
        .collect();
    let writer = StoreWriter::start(dir.path(), &metas, &StoreSettings::default())?;
    let tx = writer.sender();
    let producer_names = names.clone();
    tokio::task::spawn_blocking(move || produce(&tx, &producer_names, start_ms, seconds)).await??;
    let stats = tokio::task::spawn_blocking(move || writer.finish()).await?;
    let wall = t0.elapsed().as_secs_f64();
    let io1 = IoCounters::read();

    let written = stats.readings_written.load(Ordering::Relaxed);
    let per = |bytes: u64| bytes as f64 / written.max(1) as f64;
    outln!(
        "  committed: {written} of {total} readings in {wall:.1} s, wall time from start to finish() returned \
         ({} transactions, {} lost)",
        stats.transactions.load(Ordering::Relaxed),
        stats.readings_lost.load(Ordering::Relaxed)
    )?;
    outln!("  write rate: {:.0} readings/s committed", written as f64 / wall)?;
    let size = DirSize::of(dir.path())?;
    outln!(
        "  on disk after finish: {:.2} bytes/reading allocated ({} bytes in {} files), {:.2} bytes/reading apparent ({} bytes)",
        per(size.allocated),
        size.allocated,
        size.files,
        per(size.apparent),
        size.apparent
    )?;
    match (io0, io1) {
        (Some(a), Some(b)) => {
            let d = b.since(&a);
            outln!(
                "  written during the run (/proc/self/io, whole process incl. the writer thread): write_bytes {:.2} bytes/reading \
                 ({} bytes; cancelled_write_bytes {}), wchar {:.2} bytes/reading ({} bytes handed to write())",
                per(d.write_bytes),
                d.write_bytes,
                d.cancelled_write_bytes,
                per(d.wchar),
                d.wchar
            )?;
            outln!(
                "  (write_bytes counts pages dirtied in the page cache; a page rewritten before writeback counts once, \
                 so it matches the bytes the disk took only where the store fsyncs)"
            )?;
            outln!(
                "  write amplification: write_bytes / allocated size on disk = {:.1}×",
                d.write_bytes as f64 / size.allocated.max(1) as f64
            )?;
        }
        _ => outln!("  disk bytes written: unknown (no /proc/self/io)")?,
    }
    outln!(
        "  peak RSS of the bench process so far (VmHWM): {}",
        peak_rss().unwrap_or_else(|| "unknown (no /proc)".into())
    )?;

    let (dir_path, names_q) = (dir.path().to_path_buf(), names.clone());
    tokio::task::spawn_blocking(move || last_hour(&dir_path, &names_q, end_ms)).await??;
    export_day().await?;
    outln!("  (the endurance report over a year of rollups: `driftvakt bench --only endurance`)")?;
    Ok(())
}

/// Point ids per device, `d000.r00000` … as peerbench's generated configuration names them.
fn point_names() -> Arc<Vec<Vec<Arc<str>>>> {
    Arc::new(
        (0..DEVICES)
            .map(|d| {
                (0..POINTS_PER_DEVICE)
                    .map(|r| Arc::from(format!("d{d:03}.r{r:05}")))
                    .collect()
            })
            .collect(),
    )
}

/// Send every device cycle of `seconds` simulated seconds from `start_ms`, oldest first.
fn produce(tx: &BatchSender, names: &[Vec<Arc<str>>], start_ms: i64, seconds: u64) -> Result<()> {
    for s in 0..seconds {
        for (d, device) in names.iter().enumerate() {
            let unit = d as u16 % 247 + 1;
            let time_ms = start_ms + s as i64 * 1000 + jitter_ms(d as u64, s);
            let batch = device
                .iter()
                .enumerate()
                .map(|(r, name)| Reading {
                    point: name.clone(),
                    time_ms,
                    value: Some(Value::Number(f64::from(plant_value(
                        r as u16, unit, time_ms,
                    )))),
                    quality: Quality::Good,
                })
                .collect();
            tx.blocking_send(batch).context("store writer stopped")?;
        }
    }
    Ok(())
}

/// A few ms (0–7) of polling jitter for device `d`'s cycle in second `s`, deterministic.
fn jitter_ms(d: u64, s: u64) -> i64 {
    (mix(d << 32 ^ s) % 8) as i64
}

/// A 64-bit mixer (the load server's multiply-xorshift).
fn mix(x: u64) -> u64 {
    let h = x.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    h ^ (h >> 29)
}

/// Register `addr` of unit `unit` at `ms`, as `../shared/peerbench/loadserver` answers with
/// `VARY=1`: static, a slow sine rounded to an integer, or noise among 7 values per 100 ms.
fn plant_value(addr: u16, unit: u16, ms: i64) -> u16 {
    match addr % 3 {
        0 => addr ^ unit,
        1 => (1000.0 + 100.0 * ((ms as f64) / 60_000.0 + f64::from(addr)).sin()).round() as u16,
        _ => {
            let h = mix((ms as u64 / 100) ^ (u64::from(addr) << 32) ^ (u64::from(unit) << 48));
            497 + (h % 7) as u16
        }
    }
}

/// The last hour of 20 points spread over the devices and value kinds, raw, via `Store::readings`.
fn last_hour(dir: &Path, names: &[Vec<Arc<str>>], end_ms: i64) -> Result<()> {
    // Every fifth device, registers 7 apart: all three value kinds.
    let picked: Vec<&str> = (0..HOUR_QUERY_POINTS)
        .map(|i| &*names[i * 5 % names.len()][i * 7 % names[0].len()])
        .collect();
    let t = Instant::now();
    let store = Store::open_read_only(dir)?;
    let mut n = 0;
    for p in &picked {
        n += store.readings(p, end_ms - 3_600_000, end_ms + 1)?.len();
    }
    outln!(
        "  query: last hour of {HOUR_QUERY_POINTS} points, raw (Store::readings): {:.1} ms for {n} readings \
         (the store holds min(simulated time, 1 h) of each)",
        t.elapsed().as_secs_f64() * 1000.0
    )?;
    Ok(())
}

/// A second store with one point × 86 400 readings (24 h at 1 s, sine values), exported as
/// `driftvakt export` does (CSV, into memory).
async fn export_day() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let point: Arc<str> = Arc::from("export.day");
    let end_ms = SystemClock.now_ms();
    let start_ms = end_ms - EXPORT_READINGS * 1000;
    let meta = PointMeta {
        id: point.to_string(),
        unit: String::new(),
        system: "bench".into(),
    };
    let writer = StoreWriter::start(dir.path(), &[meta], &StoreSettings::default())?;
    let tx = writer.sender();
    let p = point.clone();
    tokio::task::spawn_blocking(move || -> Result<()> {
        for s in 0..EXPORT_READINGS {
            let time_ms = start_ms + s * 1000 + jitter_ms(0, s as u64);
            let value = Some(Value::Number(f64::from(plant_value(1, 1, time_ms))));
            tx.blocking_send(vec![Reading {
                point: p.clone(),
                time_ms,
                value,
                quality: Quality::Good,
            }])
            .context("store writer stopped")?;
        }
        Ok(())
    })
    .await??;
    tokio::task::spawn_blocking(move || writer.finish()).await?;

    let dir_path = dir.path().to_path_buf();
    tokio::task::block_in_place(|| -> Result<()> {
        let t = Instant::now();
        let store = Store::open_read_only(&dir_path)?;
        let rows = store.readings(&point, start_ms, end_ms + 1)?;
        let read_ms = t.elapsed().as_secs_f64() * 1000.0;
        let mut out = Vec::with_capacity(rows.len() * 48);
        writeln!(out, "time,time_ms,value,quality")?;
        for r in &rows {
            let v = r
                .value
                .as_ref()
                .and_then(Value::as_f64)
                .map(|v| v.to_string())
                .unwrap_or_default();
            writeln!(
                out,
                "{},{},{},{}",
                rfc3339_utc(r.time_ms),
                r.time_ms,
                v,
                r.quality.key()
            )?;
        }
        outln!(
            "  query: export of one point over 24 h at 1 s ({} readings, CSV as `driftvakt export`, {} bytes): {:.1} ms \
             (of which reading the store {read_ms:.1} ms)",
            rows.len(),
            out.len(),
            t.elapsed().as_secs_f64() * 1000.0
        )?;
        Ok(())
    })
}
