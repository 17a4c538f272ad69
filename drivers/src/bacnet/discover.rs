//! Discovery for `driftvakt discover --bacnet`: Who-Is/I-Am, the device's object list (whole,
//! or element by element when the device cannot return it whole), each object's name, units
//! and state texts, and a configuration block ready to paste.

use std::collections::HashSet;
use std::fmt::Write as _;

use crate::bacnet::client::{Client, Discovered, Reply, RequestError, Target};
use crate::bacnet::encoding::AppValue;
use crate::bacnet::reader::{BatchReader, read_property, whole};
use crate::bacnet::services::{PropertyRef, ReadAccessSpec, ReadRequest, decode_read_property_ack};
use crate::bacnet::types::{ObjectId, ObjectType, PropertyId, unit_text};

/// One object of a device, described for the configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectInfo {
    /// The object.
    pub object: ObjectId,
    /// Its object-name.
    pub name: Option<String>,
    /// Unit text from its `units` (analog objects), `None` if absent or unknown.
    pub unit: Option<String>,
    /// The raw units enumeration, when the text is unknown.
    pub units_code: Option<u32>,
    /// State texts: binary (inactive, active) or multi-state (1..N).
    pub states: Vec<(i64, String)>,
}

/// A discovered device with its objects.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceInfo {
    /// How it answered Who-Is.
    pub found: Discovered,
    /// The device object's name.
    pub name: Option<String>,
    /// Vendor name.
    pub vendor_name: Option<String>,
    /// Model name.
    pub model_name: Option<String>,
    /// Objects with a present-value worth reading (empty unless asked for).
    pub objects: Vec<ObjectInfo>,
    /// Whether the object list had to be read element by element.
    pub list_read_by_element: bool,
}

fn text(v: Option<&Result<Vec<AppValue>, (u32, u32)>>) -> Option<String> {
    match v?.as_ref().ok()?.first()? {
        AppValue::Text(t) => Some(t.clone()),
        _ => None,
    }
}

/// Read a device's object list: whole if it can, else the count (`[0]`) and each element.
pub async fn object_list(
    client: &Client,
    target: &Target,
    device: ObjectId,
) -> Result<(Vec<ObjectId>, bool), RequestError> {
    let whole_list = client
        .request(
            target,
            &ReadRequest::ReadProperty {
                object: device,
                property: PropertyRef::whole(PropertyId::OBJECT_LIST),
            },
        )
        .await;
    match whole_list {
        Ok(Reply::ComplexAck(data)) => {
            let ack = decode_read_property_ack(&data)?;
            let ids = ack
                .value
                .map_err(|(class, code)| RequestError::Error { class, code })?;
            return Ok((
                ids.into_iter()
                    .filter_map(|v| {
                        if let AppValue::ObjectId(id) = v {
                            Some(id)
                        } else {
                            None
                        }
                    })
                    .collect(),
                false,
            ));
        }
        Ok(Reply::SimpleAck) => {
            return Err(RequestError::Decode(
                crate::bacnet::encoding::DecodeError::new("SimpleAck to ReadProperty"),
            ));
        }
        Err(e) if e.device_answered() => {
            tracing::info!(device = %device, error = %e, "object list not readable whole; reading it element by element");
        }
        Err(e) => return Err(e),
    }
    let count = match read_property(
        client,
        target,
        device,
        PropertyRef {
            property: PropertyId::OBJECT_LIST,
            index: Some(0),
        },
    )
    .await?
    {
        Ok(v) => match v.first() {
            Some(AppValue::Unsigned(n)) => *n,
            _ => 0,
        },
        Err((class, code)) => return Err(RequestError::Error { class, code }),
    };
    let mut ids = Vec::new();
    for i in 1..=count.min(100_000) {
        let idx = u32::try_from(i).unwrap_or(u32::MAX);
        if let Ok(v) = read_property(
            client,
            target,
            device,
            PropertyRef {
                property: PropertyId::OBJECT_LIST,
                index: Some(idx),
            },
        )
        .await?
            && let Some(AppValue::ObjectId(id)) = v.first()
        {
            ids.push(*id);
        }
    }
    Ok((ids, true))
}

