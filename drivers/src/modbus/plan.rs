//! Request planning: cover every point's registers (or bits) with the fewest reads.
//!
//! Per table, points are sorted by address and merged greedily while the read stays within the
//! size limit and the unused gap between neighbours stays within `max_gap`. A point is never
//! split across reads, except in single-register mode (one read per register) or when the point
//! alone is wider than the size limit (long strings): then it is read in consecutive chunks. The
//! poller assembles the registers of all reads before decoding, so both cases decode correctly.

use driftvakt_config::model::{Connection, Point, Table};

/// Protocol limit of registers per read (FC3/FC4).
pub const PROTOCOL_MAX_REGISTERS: u16 = 125;
/// Protocol limit of bits per read (FC1/FC2).
pub const PROTOCOL_MAX_BITS: u16 = 2000;

/// One read request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReadRequest {
    /// Table (function code) to read.
    pub table: Table,
    /// First protocol address (0-based).
    pub start: u16,
    /// Number of registers or bits.
    pub count: u16,
}

impl ReadRequest {
    /// Last address the request covers.
    pub fn last(&self) -> u16 {
        self.start + self.count.saturating_sub(1)
    }

    /// Whether `address` of `table` is covered by this request.
    pub fn covers(&self, table: Table, address: u16) -> bool {
        self.table == table && address >= self.start && address <= self.last()
    }
}

/// The reads one device cycle makes, in the order they are sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Requests, grouped by table, in ascending address order.
    pub requests: Vec<ReadRequest>,
}

/// Limits that shape a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanLimits {
    /// Max registers per read (at most 125).
    pub max_registers: u16,
    /// Max bits per read (at most 2000).
    pub max_bits: u16,
    /// Max unused registers (or bits) a read may span to join two points.
    pub max_gap: u16,
    /// One read per register (or bit): for devices that answer multi-register reads wrongly.
    pub single_register: bool,
}

impl Default for PlanLimits {
    fn default() -> Self {
        Self {
            max_registers: PROTOCOL_MAX_REGISTERS,
            max_bits: PROTOCOL_MAX_BITS,
            max_gap: 0,
            single_register: false,
        }
    }
}

impl PlanLimits {
    /// Size limit for a table, clamped to 1..=protocol limit.
    fn limit(&self, table: Table) -> u16 {
        if self.single_register {
            return 1;
        }
        if table.is_bits() {
            self.max_bits.clamp(1, PROTOCOL_MAX_BITS)
        } else {
            self.max_registers.clamp(1, PROTOCOL_MAX_REGISTERS)
        }
    }
}

impl From<&Connection> for PlanLimits {
    fn from(conn: &Connection) -> Self {
        Self {
            max_registers: conn.max_registers_per_read.clamp(1, PROTOCOL_MAX_REGISTERS),
            max_bits: conn.max_bits_per_read.clamp(1, PROTOCOL_MAX_BITS),
            max_gap: conn.max_gap_registers,
            single_register: conn.workarounds.single_register_reads,
        }
    }
}

/// Plan the reads for a set of points (normally one device's).
pub fn plan(points: &[Point], limits: &PlanLimits) -> Plan {
    let mut spans: Vec<(Table, u32, u32)> = points
        .iter()
        .filter_map(|p| {
            let s = p.modbus()?;
            // Bit tables hold one bit per address whatever the data type says.
            let width = if s.table.is_bits() {
                1
            } else {
                u32::from(s.data_type.width().max(1))
            };
            let first = u32::from(s.address);
            Some((s.table, first, (first + width - 1).min(u32::from(u16::MAX))))
        })
        .collect();
    spans.sort_unstable();

    let mut requests = Vec::new();
    let mut current: Option<(Table, u32, u32)> = None;
    for (table, first, last) in spans {
        let limit = u32::from(limits.limit(table));
        if let Some((t, s, e)) = current {
            let joins = t == table
                && first.saturating_sub(e + 1) <= u32::from(limits.max_gap)
                && last.max(e) - s < limit;
            if joins {
                current = Some((t, s, e.max(last)));
                continue;
            }
            push_chunks(&mut requests, t, s, e, limit);
        }
        current = Some((table, first, last));
    }
    if let Some((t, s, e)) = current {
        push_chunks(&mut requests, t, s, e, u32::from(limits.limit(t)));
    }
    Plan { requests }
}

