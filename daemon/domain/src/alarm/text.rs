//! Alarm texts: placeholders filled with the value and unit, the Swedish way first (the words
//! are in [`crate::text`], the numbers from [`crate::fmt`]).

use driftvakt_config::model::{Language, PointKind};

use crate::fmt::measured;
use crate::text::value::{Values, on_off};

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
        match self.kind {
            Some(PointKind::Binary | PointKind::Multistate) => {
                let code = v.round() as i64;
                if let Some((_, t)) = self.states.iter().find(|(c, _)| *c == code) {
                    return t.clone();
                }
                if self.kind == Some(PointKind::Binary) {
                    return on_off(code != 0, lang).to_string();
                }
                format!("#{code}")
            }
            _ => measured(v, &self.unit, lang),
        }
    }
}

/// Fill `{value}`, `{limit}`, `{point}`, `{device}` of `template` (a configured alarm text or
/// one of [`crate::text::alarm::Alarms`]).
pub fn fill(template: &str, look: &PointLook, value: Option<f64>, limit: Option<f64>, lang: Language) -> String {
    let value = value.map_or_else(|| Values::of(lang).unknown.to_string(), |v| look.value(v, lang));
    let limit = limit.map_or_else(String::new, |l| measured(l, &look.unit, lang));
    crate::text::fill(template, &[("value", value.as_str()), ("limit", &limit), ("point", &look.name), ("device", &look.device)])
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
