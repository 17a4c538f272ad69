//! The BACnet object images of the simulated air-handling unit (LB01) and district-heating
//! substation (VS01), computed from the same [`Plant`] the Modbus registers come from.
//!
//! Both sit behind the simulator's BACnet/IP router on network [`SIM_NETWORK`]: LB01 at MAC 1
//! (device 1201), VS01 at MAC 2 (device 1301). The damper of LB01 is overridden (hand
//! operated) and its filter switch out of service, so the demo shows those qualities.

use driftvakt_drivers::bacnet::encoding::AppValue;
use driftvakt_drivers::bacnet::types::{ObjectId, ObjectType, PropertyId, StatusFlags};
use crate::model::Plant;

/// Remote network number of the simulator's virtual BACnet devices.
pub const SIM_NETWORK: u16 = 100;

/// One simulated object.
#[derive(Debug, Clone, PartialEq)]
pub struct SimObject {
    /// Identifier.
    pub id: ObjectId,
    /// object-name.
    pub name: &'static str,
    /// present-value.
    pub value: AppValue,
    /// units (analog objects).
    pub units: Option<u32>,
    /// State texts: binary (inactive, active) or multi-state (1..N).
    pub states: &'static [&'static str],
    /// Status flags.
    pub flags: StatusFlags,
    /// Smallest change of an analog value that is notified.
    pub cov_increment: f32,
}

impl SimObject {
    /// A property's values, `None` if the object has no such property.
    pub fn property(&self, p: PropertyId) -> Option<Vec<AppValue>> {
        let t = self.id.object_type;
        Some(match p {
            PropertyId(75) => vec![AppValue::ObjectId(self.id)],
            PropertyId::OBJECT_NAME => vec![AppValue::Text(self.name.to_string())],
            PropertyId(79) => vec![AppValue::Enumerated(u32::from(t.0))],
            PropertyId::PRESENT_VALUE => vec![self.value.clone()],
            PropertyId::STATUS_FLAGS => vec![AppValue::Bits(self.flags.to_bits())],
            PropertyId(36) => vec![AppValue::Enumerated(0)], // event-state normal
            PropertyId::RELIABILITY => vec![AppValue::Enumerated(0)],
            PropertyId::OUT_OF_SERVICE => vec![AppValue::Bool(self.flags.out_of_service)],
            PropertyId::UNITS if t.is_analog() => vec![AppValue::Enumerated(self.units?)],
            PropertyId(22) if t.is_analog() => vec![AppValue::Real(self.cov_increment)],
            PropertyId::INACTIVE_TEXT if t.is_binary() => {
                vec![AppValue::Text((*self.states.first()?).to_string())]
            }
            PropertyId::ACTIVE_TEXT if t.is_binary() => {
                vec![AppValue::Text((*self.states.get(1)?).to_string())]
            }
            PropertyId::STATE_TEXT if t.is_multistate() => self
                .states
                .iter()
                .map(|s| AppValue::Text((*s).to_string()))
                .collect(),
            PropertyId(74) if t.is_multistate() => {
                vec![AppValue::Unsigned(self.states.len() as u64)]
            }
            _ => return None,
        })
    }
}

/// One simulated BACnet device.
#[derive(Debug, Clone, PartialEq)]
pub struct SimDevice {
    /// Short id (`lb01`, `vs01`).
    pub id: &'static str,
    /// Device instance.
    pub instance: u32,
    /// MAC on [`SIM_NETWORK`].
    pub mac: u8,
    /// Device object-name.
    pub name: &'static str,
    /// Its objects (not the device object).
    pub objects: Vec<SimObject>,
}

impl SimDevice {
    /// The device object's identifier.
    pub fn device_id(&self) -> ObjectId {
        ObjectId::new(ObjectType::DEVICE, self.instance)
    }

    /// A property of the device object.
    pub fn device_property(&self, p: PropertyId, index: Option<u32>) -> Option<Vec<AppValue>> {
        let list: Vec<AppValue> = std::iter::once(self.device_id())
            .chain(self.objects.iter().map(|o| o.id))
            .map(AppValue::ObjectId)
            .collect();
        Some(match p {
            PropertyId(75) => vec![AppValue::ObjectId(self.device_id())],
            PropertyId::OBJECT_NAME => vec![AppValue::Text(self.name.to_string())],
            PropertyId(79) => vec![AppValue::Enumerated(8)],
            PropertyId::VENDOR_NAME => vec![AppValue::Text("driftvakt simulator".into())],
            PropertyId(120) => vec![AppValue::Unsigned(999)],
            PropertyId::MODEL_NAME => vec![AppValue::Text("referenssjukhuset".into())],
            PropertyId::MAX_APDU_LENGTH_ACCEPTED => vec![AppValue::Unsigned(1476)],
            PropertyId::SEGMENTATION_SUPPORTED => vec![AppValue::Enumerated(3)],
            PropertyId(112) => vec![AppValue::Enumerated(0)], // system-status operational
            PropertyId::OBJECT_LIST => match index {
                None => list,
                Some(0) => vec![AppValue::Unsigned(list.len() as u64)],
                Some(i) => vec![list.get(usize::try_from(i).ok()? - 1)?.clone()],
            },
            _ => return None,
        })
    }

