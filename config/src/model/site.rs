//! The site as configured: its store, Modbus connections, BACnet networks, devices, points and
//! sinks. Part of the validated model (see `mod.rs`).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use crate::bacnet::{ObjectId, ObjectType, PropertyId};
use crate::secret::Secret;
use super::language::Language;

/// The site this daemon watches.
#[derive(Debug, Clone, PartialEq)]
pub struct Site {
    /// Short id used in series and topics, e.g. `referenssjukhuset`.
    pub id: String,
    /// Human name, e.g. "Referenssjukhuset".
    pub name: String,
    /// IANA time zone for operator screens and reports, default `Europe/Stockholm`.
    pub timezone: String,
}

/// Embedded store settings.
#[derive(Debug, Clone, PartialEq)]
pub struct StoreSettings {
    /// Days raw readings are kept; 1-minute rollups outlive them.
    pub raw_retention_days: u32,
    /// Days 1-minute rollups are kept; 0 means forever.
    pub rollup_retention_days: u32,
    /// Most time between a reading's arrival and its commit (synced to disk): the most a
    /// SIGKILL or power cut can take.
    pub commit_interval_ms: u32,
}

impl Default for StoreSettings {
    fn default() -> Self {
        Self { raw_retention_days: 400, rollup_retention_days: 0, commit_interval_ms: 1000 }
    }
}

/// How Modbus frames travel over the TCP connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// Modbus TCP (MBAP header).
    Tcp,
    /// RTU frames (with CRC) tunnelled through a transparent serial-to-TCP gateway.
    RtuOverTcp,
}

/// One TCP connection: a Modbus TCP device or a serial gateway.
#[derive(Debug, Clone, PartialEq)]
pub struct Connection {
    /// Unique id, referenced by devices.
    pub id: String,
    /// Frame format on the wire.
    pub framing: Framing,
    /// Host name or IP address.
    pub host: String,
    /// TCP port (502 by default).
    pub port: u16,
    /// Time allowed for one request/response (and for connecting).
    pub timeout: Duration,
    /// Pause after each response before the next request on this connection.
    pub pause_between_requests: Duration,
    /// Pause after connecting before the first request (slow gateways).
    pub pause_after_connect: Duration,
    /// Max registers per read (protocol limit 125).
    pub max_registers_per_read: u16,
    /// Max bits per coil / discrete-input read (protocol limit 2000).
    pub max_bits_per_read: u16,
    /// Max unused registers (or bits) a read may span to join two points.
    pub max_gap_registers: u16,
    /// Requests in flight at once on this connection (1 = strictly serial, the default).
    pub max_requests_in_flight: u16,
    /// Address base of the vendor's register list (0 or 1); already applied to point addresses.
    pub address_base: u8,
    /// Switches for odd devices.
    pub workarounds: Workarounds,
}

/// Switches for odd devices, grouped so that the normal path stays clean.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Workarounds {
    /// Read one register (or bit) per request: devices that answer multi-register reads wrongly.
    pub single_register_reads: bool,
    /// Close the TCP connection after each poll cycle (gateways that allow one master only).
    pub close_after_cycle: bool,
}

/// A device: behind a Modbus connection or on a BACnet network.
#[derive(Debug, Clone, PartialEq)]
pub struct Device {
    /// Unique id, e.g. `g1`; prefixes its point ids.
    pub id: String,
    /// Human name, e.g. "Reservkraftaggregat 1".
    pub name: String,
    /// How it is reached: a Modbus connection and unit id, or a BACnet network and address.
    pub link: DeviceLink,
    /// Time between poll cycles.
    pub poll_interval: Duration,
    /// Template it was instantiated from, if any.
    pub template: Option<String>,
    /// Its points (template points first, then the device's own).
    pub points: Vec<Point>,
}

impl Device {
    /// The Modbus link, if this is a Modbus device.
    pub fn modbus(&self) -> Option<&ModbusLink> {
        match &self.link {
            DeviceLink::Modbus(m) => Some(m),
            DeviceLink::Bacnet(_) => None,
        }
    }

