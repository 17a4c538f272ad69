//! Figures and times as the exercise report shows them, all through `driftvakt_domain::fmt`.

use driftvakt_config::model::Language;
use driftvakt_domain::exercise::Verdict;
use driftvakt_domain::fmt::{self, number};
use jiff::tz::TimeZone;

/// Local date and time `YYYY-MM-DD HH:MM:SS`.
pub fn local_datetime(ms: i64, tz: &TimeZone) -> String {
    fmt::local_datetime(ms, tz)
}

/// A time in the timeline: `HH:MM:SS` on the run's first day (`start_day`, `YYYY-MM-DD`),
/// the date too on later days; `.mmm` when the time is exact to better than a second.
pub fn at_local(ms: i64, tz: &TimeZone, millis: bool, start_day: &str) -> String {
    let full = fmt::local_datetime(ms, tz);
    let mut s = if full.get(..10) == Some(start_day) { fmt::local_hms(ms, tz) } else { full };
    if millis {
        s.push_str(&format!(".{:03}", ms.rem_euclid(1000)));
    }
    s
}

/// Decimals a figure of `unit` is shown with.
fn decimals(unit: &str) -> usize {
    match unit {
        "" | "l" => 0,
        _ => 1,
    }
}

/// A figure with its unit (`12,3 s`, `35,0 %`, `2`).
pub fn figure(v: f64, unit: &str, lang: Language) -> String {
    let n = number(v, decimals(unit), lang);
    if unit.is_empty() { n } else { format!("{n} {unit}") }
}

/// A duration: seconds under two minutes, minutes under two hours, hours above.
pub fn duration(ms: i64, lang: Language) -> String {
    if ms < 120_000 {
        fmt::seconds(ms, lang)
    } else if ms < 2 * 3_600_000 {
        format!("{} min", number(ms as f64 / 60_000.0, 1, lang))
    } else {
        format!("{} h", number(ms as f64 / 3_600_000.0, 1, lang))
    }
}

/// The verdict's symbol, shown beside its words.
pub fn symbol(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "✓",
        Verdict::Fail => "✗",
        Verdict::NotApplicable => "–",
        Verdict::NotMeasured => "?",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_figures_and_durations_read_as_operators_expect() {
        let tz = TimeZone::get("Europe/Stockholm").expect("tz");
        let ms = 1_767_258_003_250; // 2026-01-01 10:00:03.250 local
        assert_eq!(at_local(ms, &tz, true, "2026-01-01"), "10:00:03.250");
        assert_eq!(at_local(ms, &tz, false, "2025-12-31"), "2026-01-01 10:00:03");
        assert_eq!(figure(12.34, "s", Language::Sv), "12,3 s");
        assert_eq!(figure(2.0, "", Language::En), "2");
        assert_eq!(duration(61_500, Language::Sv), "61,5 s");
        assert_eq!(duration(45 * 60_000, Language::En), "45.0 min");
        assert_eq!(duration(3 * 3_600_000, Language::Sv), "3,0 h");
    }
}
