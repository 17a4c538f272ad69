//! Time parsing for the command line (formatting is `driftvakt_domain::fmt`).

use anyhow::{Context, Result, bail};
use jiff::Timestamp;
use jiff::tz::{AmbiguousOffset, TimeZone};

/// Longest duration accepted on the command line (100 years): longer ones are typing errors,
/// and every time computed from one stays far inside the range of a timestamp.
const MAX_DURATION_S: f64 = 100.0 * 365.25 * 86_400.0;

/// Parse a time given on the command line: RFC 3339 (`2026-11-23T14:00:00Z`,
/// `2026-11-23T15:00:00+01:00`), a local date-time in the site's zone (`2026-11-23 15:00`),
/// a date (`2026-11-23`, midnight local), `now`, or `-2h` / `-30m` / `-7d` relative to now.
/// A local time that does not exist in the zone (skipped when the clocks go forward) or that
/// exists twice (when they go back) is refused with the offsets that make it unambiguous.
pub fn parse_time(s: &str, tz: &TimeZone) -> Result<i64> {
    let s = s.trim();
    if s == "now" {
        return Ok(Timestamp::now().as_millisecond());
    }
    if let Some(rel) = s.strip_prefix('-') {
        let span = parse_duration(rel).with_context(|| format!("relative time {s:?}"))?;
        let back = i64::try_from(span.as_millis()).with_context(|| format!("relative time {s:?} is too far back"))?;
        return Ok(Timestamp::now().as_millisecond().saturating_sub(back));
    }
    if let Ok(ts) = s.parse::<Timestamp>() {
        return Ok(ts.as_millisecond());
    }
    if let Ok(dt) = s.parse::<jiff::civil::DateTime>() {
        return local(s, dt, tz);
    }
    if let Ok(d) = s.parse::<jiff::civil::Date>() {
        return local(s, d.to_datetime(jiff::civil::Time::midnight()), tz);
    }
    bail!("cannot read time {s:?}: use RFC 3339 (2026-11-23T14:00:00Z), a local time (2026-11-23 15:00), a date, `now` or `-2h`")
}

/// `dt` (read from `s`) as a local time in `tz`; an error naming the cause and the unambiguous
/// spellings if the clocks skip it or show it twice.
fn local(s: &str, dt: jiff::civil::DateTime, tz: &TimeZone) -> Result<i64> {
    let zone = tz.iana_name().unwrap_or("the site's time zone");
    let at = tz.to_ambiguous_timestamp(dt);
    let with = |offset: jiff::tz::Offset| {
        let secs = offset.seconds();
        let sign = if secs < 0 { '-' } else { '+' };
        format!("{}{sign}{:02}:{:02}", dt.strftime("%Y-%m-%dT%H:%M:%S"), secs.abs() / 3600, secs.abs() % 3600 / 60)
    };
    match at.offset() {
        AmbiguousOffset::Unambiguous { .. } => Ok(at.unambiguous().with_context(|| format!("local time {s:?} in {zone}"))?.as_millisecond()),
        AmbiguousOffset::Gap { before, after } => {
            let later = before.to_timestamp(dt).map(|t| after.to_datetime(t).strftime("%H:%M").to_string());
            bail!(
                "local time {s:?} does not exist in {zone}: the clocks jump from UTC{before} to UTC{after} and skip it; \
                 give the moment meant as RFC 3339 with its offset, e.g. {} (which the clocks show as {})",
                with(before),
                later.unwrap_or_default()
            )
        }
        AmbiguousOffset::Fold { before, after } => bail!(
            "local time {s:?} occurs twice in {zone}: the clocks go back from UTC{before} to UTC{after}; \
             say which with RFC 3339 and its offset: {} (the first) or {} (the second)",
            with(before),
            with(after)
        ),
    }
}

/// Parse a duration like `60s`, `500ms`, `2m`, `1h`, `7d` (at most 100 years).
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
    if secs > MAX_DURATION_S {
        bail!("duration {s:?} is too long: at most 100 years (36525d)");
    }
    std::time::Duration::try_from_secs_f64(secs).with_context(|| format!("duration {s:?} is out of range"))
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn a_local_time_the_clocks_skip_is_refused_with_the_offsets_to_use() {
        let tz = TimeZone::get("Europe/Stockholm").expect("tz");
        let e = format!("{:#}", parse_time("2026-03-29 02:30", &tz).expect_err("02:30 does not exist that night"));
        assert!(e.contains("does not exist in Europe/Stockholm"), "{e}");
        assert!(e.contains("2026-03-29T02:30:00+01:00 "), "{e}");
        assert!(e.contains("03:30"), "{e}");
        // The suggested spelling is accepted and means 01:30 UTC.
        assert_eq!(parse_time("2026-03-29T02:30:00+01:00", &tz).expect("rfc"), parse_time("2026-03-29T01:30:00Z", &tz).expect("rfc"));
        // Either side of the gap is fine.
        assert_eq!(parse_time("2026-03-29 01:59", &tz).expect("before"), parse_time("2026-03-29T00:59:00Z", &tz).expect("rfc"));
        assert_eq!(parse_time("2026-03-29 03:00", &tz).expect("after"), parse_time("2026-03-29T01:00:00Z", &tz).expect("rfc"));
    }

    #[test]
    fn a_local_time_shown_twice_is_refused_naming_both_moments() {
        let tz = TimeZone::get("Europe/Stockholm").expect("tz");
        let e = format!("{:#}", parse_time("2026-10-25 02:30", &tz).expect_err("02:30 happens twice that night"));
        assert!(e.contains("occurs twice in Europe/Stockholm"), "{e}");
        assert!(e.contains("2026-10-25T02:30:00+02:00 (the first)") && e.contains("2026-10-25T02:30:00+01:00 (the second)"), "{e}");
        for (spelled, utc) in [("2026-10-25T02:30:00+02:00", "2026-10-25T00:30:00Z"), ("2026-10-25T02:30:00+01:00", "2026-10-25T01:30:00Z")] {
            assert_eq!(parse_time(spelled, &tz).expect("rfc"), parse_time(utc, &tz).expect("utc"), "{spelled}");
        }
    }

    #[test]
    fn huge_durations_are_errors_not_panics() {
        let tz = TimeZone::get("Europe/Stockholm").expect("tz");
        for d in ["99999999999999999999999d", "1e400", "99999999999d", "36526d", "1000000000000000000000000000000ms"] {
            let e = format!("{:#}", parse_duration(d).expect_err(d));
            assert!(e.contains(d) && (e.contains("too long") || e.contains("unknown unit")), "{d}: {e}");
        }
        let e = format!("{:#}", parse_time("-99999999999999999999999d", &tz).expect_err("far back"));
        assert!(e.contains("too long"), "{e}");
        assert_eq!(parse_duration("36525d").expect("100 years").as_secs(), 3_155_760_000);
    }
}
