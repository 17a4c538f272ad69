//! BACnet/IP framing: BVLC (Annex J), NPDU (clause 6) and the APDU headers (clause 20.1).

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};

use crate::bacnet::encoding::{AppValue, DecodeError, Reader, Writer};
use crate::bacnet::types::{decode_max_apdu, encode_max_apdu};

/// BVLC type octet of BACnet/IP.
pub const BVLC_TYPE: u8 = 0x81;

/// BVLC functions.
pub mod bvlc {
    /// BVLC-Result.
    pub const RESULT: u8 = 0x00;
    /// Forwarded-NPDU (from a BBMD).
    pub const FORWARDED_NPDU: u8 = 0x04;
    /// Register-Foreign-Device.
    pub const REGISTER_FOREIGN_DEVICE: u8 = 0x05;
    /// Distribute-Broadcast-To-Network (a foreign device's broadcast via its BBMD).
    pub const DISTRIBUTE_BROADCAST: u8 = 0x09;
    /// Original-Unicast-NPDU.
    pub const UNICAST: u8 = 0x0A;
    /// Original-Broadcast-NPDU.
    pub const BROADCAST: u8 = 0x0B;
}

/// Confirmed service choices.
pub mod confirmed {
    /// ConfirmedCOVNotification.
    pub const COV_NOTIFICATION: u8 = 1;
    /// SubscribeCOV.
    pub const SUBSCRIBE_COV: u8 = 5;
    /// ReadProperty.
    pub const READ_PROPERTY: u8 = 12;
    /// ReadPropertyMultiple.
    pub const READ_PROPERTY_MULTIPLE: u8 = 14;
    /// WriteProperty (never sent by driftvakt; named so logs and the simulator can say so).
    pub const WRITE_PROPERTY: u8 = 15;
    /// WritePropertyMultiple (never sent by driftvakt).
    pub const WRITE_PROPERTY_MULTIPLE: u8 = 16;
}

/// Unconfirmed service choices.
pub mod unconfirmed {
    /// I-Am.
    pub const I_AM: u8 = 0;
    /// UnconfirmedCOVNotification.
    pub const COV_NOTIFICATION: u8 = 2;
    /// Who-Is.
    pub const WHO_IS: u8 = 8;
    /// WriteGroup (never sent by driftvakt).
    pub const WRITE_GROUP: u8 = 10;
}

/// Name of a confirmed service (for logs and the simulator's service log).
pub fn confirmed_name(service: u8) -> String {
    let name = match service {
        0 => "acknowledge-alarm",
        1 => "confirmed-cov-notification",
        2 => "confirmed-event-notification",
        3 => "get-alarm-summary",
        4 => "get-enrollment-summary",
        5 => "subscribe-cov",
        6 => "atomic-read-file",
        7 => "atomic-write-file",
        8 => "add-list-element",
        9 => "remove-list-element",
        10 => "create-object",
        11 => "delete-object",
        12 => "read-property",
        14 => "read-property-multiple",
        15 => "write-property",
        16 => "write-property-multiple",
        17 => "device-communication-control",
        18 => "confirmed-private-transfer",
        19 => "confirmed-text-message",
        20 => "reinitialize-device",
        26 => "read-range",
        28 => "subscribe-cov-property",
        29 => "get-event-information",
        30 => "subscribe-cov-property-multiple",
        _ => return format!("confirmed-{service}"),
    };
    name.to_string()
}

/// Name of an unconfirmed service.
pub fn unconfirmed_name(service: u8) -> String {
    let name = match service {
        0 => "i-am",
        1 => "i-have",
        2 => "unconfirmed-cov-notification",
        3 => "unconfirmed-event-notification",
        4 => "unconfirmed-private-transfer",
        5 => "unconfirmed-text-message",
        6 => "time-synchronization",
        7 => "who-has",
        8 => "who-is",
        9 => "utc-time-synchronization",
        10 => "write-group",
        _ => return format!("unconfirmed-{service}"),
    };
    name.to_string()
}

