//! The operator's status lines: one per system, built from the points the configuration marks
//! with a `status` label, e.g. "Reservkraft: nät OK · G1 stopp · diesel 18 400 l".

use driftvakt_config::model::{Config, Point, PointKind, System};
use driftvakt_domain::fmt::number_sv;
use driftvakt_domain::{Quality, Reading, Value};

use driftvakt_config::model::Language as Lang;
use crate::i18n::{Texts, texts};
use crate::pipeline::Live;

/// A reading older than this many poll intervals is shown as stale.
const STALE_AFTER_INTERVALS: i64 = 3;

/// One line per system that has status points, in the order of [`System::ALL`].
pub fn lines(config: &Config, live: &Live, now_ms: i64, lang: Lang) -> Vec<String> {
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
            let name = if lang == Lang::Sv { system.label_sv() } else { system.label_en() };
            out.push(format!("{name}: {}", parts.join(" · ")));
        }
    }
    out
}

fn show(point: &Point, reading: Option<&Reading>, now_ms: i64, stale_ms: i64, lang: Lang) -> String {
    let sv = lang == Lang::Sv;
    let t = texts(lang);
    let Some(r) = reading else {
        return t.waiting.to_string();
    };
    let text = match (&r.value, r.quality) {
        (Some(v), Quality::Good) => value_text(point, v, sv, t),
        // Out of service / overridden (BACnet): the value is real but not live; show both.
        (Some(v), q) if q.keeps_value() => format!("{} ⚠ {}", value_text(point, v, sv, t), if sv { q.label_sv() } else { q.key() }),
        (_, q) => format!("⚠ {}", if sv { q.label_sv() } else { q.key() }),
    };
    if now_ms - r.time_ms > stale_ms { format!("{text} ({})", t.stale) } else { text }
}

fn value_text(point: &Point, value: &Value, sv: bool, t: &Texts) -> String {
    match value {
        Value::Text(t) => t.clone(),
        Value::Bool(b) => {
            let key = i64::from(*b);
            point.states.get(&key).cloned().unwrap_or_else(|| if *b { t.on } else { t.off }.to_string())
        }
        Value::Number(n) if point.kind() == PointKind::Multistate => {
            point.states.get(&(n.round() as i64)).cloned().unwrap_or_else(|| format!("#{n}"))
        }
        Value::Number(n) => {
            let decimals = if n.abs() >= 100.0 { 0 } else { 1 };
            let num = if sv { number_sv(*n, decimals) } else { format!("{n:.decimals$}") };
            if point.unit.is_empty() { num } else { format!("{num} {}", point.unit) }
        }
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
        };
        let reading = |q| Reading { point: Arc::from("lb01.damper"), time_ms: 1_000, value: Some(Value::Number(35.0)), quality: q };
        let shown = show(&point, Some(&reading(Quality::Overridden)), 1_000, 10_000, Lang::Sv);
        assert_eq!(shown, "35,0 % ⚠ överstyrd");
        let shown = show(&point, Some(&reading(Quality::OutOfService)), 1_000, 10_000, Lang::En);
        assert_eq!(shown, "35.0 % ⚠ out_of_service");
        let shown = show(&point, Some(&Reading { value: None, ..reading(Quality::DeviceFault) }), 1_000, 10_000, Lang::Sv);
        assert_eq!(shown, "⚠ enhetsfel");
    }
}
