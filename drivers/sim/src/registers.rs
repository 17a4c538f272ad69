//! Register images: what each simulated device answers, computed from the [`Plant`].
//!
//! Two gateways, each a Modbus TCP listener with several unit ids behind it (see
//! `drivers/sim/README.md` for the full table). Addresses are protocol addresses (0-based).
//! Every data type and every word order of `config/SYNTAX.md` occurs at least once, so the demo
//! exercises the whole decoder.
//!
//! Each unit has *implemented ranges* per table. A read entirely inside them succeeds; a read
//! touching anything outside is answered with exception 2 (illegal data address). Inside an
//! implemented range, registers without a value read as the range's fill: `0xFFFF` on the
//! GenComm pages (the GenComm "unimplemented" sentinel, as DSE controllers answer) and 0
//! ("reserved") elsewhere. So a client may read across small gaps, as real devices allow.

use std::collections::BTreeMap;

use driftvakt_config::model::{Table, WordOrder};
use tokio_modbus::ExceptionCode;

use crate::model::{DAY_TANK_CAPACITY_L, Generator, Plant};

/// Largest register count of one read (FC3/FC4), by the protocol.
pub const MAX_READ_REGISTERS: u16 = 125;
/// Largest bit count of one read (FC1/FC2), by the protocol.
pub const MAX_READ_BITS: u16 = 2000;
/// Model name reported by the district-heating substation (8 registers, 16 ASCII bytes).
pub const HEATING_MODEL_NAME: &str = "FJV-UC SV12 v3.1";

/// The two simulated gateways.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Gateway {
    /// Switchgear room: generators (1, 2), ATS (3), UPS (4), fuel tanks (5). Port = base port.
    Stallverk,
    /// Building automation: reserve water (10), district heating (11), AHU (12). Port = base + 1.
    Fastighet,
}

impl Gateway {
    /// Both gateways, in port order.
    pub const ALL: [Gateway; 2] = [Gateway::Stallverk, Gateway::Fastighet];

    /// Name, also the connection id in the example configuration.
    pub fn name(self) -> &'static str {
        match self {
            Gateway::Stallverk => "stallverk",
            Gateway::Fastighet => "fastighet",
        }
    }

    /// Offset of its port from the base port.
    pub fn port_offset(self) -> u16 {
        match self {
            Gateway::Stallverk => 0,
            Gateway::Fastighet => 1,
        }
    }

    /// Unit ids that answer behind this gateway.
    pub fn unit_ids(self) -> &'static [u8] {
        match self {
            Gateway::Stallverk => &[1, 2, 3, 4, 5],
            Gateway::Fastighet => &[10, 11, 12],
        }
    }
}

/// One table of one unit: implemented ranges, their fill value and the values set.
#[derive(Debug, Clone, Default, PartialEq)]
struct TableImage {
    /// Implemented ranges as (first address, count).
    ranges: Vec<(u16, u16)>,
    /// Value of implemented addresses without an explicit value.
    fill: u16,
    /// Explicit values (bits are 0/1).
    values: BTreeMap<u16, u16>,
}

impl TableImage {
    fn implemented(&self, address: u16) -> bool {
        self.ranges.iter().any(|&(start, n)| {
            address >= start && u32::from(address) < u32::from(start) + u32::from(n)
        })
    }

    fn read(&self, address: u16, count: u16) -> Result<Vec<u16>, ExceptionCode> {
        let end = u32::from(address) + u32::from(count);
        if end > 0x1_0000 {
            return Err(ExceptionCode::IllegalDataAddress);
        }
        (u32::from(address)..end)
            .map(|a| {
                let a = a as u16; // < 0x1_0000 checked above
                if self.implemented(a) {
                    Ok(self.values.get(&a).copied().unwrap_or(self.fill))
                } else {
                    Err(ExceptionCode::IllegalDataAddress)
                }
            })
            .collect()
    }
}

/// Everything one unit id answers, at one instant.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UnitImage {
    /// Coils (FC1).
    coils: TableImage,
    /// Discrete inputs (FC2).
    discrete: TableImage,
    /// Input registers (FC4).
    input: TableImage,
    /// Holding registers (FC3).
    holding: TableImage,
}

