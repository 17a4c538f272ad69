//! What every driver produces: a value with its time and quality.

use std::sync::Arc;

use driftvakt_config::model::Language;

use crate::text::value::Values;

/// Quality of one reading. Travels with every value so reports can say how much was measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Quality {
    /// A valid value read from the device just now.
    Good = 0,
    /// The last value is too old to trust (no fresh sample within the expected time).
    Stale = 1,
    /// No answer: connection down, timeout, gateway target did not respond.
    CommFail = 2,
    /// The device answered with an error (Modbus exception) or reported a sensor fault.
    DeviceFault = 3,
    /// The device says the value is not available (unimplemented sentinel).
    NotAvailable = 4,
    /// The device says the value is outside its measuring range (over/under-range sentinel).
    OutOfRange = 5,
    /// The object is out of service (BACnet): the value is the one set by hand, not measured.
    /// The reading keeps that value so the operator sees what the controller works with.
    OutOfService = 6,
    /// The value is overridden by a local mechanism (BACnet status flag: hand switch, HOA).
    /// The reading keeps the overridden value.
    Overridden = 7,
}

impl Quality {
    /// Whether a reading of this quality carries a value worth showing although it is not
    /// `Good` (out of service, overridden: the value is real but not a live measurement).
    pub fn keeps_value(self) -> bool {
        matches!(self, Quality::OutOfService | Quality::Overridden)
    }

    /// Stable integer code used in the store.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// Inverse of [`Quality::code`].
    pub fn from_code(code: u8) -> Option<Quality> {
        Some(match code {
            0 => Quality::Good,
            1 => Quality::Stale,
            2 => Quality::CommFail,
            3 => Quality::DeviceFault,
            4 => Quality::NotAvailable,
            5 => Quality::OutOfRange,
            6 => Quality::OutOfService,
            7 => Quality::Overridden,
            _ => return None,
        })
    }

    /// The quality in words (English: the key).
    pub fn label(self, lang: Language) -> &'static str {
        Values::of(lang).quality.iter().find(|(k, _)| *k == self.key()).map_or(self.key(), |(_, t)| t)
    }

    /// Stable keyword (logs, exports, series).
    pub fn key(self) -> &'static str {
        match self {
            Quality::Good => "good",
            Quality::Stale => "stale",
            Quality::CommFail => "comm_fail",
            Quality::DeviceFault => "device_fault",
            Quality::NotAvailable => "not_available",
            Quality::OutOfRange => "out_of_range",
            Quality::OutOfService => "out_of_service",
            Quality::Overridden => "overridden",
        }
    }
}

/// A decoded value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A number after scale and offset (also multistate raw codes).
    Number(f64),
    /// On/off.
    Bool(bool),
    /// Text from string registers.
    Text(String),
}

impl Value {
    /// Numeric view: numbers as is, booleans as 0/1, text has none.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(v) => Some(*v),
            Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
            Value::Text(_) => None,
        }
    }
}

/// One reading of one point.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    /// Full point id, `device.point`.
    pub point: Arc<str>,
    /// When the response arrived, UTC milliseconds since the Unix epoch.
    pub time_ms: i64,
    /// The value; `None` unless the device gave one (bad qualities carry no substitute value).
    pub value: Option<Value>,
    /// Quality of this reading.
    pub quality: Quality,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_quality_has_words_in_both_languages() {
        for q in (0..=u8::MAX).filter_map(Quality::from_code) {
            for lang in Language::ALL {
                assert!(Values::of(lang).quality.iter().any(|(k, _)| *k == q.key()), "{q:?} in {lang:?}");
            }
        }
        assert_eq!(Quality::Overridden.label(Language::Sv), "överstyrd");
        assert_eq!(Quality::OutOfService.label(Language::En), "out_of_service");
    }
}
