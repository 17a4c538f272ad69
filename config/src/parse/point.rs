//! `[[templates.points]]` / `[[devices.points]]`: everything that does not depend on the
//! device the point ends up in. Address base, system fallback and read limits are applied when
//! a device instantiates the point (see `instance.rs`).

use std::collections::BTreeMap;

use toml::de::DeValue;

use crate::keys;
use crate::model::{BacnetSource, DataType, PointKind, Sentinel, Storage, System, Table, WordOrder};
use crate::parse::sentinel;
use crate::parse::common::{At, IdChars, Section, Walker, key_span, list};

/// A point as written, checked on its own.
#[derive(Debug, Clone)]
pub(crate) struct PointSpec {
    /// Local id (`fuel_level`) and where it is written.
    pub id: At<String>,
    /// Context for messages, e.g. `template dse_genset, point fuel_level`.
    pub context: String,
    /// Human name (defaults to the id).
    pub name: String,
    /// System given on the point itself.
    pub system: Option<System>,
    /// Engineering unit.
    pub unit: String,
    /// Data table; `None` if missing or invalid (already reported).
    pub table: Option<Table>,
    /// Address as configured, in the connection's address base.
    pub address: Option<At<i128>>,
    /// Encoding; `None` if missing or invalid (already reported).
    pub data_type: Option<At<DataType>>,
    /// Byte/word order.
    pub order: WordOrder,
    /// Multiplier.
    pub scale: f64,
    /// Added after scaling.
    pub offset: f64,
    /// Expanded sentinels.
    pub sentinels: Vec<Sentinel>,
    /// Multistate texts.
    pub states: BTreeMap<i64, String>,
    /// Label on the operator's status line (`{DEVICE}` = the device id in capitals).
    pub status: Option<String>,
    /// BACnet object and property, for a BACnet point (`object` given); then the Modbus
    /// fields above are `None`.
    pub bacnet: Option<At<BacnetSource>>,
    /// Alarm rules on this point (bound once every point is known).
    pub alarms: Vec<crate::parse::alarm::RuleSpec>,
    /// Which readings are stored (`store`, `deadband`, `heartbeat_s`).
    pub store: Storage,
}

/// Read one point table. `None` if it has no usable id (reported).
pub(crate) fn point(w: &mut Walker<'_>, s: &Section<'_, '_>) -> Option<PointSpec> {
    w.expect_keys(s, keys::POINT);
    let ctx = s.context.as_str();
    let id = w.req_str(s, "id");
    if let Some(id) = &id {
        w.check_id(ctx, "point", id, IdChars::Plain);
    }
    let name = w.get_str(s, "name").map(|a| a.value);
    let is_bacnet = s.table.contains_key("object");
    let mut bacnet = None;
    let (mut table, mut address, mut data_type, mut order) = (None, None, None, WordOrder::Abcd);
    if is_bacnet {
        bacnet = crate::parse::bacnet::point_source(w, s);
    } else {
        if let Some(span) = key_span(s.table, "property") {
            w.error(&span, ctx, "`property` belongs to a BACnet point: give `object` too (e.g. \"analog-input:1\")");
        }
        table = w.req_str(s, "table").and_then(|t| parse_table(w, ctx, &t));
        // Base 1 allows 65536; the exact check needs the connection's base (instance.rs).
        address = w.req_int(s, "address", 0..=65_536);
        data_type = self::data_type(w, s, table);
        order = match w.get_str(s, "order") {
            None => WordOrder::Abcd,
            Some(o) => parse_order(&o.value).unwrap_or_else(|| {
                w.error(
                    &o.span,
                    ctx,
                    format!(
                        "unknown word order `{}`; expected one of {}",
                        o.value,
                        list(keys::ORDER_NAMES)
                    ),
                );
                WordOrder::Abcd
            }),
        };
    }
    let scale = match w.get_f64(s, "scale") {
        Some(a) if a.value == 0.0 => {
            w.error(
                &a.span,
                ctx,
                "`scale` must not be 0 (every value would read as the offset)",
            );
            1.0
        }
        Some(a) => a.value,
        None => 1.0,
    };
    let offset = w.get_f64(s, "offset").map_or(0.0, |a| a.value);
    let unit = w.get_str(s, "unit").map(|a| a.value);
    let unit_given = unit.is_some();
    let unit = unit.unwrap_or_default();
    let system = w.get_system(s);
    let sentinels = if is_bacnet { Vec::new() } else { sentinel::sentinels(w, s, data_type.as_ref().map(|d| d.value)) };
    let states = states(w, s, data_type.as_ref().map(|d| d.value));
    let status = w.get_str(s, "status").map(|a| a.value);
    let alarms = crate::parse::alarm::point_rules(w, s);

    let id = id?;
    let mut spec = PointSpec {
        name: name.unwrap_or_else(|| id.value.clone()),
        id,
        context: s.context.clone(),
        system,
        unit,
        table,
        address,
        data_type,
        order,
        scale,
        offset,
        sentinels,
        states,
        status,
        bacnet,
        alarms,
        store: Storage::All,
    };
    spec.store = crate::parse::storage::storage(w, s, spec.kind());
    // `unit = ""` written out says "dimensionless on purpose" (codes, serial numbers).
    if spec.kind() == Some(PointKind::Analog) && !unit_given && spec.bacnet.is_none() {
        w.warning(
            &spec.id.span,
            ctx,
            "analog point has no `unit` (e.g. \"kW\", \"°C\", \"%\"; write `unit = \"\"` if it has none)",
        );
    }
    Some(spec)
}

