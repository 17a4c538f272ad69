//! Register contents → value and quality, for one point.
//!
//! Order of work: assemble the raw value in the point's byte/word order, compare it with the
//! point's sentinels (on the raw integer, sign-extended for signed types), reject NaN/∞, and only
//! then apply `raw * scale + offset`. Bad qualities carry no value.

use driftvakt_config::model::{DataType, Point, Sentinel, SentinelMeaning, WordOrder};

use driftvakt_domain::{Quality, Value};

/// Decode a point of a register table from its registers (`regs[0]` is the point's address).
///
/// Registers beyond the point's width are ignored; too few registers (a short response) give
/// `DeviceFault` without a value.
pub fn decode(point: &Point, regs: &[u16]) -> (Option<Value>, Quality) {
    let Some(source) = point.modbus() else {
        return (None, Quality::DeviceFault);
    };
    let data_type = source.data_type;
    let width = usize::from(data_type.width());
    let Some(regs) = regs.get(..width) else {
        return (None, Quality::DeviceFault);
    };
    let order = source.order;
    match data_type {
        DataType::Bool => {
            let raw = regs[0];
            if let Some(q) = sentinel_quality(&point.sentinels, i128::from(raw)) {
                return (None, q);
            }
            (Some(Value::Bool(raw != 0)), Quality::Good)
        }
        DataType::Bit(bit) => {
            if bit > 15 {
                // Validation rejects this; never panic on it.
                return (None, Quality::DeviceFault);
            }
            let raw = ordered_u16(regs[0], order);
            decode_bit(point, (raw >> bit) & 1 == 1)
        }
        DataType::U16 => integer(point, i128::from(ordered_u16(regs[0], order))),
        DataType::I16 => integer(point, i128::from(ordered_u16(regs[0], order) as i16)),
        DataType::U32 => integer(
            point,
            i128::from(u32::from_be_bytes(be_bytes::<4>(regs, order))),
        ),
        DataType::I32 => integer(
            point,
            i128::from(i32::from_be_bytes(be_bytes::<4>(regs, order))),
        ),
        DataType::U64 => integer(
            point,
            i128::from(u64::from_be_bytes(be_bytes::<8>(regs, order))),
        ),
        DataType::I64 => integer(
            point,
            i128::from(i64::from_be_bytes(be_bytes::<8>(regs, order))),
        ),
        DataType::F32 => float(
            point,
            f64::from(f32::from_be_bytes(be_bytes::<4>(regs, order))),
        ),
        DataType::F64 => float(point, f64::from_be_bytes(be_bytes::<8>(regs, order))),
        DataType::String { .. } => (Some(Value::Text(text(regs, order))), Quality::Good),
    }
}

/// Decode a point of a bit table (coil or discrete input) from its bit.
pub fn decode_bit(point: &Point, bit: bool) -> (Option<Value>, Quality) {
    let raw = i128::from(u8::from(bit));
    if let Some(q) = sentinel_quality(&point.sentinels, raw) {
        return (None, q);
    }
    let Some(source) = point.modbus() else {
        return (None, Quality::DeviceFault);
    };
    match source.data_type {
        DataType::Bool | DataType::Bit(_) => (Some(Value::Bool(bit)), Quality::Good),
        DataType::String { .. } => (None, Quality::DeviceFault),
        _ => scaled(point, raw as f64),
    }
}

/// The quality a sentinel gives, if `raw` is one.
fn sentinel_quality(sentinels: &[Sentinel], raw: i128) -> Option<Quality> {
    sentinels
        .iter()
        .find(|s| s.raw == raw)
        .map(|s| match s.meaning {
            SentinelMeaning::NotAvailable => Quality::NotAvailable,
            SentinelMeaning::OverRange | SentinelMeaning::UnderRange => Quality::OutOfRange,
            SentinelMeaning::SensorFault => Quality::DeviceFault,
        })
}

fn integer(point: &Point, raw: i128) -> (Option<Value>, Quality) {
    if let Some(q) = sentinel_quality(&point.sentinels, raw) {
        return (None, q);
    }
    scaled(point, raw as f64)
}

