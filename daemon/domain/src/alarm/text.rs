//! Alarm texts: placeholders filled with the value and unit, the Swedish way first.

use driftvakt_config::model::{Language, PointKind};

use crate::fmt::number_sv;

/// What a point's values look like on screen.
#[derive(Debug, Clone, Default)]
pub struct PointLook {
    /// Point name.
    pub name: String,
    /// Device name.
    pub device: String,
    /// Unit.
    pub unit: String,
    /// Kind of point.
    pub kind: Option<PointKind>,
    /// State texts (code → text).
    pub states: Vec<(i64, String)>,
}

impl PointLook {
    /// A value formatted for operators in `lang`, with unit or state text.
    pub fn value(&self, v: f64, lang: Language) -> String {
        let sv = lang == Language::Sv;
        match self.kind {
            Some(PointKind::Binary | PointKind::Multistate) => {
                let code = v.round() as i64;
                if let Some((_, t)) = self.states.iter().find(|(c, _)| *c == code) {
                    return t.clone();
                }
                if self.kind == Some(PointKind::Binary) {
                    let on = code != 0;
                    return match (sv, on) {
                        (true, true) => "till",
                        (true, false) => "från",
                        (false, true) => "on",
                        (false, false) => "off",
                    }
                    .to_string();
                }
                format!("#{code}")
            }
            _ => {
                let decimals = if v.abs() >= 100.0 { 0 } else { 1 };
                let num = if sv { number_sv(v, decimals) } else { format!("{v:.decimals$}") };
                if self.unit.is_empty() { num } else { format!("{num} {}", self.unit) }
            }
        }
    }
}

/// Fill `{value}`, `{limit}`, `{point}`, `{device}` of `template`.
pub fn fill(template: &str, look: &PointLook, value: Option<f64>, limit: Option<f64>, lang: Language) -> String {
    let unknown = if lang == Language::Sv { "okänt" } else { "unknown" };
    let value = value.map_or_else(|| unknown.to_string(), |v| look.value(v, lang));
    let limit = limit.map_or_else(String::new, |l| {
        let plain = PointLook { kind: Some(PointKind::Analog), ..look.clone() };
        plain.value(l, lang)
    });
    template.replace("{value}", &value).replace("{limit}", &limit).replace("{point}", &look.name).replace("{device}", &look.device)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_and_units_are_filled_in_swedish_and_english() {
        let look = PointLook { name: "Tryck".into(), device: "Reservvatten".into(), unit: "bar".into(), kind: Some(PointKind::Analog), states: vec![] };
        assert_eq!(fill("{point} lågt: {value} (gräns {limit})", &look, Some(0.83), Some(2.0), Language::Sv), "Tryck lågt: 0,8 bar (gräns 2,0 bar)");
        assert_eq!(fill("{device}: {value}", &look, Some(0.83), None, Language::En), "Reservvatten: 0.8 bar");
        let ats = PointLook { kind: Some(PointKind::Binary), states: vec![(0, "BORTA".into()), (1, "OK".into())], ..PointLook::default() };
        assert_eq!(fill("Nät {value}", &ats, Some(0.0), None, Language::Sv), "Nät BORTA");
    }
}
