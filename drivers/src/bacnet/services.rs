//! Service parameters of the BACnet services driftvakt uses (clauses 13, 15, 16):
//! ReadProperty, ReadPropertyMultiple, SubscribeCOV, COV notifications, Who-Is and I-Am.
//!
//! The client can only build a [`ReadRequest`]: there is no write variant, so no code path can
//! send WriteProperty or any other service that changes a device. Decoders for requests and
//! encoders for acknowledgements exist for the simulator's server side.

use crate::bacnet::encoding::{AppValue, DecodeError, Reader, Tag, Writer};
use crate::bacnet::frame::confirmed;
use crate::bacnet::types::{ObjectId, PropertyId};

/// A property of an object, optionally one array element.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PropertyRef {
    /// Property.
    pub property: PropertyId,
    /// Array index (0 = the length), `None` = the whole property.
    pub index: Option<u32>,
}

impl PropertyRef {
    /// The whole property.
    pub fn whole(property: PropertyId) -> Self {
        Self {
            property,
            index: None,
        }
    }
}

/// One object and the properties to read from it (one element of an RPM request).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadAccessSpec {
    /// Object.
    pub object: ObjectId,
    /// Properties.
    pub properties: Vec<PropertyRef>,
}

/// Every request driftvakt sends to a device. Reading and subscribing only, by construction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadRequest {
    /// ReadProperty.
    ReadProperty {
        /// Object.
        object: ObjectId,
        /// Property (and element).
        property: PropertyRef,
    },
    /// ReadPropertyMultiple.
    ReadPropertyMultiple(Vec<ReadAccessSpec>),
    /// SubscribeCOV with a finite lifetime, unconfirmed notifications.
    SubscribeCov {
        /// Subscriber process identifier (routes notifications to the device task).
        process_id: u32,
        /// Monitored object.
        object: ObjectId,
        /// Lifetime in seconds (never 0: an unlimited subscription can die unnoticed).
        lifetime_s: u32,
    },
}

impl ReadRequest {
    /// The confirmed service choice.
    pub fn service(&self) -> u8 {
        match self {
            ReadRequest::ReadProperty { .. } => confirmed::READ_PROPERTY,
            ReadRequest::ReadPropertyMultiple(_) => confirmed::READ_PROPERTY_MULTIPLE,
            ReadRequest::SubscribeCov { .. } => confirmed::SUBSCRIBE_COV,
        }
    }

    /// The service parameters.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        match self {
            ReadRequest::ReadProperty { object, property } => {
                w.ctx_object_id(0, *object);
                w.ctx_enumerated(1, property.property.0);
                if let Some(i) = property.index {
                    w.ctx_unsigned(2, u64::from(i));
                }
            }
            ReadRequest::ReadPropertyMultiple(specs) => {
                for s in specs {
                    w.ctx_object_id(0, s.object);
                    w.open(1);
                    for p in &s.properties {
                        w.ctx_enumerated(0, p.property.0);
                        if let Some(i) = p.index {
                            w.ctx_unsigned(1, u64::from(i));
                        }
                    }
                    w.close(1);
                }
            }
            ReadRequest::SubscribeCov {
                process_id,
                object,
                lifetime_s,
            } => {
                w.ctx_unsigned(0, u64::from(*process_id));
                w.ctx_object_id(1, *object);
                w.ctx_bool(2, false);
                w.ctx_unsigned(3, u64::from((*lifetime_s).max(1)));
            }
        }
        w.into_bytes()
    }
}

/// The result of reading one property: its values, or the device's error (class, code).
#[derive(Debug, Clone, PartialEq)]
pub struct PropertyResult {
    /// Object.
    pub object: ObjectId,
    /// Property and element.
    pub property: PropertyRef,
    /// Values (a list property gives several), or error class and code.
    pub value: Result<Vec<AppValue>, (u32, u32)>,
}

fn u32_of(v: u64, what: &str) -> Result<u32, DecodeError> {
    u32::try_from(v).map_err(|_| DecodeError::new(format!("{what} {v} out of range")))
}

