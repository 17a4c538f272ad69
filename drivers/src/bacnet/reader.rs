//! Reading many properties: ReadPropertyMultiple in batches sized to the device's max APDU,
//! halved whenever the device refuses a batch for its size (abort segmentation-not-supported,
//! buffer overflow, reject), down to one object per request, then single ReadProperty. What a
//! device refused is remembered for the rest of the run, so the shrinking happens once.

use std::collections::{HashMap, VecDeque};

use crate::bacnet::client::{Client, Reply, RequestError, Target};
use crate::bacnet::encoding::AppValue;
use crate::bacnet::services::{
    PropertyRef, ReadAccessSpec, ReadRequest, decode_read_property_ack, decode_rpm_ack,
};
use crate::bacnet::stats::BacnetStats;
use crate::bacnet::types::{ObjectId, PropertyId};

/// Values (or the device's error class and code) by object and property.
pub type Results = HashMap<(ObjectId, PropertyRef), Result<Vec<AppValue>, (u32, u32)>>;

/// Estimated bytes one property takes in an RPM-ACK (tags, id, a primitive value).
const BYTES_PER_PROPERTY: usize = 10;
/// Estimated bytes per object in an RPM-ACK besides its properties.
const BYTES_PER_OBJECT: usize = 7;
/// Room for the APDU header.
const HEADER_BYTES: usize = 8;

/// Objects that fit in one ReadPropertyMultiple reply of `max_apdu` bytes, `props` properties each.
pub fn objects_per_request(max_apdu: u16, props: usize) -> usize {
    let per_object = BYTES_PER_OBJECT + BYTES_PER_PROPERTY * props.max(1);
    (usize::from(max_apdu).saturating_sub(HEADER_BYTES) / per_object).max(1)
}

/// What a device has shown it can take; lives as long as the device task.
#[derive(Debug, Clone)]
pub struct BatchReader {
    /// Objects per ReadPropertyMultiple.
    pub limit: usize,
    /// Whether the device does ReadPropertyMultiple at all.
    pub rpm: bool,
}

impl BatchReader {
    /// Sized for a device of `max_apdu` bytes reading `props` properties per object.
    pub fn new(max_apdu: u16, props: usize) -> Self {
        Self {
            limit: objects_per_request(max_apdu, props),
            rpm: true,
        }
    }

    /// Read every property of `specs`. `Err` only when the device does not answer (a timeout
    /// or a network error): errors it answers with are per-property results.
    pub async fn read(
        &mut self,
        client: &Client,
        target: &Target,
        specs: &[ReadAccessSpec],
    ) -> Result<Results, RequestError> {
        let mut out = Results::new();
        let mut queue: VecDeque<Vec<ReadAccessSpec>> =
            specs.chunks(self.limit.max(1)).map(<[_]>::to_vec).collect();
        while let Some(chunk) = queue.pop_front() {
            if !self.rpm {
                self.read_singly(client, target, &chunk, &mut out).await?;
                continue;
            }
            match client
                .request(target, &ReadRequest::ReadPropertyMultiple(chunk.clone()))
                .await
            {
                Ok(Reply::ComplexAck(data)) => match decode_rpm_ack(&data) {
                    Ok(results) => {
                        for r in results {
                            out.insert((r.object, r.property), r.value);
                        }
                    }
                    Err(e) => {
                        tracing::warn!(device = %target.addr, error = %e, "undecodable ReadPropertyMultiple reply; reading singly");
                        self.read_singly(client, target, &chunk, &mut out).await?;
                    }
                },
                Ok(Reply::SimpleAck) => {
                    return Err(RequestError::Decode(
                        crate::bacnet::encoding::DecodeError::new(
                            "SimpleAck to ReadPropertyMultiple",
                        ),
                    ));
                }
                Err(e) if e.is_too_big() && chunk.len() > 1 => {
                    let half = chunk.len() / 2;
                    self.limit = half.max(1);
                    BacnetStats::bump(&client.stats().batch_shrinks);
                    tracing::info!(device = %target.addr, reason = %e, objects = self.limit, "device refused a ReadPropertyMultiple batch; shrinking it");
                    queue.push_front(chunk[half..].to_vec());
                    queue.push_front(chunk[..half].to_vec());
                }
                Err(e) if e.is_too_big() || e.is_unrecognized_service() => {
                    if e.is_unrecognized_service() {
                        tracing::info!(device = %target.addr, "device does not support ReadPropertyMultiple; using ReadProperty");
                        self.rpm = false;
                    } else {
                        tracing::info!(device = %target.addr, reason = %e, "device refused ReadPropertyMultiple of one object; reading its properties singly");
                    }
                    self.read_singly(client, target, &chunk, &mut out).await?;
                }
                Err(e) if e.device_answered() => {
                    // E.g. every object of the batch unknown: RPM then answers with one Error.
                    // Read singly to find out which properties are at fault.
                    tracing::debug!(device = %target.addr, error = %e, "ReadPropertyMultiple failed; reading singly");
                    self.read_singly(client, target, &chunk, &mut out).await?;
                }
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    async fn read_singly(
        &self,
        client: &Client,
        target: &Target,
        chunk: &[ReadAccessSpec],
        out: &mut Results,
    ) -> Result<(), RequestError> {
        for spec in chunk {
            for p in &spec.properties {
                BacnetStats::bump(&client.stats().read_property_fallbacks);
                let value = read_property(client, target, spec.object, *p).await?;
                out.insert((spec.object, *p), value);
            }
        }
        Ok(())
    }
}

/// One ReadProperty: the values, or the device's error. `Err` when it does not answer.
pub async fn read_property(
    client: &Client,
    target: &Target,
    object: ObjectId,
    property: PropertyRef,
) -> Result<Result<Vec<AppValue>, (u32, u32)>, RequestError> {
    match client
        .request(target, &ReadRequest::ReadProperty { object, property })
        .await
    {
        Ok(Reply::ComplexAck(data)) => Ok(decode_read_property_ack(&data)
            .map(|r| r.value)
            .unwrap_or(Err((0, 0)))),
        Ok(Reply::SimpleAck) => Ok(Err((0, 0))),
        Err(RequestError::Error { class, code }) => Ok(Err((class, code))),
        Err(e) if e.device_answered() => Ok(Err((0, 0))),
        Err(e) => Err(e),
    }
}

/// The whole property of an object.
pub fn whole(object: ObjectId, property: PropertyId) -> (ObjectId, PropertyRef) {
    (object, PropertyRef::whole(property))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_follow_the_max_apdu() {
        assert_eq!(objects_per_request(1476, 2), 54);
        assert_eq!(objects_per_request(480, 2), 17);
        assert_eq!(objects_per_request(50, 2), 1, "never zero");
        assert!(objects_per_request(1476, 1) > objects_per_request(1476, 3));
    }

    #[test]
    fn size_refusals_shrink_and_others_do_not() {
        use crate::bacnet::types::{abort, reject};
        assert!(
            RequestError::Abort {
                reason: abort::SEGMENTATION_NOT_SUPPORTED
            }
            .is_too_big()
        );
        assert!(
            RequestError::Reject {
                reason: reject::BUFFER_OVERFLOW
            }
            .is_too_big()
        );
        assert!(RequestError::Segmented.is_too_big());
        assert!(!RequestError::Error { class: 1, code: 31 }.is_too_big());
        assert!(!RequestError::Timeout(std::time::Duration::from_secs(1)).is_too_big());
        assert!(
            RequestError::Reject {
                reason: reject::UNRECOGNIZED_SERVICE
            }
            .is_unrecognized_service()
        );
    }
}
