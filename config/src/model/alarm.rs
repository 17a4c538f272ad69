//! Validated model of alarms, notification, the operator API and the MQTT broker connection
//! (`[alarms]`, point `alarms`, `[notify]`, `[api]`, `[mqtt]`). Re-exported from [`crate::model`].

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::secret::Secret;
use super::language::Language;
use super::site::System;

/// Alarm class: how urgently the operator must act.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AlarmClass {
    /// Act now.
    A,
    /// Act this shift.
    B,
}

impl AlarmClass {
    /// `A` or `B`.
    pub fn key(self) -> &'static str {
        match self {
            AlarmClass::A => "A",
            AlarmClass::B => "B",
        }
    }

    /// Parse `A` / `B` (case-insensitive).
    pub fn from_key(s: &str) -> Option<AlarmClass> {
        match s.trim() {
            "A" | "a" => Some(AlarmClass::A),
            "B" | "b" => Some(AlarmClass::B),
            _ => None,
        }
    }
}

/// Level of a limit rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitLevel {
    /// HH: above the high-high limit.
    HighHigh,
    /// H: above the high limit.
    High,
    /// L: below the low limit.
    Low,
    /// LL: below the low-low limit.
    LowLow,
}

impl LimitLevel {
    /// Whether the alarm is on the high side (value above the limit).
    pub fn is_high(self) -> bool {
        matches!(self, LimitLevel::HighHigh | LimitLevel::High)
    }

    /// The `kind` keyword: `hh`, `h`, `l`, `ll`.
    pub fn key(self) -> &'static str {
        match self {
            LimitLevel::HighHigh => "hh",
            LimitLevel::High => "h",
            LimitLevel::Low => "l",
            LimitLevel::LowLow => "ll",
        }
    }
}

/// What a rule watches.
#[derive(Debug, Clone, PartialEq)]
pub enum RuleKind {
    /// Value beyond a limit; back inside only past the deadband.
    Limit {
        /// HH, H, L or LL.
        level: LimitLevel,
        /// The limit in the point's unit.
        limit: f64,
        /// Hysteresis: a high alarm clears below `limit - deadband`, a low one above `limit + deadband`.
        deadband: f64,
    },
    /// A binary or multistate point in (or not in) a state.
    State {
        /// The state (bool as 0/1, multistate code).
        value: f64,
        /// `true`: alarm while equal (`equals`); `false`: alarm while different (`not_equals`).
        equal: bool,
    },
    /// Rate of change, a least-squares slope over a window (robust to noise).
    Rate {
        /// Threshold in units per hour: negative = falling faster than, positive = rising faster than.
        per_hour: f64,
        /// Hysteresis in units per hour.
        deadband: f64,
        /// Window the slope is fitted over.
        window: Duration,
    },
    /// No good sample of the point for this long.
    Stale {
        /// Age after which the point counts as stale.
        after: Duration,
    },
    /// Endurance (hours, a synthetic `endurance.<id>` point) below the målbild.
    EnduranceBelow {
        /// Målbild in hours.
        target_h: f64,
        /// Clears above `target_h + deadband_h`.
        deadband_h: f64,
    },
}

impl RuleKind {
    /// The `kind` keyword.
    pub fn key(&self) -> &'static str {
        match self {
            RuleKind::Limit { level, .. } => level.key(),
            RuleKind::State { .. } => "state",
            RuleKind::Rate { .. } => "rate",
            RuleKind::Stale { .. } => "stale",
            RuleKind::EnduranceBelow { .. } => "endurance_below_target",
        }
    }
}

/// A condition another point must meet (`while`), continuously for `hold`.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// Full point id.
    pub point: String,
    /// The state compared with (bool as 0/1, multistate code).
    pub value: f64,
    /// `true` for `equals`, `false` for `not_equals`.
    pub equal: bool,
    /// How long the condition must have held.
    pub hold: Duration,
}

/// One alarm rule, template already expanded.
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmRule {
    /// Unique alarm id, e.g. `ats.mains_available.state` or a top-level rule's `id`.
    pub id: String,
    /// Full id of the point it watches.
    pub point: String,
    /// What it watches.
    pub kind: RuleKind,
    /// A or B.
    pub class: AlarmClass,
    /// System (the point's unless given).
    pub system: System,
    /// Swedish text; `{value}`, `{limit}`, `{point}`, `{device}` are filled in.
    pub text: String,
    /// English text, if given.
    pub text_en: Option<String>,
    /// The condition must hold this long before the alarm activates.
    pub on_delay: Duration,
    /// The condition must be gone this long before the alarm clears.
    pub off_delay: Duration,
    /// Other points' conditions that must all hold too.
    pub conditions: Vec<Condition>,
}

/// `[alarms]`: engine settings and the top-level rules, plus every point rule.
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmSettings {
    /// Alarms that start within this window of an incident's first alarm join that incident.
    pub incident_window: Duration,
    /// A device whose answers all fail this long has lost communication.
    pub comm_lost_after: Duration,
    /// A device (not comm-lost) without a good sample this long is stale.
    pub stale_after: Duration,
    /// Class of the automatic communication-lost alarms.
    pub comm_lost_class: AlarmClass,
    /// Class of the automatic stale alarms.
    pub stale_class: AlarmClass,
    /// Classes whose alarms must be acknowledged before they return to normal.
    pub ack_required: Vec<AlarmClass>,
    /// Every rule: points' `alarms` first (configuration order), then `[[alarms.rules]]`.
    pub rules: Vec<AlarmRule>,
}

