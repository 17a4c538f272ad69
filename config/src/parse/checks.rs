//! Warnings that need the whole configuration: things that work but are probably mistakes.

use std::time::Duration;

use crate::model::{DataType, ModbusSource};
use crate::parse::bacnet::NetSpec;
use crate::parse::connection::ConnSpec;
use crate::parse::device::{DeviceSpec, Devices, TemplateSpec};
use crate::parse::common::Walker;

/// Report every whole-configuration warning.
pub(crate) fn warn(
    w: &mut Walker<'_>,
    conns: &[ConnSpec],
    templates: &[TemplateSpec],
    devices: &Devices,
) {
    for t in templates {
        if !devices.used_templates.contains(&t.id.value) {
            w.warning(
                &t.id.span,
                &format!("template {}", t.id.value),
                "template is never used by a device",
            );
        }
    }
    for c in conns {
        if !devices.used_connections.contains(&c.conn.id) {
            w.warning(
                &c.id_span,
                &format!("connection {}", c.conn.id),
                "connection has no devices",
            );
        }
    }
    for d in &devices.devices {
        if let Some(c) = conns.iter().find(|c| Some(c.conn.id.as_str()) == d.device.connection()) {
            poll_versus_timeout(w, d, c.conn.timeout, &format!("connection `{}`", c.conn.id));
        }
        overlaps(w, d, conns);
    }
}

/// Warn when `d` polls more often than `what` (its connection or network) waits for an answer.
fn poll_versus_timeout(w: &mut Walker<'_>, d: &DeviceSpec, timeout: Duration, what: &str) {
    if d.device.poll_interval < timeout {
        let span = d.poll_span.as_ref().unwrap_or(&d.id_span);
        w.warning(
            span,
            &d.context,
            format!(
                "poll interval {} ms is shorter than the timeout {} ms of {what}; polls will overrun while the device does not answer",
                d.device.poll_interval.as_millis(),
                timeout.as_millis(),
            ),
        );
    }
}

/// The type as far as overlap goes: different bits of one register are fine.
fn type_class(dt: DataType) -> DataType {
    match dt {
        DataType::Bit(_) => DataType::Bit(0),
        other => other,
    }
}

fn type_label(dt: DataType) -> String {
    match dt {
        DataType::Bit(_) => "bit".to_string(),
        DataType::String { registers } => format!("string of {registers} registers"),
        other => format!("{other:?}").to_lowercase(),
    }
}

/// Two points of one device reading overlapping registers as different types.
fn overlaps(w: &mut Walker<'_>, d: &DeviceSpec, conns: &[ConnSpec]) {
    let Some(conn_id) = d.device.connection() else { return };
    let base = conns
        .iter()
        .find(|c| c.conn.id == conn_id)
        .map_or(0, |c| u32::from(c.conn.address_base));
    let pts = &d.device.points;
    let range = |m: &ModbusSource| {
        (
            u32::from(m.address),
            u32::from(m.address) + u32::from(m.data_type.width()).saturating_sub(1),
        )
    };
    for (j, later_point) in pts.iter().enumerate() {
        let Some(later) = later_point.modbus() else { continue };
        if later.table.is_bits() {
            continue;
        }
        let (ls, le) = range(later);
        for earlier_point in &pts[..j] {
            let Some(earlier) = earlier_point.modbus() else { continue };
            if earlier.table != later.table
                || type_class(earlier.data_type) == type_class(later.data_type)
            {
                continue;
            }
            let (es, ee) = range(earlier);
            if ls <= ee && es <= le {
                let (span, ctx) = &d.point_places[j];
                w.warning(
                    span,
                    ctx,
                    format!(
                        "registers {}..={} overlap `{}` (read as {} at {}); this point reads them as {}",
                        ls + base,
                        le + base,
                        earlier_point.id,
                        type_label(earlier.data_type),
                        es + base,
                        type_label(later.data_type)
                    ),
                );
            }
        }
    }
}

/// BACnet warnings: a network without devices; a poll interval shorter than the network's
/// timeout; a COV check interval longer than the subscription lifetime.
pub(crate) fn warn_bacnet(w: &mut Walker<'_>, nets: &[NetSpec], devices: &Devices) {
    for n in nets {
        if !devices.used_networks.contains(&n.net.id) {
            w.warning(&n.id_span, &format!("bacnet network {}", n.net.id), "bacnet network has no devices");
        }
    }
    for d in &devices.devices {
        let Some(link) = d.device.bacnet() else { continue };
        let Some(n) = nets.iter().find(|n| n.net.id == link.network) else { continue };
        poll_versus_timeout(w, d, n.net.timeout, &format!("bacnet network `{}`", n.net.id));
        if let Some(cov) = link.cov
            && cov.check_interval > cov.lifetime
        {
            w.warning(
                &d.id_span,
                &d.context,
                format!(
                    "COV check interval {} s is longer than the subscription lifetime {} s; a lost subscription is then only noticed by its renewal",
                    cov.check_interval.as_secs(),
                    cov.lifetime.as_secs()
                ),
            );
        }
    }
}
