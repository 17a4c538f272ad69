//! `sentinels = "gencomm"` or `sentinels = [{ raw = 65535, meaning = "not_available" }, ...]`.

use toml::de::DeValue;

use crate::keys;
use crate::model::{DataType, Sentinel, SentinelMeaning};
use crate::parse::common::{Section, Walker, describe, list};

/// The GenComm convention for `dt`: all ones masked to the type (0x7FFF… for signed types) =
/// not available, then the codes just below it: −2 over range, −3 under range, −4 transducer
/// fault and −5 bad data (both sensor fault). `None` for types it does not apply to.
pub fn gencomm(dt: DataType) -> Option<Vec<Sentinel>> {
    let all_ones: i128 = match dt {
        DataType::U16 => 0xFFFF,
        DataType::I16 => 0x7FFF,
        DataType::U32 => 0xFFFF_FFFF,
        DataType::I32 => 0x7FFF_FFFF,
        DataType::U64 => i128::from(u64::MAX),
        DataType::I64 => i128::from(i64::MAX),
        _ => return None,
    };
    let codes = [
        SentinelMeaning::NotAvailable,
        SentinelMeaning::OverRange,
        SentinelMeaning::UnderRange,
        SentinelMeaning::SensorFault,
        SentinelMeaning::SensorFault,
    ];
    Some(
        codes
            .into_iter()
            .zip(0..)
            .map(|(meaning, below)| Sentinel {
                raw: all_ones - below,
                meaning,
            })
            .collect(),
    )
}

/// The raw values type `dt` can produce, if sentinels make sense for it.
fn raw_range(dt: DataType) -> Option<std::ops::RangeInclusive<i128>> {
    Some(match dt {
        DataType::U16 => 0..=i128::from(u16::MAX),
        DataType::I16 => i128::from(i16::MIN)..=i128::from(i16::MAX),
        DataType::U32 => 0..=i128::from(u32::MAX),
        DataType::I32 => i128::from(i32::MIN)..=i128::from(i32::MAX),
        DataType::U64 => 0..=i128::from(u64::MAX),
        DataType::I64 => i128::from(i64::MIN)..=i128::from(i64::MAX),
        _ => return None,
    })
}

fn type_name(dt: DataType) -> &'static str {
    match dt {
        DataType::Bool => "bool",
        DataType::Bit(_) => "bit",
        DataType::U16 => "u16",
        DataType::I16 => "i16",
        DataType::U32 => "u32",
        DataType::I32 => "i32",
        DataType::U64 => "u64",
        DataType::I64 => "i64",
        DataType::F32 => "f32",
        DataType::F64 => "f64",
        DataType::String { .. } => "string",
    }
}