/// Whether a confirmed service changes something in the device (a write in the wide sense):
/// everything except reading, subscribing and acknowledging notifications.
pub fn is_write_confirmed(service: u8) -> bool {
    !matches!(service, 1 | 2 | 3 | 4 | 5 | 6 | 12 | 14 | 26 | 28 | 29 | 30)
}

/// Whether an unconfirmed service changes something in the device.
pub fn is_write_unconfirmed(service: u8) -> bool {
    matches!(service, 4 | 5 | 6 | 9 | 10)
}

/// A remote network and MAC address (DNET/DADR or SNET/SADR): a device behind a BACnet router.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Route {
    /// Network number (0xFFFF = global broadcast).
    pub net: u16,
    /// MAC address on that network (empty = broadcast on it).
    pub mac: Vec<u8>,
}

/// The network layer header.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Npdu {
    /// Destination behind a router, if any.
    pub dest: Option<Route>,
    /// Original source behind a router, if any.
    pub source: Option<Route>,
    /// Whether the sender expects a reply (confirmed requests).
    pub expecting_reply: bool,
    /// Whether this is a network-layer message (no APDU follows).
    pub network_message: bool,
}

/// An APDU.
#[derive(Debug, Clone, PartialEq)]
pub enum Apdu {
    /// A confirmed request.
    ConfirmedRequest {
        /// Whether the sender accepts a segmented response.
        segmented_response_accepted: bool,
        /// Largest APDU the sender accepts.
        max_apdu: u16,
        /// Invoke id.
        invoke_id: u8,
        /// Service choice.
        service: u8,
        /// Whether this request is itself segmented (not supported: answered with an abort).
        segmented: bool,
        /// Service parameters.
        data: Vec<u8>,
    },
    /// An unconfirmed request.
    Unconfirmed {
        /// Service choice.
        service: u8,
        /// Service parameters.
        data: Vec<u8>,
    },
    /// Simple acknowledgement.
    SimpleAck {
        /// Invoke id.
        invoke_id: u8,
        /// Service choice.
        service: u8,
    },
    /// Complex acknowledgement.
    ComplexAck {
        /// Invoke id.
        invoke_id: u8,
        /// Service choice.
        service: u8,
        /// Whether this is a segment (driftvakt never accepts segmentation).
        segmented: bool,
        /// Service result.
        data: Vec<u8>,
    },
    /// Segment acknowledgement (not used by driftvakt; decoded to be ignored).
    SegmentAck {
        /// Invoke id.
        invoke_id: u8,
    },
    /// Error.
    Error {
        /// Invoke id.
        invoke_id: u8,
        /// Service choice.
        service: u8,
        /// Error class.
        class: u32,
        /// Error code.
        code: u32,
    },
    /// Reject.
    Reject {
        /// Invoke id.
        invoke_id: u8,
        /// Reject reason.
        reason: u8,
    },
    /// Abort.
    Abort {
        /// Invoke id.
        invoke_id: u8,
        /// Abort reason.
        reason: u8,
        /// Whether the server sent it.
        server: bool,
    },
}