    /// The BACnet link, if this is a BACnet device.
    pub fn bacnet(&self) -> Option<&BacnetLink> {
        match &self.link {
            DeviceLink::Bacnet(b) => Some(b),
            DeviceLink::Modbus(_) => None,
        }
    }

    /// Id of the Modbus connection it sits behind (`None` for BACnet devices).
    pub fn connection(&self) -> Option<&str> {
        self.modbus().map(|m| m.connection.as_str())
    }

    /// Modbus unit id (`None` for BACnet devices).
    pub fn unit_id(&self) -> Option<u8> {
        self.modbus().map(|m| m.unit_id)
    }

    /// The longest a healthy device goes without a new reading of a point: the poll interval,
    /// or for a BACnet device with COV the check interval (an unchanged value is not notified).
    pub fn reading_interval(&self) -> Duration {
        match self.bacnet().and_then(|b| b.cov) {
            Some(cov) => cov.check_interval.max(self.poll_interval),
            None => self.poll_interval,
        }
    }
}

/// How a device is reached.
#[derive(Debug, Clone, PartialEq)]
pub enum DeviceLink {
    /// Behind a Modbus connection.
    Modbus(ModbusLink),
    /// On a BACnet/IP network.
    Bacnet(BacnetLink),
}

/// A Modbus device's place: connection and unit id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModbusLink {
    /// Id of the connection it sits behind.
    pub connection: String,
    /// Modbus unit id (slave address).
    pub unit_id: u8,
}

/// A BACnet device's place: network, instance and static address.
#[derive(Debug, Clone, PartialEq)]
pub struct BacnetLink {
    /// Id of the BACnet network it is reached through.
    pub network: String,
    /// Device object instance number (0..=4194302).
    pub instance: u32,
    /// Static BACnet/IP address (the device itself, or the router in front of it).
    pub address: SocketAddr,
    /// Remote network and MAC address when the device sits behind a BACnet router.
    pub route: Option<BacnetRoute>,
    /// Largest APDU the device accepts (sizes ReadPropertyMultiple batches).
    pub max_apdu_bytes: u16,
    /// COV subscription settings; `None` = polling only.
    pub cov: Option<CovSettings>,
}

/// DNET/DADR of a device behind a BACnet router.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BacnetRoute {
    /// Remote network number (1..=65534).
    pub network: u16,
    /// MAC address on that network (1..=6 octets; an MS/TP MAC is one).
    pub mac: Vec<u8>,
}

/// SubscribeCOV settings of a device (always a finite lifetime).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CovSettings {
    /// Lifetime requested for each subscription.
    pub lifetime: Duration,
    /// Renew when this fraction of the lifetime has passed (e.g. 0.8).
    pub renew_at_fraction: f64,
    /// Interval of the check poll that refreshes values and notices a dead subscription.
    pub check_interval: Duration,
}

impl CovSettings {
    /// Time after (re)subscribing at which the subscription is renewed.
    pub fn renew_after(&self) -> Duration {
        self.lifetime.mul_f64(self.renew_at_fraction)
    }
}

/// A BACnet/IP network: the local UDP endpoint driftvakt reads devices through.
#[derive(Debug, Clone, PartialEq)]
pub struct BacnetNetwork {
    /// Unique id, referenced by devices' `network`.
    pub id: String,
    /// Local address and UDP port to bind (a specific interface, or 0.0.0.0).
    pub bind: SocketAddr,
    /// Foreign-device registration with a BBMD, renewed before its time-to-live ends.
    pub bbmd: Option<Bbmd>,
    /// Default max APDU for its devices (1476 for BACnet/IP).
    pub max_apdu_bytes: u16,
    /// Time allowed for each confirmed request.
    pub timeout: Duration,
    /// Times a timed-out request is sent again.
    pub retries: u8,
}

