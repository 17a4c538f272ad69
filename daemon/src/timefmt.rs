//! Time parsing and formatting for the command line and operator screens.

use anyhow::{Context, Result, bail};
use jiff::{Timestamp, tz::TimeZone};

/// Parse a time given on the command line: RFC 3339 (`2026-11-23T14:00:00Z`,
/// `2026-11-23T15:00:00+01:00`), a local date-time in the site's zone (`2026-11-23 15:00`),
/// a date (`2026-11-23`, midnight local), `now`, or `-2h` / `-30m` / `-7d` relative to now.
pub fn parse_time(s: &str, tz: &TimeZone) -> Result<i64> {
    let s = s.trim();
    if s == "now" {
        return Ok(Timestamp::now().as_millisecond());
    }
    if let Some(rel) = s.strip_prefix('-') {
        let span = parse_duration(rel).with_context(|| format!("relative time {s:?}"))?;
        return Ok(Timestamp::now().as_millisecond() - i64::try_from(span.as_millis()).unwrap_or(i64::MAX));
    }
    if let Ok(ts) = s.parse::<Timestamp>() {
        return Ok(ts.as_millisecond());
    }
    if let Ok(dt) = s.parse::<jiff::civil::DateTime>() {
        return Ok(dt.to_zoned_datetime(tz.clone()).context("local time does not exist in the site's zone")?.timestamp().as_millisecond());
    }
    if let Ok(d) = s.parse::<jiff::civil::Date>() {
        return Ok(d.to_zoned_datetime(tz.clone()).context("date does not exist in the site's zone")?.timestamp().as_millisecond());
    }
    bail!("cannot read time {s:?}: use RFC 3339 (2026-11-23T14:00:00Z), a local time (2026-11-23 15:00), a date, `now` or `-2h`")
}

/// Parse a duration like `60s`, `500ms`, `2m`, `1h`, `7d`.
pub fn parse_duration(s: &str) -> Result<std::time::Duration> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: f64 = num.parse().with_context(|| format!("duration {s:?} needs a number, e.g. 60s"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" | "" => n,
        "m" | "min" => n * 60.0,
        "h" => n * 3600.0,
        "d" => n * 86400.0,
        _ => bail!("duration {s:?}: unknown unit {unit:?} (use ms, s, m, h, d)"),
    };
    if !secs.is_finite() || secs < 0.0 {
        bail!("duration {s:?} must be a positive number");
    }
    Ok(std::time::Duration::from_secs_f64(secs))
}

/// UTC RFC 3339 with milliseconds, for exports.
pub fn rfc3339_utc(ms: i64) -> String {
    Timestamp::from_millisecond(ms).map_or_else(|_| ms.to_string(), |t| format!("{t:.3}"))
}

/// Local wall-clock time `HH:MM:SS` in the site's zone, for status screens.
pub fn local_hms(ms: i64, tz: &TimeZone) -> String {
    Timestamp::from_millisecond(ms)
        .map(|t| t.to_zoned_datetime(tz.clone()).strftime("%H:%M:%S").to_string())
        .unwrap_or_default()
}

/// A number the Swedish way: decimal comma, thin space between thousands (`18 400`, `50,0`).
pub fn number_sv(v: f64, decimals: usize) -> String {
    let s = format!("{:.*}", decimals, v.abs());
    let (int, frac) = s.split_once('.').map_or((s.as_str(), ""), |(a, b)| (a, b));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push('\u{202f}');
        }
        grouped.push(c);
    }
    let sign = if v < 0.0 && s.chars().any(|c| c != '0' && c != '.') { "−" } else { "" };
    if frac.is_empty() { format!("{sign}{grouped}") } else { format!("{sign}{grouped},{frac}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swedish_numbers_group_thousands_and_use_decimal_comma() {
        assert_eq!(number_sv(18400.0, 0), "18\u{202f}400");
        assert_eq!(number_sv(50.04, 1), "50,0");
        assert_eq!(number_sv(-1234567.5, 1), "−1\u{202f}234\u{202f}567,5");
        assert_eq!(number_sv(-0.01, 1), "0,0");
    }

    #[test]
    fn times_parse_in_every_documented_form() {
        let tz = TimeZone::get("Europe/Stockholm").expect("tz");
        assert_eq!(parse_time("2026-11-23T14:00:00Z", &tz).expect("rfc"), 1_795_442_400_000);
        assert_eq!(parse_time("2026-11-23 15:00", &tz).expect("local"), 1_795_442_400_000);
        assert_eq!(parse_time("2026-07-01", &tz).expect("date"), parse_time("2026-06-30T22:00:00Z", &tz).expect("rfc"));
        assert!(parse_time("-2h", &tz).expect("rel") < Timestamp::now().as_millisecond());
        assert!(parse_time("igår", &tz).is_err());
        assert_eq!(parse_duration("500ms").expect("ms").as_millis(), 500);
        assert!(parse_duration("5 parsecs").is_err());
    }
}