fn float(point: &Point, raw: f64) -> (Option<Value>, Quality) {
    if raw.is_nan() {
        return (None, Quality::NotAvailable);
    }
    if raw.is_infinite() {
        return (None, Quality::OutOfRange);
    }
    // Sentinels on floats match whole numbers exactly (e.g. -1.0 for "not available").
    if raw.fract() == 0.0
        && raw.abs() < 1e30
        && let Some(q) = sentinel_quality(&point.sentinels, raw as i128)
    {
        return (None, q);
    }
    scaled(point, raw)
}

fn scaled(point: &Point, raw: f64) -> (Option<Value>, Quality) {
    let value = raw * point.scale + point.offset;
    if value.is_finite() {
        (Some(Value::Number(value)), Quality::Good)
    } else {
        (None, Quality::OutOfRange)
    }
}

/// Whether the order swaps the two bytes inside each register.
fn swaps_bytes(order: WordOrder) -> bool {
    matches!(order, WordOrder::Badc | WordOrder::Dcba)
}

/// Whether the order puts the least significant register first.
fn reverses_words(order: WordOrder) -> bool {
    matches!(order, WordOrder::Cdab | WordOrder::Dcba)
}

/// A single register in the point's byte order (BADC/DCBA swap its bytes).
fn ordered_u16(reg: u16, order: WordOrder) -> u16 {
    if swaps_bytes(order) {
        reg.swap_bytes()
    } else {
        reg
    }
}

/// The value's bytes, most significant first, from `N / 2` registers in `order`.
fn be_bytes<const N: usize>(regs: &[u16], order: WordOrder) -> [u8; N] {
    let mut out = [0u8; N];
    let words = N / 2;
    for (i, chunk) in out.chunks_exact_mut(2).enumerate() {
        let idx = if reverses_words(order) {
            words - 1 - i
        } else {
            i
        };
        let reg = regs.get(idx).copied().unwrap_or(0);
        chunk.copy_from_slice(&ordered_u16(reg, order).to_be_bytes());
    }
    out
}