/// A BBMD to register with as a foreign device.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bbmd {
    /// The BBMD's address.
    pub address: SocketAddr,
    /// Time-to-live of the registration; re-registered at half of it.
    pub ttl: Duration,
}

/// A named value read from a device.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// Full id `device.point`, unique in the site, e.g. `g1.fuel_level`.
    pub id: String,
    /// Human name in Swedish, e.g. "Bränslenivå".
    pub name: String,
    /// Utility system it belongs to.
    pub system: System,
    /// Engineering unit after scaling, e.g. `l`, `kW`, `°C` (empty for unitless).
    pub unit: String,
    /// Where and how it is read.
    pub source: PointSource,
    /// Multiplier applied to the raw value (after sentinel check).
    pub scale: f64,
    /// Added after scaling: `value = raw * scale + offset`.
    pub offset: f64,
    /// Raw values that mean "no valid value" (checked before scaling).
    pub sentinels: Vec<Sentinel>,
    /// Texts for the states of a multistate point (raw integer → text), e.g. 0 → "stopp".
    pub states: BTreeMap<i64, String>,
    /// Short label when the point appears on the operator's status line (e.g. "G1", "diesel");
    /// `None` keeps it off the status line.
    pub status_label: Option<String>,
    /// Which readings are stored: every one (default) or on change (`store`, `deadband`, `heartbeat_s`).
    pub store: super::Storage,
}

impl Point {
    /// A point with no scaling, sentinels, states or status label (name = id, no unit):
    /// what code that builds points by hand (tests, benches) starts from.
    pub fn plain(id: impl Into<String>, system: System, source: PointSource) -> Point {
        let id = id.into();
        Point {
            name: id.clone(),
            id,
            system,
            unit: String::new(),
            source,
            scale: 1.0,
            offset: 0.0,
            sentinels: Vec::new(),
            states: BTreeMap::new(),
            status_label: None,
            store: super::Storage::All,
        }
    }

    /// A plain Modbus point (see [`Point::plain`]).
    pub fn plain_modbus(id: impl Into<String>, table: Table, address: u16, data_type: DataType, order: WordOrder) -> Point {
        Point::plain(id, System::Reservkraft, PointSource::Modbus(ModbusSource { table, address, data_type, order }))
    }

    /// The point's kind, derived from its type (or BACnet object type) and states.
    pub fn kind(&self) -> PointKind {
        match &self.source {
            PointSource::Modbus(m) => match m.data_type {
                DataType::Bool | DataType::Bit(_) => PointKind::Binary,
                DataType::String { .. } => PointKind::Text,
                _ if !self.states.is_empty() => PointKind::Multistate,
                _ => PointKind::Analog,
            },
            PointSource::Bacnet(b) => b.kind(!self.states.is_empty()),
        }
    }

    /// The Modbus source, if this is a Modbus point.
    pub fn modbus(&self) -> Option<&ModbusSource> {
        match &self.source {
            PointSource::Modbus(m) => Some(m),
            PointSource::Bacnet(_) => None,
        }
    }

    /// The BACnet source, if this is a BACnet point.
    pub fn bacnet(&self) -> Option<&BacnetSource> {
        match &self.source {
            PointSource::Bacnet(b) => Some(b),
            PointSource::Modbus(_) => None,
        }
    }

    /// The id of the point inside its device (`fuel_level` for `g1.fuel_level`).
    pub fn local_id(&self) -> &str {
        self.id.split_once('.').map_or(self.id.as_str(), |(_, l)| l)
    }
}

/// What kind of value a point carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PointKind {
    /// A measured number.
    Analog,
    /// On/off.
    Binary,
    /// An enumerated state with texts.
    Multistate,
    /// A text (string registers).
    Text,
}

