//! The operator's plant status lines (the demo's screen): one per system, built from the points
//! the configuration marks with a `status` label, e.g. "Reservkraft: nät OK · G1 stopp · diesel
//! 18 400 l". Not the daemon's own health (counters, `/metrics`, `driftvakt status`): that is
//! [`crate::monitor`].

use driftvakt_config::model::{Config, Device, Language, Point, PointKind, System};
use driftvakt_domain::fmt::measured;
use driftvakt_domain::text::screen::Screen;
use driftvakt_domain::text::value::on_off;
use driftvakt_domain::text::fill;
use driftvakt_domain::{Quality, Reading, Value};

use crate::pipeline::Live;

/// A reading older than this many poll intervals is shown as stale.
const STALE_AFTER_INTERVALS: i64 = 3;

/// How long a reading of `device`'s points stays live: a few of its reading intervals.
pub fn stale_after_ms(device: &Device) -> i64 {
    i64::try_from(device.reading_interval().as_millis()).unwrap_or(i64::MAX).saturating_mul(STALE_AFTER_INTERVALS)
}

/// What a point's latest reading is, for the operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    /// No reading yet.
    Waiting,
    /// A good value.
    Good,
    /// A real value that is not live (out of service, overridden): shown with its flag.
    Flagged,
    /// No valid value (the quality says why).
    NoValue,
}

impl Shown {
    /// Stable keyword (CSS classes, the web screen's live payload).
    pub fn key(self) -> &'static str {
        match self {
            Shown::Waiting => "waiting",
            Shown::Good => "good",
            Shown::Flagged => "flagged",
            Shown::NoValue => "no_value",
        }
    }
}

/// One status point of a system, shown.
#[derive(Debug, Clone)]
pub struct PointStatus<'a> {
    /// The point.
    pub point: &'a Point,
    /// Its status label (`G1`, `diesel`).
    pub label: &'a str,
    /// The value in words (with its quality flag), without the stale mark.
    pub text: String,
    /// What the reading is.
    pub shown: Shown,
    /// Time of the reading, UTC ms (None before the first).
    pub time_ms: Option<i64>,
    /// After how long the reading is stale ([`stale_after_ms`]).
    pub stale_after_ms: i64,
    /// Whether it is older than that now.
    pub stale: bool,
}

/// The status points of one system.
#[derive(Debug, Clone)]
pub struct SystemStatus<'a> {
    /// The system.
    pub system: System,
    /// Its points with a `status` label, in configuration order.
    pub points: Vec<PointStatus<'a>>,
}

/// Every system that has status points, in the order of [`System::ALL`], from `live` at `now_ms`.
pub fn systems<'a>(config: &'a Config, live: &Live, now_ms: i64, lang: Language) -> Vec<SystemStatus<'a>> {
    let mut out = Vec::new();
    for system in System::ALL {
        let points: Vec<PointStatus<'a>> = config
            .points()
            .filter(|(_, p)| p.system == system)
            .filter_map(|(d, p)| {
                let label = p.status_label.as_deref()?;
                Some(point_status(p, label, live.get(&p.id).as_ref(), now_ms, stale_after_ms(d), lang))
            })
            .collect();
        if !points.is_empty() {
            out.push(SystemStatus { system, points });
        }
    }
    out
}

/// One line per system that has status points, in the order of [`System::ALL`].
pub fn lines(config: &Config, live: &Live, now_ms: i64, lang: Language) -> Vec<String> {
    let t = Screen::of(lang);
    systems(config, live, now_ms, lang)
        .into_iter()
        .map(|s| {
            let parts: Vec<String> = s
                .points
                .iter()
                .map(|p| format!("{} {}", p.label, if p.stale { fill(t.stale, &[("value", &p.text)]) } else { p.text.clone() }))
                .collect();
            fill(t.system_line, &[("system", s.system.label(lang)), ("parts", &parts.join(" · "))])
        })
        .collect()
}

/// Point `point`'s latest `reading` shown as the screens show it at `now_ms` (`label` its
/// caption; stale after `stale_ms`).
pub fn point_status<'a>(point: &'a Point, label: &'a str, reading: Option<&Reading>, now_ms: i64, stale_ms: i64, lang: Language) -> PointStatus<'a> {
    let t = Screen::of(lang);
    let (text, shown) = match reading {
        None => (t.waiting.to_string(), Shown::Waiting),
        Some(r) => match (&r.value, r.quality) {
            (Some(v), Quality::Good) => (value_text(point, v, lang), Shown::Good),
            // Out of service / overridden (BACnet): the value is real but not live; show both.
            (Some(v), q) if q.keeps_value() => {
                (fill(t.flagged, &[("value", value_text(point, v, lang).as_str()), ("quality", q.label(lang))]), Shown::Flagged)
            }
            (_, q) => (fill(t.no_value, &[("quality", q.label(lang))]), Shown::NoValue),
        },
    };
    let time_ms = reading.map(|r| r.time_ms);
    let stale = time_ms.is_some_and(|t| now_ms - t > stale_ms);
    PointStatus { point, label, text, shown, time_ms, stale_after_ms: stale_ms, stale }
}

/// A point's value in words, as it reads now (with its quality flag, or marked stale).
#[cfg(test)]
fn show(point: &Point, reading: Option<&Reading>, now_ms: i64, stale_ms: i64, lang: Language) -> String {
    let p = point_status(point, "", reading, now_ms, stale_ms, lang);
    if p.stale { fill(Screen::of(lang).stale, &[("value", p.text)]) } else { p.text }
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