/// A property identifier (context tag `tag`) and its optional array index (`tag + 1`), as every
/// read service and acknowledgement carries them.
fn decode_property_ref(r: &mut Reader<'_>, tag: u8) -> Result<PropertyRef, DecodeError> {
    let property = PropertyId(r.ctx_enumerated(tag, "the property identifier")?);
    let index = r
        .opt_ctx_unsigned(tag + 1, "the array index")?
        .map(|i| u32_of(i, "array index"))
        .transpose()?;
    Ok(PropertyRef { property, index })
}

/// Decode a ReadProperty-ACK.
pub fn decode_read_property_ack(data: &[u8]) -> Result<PropertyResult, DecodeError> {
    let mut r = Reader::new(data);
    let object = r.ctx_object_id(0, "the object identifier")?;
    let property = decode_property_ref(&mut r, 1)?;
    r.open(3, "the property value")?;
    let values = r.values_until_close(3)?;
    r.close(3, "the property value")?;
    Ok(PropertyResult {
        object,
        property,
        value: Ok(values),
    })
}

/// Encode a ReadProperty-ACK (simulator).
pub fn encode_read_property_ack(
    object: ObjectId,
    property: PropertyRef,
    values: &[AppValue],
) -> Vec<u8> {
    let mut w = Writer::new();
    w.ctx_object_id(0, object);
    w.ctx_enumerated(1, property.property.0);
    if let Some(i) = property.index {
        w.ctx_unsigned(2, u64::from(i));
    }
    w.open(3);
    for v in values {
        w.app(v);
    }
    w.close(3);
    w.into_bytes()
}

/// Decode a ReadPropertyMultiple-ACK.
pub fn decode_rpm_ack(data: &[u8]) -> Result<Vec<PropertyResult>, DecodeError> {
    let mut r = Reader::new(data);
    let mut out = Vec::new();
    while !r.is_empty() {
        let object = r.ctx_object_id(0, "the object identifier")?;
        r.open(1, "the list of results")?;
        while !r.at_close(1) {
            let property = decode_property_ref(&mut r, 2)?;
            let value = match r.tag()? {
                Tag::Open(4) => {
                    let v = r.values_until_close(4)?;
                    r.close(4, "the property value")?;
                    Ok(v)
                }
                Tag::Open(5) => {
                    let class = enum_of(r.app()?);
                    let code = enum_of(r.app()?);
                    r.close(5, "the property access error")?;
                    Err((class, code))
                }
                other => {
                    return Err(DecodeError::new(format!(
                        "expected a value or an error, found {other:?}"
                    )));
                }
            };
            out.push(PropertyResult {
                object,
                property,
                value,
            });
        }
        r.close(1, "the list of results")?;
    }
    Ok(out)
}

fn enum_of(v: AppValue) -> u32 {
    match v {
        AppValue::Enumerated(e) => e,
        _ => 0,
    }
}

/// Encode a ReadPropertyMultiple-ACK (simulator): results grouped by object in order.
pub fn encode_rpm_ack(results: &[PropertyResult]) -> Vec<u8> {
    let mut w = Writer::new();
    let mut i = 0;
    while i < results.len() {
        let object = results[i].object;
        w.ctx_object_id(0, object);
        w.open(1);
        while i < results.len() && results[i].object == object {
            let res = &results[i];
            w.ctx_enumerated(2, res.property.property.0);
            if let Some(ix) = res.property.index {
                w.ctx_unsigned(3, u64::from(ix));
            }
            match &res.value {
                Ok(values) => {
                    w.open(4);
                    for v in values {
                        w.app(v);
                    }
                    w.close(4);
                }
                Err((class, code)) => {
                    w.open(5);
                    w.app(&AppValue::Enumerated(*class));
                    w.app(&AppValue::Enumerated(*code));
                    w.close(5);
                }
            }
            i += 1;
        }
        w.close(1);
    }
    w.into_bytes()
}

