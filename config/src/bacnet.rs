//! BACnet object and property identifiers, shared by the configuration (which parses
//! `object = "analog-input:1"` and `property = "present-value"`) and the BACnet driver.
//! Names follow ASHRAE 135 in hyphenated form.

use std::fmt;

/// A BACnet object type (10 bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectType(pub u16);

/// Object type numbers and names that driftvakt knows by name (others are written as numbers).
const OBJECT_TYPES: &[(u16, &str)] = &[
    (0, "analog-input"),
    (1, "analog-output"),
    (2, "analog-value"),
    (3, "binary-input"),
    (4, "binary-output"),
    (5, "binary-value"),
    (6, "calendar"),
    (7, "command"),
    (8, "device"),
    (9, "event-enrollment"),
    (10, "file"),
    (11, "group"),
    (12, "loop"),
    (13, "multi-state-input"),
    (14, "multi-state-output"),
    (15, "notification-class"),
    (16, "program"),
    (17, "schedule"),
    (18, "averaging"),
    (19, "multi-state-value"),
    (20, "trend-log"),
    (21, "life-safety-point"),
    (22, "life-safety-zone"),
    (23, "accumulator"),
    (24, "pulse-converter"),
    (25, "event-log"),
    (27, "trend-log-multiple"),
    (40, "characterstring-value"),
    (45, "integer-value"),
    (46, "large-analog-value"),
    (48, "positive-integer-value"),
    (56, "network-port"),
];

impl ObjectType {
    /// Analog input.
    pub const ANALOG_INPUT: ObjectType = ObjectType(0);
    /// Analog output.
    pub const ANALOG_OUTPUT: ObjectType = ObjectType(1);
    /// Analog value.
    pub const ANALOG_VALUE: ObjectType = ObjectType(2);
    /// Binary input.
    pub const BINARY_INPUT: ObjectType = ObjectType(3);
    /// Binary output.
    pub const BINARY_OUTPUT: ObjectType = ObjectType(4);
    /// Binary value.
    pub const BINARY_VALUE: ObjectType = ObjectType(5);
    /// Device.
    pub const DEVICE: ObjectType = ObjectType(8);
    /// Multi-state input.
    pub const MULTI_STATE_INPUT: ObjectType = ObjectType(13);
    /// Multi-state output.
    pub const MULTI_STATE_OUTPUT: ObjectType = ObjectType(14);
    /// Multi-state value.
    pub const MULTI_STATE_VALUE: ObjectType = ObjectType(19);
    /// Character string value.
    pub const CHARACTERSTRING_VALUE: ObjectType = ObjectType(40);

    /// Parse a name (`analog-input`, case-insensitive, `_` accepted for `-`) or a number.
    pub fn parse(s: &str) -> Option<ObjectType> {
        let norm = s.trim().to_ascii_lowercase().replace('_', "-");
        if let Ok(n) = norm.parse::<u16>() {
            return (n < 1024).then_some(ObjectType(n));
        }
        OBJECT_TYPES
            .iter()
            .find(|(_, name)| *name == norm)
            .map(|(n, _)| ObjectType(*n))
    }

    /// The standard name, if known.
    pub fn name(self) -> Option<&'static str> {
        OBJECT_TYPES
            .iter()
            .find(|(n, _)| *n == self.0)
            .map(|(_, name)| *name)
    }

    /// Binary objects (present-value is active/inactive).
    pub fn is_binary(self) -> bool {
        matches!(self.0, 3..=5)
    }

    /// Multi-state objects (present-value is a state number 1..N).
    pub fn is_multistate(self) -> bool {
        matches!(self.0, 13 | 14 | 19)
    }

    /// Objects whose present-value is a number with engineering units.
    pub fn is_analog(self) -> bool {
        matches!(self.0, 0..=2 | 23 | 24 | 45 | 46 | 48)
    }

    /// Objects that carry status flags (and support SubscribeCOV on present-value, Table 13-1).
    pub fn has_status_flags(self) -> bool {
        self.is_analog()
            || self.is_binary()
            || self.is_multistate()
            || self.0 == 40
            || self.0 == 21
            || self.0 == 22
    }

    /// Every name known, for messages.
    pub fn known_names() -> impl Iterator<Item = &'static str> {
        OBJECT_TYPES.iter().map(|(_, n)| *n)
    }
}

impl fmt::Display for ObjectType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "{}", self.0),
        }
    }
}

/// An object identifier: type and instance (22 bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectId {
    /// Object type.
    pub object_type: ObjectType,
    /// Instance number, 0..=4194303 (4194303 = wildcard).
    pub instance: u32,
}

/// The largest instance number (4194303 is the "unspecified" wildcard).
pub const MAX_INSTANCE: u32 = 0x3F_FFFF;

impl ObjectId {
    /// An object id (the instance is masked to 22 bits).
    pub fn new(object_type: ObjectType, instance: u32) -> Self {
        Self {
            object_type,
            instance: instance & MAX_INSTANCE,
        }
    }

    /// From the 32-bit wire form.
    pub fn from_raw(raw: u32) -> Self {
        Self {
            object_type: ObjectType((raw >> 22) as u16),
            instance: raw & MAX_INSTANCE,
        }
    }

    /// The 32-bit wire form.
    pub fn raw(self) -> u32 {
        (u32::from(self.object_type.0 & 0x3FF) << 22) | (self.instance & MAX_INSTANCE)
    }

