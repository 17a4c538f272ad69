//! Turning a [`PointSpec`] into a model [`Point`] of one device: address base, system
//! fallback and read limits depend on the device and its connection.

use crate::model::{Connection, ModbusSource, Point, PointSource, System};
use crate::parse::point::PointSpec;
use crate::parse::common::Walker;

/// What the device a point is instantiated in is reached through.
#[derive(Debug, Clone, Copy)]
pub(crate) enum LinkOf<'a> {
    /// A Modbus device behind this connection.
    Modbus(&'a Connection),
    /// A BACnet device.
    Bacnet,
    /// Not known (the device's link has an error, already reported).
    Unknown,
}

/// Build the point `spec` for device `device_id` reached through `link`. `fallback` is the
/// device's system, else the template's. `None` if anything is missing (reported).
pub(crate) fn instantiate(
    w: &mut Walker<'_>,
    spec: &PointSpec,
    ctx: &str,
    device_id: &str,
    link: LinkOf<'_>,
    fallback: Option<System>,
) -> Option<Point> {
    let system = spec.system.or(fallback);
    if system.is_none() {
        w.error(
            &spec.id.span,
            ctx,
            "no `system` given: set it on the point, on its device or on its template",
        );
    }
    let status_label = spec.status.as_ref().map(|l| l.replace("{DEVICE}", &device_id.to_uppercase()));
    let conn = match (link, &spec.bacnet) {
        (LinkOf::Unknown, _) => return None,
        (LinkOf::Bacnet, Some(b)) => {
            return Some(Point {
                id: format!("{device_id}.{}", spec.id.value),
                name: spec.name.clone(),
                system: system?,
                unit: spec.unit.clone(),
                source: PointSource::Bacnet(b.value),
                scale: spec.scale,
                offset: spec.offset,
                sentinels: Vec::new(),
                states: spec.states.clone(),
                status_label,
                store: spec.store,
            });
        }
        (LinkOf::Bacnet, None) => {
            w.error(
                &spec.id.span,
                ctx,
                format!("a Modbus point cannot be read from BACnet device `{device_id}`: give it `object` (and `property`) instead of `table`/`address`/`type`"),
            );
            return None;
        }
        (LinkOf::Modbus(_), Some(_)) => {
            w.error(
                &spec.id.span,
                ctx,
                format!("a BACnet point (`object`) cannot be read from Modbus device `{device_id}`"),
            );
            return None;
        }
        (LinkOf::Modbus(c), None) => c,
    };
    let address = spec.address.as_ref()?;
    let data_type = spec.data_type.as_ref()?;
    let table = spec.table?;
    let base = i128::from(conn.address_base);
    if address.value < base {
        w.error(
            &address.span,
            ctx,
            format!(
                "address {} is below address_base {base} of connection `{}` (its register list counts from {base})",
                address.value, conn.id
            ),
        );
        return None;
    }
    let width = if table.is_bits() {
        1
    } else {
        data_type.value.width()
    };
    let protocol = address.value - base;
    let last = protocol + i128::from(width) - 1;
    if last > 65_535 {
        w.error(
            &address.span,
            ctx,
            format!(
                "address {} with {width} register(s) ends at {}, beyond the last Modbus address {}",
                address.value,
                last + base,
                65_535 + base
            ),
        );
        return None;
    }
    if !table.is_bits() && width > conn.max_registers_per_read {
        w.error(
            &data_type.span,
            ctx,
            format!(
                "this type needs {width} registers in one read, but connection `{}` reads at most {} (`max_registers_per_read`)",
                conn.id, conn.max_registers_per_read
            ),
        );
        return None;
    }
    Some(Point {
        id: format!("{device_id}.{}", spec.id.value),
        name: spec.name.clone(),
        system: system?,
        unit: spec.unit.clone(),
        source: PointSource::Modbus(ModbusSource {
            table,
            address: u16::try_from(protocol).ok()?,
            data_type: data_type.value,
            order: spec.order,
        }),
        scale: spec.scale,
        offset: spec.offset,
        sentinels: spec.sentinels.clone(),
        states: spec.states.clone(),
        status_label,
        store: spec.store,
    })
}

#[cfg(test)]
mod tests {
    use crate::model::{Config, DataType};
    use crate::parse_str;

    fn config_with(base: u8, points: &str) -> crate::Loaded {
        let src = format!(
            "[site]\nid = \"s\"\nname = \"S\"\n\n[[connections]]\nid = \"c\"\nhost = \"h\"\naddress_base = {base}\n\n\
             [[devices]]\nid = \"d\"\nconnection = \"c\"\nunit_id = 1\nsystem = \"el\"\n{points}"
        );
        parse_str(&src, "t.toml")
    }

