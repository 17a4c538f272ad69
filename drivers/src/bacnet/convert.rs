//! From property values to a [`Reading`]: value conversion and the quality that status flags
//! and reliability give (ASHRAE 135: FAULT = reliability is not NO_FAULT_DETECTED).
//!
//! | device says | quality | value |
//! |---|---|---|
//! | fault, reliability over-range / under-range | `out_of_range` | none |
//! | fault (any other reliability, or unknown) | `device_fault` | none |
//! | out of service | `out_of_service` | the value the object holds (not the field's) |
//! | overridden | `overridden` | the overridden value |
//! | in alarm only | `good` | the value (an alarm is not a measuring problem) |
//! | property error (unknown object/property) | `device_fault` | none |
//! | present-value null | `not_available` | none |

use std::sync::Arc;

use driftvakt_config::model::{BacnetSource, Point, PointKind};

use crate::bacnet::encoding::AppValue;
use crate::bacnet::types::{StatusFlags, reliability};
use driftvakt_domain::{Quality, Reading, Value};

/// The quality status flags and reliability give (before looking at the value).
pub fn status_quality(flags: Option<StatusFlags>, rel: Option<u32>) -> Quality {
    let flags = flags.unwrap_or_default();
    let rel_fault = rel.is_some_and(|r| r != reliability::NO_FAULT_DETECTED);
    if flags.fault || rel_fault {
        return match rel {
            Some(reliability::OVER_RANGE | reliability::UNDER_RANGE) => Quality::OutOfRange,
            _ => Quality::DeviceFault,
        };
    }
    if flags.out_of_service {
        Quality::OutOfService
    } else if flags.overridden {
        Quality::Overridden
    } else {
        Quality::Good
    }
}

/// Status flags from a property's values.
pub fn flags_of(values: &[AppValue]) -> Option<StatusFlags> {
    match values.first()? {
        AppValue::Bits(bits) => Some(StatusFlags::from_bits(bits)),
        _ => None,
    }
}

/// Reliability from a property's values.
pub fn reliability_of(values: &[AppValue]) -> Option<u32> {
    match values.first()? {
        AppValue::Enumerated(e) => Some(*e),
        _ => None,
    }
}

/// Convert the property value of `point` into a value and quality.
pub fn value_of(
    point: &Point,
    source: &BacnetSource,
    values: &[AppValue],
) -> (Option<Value>, Quality) {
    let Some(first) = values.first() else {
        return (None, Quality::DeviceFault);
    };
    let binary = point.kind() == PointKind::Binary;
    let number = |v: f64| -> (Option<Value>, Quality) {
        if v.is_nan() {
            return (None, Quality::NotAvailable);
        }
        if v.is_infinite() {
            return (None, Quality::OutOfRange);
        }
        if binary {
            return (Some(Value::Bool(v != 0.0)), Quality::Good);
        }
        let scaled = if point.kind() == PointKind::Analog {
            v * point.scale + point.offset
        } else {
            v
        };
        (Some(Value::Number(scaled)), Quality::Good)
    };
    let _ = source;
    match first {
        AppValue::Real(r) => number(f64::from(*r)),
        AppValue::Double(d) => number(*d),
        AppValue::Unsigned(u) => number(*u as f64),
        AppValue::Signed(s) => number(*s as f64),
        AppValue::Enumerated(e) => number(f64::from(*e)),
        AppValue::Bool(b) => (Some(Value::Bool(*b)), Quality::Good),
        AppValue::Text(t) => (Some(Value::Text(t.clone())), Quality::Good),
        AppValue::Null => (None, Quality::NotAvailable),
        _ => (None, Quality::DeviceFault),
    }
}

