//! Bench: the endurance report over a year of 1-minute rollups of the demo site.
//!
//! The rollups are generated synthetically straight into a temporary store (burn with monthly
//! deliveries, generator load during monthly test runs, water drawdown, live endurance), one
//! row per minute for a year for every series the report reads (stock, load, endurance points).

use std::time::Instant;

use anyhow::{Context, Result};
use driftvakt_config::model::{Config, Language};
use driftvakt_store::{Rollup, StoreWriter, import_rollups};

use driftvakt_runtime::endurance::live::point_metas;
use driftvakt_runtime::pipeline::stored_points;
use driftvakt_runtime::endurance::report::{Format, gather, render};
use driftvakt_runtime::out::outln;

const MINUTES_PER_YEAR: i64 = 365 * 24 * 60;

/// Generate a year of rollups and time the report; prints the figures.
pub fn run(config: &Config) -> Result<()> {
    outln!("== endurance report over a year of 1-minute rollups (synthetic)")?;
    let dir = tempfile::tempdir()?;
    let metas = stored_points(config);
    StoreWriter::start(dir.path(), &metas, &config.store)?.finish();
    let mut series: Vec<String> = Vec::new();
    for r in &config.reserves {
        series.extend(r.stock.iter().cloned());
        if let Some(m) = &r.consumption.load {
            series.extend(m.points.iter().cloned());
        }
    }
    series.extend(point_metas(config).into_iter().map(|m| m.id));
    series.sort();
    series.dedup();

    let t_gen = Instant::now();
    let from = (jiff::Timestamp::now().as_millisecond() / 60_000 - MINUTES_PER_YEAR) * 60_000;
    let rollups = series.iter().flat_map(|name| {
        (0..MINUTES_PER_YEAR).map(move |m| {
            let h = m as f64 / 60.0;
            let test_run = (m % (30 * 1440)) < 60; // one hour's test run a month
            let v = match name.as_str() {
                "tankar.main_tank" => 18_000.0 - (m % (30 * 1440)) as f64 * 0.002,
                "tankar.day_tank" => 900.0,
                "g1.total_power" | "g2.total_power" => {
                    if test_run {
                        450.0
                    } else {
                        0.0
                    }
                }
                "reservvatten.volume" => 380.0 - (h % 24.0) * 2.0,
                "ups.battery_runtime" => 38.0,
                n if n.starts_with("endurance.") => {
                    if test_run {
                        75.0
                    } else {
                        8760.0
                    }
                }
                _ => 1.0,
            };
            let minute = Rollup { minute_ms: from + m * 60_000, min: Some(v), max: Some(v), mean: Some(v), good_count: 6, count: 6 };
            (name.as_str(), minute)
        })
    });
    let rows = import_rollups(dir.path(), rollups).context("bench rollups")?;
    outln!(
        "  {rows} rollup rows ({} series × {MINUTES_PER_YEAR} minutes) generated in {:.1} s",
        series.len(),
        t_gen.elapsed().as_secs_f64()
    )?;

    for (name, format) in [
        ("HTML", Format::Html),
        ("JSON", Format::Json),
        ("CSV", Format::Csv),
    ] {
        let t = Instant::now();
        let data = gather(
            config,
            dir.path(),
            from,
            from + MINUTES_PER_YEAR * 60_000,
            Language::Sv,
        )?;
        let text = render(&data, format)?;
        outln!(
            "  report {name:<4} over one year: {:>6.0} ms ({} bytes)",
            t.elapsed().as_secs_f64() * 1000.0,
            text.len()
        )?;
    }
    Ok(())
}