impl PointSpec {
    /// The point kind, if the type is known.
    pub(crate) fn kind(&self) -> Option<PointKind> {
        if let Some(b) = &self.bacnet {
            return Some(b.value.kind(!self.states.is_empty()));
        }
        Some(match self.data_type.as_ref()?.value {
            DataType::Bool | DataType::Bit(_) => PointKind::Binary,
            DataType::String { .. } => PointKind::Text,
            _ if !self.states.is_empty() => PointKind::Multistate,
            _ => PointKind::Analog,
        })
    }
}

fn parse_table(w: &mut Walker<'_>, ctx: &str, t: &At<String>) -> Option<Table> {
    let table = match t.value.as_str() {
        "coil" => Table::Coil,
        "discrete_input" => Table::DiscreteInput,
        "input" => Table::InputRegister,
        "holding" => Table::HoldingRegister,
        other => {
            w.error(
                &t.span,
                ctx,
                format!(
                    "unknown table `{other}`; expected one of {}",
                    list(keys::TABLE_NAMES)
                ),
            );
            return None;
        }
    };
    Some(table)
}

fn parse_order(s: &str) -> Option<WordOrder> {
    Some(match s.to_ascii_uppercase().as_str() {
        "ABCD" => WordOrder::Abcd,
        "CDAB" => WordOrder::Cdab,
        "BADC" => WordOrder::Badc,
        "DCBA" => WordOrder::Dcba,
        _ => return None,
    })
}

/// `type` with its companions `bit` and `registers`, checked against the table.
fn data_type(
    w: &mut Walker<'_>,
    s: &Section<'_, '_>,
    table: Option<Table>,
) -> Option<At<DataType>> {
    let ctx = s.context.as_str();
    let ty = w.req_str(s, "type");
    let bit = w.get_int(s, "bit", 0..=15);
    let registers = w.get_int(s, "registers", 1..=125);
    let ty = ty?;
    let name = ty.value.as_str();
    // `bit` and `registers` belong to one type each.
    for (key, owner) in [("bit", "bit"), ("registers", "string")] {
        if name != owner
            && keys::TYPE_NAMES.contains(&name)
            && let Some(span) = key_span(s.table, key)
        {
            w.error(
                &span,
                ctx,
                format!("`{key}` is only allowed with type = \"{owner}\""),
            );
        }
    }
    let dt = match name {
        "bool" => DataType::Bool,
        "bit" => match bit {
            Some(b) => DataType::Bit(u8::try_from(b.value).ok()?),
            None => {
                if key_span(s.table, "bit").is_none() {
                    w.error(
                        &ty.span,
                        ctx,
                        "type \"bit\" needs `bit = N` (0..=15, 0 = least significant)",
                    );
                }
                return None;
            }
        },
        "u16" => DataType::U16,
        "i16" => DataType::I16,
        "u32" => DataType::U32,
        "i32" => DataType::I32,
        "u64" => DataType::U64,
        "i64" => DataType::I64,
        "f32" => DataType::F32,
        "f64" => DataType::F64,
        "string" => match registers {
            Some(r) => DataType::String {
                registers: u16::try_from(r.value).ok()?,
            },
            None => {
                if key_span(s.table, "registers").is_none() {
                    w.error(
                        &ty.span,
                        ctx,
                        "type \"string\" needs `registers = N` (its length in registers)",
                    );
                }
                return None;
            }
        },
        other => {
            w.error(
                &ty.span,
                ctx,
                format!(
                    "unknown type `{other}`; expected one of {}",
                    list(keys::TYPE_NAMES)
                ),
            );
            return None;
        }
    };
    if let Some(table) = table.filter(|t| t.is_bits()) {
        let tname = if table == Table::Coil {
            "coil"
        } else {
            "discrete_input"
        };
        match dt {
            DataType::Bool => {}
            DataType::Bit(_) => {
                w.error(
                    &ty.span,
                    ctx,
                    format!("type \"bit\" selects a bit of a register, but a {tname} is a single bit already: use type \"bool\""),
                );
                return None;
            }
            _ => {
                w.error(
                    &ty.span,
                    ctx,
                    format!("a {tname} holds one bit: type must be \"bool\", found \"{name}\""),
                );
                return None;
            }
        }
    }
    Some(At {
        value: dt,
        span: ty.span,
    })
}