    /// Parse `analog-input:1` (or `0:1`).
    pub fn parse(s: &str) -> Result<ObjectId, String> {
        let (t, i) = s.split_once(':').ok_or_else(|| {
            format!("object `{s}` must be written as TYPE:INSTANCE, e.g. \"analog-input:1\"")
        })?;
        let object_type = ObjectType::parse(t).ok_or_else(|| {
            let names: Vec<&str> = ObjectType::known_names().collect();
            let norm = t.trim().to_ascii_lowercase().replace('_', "-");
            match crate::suggest::suggest(&norm, &names) {
                Some(k) => format!("unknown object type `{t}` (did you mean `{k}`?)"),
                None => format!(
                    "unknown object type `{t}`; expected a number below 1024 or one of {}",
                    names.join(", ")
                ),
            }
        })?;
        let instance: u32 = i
            .trim()
            .parse()
            .ok()
            .filter(|n| *n < MAX_INSTANCE)
            .ok_or_else(|| format!("object instance `{i}` must be an integer in 0..=4194302"))?;
        Ok(ObjectId {
            object_type,
            instance,
        })
    }
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.object_type, self.instance)
    }
}

/// A property identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PropertyId(pub u32);

const PROPERTIES: &[(u32, &str)] = &[
    (4, "active-text"),
    (8, "all"),
    (22, "cov-increment"),
    (28, "description"),
    (36, "event-state"),
    (46, "inactive-text"),
    (62, "max-apdu-length-accepted"),
    (70, "model-name"),
    (74, "number-of-states"),
    (75, "object-identifier"),
    (76, "object-list"),
    (77, "object-name"),
    (79, "object-type"),
    (81, "out-of-service"),
    (85, "present-value"),
    (87, "priority-array"),
    (96, "protocol-object-types-supported"),
    (97, "protocol-services-supported"),
    (103, "reliability"),
    (104, "relinquish-default"),
    (107, "segmentation-supported"),
    (110, "state-text"),
    (111, "status-flags"),
    (112, "system-status"),
    (117, "units"),
    (120, "vendor-identifier"),
    (121, "vendor-name"),
    (152, "active-cov-subscriptions"),
    (155, "database-revision"),
];

impl PropertyId {
    /// active-text.
    pub const ACTIVE_TEXT: PropertyId = PropertyId(4);
    /// inactive-text.
    pub const INACTIVE_TEXT: PropertyId = PropertyId(46);
    /// description.
    pub const DESCRIPTION: PropertyId = PropertyId(28);
    /// max-apdu-length-accepted.
    pub const MAX_APDU_LENGTH_ACCEPTED: PropertyId = PropertyId(62);
    /// model-name.
    pub const MODEL_NAME: PropertyId = PropertyId(70);
    /// object-list.
    pub const OBJECT_LIST: PropertyId = PropertyId(76);
    /// object-name.
    pub const OBJECT_NAME: PropertyId = PropertyId(77);
    /// out-of-service.
    pub const OUT_OF_SERVICE: PropertyId = PropertyId(81);
    /// present-value.
    pub const PRESENT_VALUE: PropertyId = PropertyId(85);
    /// reliability.
    pub const RELIABILITY: PropertyId = PropertyId(103);
    /// segmentation-supported.
    pub const SEGMENTATION_SUPPORTED: PropertyId = PropertyId(107);
    /// state-text.
    pub const STATE_TEXT: PropertyId = PropertyId(110);
    /// status-flags.
    pub const STATUS_FLAGS: PropertyId = PropertyId(111);
    /// units.
    pub const UNITS: PropertyId = PropertyId(117);
    /// vendor-name.
    pub const VENDOR_NAME: PropertyId = PropertyId(121);

    /// Parse a name (`present-value`, `_` accepted for `-`, case-insensitive) or a number.
    pub fn parse(s: &str) -> Option<PropertyId> {
        let norm = s.trim().to_ascii_lowercase().replace('_', "-");
        if let Ok(n) = norm.parse::<u32>() {
            return (n < (1 << 22)).then_some(PropertyId(n));
        }
        PROPERTIES
            .iter()
            .find(|(_, name)| *name == norm)
            .map(|(n, _)| PropertyId(*n))
    }

    /// The standard name, if known.
    pub fn name(self) -> Option<&'static str> {
        PROPERTIES
            .iter()
            .find(|(n, _)| *n == self.0)
            .map(|(_, name)| *name)
    }
}

impl fmt::Display for PropertyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "{}", self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_ids_parse_print_and_pack() {
        let id = ObjectId::parse("analog-input:1").expect("valid");
        assert_eq!(id, ObjectId::new(ObjectType::ANALOG_INPUT, 1));
        assert_eq!(id.to_string(), "analog-input:1");
        assert_eq!(
            ObjectId::parse("Binary_Value:7")
                .expect("valid")
                .object_type,
            ObjectType::BINARY_VALUE
        );
        assert_eq!(
            ObjectId::parse("130:2").expect("proprietary").to_string(),
            "130:2"
        );
        assert_eq!(ObjectId::from_raw(id.raw()), id);
        assert_eq!(ObjectId::new(ObjectType::DEVICE, 1201).raw(), 0x0200_04B1);
        for bad in [
            "analog-input",
            "analog-inpt:1",
            "analog-input:x",
            "analog-input:4194303",
            "2000:1",
        ] {
            assert!(ObjectId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn properties_have_names() {
        assert_eq!(
            PropertyId::parse("present-value"),
            Some(PropertyId::PRESENT_VALUE)
        );
        assert_eq!(
            PropertyId::parse("Present_Value"),
            Some(PropertyId::PRESENT_VALUE)
        );
        assert_eq!(PropertyId::parse("512"), Some(PropertyId(512)));
        assert_eq!(PropertyId::parse("presentvalue"), None);
    }
}