/// Decode ReadProperty request parameters (simulator).
pub fn decode_read_property_request(data: &[u8]) -> Result<(ObjectId, PropertyRef), DecodeError> {
    let mut r = Reader::new(data);
    let object = r.ctx_object_id(0, "the object identifier")?;
    let property = decode_property_ref(&mut r, 1)?;
    Ok((object, property))
}

/// Decode ReadPropertyMultiple request parameters (simulator).
pub fn decode_rpm_request(data: &[u8]) -> Result<Vec<ReadAccessSpec>, DecodeError> {
    let mut r = Reader::new(data);
    let mut out = Vec::new();
    while !r.is_empty() {
        let object = r.ctx_object_id(0, "the object identifier")?;
        r.open(1, "the property references")?;
        let mut properties = Vec::new();
        while !r.at_close(1) {
            properties.push(decode_property_ref(&mut r, 0)?);
        }
        r.close(1, "the property references")?;
        out.push(ReadAccessSpec { object, properties });
    }
    Ok(out)
}

/// SubscribeCOV parameters as a device sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscribeCov {
    /// Subscriber process identifier.
    pub process_id: u32,
    /// Monitored object.
    pub object: ObjectId,
    /// Confirmed notifications wanted (`None` with `lifetime_s: None` = cancel).
    pub confirmed: Option<bool>,
    /// Lifetime in seconds (`Some(0)` = indefinite).
    pub lifetime_s: Option<u32>,
}

/// Decode SubscribeCOV parameters (simulator).
pub fn decode_subscribe_cov(data: &[u8]) -> Result<SubscribeCov, DecodeError> {
    let mut r = Reader::new(data);
    let process_id = u32_of(
        r.ctx_unsigned(0, "the subscriber process identifier")?,
        "process id",
    )?;
    let object = r.ctx_object_id(1, "the monitored object")?;
    let confirmed = match r.peek_tag()? {
        Some(Tag::Context { number: 2, .. }) => {
            Some(r.ctx_bool(2, "issue-confirmed-notifications")?)
        }
        _ => None,
    };
    let lifetime_s = r
        .opt_ctx_unsigned(3, "the lifetime")?
        .map(|l| u32_of(l, "lifetime"))
        .transpose()?;
    Ok(SubscribeCov {
        process_id,
        object,
        confirmed,
        lifetime_s,
    })
}

/// A COV notification (confirmed or unconfirmed; same parameters).
#[derive(Debug, Clone, PartialEq)]
pub struct CovNotification {
    /// Subscriber process identifier.
    pub process_id: u32,
    /// The notifying device.
    pub device: ObjectId,
    /// The monitored object.
    pub object: ObjectId,
    /// Seconds left of the subscription.
    pub time_remaining_s: u32,
    /// Property values (present-value and status-flags at least, for standard objects).
    pub values: Vec<(PropertyId, Vec<AppValue>)>,
}

impl CovNotification {
    /// The values of one property, if present.
    pub fn get(&self, property: PropertyId) -> Option<&[AppValue]> {
        self.values
            .iter()
            .find(|(p, _)| *p == property)
            .map(|(_, v)| v.as_slice())
    }
}

/// Encode COV notification parameters (simulator).
pub fn encode_cov_notification(n: &CovNotification) -> Vec<u8> {
    let mut w = Writer::new();
    w.ctx_unsigned(0, u64::from(n.process_id));
    w.ctx_object_id(1, n.device);
    w.ctx_object_id(2, n.object);
    w.ctx_unsigned(3, u64::from(n.time_remaining_s));
    w.open(4);
    for (p, values) in &n.values {
        w.ctx_enumerated(0, p.0);
        w.open(2);
        for v in values {
            w.app(v);
        }
        w.close(2);
    }
    w.close(4);
    w.into_bytes()
}

