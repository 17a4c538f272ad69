//! Commissioning probe: read raw registers once and show every plausible interpretation.
//!
//! Byte/word order and the address base are the two mistakes commissioning makes most; the probe
//! prints each start register as u16/i16 and each pair as u32/i32/f32 in all four orders, with
//! the config keywords (`type`, `order`) so the right line can be copied, plus hints about the
//! address. Read-only: it sends one read request.

use std::fmt;
use std::time::Duration;

use driftvakt_config::model::{Framing, Table, WordOrder};

use super::client::{ConnectError, Link, RequestError, exception, exception_hint};
use super::plan::{PROTOCOL_MAX_BITS, PROTOCOL_MAX_REGISTERS, ReadRequest};

/// Why a probe read failed.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// The count is 0 or above the protocol limit for the table.
    #[error("cannot read {count} {}: between 1 and {max} allowed", table_unit(*table))]
    InvalidCount {
        /// Table asked for.
        table: Table,
        /// Count asked for.
        count: u16,
        /// Protocol limit.
        max: u16,
    },
    /// The address range runs past 65535.
    #[error("address {address} + {count} runs past the end of the address space (65535)")]
    AddressOverflow {
        /// First address.
        address: u16,
        /// Count asked for.
        count: u16,
    },
    /// Could not connect.
    #[error(transparent)]
    Connect(#[from] ConnectError),
    /// The read failed (timeout, exception, I/O).
    #[error("reading {count} {} at {address} from unit {unit}: {source}", table_name(*table))]
    Read {
        /// Unit id.
        unit: u8,
        /// Table.
        table: Table,
        /// First address.
        address: u16,
        /// Count.
        count: u16,
        /// What went wrong.
        source: RequestError,
    },
}

impl ProbeError {
    /// The Modbus exception code, if the device answered with one.
    pub fn exception_code(&self) -> Option<u8> {
        match self {
            ProbeError::Read {
                source: RequestError::Exception { code },
                ..
            } => Some(*code),
            _ => None,
        }
    }
}

pub(crate) fn table_name(table: Table) -> &'static str {
    match table {
        Table::Coil => "coils",
        Table::DiscreteInput => "discrete inputs",
        Table::InputRegister => "input registers",
        Table::HoldingRegister => "holding registers",
    }
}

fn table_unit(table: Table) -> &'static str {
    if table.is_bits() { "bits" } else { "registers" }
}

/// Read `count` registers (or bits, as 0/1) once, for commissioning.
#[allow(clippy::too_many_arguments)]
pub async fn read_raw(
    host: &str,
    port: u16,
    framing: Framing,
    unit: u8,
    table: Table,
    address: u16,
    count: u16,
    timeout: Duration,
) -> Result<Vec<u16>, ProbeError> {
    let max = if table.is_bits() {
        PROTOCOL_MAX_BITS
    } else {
        PROTOCOL_MAX_REGISTERS
    };
    if count == 0 || count > max {
        return Err(ProbeError::InvalidCount { table, count, max });
    }
    if address.checked_add(count - 1).is_none() {
        return Err(ProbeError::AddressOverflow { address, count });
    }
    let mut link = Link::connect(host, port, framing, timeout).await?;
    let req = ReadRequest {
        table,
        start: address,
        count,
    };
    let result = link.read(unit, &req, timeout).await;
    link.close().await;
    result.map_err(|source| ProbeError::Read {
        unit,
        table,
        address,
        count,
        source,
    })
}

/// A decoded value in a probe listing.
#[derive(Debug, Clone, PartialEq)]
pub enum ProbeValue {
    /// An integer type.
    Integer(i128),
    /// A float type (may be NaN or infinite: shown as is).
    Float(f64),
    /// Text of all registers.
    Text(String),
}

impl fmt::Display for ProbeValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProbeValue::Integer(v) => write!(f, "{v}"),
            ProbeValue::Float(v) if v.is_finite() && v.abs() >= 1e-4 && v.abs() < 1e9 => {
                write!(f, "{}", (v * 1e6).round() / 1e6)
            }
            ProbeValue::Float(v) => write!(f, "{v:.4e}"),
            ProbeValue::Text(s) => write!(f, "{s:?}"),
        }
    }
}

