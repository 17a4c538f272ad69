//! `tests/peers/gencomm_map.json`: the register map served by `pymodbus_server.py` and the values
//! the daemon must decode from it (single source of truth), plus a config writer for it.

use std::fmt::Write as _;
use std::path::PathBuf;

use serde::Deserialize;

/// The whole map file.
#[derive(Debug, Clone, Deserialize)]
pub struct GencommMap {
    /// Every point the peer serves (and one it deliberately does not).
    pub points: Vec<MapPoint>,
}

/// One point of the map.
#[derive(Debug, Clone, Deserialize)]
pub struct MapPoint {
    /// Point id within its device (config `id`).
    pub id: String,
    /// Modbus unit id.
    pub unit_id: u8,
    /// coil | discrete_input | input | holding.
    pub table: String,
    /// 0-based protocol address.
    pub address: u16,
    /// Config `type`.
    #[serde(rename = "type")]
    pub data_type: String,
    /// Config `order`, if not the default.
    pub order: Option<String>,
    /// Config `bit` (type bit).
    pub bit: Option<u8>,
    /// Config `registers` (type string).
    pub registers: Option<u16>,
    /// Config `scale`.
    pub scale: Option<f64>,
    /// Config `offset`.
    pub offset: Option<f64>,
    /// Config `sentinels` ("gencomm").
    pub sentinels: Option<String>,
    /// What the peer serves (null = address not served: exception 2).
    pub raw: serde_json::Value,
    /// The decoded value driftvakt must store (null for bad qualities).
    pub expected: serde_json::Value,
    /// The quality driftvakt must store.
    pub quality: String,
}

impl GencommMap {
    /// Path of the map file.
    pub fn path() -> PathBuf {
        super::peers_dir().join("gencomm_map.json")
    }

    /// Loads and parses the map; panics naming the file on error.
    pub fn load() -> GencommMap {
        let path = Self::path();
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("parse {}: {e}", path.display()))
    }

    /// The points of one unit id.
    pub fn unit(&self, unit_id: u8) -> Vec<&MapPoint> {
        self.points
            .iter()
            .filter(|p| p.unit_id == unit_id)
            .collect()
    }

    /// The point with this id; panics if the map has none.
    pub fn point(&self, id: &str) -> &MapPoint {
        self.points
            .iter()
            .find(|p| p.id == id)
            .unwrap_or_else(|| panic!("gencomm_map.json has no point {id:?}"))
    }
}

impl MapPoint {
    /// Whether `value`/`quality` from an export row are what the map expects. Numbers compare
    /// with a relative tolerance of 1e-6 (f32 values and scaled integers are not exact).
    pub fn matches(&self, value: &serde_json::Value, quality: &str) -> bool {
        quality == self.quality && values_match(&self.expected, value)
    }
}

/// Expected vs actual JSON value: numbers within 1e-6 relative (absolute below 1), others equal.
pub fn values_match(expected: &serde_json::Value, actual: &serde_json::Value) -> bool {
    match (expected.as_f64(), actual.as_f64()) {
        (Some(e), Some(a)) => (e - a).abs() <= 1e-6 * e.abs().max(1.0),
        _ => expected == actual,
    }
}

/// Writes a driftvakt TOML config (syntax: config/SYNTAX.md).
#[derive(Debug, Default)]
pub struct ConfigWriter {
    /// The TOML text so far.
    text: String,
}

impl ConfigWriter {
    /// Starts a config with a `[site]`.
    pub fn new() -> ConfigWriter {
        let mut w = ConfigWriter::default();
        w.text
            .push_str("[site]\nid = \"testsjukhuset\"\nname = \"Testsjukhuset\"\n");
        w
    }

    /// Adds a Modbus TCP connection to 127.0.0.1:`port`.
    pub fn connection(mut self, id: &str, port: u16, timeout_ms: u32) -> ConfigWriter {
        let _ = write!(
            self.text,
            "\n[[connections]]\nid = {}\nhost = \"127.0.0.1\"\nport = {port}\ntimeout_ms = {timeout_ms}\n",
            q(id)
        );
        self
    }

    /// Adds a device on `connection` with the given map points (system reservkraft).
    pub fn device(
        mut self,
        id: &str,
        connection: &str,
        unit_id: u8,
        poll_ms: u32,
        points: &[&MapPoint],
    ) -> ConfigWriter {
        let _ = write!(
            self.text,
            "\n[[devices]]\nid = {}\nname = {}\nconnection = {}\nunit_id = {unit_id}\npoll_interval_ms = {poll_ms}\nsystem = \"reservkraft\"\n",
            q(id),
            q(&format!("Testaggregat {id}")),
            q(connection)
        );
        for p in points {
            let _ = write!(
                self.text,
                "\n[[devices.points]]\nid = {}\ntable = {}\naddress = {}\ntype = {}\n",
                q(&p.id),
                q(&p.table),
                p.address,
                q(&p.data_type)
            );
            if let Some(order) = &p.order {
                let _ = writeln!(self.text, "order = {}", q(order));
            }
            if let Some(bit) = p.bit {
                let _ = writeln!(self.text, "bit = {bit}");
            }
            if let Some(registers) = p.registers {
                let _ = writeln!(self.text, "registers = {registers}");
            }
            if let Some(scale) = p.scale {
                let _ = writeln!(self.text, "scale = {scale:?}");
            }
            if let Some(offset) = p.offset {
                let _ = writeln!(self.text, "offset = {offset:?}");
            }
            if let Some(sentinels) = &p.sentinels {
                let _ = writeln!(self.text, "sentinels = {}", q(sentinels));
            }
        }
        self
    }

    /// The TOML text.
    pub fn finish(self) -> String {
        self.text
    }
}

/// A TOML basic string (JSON string escapes are valid TOML).
fn q(s: &str) -> String {
    serde_json::to_string(s).expect("a string serialises")
}