/// Decode COV notification parameters.
pub fn decode_cov_notification(data: &[u8]) -> Result<CovNotification, DecodeError> {
    let mut r = Reader::new(data);
    let process_id = u32_of(
        r.ctx_unsigned(0, "the subscriber process identifier")?,
        "process id",
    )?;
    let device = r.ctx_object_id(1, "the initiating device")?;
    let object = r.ctx_object_id(2, "the monitored object")?;
    let time_remaining_s = u32_of(r.ctx_unsigned(3, "the time remaining")?, "time remaining")?;
    r.open(4, "the list of values")?;
    let mut values = Vec::new();
    while !r.at_close(4) {
        let p = PropertyId(r.ctx_enumerated(0, "the property identifier")?);
        r.opt_ctx_unsigned(1, "the array index")?;
        r.open(2, "the value")?;
        let v = r.values_until_close(2)?;
        r.close(2, "the value")?;
        r.opt_ctx_unsigned(3, "the priority")?;
        values.push((p, v));
    }
    r.close(4, "the list of values")?;
    Ok(CovNotification {
        process_id,
        device,
        object,
        time_remaining_s,
        values,
    })
}

/// Who-Is parameters: an optional instance range.
pub fn encode_who_is(range: Option<(u32, u32)>) -> Vec<u8> {
    let mut w = Writer::new();
    if let Some((lo, hi)) = range {
        w.ctx_unsigned(0, u64::from(lo));
        w.ctx_unsigned(1, u64::from(hi));
    }
    w.into_bytes()
}

/// Decode Who-Is parameters (simulator).
pub fn decode_who_is(data: &[u8]) -> Result<Option<(u32, u32)>, DecodeError> {
    if data.is_empty() {
        return Ok(None);
    }
    let mut r = Reader::new(data);
    let lo = u32_of(r.ctx_unsigned(0, "the low limit")?, "low limit")?;
    let hi = u32_of(r.ctx_unsigned(1, "the high limit")?, "high limit")?;
    Ok(Some((lo, hi)))
}

/// An I-Am.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IAm {
    /// The device object.
    pub device: ObjectId,
    /// Largest APDU it accepts.
    pub max_apdu: u32,
    /// Segmentation supported (0 both, 1 transmit, 2 receive, 3 none).
    pub segmentation: u32,
    /// Vendor identifier.
    pub vendor: u32,
}

/// Encode I-Am parameters (simulator).
pub fn encode_i_am(i: &IAm) -> Vec<u8> {
    let mut w = Writer::new();
    w.app(&AppValue::ObjectId(i.device));
    w.app(&AppValue::Unsigned(u64::from(i.max_apdu)));
    w.app(&AppValue::Enumerated(i.segmentation));
    w.app(&AppValue::Unsigned(u64::from(i.vendor)));
    w.into_bytes()
}

