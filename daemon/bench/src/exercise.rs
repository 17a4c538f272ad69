//! Bench: the exercise feature (reservkraftprov) on the reference hospital — the fast-forward of
//! one monthly test hour and of a year of tests and outages through the daemon's path
//! ([`crate::fastforward`]), the report of one monthly test (its replay through the domain's
//! `Timeline` and `analyze`, then each format) and the year's run history. Each into a
//! temporary data directory, with the bundled configuration.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use driftvakt_config::model::{Config, Language};
use driftvakt_runtime::exercise::report::{self as report, Format, Which, find_run, history, replay, settings};
use driftvakt_runtime::out::outln;
use driftvakt_sim::Scenario;
use driftvakt_sim::schedule::year_plan_in;

use crate::fastforward::{self, Options, Summary};
use crate::procfs::peak_rss;

/// The monthly test hour's start (the end-to-end tests' `START`, a Wednesday morning).
const MONTH_START: &str = "2026-03-04T08:00:00Z";
/// The year fast-forwarded for the run history.
const YEAR: i16 = 2026;
/// How often each report is made; the median is printed.
const REPEAT: usize = 5;

const FORMATS: [(&str, Format); 3] = [("HTML", Format::Html), ("JSON", Format::Json), ("CSV", Format::Csv)];

/// Run the exercise scenarios and print the figures.
pub fn run(config: &Config) -> Result<()> {
    outln!("== exercises (reservkraftprov): fast-forward and reports, reference hospital")?;
    let tz = jiff::tz::TimeZone::get(&config.site.timezone).context("site time zone")?;

    // (a) One monthly test hour at 1 s samples, then a year.
    let month = tempfile::tempdir()?;
    let start_ms = MONTH_START.parse::<jiff::Timestamp>().context("MONTH_START")?.as_millisecond();
    let opts = Options {
        scenario: Scenario::MonthlyTest,
        duration_ms: 3_600_000,
        sample_ms: 1000,
        start_ms,
        blackout_at_ms: None,
        blackout_for_ms: 0,
        refill_at_ms: None,
        refill_l: 0.0,
        faults: driftvakt_sim::Faults::default(),
        plan: None,
        coarse_sample_ms: 60_000,
        truth_events: None,
    };
    let (hour, took) = timed(|| fastforward::run(config, month.path(), &opts, None))?;
    outln!(
        "  fast-forward, one monthly test hour at 1 s samples (monthly_test, 1h): {} readings in {:.2} s = {:.0} readings/s ({:.0}× real time)",
        hour.readings,
        took.as_secs_f64(),
        hour.readings as f64 / took.as_secs_f64(),
        3600.0 / took.as_secs_f64()
    )?;

    let year = tempfile::tempdir()?;
    let new_year = |y: i16| -> Result<i64> {
        let t = jiff::civil::date(y, 1, 1).at(0, 0, 0, 0).to_zoned_datetime(tz.clone()).context("1 January")?;
        Ok(t.timestamp().as_millisecond())
    };
    let (year_start_ms, year_end_ms) = (new_year(YEAR)?, new_year(YEAR + 1)?);
    let opts = Options {
        scenario: Scenario::Normal,
        duration_ms: year_end_ms - year_start_ms,
        start_ms: year_start_ms,
        plan: Some(year_plan_in(u64::try_from(year_start_ms / 1000).unwrap_or(0), &tz)),
        ..opts
    };
    let (whole, took) = timed(|| fastforward::run(config, year.path(), &opts, None))?;
    outln!(
        "  fast-forward, a year (--plan year: 12 monthly tests, 2 outages; 1 s near them, 60 s elsewhere): {} readings in {:.1} s = {:.0} readings/s",
        whole.readings,
        took.as_secs_f64(),
        whole.readings as f64 / took.as_secs_f64()
    )?;

    // (b) The report of the monthly test: the replay alone, then gather + render per format.
    let now_ms = jiff::Timestamp::now().as_millisecond().max(hour.to_ms);
    let store = driftvakt_store::Store::open_read_only(month.path()).context("opening the monthly test's store")?;
    let run = find_run(month.path(), Which::Latest)?;
    let settings = settings(config)?;
    let mut points = settings.points();
    points.sort_unstable();
    points.dedup();
    let mut replayed = 0;
    let took = median(|| {
        let r = replay(&store, settings, &run, now_ms)?;
        replayed = points.iter().map(|p| r.count(p)).sum::<usize>();
        Ok(())
    })?;
    drop(store);
    outln!(
        "  report exercise, replay of run {} ({} role and watched points): {replayed} readings in {:.1} ms = {:.0} readings/s through the Timeline (store read, merge, Timeline, analyze)",
        run.id,
        points.len(),
        ms(took),
        replayed as f64 / took.as_secs_f64()
    )?;
    for (name, format) in FORMATS {
        let mut bytes = 0;
        let took = median(|| {
            let data = report::gather(config, month.path(), Which::Latest, Language::Sv, now_ms)?;
            bytes = report::render(&data, format)?.len();
            Ok(())
        })?;
        outln!("  report exercise {name:<4} (gather + render): {:>6.1} ms ({bytes} bytes)", ms(took))?;
    }

    // (c) The year's run history.
    history_part(config, year.path(), &whole)?;

    // (d) Memory.
    outln!("  peak RSS after the exercise scenarios: {}", peak_rss().unwrap_or_else(|| "unknown (no /proc)".into()))?;
    Ok(())
}

/// Time `report exercises` of the fast-forwarded year, per format.
fn history_part(config: &Config, dir: &Path, year: &Summary) -> Result<()> {
    let now_ms = jiff::Timestamp::now().as_millisecond().max(year.to_ms);
    for (name, format) in FORMATS {
        let (mut runs, mut bytes) = (0, 0);
        let took = median(|| {
            let data = history::gather(config, dir, YEAR, Language::Sv, now_ms)?;
            runs = data.runs.len();
            bytes = report::render_history(&data, format)?.len();
            Ok(())
        })?;
        outln!("  report exercises {name:<4} --year {YEAR} ({runs} runs, each replayed): {:>6.1} ms ({bytes} bytes)", ms(took))?;
    }
    Ok(())
}

/// `f`'s result and how long it took.
fn timed<T>(f: impl FnOnce() -> Result<T>) -> Result<(T, Duration)> {
    let t = Instant::now();
    let out = f()?;
    Ok((out, t.elapsed()))
}

/// The median time of [`REPEAT`] runs of `f`.
fn median(mut f: impl FnMut() -> Result<()>) -> Result<Duration> {
    let mut times = Vec::with_capacity(REPEAT);
    for _ in 0..REPEAT {
        times.push(timed(&mut f)?.1);
    }
    times.sort_unstable();
    Ok(times[REPEAT / 2])
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