/// Utility systems, as Swedish hospital property management names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum System {
    /// Reserve power: generators, transfer switches, UPS, diesel.
    Reservkraft,
    /// Normal power distribution.
    El,
    /// Water, reserve water, booster pumps.
    Vatten,
    /// Heating, district heating.
    Varme,
    /// Ventilation, air handling units.
    Ventilation,
    /// Cooling.
    Kyla,
    /// Medical gases (oxygen, medical air, vacuum).
    MedicinskaGaser,
    /// Fuel stocks that are not part of a generator set.
    Bransle,
    /// Anything else.
    Ovrigt,
}

impl System {
    /// Every system, in the order operator screens list them.
    pub const ALL: [System; 9] = [
        System::Reservkraft,
        System::El,
        System::Vatten,
        System::Varme,
        System::Ventilation,
        System::Kyla,
        System::MedicinskaGaser,
        System::Bransle,
        System::Ovrigt,
    ];

    /// The configuration keyword, also used as a tag in series.
    pub fn key(self) -> &'static str {
        match self {
            System::Reservkraft => "reservkraft",
            System::El => "el",
            System::Vatten => "vatten",
            System::Varme => "värme",
            System::Ventilation => "ventilation",
            System::Kyla => "kyla",
            System::MedicinskaGaser => "medicinska_gaser",
            System::Bransle => "bränsle",
            System::Ovrigt => "övrigt",
        }
    }

    /// Parse a configuration keyword (ASCII spellings `varme`, `bransle`, `ovrigt` accepted).
    pub fn from_key(s: &str) -> Option<System> {
        Some(match s {
            "reservkraft" => System::Reservkraft,
            "el" => System::El,
            "vatten" => System::Vatten,
            "värme" | "varme" => System::Varme,
            "ventilation" => System::Ventilation,
            "kyla" => System::Kyla,
            "medicinska_gaser" => System::MedicinskaGaser,
            "bränsle" | "bransle" => System::Bransle,
            "övrigt" | "ovrigt" => System::Ovrigt,
            _ => return None,
        })
    }

    /// Label for operator screens in `lang` (the configuration's own vocabulary: the names of
    /// the systems are documented with their keys in `config/README.md`).
    pub fn label(self, lang: Language) -> &'static str {
        match lang {
            Language::Sv => self.label_sv(),
            Language::En => self.label_en(),
        }
    }

    fn label_sv(self) -> &'static str {
        match self {
            System::Reservkraft => "Reservkraft",
            System::El => "El",
            System::Vatten => "Vatten",
            System::Varme => "Värme",
            System::Ventilation => "Ventilation",
            System::Kyla => "Kyla",
            System::MedicinskaGaser => "Medicinska gaser",
            System::Bransle => "Bränsle",
            System::Ovrigt => "Övrigt",
        }
    }

    fn label_en(self) -> &'static str {
        match self {
            System::Reservkraft => "Reserve power",
            System::El => "Electricity",
            System::Vatten => "Water",
            System::Varme => "Heating",
            System::Ventilation => "Ventilation",
            System::Kyla => "Cooling",
            System::MedicinskaGaser => "Medical gases",
            System::Bransle => "Fuel",
            System::Ovrigt => "Other",
        }
    }
}

/// Modbus data tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Table {
    /// Coils (FC1), bits.
    Coil,
    /// Discrete inputs (FC2), bits.
    DiscreteInput,
    /// Input registers (FC4).
    InputRegister,
    /// Holding registers (FC3).
    HoldingRegister,
}

impl Table {
    /// Whether the table holds single bits rather than 16-bit registers.
    pub fn is_bits(self) -> bool {
        matches!(self, Table::Coil | Table::DiscreteInput)
    }
}

