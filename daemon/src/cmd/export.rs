//! `driftvakt export`: stored readings of one point as CSV or JSON.

use std::io::Write;

use anyhow::{Context, Result};
use driftvakt_domain::Value;
use jiff::tz::TimeZone;
use serde_json::json;

use crate::cli::{ExportArgs, Format};
use driftvakt_store::Store;
use driftvakt_runtime::timefmt::parse_time;
use driftvakt_domain::fmt::rfc3339_utc;

/// Run the export, writing to stdout.
pub fn run(args: &ExportArgs) -> Result<()> {
    let tz = TimeZone::get(&args.tz).with_context(|| format!("unknown time zone {:?}", args.tz))?;
    let from = args.from.as_deref().map(|s| parse_time(s, &tz)).transpose().context("--from")?.unwrap_or(i64::MIN);
    let to = args.to.as_deref().map(|s| parse_time(s, &tz)).transpose().context("--to")?.unwrap_or(i64::MAX);
    let store = Store::open_read_only(&args.data)
        .with_context(|| format!("no store in {} (is it a driftvakt data directory?)", args.data.display()))?;
    let out = std::io::stdout();
    let mut out = std::io::BufWriter::new(out.lock());
    if args.list {
        for id in store.point_ids()? {
            writeln!(out, "{id}")?;
        }
        return Ok(out.flush()?);
    }
    if args.count {
        let (all, good) = store.count(from, to)?;
        writeln!(out, "{all} {good}")?;
        return Ok(out.flush()?);
    }
    let point = args.point.as_deref().context("--point is required")?;
    if args.rollup {
        write_rollups(&mut out, &store, point, from, to, args.format)?;
    } else {
        write_readings(&mut out, &store, point, from, to, args.format)?;
    }
    Ok(out.flush()?)
}

fn value_json(v: Option<&Value>) -> serde_json::Value {
    match v {
        None => serde_json::Value::Null,
        Some(Value::Number(n)) => json!(n),
        Some(Value::Bool(b)) => json!(b),
        Some(Value::Text(t)) => json!(t),
    }
}

fn value_csv(v: Option<&Value>) -> String {
    match v {
        None => String::new(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(Value::Text(t)) => format!("\"{}\"", t.replace('"', "\"\"")),
    }
}

fn write_readings(out: &mut impl Write, store: &Store, point: &str, from: i64, to: i64, format: Format) -> Result<()> {
    let rows = store.readings(point, from, to)?;
    match format {
        Format::Json => {
            let arr: Vec<_> = rows
                .iter()
                .map(|r| {
                    json!({
                        "time": rfc3339_utc(r.time_ms),
                        "time_ms": r.time_ms,
                        "value": value_json(r.value.as_ref()),
                        "quality": r.quality.key(),
                    })
                })
                .collect();
            serde_json::to_writer(&mut *out, &arr)?;
            writeln!(out)?;
        }
        Format::Csv => {
            writeln!(out, "time,time_ms,value,quality")?;
            for r in rows {
                writeln!(out, "{},{},{},{}", rfc3339_utc(r.time_ms), r.time_ms, value_csv(r.value.as_ref()), r.quality.key())?;
            }
        }
    }
    Ok(())
}

fn write_rollups(out: &mut impl Write, store: &Store, point: &str, from: i64, to: i64, format: Format) -> Result<()> {
    let rows = store.rollups(point, from, to)?;
    match format {
        Format::Json => {
            let arr: Vec<_> = rows
                .iter()
                .map(|r| {
                    json!({
                        "minute": rfc3339_utc(r.minute_ms), "minute_ms": r.minute_ms,
                        "min": r.min, "max": r.max, "mean": r.mean,
                        "good_count": r.good_count, "count": r.count,
                    })
                })
                .collect();
            serde_json::to_writer(&mut *out, &arr)?;
            writeln!(out)?;
        }
        Format::Csv => {
            writeln!(out, "minute,minute_ms,min,max,mean,good_count,count")?;
            let opt = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
            for r in rows {
                writeln!(
                    out,
                    "{},{},{},{},{},{},{}",
                    rfc3339_utc(r.minute_ms),
                    r.minute_ms,
                    opt(r.min),
                    opt(r.max),
                    opt(r.mean),
                    r.good_count,
                    r.count
                )?;
            }
        }
    }
    Ok(())
}