/// One way to read the registers at `address`.
#[derive(Debug, Clone, PartialEq)]
pub struct Interpretation {
    /// First (protocol, 0-based) address of the value.
    pub address: u16,
    /// Data type, as the config spells it (`u16`, `i32`, `f32`, `string`, …).
    pub data_type: &'static str,
    /// Byte/word order for multi-register types, as the config spells it.
    pub order: Option<&'static str>,
    /// The raw registers the value was made from.
    pub raw: Vec<u16>,
    /// The value.
    pub value: ProbeValue,
}

impl fmt::Display for Interpretation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let raw: Vec<String> = self.raw.iter().map(|r| format!("{r:04X}")).collect();
        let raw = raw.join(" ");
        write!(
            f,
            "{:>5}  {:<6} {:<5}  [{:<9}]  {}",
            self.address,
            self.data_type,
            self.order.unwrap_or(""),
            raw,
            self.value
        )
    }
}

const ORDERS: [(WordOrder, &str); 4] = [
    (WordOrder::Abcd, "ABCD"),
    (WordOrder::Cdab, "CDAB"),
    (WordOrder::Badc, "BADC"),
    (WordOrder::Dcba, "DCBA"),
];

/// Every plausible reading of `regs` (read from `address`): u16/i16 per register, then
/// u32/i32/f32 in all four orders per pair of neighbours, then the whole block as text.
pub fn interpretations(address: u16, regs: &[u16]) -> Vec<Interpretation> {
    let mut out = Vec::new();
    for (i, &r) in regs.iter().enumerate() {
        let Some(addr) = offset_address(address, i) else {
            break;
        };
        out.push(Interpretation {
            address: addr,
            data_type: "u16",
            order: None,
            raw: vec![r],
            value: ProbeValue::Integer(i128::from(r)),
        });
        out.push(Interpretation {
            address: addr,
            data_type: "i16",
            order: None,
            raw: vec![r],
            value: ProbeValue::Integer(i128::from(r as i16)),
        });
    }
    for (i, pair) in regs.windows(2).enumerate() {
        let Some(addr) = offset_address(address, i) else {
            break;
        };
        for (order, name) in ORDERS {
            let bytes = pair_bytes(pair, order);
            let values = [
                (
                    "u32",
                    ProbeValue::Integer(i128::from(u32::from_be_bytes(bytes))),
                ),
                (
                    "i32",
                    ProbeValue::Integer(i128::from(i32::from_be_bytes(bytes))),
                ),
                (
                    "f32",
                    ProbeValue::Float(f64::from(f32::from_be_bytes(bytes))),
                ),
            ];
            for (data_type, value) in values {
                out.push(Interpretation {
                    address: addr,
                    data_type,
                    order: Some(name),
                    raw: pair.to_vec(),
                    value,
                });
            }
        }
    }
    if !regs.is_empty() {
        for (order, name) in [(WordOrder::Abcd, "ABCD"), (WordOrder::Badc, "BADC")] {
            out.push(Interpretation {
                address,
                data_type: "string",
                order: Some(name),
                raw: regs.to_vec(),
                value: ProbeValue::Text(super::decode::text(regs, order)),
            });
        }
    }
    out
}

fn offset_address(address: u16, i: usize) -> Option<u16> {
    u16::try_from(i).ok().and_then(|i| address.checked_add(i))
}

/// Bytes A..D of a pair of registers in `order`.
fn pair_bytes(pair: &[u16], order: WordOrder) -> [u8; 4] {
    let (hi, lo) = match order {
        WordOrder::Abcd | WordOrder::Badc => (pair[0], pair[1]),
        WordOrder::Cdab | WordOrder::Dcba => (pair[1], pair[0]),
    };
    let swap = matches!(order, WordOrder::Badc | WordOrder::Dcba);
    let (hi, lo) = if swap {
        (hi.swap_bytes(), lo.swap_bytes())
    } else {
        (hi, lo)
    };
    let [a, b] = hi.to_be_bytes();
    let [c, d] = lo.to_be_bytes();
    [a, b, c, d]
}