/// Whether driftvakt would read this object's present-value.
pub fn is_point_object(t: ObjectType) -> bool {
    t.is_analog() || t.is_binary() || t.is_multistate() || t == ObjectType::CHARACTERSTRING_VALUE
}

/// Describe a device: its names, and with `objects` its point objects.
pub async fn describe(
    client: &Client,
    found: &Discovered,
    objects: bool,
) -> Result<DeviceInfo, RequestError> {
    let target = Target {
        addr: found.addr,
        route: found.route.clone(),
        max_apdu: u16::try_from(found.i_am.max_apdu.min(1476)).unwrap_or(1476),
    };
    let device = found.i_am.device;
    let mut reader = BatchReader::new(target.max_apdu, 3);
    let props = [
        PropertyId::OBJECT_NAME,
        PropertyId::VENDOR_NAME,
        PropertyId::MODEL_NAME,
    ];
    let spec = ReadAccessSpec {
        object: device,
        properties: props.iter().map(|p| PropertyRef::whole(*p)).collect(),
    };
    let r = reader.read(client, &target, &[spec]).await?;
    let mut info = DeviceInfo {
        found: found.clone(),
        name: text(r.get(&whole(device, PropertyId::OBJECT_NAME))),
        vendor_name: text(r.get(&whole(device, PropertyId::VENDOR_NAME))),
        model_name: text(r.get(&whole(device, PropertyId::MODEL_NAME))),
        objects: Vec::new(),
        list_read_by_element: false,
    };
    if !objects {
        return Ok(info);
    }
    let (ids, by_element) = object_list(client, &target, device).await?;
    info.list_read_by_element = by_element;
    let ids: Vec<ObjectId> = ids
        .into_iter()
        .filter(|o| is_point_object(o.object_type))
        .collect();
    let specs: Vec<ReadAccessSpec> = ids
        .iter()
        .map(|o| {
            let t = o.object_type;
            let mut p = vec![PropertyId::OBJECT_NAME];
            if t.is_analog() {
                p.push(PropertyId::UNITS);
            } else if t.is_binary() {
                p.extend([PropertyId::INACTIVE_TEXT, PropertyId::ACTIVE_TEXT]);
            } else if t.is_multistate() {
                p.push(PropertyId::STATE_TEXT);
            }
            ReadAccessSpec {
                object: *o,
                properties: p.into_iter().map(PropertyRef::whole).collect(),
            }
        })
        .collect();
    let mut reader = BatchReader::new(target.max_apdu, 3);
    let r = reader.read(client, &target, &specs).await?;
    for o in ids {
        let units_code = r
            .get(&whole(o, PropertyId::UNITS))
            .and_then(|v| v.as_ref().ok())
            .and_then(|v| match v.first() {
                Some(AppValue::Enumerated(u)) => Some(*u),
                _ => None,
            });
        let mut states = Vec::new();
        if o.object_type.is_binary() {
            for (k, p) in [(0, PropertyId::INACTIVE_TEXT), (1, PropertyId::ACTIVE_TEXT)] {
                if let Some(t) = text(r.get(&whole(o, p))).filter(|t| !t.trim().is_empty()) {
                    states.push((k, t));
                }
            }
        }
        if let Some(Ok(v)) = r.get(&whole(o, PropertyId::STATE_TEXT)) {
            for (i, t) in v.iter().enumerate() {
                if let AppValue::Text(t) = t
                    && !t.trim().is_empty()
                {
                    states.push((i as i64 + 1, t.clone()));
                }
            }
        }
        info.objects.push(ObjectInfo {
            object: o,
            name: text(r.get(&whole(o, PropertyId::OBJECT_NAME))),
            unit: units_code.and_then(unit_text).map(str::to_string),
            units_code,
            states,
        });
    }
    Ok(info)
}

