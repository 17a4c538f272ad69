//! `driftvakt fastforward`: the simulator in simulated time, straight into a data directory.
//! The command parses its arguments here; `driftvakt_bench::fastforward` steps the plant and
//! feeds the daemon's path (in the bench crate, so `driftvakt bench` can time it too).

use anyhow::{Context, Result, bail};
use jiff::tz::TimeZone;

use driftvakt_bench::fastforward::{Options, run as fast_forward};

use driftvakt_runtime::out::outln;
use driftvakt_runtime::timefmt::{parse_duration, parse_time};

use crate::cli::FastforwardArgs;

fn ms(s: &str, what: &str) -> Result<i64> {
    let d = parse_duration(s).with_context(|| what.to_string())?;
    Ok(i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Run the fast-forward and print what it did.
pub fn run(args: &FastforwardArgs) -> Result<()> {
    let loaded = driftvakt_config::load(&args.config);
    let Some(config) = loaded.config else {
        for d in &loaded.diagnostics {
            eprintln!("{d}");
        }
        bail!("{} is not a valid configuration", args.config.display());
    };
    let scenario = args
        .scenario
        .parse()
        .map_err(|e| anyhow::anyhow!("--scenario: {e}"))?;
    let duration_ms = ms(&args.duration, "--duration")?;
    let sample_ms = ms(&args.sample, "--sample")?.max(1000);
    let tz = TimeZone::get(&config.site.timezone).context("site time zone")?;
    let start_ms = match &args.start {
        Some(s) => parse_time(s, &tz).context("--start")?,
        None => (jiff::Timestamp::now().as_millisecond() - duration_ms) / 60_000 * 60_000,
    };
    let opts = Options {
        scenario,
        duration_ms,
        sample_ms,
        start_ms,
        blackout_at_ms: args
            .blackout_at
            .as_deref()
            .map(|s| ms(s, "--blackout-at"))
            .transpose()?,
        blackout_for_ms: ms(&args.blackout_for, "--blackout-for")?,
        refill_at_ms: args
            .refill_at
            .as_deref()
            .map(|s| ms(s, "--refill-at"))
            .transpose()?,
        refill_l: args.refill_l,
        faults: args.faults.parse().map_err(|e| anyhow::anyhow!("--faults: {e}"))?,
        plan: match args.plan.as_deref() {
            None => None,
            Some("year") => Some(driftvakt_sim::schedule::year_plan_in(u64::try_from(start_ms / 1000).unwrap_or(0), &tz)),
            Some(other) => bail!("--plan: unknown plan {other:?}; expected year"),
        },
        coarse_sample_ms: ms(&args.coarse_sample, "--coarse-sample")?.max(1000),
        truth_events: args.truth_events.clone(),
    };
    let started = std::time::Instant::now();
    let s = fast_forward(&config, &args.data, &opts, args.truth.as_deref())?;
    outln!(
        "fastforward: {} readings, {} alarm changes, {} – {} (UTC ms {}..{}) in {:.1} s",
        s.readings,
        s.alarm_changes,
        driftvakt_domain::fmt::rfc3339_utc(s.from_ms),
        driftvakt_domain::fmt::rfc3339_utc(s.to_ms),
        s.from_ms,
        s.to_ms,
        started.elapsed().as_secs_f64()
    )?;
    Ok(())
}