/// How a value is encoded in registers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataType {
    /// A coil or discrete input; or a register that is 0/non-zero.
    Bool,
    /// One bit (0 = least significant) of a 16-bit register.
    Bit(u8),
    /// Unsigned 16 bit.
    U16,
    /// Signed 16 bit.
    I16,
    /// Unsigned 32 bit (2 registers).
    U32,
    /// Signed 32 bit (2 registers).
    I32,
    /// Unsigned 64 bit (4 registers).
    U64,
    /// Signed 64 bit (4 registers).
    I64,
    /// IEEE 754 single (2 registers).
    F32,
    /// IEEE 754 double (4 registers).
    F64,
    /// Text of `registers` registers, two ASCII bytes each, NULs and trailing spaces trimmed.
    String {
        /// Length in registers.
        registers: u16,
    },
}

impl DataType {
    /// How many registers (or bits, for bit tables) the value occupies.
    pub fn width(self) -> u16 {
        match self {
            DataType::Bool | DataType::Bit(_) | DataType::U16 | DataType::I16 => 1,
            DataType::U32 | DataType::I32 | DataType::F32 => 2,
            DataType::U64 | DataType::I64 | DataType::F64 => 4,
            DataType::String { registers } => registers,
        }
    }
}

/// Byte and word order of multi-byte values, named after where bytes A (most significant)
/// to D land. `Abcd` = big-endian, high word first (GenComm); `Cdab` = low word first;
/// `Badc` = bytes swapped within each word; `Dcba` = little-endian.
/// For 64-bit values the pattern extends (ABCDEFGH, GHEFCDAB, BADCFEHG, HGFEDCBA);
/// for strings only the byte swap (BADC/DCBA) matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WordOrder {
    /// Big-endian, high word first.
    #[default]
    Abcd,
    /// Low word first, bytes big-endian in each word.
    Cdab,
    /// High word first, bytes swapped in each word.
    Badc,
    /// Little-endian.
    Dcba,
}

/// Where a point is read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PointSource {
    /// Registers or bits of a Modbus device.
    Modbus(ModbusSource),
    /// A property of a BACnet object.
    Bacnet(BacnetSource),
}

/// A BACnet point: one property of one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BacnetSource {
    /// Object, e.g. analog-input:1.
    pub object: ObjectId,
    /// Property, present-value by default.
    pub property: PropertyId,
}

impl BacnetSource {
    /// The kind of value it carries; `has_states` = the point gives state texts.
    pub fn kind(&self, has_states: bool) -> PointKind {
        let t = self.object.object_type;
        if self.property != PropertyId::PRESENT_VALUE {
            return if has_states { PointKind::Multistate } else { PointKind::Analog };
        }
        if t.is_binary() {
            PointKind::Binary
        } else if t.is_multistate() || has_states {
            PointKind::Multistate
        } else if t == ObjectType::CHARACTERSTRING_VALUE {
            PointKind::Text
        } else {
            PointKind::Analog
        }
    }
}

/// Where a Modbus point is read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ModbusSource {
    /// Table (function code).
    pub table: Table,
    /// Protocol address (0-based, base already applied).
    pub address: u16,
    /// Encoding.
    pub data_type: DataType,
    /// Byte/word order.
    pub order: WordOrder,
}

impl ModbusSource {
    /// The last address the value occupies.
    pub fn last_address(&self) -> u16 {
        // Subtract first: a value ending at 65535 must not overflow on the way.
        self.address + self.data_type.width().saturating_sub(1)
    }
}

/// A raw value that means "no valid value".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sentinel {
    /// The raw integer as read (already sign-extended for signed types), e.g. 65535 for u16 or -1 for i16.
    pub raw: i128,
    /// What it means.
    pub meaning: SentinelMeaning,
}

/// Why a sentinel value is not a measurement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SentinelMeaning {
    /// Not implemented / not available.
    NotAvailable,
    /// Above the measuring range.
    OverRange,
    /// Below the measuring range.
    UnderRange,
    /// Transducer / sensor fault, bad data.
    SensorFault,
}

