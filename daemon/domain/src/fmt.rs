//! Formatting for operators, the one place for numbers and times: the Swedish way (decimal
//! comma, thin space between thousands) or the English one, and local wall-clock times in the
//! site's zone. Status lines and tables, alarm texts, e-mails, endurance figures and reports all
//! use it; the words around the figures are in the `text` module.

use driftvakt_config::model::Language;
use jiff::Timestamp;
use jiff::tz::TimeZone;

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

/// A number with `decimals` decimals in `lang`: Swedish as [`number_sv`], English plain
/// (`18400`, `50.0`).
pub fn number(v: f64, decimals: usize, lang: Language) -> String {
    match lang {
        Language::Sv => number_sv(v, decimals),
        Language::En => format!("{v:.decimals$}"),
    }
}

/// A count in `lang` (`1 234 567` in Swedish, `1234567` in English).
pub fn count(n: u64, lang: Language) -> String {
    match lang {
        Language::Sv => number_sv(n as f64, 0),
        Language::En => n.to_string(),
    }
}

/// A measured value for operators: no decimals from 100 up, one below (`18 400 l`, `50,0 %`),
/// with its unit if it has one.
pub fn measured(v: f64, unit: &str, lang: Language) -> String {
    let decimals = if v.abs() >= 100.0 { 0 } else { 1 };
    let num = number(v, decimals, lang);
    if unit.is_empty() { num } else { format!("{num} {unit}") }
}

/// Milliseconds as seconds with one decimal (`61,5 s`, `61.5 s`).
pub fn seconds(ms: i64, lang: Language) -> String {
    format!("{} s", number(ms as f64 / 1000.0, 1, lang))
}

/// `ms` (UTC) as local time in `tz` with `format` (strftime); `None` out of range.
pub fn local(ms: i64, tz: &TimeZone, format: &str) -> Option<String> {
    Timestamp::from_millisecond(ms).ok().map(|t| t.to_zoned_datetime(tz.clone()).strftime(format).to_string())
}

/// Local date and time `YYYY-MM-DD HH:MM:SS` in `tz` (tables, journal, e-mails); empty out of
/// range.
pub fn local_datetime(ms: i64, tz: &TimeZone) -> String {
    local(ms, tz, "%Y-%m-%d %H:%M:%S").unwrap_or_default()
}

/// Local date and time to the minute with the zone's abbreviation, `YYYY-MM-DD HH:MM CET`
/// (reports); the milliseconds themselves out of range.
pub fn local_minute_zone(ms: i64, tz: &TimeZone) -> String {
    local(ms, tz, "%Y-%m-%d %H:%M %Z").unwrap_or_else(|| ms.to_string())
}

/// Local wall-clock time `HH:MM:SS` in `tz` (status screens); empty out of range.
pub fn local_hms(ms: i64, tz: &TimeZone) -> String {
    local(ms, tz, "%H:%M:%S").unwrap_or_default()
}

/// UTC RFC 3339 with milliseconds (exports, MQTT payloads); the milliseconds themselves out of
/// range.
pub fn rfc3339_utc(ms: i64) -> String {
    Timestamp::from_millisecond(ms).map_or_else(|_| ms.to_string(), |t| format!("{t:.3}"))
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
    fn numbers_counts_and_seconds_in_both_languages() {
        assert_eq!(number(18400.0, 0, Language::En), "18400");
        assert_eq!(count(1_234_567, Language::Sv), "1\u{202f}234\u{202f}567");
        assert_eq!(count(1_234_567, Language::En), "1234567");
        assert_eq!(seconds(61_500, Language::Sv), "61,5 s");
        assert_eq!(seconds(260, Language::En), "0.3 s");
        assert_eq!(measured(18_400.0, "l", Language::Sv), "18\u{202f}400 l");
        assert_eq!(measured(35.0, "%", Language::En), "35.0 %");
        assert_eq!(measured(0.83, "", Language::Sv), "0,8");
    }

    #[test]
    fn local_times_in_the_sites_zone() {
        let tz = TimeZone::get("Europe/Stockholm").expect("tz");
        let ms = 1_767_258_003_000; // 2026-01-01 09:00:03 UTC
        assert_eq!(local_datetime(ms, &tz), "2026-01-01 10:00:03");
        assert_eq!(local_minute_zone(ms, &tz), "2026-01-01 10:00 CET");
        assert_eq!(local_hms(ms, &tz), "10:00:03");
        assert_eq!(rfc3339_utc(ms), "2026-01-01T09:00:03.000Z");
        assert_eq!(local_datetime(i64::MAX, &tz), "");
        assert_eq!(local_minute_zone(i64::MAX, &tz), i64::MAX.to_string());
    }
}