impl UnitImage {
    fn table(&self, table: Table) -> &TableImage {
        match table {
            Table::Coil => &self.coils,
            Table::DiscreteInput => &self.discrete,
            Table::InputRegister => &self.input,
            Table::HoldingRegister => &self.holding,
        }
    }

    fn table_mut(&mut self, table: Table) -> &mut TableImage {
        match table {
            Table::Coil => &mut self.coils,
            Table::DiscreteInput => &mut self.discrete,
            Table::InputRegister => &mut self.input,
            Table::HoldingRegister => &mut self.holding,
        }
    }

    /// Read `count` registers from a register table (exception 3 for a bad count or a bit
    /// table, exception 2 for anything outside the implemented ranges).
    pub fn read_registers(
        &self,
        table: Table,
        address: u16,
        count: u16,
    ) -> Result<Vec<u16>, ExceptionCode> {
        if table.is_bits() || count == 0 || count > MAX_READ_REGISTERS {
            return Err(ExceptionCode::IllegalDataValue);
        }
        self.table(table).read(address, count)
    }

    /// Read `count` bits from a bit table (coils or discrete inputs).
    pub fn read_bits(
        &self,
        table: Table,
        address: u16,
        count: u16,
    ) -> Result<Vec<bool>, ExceptionCode> {
        if !table.is_bits() || count == 0 || count > MAX_READ_BITS {
            return Err(ExceptionCode::IllegalDataValue);
        }
        Ok(self
            .table(table)
            .read(address, count)?
            .into_iter()
            .map(|v| v != 0)
            .collect())
    }

    // ----- builders -----

    fn range(&mut self, table: Table, start: u16, count: u16, fill: u16) -> &mut Self {
        let t = self.table_mut(table);
        t.ranges.push((start, count));
        t.fill = fill;
        self
    }

    fn words(&mut self, table: Table, address: u16, words: &[u16]) -> &mut Self {
        let t = self.table_mut(table);
        for (i, w) in words.iter().enumerate() {
            t.values.insert(address.wrapping_add(i as u16), *w);
        }
        self
    }

    fn bit(&mut self, table: Table, address: u16, on: bool) -> &mut Self {
        self.words(table, address, &[u16::from(on)])
    }

    fn u16(&mut self, table: Table, address: u16, v: f64) -> &mut Self {
        self.words(table, address, &[v.round() as u16])
    }

    fn i16(&mut self, table: Table, address: u16, v: f64) -> &mut Self {
        self.words(table, address, &[v.round() as i16 as u16])
    }

    fn u32(&mut self, table: Table, address: u16, v: f64, order: WordOrder) -> &mut Self {
        self.words(
            table,
            address,
            &encode(&(v.round() as u32).to_be_bytes(), order),
        )
    }

    fn i32(&mut self, table: Table, address: u16, v: f64, order: WordOrder) -> &mut Self {
        self.words(
            table,
            address,
            &encode(&(v.round() as i32).to_be_bytes(), order),
        )
    }

    fn u64(&mut self, table: Table, address: u16, v: f64, order: WordOrder) -> &mut Self {
        self.words(
            table,
            address,
            &encode(&(v.round() as u64).to_be_bytes(), order),
        )
    }

    fn i64(&mut self, table: Table, address: u16, v: f64, order: WordOrder) -> &mut Self {
        self.words(
            table,
            address,
            &encode(&(v.round() as i64).to_be_bytes(), order),
        )
    }

    fn f32(&mut self, table: Table, address: u16, v: f64, order: WordOrder) -> &mut Self {
        self.words(table, address, &encode(&(v as f32).to_be_bytes(), order))
    }

    fn f64(&mut self, table: Table, address: u16, v: f64, order: WordOrder) -> &mut Self {
        self.words(table, address, &encode(&v.to_be_bytes(), order))
    }

