//! The operator's plant status lines (the demo's screen): one per system, built from the points
//! the configuration marks with a `status` label, e.g. "Reservkraft: nät OK · G1 stopp · diesel
//! 18 400 l". Not the daemon's own health (counters, `/metrics`, `driftvakt status`): that is
//! [`crate::monitor`].

use driftvakt_config::model::{Config, Language, Point, PointKind, System};
use driftvakt_domain::fmt::measured;
use driftvakt_domain::text::screen::Screen;
use driftvakt_domain::text::value::on_off;
use driftvakt_domain::text::fill;
use driftvakt_domain::{Quality, Reading, Value};

use crate::pipeline::Live;

/// A reading older than this many poll intervals is shown as stale.
const STALE_AFTER_INTERVALS: i64 = 3;

/// One line per system that has status points, in the order of [`System::ALL`].
pub fn lines(config: &Config, live: &Live, now_ms: i64, lang: Language) -> Vec<String> {
    let mut out = Vec::new();
    for system in System::ALL {
        let parts: Vec<String> = config
            .points()
            .filter(|(_, p)| p.system == system)
            .filter_map(|(d, p)| {
                let label = p.status_label.as_deref()?;
                let stale_ms = i64::try_from(d.reading_interval().as_millis()).unwrap_or(i64::MAX).saturating_mul(STALE_AFTER_INTERVALS);
                Some(format!("{label} {}", show(p, live.get(&p.id).as_ref(), now_ms, stale_ms, lang)))
            })
            .collect();
        if !parts.is_empty() {
            out.push(fill(Screen::of(lang).system_line, &[("system", system.label(lang)), ("parts", &parts.join(" · "))]));
        }
    }
    out
}

fn show(point: &Point, reading: Option<&Reading>, now_ms: i64, stale_ms: i64, lang: Language) -> String {
    let t = Screen::of(lang);
    let Some(r) = reading else {
        return t.waiting.to_string();
    };
    let text = match (&r.value, r.quality) {
        (Some(v), Quality::Good) => value_text(point, v, lang),
        // Out of service / overridden (BACnet): the value is real but not live; show both.
        (Some(v), q) if q.keeps_value() => fill(t.flagged, &[("value", value_text(point, v, lang).as_str()), ("quality", q.label(lang))]),
        (_, q) => fill(t.no_value, &[("quality", q.label(lang))]),
    };
    if now_ms - r.time_ms > stale_ms { fill(t.stale, &[("value", text)]) } else { text }
}

fn value_text(point: &Point, value: &Value, lang: Language) -> String {
    match value {
        Value::Text(t) => t.clone(),
        Value::Bool(b) => {
            let key = i64::from(*b);
            point.states.get(&key).cloned().unwrap_or_else(|| on_off(*b, lang).to_string())
        }
        Value::Number(n) if point.kind() == PointKind::Multistate => {
            point.states.get(&(n.round() as i64)).cloned().unwrap_or_else(|| format!("#{n}"))
        }
        Value::Number(n) => measured(*n, &point.unit, lang),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use driftvakt_config::model::{BacnetSource, ObjectId, ObjectType, PointSource, PropertyId};

    use super::*;

    #[test]
    fn out_of_service_and_overridden_values_are_shown_with_their_flag() {
        let object = ObjectId::new(ObjectType::ANALOG_VALUE, 2);
        let point = Point {
            id: "lb01.damper".into(),
            name: "Spjäll".into(),
            system: System::Ventilation,
            unit: "%".into(),
            source: PointSource::Bacnet(BacnetSource { object, property: PropertyId::PRESENT_VALUE }),
            scale: 1.0,
            offset: 0.0,
            sentinels: Vec::new(),
            states: Default::default(),
            status_label: Some("spjäll".into()),
            store: Default::default(),
        };
        let reading = |q| Reading { point: Arc::from("lb01.damper"), time_ms: 1_000, value: Some(Value::Number(35.0)), quality: q };
        let shown = show(&point, Some(&reading(Quality::Overridden)), 1_000, 10_000, Language::Sv);
        assert_eq!(shown, "35,0 % ⚠ överstyrd");
        let shown = show(&point, Some(&reading(Quality::OutOfService)), 1_000, 10_000, Language::En);
        assert_eq!(shown, "35.0 % ⚠ out_of_service");
        let shown = show(&point, Some(&Reading { value: None, ..reading(Quality::DeviceFault) }), 1_000, 10_000, Language::Sv);
        assert_eq!(shown, "⚠ enhetsfel");
    }
}