/// `[sinks]`: where readings go besides the embedded store. Every sink reads forward from the
/// store by position, so a sink that is down never holds up polling.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sinks {
    /// Tag telling twin daemons of one site apart (`instance`), written on every series.
    pub instance: Option<String>,
    /// InfluxDB (v2 or v1 API) and compatible servers such as VictoriaMetrics.
    pub influxdb: Vec<InfluxSink>,
    /// MQTT telemetry through the `[mqtt]` broker, if configured.
    pub mqtt: Option<MqttSink>,
}

/// `[sinks.mqtt]`: every reading published as JSON on the `[mqtt]` broker.
#[derive(Debug, Clone, PartialEq)]
pub struct MqttSink {
    /// Whether the sink runs.
    pub enabled: bool,
    /// Unique sink id (default `mqtt`); names its saved position and health counters.
    pub id: String,
    /// One message per reading (topic per point) or per device poll cycle.
    pub per: TelemetryGrouping,
    /// Whether messages are retained (a late subscriber gets the last values at once).
    pub retain: bool,
    /// MQTT QoS 0, 1 or 2; with 1 and 2 a reading counts as delivered on the broker's
    /// acknowledgement.
    pub qos: u8,
    /// Most readings per batch.
    pub batch_size: usize,
    /// Longest time a reading waits for a fuller batch before it is sent.
    pub flush_interval: Duration,
    /// Time the broker may take to acknowledge (or to accept the connection).
    pub timeout: Duration,
    /// Cap of the retry backoff while the broker is unreachable.
    pub retry_max: Duration,
    /// Most undelivered readings kept for this sink; older ones are dropped (counted). `None`:
    /// bounded only by the store's raw retention.
    pub max_backlog_readings: Option<u64>,
    /// Whether a new sink (no saved position) starts with the oldest reading in the store.
    pub backfill: bool,
}

/// How MQTT telemetry groups readings into messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TelemetryGrouping {
    /// `<prefix>/telemetry/<device>/<point>`, one message per reading.
    Point,
    /// `<prefix>/telemetry/<device>`, one message per device poll cycle with every point read.
    Device,
}

/// One InfluxDB-compatible server fed with line protocol.
#[derive(Debug, Clone, PartialEq)]
pub struct InfluxSink {
    /// Unique id; names the sink's position in the store and its health counters.
    pub id: String,
    /// Base URL, e.g. `http://influx.region.local:8086`.
    pub url: String,
    /// Which write API to use, with its settings.
    pub api: InfluxApi,
    /// Most readings per write request.
    pub batch_size: usize,
    /// Longest time a reading waits for a fuller batch before it is sent.
    pub flush_interval: Duration,
    /// Time allowed for one write request.
    pub timeout: Duration,
    /// Cap of the retry backoff while the server is unreachable.
    pub retry_max: Duration,
    /// Most undelivered readings kept for this sink; older ones are dropped (counted). `None`:
    /// bounded only by the store's raw retention.
    pub max_backlog_readings: Option<u64>,
    /// Whether a new sink (no saved position) starts with the oldest reading in the store
    /// (`true`) or with the next one stored (`false`).
    pub backfill: bool,
}

/// The write API of an InfluxDB sink.
#[derive(Debug, Clone, PartialEq)]
pub enum InfluxApi {
    /// InfluxDB 2.x `/api/v2/write` (also VictoriaMetrics, InfluxDB 3).
    V2 {
        /// Organisation.
        org: String,
        /// Bucket.
        bucket: String,
        /// API token (`Authorization: Token …`); none for servers without authentication.
        token: Option<Secret>,
    },
    /// InfluxDB 1.x `/write`.
    V1 {
        /// Database.
        database: String,
        /// Retention policy; the database's default when `None`.
        retention_policy: Option<String>,
        /// User name for authentication.
        username: Option<String>,
        /// Password of `username`.
        password: Option<Secret>,
    },
}

impl InfluxApi {
    /// `v1` or `v2`, as written in the configuration.
    pub fn key(&self) -> &'static str {
        match self {
            InfluxApi::V2 { .. } => "v2",
            InfluxApi::V1 { .. } => "v1",
        }
    }
}