impl Apdu {
    /// Encode.
    pub fn encode(&self) -> Vec<u8> {
        let mut b = Vec::new();
        match self {
            Apdu::ConfirmedRequest {
                segmented_response_accepted,
                max_apdu,
                invoke_id,
                service,
                data,
                ..
            } => {
                b.push(if *segmented_response_accepted {
                    0x02
                } else {
                    0x00
                });
                b.push(encode_max_apdu(*max_apdu));
                b.push(*invoke_id);
                b.push(*service);
                b.extend_from_slice(data);
            }
            Apdu::Unconfirmed { service, data } => {
                b.extend_from_slice(&[0x10, *service]);
                b.extend_from_slice(data);
            }
            Apdu::SimpleAck { invoke_id, service } => {
                b.extend_from_slice(&[0x20, *invoke_id, *service])
            }
            Apdu::ComplexAck {
                invoke_id,
                service,
                data,
                ..
            } => {
                b.extend_from_slice(&[0x30, *invoke_id, *service]);
                b.extend_from_slice(data);
            }
            Apdu::SegmentAck { invoke_id } => b.extend_from_slice(&[0x40, *invoke_id, 0, 1]),
            Apdu::Error {
                invoke_id,
                service,
                class,
                code,
            } => {
                b.extend_from_slice(&[0x50, *invoke_id, *service]);
                let mut w = Writer::new();
                w.app(&AppValue::Enumerated(*class));
                w.app(&AppValue::Enumerated(*code));
                b.extend_from_slice(&w.into_bytes());
            }
            Apdu::Reject { invoke_id, reason } => b.extend_from_slice(&[0x60, *invoke_id, *reason]),
            Apdu::Abort {
                invoke_id,
                reason,
                server,
            } => {
                b.extend_from_slice(&[0x70 | u8::from(*server), *invoke_id, *reason]);
            }
        }
        b
    }

    /// Decode.
    pub fn decode(bytes: &[u8]) -> Result<Apdu, DecodeError> {
        let mut r = Reader::new(bytes);
        let first = r.u8("the APDU type")?;
        let apdu = match first >> 4 {
            0 => {
                let segmented = first & 0x08 != 0;
                let max = r.u8("max segments / max APDU")?;
                let invoke_id = r.u8("the invoke id")?;
                if segmented {
                    r.take(2, "sequence number and window")?;
                }
                let service = r.u8("the service choice")?;
                Apdu::ConfirmedRequest {
                    segmented_response_accepted: first & 0x02 != 0,
                    max_apdu: decode_max_apdu(max),
                    invoke_id,
                    service,
                    segmented,
                    data: r.rest().to_vec(),
                }
            }
            1 => {
                let service = r.u8("the service choice")?;
                Apdu::Unconfirmed {
                    service,
                    data: r.rest().to_vec(),
                }
            }
            2 => Apdu::SimpleAck {
                invoke_id: r.u8("the invoke id")?,
                service: r.u8("the service choice")?,
            },
            3 => {
                let segmented = first & 0x08 != 0;
                let invoke_id = r.u8("the invoke id")?;
                if segmented {
                    r.take(2, "sequence number and window")?;
                }
                let service = r.u8("the service choice")?;
                Apdu::ComplexAck {
                    invoke_id,
                    service,
                    segmented,
                    data: r.rest().to_vec(),
                }
            }
            4 => Apdu::SegmentAck {
                invoke_id: r.u8("the invoke id")?,
            },
            5 => {
                let invoke_id = r.u8("the invoke id")?;
                let service = r.u8("the service choice")?;
                // Some services wrap the error in context tag 0; read the first two enumerations.
                let mut class = 0;
                let mut code = 0;
                let mut found = Vec::new();
                while found.len() < 2 && !r.is_empty() {
                    match r.app() {
                        Ok(AppValue::Enumerated(v)) => found.push(v),
                        Ok(_) => {}
                        Err(_) => break,
                    }
                }
                if let [c, k] = found[..] {
                    class = c;
                    code = k;
                }
                Apdu::Error {
                    invoke_id,
                    service,
                    class,
                    code,
                }
            }
            6 => Apdu::Reject {
                invoke_id: r.u8("the invoke id")?,
                reason: r.u8("the reject reason")?,
            },
            7 => Apdu::Abort {
                invoke_id: r.u8("the invoke id")?,
                reason: r.u8("the abort reason")?,
                server: first & 0x01 != 0,
            },
            t => return Err(DecodeError::new(format!("unknown APDU type {t}"))),
        };
        Ok(apdu)
    }
}