    fn string(&mut self, table: Table, address: u16, registers: u16, text: &str) -> &mut Self {
        let mut bytes: Vec<u8> = text
            .bytes()
            .filter(u8::is_ascii)
            .take(2 * usize::from(registers))
            .collect();
        bytes.resize(2 * usize::from(registers), 0);
        self.words(table, address, &encode(&bytes, WordOrder::Abcd))
    }
}

/// Lay big-endian bytes (A = most significant) into registers in the given order.
///
/// `Abcd`: as is; `Cdab`: word order reversed; `Badc`: bytes swapped inside each word;
/// `Dcba`: fully reversed. The same rule extends to 64-bit values (GHEFCDAB, BADCFEHG, ...).
pub fn encode(be_bytes: &[u8], order: WordOrder) -> Vec<u16> {
    let mut words: Vec<u16> = be_bytes
        .chunks(2)
        .map(|c| u16::from_be_bytes([c[0], c.get(1).copied().unwrap_or(0)]))
        .collect();
    if matches!(order, WordOrder::Cdab | WordOrder::Dcba) {
        words.reverse();
    }
    if matches!(order, WordOrder::Badc | WordOrder::Dcba) {
        for w in &mut words {
            *w = w.swap_bytes();
        }
    }
    words
}

/// The image of `unit` behind `gateway`, or `None` if no such unit answers there.
pub fn unit_image(plant: &Plant, gateway: Gateway, unit: u8) -> Option<UnitImage> {
    match (gateway, unit) {
        (Gateway::Stallverk, 1) => Some(genset(plant, &plant.generators[0])),
        (Gateway::Stallverk, 2) => Some(genset(plant, &plant.generators[1])),
        (Gateway::Stallverk, 3) => Some(ats(plant)),
        (Gateway::Stallverk, 4) => Some(ups(plant)),
        (Gateway::Stallverk, 5) => Some(fuel_tanks(plant)),
        (Gateway::Fastighet, 10) => Some(reserve_water(plant)),
        (Gateway::Fastighet, 11) => Some(district_heating(plant)),
        (Gateway::Fastighet, 12) => Some(air_handling(plant)),
        _ => None,
    }
}

/// GenComm genset controller (DSE style): pages 3–7 (768..=2047) of holding registers.
fn genset(plant: &Plant, g: &Generator) -> UnitImage {
    use Table::HoldingRegister as H;
    use WordOrder::Abcd;
    let mut img = UnitImage::default();
    img.range(H, 768, 5 * 256, 0xFFFF);
    // Page 3: identity and mode.
    img.u16(H, 768, 1.0) // manufacturer: Deep Sea Electronics
        .u16(H, 769, 32832.0) // model: DSE 8610 MKII
        .u32(H, 770, f64::from(g.serial_number), Abcd)
        .u16(H, 772, f64::from(g.control_mode));
    // Page 4: basic instrumentation. 1028 stays 0xFFFF (unimplemented).
    img.u16(H, 1024, g.oil_pressure_kpa)
        .i16(H, 1025, g.coolant_temp_c);
    if g.oil_temp_sensor_ok {
        img.i16(H, 1026, g.oil_temp_c);
    } else {
        img.words(H, 1026, &[0x7FFC]); // GenComm -4 masked to i16: transducer fault
    }
    img.u16(H, 1027, 100.0 * plant.fuel.day_l / DAY_TANK_CAPACITY_L)
        .u16(H, 1029, g.battery_v * 10.0)
        .u16(H, 1030, g.rpm)
        .u16(H, 1031, g.frequency_hz * 10.0);
    let phase_w = g.load_kw * 1000.0 / 3.0;
    for phase in 0..3u16 {
        img.u32(H, 1032 + 2 * phase, g.voltage_ln_v * 10.0, Abcd)
            .u32(H, 1044 + 2 * phase, g.phase_current_a() * 10.0, Abcd)
            .i32(H, 1052 + 2 * phase, phase_w, Abcd);
    }
    // Page 5: engine operating state.
    img.u16(H, 1408, f64::from(g.state.code()));
    // Page 6: totals.
    img.i32(H, 1536, g.load_kw * 1000.0, Abcd)
        .i16(H, 1558, g.load_fraction() * 1000.0);
    // Page 7: counters.
    img.u32(H, 1798, g.run_time_s.floor(), Abcd)
        .u32(H, 1800, (g.energy_kwh * 10.0).floor(), Abcd)
        .u32(H, 1808, f64::from(g.starts), Abcd);
    img
}

