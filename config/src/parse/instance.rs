//! Turning a [`PointSpec`] into a model [`Point`] of one device: address base, system
//! fallback and read limits depend on the device and its connection.

use crate::model::{Connection, ModbusSource, Point, System};
use crate::parse::point::PointSpec;
use crate::walk::Walker;

/// Build the point `spec` for device `device_id` behind `conn` (if known). `fallback` is the
/// device's system, else the template's. `None` if anything is missing (reported).
pub(crate) fn instantiate(
    w: &mut Walker<'_>,
    spec: &PointSpec,
    ctx: &str,
    device_id: &str,
    conn: Option<&Connection>,
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
    let conn = conn?;
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
    let width = if table.is_bits() { 1 } else { data_type.value.width() };
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
        source: ModbusSource {
            table,
            address: u16::try_from(protocol).ok()?,
            data_type: data_type.value,
            order: spec.order,
        },
        scale: spec.scale,
        offset: spec.offset,
        sentinels: spec.sentinels.clone(),
        states: spec.states.clone(),
    })
}