/// `states = { "0" = "stopp", "3" = "i drift" }`.
fn states(w: &mut Walker<'_>, s: &Section<'_, '_>, dt: Option<DataType>) -> BTreeMap<i64, String> {
    let ctx = s.context.as_str();
    let mut out = BTreeMap::new();
    let Some(sec) = w.get_table(s, "states", s.context.clone()) else {
        return out;
    };
    if let Some(DataType::F32 | DataType::F64 | DataType::String { .. }) = dt {
        w.error(&sec.span, ctx, "`states` need an integer or bool type");
        return out;
    }
    for (k, v) in sec.table.iter() {
        let Ok(raw) = k.get_ref().trim().parse::<i64>() else {
            w.error(
                &k.span(),
                ctx,
                format!(
                    "state `{}` must be an integer written as a key, e.g. \"3\"",
                    k.get_ref()
                ),
            );
            continue;
        };
        match v.get_ref() {
            DeValue::String(text) if !text.trim().is_empty() => {
                out.insert(raw, text.to_string());
            }
            _ => w.error(
                &v.span(),
                ctx,
                format!("the text of state {raw} must be a non-empty string"),
            ),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::model::PointKind;
    use crate::parse_str;

    fn with_point(point: &str) -> crate::Loaded {
        let src = format!(
            "[site]\nid = \"s\"\nname = \"S\"\n[[connections]]\nid = \"c\"\nhost = \"h\"\n\
             [[devices]]\nid = \"d\"\nconnection = \"c\"\nunit_id = 1\nsystem = \"el\"\n\
             [[devices.points]]\nid = \"p\"\ntable = \"holding\"\naddress = 0\n{point}\n"
        );
        parse_str(&src, "t.toml")
    }

    #[test]
    fn states_make_a_multistate_point() {
        let loaded =
            with_point("type = \"u16\"\nstates = { \"0\" = \"stopp\", \"3\" = \"i drift\" }");
        let config = loaded.config.expect("valid");
        let p = &config.devices[0].points[0];
        assert_eq!(p.kind(), PointKind::Multistate);
        assert_eq!(p.states.get(&3).map(String::as_str), Some("i drift"));
        assert!(
            loaded.diagnostics.is_empty(),
            "a multistate point needs no unit"
        );
    }

    #[test]
    fn order_is_case_insensitive_and_bad_point_ids_are_refused() {
        let loaded = with_point("type = \"u32\"\norder = \"cdab\"\nunit = \"V\"");
        assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
        let loaded = with_point("type = \"u16\"\nunit = \"V\"").diagnostics.len();
        assert_eq!(loaded, 0);
        let src = "[site]\nid = \"s\"\nname = \"S\"\n[[connections]]\nid = \"c\"\nhost = \"h\"\n\
                   [[devices]]\nid = \"d\"\nconnection = \"c\"\nunit_id = 1\nsystem = \"el\"\n\
                   [[devices.points]]\nid = \"Fuel.Level\"\ntable = \"holding\"\naddress = 0\ntype = \"u16\"\nunit = \"%\"\n";
        let loaded = parse_str(src, "t.toml");
        assert!(
            loaded
                .errors()
                .any(|d| d.line == 13 && d.message.contains("may only contain")),
            "{:?}",
            loaded.diagnostics
        );
    }
}