/// Push `[s, e]` as one request, or as consecutive chunks if wider than `limit`.
fn push_chunks(out: &mut Vec<ReadRequest>, table: Table, s: u32, e: u32, limit: u32) {
    let mut start = s;
    while start <= e {
        let end = e.min(start + limit - 1);
        // Both fit in u16: addresses come from u16 and are clamped above.
        let (Ok(start16), Ok(count)) = (u16::try_from(start), u16::try_from(end - start + 1))
        else {
            return;
        };
        out.push(ReadRequest {
            table,
            start: start16,
            count,
        });
        start = end + 1;
    }
}

/// Reads a naive poller makes: one per point (the baseline the planner is measured against).
pub fn one_read_per_point(points: &[Point]) -> usize {
    points.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use driftvakt_config::model::{DataType, WordOrder};
    

    fn pt(table: Table, address: u16, data_type: DataType) -> Point {
        Point::plain_modbus(format!("g1.p{address}"), table, address, data_type, WordOrder::Abcd)
    }

    fn hr(address: u16, data_type: DataType) -> Point {
        pt(Table::HoldingRegister, address, data_type)
    }

    /// The DSE GenComm genset of domain.md §4.1 (24 points).
    pub(crate) fn gencomm() -> Vec<Point> {
        let mut p = vec![hr(772, DataType::U16)];
        p.extend((1024..=1031).map(|a| hr(a, DataType::U16)));
        p.extend([1032, 1034, 1036, 1044, 1046, 1048].map(|a| hr(a, DataType::U32)));
        p.extend([1052, 1054, 1056].map(|a| hr(a, DataType::I32)));
        p.push(hr(1408, DataType::U16));
        p.push(hr(1536, DataType::I32));
        p.push(hr(1558, DataType::I16));
        p.extend([1798, 1800, 1808].map(|a| hr(a, DataType::U32)));
        p
    }

    fn limits(max_registers: u16, max_gap: u16, single: bool) -> PlanLimits {
        PlanLimits {
            max_registers,
            max_bits: 2000,
            max_gap,
            single_register: single,
        }
    }

    fn spans(plan: &Plan) -> Vec<(u16, u16)> {
        plan.requests.iter().map(|r| (r.start, r.count)).collect()
    }

    fn assert_covers_every_point(points: &[Point], plan: &Plan, single: bool) {
        for p in points {
            let s = *p.modbus().expect("modbus point");
            let width = if s.table.is_bits() {
                1
            } else {
                s.data_type.width()
            };
            let holders: Vec<_> = (s.address..s.address + width)
                .map(|a| plan.requests.iter().position(|r| r.covers(s.table, a)))
                .collect();
            assert!(holders.iter().all(Option::is_some), "{} not covered", p.id);
            if !single {
                assert!(holders.windows(2).all(|w| w[0] == w[1]), "{} split", p.id);
            }
        }
    }

    #[test]
    fn gencomm_with_gap_16_needs_6_reads() {
        let points = gencomm();
        let plan = plan(&points, &limits(125, 16, false));
        assert_eq!(
            spans(&plan),
            vec![
                (772, 1),
                (1024, 34),
                (1408, 1),
                (1536, 2),
                (1558, 1),
                (1798, 12)
            ]
        );
        assert_covers_every_point(&points, &plan, false);
        assert_eq!(one_read_per_point(&points), 24);
    }

    #[test]
    fn gencomm_with_8_registers_per_read_needs_10_reads() {
        let points = gencomm();
        let plan = plan(&points, &limits(8, 16, false));
        assert_eq!(
            spans(&plan),
            vec![
                (772, 1),
                (1024, 8),
                (1032, 6),
                (1044, 6),
                (1052, 6),
                (1408, 1),
                (1536, 2),
                (1558, 1),
                (1798, 4),
                (1808, 2)
            ]
        );
        assert_covers_every_point(&points, &plan, false);
    }

    #[test]
    fn gencomm_single_register_reads_each_register_once() {
        let points = gencomm();
        let plan = plan(&points, &limits(125, 16, true));
        assert_eq!(plan.requests.len(), 37);
        assert!(plan.requests.iter().all(|r| r.count == 1));
        assert_covers_every_point(&points, &plan, true);
    }

    #[test]
    fn gap_zero_merges_only_adjacent() {
        let points = vec![
            hr(0, DataType::U16),
            hr(1, DataType::U32),
            hr(4, DataType::U16),
        ];
        assert_eq!(
            spans(&plan(&points, &limits(125, 0, false))),
            vec![(0, 3), (4, 1)]
        );
        assert_eq!(spans(&plan(&points, &limits(125, 1, false))), vec![(0, 5)]);
    }

    #[test]
    fn duplicates_and_overlaps_share_registers() {
        let points = vec![
            hr(10, DataType::U32),
            hr(10, DataType::U16),
            hr(11, DataType::Bit(3)),
            hr(10, DataType::U32),
            hr(9, DataType::F64),
        ];
        let plan = plan(&points, &limits(125, 0, false));
        assert_eq!(spans(&plan), vec![(9, 4)]);
        assert_covers_every_point(&points, &plan, false);
    }

    #[test]
    fn tables_are_planned_separately() {
        let points = vec![
            pt(Table::Coil, 0, DataType::Bool),
            pt(Table::Coil, 1999, DataType::Bool),
            pt(Table::Coil, 2000, DataType::Bool),
            pt(Table::DiscreteInput, 5, DataType::Bool),
            pt(Table::InputRegister, 0, DataType::U16),
            hr(0, DataType::U16),
        ];
        let limits = PlanLimits {
            max_gap: 5000,
            ..PlanLimits::default()
        };
        let plan = plan(&points, &limits);
        let got: Vec<_> = plan
            .requests
            .iter()
            .map(|r| (r.table, r.start, r.count))
            .collect();
        assert_eq!(
            got,
            vec![
                (Table::Coil, 0, 2000),
                (Table::Coil, 2000, 1),
                (Table::DiscreteInput, 5, 1),
                (Table::InputRegister, 0, 1),
                (Table::HoldingRegister, 0, 1),
            ]
        );
    }

    #[test]
    fn point_wider_than_limit_is_chunked_not_dropped() {
        let points = vec![hr(100, DataType::String { registers: 10 })];
        let plan = plan(&points, &limits(4, 0, false));
        assert_eq!(spans(&plan), vec![(100, 4), (104, 4), (108, 2)]);
    }

    #[test]
    fn top_of_address_space_does_not_overflow() {
        let points = vec![hr(65535, DataType::U16), hr(65534, DataType::U16)];
        assert_eq!(
            spans(&plan(&points, &limits(125, 0, false))),
            vec![(65534, 2)]
        );
    }

    #[test]
    fn limits_from_connection_clamp_to_protocol() {
        use driftvakt_config::model::{Framing, Workarounds};
        use std::time::Duration;
        let conn = Connection {
            id: "c".into(),
            framing: Framing::Tcp,
            host: "h".into(),
            port: 502,
            timeout: Duration::from_secs(1),
            pause_between_requests: Duration::ZERO,
            pause_after_connect: Duration::ZERO,
            max_registers_per_read: 200,
            max_bits_per_read: 0,
            max_gap_registers: 7,
            max_requests_in_flight: 1,
            address_base: 0,
            workarounds: Workarounds {
                single_register_reads: true,
                close_after_cycle: false,
            },
        };
        let l = PlanLimits::from(&conn);
        assert_eq!(
            l,
            PlanLimits {
                max_registers: 125,
                max_bits: 1,
                max_gap: 7,
                single_register: true
            }
        );
    }
}