    fn point(table: &str, address: u32, ty: &str) -> String {
        format!(
            "\n[[devices.points]]\nid = \"p{address}\"\ntable = \"{table}\"\naddress = {address}\ntype = \"{ty}\"\nunit = \"V\"\n"
        )
    }

    fn ok(loaded: crate::Loaded) -> Config {
        let shown: Vec<String> = loaded.diagnostics.iter().map(ToString::to_string).collect();
        loaded
            .config
            .unwrap_or_else(|| panic!("expected a valid config:\n{}", shown.join("\n")))
    }

    #[test]
    fn base_1_addresses_become_protocol_addresses() {
        let pts = point("holding", 1, "u16")
            + &point("holding", 40, "u32")
            + &point("holding", 65535, "u32");
        let config = ok(config_with(1, &pts));
        let addrs: Vec<u16> = config.points().filter_map(|(_, p)| p.modbus()).map(|m| m.address).collect();
        assert_eq!(addrs, [0, 39, 65534]);
        // 65535 in base 1 is protocol 65534; a u32 there ends exactly at 65535.
        assert_eq!(config.devices[0].points[2].modbus().expect("modbus").last_address(), 65535);
    }

    #[test]
    fn base_0_addresses_are_kept() {
        let config = ok(config_with(0, &point("input", 0, "i16")));
        assert_eq!(config.devices[0].points[0].modbus().expect("modbus").address, 0);
        assert_eq!(config.devices[0].points[0].id, "d.p0");
    }

    #[test]
    fn base_1_rejects_address_0_and_base_0_rejects_65536() {
        let loaded = config_with(1, &point("holding", 0, "u16"));
        assert!(
            loaded
                .errors()
                .any(|d| d.message.contains("below address_base 1")),
            "{:?}",
            loaded.diagnostics
        );
        let loaded = config_with(0, &point("holding", 65536, "u16"));
        assert!(
            loaded.errors().any(|d| d.message.contains("ends at 65536")),
            "{:?}",
            loaded.diagnostics
        );
        let loaded = config_with(1, &point("holding", 65536, "u16"));
        assert!(
            loaded.config.is_some(),
            "65536 in base 1 is protocol 65535: {:?}",
            loaded.diagnostics
        );
    }

    #[test]
    fn a_value_wider_than_one_read_is_an_error() {
        let loaded = config_with(0, &point("holding", 0, "u64"));
        assert!(
            loaded.diagnostics.is_empty(),
            "u64 fits in 125 registers: {:?}",
            loaded.diagnostics
        );
        let src = "[site]\nid = \"s\"\nname = \"S\"\n[[connections]]\nid = \"c\"\nhost = \"h\"\nmax_registers_per_read = 2\n\
                   [[devices]]\nid = \"d\"\nconnection = \"c\"\nunit_id = 1\nsystem = \"el\"\n\
                   [[devices.points]]\nid = \"e\"\ntable = \"input\"\naddress = 0\ntype = \"u64\"\nunit = \"kWh\"\n";
        let loaded = parse_str(src, "t.toml");
        let errors: Vec<String> = loaded.errors().map(ToString::to_string).collect();
        assert_eq!(
            errors,
            [
                "t.toml:17:8: error: device d, point e: this type needs 4 registers in one read, but connection `c` reads at most 2 (`max_registers_per_read`)"
            ]
        );
    }

    #[test]
    fn strings_up_to_125_registers_are_accepted() {
        let pts = "\n[[devices.points]]\nid = \"name\"\ntable = \"holding\"\naddress = 0\ntype = \"string\"\nregisters = 125\n";
        let config = ok(config_with(0, pts));
        assert_eq!(
            config.devices[0].points[0].modbus().expect("modbus").data_type,
            DataType::String { registers: 125 }
        );
    }

    #[test]
    fn status_label_names_each_instance_of_a_template() {
        let src = "[site]\nid = \"s\"\nname = \"S\"\n[[connections]]\nid = \"c\"\nhost = \"h\"\n\
                   [[templates]]\nid = \"gen\"\nsystem = \"reservkraft\"\n\
                   [[templates.points]]\nid = \"state\"\ntable = \"holding\"\naddress = 1408\ntype = \"u16\"\n\
                   status = \"{DEVICE}\"\nstates = { \"0\" = \"stopp\" }\n\
                   [[devices]]\nid = \"g1\"\nconnection = \"c\"\nunit_id = 1\ntemplate = \"gen\"\n\
                   [[devices]]\nid = \"g2\"\nconnection = \"c\"\nunit_id = 2\ntemplate = \"gen\"\n";
        let c = ok(parse_str(src, "t.toml"));
        let labels: Vec<_> = c.points().map(|(_, p)| p.status_label.clone()).collect();
        assert_eq!(labels, vec![Some("G1".to_string()), Some("G2".to_string())]);
    }
}