/// Hints about the address, from the address itself and from how the read went.
pub fn address_hints(address: u16, result: &Result<Vec<u16>, ProbeError>) -> Vec<String> {
    let mut hints = Vec::new();
    let notation = match address {
        40001..=49999 => Some(("4xxxx", "holding register", 40001)),
        30001..=39999 => Some(("3xxxx", "input register", 30001)),
        10001..=19999 => Some(("1xxxx", "discrete input", 10001)),
        _ => None,
    };
    if let Some((style, table, base)) = notation {
        hints.push(format!(
            "address {address} looks like {style} notation: that is {table} {} (1-based) = protocol address {}",
            address - base + 1,
            address - base
        ));
    }
    if let Err(e) = result {
        match e.exception_code() {
            Some(exception::ILLEGAL_DATA_ADDRESS) => {
                let mut alternatives = Vec::new();
                if let Some(a) = address.checked_sub(1) {
                    alternatives.push(a.to_string());
                }
                if let Some(a) = address.checked_add(1) {
                    alternatives.push(a.to_string());
                }
                hints.push(format!(
                    "exception 2 (illegal data address) at {address}: try {} — vendor lists are often 1-based \
                     (set address_base = 1 for such a list); also check that every register of the range exists",
                    alternatives.join(" or ")
                ));
            }
            Some(code) => {
                if let Some(h) = exception_hint(code) {
                    hints.push(format!("exception {code}: {h}"));
                }
            }
            None => {}
        }
    }
    hints
}

/// Raw patterns that devices use to say "no value" rather than a measurement, with what to do
/// about them (single registers first, then pairs in both word orders).
const SENTINEL_PATTERNS: [(&[u16], &str); 8] = [
    (
        &[0xFFFF],
        "all ones is GenComm's \"not available\" for u16 (`sentinels = \"gencomm\"`, type u16) and what many \
         controllers answer for a register they do not implement; as i16 it is -1, which `sentinels = \"gencomm\"` \
         does not catch for i16 (its i16 value is 0x7FFF): for an i16 point list `{ raw = -1, meaning = \"not_available\" }` \
         if -1 cannot be a real value",
    ),
    (
        &[0x7FFF],
        "the largest i16 (32767) is GenComm's \"not available\" for i16 (`sentinels = \"gencomm\"`, type i16) \
         and a common \"no value\" marker",
    ),
    (
        &[0x8000],
        "the smallest i16 (-32768) is a common \"no value\" marker that `sentinels = \"gencomm\"` does not catch: \
         list `{ raw = -32768, meaning = \"not_available\" }` for an i16 point",
    ),
    (
        &[0xFFFF, 0xFFFF],
        "all ones is GenComm's \"not available\" for u32; as i32 it is -1, which `sentinels = \"gencomm\"` \
         does not catch for i32 (its i32 value is 0x7FFFFFFF)",
    ),
    (
        &[0x7FFF, 0xFFFF],
        "the largest i32 in order ABCD: GenComm's \"not available\" for i32",
    ),
    (
        &[0xFFFF, 0x7FFF],
        "the largest i32 in order CDAB: GenComm's \"not available\" for i32 with the words swapped",
    ),
    (
        &[0x8000, 0x0000],
        "the smallest i32 in order ABCD, a common \"no value\" marker",
    ),
    (
        &[0x0000, 0x8000],
        "the smallest i32 in order CDAB, a common \"no value\" marker (or 32768 in order ABCD)",
    ),
];

/// `1025, 1030-1033`: sorted addresses with runs joined.
fn address_list(addresses: &[u16]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < addresses.len() {
        let mut j = i;
        while j + 1 < addresses.len() && addresses[j + 1] == addresses[j] + 1 {
            j += 1;
        }
        parts.push(if j > i {
            format!("{}-{}", addresses[i], addresses[j])
        } else {
            addresses[i].to_string()
        });
        i = j + 1;
    }
    parts.join(", ")
}

