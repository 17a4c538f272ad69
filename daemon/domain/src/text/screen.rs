//! The live terminal screens: `driftvakt demo`'s header and closing lines, the status line per
//! system and the endurance line.

use driftvakt_config::model::Language;

use crate::fmt::number;

texts! {
    /// Every word of the live screens.
    pub struct Screen {
        /// Header of the demo: `{site}`, `{scenario}`, `{speed}`.
        demo_header: &'static str =
            "{site} — demo, scenario {scenario} (×{speed})",
            "{site} — demo, scenario {scenario} (×{speed})";
        /// A simulated gateway line: `{id}`, `{addr}`.
        demo_gateway: &'static str = "  simulerad gateway {id}: {addr}", "  simulated gateway {id}: {addr}";
        /// The data directory line: `{dir}`.
        demo_data: &'static str = "  datakatalog: {dir}", "  data directory: {dir}";
        /// Closing line: `{readings}`, `{requests}`, `{writes}`.
        demo_done: &'static str =
            "Klart: {readings} avläsningar sparade ({requests} Modbus-läsningar, {writes} skrivningar mot anläggningen).",
            "Done: {readings} readings stored ({requests} Modbus reads, {writes} writes to the plant).";
        /// Said when the temporary data directory is removed.
        demo_temp_removed: &'static str =
            "Tillfällig datakatalog tas bort; välj --data DIR för att behålla den.",
            "Temporary data directory removed; use --data DIR to keep it.";
        /// The operator API line: `{url}`.
        demo_api: &'static str =
            "  larm-API: {url} (driftvakt alarms --api {url})",
            "  alarm API: {url} (driftvakt alarms --api {url})";
        /// The operator's web screen line: `{url}`.
        demo_web: &'static str = "  driftvakts skärm: {url} (öppna i webbläsaren)", "  operator screen: {url} (open in a browser)";
        /// Active alarms on the status screen: `{n}`, `{list}`.
        demo_alarms: &'static str = "Larm ({n}): {list}", "Alarms ({n}): {list}";
        /// One alarm on the status screen: `{class}`, `{text}`.
        demo_alarm: &'static str = "{class} {text}", "{class} {text}";
        /// One alarm on the status screen that is no longer active: `{class}`, `{text}`, `{state}`.
        demo_alarm_state: &'static str = "{class} {text} ({state})", "{class} {text} ({state})";
        /// A status line of a system: `{system}`, `{parts}` (its points, joined by ` · `).
        system_line: &'static str = "{system}: {parts}", "{system}: {parts}";
        /// A value that is real but not live (out of service, overridden): `{value}`, `{quality}`.
        flagged: &'static str = "{value} ⚠ {quality}", "{value} ⚠ {quality}";
        /// A point without a valid value: `{quality}`.
        no_value: &'static str = "⚠ {quality}", "⚠ {quality}";
        /// A point that has had no reading yet.
        waiting: &'static str = "väntar…", "waiting…";
        /// A value older than a few poll intervals: `{value}`.
        stale: &'static str = "{value} (inaktuell)", "{value} (stale)";
        /// The endurance line: `{parts}` (one per reserve and function, joined by ` · `).
        endurance_line: &'static str = "Uthållighet: {parts}", "Endurance: {parts}";
        /// One reserve or function on the endurance line: `{mark}` (`!` below its target),
        /// `{name}`, `{hours}`, `{target}`.
        endurance_item: &'static str = "{mark}{name} {hours} (mål {target})", "{mark}{name} {hours} (target {target})";
        /// Endurance of a reserve that draws nothing (above the cap).
        nothing_drawn: &'static str = "ingen förbrukning", "nothing drawn";
        /// Endurance that is not known.
        unknown_hours: &'static str = "okänd", "unknown";
        /// Endurance under two hours: `{minutes}`.
        minutes: &'static str = "{minutes} min", "{minutes} min";
        /// Endurance in hours: `{hours}`.
        hours: &'static str = "{hours} h", "{hours} h";
    }
}

/// Hours of endurance for operators: minutes under two hours, "nothing drawn" from `cap` up,
/// "unknown" for `None` (`18,5 h`, `45 min`).
pub fn hours(h: Option<f64>, cap: f64, lang: Language) -> String {
    let t = Screen::of(lang);
    match h {
        None => t.unknown_hours.to_string(),
        Some(h) if h >= cap => t.nothing_drawn.to_string(),
        Some(h) if h < 2.0 => super::fill(t.minutes, &[("minutes", number(h * 60.0, 0, lang))]),
        Some(h) => super::fill(t.hours, &[("hours", number(h, 1, lang))]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endurance_hours_read_as_minutes_hours_or_nothing_drawn() {
        assert_eq!(hours(Some(18.46), 1000.0, Language::Sv), "18,5 h");
        assert_eq!(hours(Some(0.75), 1000.0, Language::En), "45 min");
        assert_eq!(hours(Some(1000.0), 1000.0, Language::Sv), "ingen förbrukning");
        assert_eq!(hours(None, 1000.0, Language::En), "unknown");
    }
}