/// Transfer switch: discrete inputs 0..=7 and input registers 0..=15.
fn ats(plant: &Plant) -> UnitImage {
    use Table::{DiscreteInput as D, InputRegister as I};
    let a = &plant.ats;
    let normal_ok = plant.mains.available;
    let emergency_ok = plant.generators.iter().any(Generator::output_acceptable);
    let in_normal = a.position.code() == 0;
    let gen_v = plant
        .generators
        .iter()
        .map(|g| g.voltage_ln_v)
        .fold(0.0, f64::max);
    let gen_f = plant
        .generators
        .iter()
        .map(|g| g.frequency_hz)
        .fold(0.0, f64::max);
    let status = u16::from(normal_ok)
        | u16::from(emergency_ok) << 1
        | u16::from(in_normal) << 2
        | u16::from(!in_normal) << 3
        | u16::from(a.start_signal) << 4
        | u16::from(a.test_mode) << 5;
    let mut img = UnitImage::default();
    img.range(D, 0, 8, 0).range(I, 0, 16, 0);
    img.bit(D, 0, normal_ok)
        .bit(D, 1, emergency_ok)
        .bit(D, 2, in_normal)
        .bit(D, 3, !in_normal)
        .bit(D, 4, a.start_signal)
        .bit(D, 5, a.test_mode);
    img.u16(I, 0, f64::from(a.position.code()))
        .words(I, 1, &[status])
        .u32(I, 2, f64::from(a.transfer_count), WordOrder::Abcd)
        .u32(I, 4, a.last_transfer_unix_s as f64, WordOrder::Abcd)
        .u16(I, 6, plant.mains.voltage_ln_v * 10.0)
        .u16(I, 7, plant.mains.frequency_hz * 100.0)
        .u16(I, 8, gen_v * 10.0)
        .u16(I, 9, gen_f * 100.0);
    img
}

/// UPS: discrete inputs 0..=7 and input registers 0..=9; battery minutes as f32 CDAB.
fn ups(plant: &Plant) -> UnitImage {
    use Table::{DiscreteInput as D, InputRegister as I};
    let u = &plant.ups;
    let mut img = UnitImage::default();
    img.range(D, 0, 8, 0).range(I, 0, 10, 0);
    img.bit(D, 0, u.on_battery)
        .bit(D, 1, u.battery_minutes < 10.0)
        .bit(D, 2, false);
    img.u16(I, 0, u.load_percent)
        .u16(I, 1, u.charge_percent())
        .f32(I, 2, u.battery_minutes, WordOrder::Cdab)
        .u16(I, 4, u.input_voltage_v * 10.0)
        .u16(I, 5, u.output_voltage_v * 10.0);
    img
}

/// Fuel tanks: input registers 0..=15; litres as f32 ABCD, net change as i64 CDAB (ml).
fn fuel_tanks(plant: &Plant) -> UnitImage {
    use Table::InputRegister as I;
    let f = &plant.fuel;
    let status = u16::from(f.transfer_pump_running) | u16::from(f.day_percent() < 30.0) << 1;
    let mut img = UnitImage::default();
    img.range(I, 0, 16, 0);
    img.f32(I, 0, f.main_l, WordOrder::Abcd)
        .f32(I, 2, f.day_l, WordOrder::Abcd)
        .words(I, 4, &[status])
        .u16(I, 5, f.day_percent() * 10.0)
        .i64(I, 8, f.main_change_l() * 1000.0, WordOrder::Cdab);
    img
}

