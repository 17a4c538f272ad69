//! Validated domain model: what the rest of driftvakt sees after `load` succeeded.
//!
//! Every type here is already checked: ids are unique, templates are expanded, addresses are
//! protocol addresses (0-based, after the connection's `address_base` was applied), and every
//! point's registers fit the Modbus address space. The types live in `site.rs`, `storage.rs`, `alarm.rs`,
//! `reserve.rs`, `exercise.rs` and `language.rs` beside this file and in `../bacnet.rs` and `../secret.rs`; this module gathers
//! them under one path and holds the whole [`Config`]. Nothing here uses the parser.

mod alarm;
mod exercise;
mod language;
mod reserve;
mod site;
mod storage;
mod web;

pub use crate::bacnet::{ObjectId, ObjectType, PropertyId};
pub use crate::secret::Secret;
pub use alarm::{
    AlarmClass, AlarmRule, AlarmSettings, ApiSettings, Condition, DEFAULT_API_LISTEN,
    EmailSettings, LimitLevel, MqttSettings, NotifySettings, RecipientGroup, Route,
    RuleKind, SmtpSecurity,
};
pub use exercise::{
    Criteria, EngineStates, ExerciseKind, ExerciseSettings, GeneratorRole, LIVE_ALARM_CRITERIA,
    SwitchRole, WatchedPoint, criterion_point,
};
pub use language::Language;
pub use reserve::{
    AssessmentRow, Consumption, ENDURANCE_CAP_H, EnduranceAlarm, Function, LoadModel,
    MeasuredModel, PlanningModel, ReportSettings, Reserve, time_unit_hours, unit_factor,
};
pub use site::*;
pub use storage::{DEFAULT_HEARTBEAT_S, MAX_HEARTBEAT_S, OnChange, Storage};
pub use web::{DEFAULT_SESSION_IDLE_MIN, Role, WebSettings, WebUser};

/// A whole validated configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The site (one hospital, or one building-automation network of it).
    pub site: Site,
    /// Embedded store settings.
    pub store: StoreSettings,
    /// Modbus connections (a TCP device or a serial gateway reached over TCP).
    pub connections: Vec<Connection>,
    /// Devices, each behind one connection, templates already expanded.
    pub devices: Vec<Device>,
    /// External sinks (InfluxDB …) fed from the embedded store.
    pub sinks: Sinks,
    /// BACnet/IP networks (a local UDP endpoint each; BACnet devices name one).
    pub bacnet_networks: Vec<BacnetNetwork>,
    /// Alarm engine settings and every alarm rule (`[alarms]` and points' `alarms`).
    pub alarms: AlarmSettings,
    /// Notification: e-mail, recipient groups, routes (`[notify]`).
    pub notify: NotifySettings,
    /// The operator HTTP API (`[api]`).
    pub api: ApiSettings,
    /// The operator's web screen on the API's listener (`[web]`).
    pub web: WebSettings,
    /// The MQTT broker connection (`[mqtt]`), if configured.
    pub mqtt: Option<MqttSettings>,
    /// Reserves (`[[reserves]]`): stocks the site can run on, with consumption models.
    pub reserves: Vec<Reserve>,
    /// Functions (`[[functions]]`) that depend on reserves.
    pub functions: Vec<Function>,
    /// The endurance report's texts and assessment table (`[report]`).
    pub report: ReportSettings,
    /// Reservkraftprov and outage roles and criteria (`[exercise]`), if configured.
    pub exercise: Option<ExerciseSettings>,
}

impl Config {
    /// Every point of every device, in configuration order.
    pub fn points(&self) -> impl Iterator<Item = (&Device, &Point)> {
        self.devices.iter().flat_map(|d| d.points.iter().map(move |p| (d, p)))
    }

    /// A point by its full id, with its device.
    pub fn point(&self, id: &str) -> Option<(&Device, &Point)> {
        self.points().find(|(_, p)| p.id == id)
    }

    /// The connection a device sits behind (Modbus devices only).
    pub fn connection_of(&self, device: &Device) -> Option<&Connection> {
        let id = device.connection()?;
        self.connections.iter().find(|c| c.id == id)
    }

    /// The BACnet network a device is on (BACnet devices only).
    pub fn bacnet_network_of(&self, device: &Device) -> Option<&BacnetNetwork> {
        let link = device.bacnet()?;
        self.bacnet_networks.iter().find(|n| n.id == link.network)
    }
}