/// Hints about values that look like sentinels ("no value" markers) rather than measurements:
/// 0xFFFF, 0x7FFF and 0x8000 in single registers, and their 32-bit forms in neighbouring pairs,
/// each pattern once with every address where it was read.
pub fn sentinel_hints(address: u16, regs: &[u16]) -> Vec<String> {
    let mut hints = Vec::new();
    for (pattern, meaning) in SENTINEL_PATTERNS {
        let starts: Vec<u16> = regs
            .windows(pattern.len())
            .enumerate()
            .filter(|(_, w)| *w == pattern)
            .filter_map(|(i, _)| offset_address(address, i))
            .collect();
        if starts.is_empty() {
            continue;
        }
        let raw: Vec<String> = pattern.iter().map(|r| format!("{r:04X}")).collect();
        let place = match (pattern.len(), starts.len()) {
            (1, 1) => "register",
            (1, _) => "registers",
            (_, 1) => "the pair at",
            _ => "the pairs at",
        };
        hints.push(format!(
            "{place} {} read{} {}: likely a sentinel, not a measurement — {meaning}",
            address_list(&starts),
            if starts.len() == 1 { "s" } else { "" },
            raw.join(" ")
        ));
    }
    hints
}

/// A probe listing, ready to print: the raw registers, every interpretation, and the hints.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbeReport {
    /// First address read.
    pub address: u16,
    /// Interpretations of what was read.
    pub interpretations: Vec<Interpretation>,
    /// Hints about the address.
    pub hints: Vec<String>,
}

impl ProbeReport {
    /// Build the listing for a read result.
    pub fn new(address: u16, result: &Result<Vec<u16>, ProbeError>) -> Self {
        let mut hints = address_hints(address, result);
        let interpretations = match result {
            Ok(regs) => {
                hints.extend(sentinel_hints(address, regs));
                interpretations(address, regs)
            }
            Err(_) => Vec::new(),
        };
        Self {
            address,
            interpretations,
            hints,
        }
    }
}