/// One decoded BACnet/IP datagram.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    /// BVLC function.
    pub function: u8,
    /// For Forwarded-NPDU: the original sender (replies go there).
    pub forwarded_from: Option<SocketAddr>,
    /// BVLC-Result code (for `RESULT`).
    pub result: Option<u16>,
    /// Network header (default for BVLC-only messages).
    pub npdu: Npdu,
    /// The APDU, unless this is a BVLC-only or network-layer message.
    pub apdu: Option<Apdu>,
}

/// Encode an NPDU header.
pub fn encode_npdu(npdu: &Npdu) -> Vec<u8> {
    let mut b = vec![0x01, 0x00];
    let mut control = 0u8;
    if npdu.network_message {
        control |= 0x80;
    }
    if let Some(d) = &npdu.dest {
        control |= 0x20;
        b.extend_from_slice(&d.net.to_be_bytes());
        b.push(d.mac.len() as u8);
        b.extend_from_slice(&d.mac);
    }
    if let Some(s) = &npdu.source {
        control |= 0x08;
        b.extend_from_slice(&s.net.to_be_bytes());
        b.push(s.mac.len() as u8);
        b.extend_from_slice(&s.mac);
    }
    if npdu.dest.is_some() {
        b.push(255); // hop count
    }
    if npdu.expecting_reply {
        control |= 0x04;
    }
    b[1] = control;
    b
}

/// A complete datagram: BVLC header, NPDU, APDU.
pub fn encode_datagram(function: u8, npdu: &Npdu, apdu: &Apdu) -> Vec<u8> {
    let mut body = encode_npdu(npdu);
    body.extend_from_slice(&apdu.encode());
    bvlc_wrap(function, &body)
}

/// Prefix `body` with a BVLC header.
pub fn bvlc_wrap(function: u8, body: &[u8]) -> Vec<u8> {
    let len = (body.len() + 4) as u16;
    let mut b = Vec::with_capacity(body.len() + 4);
    b.extend_from_slice(&[BVLC_TYPE, function]);
    b.extend_from_slice(&len.to_be_bytes());
    b.extend_from_slice(body);
    b
}

/// Register-Foreign-Device with a time-to-live in seconds.
pub fn register_foreign_device(ttl_s: u16) -> Vec<u8> {
    bvlc_wrap(bvlc::REGISTER_FOREIGN_DEVICE, &ttl_s.to_be_bytes())
}

fn route(r: &mut Reader<'_>, what: &str) -> Result<Route, DecodeError> {
    let net = r.u16(what)?;
    let len = r.u8(what)?;
    let mac = r.take(usize::from(len), what)?.to_vec();
    Ok(Route { net, mac })
}

