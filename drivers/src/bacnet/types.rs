//! BACnet identifiers and enumerations driftvakt uses: object types, object identifiers,
//! property identifiers, engineering units, status flags, reliability, and the reasons carried
//! by Reject and Abort PDUs. Names follow ASHRAE 135 in the hyphenated form the configuration
//! uses (`analog-input:1`, `present-value`).

pub use driftvakt_config::bacnet::PropertyId;
pub use driftvakt_config::bacnet::{MAX_INSTANCE, ObjectId, ObjectType};

/// Engineering units (BACnetEngineeringUnits) → the unit text driftvakt shows.
const UNITS: &[(u32, &str)] = &[
    (2, "mA"),
    (3, "A"),
    (4, "Ω"),
    (5, "V"),
    (6, "kV"),
    (8, "VA"),
    (9, "kVA"),
    (12, "kvar"),
    (15, ""),
    (16, "J"),
    (17, "kJ"),
    (18, "Wh"),
    (19, "kWh"),
    (27, "Hz"),
    (29, "%RH"),
    (30, "mm"),
    (31, "m"),
    (39, "kg"),
    (44, "kg/h"),
    (47, "W"),
    (48, "kW"),
    (49, "MW"),
    (53, "Pa"),
    (54, "kPa"),
    (55, "bar"),
    (62, "°C"),
    (63, "K"),
    (64, "°F"),
    (70, "d"),
    (71, "h"),
    (72, "min"),
    (73, "s"),
    (74, "m/s"),
    (80, "m³"),
    (82, "l"),
    (85, "m³/s"),
    (87, "l/s"),
    (88, "l/min"),
    (90, "°"),
    (95, ""),
    (96, "ppm"),
    (98, "%"),
    (104, "rpm"),
    (134, "mbar"),
    (135, "m³/h"),
    (136, "l/h"),
    (146, "MWh"),
];

/// The unit text of a BACnetEngineeringUnits value, if driftvakt knows it (`no-units` is "").
pub fn unit_text(units: u32) -> Option<&'static str> {
    UNITS.iter().find(|(n, _)| *n == units).map(|(_, t)| *t)
}

/// The four status flags of an object (ASHRAE 135 12.x; bit 0 first).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatusFlags {
    /// Event state is not NORMAL.
    pub in_alarm: bool,
    /// Reliability is not NO_FAULT_DETECTED.
    pub fault: bool,
    /// The value is overridden by a local mechanism (hand switch, HOA).
    pub overridden: bool,
    /// The object is out of service: present-value is decoupled from the physical point.
    pub out_of_service: bool,
}

impl StatusFlags {
    /// From a decoded bit string (missing bits count as false).
    pub fn from_bits(bits: &[bool]) -> Self {
        let b = |i: usize| bits.get(i).copied().unwrap_or(false);
        Self {
            in_alarm: b(0),
            fault: b(1),
            overridden: b(2),
            out_of_service: b(3),
        }
    }

    /// As a bit string.
    pub fn to_bits(self) -> Vec<bool> {
        vec![
            self.in_alarm,
            self.fault,
            self.overridden,
            self.out_of_service,
        ]
    }
}

/// BACnetReliability values with their names.
const RELIABILITY: &[(u32, &str)] = &[
    (0, "no-fault-detected"),
    (1, "no-sensor"),
    (2, "over-range"),
    (3, "under-range"),
    (4, "open-loop"),
    (5, "shorted-loop"),
    (6, "no-output"),
    (7, "unreliable-other"),
    (8, "process-error"),
    (9, "multi-state-fault"),
    (10, "configuration-error"),
    (12, "communication-failure"),
    (13, "member-fault"),
];

/// Reliability codes driftvakt maps specially.
pub mod reliability {
    /// No fault detected.
    pub const NO_FAULT_DETECTED: u32 = 0;
    /// No sensor connected.
    pub const NO_SENSOR: u32 = 1;
    /// Above the range.
    pub const OVER_RANGE: u32 = 2;
    /// Below the range.
    pub const UNDER_RANGE: u32 = 3;
}

/// The name of a reliability value.
pub fn reliability_name(v: u32) -> String {
    RELIABILITY
        .iter()
        .find(|(n, _)| *n == v)
        .map_or_else(|| format!("reliability {v}"), |(_, s)| (*s).to_string())
}

