//! Operator-facing strings, one table per language (Swedish first). Sentences with values are
//! whole templates per language, never assembled from fragments.

use driftvakt_config::model::Language as Lang;

/// Every operator-facing string of the terminal screens.
pub struct Texts {
    /// Header of the demo: `{site}`, `{scenario}`, `{speed}`.
    pub demo_header: &'static str,
    /// A simulated gateway line: `{id}`, `{addr}`.
    pub demo_gateway: &'static str,
    /// The data directory line: `{dir}`.
    pub demo_data: &'static str,
    /// Closing line: `{readings}`, `{requests}`, `{writes}`.
    pub demo_done: &'static str,
    /// Said when the temporary data directory is removed.
    pub demo_temp_removed: &'static str,
    /// The operator API line: `{url}`.
    pub demo_api: &'static str,
    /// Active alarms on the status screen: `{n}`, `{list}`.
    pub demo_alarms: &'static str,
    /// A point that has had no reading yet.
    pub waiting: &'static str,
    /// Suffix of a value older than a few poll intervals.
    pub stale: &'static str,
    /// A binary point that is on, when the point has no state texts.
    pub on: &'static str,
    /// A binary point that is off, when the point has no state texts.
    pub off: &'static str,
}

/// Svenska.
pub const SV: Texts = Texts {
    demo_header: "{site} — demo, scenario {scenario} (×{speed})",
    demo_gateway: "  simulerad gateway {id}: {addr}",
    demo_data: "  datakatalog: {dir}",
    demo_done: "Klart: {readings} avläsningar sparade ({requests} Modbus-läsningar, {writes} skrivningar mot anläggningen).",
    demo_temp_removed: "Tillfällig datakatalog tas bort; välj --data DIR för att behålla den.",
    demo_api: "  larm-API: {url} (driftvakt alarms --api {url})",
    demo_alarms: "Larm ({n}): {list}",
    waiting: "väntar…",
    stale: "inaktuell",
    on: "till",
    off: "från",
};

/// English.
pub const EN: Texts = Texts {
    demo_header: "{site} — demo, scenario {scenario} (×{speed})",
    demo_gateway: "  simulated gateway {id}: {addr}",
    demo_data: "  data directory: {dir}",
    demo_done: "Done: {readings} readings stored ({requests} Modbus reads, {writes} writes to the plant).",
    demo_temp_removed: "Temporary data directory removed; use --data DIR to keep it.",
    demo_api: "  alarm API: {url} (driftvakt alarms --api {url})",
    demo_alarms: "Alarms ({n}): {list}",
    waiting: "waiting…",
    stale: "stale",
    on: "on",
    off: "off",
};

/// The table of a language.
pub fn texts(lang: Lang) -> &'static Texts {
    match lang {
        Lang::Sv => &SV,
        Lang::En => &EN,
    }
}

/// Fill `{name}` placeholders of a template.
pub fn fill(template: &str, values: &[(&str, &dyn std::fmt::Display)]) -> String {
    let mut out = template.to_string();
    for (name, value) in values {
        out = out.replace(&format!("{{{name}}}"), &value.to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_placeholder_of_the_swedish_table_exists_in_english_too() {
        let pairs = [
            (SV.demo_header, EN.demo_header),
            (SV.demo_gateway, EN.demo_gateway),
            (SV.demo_data, EN.demo_data),
            (SV.demo_done, EN.demo_done),
            (SV.demo_api, EN.demo_api),
            (SV.demo_alarms, EN.demo_alarms),
        ];
        for (sv, en) in pairs {
            let holes = |s: &str| s.split('{').skip(1).filter_map(|p| p.split_once('}').map(|(h, _)| h.to_string())).collect::<Vec<_>>();
            assert_eq!(holes(sv), holes(en), "{sv} / {en}");
        }
        assert_eq!(fill("{a} och {b}", &[("a", &1), ("b", &"två")]), "1 och två");
    }
}