/// Read `sentinels` of point section `s` whose type is `dt` (if known).
pub(crate) fn sentinels(
    w: &mut Walker<'_>,
    s: &Section<'_, '_>,
    dt: Option<DataType>,
) -> Vec<Sentinel> {
    let ctx = s.context.as_str();
    let Some(v) = s.table.get("sentinels") else {
        return Vec::new();
    };
    match v.get_ref() {
        DeValue::String(name) if name.as_ref() == "gencomm" => {
            let Some(dt) = dt else { return Vec::new() };
            gencomm(dt).unwrap_or_else(|| {
                w.warning(
                    &v.span(),
                    ctx,
                    format!("GenComm sentinels are defined for integer types only; none apply to type \"{}\"", type_name(dt)),
                );
                Vec::new()
            })
        }
        DeValue::String(name) => {
            w.error(
                &v.span(),
                ctx,
                format!("unknown sentinel preset `{name}`; expected \"gencomm\" or a list of {{ raw = N, meaning = \"...\" }}"),
            );
            Vec::new()
        }
        DeValue::Array(items) => {
            if let Some(dt) = dt
                && raw_range(dt).is_none()
                && !items.is_empty()
            {
                w.error(
                    &v.span(),
                    ctx,
                    format!(
                        "sentinels apply to integer types only, not to type \"{}\"",
                        type_name(dt)
                    ),
                );
                return Vec::new();
            }
            let mut out = Vec::new();
            for item in items.iter() {
                let DeValue::Table(t) = item.get_ref() else {
                    w.error(
                        &item.span(),
                        ctx,
                        format!(
                            "each sentinel must be {{ raw = N, meaning = \"...\" }}, found {}",
                            describe(item.get_ref())
                        ),
                    );
                    continue;
                };
                let sec = Section {
                    table: t,
                    span: item.span(),
                    context: s.context.clone(),
                };
                w.expect_keys(&sec, keys::SENTINEL);
                let raw = w.req_int(&sec, "raw", i128::from(i64::MIN)..=i128::from(u64::MAX));
                let meaning = w.req_str(&sec, "meaning").and_then(|m| {
                    let parsed = match m.value.as_str() {
                        "not_available" => Some(SentinelMeaning::NotAvailable),
                        "over_range" => Some(SentinelMeaning::OverRange),
                        "under_range" => Some(SentinelMeaning::UnderRange),
                        "sensor_fault" => Some(SentinelMeaning::SensorFault),
                        _ => None,
                    };
                    if parsed.is_none() {
                        w.error(
                            &m.span,
                            ctx,
                            format!(
                                "unknown sentinel meaning `{}`; expected one of {}",
                                m.value,
                                list(keys::MEANING_NAMES)
                            ),
                        );
                    }
                    parsed
                });
                let (Some(raw), Some(meaning)) = (raw, meaning) else {
                    continue;
                };
                if let Some(range) = dt.and_then(raw_range)
                    && !range.contains(&raw.value)
                {
                    w.error(
                        &raw.span,
                        ctx,
                        format!(
                            "sentinel {} can never be read as type \"{}\" ({}..={})",
                            raw.value,
                            dt.map_or("?", type_name),
                            range.start(),
                            range.end()
                        ),
                    );
                    continue;
                }
                out.push(Sentinel {
                    raw: raw.value,
                    meaning,
                });
            }
            out
        }
        other => {
            w.error(
                &v.span(),
                ctx,
                format!("`sentinels` must be \"gencomm\" or an array of {{ raw = N, meaning = \"...\" }}, found {}", describe(other)),
            );
            Vec::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use SentinelMeaning::*;

    fn raws(dt: DataType) -> Vec<(i128, SentinelMeaning)> {
        gencomm(dt)
            .expect("integer type")
            .into_iter()
            .map(|s| (s.raw, s.meaning))
            .collect()
    }

    #[test]
    fn gencomm_u16_is_all_ones_and_codes_below() {
        assert_eq!(
            raws(DataType::U16),
            vec![
                (65535, NotAvailable),
                (65534, OverRange),
                (65533, UnderRange),
                (65532, SensorFault),
                (65531, SensorFault)
            ]
        );
    }

    #[test]
    fn gencomm_i16_is_masked_to_0x7fff() {
        assert_eq!(
            raws(DataType::I16),
            vec![
                (32767, NotAvailable),
                (32766, OverRange),
                (32765, UnderRange),
                (32764, SensorFault),
                (32763, SensorFault)
            ]
        );
    }

    #[test]
    fn gencomm_u32_and_i32() {
        assert_eq!(raws(DataType::U32)[0], (0xFFFF_FFFF, NotAvailable));
        assert_eq!(raws(DataType::U32)[4], (0xFFFF_FFFB, SensorFault));
        assert_eq!(
            raws(DataType::I32),
            vec![
                (0x7FFF_FFFF, NotAvailable),
                (0x7FFF_FFFE, OverRange),
                (0x7FFF_FFFD, UnderRange),
                (0x7FFF_FFFC, SensorFault),
                (0x7FFF_FFFB, SensorFault)
            ]
        );
    }

    #[test]
    fn gencomm_does_not_apply_to_floats_bits_or_text() {
        for dt in [
            DataType::F32,
            DataType::F64,
            DataType::Bool,
            DataType::Bit(2),
            DataType::String { registers: 4 },
        ] {
            assert_eq!(gencomm(dt), None, "{dt:?}");
        }
    }

    fn loaded(points: &str) -> crate::Loaded {
        let src = format!(
            "[site]\nid = \"s\"\nname = \"S\"\n[[connections]]\nid = \"c\"\nhost = \"h\"\n\
             [[devices]]\nid = \"d\"\nconnection = \"c\"\nunit_id = 1\nsystem = \"el\"\n{points}"
        );
        crate::parse_str(&src, "t.toml")
    }

    fn point(id: &str, address: u16, ty: &str, extra: &str) -> String {
        format!(
            "[[devices.points]]\nid = \"{id}\"\ntable = \"holding\"\naddress = {address}\ntype = \"{ty}\"\nunit = \"V\"\n{extra}\n"
        )
    }

    #[test]
    fn gencomm_preset_expands_per_point_type() {
        let pts: String = [
            ("a", 0, "u16"),
            ("b", 1, "i16"),
            ("c", 2, "u32"),
            ("e", 4, "i32"),
        ]
        .iter()
        .map(|(id, addr, ty)| point(id, *addr, ty, "sentinels = \"gencomm\""))
        .collect();
        let l = loaded(&pts);
        assert!(l.diagnostics.is_empty(), "{:?}", l.diagnostics);
        let config = l.config.expect("valid");
        let first: Vec<i128> = config.points().map(|(_, p)| p.sentinels[0].raw).collect();
        assert_eq!(first, [0xFFFF, 0x7FFF, 0xFFFF_FFFF, 0x7FFF_FFFF]);
        assert!(config.points().all(|(_, p)| p.sentinels.len() == 5));
        let i16_point = &config.devices[0].points[1];
        assert_eq!(
            i16_point.sentinels[1],
            Sentinel {
                raw: 0x7FFE,
                meaning: OverRange
            }
        );
    }

    #[test]
    fn explicit_sentinels_are_kept_in_order() {
        let l = loaded(&point(
            "a",
            0,
            "i16",
            r#"sentinels = [{ raw = -1, meaning = "not_available" }, { raw = 0x7FFF, meaning = "sensor_fault" }]"#,
        ));
        let config = l.config.expect("valid");
        assert_eq!(
            config.devices[0].points[0].sentinels,
            [
                Sentinel {
                    raw: -1,
                    meaning: NotAvailable
                },
                Sentinel {
                    raw: 32767,
                    meaning: SensorFault
                }
            ]
        );
    }

    #[test]
    fn gencomm_on_a_float_is_a_warning_with_no_sentinels() {
        let l = loaded(&point("a", 0, "f32", "sentinels = \"gencomm\""));
        assert_eq!(l.warnings().count(), 1, "{:?}", l.diagnostics);
        let config = l.config.expect("a warning does not block");
        assert!(config.devices[0].points[0].sentinels.is_empty());
    }
}