/// Abort reasons.
pub mod abort {
    /// Other.
    pub const OTHER: u8 = 0;
    /// Buffer overflow.
    pub const BUFFER_OVERFLOW: u8 = 1;
    /// Segmentation not supported.
    pub const SEGMENTATION_NOT_SUPPORTED: u8 = 4;
    /// Out of resources.
    pub const OUT_OF_RESOURCES: u8 = 9;
    /// APDU too long.
    pub const APDU_TOO_LONG: u8 = 11;
}

/// The name of an abort reason.
pub fn abort_name(reason: u8) -> &'static str {
    match reason {
        0 => "other",
        1 => "buffer-overflow",
        2 => "invalid-apdu-in-this-state",
        3 => "preempted-by-higher-priority-task",
        4 => "segmentation-not-supported",
        5 => "security-error",
        6 => "insufficient-security",
        7 => "window-size-out-of-range",
        8 => "application-exceeded-reply-time",
        9 => "out-of-resources",
        10 => "tsm-timeout",
        11 => "apdu-too-long",
        _ => "unknown",
    }
}

/// Reject reasons.
pub mod reject {
    /// Other.
    pub const OTHER: u8 = 0;
    /// Buffer overflow.
    pub const BUFFER_OVERFLOW: u8 = 1;
    /// Too many arguments.
    pub const TOO_MANY_ARGUMENTS: u8 = 7;
    /// Unrecognized service.
    pub const UNRECOGNIZED_SERVICE: u8 = 9;
}

/// The name of a reject reason.
pub fn reject_name(reason: u8) -> &'static str {
    match reason {
        0 => "other",
        1 => "buffer-overflow",
        2 => "inconsistent-parameters",
        3 => "invalid-parameter-data-type",
        4 => "invalid-tag",
        5 => "missing-required-parameter",
        6 => "parameter-out-of-range",
        7 => "too-many-arguments",
        8 => "undefined-enumeration",
        9 => "unrecognized-service",
        _ => "unknown",
    }
}

/// Error classes and codes used by driftvakt.
pub mod error {
    /// Error class object.
    pub const CLASS_OBJECT: u32 = 1;
    /// Error class property.
    pub const CLASS_PROPERTY: u32 = 2;
    /// Error class services.
    pub const CLASS_SERVICES: u32 = 5;
    /// unknown-object.
    pub const UNKNOWN_OBJECT: u32 = 31;
    /// unknown-property.
    pub const UNKNOWN_PROPERTY: u32 = 32;
    /// invalid-array-index.
    pub const INVALID_ARRAY_INDEX: u32 = 42;
    /// service-request-denied.
    pub const SERVICE_REQUEST_DENIED: u32 = 29;
    /// optional-functionality-not-supported.
    pub const OPTIONAL_FUNCTIONALITY_NOT_SUPPORTED: u32 = 45;
    /// write-access-denied (the simulator's answer to any write).
    pub const WRITE_ACCESS_DENIED: u32 = 40;
}

/// Max APDU length accepted, encoded in 4 bits of a confirmed request.
pub fn encode_max_apdu(len: u16) -> u8 {
    match len {
        0..=127 => 0,
        128..=205 => 1,
        206..=479 => 2,
        480..=1023 => 3,
        1024..=1475 => 4,
        _ => 5,
    }
}

/// Inverse of [`encode_max_apdu`] (reserved codes read as 1476).
pub fn decode_max_apdu(code: u8) -> u16 {
    match code & 0x0F {
        0 => 50,
        1 => 128,
        2 => 206,
        3 => 480,
        4 => 1024,
        _ => 1476,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_have_texts() {
        assert_eq!(unit_text(62), Some("°C"));
        assert_eq!(unit_text(95), Some(""));
        assert_eq!(unit_text(9999), None);
    }

    #[test]
    fn status_flags_bit_order_follows_the_standard() {
        let f = StatusFlags::from_bits(&[false, true, false, true]);
        assert!(f.fault && f.out_of_service && !f.in_alarm && !f.overridden);
        assert_eq!(StatusFlags::from_bits(&f.to_bits()), f);
    }

    #[test]
    fn max_apdu_codes() {
        for len in [50, 128, 206, 480, 1024, 1476] {
            assert_eq!(decode_max_apdu(encode_max_apdu(len)), len);
        }
        assert_eq!(encode_max_apdu(1000), 3, "rounds down to what fits");
    }
}