/// Reserve water: holding registers 0..=9; volume f32 BADC, pressure i16 0.01 bar, pump bits.
fn reserve_water(plant: &Plant) -> UnitImage {
    use Table::HoldingRegister as H;
    let w = &plant.water;
    let bits = u16::from(w.pump1_running)
        | u16::from(w.pump2_running) << 1
        | u16::from(w.low_level()) << 2;
    let mut img = UnitImage::default();
    img.range(H, 0, 10, 0);
    img.f32(H, 0, w.volume_m3, WordOrder::Badc)
        .i16(H, 2, w.pressure_bar * 100.0)
        .words(H, 3, &[bits]);
    img
}

/// District heating: input registers 0..=19; power u32 CDAB, energy u64 ABCD, model string.
fn district_heating(plant: &Plant) -> UnitImage {
    use Table::InputRegister as I;
    let h = &plant.heating;
    let mut img = UnitImage::default();
    img.range(I, 0, 20, 0);
    img.i16(I, 0, h.supply_c * 10.0)
        .i16(I, 1, h.return_c * 10.0)
        .u16(I, 2, h.flow_m3_per_h * 100.0)
        .u32(I, 4, h.power_kw * 10.0, WordOrder::Cdab)
        .u64(I, 6, h.energy_kwh.floor(), WordOrder::Abcd)
        .string(I, 10, 8, HEATING_MODEL_NAME);
    img
}

