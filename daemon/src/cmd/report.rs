//! `driftvakt report endurance`: the SSIK endurance evidence report as HTML, JSON or CSV.

use std::io::Write;

use anyhow::{Context, Result, bail};
use jiff::tz::TimeZone;

use crate::cli::{EnduranceReportArgs, ReportFormat};
use driftvakt_runtime::endurance::report::{Format, gather, render};
use driftvakt_runtime::timefmt::parse_time;

/// Write the endurance report.
pub fn endurance(args: &EnduranceReportArgs) -> Result<()> {
    let loaded = driftvakt_config::load(&args.config);
    let Some(config) = loaded.config else {
        for d in &loaded.diagnostics {
            eprintln!("{d}");
        }
        bail!("{} is not a valid configuration", args.config.display());
    };
    if config.reserves.is_empty() {
        bail!(
            "{} has no [[reserves]]: nothing to report",
            args.config.display()
        );
    }
    let tz = TimeZone::get(&config.site.timezone)
        .with_context(|| format!("unknown time zone {:?}", config.site.timezone))?;
    let now = jiff::Timestamp::now().as_millisecond();
    let to = args
        .to
        .as_deref()
        .map(|s| parse_time(s, &tz))
        .transpose()
        .context("--to")?
        .unwrap_or(now);
    let from = args
        .from
        .as_deref()
        .map(|s| parse_time(s, &tz))
        .transpose()
        .context("--from")?
        .unwrap_or(to - 7 * 86_400_000);
    if from >= to {
        bail!("--from must be before --to");
    }
    let format = match args.format {
        ReportFormat::Html => Format::Html,
        ReportFormat::Json => Format::Json,
        ReportFormat::Csv => Format::Csv,
    };
    let started = std::time::Instant::now();
    let data = gather(&config, &args.data, from, to, args.lang)
        .with_context(|| format!("reading the store in {}", args.data.display()))?;
    let text = render(&data, format)?;
    match &args.out {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?
        }
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
        }
    }
    tracing::info!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        "endurance report written"
    );
    Ok(())
}
