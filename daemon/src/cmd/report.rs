//! `driftvakt report endurance`: the SSIK endurance evidence report; `report exercise`: one
//! reservkraftprov or outage; `report exercises`: a year's run history — as HTML, JSON or CSV.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use driftvakt_config::model::Config;
use jiff::tz::TimeZone;

use crate::cli::{EnduranceReportArgs, ExerciseReportArgs, ExercisesReportArgs, ReportFormat};
use driftvakt_runtime::endurance::report::{gather, render};
use driftvakt_runtime::report_format::Format;
use driftvakt_runtime::exercise::report as exercise_report;
use driftvakt_runtime::timefmt::parse_time;

/// The configuration, or every diagnostic and an error.
fn load(path: &Path) -> Result<Config> {
    let loaded = driftvakt_config::load(path);
    let Some(config) = loaded.config else {
        for d in &loaded.diagnostics {
            eprintln!("{d}");
        }
        bail!("{} is not a valid configuration", path.display());
    };
    Ok(config)
}

/// Write `text` to `out`, or to stdout.
fn write(out: Option<&PathBuf>, text: &str) -> Result<()> {
    match out {
        Some(path) => std::fs::write(path, text).with_context(|| format!("writing {}", path.display())),
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
            Ok(())
        }
    }
}

/// The runtime's format of the command line's `--format`.
fn format(f: ReportFormat) -> Format {
    match f {
        ReportFormat::Html => Format::Html,
        ReportFormat::Json => Format::Json,
        ReportFormat::Csv => Format::Csv,
    }
}

/// The configuration with its `[exercise]` section, or why a report cannot be made.
fn load_exercise(path: &Path) -> Result<Config> {
    let config = load(path)?;
    if config.exercise.is_none() {
        bail!(
            "{} has no [exercise] section: the roles (mains, transfer switches, generators) and criteria are needed to report an exercise",
            path.display()
        );
    }
    Ok(config)
}

/// Write the report of one exercise or outage.
pub fn exercise(args: &ExerciseReportArgs) -> Result<()> {
    let config = load_exercise(&args.config)?;
    let which = exercise_report::Which::parse(&args.id)
        .with_context(|| format!("--id {:?}: a run id (a number) or `latest`", args.id))?;
    let started = std::time::Instant::now();
    let now = jiff::Timestamp::now().as_millisecond();
    let data = exercise_report::gather(&config, &args.data, which, args.output.lang, now)
        .with_context(|| format!("reading the store in {}", args.data.display()))?;
    let text = exercise_report::render(&data, format(args.output.format))?;
    write(args.output.out.as_ref(), &text)?;
    tracing::info!(run = data.run.id, elapsed_ms = started.elapsed().as_millis() as u64, "exercise report written");
    Ok(())
}

/// Write the run history of a year.
pub fn exercises(args: &ExercisesReportArgs) -> Result<()> {
    let config = load_exercise(&args.config)?;
    let tz = TimeZone::get(&config.site.timezone)
        .with_context(|| format!("unknown time zone {:?}", config.site.timezone))?;
    let now = jiff::Timestamp::now();
    let year = args.year.unwrap_or_else(|| tz.to_datetime(now).year());
    let started = std::time::Instant::now();
    let data = exercise_report::history::gather(&config, &args.data, year, args.output.lang, now.as_millisecond())
        .with_context(|| format!("reading the store in {}", args.data.display()))?;
    let text = exercise_report::render_history(&data, format(args.output.format))?;
    write(args.output.out.as_ref(), &text)?;
    tracing::info!(year, runs = data.runs.len(), elapsed_ms = started.elapsed().as_millis() as u64, "run history written");
    Ok(())
}

/// Write the endurance report.
pub fn endurance(args: &EnduranceReportArgs) -> Result<()> {
    let config = load(&args.config)?;
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
    let format = format(args.output.format);
    let started = std::time::Instant::now();
    let data = gather(&config, &args.data, from, to, args.output.lang)
        .with_context(|| format!("reading the store in {}", args.data.display()))?;
    let text = render(&data, format)?;
    write(args.output.out.as_ref(), &text)?;
    tracing::info!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        "endurance report written"
    );
    Ok(())
}