/// One reading of `point` from its property result, the object's status flags and reliability.
pub fn reading(
    point: &Point,
    id: &Arc<str>,
    source: &BacnetSource,
    value: Option<&Result<Vec<AppValue>, (u32, u32)>>,
    flags: Option<StatusFlags>,
    rel: Option<u32>,
    time_ms: i64,
) -> Reading {
    let (value, quality) = match value {
        None | Some(Err(_)) => (None, Quality::DeviceFault),
        Some(Ok(values)) => {
            let (v, q) = value_of(point, source, values);
            match (q, status_quality(flags, rel)) {
                (Quality::Good, Quality::Good) => (v, Quality::Good),
                (Quality::Good, s @ (Quality::OutOfService | Quality::Overridden)) => (v, s),
                (Quality::Good, s) => (None, s),
                (q, _) => (None, q),
            }
        }
    };
    Reading {
        point: id.clone(),
        time_ms,
        value,
        quality,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use driftvakt_config::model::{ObjectId, ObjectType, PointSource, PropertyId, System};

    fn point(t: ObjectType) -> (Point, BacnetSource) {
        let source = BacnetSource {
            object: ObjectId::new(t, 1),
            property: PropertyId::PRESENT_VALUE,
        };
        let p = Point {
            id: "d.p".into(),
            name: "p".into(),
            system: System::Ventilation,
            unit: "°C".into(),
            source: PointSource::Bacnet(source),
            scale: 2.0,
            offset: 1.0,
            sentinels: Vec::new(),
            states: Default::default(),
            status_label: None,
            store: Default::default(),
        };
        (p, source)
    }

    fn flags(fault: bool, overridden: bool, oos: bool) -> Option<StatusFlags> {
        Some(StatusFlags {
            in_alarm: false,
            fault,
            overridden,
            out_of_service: oos,
        })
    }

    #[test]
    fn status_flags_and_reliability_become_quality() {
        assert_eq!(
            status_quality(flags(false, false, false), None),
            Quality::Good
        );
        assert_eq!(
            status_quality(
                Some(StatusFlags {
                    in_alarm: true,
                    ..StatusFlags::default()
                }),
                None
            ),
            Quality::Good
        );
        assert_eq!(
            status_quality(flags(true, false, false), None),
            Quality::DeviceFault
        );
        assert_eq!(
            status_quality(flags(true, false, false), Some(reliability::OVER_RANGE)),
            Quality::OutOfRange
        );
        assert_eq!(
            status_quality(flags(false, false, false), Some(reliability::NO_SENSOR)),
            Quality::DeviceFault
        );
        assert_eq!(
            status_quality(flags(false, false, true), None),
            Quality::OutOfService
        );
        assert_eq!(
            status_quality(flags(false, true, false), None),
            Quality::Overridden
        );
        assert_eq!(
            status_quality(flags(true, true, true), None),
            Quality::DeviceFault,
            "fault wins"
        );
    }

    #[test]
    fn values_keep_or_lose_their_value_by_quality() {
        let (p, s) = point(ObjectType::ANALOG_INPUT);
        let id: Arc<str> = Arc::from("d.p");
        let ok = Ok(vec![AppValue::Real(10.0)]);
        let r = reading(&p, &id, &s, Some(&ok), flags(false, false, false), None, 0);
        assert_eq!(
            (r.value, r.quality),
            (Some(Value::Number(21.0)), Quality::Good),
            "scale and offset apply"
        );
        let r = reading(&p, &id, &s, Some(&ok), flags(false, false, true), None, 0);
        assert_eq!(
            (r.value, r.quality),
            (Some(Value::Number(21.0)), Quality::OutOfService)
        );
        let r = reading(&p, &id, &s, Some(&ok), flags(true, false, false), None, 0);
        assert_eq!(
            (r.value, r.quality),
            (None, Quality::DeviceFault),
            "no substitute value"
        );
        let r = reading(&p, &id, &s, Some(&Err((1, 31))), None, None, 0);
        assert_eq!(r.quality, Quality::DeviceFault);
        let r = reading(&p, &id, &s, Some(&Ok(vec![AppValue::Null])), None, None, 0);
        assert_eq!(r.quality, Quality::NotAvailable);
    }

    #[test]
    fn binary_and_multistate_values() {
        let (p, s) = point(ObjectType::BINARY_VALUE);
        assert_eq!(
            value_of(&p, &s, &[AppValue::Enumerated(1)]),
            (Some(Value::Bool(true)), Quality::Good)
        );
        assert_eq!(
            value_of(&p, &s, &[AppValue::Enumerated(0)]),
            (Some(Value::Bool(false)), Quality::Good)
        );
        let (p, s) = point(ObjectType::MULTI_STATE_VALUE);
        assert_eq!(
            value_of(&p, &s, &[AppValue::Unsigned(3)]),
            (Some(Value::Number(3.0)), Quality::Good),
            "no scaling of states"
        );
    }
}