    /// A property of any object of the device.
    pub fn property(
        &self,
        object: ObjectId,
        p: PropertyId,
        index: Option<u32>,
    ) -> Result<Vec<AppValue>, (u32, u32)> {
        use driftvakt_drivers::bacnet::types::error;
        if object == self.device_id()
            || (object.object_type == ObjectType::DEVICE
                && object.instance == driftvakt_drivers::bacnet::types::MAX_INSTANCE)
        {
            return self
                .device_property(p, index)
                .ok_or((error::CLASS_PROPERTY, error::UNKNOWN_PROPERTY));
        }
        let o = self
            .objects
            .iter()
            .find(|o| o.id == object)
            .ok_or((error::CLASS_OBJECT, error::UNKNOWN_OBJECT))?;
        let v = o
            .property(p)
            .ok_or((error::CLASS_PROPERTY, error::UNKNOWN_PROPERTY))?;
        match index {
            None => Ok(v),
            Some(_) => Err((error::CLASS_PROPERTY, error::INVALID_ARRAY_INDEX)),
        }
    }
}

fn analog(t: ObjectType, i: u32, name: &'static str, value: f64, units: u32) -> SimObject {
    SimObject {
        id: ObjectId::new(t, i),
        name,
        value: AppValue::Real(value as f32),
        units: Some(units),
        states: &[],
        flags: StatusFlags::default(),
        cov_increment: 0.1,
    }
}

fn binary(i: u32, name: &'static str, on: bool, states: &'static [&'static str]) -> SimObject {
    SimObject {
        id: ObjectId::new(ObjectType::BINARY_VALUE, i),
        name,
        value: AppValue::Enumerated(u32::from(on)),
        units: None,
        states,
        flags: StatusFlags::default(),
        cov_increment: 0.0,
    }
}

/// The simulated BACnet devices as the plant is now.
pub fn devices(plant: &Plant) -> Vec<SimDevice> {
    let ahu = &plant.ahu;
    let dh = &plant.heating;
    let mut damper = analog(ObjectType::ANALOG_VALUE, 2, "LB01 Spjäll uteluft", 35.0, 98);
    damper.flags.overridden = true;
    let mut filter = binary(2, "LB01 Filtervakt", false, &["normal", "larm"]);
    filter.flags.out_of_service = true;
    vec![
        SimDevice {
            id: "lb01",
            instance: 1201,
            mac: 1,
            name: "LB01 Luftbehandling",
            objects: vec![
                analog(
                    ObjectType::ANALOG_INPUT,
                    1,
                    "LB01 Tilluftstemperatur",
                    ahu.supply_air_c,
                    62,
                ),
                analog(
                    ObjectType::ANALOG_INPUT,
                    2,
                    "LB01 Kanaltryck",
                    ahu.duct_pressure_pa,
                    53,
                ),
                analog(
                    ObjectType::ANALOG_VALUE,
                    1,
                    "LB01 Börvärde tilluft",
                    ahu.setpoint_c,
                    62,
                ),
                binary(
                    1,
                    "LB01 Tilluftsfläkt",
                    ahu.fan_running,
                    &["stopp", "i drift"],
                ),
                damper,
                filter,
            ],
        },
        SimDevice {
            id: "vs01",
            instance: 1301,
            mac: 2,
            name: "VS01 Undercentral fjärrvärme",
            objects: vec![
                analog(
                    ObjectType::ANALOG_INPUT,
                    1,
                    "VS01 Framledning",
                    dh.supply_c,
                    62,
                ),
                analog(
                    ObjectType::ANALOG_INPUT,
                    2,
                    "VS01 Returledning",
                    dh.return_c,
                    62,
                ),
                analog(ObjectType::ANALOG_INPUT, 3, "VS01 Effekt", dh.power_kw, 48),
                analog(
                    ObjectType::ANALOG_INPUT,
                    4,
                    "VS01 Flöde",
                    dh.flow_m3_per_h,
                    135,
                ),
                SimObject {
                    id: ObjectId::new(ObjectType::MULTI_STATE_VALUE, 1),
                    name: "VS01 Driftläge",
                    value: AppValue::Unsigned(2),
                    units: None,
                    states: &["av", "auto", "hand"],
                    flags: StatusFlags::default(),
                    cov_increment: 0.0,
                },
            ],
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Scenario;

    #[test]
    fn the_images_follow_the_plant() {
        let plant = Plant::with_epoch(&Scenario::Normal, 0);
        let devs = devices(&plant);
        let lb01 = &devs[0];
        let supply = lb01
            .property(
                ObjectId::new(ObjectType::ANALOG_INPUT, 1),
                PropertyId::PRESENT_VALUE,
                None,
            )
            .expect("exists");
        assert_eq!(supply, vec![AppValue::Real(plant.ahu.supply_air_c as f32)]);
        let list = lb01
            .property(lb01.device_id(), PropertyId::OBJECT_LIST, Some(0))
            .expect("count");
        assert_eq!(list, vec![AppValue::Unsigned(7)]);
        assert!(
            lb01.property(
                ObjectId::new(ObjectType::ANALOG_INPUT, 99),
                PropertyId::PRESENT_VALUE,
                None
            )
            .is_err()
        );
        assert!(lb01.objects[4].flags.overridden && lb01.objects[5].flags.out_of_service);
    }
}