/// Two bytes per register, first character in the high byte (swapped for BADC/DCBA); cut at
/// the first NUL, trailing spaces trimmed, invalid UTF-8 replaced.
pub(crate) fn text(regs: &[u16], order: WordOrder) -> String {
    let bytes: Vec<u8> = regs
        .iter()
        .flat_map(|&r| ordered_u16(r, order).to_be_bytes())
        .collect();
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end])
        .trim_end_matches(' ')
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use driftvakt_config::model::{PointSource, Table};
    

    fn point(data_type: DataType, order: WordOrder) -> Point {
        Point::plain_modbus("g1.test", Table::HoldingRegister, 0, data_type, order)
    }

    fn with_sentinel(mut p: Point, raw: i128, meaning: SentinelMeaning) -> Point {
        p.sentinels.push(Sentinel { raw, meaning });
        p
    }

    fn num(p: &Point, regs: &[u16]) -> f64 {
        match decode(p, regs) {
            (Some(Value::Number(v)), Quality::Good) => v,
            other => panic!("expected a good number, got {other:?}"),
        }
    }

    // f32 239.5 = 0x436F8000: bytes A=43 B=6F C=80 D=00.
    #[test]
    fn f32_239_5_in_all_four_orders() {
        let cases = [
            (WordOrder::Abcd, [0x436F, 0x8000]),
            (WordOrder::Cdab, [0x8000, 0x436F]),
            (WordOrder::Badc, [0x6F43, 0x0080]),
            (WordOrder::Dcba, [0x0080, 0x6F43]),
        ];
        for (order, regs) in cases {
            assert_eq!(num(&point(DataType::F32, order), &regs), 239.5, "{order:?}");
        }
    }

    // The Telegraf#8855 mistake: CDAB float read as ABCD gives garbage, not 239.
    #[test]
    fn f32_wrong_order_is_not_the_value() {
        let v = num(&point(DataType::F32, WordOrder::Abcd), &[0x8000, 0x436F]);
        assert_ne!(v, 239.5);
    }

    // i32 -2 = 0xFFFFFFFE.
    #[test]
    fn i32_minus_two_in_all_orders() {
        let cases = [
            (WordOrder::Abcd, [0xFFFF, 0xFFFE]),
            (WordOrder::Cdab, [0xFFFE, 0xFFFF]),
            (WordOrder::Badc, [0xFFFF, 0xFEFF]),
            (WordOrder::Dcba, [0xFEFF, 0xFFFF]),
        ];
        for (order, regs) in cases {
            assert_eq!(num(&point(DataType::I32, order), &regs), -2.0, "{order:?}");
        }
    }

    // u32 0x12345678 = 305419896.
    #[test]
    fn u32_in_all_orders() {
        let cases = [
            (WordOrder::Abcd, [0x1234, 0x5678]),
            (WordOrder::Cdab, [0x5678, 0x1234]),
            (WordOrder::Badc, [0x3412, 0x7856]),
            (WordOrder::Dcba, [0x7856, 0x3412]),
        ];
        for (order, regs) in cases {
            assert_eq!(
                num(&point(DataType::U32, order), &regs),
                305_419_896.0,
                "{order:?}"
            );
        }
    }

    // u64 0x0102030405060708 = 72623859790382856 (ABCDEFGH).
    #[test]
    fn u64_in_all_orders() {
        let cases = [
            (WordOrder::Abcd, [0x0102, 0x0304, 0x0506, 0x0708]),
            (WordOrder::Cdab, [0x0708, 0x0506, 0x0304, 0x0102]),
            (WordOrder::Badc, [0x0201, 0x0403, 0x0605, 0x0807]),
            (WordOrder::Dcba, [0x0807, 0x0605, 0x0403, 0x0201]),
        ];
        for (order, regs) in cases {
            assert_eq!(
                num(&point(DataType::U64, order), &regs),
                72_623_859_790_382_856_f64,
                "{order:?}"
            );
        }
    }

    #[test]
    fn i64_negative_and_large() {
        let p = point(DataType::I64, WordOrder::Abcd);
        assert_eq!(num(&p, &[0xFFFF, 0xFFFF, 0xFFFF, 0xFF85]), -123.0);
        let p = point(DataType::I64, WordOrder::Dcba);
        assert_eq!(num(&p, &[0x85FF, 0xFFFF, 0xFFFF, 0xFFFF]), -123.0);
        // 1 000 000 000 000 = 0x000000E8D4A51000
        let p = point(DataType::I64, WordOrder::Cdab);
        assert_eq!(num(&p, &[0x1000, 0xD4A5, 0x00E8, 0x0000]), 1e12);
    }

    // f64 -1234.5 = 0xC0934A0000000000.
    #[test]
    fn f64_in_all_orders() {
        let cases = [
            (WordOrder::Abcd, [0xC093, 0x4A00, 0x0000, 0x0000]),
            (WordOrder::Cdab, [0x0000, 0x0000, 0x4A00, 0xC093]),
            (WordOrder::Badc, [0x93C0, 0x004A, 0x0000, 0x0000]),
            (WordOrder::Dcba, [0x0000, 0x0000, 0x004A, 0x93C0]),
        ];
        for (order, regs) in cases {
            assert_eq!(
                num(&point(DataType::F64, order), &regs),
                -1234.5,
                "{order:?}"
            );
        }
    }

    #[test]
    fn sixteen_bit_types_and_byte_swap() {
        assert_eq!(
            num(&point(DataType::U16, WordOrder::Abcd), &[0xFFFE]),
            65534.0
        );
        assert_eq!(num(&point(DataType::I16, WordOrder::Abcd), &[0xFFFE]), -2.0);
        assert_eq!(
            num(&point(DataType::I16, WordOrder::Cdab), &[0xFF85]),
            -123.0
        );
        assert_eq!(
            num(&point(DataType::U16, WordOrder::Badc), &[0x3412]),
            4660.0
        );
        assert_eq!(
            num(&point(DataType::I16, WordOrder::Dcba), &[0x85FF]),
            -123.0
        );
    }

    #[test]
    fn scale_and_offset_after_raw() {
        let mut p = point(DataType::U16, WordOrder::Abcd);
        p.scale = 0.1;
        p.offset = -40.0;
        let v = num(&p, &[2395]);
        assert!((v - 199.5).abs() < 1e-9, "{v}");
    }

    #[test]
    fn multistate_returns_the_raw_code() {
        let mut p = point(DataType::U16, WordOrder::Abcd);
        p.states.insert(3, "drift".into());
        assert_eq!(decode(&p, &[3]), (Some(Value::Number(3.0)), Quality::Good));
    }

    #[test]
    fn sentinel_u16_ffff_is_not_available() {
        let p = with_sentinel(
            point(DataType::U16, WordOrder::Abcd),
            0xFFFF,
            SentinelMeaning::NotAvailable,
        );
        assert_eq!(decode(&p, &[0xFFFF]), (None, Quality::NotAvailable));
        assert_eq!(num(&p, &[0xFFFE]), 65534.0);
    }

    #[test]
    fn sentinel_i16_7fff_and_sign_extended_minus_one() {
        let p = with_sentinel(
            point(DataType::I16, WordOrder::Abcd),
            0x7FFF,
            SentinelMeaning::NotAvailable,
        );
        assert_eq!(decode(&p, &[0x7FFF]), (None, Quality::NotAvailable));
        let p = with_sentinel(
            point(DataType::I16, WordOrder::Abcd),
            -4,
            SentinelMeaning::SensorFault,
        );
        assert_eq!(decode(&p, &[0xFFFC]), (None, Quality::DeviceFault));
        // Unsigned reading of the same bits does not match a negative sentinel.
        let p = with_sentinel(
            point(DataType::U16, WordOrder::Abcd),
            -4,
            SentinelMeaning::SensorFault,
        );
        assert_eq!(num(&p, &[0xFFFC]), 65532.0);
    }

    #[test]
    fn sentinel_u32_fffffffe_is_over_range() {
        let p = with_sentinel(
            point(DataType::U32, WordOrder::Abcd),
            0xFFFF_FFFE,
            SentinelMeaning::OverRange,
        );
        assert_eq!(decode(&p, &[0xFFFF, 0xFFFE]), (None, Quality::OutOfRange));
        let p = with_sentinel(
            point(DataType::I32, WordOrder::Cdab),
            -3,
            SentinelMeaning::UnderRange,
        );
        assert_eq!(decode(&p, &[0xFFFD, 0xFFFF]), (None, Quality::OutOfRange));
    }

    #[test]
    fn sentinel_checked_before_scale() {
        let mut p = with_sentinel(
            point(DataType::U16, WordOrder::Abcd),
            0xFFFF,
            SentinelMeaning::NotAvailable,
        );
        p.scale = 0.1;
        assert_eq!(decode(&p, &[0xFFFF]), (None, Quality::NotAvailable));
        // 6553.5 (the scaled sentinel) is not itself treated as a sentinel.
        p.sentinels[0].raw = 6553;
        let v = num(&p, &[0xFFFF]);
        assert!((v - 6553.5).abs() < 1e-9);
    }

    #[test]
    fn float_nan_and_infinity() {
        let p = point(DataType::F32, WordOrder::Abcd);
        assert_eq!(decode(&p, &[0x7FC0, 0x0000]), (None, Quality::NotAvailable));
        assert_eq!(decode(&p, &[0x7F80, 0x0000]), (None, Quality::OutOfRange));
        assert_eq!(decode(&p, &[0xFF80, 0x0000]), (None, Quality::OutOfRange));
        let p = point(DataType::F64, WordOrder::Abcd);
        assert_eq!(
            decode(&p, &[0x7FF8, 0, 0, 0]),
            (None, Quality::NotAvailable)
        );
    }

    #[test]
    fn float_sentinel_on_whole_number() {
        // -1.0f32 = 0xBF800000
        let p = with_sentinel(
            point(DataType::F32, WordOrder::Abcd),
            -1,
            SentinelMeaning::NotAvailable,
        );
        assert_eq!(decode(&p, &[0xBF80, 0x0000]), (None, Quality::NotAvailable));
    }

    #[test]
    fn strings_in_orders_with_nul_and_space_trim() {
        // "DSE 8610" + two spaces + NULs
        let abcd = [0x4453, 0x4520, 0x3836, 0x3130, 0x2020, 0x0000];
        let p = point(DataType::String { registers: 6 }, WordOrder::Abcd);
        assert_eq!(
            decode(&p, &abcd),
            (Some(Value::Text("DSE 8610".into())), Quality::Good)
        );
        let p = point(DataType::String { registers: 6 }, WordOrder::Cdab);
        assert_eq!(decode(&p, &abcd).0, Some(Value::Text("DSE 8610".into())));
        let swapped: Vec<u16> = abcd.iter().map(|r| r.swap_bytes()).collect();
        for order in [WordOrder::Badc, WordOrder::Dcba] {
            let p = point(DataType::String { registers: 6 }, order);
            assert_eq!(
                decode(&p, &swapped).0,
                Some(Value::Text("DSE 8610".into())),
                "{order:?}"
            );
        }
        // Garbage after the terminating NUL is ignored.
        let p = point(DataType::String { registers: 2 }, WordOrder::Abcd);
        assert_eq!(
            decode(&p, &[0x4100, 0x4242]).0,
            Some(Value::Text("A".into()))
        );
    }

    #[test]
    fn string_non_utf8_is_lossy() {
        let p = point(DataType::String { registers: 1 }, WordOrder::Abcd);
        assert_eq!(
            decode(&p, &[0x41FF]).0,
            Some(Value::Text("A\u{FFFD}".into()))
        );
    }

    #[test]
    fn bits_in_registers_and_bool() {
        let p = point(DataType::Bit(0), WordOrder::Abcd);
        assert_eq!(
            decode(&p, &[0x0001]),
            (Some(Value::Bool(true)), Quality::Good)
        );
        let p = point(DataType::Bit(15), WordOrder::Abcd);
        assert_eq!(decode(&p, &[0x8000]).0, Some(Value::Bool(true)));
        assert_eq!(decode(&p, &[0x7FFF]).0, Some(Value::Bool(false)));
        // BADC: bit 0 of the value sits in the register's high byte.
        let p = point(DataType::Bit(0), WordOrder::Badc);
        assert_eq!(decode(&p, &[0x0100]).0, Some(Value::Bool(true)));
        let p = point(DataType::Bool, WordOrder::Abcd);
        assert_eq!(decode(&p, &[0x0004]).0, Some(Value::Bool(true)));
        assert_eq!(decode(&p, &[0]).0, Some(Value::Bool(false)));
        let p = point(DataType::Bit(16), WordOrder::Abcd);
        assert_eq!(decode(&p, &[0xFFFF]), (None, Quality::DeviceFault));
    }

    #[test]
    fn bit_tables() {
        let mut p = point(DataType::Bool, WordOrder::Abcd);
        if let PointSource::Modbus(m) = &mut p.source {
            m.table = Table::Coil;
        }
        assert_eq!(
            decode_bit(&p, true),
            (Some(Value::Bool(true)), Quality::Good)
        );
        assert_eq!(
            decode_bit(&p, false),
            (Some(Value::Bool(false)), Quality::Good)
        );
        let p = point(DataType::U16, WordOrder::Abcd);
        assert_eq!(
            decode_bit(&p, true),
            (Some(Value::Number(1.0)), Quality::Good)
        );
    }

    #[test]
    fn short_response_is_device_fault_not_panic() {
        assert_eq!(
            decode(&point(DataType::F64, WordOrder::Abcd), &[1, 2]),
            (None, Quality::DeviceFault)
        );
        assert_eq!(
            decode(&point(DataType::U16, WordOrder::Abcd), &[]),
            (None, Quality::DeviceFault)
        );
    }
}