impl fmt::Display for ProbeReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.interpretations.is_empty() {
            writeln!(
                f,
                "{:>5}  {:<6} {:<5}  {:<11}  value",
                "addr", "type", "order", "raw (hex)"
            )?;
            for i in &self.interpretations {
                writeln!(f, "{i}")?;
            }
        }
        for h in &self.hints {
            writeln!(f, "hint: {h}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find<'a>(
        list: &'a [Interpretation],
        addr: u16,
        t: &str,
        order: Option<&str>,
    ) -> &'a Interpretation {
        list.iter()
            .find(|i| i.address == addr && i.data_type == t && i.order == order)
            .unwrap_or_else(|| panic!("no {t} {order:?} at {addr}"))
    }

    #[test]
    fn lists_all_orders_of_each_pair() {
        // 239.5 stored CDAB at 100..101, then a u16 at 102.
        let regs = [0x8000, 0x436F, 0x0005];
        let list = interpretations(100, &regs);
        assert_eq!(
            find(&list, 100, "f32", Some("CDAB")).value,
            ProbeValue::Float(239.5)
        );
        assert_eq!(
            find(&list, 101, "u32", Some("ABCD")).value,
            ProbeValue::Integer(0x436F_0005)
        );
        assert_eq!(find(&list, 102, "i16", None).value, ProbeValue::Integer(5));
        assert_eq!(
            find(&list, 100, "i16", None).value,
            ProbeValue::Integer(-32768)
        );
        // 3 registers: 3×2 single + 2 pairs × 4 orders × 3 types + 2 strings.
        assert_eq!(list.len(), 6 + 24 + 2);
        let line = find(&list, 100, "f32", Some("CDAB")).to_string();
        assert!(
            line.contains("8000 436F") && line.contains("239.5") && line.contains("CDAB"),
            "{line}"
        );
    }

    #[test]
    fn hints_for_4xxxx_notation_and_exception_2() {
        let ok: Result<Vec<u16>, ProbeError> = Ok(vec![1]);
        let hints = address_hints(40001, &ok);
        assert!(
            hints[0].contains("4xxxx") && hints[0].contains("protocol address 0"),
            "{hints:?}"
        );
        assert!(address_hints(1027, &ok).is_empty());
        let err = Err(ProbeError::Read {
            unit: 1,
            table: Table::HoldingRegister,
            address: 1028,
            count: 1,
            source: RequestError::Exception { code: 2 },
        });
        let hints = address_hints(1028, &err);
        assert!(
            hints[0].contains("1027 or 1029") && hints[0].contains("1-based"),
            "{hints:?}"
        );
        let report = ProbeReport::new(1028, &err).to_string();
        assert!(report.starts_with("hint: exception 2"), "{report}");
    }

    #[test]
    fn sentinel_patterns_are_pointed_out_once_each_with_their_addresses() {
        // An unimplemented i16 (FFFF), a GenComm i16 "not available" (7FFF), a real value, then
        // an i32 "not available" in CDAB order and the smallest i16 at the end.
        let regs = [0xFFFF, 0x7FFF, 0x0102, 0xFFFF, 0x7FFF, 0x8000];
        let hints = sentinel_hints(1025, &regs);
        let find = |needle: &str| {
            hints
                .iter()
                .find(|h| h.starts_with(needle))
                .unwrap_or_else(|| panic!("no hint starting {needle:?} in {hints:#?}"))
        };
        let ffff = find("registers 1025, 1028 read FFFF: likely a sentinel");
        assert!(
            ffff.contains("as i16 it is -1")
                && ffff.contains("{ raw = -1, meaning = \"not_available\" }"),
            "{ffff}"
        );
        assert!(find("registers 1026, 1029 read 7FFF").contains("\"not available\" for i16"));
        assert!(find("register 1030 reads 8000").contains("-32768"));
        assert!(
            find("the pairs at 1025, 1028 read FFFF 7FFF").contains("largest i32 in order CDAB")
        );
        assert_eq!(hints.len(), 4, "{hints:#?}");
        // Nothing for ordinary values; a run of all ones is one hint per pattern.
        assert!(sentinel_hints(0, &[0x0000, 0x00FA, 0x1234]).is_empty());
        let run = sentinel_hints(10, &[0xFFFF; 4]);
        assert_eq!(run.len(), 2, "{run:#?}");
        assert!(
            run[0].starts_with("registers 10-13 read FFFF"),
            "{}",
            run[0]
        );
        assert!(
            run[1].starts_with("the pairs at 10-12 read FFFF FFFF") && run[1].contains("i32"),
            "{}",
            run[1]
        );
        let report = ProbeReport::new(1025, &Ok(regs.to_vec())).to_string();
        assert!(
            report.contains("hint: registers 1025, 1028 read FFFF"),
            "{report}"
        );
    }

    #[test]
    fn error_messages_name_the_place() {
        let e = ProbeError::Read {
            unit: 3,
            table: Table::InputRegister,
            address: 7,
            count: 2,
            source: RequestError::Exception { code: 2 },
        };
        assert_eq!(
            e.to_string(),
            "reading 2 input registers at 7 from unit 3: Modbus exception 2 (illegal data address)"
        );
    }

    #[tokio::test]
    async fn bad_counts_are_refused_before_connecting() {
        let r = read_raw(
            "127.0.0.1",
            1,
            Framing::Tcp,
            1,
            Table::HoldingRegister,
            0,
            126,
            Duration::from_millis(10),
        )
        .await;
        assert!(matches!(r, Err(ProbeError::InvalidCount { max: 125, .. })));
        let r = read_raw(
            "127.0.0.1",
            1,
            Framing::Tcp,
            1,
            Table::Coil,
            65535,
            2,
            Duration::from_millis(10),
        )
        .await;
        assert!(matches!(r, Err(ProbeError::AddressOverflow { .. })));
    }
}