impl Default for AlarmSettings {
    fn default() -> Self {
        Self {
            incident_window: Duration::from_secs(10),
            comm_lost_after: Duration::from_secs(5),
            stale_after: Duration::from_secs(60),
            comm_lost_class: AlarmClass::A,
            stale_class: AlarmClass::B,
            ack_required: vec![AlarmClass::A, AlarmClass::B],
            rules: Vec::new(),
        }
    }
}

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain SMTP (a relay on a trusted network, or a test server).
    None,
    /// STARTTLS upgrade (port 587 usually); refused if the server does not offer it.
    StartTls,
    /// TLS from the first byte (port 465 usually).
    Tls,
}

/// `[notify.email]`: the SMTP server.
#[derive(Debug, Clone, PartialEq)]
pub struct EmailSettings {
    /// Whether e-mail is sent at all.
    pub enabled: bool,
    /// SMTP host.
    pub host: String,
    /// SMTP port.
    pub port: u16,
    /// Plain, STARTTLS or TLS.
    pub security: SmtpSecurity,
    /// User name for authentication, if any.
    pub username: Option<String>,
    /// Password for authentication (from env or file).
    pub password: Option<Secret>,
    /// Sender address.
    pub from: String,
    /// Time allowed for one delivery attempt.
    pub timeout: Duration,
    /// Extra CA certificate (PEM) to trust, for a site's own mail server.
    pub ca_file: Option<PathBuf>,
}

/// `[[notify.groups]]`: recipients addressed together.
#[derive(Debug, Clone, PartialEq)]
pub struct RecipientGroup {
    /// Unique id, referenced by routes.
    pub id: String,
    /// Human name, e.g. "Driftjour".
    pub name: String,
    /// E-mail addresses.
    pub email: Vec<String>,
    /// Language of the messages.
    pub language: Language,
}

/// `[[notify.routes]]`: which alarms go to which groups, repeat and escalation.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    /// Classes routed (empty = every class).
    pub classes: Vec<AlarmClass>,
    /// Systems routed (empty = every system).
    pub systems: Vec<System>,
    /// Groups notified.
    pub to: Vec<String>,
    /// Repeat to `to` while alarms of the incident stay unacknowledged.
    pub repeat_every: Option<Duration>,
    /// Escalate to `escalate_to` once alarms stay unacknowledged this long.
    pub escalate_after: Option<Duration>,
    /// Groups notified on escalation.
    pub escalate_to: Vec<String>,
    /// Also notify when every alarm of the incident has cleared.
    pub notify_clear: bool,
}

impl Route {
    /// Whether an alarm of `class` in `system` takes this route.
    pub fn matches(&self, class: AlarmClass, system: System) -> bool {
        (self.classes.is_empty() || self.classes.contains(&class))
            && (self.systems.is_empty() || self.systems.contains(&system))
    }
}

/// `[notify]`: notification timing, e-mail, recipient groups, routes.
#[derive(Debug, Clone, PartialEq)]
pub struct NotifySettings {
    /// An incident's first e-mail waits this long for more alarms of the same cause.
    pub gather: Duration,
    /// First retry delay of a failed delivery (doubles each attempt).
    pub retry_initial: Duration,
    /// Longest retry delay.
    pub retry_max: Duration,
    /// The SMTP server, if e-mail is configured.
    pub email: Option<EmailSettings>,
    /// Recipient groups.
    pub groups: Vec<RecipientGroup>,
    /// Routes.
    pub routes: Vec<Route>,
}

impl Default for NotifySettings {
    fn default() -> Self {
        Self {
            gather: Duration::from_secs(1),
            retry_initial: Duration::from_secs(1),
            retry_max: Duration::from_secs(60),
            email: None,
            groups: Vec::new(),
            routes: Vec::new(),
        }
    }
}

/// `[api]`: the operator HTTP API of the running daemon.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiSettings {
    /// Whether the API is served.
    pub enabled: bool,
    /// Address to listen on (loopback unless configured otherwise).
    pub listen: SocketAddr,
    /// Bearer token for state-changing calls; without one they are refused.
    pub token: Option<Secret>,
    /// Most client connections served at once (each holds an open file).
    pub max_connections: u16,
}

/// Default address of the operator API.
pub const DEFAULT_API_LISTEN: &str = "127.0.0.1:8750";
/// Default of `[api] max_connections`.
pub const DEFAULT_API_MAX_CONNECTIONS: u16 = 64;

impl Default for ApiSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            listen: SocketAddr::from(([127, 0, 0, 1], 8750)),
            token: None,
            max_connections: DEFAULT_API_MAX_CONNECTIONS,
        }
    }
}

/// `[mqtt]`: the MQTT broker connection (alarm notification; later telemetry).
#[derive(Debug, Clone, PartialEq)]
pub struct MqttSettings {
    /// Whether to connect at all.
    pub enabled: bool,
    /// Broker host.
    pub host: String,
    /// Broker port (1883, or 8883 with TLS).
    pub port: u16,
    /// Client id (default `driftvakt-<site id>`).
    pub client_id: String,
    /// User name, if the broker needs one.
    pub username: Option<String>,
    /// Password (from env or file).
    pub password: Option<Secret>,
    /// TLS with this CA certificate (PEM); `None` = plain TCP.
    pub tls_ca_file: Option<PathBuf>,
    /// Topic prefix (default `driftvakt/<site id>`).
    pub topic_prefix: String,
    /// Keep-alive interval (> 0: Mosquitto ≥ 2.0.12 rejects 0).
    pub keep_alive: Duration,
}