/// Decode one datagram.
pub fn decode_datagram(bytes: &[u8]) -> Result<Frame, DecodeError> {
    let mut r = Reader::new(bytes);
    if r.u8("the BVLC type")? != BVLC_TYPE {
        return Err(DecodeError::new("not BACnet/IP (BVLC type is not 0x81)"));
    }
    let function = r.u8("the BVLC function")?;
    let len = r.u16("the BVLC length")?;
    if usize::from(len) != bytes.len() {
        return Err(DecodeError::new(format!(
            "BVLC length {len} but datagram of {} bytes",
            bytes.len()
        )));
    }
    let mut frame = Frame {
        function,
        forwarded_from: None,
        result: None,
        npdu: Npdu::default(),
        apdu: None,
    };
    match function {
        bvlc::RESULT => {
            frame.result = Some(r.u16("the BVLC result code")?);
            return Ok(frame);
        }
        bvlc::FORWARDED_NPDU => {
            let a = r.take(6, "the forwarded source address")?;
            let ip = Ipv4Addr::new(a[0], a[1], a[2], a[3]);
            frame.forwarded_from = Some(SocketAddr::V4(SocketAddrV4::new(
                ip,
                u16::from_be_bytes([a[4], a[5]]),
            )));
        }
        bvlc::UNICAST | bvlc::BROADCAST | bvlc::DISTRIBUTE_BROADCAST => {}
        _ => return Ok(frame),
    }
    if r.u8("the NPDU version")? != 0x01 {
        return Err(DecodeError::new("NPDU version is not 1"));
    }
    let control = r.u8("the NPDU control octet")?;
    let mut npdu = Npdu {
        network_message: control & 0x80 != 0,
        expecting_reply: control & 0x04 != 0,
        ..Npdu::default()
    };
    if control & 0x20 != 0 {
        npdu.dest = Some(route(&mut r, "DNET/DADR")?);
    }
    if control & 0x08 != 0 {
        npdu.source = Some(route(&mut r, "SNET/SADR")?);
    }
    if npdu.dest.is_some() {
        r.u8("the hop count")?;
    }
    frame.npdu = npdu;
    if !frame.npdu.network_message {
        frame.apdu = Some(Apdu::decode(r.rest())?);
    }
    Ok(frame)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datagrams_roundtrip_with_and_without_routing() {
        let apdu = Apdu::ConfirmedRequest {
            segmented_response_accepted: false,
            max_apdu: 1476,
            invoke_id: 7,
            service: confirmed::READ_PROPERTY,
            segmented: false,
            data: vec![0x0C, 0, 0, 0, 1, 0x19, 0x55],
        };
        for dest in [
            None,
            Some(Route {
                net: 100,
                mac: vec![1],
            }),
        ] {
            let npdu = Npdu {
                dest,
                expecting_reply: true,
                ..Npdu::default()
            };
            let bytes = encode_datagram(bvlc::UNICAST, &npdu, &apdu);
            let f = decode_datagram(&bytes).expect("decodes");
            assert_eq!(f.npdu, npdu);
            assert_eq!(f.apdu.as_ref(), Some(&apdu));
        }
    }

    #[test]
    fn a_known_read_property_request_decodes() {
        // Who-Is as sent by common tools: 81 0b 00 08 01 00 10 08
        let f = decode_datagram(&[0x81, 0x0b, 0x00, 0x08, 0x01, 0x00, 0x10, 0x08]).expect("who-is");
        assert_eq!(
            f.apdu,
            Some(Apdu::Unconfirmed {
                service: unconfirmed::WHO_IS,
                data: vec![]
            })
        );
    }

    #[test]
    fn every_reply_kind_roundtrips() {
        for apdu in [
            Apdu::SimpleAck {
                invoke_id: 1,
                service: 5,
            },
            Apdu::ComplexAck {
                invoke_id: 2,
                service: 12,
                segmented: false,
                data: vec![1, 2],
            },
            Apdu::Error {
                invoke_id: 3,
                service: 12,
                class: 2,
                code: 32,
            },
            Apdu::Reject {
                invoke_id: 4,
                reason: 9,
            },
            Apdu::Abort {
                invoke_id: 5,
                reason: 4,
                server: true,
            },
        ] {
            assert_eq!(Apdu::decode(&apdu.encode()).expect("decodes"), apdu);
        }
    }

    #[test]
    fn garbage_is_an_error() {
        for bytes in [
            &[][..],
            &[0x81],
            &[0x82, 0x0a, 0, 4],
            &[0x81, 0x0a, 0, 9, 1],
            &[0x81, 0x0a, 0, 6, 1, 0x20],
            &[0x81, 0x0a, 0, 7, 2, 0, 0x10],
        ] {
            assert!(decode_datagram(bytes).is_err(), "{bytes:02x?}");
        }
    }

    #[test]
    fn no_write_service_is_classified_as_read() {
        assert!(is_write_confirmed(confirmed::WRITE_PROPERTY));
        assert!(is_write_confirmed(confirmed::WRITE_PROPERTY_MULTIPLE));
        assert!(
            is_write_confirmed(20),
            "reinitialize-device changes the device"
        );
        assert!(!is_write_confirmed(confirmed::READ_PROPERTY_MULTIPLE));
        assert!(is_write_unconfirmed(unconfirmed::WRITE_GROUP));
        assert!(!is_write_unconfirmed(unconfirmed::WHO_IS));
    }
}