/// Decode I-Am parameters.
pub fn decode_i_am(data: &[u8]) -> Result<IAm, DecodeError> {
    let mut r = Reader::new(data);
    let bad = |what: &str| DecodeError::new(format!("I-Am: {what} has the wrong type"));
    let AppValue::ObjectId(device) = r.app()? else {
        return Err(bad("the device identifier"));
    };
    let AppValue::Unsigned(max_apdu) = r.app()? else {
        return Err(bad("max APDU"));
    };
    let AppValue::Enumerated(segmentation) = r.app()? else {
        return Err(bad("segmentation"));
    };
    let AppValue::Unsigned(vendor) = r.app()? else {
        return Err(bad("the vendor id"));
    };
    Ok(IAm {
        device,
        max_apdu: u32_of(max_apdu, "max APDU")?,
        segmentation,
        vendor: u32_of(vendor, "vendor id")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bacnet::types::ObjectType;

    fn ai(i: u32) -> ObjectId {
        ObjectId::new(ObjectType::ANALOG_INPUT, i)
    }

    #[test]
    fn rpm_request_and_ack_roundtrip() {
        let specs = vec![
            ReadAccessSpec {
                object: ai(1),
                properties: vec![
                    PropertyRef::whole(PropertyId::PRESENT_VALUE),
                    PropertyRef::whole(PropertyId::STATUS_FLAGS),
                ],
            },
            ReadAccessSpec {
                object: ai(2),
                properties: vec![PropertyRef {
                    property: PropertyId::OBJECT_LIST,
                    index: Some(3),
                }],
            },
        ];
        let req = ReadRequest::ReadPropertyMultiple(specs.clone());
        assert_eq!(decode_rpm_request(&req.encode()).expect("decodes"), specs);
        let results = vec![
            PropertyResult {
                object: ai(1),
                property: PropertyRef::whole(PropertyId::PRESENT_VALUE),
                value: Ok(vec![AppValue::Real(19.5)]),
            },
            PropertyResult {
                object: ai(1),
                property: PropertyRef::whole(PropertyId::STATUS_FLAGS),
                value: Ok(vec![AppValue::Bits(vec![false; 4])]),
            },
            PropertyResult {
                object: ai(2),
                property: PropertyRef::whole(PropertyId::RELIABILITY),
                value: Err((2, 32)),
            },
        ];
        assert_eq!(
            decode_rpm_ack(&encode_rpm_ack(&results)).expect("decodes"),
            results
        );
    }

    #[test]
    fn read_property_roundtrip() {
        let p = PropertyRef {
            property: PropertyId::OBJECT_LIST,
            index: Some(0),
        };
        let req = ReadRequest::ReadProperty {
            object: ai(9),
            property: p,
        };
        assert_eq!(
            decode_read_property_request(&req.encode()).expect("decodes"),
            (ai(9), p)
        );
        let ack = encode_read_property_ack(ai(9), p, &[AppValue::Unsigned(12)]);
        assert_eq!(
            decode_read_property_ack(&ack).expect("decodes").value,
            Ok(vec![AppValue::Unsigned(12)])
        );
    }

    #[test]
    fn subscribe_cov_always_has_a_finite_lifetime() {
        let req = ReadRequest::SubscribeCov {
            process_id: 3,
            object: ai(1),
            lifetime_s: 0,
        };
        let s = decode_subscribe_cov(&req.encode()).expect("decodes");
        assert_eq!(
            s,
            SubscribeCov {
                process_id: 3,
                object: ai(1),
                confirmed: Some(false),
                lifetime_s: Some(1)
            }
        );
    }

    #[test]
    fn cov_notification_and_i_am_roundtrip() {
        let n = CovNotification {
            process_id: 7,
            device: ObjectId::new(ObjectType::DEVICE, 1201),
            object: ai(1),
            time_remaining_s: 240,
            values: vec![
                (PropertyId::PRESENT_VALUE, vec![AppValue::Real(21.0)]),
                (
                    PropertyId::STATUS_FLAGS,
                    vec![AppValue::Bits(vec![false, false, true, false])],
                ),
            ],
        };
        assert_eq!(
            decode_cov_notification(&encode_cov_notification(&n)).expect("decodes"),
            n
        );
        let i = IAm {
            device: ObjectId::new(ObjectType::DEVICE, 1201),
            max_apdu: 1476,
            segmentation: 3,
            vendor: 999,
        };
        assert_eq!(decode_i_am(&encode_i_am(&i)).expect("decodes"), i);
        assert_eq!(
            decode_who_is(&encode_who_is(Some((1, 5)))).expect("decodes"),
            Some((1, 5))
        );
        assert_eq!(decode_who_is(&encode_who_is(None)).expect("decodes"), None);
    }

    #[test]
    fn truncated_acks_are_errors() {
        let results = vec![PropertyResult {
            object: ai(1),
            property: PropertyRef::whole(PropertyId::PRESENT_VALUE),
            value: Ok(vec![AppValue::Real(1.0)]),
        }];
        let bytes = encode_rpm_ack(&results);
        for n in 1..bytes.len() {
            assert!(decode_rpm_ack(&bytes[..n]).is_err(), "cut at {n}");
        }
    }
}