/// Air-handling unit: holding registers 0..=7 (supply air f64 DCBA) and coils 0..=7.
fn air_handling(plant: &Plant) -> UnitImage {
    use Table::{Coil as C, HoldingRegister as H};
    let a = &plant.ahu;
    let mut img = UnitImage::default();
    img.range(H, 0, 8, 0).range(C, 0, 8, 0);
    img.f64(H, 0, a.supply_air_c, WordOrder::Dcba)
        .u16(H, 4, a.duct_pressure_pa)
        .i16(H, 5, a.setpoint_c * 10.0);
    img.bit(C, 0, a.fan_running);
    img
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Plant;
    use crate::scenario::Scenario;

    #[test]
    fn word_orders_match_their_names() {
        let be = [0xAA, 0xBB, 0xCC, 0xDD];
        assert_eq!(encode(&be, WordOrder::Abcd), vec![0xAABB, 0xCCDD]);
        assert_eq!(encode(&be, WordOrder::Cdab), vec![0xCCDD, 0xAABB]);
        assert_eq!(encode(&be, WordOrder::Badc), vec![0xBBAA, 0xDDCC]);
        assert_eq!(encode(&be, WordOrder::Dcba), vec![0xDDCC, 0xBBAA]);
        let be8 = [1, 2, 3, 4, 5, 6, 7, 8];
        assert_eq!(
            encode(&be8, WordOrder::Cdab),
            vec![0x0708, 0x0506, 0x0304, 0x0102]
        );
        assert_eq!(
            encode(&be8, WordOrder::Dcba),
            vec![0x0807, 0x0605, 0x0403, 0x0201]
        );
        assert_eq!(
            encode(&be8, WordOrder::Badc),
            vec![0x0201, 0x0403, 0x0605, 0x0807]
        );
    }

    fn plant() -> Plant {
        let mut p = Plant::new(&Scenario::Normal);
        p.step(1.0);
        p
    }

    #[test]
    fn genset_page_reads_sentinels_and_values() {
        let p = plant();
        let img = unit_image(&p, Gateway::Stallverk, 1).expect("unit 1");
        let r = img
            .read_registers(Table::HoldingRegister, 1024, 14)
            .expect("page 4");
        assert_eq!(r[4], 0xFFFF, "1028 is unimplemented");
        assert_eq!(r[3], 90, "day tank 900 of 1000 l");
        assert_eq!(r[6], 0, "stopped engine");
        assert_eq!(
            img.read_registers(Table::HoldingRegister, 772, 1),
            Ok(vec![1])
        );
        assert_eq!(
            img.read_registers(Table::HoldingRegister, 1808, 2),
            Ok(vec![0, 412])
        );
        let g2 = unit_image(&p, Gateway::Stallverk, 2).expect("unit 2");
        assert_eq!(
            g2.read_registers(Table::HoldingRegister, 1026, 1),
            Ok(vec![0x7FFC])
        );
        assert_eq!(
            img.read_registers(Table::HoldingRegister, 767, 2),
            Err(ExceptionCode::IllegalDataAddress)
        );
        assert_eq!(
            img.read_registers(Table::HoldingRegister, 2047, 1),
            Ok(vec![0xFFFF])
        );
        assert_eq!(
            img.read_registers(Table::HoldingRegister, 2047, 2),
            Err(ExceptionCode::IllegalDataAddress)
        );
        assert_eq!(
            img.read_registers(Table::InputRegister, 1024, 1),
            Err(ExceptionCode::IllegalDataAddress)
        );
        assert_eq!(
            img.read_registers(Table::HoldingRegister, 1024, 126),
            Err(ExceptionCode::IllegalDataValue)
        );
    }

    #[test]
    fn odd_orders_decode_to_ground_truth() {
        let p = plant();
        let ups = unit_image(&p, Gateway::Stallverk, 4).expect("ups");
        let r = ups
            .read_registers(Table::InputRegister, 2, 2)
            .expect("minutes");
        let minutes = f32::from_bits(u32::from(r[1]) << 16 | u32::from(r[0]));
        assert!((f64::from(minutes) - p.ups.battery_minutes).abs() < 1e-4);

        let water = unit_image(&p, Gateway::Fastighet, 10).expect("water");
        let r = water
            .read_registers(Table::HoldingRegister, 0, 2)
            .expect("volume");
        let volume =
            f32::from_bits(u32::from(r[0].swap_bytes()) << 16 | u32::from(r[1].swap_bytes()));
        assert!((f64::from(volume) - p.water.volume_m3).abs() < 1e-3);

        let ahu = unit_image(&p, Gateway::Fastighet, 12).expect("ahu");
        let r = ahu
            .read_registers(Table::HoldingRegister, 0, 4)
            .expect("supply air");
        let mut bytes = Vec::new();
        for w in r.iter().rev() {
            bytes.extend(w.swap_bytes().to_be_bytes());
        }
        let temp = f64::from_be_bytes(bytes.try_into().expect("8 bytes"));
        assert_eq!(temp, p.ahu.supply_air_c);
        assert_eq!(ahu.read_bits(Table::Coil, 0, 1), Ok(vec![true]));

        let dh = unit_image(&p, Gateway::Fastighet, 11).expect("heating");
        let r = dh
            .read_registers(Table::InputRegister, 10, 8)
            .expect("name");
        let text: String = r
            .iter()
            .flat_map(|w| w.to_be_bytes())
            .map(char::from)
            .collect();
        assert_eq!(text, HEATING_MODEL_NAME);
    }

    #[test]
    fn ats_shows_test_mode_as_input_5_and_status_bit_5() {
        let mut p = Plant::new(&Scenario::MonthlyTest);
        let image = |p: &Plant| unit_image(p, Gateway::Stallverk, 3).expect("ats");
        let img = image(&p);
        assert_eq!(
            img.read_bits(Table::DiscreteInput, 4, 2),
            Ok(vec![false, false])
        );
        assert_eq!(
            img.read_registers(Table::InputRegister, 1, 1),
            Ok(vec![0b00_0101])
        );
        p.step(25.0);
        let img = image(&p);
        assert_eq!(
            img.read_bits(Table::DiscreteInput, 4, 2),
            Ok(vec![true, true])
        );
        let status = img
            .read_registers(Table::InputRegister, 1, 1)
            .expect("status")[0];
        assert_eq!(
            status & 0b11_0000,
            0b11_0000,
            "start signal and test mode: {status:#b}"
        );
    }

    #[test]
    fn unknown_units_have_no_image() {
        let p = plant();
        assert!(unit_image(&p, Gateway::Stallverk, 10).is_none());
        assert!(unit_image(&p, Gateway::Fastighet, 1).is_none());
        for gw in Gateway::ALL {
            for &u in gw.unit_ids() {
                assert!(unit_image(&p, gw, u).is_some());
            }
        }
    }
}