/// A config id from a name: lower case, å/ä → a, ö → o, other non-alphanumerics → `_`.
pub fn slug(name: &str) -> String {
    let mut s = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        let c = match c {
            'å' | 'ä' | 'à' | 'á' => 'a',
            'ö' | 'ø' | 'ó' => 'o',
            'é' | 'è' => 'e',
            'ü' => 'u',
            c => c,
        };
        if c.is_ascii_alphanumeric() {
            s.push(c);
        } else if !s.ends_with('_') {
            s.push('_');
        }
    }
    let s = s.trim_matches('_').to_string();
    if s.is_empty() { "x".to_string() } else { s }
}

/// A TOML string literal.
fn q(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The line where the block of [`config_file`] starts: from it on is what to paste into an
/// existing configuration.
pub const BLOCK_START: &str = "[[bacnet_networks]]";

/// A complete configuration file for `devices` (`driftvakt check` accepts it as it is): a
/// header saying what to set and where the block goes in an existing file, a placeholder
/// `[site]`, then [`config_block`].
pub fn config_file(network: &str, bind: &str, devices: &[DeviceInfo]) -> String {
    format!(
        "# Written by `driftvakt discover`. A complete configuration: `driftvakt check FILE` accepts it\n\
         # as it is. Set the site's id and name below and each device's `system`.\n\
         # To add these devices to an existing configuration instead, append everything from the line\n\
         # `{BLOCK_START}` on to that file (it has its own `[site]`), then check that file.\n\
         \n\
         [site]\n\
         id = \"site\"    # set: your site's short id (a-z 0-9 _ -)\n\
         name = \"Site\"  # set: its name\n\
         \n\
         {}",
        config_block(network, bind, devices)
    )
}

/// The configuration block for `devices` on network `network` (bound to `bind`).
pub fn config_block(network: &str, bind: &str, devices: &[DeviceInfo]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "[[bacnet_networks]]\nid = {}\nbind = {}\n",
        q(network),
        q(bind)
    );
    let mut used_devices = HashSet::new();
    for d in devices {
        let i = &d.found.i_am;
        let base = d
            .name
            .as_deref()
            .map_or_else(|| format!("dev{}", i.device.instance), slug);
        let mut id = base.clone();
        let mut k = 2;
        while !used_devices.insert(id.clone()) {
            id = format!("{base}_{k}");
            k += 1;
        }
        let _ = writeln!(
            out,
            "# device {} {} at {}{}; vendor {} {}; max APDU {}, segmentation {}",
            i.device.instance,
            d.name.as_deref().map(q).unwrap_or_default(),
            d.found.addr,
            d.found
                .route
                .as_ref()
                .map(|r| format!(" network {} MAC {:02x?}", r.net, r.mac))
                .unwrap_or_default(),
            i.vendor,
            d.vendor_name.as_deref().unwrap_or(""),
            i.max_apdu,
            match i.segmentation {
                0 => "both",
                1 => "transmit",
                2 => "receive",
                _ => "none",
            }
        );
        let _ = writeln!(out, "[[devices]]\nid = {}", q(&id));
        if let Some(n) = &d.name {
            let _ = writeln!(out, "name = {}", q(n));
        }
        let _ = writeln!(
            out,
            "network = {}\ninstance = {}\naddress = {}",
            q(network),
            i.device.instance,
            q(&d.found.addr.to_string())
        );
        if let Some(r) = &d.found.route {
            let mac: Vec<String> = r.mac.iter().map(|b| format!("{b:02x}")).collect();
            let _ = writeln!(out, "dnet = {}\ndadr = {}", r.net, q(&mac.join(":")));
        }
        let max = i.max_apdu.min(1476);
        if max != 1476 {
            let _ = writeln!(out, "max_apdu_bytes = {}", max.max(50));
        }
        let _ = writeln!(
            out,
            "poll_interval_ms = 5000\nsystem = \"övrigt\"  # set the right system: reservkraft, vatten, värme, ventilation, ..."
        );
        if d.list_read_by_element {
            let _ = writeln!(
                out,
                "# (object list read element by element: the device cannot return it whole)"
            );
        }
        let mut used_points = HashSet::new();
        for o in &d.objects {
            let base = o
                .name
                .as_deref()
                .map_or_else(|| slug(&o.object.to_string()), slug);
            let mut pid = base.clone();
            let mut k = 2;
            while !used_points.insert(pid.clone()) {
                pid = format!("{base}_{k}");
                k += 1;
            }
            let _ = writeln!(out, "\n[[devices.points]]\nid = {}", q(&pid));
            if let Some(n) = &o.name {
                let _ = writeln!(out, "name = {}", q(n));
            }
            let _ = writeln!(out, "object = {}", q(&o.object.to_string()));
            if o.object.object_type.is_analog() {
                match (&o.unit, o.units_code) {
                    (Some(u), _) => {
                        let _ = writeln!(out, "unit = {}", q(u));
                    }
                    (None, Some(code)) => {
                        let _ = writeln!(
                            out,
                            "unit = \"\"  # the device says units {code}, which driftvakt does not name"
                        );
                    }
                    (None, None) => {
                        let _ = writeln!(out, "unit = \"\"");
                    }
                }
            }
            if !o.states.is_empty() {
                let parts: Vec<String> = o
                    .states
                    .iter()
                    .map(|(k, t)| format!("{} = {}", q(&k.to_string()), q(t)))
                    .collect();
                let _ = writeln!(out, "states = {{ {} }}", parts.join(", "));
            }
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bacnet::services::IAm;

    #[test]
    fn slugs_are_valid_ids() {
        assert_eq!(slug("Tilluftstemperatur"), "tilluftstemperatur");
        assert_eq!(slug("Börvärde tilluft"), "borvarde_tilluft");
        assert_eq!(slug("TESTDEV-LB01"), "testdev_lb01");
        assert_eq!(slug("--"), "x");
    }

    #[test]
    fn the_block_names_every_object_once() {
        let found = Discovered {
            addr: "127.0.0.1:47809".parse().expect("addr"),
            route: None,
            i_am: IAm {
                device: ObjectId::new(ObjectType::DEVICE, 7),
                max_apdu: 480,
                segmentation: 3,
                vendor: 5,
            },
        };
        let obj = |t, i, name: &str| ObjectInfo {
            object: ObjectId::new(t, i),
            name: Some(name.into()),
            unit: Some("°C".into()),
            units_code: Some(62),
            states: vec![],
        };
        let d = DeviceInfo {
            found,
            name: Some("Styr \"1\"".into()),
            vendor_name: None,
            model_name: None,
            objects: vec![
                obj(ObjectType::ANALOG_INPUT, 1, "Temp"),
                obj(ObjectType::ANALOG_INPUT, 2, "Temp"),
            ],
            list_read_by_element: false,
        };
        let block = config_block("bas", "0.0.0.0:47808", std::slice::from_ref(&d));
        assert!(
            block.contains("id = \"temp\"") && block.contains("id = \"temp_2\""),
            "{block}"
        );
        assert!(block.contains("name = \"Styr \\\"1\\\"\""), "{block}");
        assert!(block.contains("max_apdu_bytes = 480"), "{block}");
        let doc: toml::Table = format!("[site]\nid = \"s\"\nname = \"S\"\n{block}")
            .parse()
            .expect("valid TOML");
        assert!(doc.contains_key("devices"));
        let file = config_file("bas", "0.0.0.0:47808", std::slice::from_ref(&d));
        let doc: toml::Table = file.parse().expect("valid TOML");
        assert!(
            doc.contains_key("site") && doc.contains_key("devices"),
            "{file}"
        );
        let start = file.find(&format!("\n{BLOCK_START}")).expect("block start") + 1;
        let pasted = &file[start..];
        assert_eq!(pasted, config_block("bas", "0.0.0.0:47808", &[d]));
    }
}
