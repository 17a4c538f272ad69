//! Validated model of `[exercise]`: which points play which part in a reservkraftprov
//! (blackout exercise) or a real outage, and the criteria a run is judged by. Re-exported
//! from [`crate::model`].
//!
//! Sourced defaults (`../shared/domain.md`): changeover limit 15 s (SS-EN/IEC class 15 for the
//! rooms on generator-backed supply; 0.5 s where a class 0.5 room is supplied), monthly test ≥ 30 %
//! of nameplate for ≥ 30 min (NFPA 110 §8.4.2), generator accepted within ±10 % of nominal
//! voltage and frequency, GenComm engine-state codes (DSE register 1408).

use std::time::Duration;

use super::alarm::AlarmClass;

/// The kind of a run: what the coordinator started, or a real outage the daemon detected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ExerciseKind {
    /// Monthly test on load (begränsat prov / topplastprov): mains stay, the switch is put in test.
    Monthly,
    /// Island test (fullskaligt prov / ö-driftsprov): the incoming supply is cut.
    Island,
    /// Load-bank test: the generator runs against a load bank.
    Loadbank,
    /// A real mains loss detected with no exercise running.
    Outage,
}

impl ExerciseKind {
    /// Every kind.
    pub const ALL: [ExerciseKind; 4] = [
        ExerciseKind::Monthly,
        ExerciseKind::Island,
        ExerciseKind::Loadbank,
        ExerciseKind::Outage,
    ];

    /// The keyword (`monthly`, `island`, `loadbank`, `outage`): CLI, API, MQTT, store, JSON.
    pub fn key(self) -> &'static str {
        match self {
            ExerciseKind::Monthly => "monthly",
            ExerciseKind::Island => "island",
            ExerciseKind::Loadbank => "loadbank",
            ExerciseKind::Outage => "outage",
        }
    }

    /// The kind of a keyword.
    pub fn from_key(key: &str) -> Option<ExerciseKind> {
        ExerciseKind::ALL.into_iter().find(|k| k.key() == key)
    }

    /// Whether an operator starts it (an outage is detected, never started by hand).
    pub fn is_exercise(self) -> bool {
        self != ExerciseKind::Outage
    }
}

/// The criteria whose failure raises a live alarm while a run is active, by code (the domain's
/// `Criterion::key`): the alarm rule and its virtual bool point are `exercise.<code>`.
pub const LIVE_ALARM_CRITERIA: [&str; 3] = ["start_time", "start_attempts", "changeover"];

/// The virtual bool point of a live criterion alarm, also the id of its rule: `exercise.<code>`
/// (true while the running exercise or outage fails the criterion).
pub fn criterion_point(code: &str) -> String {
    format!("exercise.{code}")
}

/// `[exercise]`: roles, criteria and the live behaviour during a run.
#[derive(Debug, Clone, PartialEq)]
pub struct ExerciseSettings {
    /// Bool point: true while the incoming mains supply is present (`mains_available`).
    pub mains_available: String,
    /// Transfer switches between mains and the generator bus, in configuration order.
    pub switches: Vec<SwitchRole>,
    /// Generator sets.
    pub generators: Vec<GeneratorRole>,
    /// UPS units: bool point, true while on battery (`ups_on_battery`).
    pub ups_on_battery: Vec<String>,
    /// UPS battery runtime left, minutes (optional; `ups_runtime_min`): minutes used are read from it.
    pub ups_runtime_min: Vec<String>,
    /// Fuel stock points in litres whose sum is the diesel stock (`fuel_stock_l`).
    pub fuel_stock_l: Vec<String>,
    /// Usable fuel (litres) for the endurance extrapolated from the test's burn: stock minus this sump.
    pub fuel_unusable_l: f64,
    /// Points watched during a run with their normal band (booster pressure, supply air …).
    pub watch: Vec<WatchedPoint>,
    /// How a run is judged.
    pub criteria: Criteria,
    /// A mains loss with no exercise running starts an outage (`detect_outages`, default true).
    pub detect_outages: bool,
    /// Mains must be absent this long before an outage is started (`outage_after_ms`, default 0:
    /// the first reading that says mains are lost).
    pub outage_after: Duration,
    /// An outage ends when mains have been back and every switch is back on normal and every
    /// generator stopped, or this long after mains came back, whichever is first
    /// (`outage_end_after_s`, default 900 s).
    pub outage_end_after: Duration,
    /// Readings before the start kept in the report's window (`lead_s`, default 60 s).
    pub lead: Duration,
    /// While a run is active, the role and watched points are polled this often, if set
    /// (`fast_poll_ms`; never faster than the device allows; reads only).
    pub fast_poll: Option<Duration>,
    /// Alarm rule ids a run explains: they are shown and journalled as expected, not escalated
    /// (`expected_alarms`; default: every rule on a role point).
    pub expected_alarms: Vec<String>,
    /// Class of the alarms raised when a run fails a criterion live (`alarm_class`, default A).
    pub alarm_class: AlarmClass,
    /// MQTT command topic for start/stop/note (`command_topic`), if any; messages must carry the
    /// API token.
    pub command_topic: Option<String>,
}

/// One transfer switch (ATS).
#[derive(Debug, Clone, PartialEq)]
pub struct SwitchRole {
    /// Short id, e.g. `ats`.
    pub id: String,
    /// Name shown in the report (default: the device's name).
    pub name: String,
    /// Position point (multistate or bool).
    pub position: String,
    /// The position's value when the load is on the generators (`emergency_value`, default 1).
    pub emergency_value: f64,
    /// Bool point: the switch is in test mode (optional; `test_mode`).
    pub test_mode: Option<String>,
    /// Bool point: the switch signals the generators to start (optional; `start_signal`).
    pub start_signal: Option<String>,
    /// The switch's own last-transfer time, Unix seconds (optional; `last_transfer_time`):
    /// preferred over the polled position change.
    pub last_transfer_time: Option<String>,
    /// The switch's own transfer counter (optional; `transfer_count`).
    pub transfer_count: Option<String>,
    /// Class of the supplied rooms: the changeover limit (`changeover_limit_s`, default from
    /// `criteria.changeover_max`).
    pub changeover_limit: Duration,
}

/// Engine-state codes of a generator controller (defaults: GenComm register 1408).
#[derive(Debug, Clone, PartialEq)]
pub struct EngineStates {
    /// Stopped (default 0).
    pub stopped: Vec<f64>,
    /// Pre-start, pre-heat (default 1).
    pub prestart: Vec<f64>,
    /// Cranking or warming up (default 2).
    pub cranking: Vec<f64>,
    /// Running (default 3).
    pub running: Vec<f64>,
    /// Cooling down (default 4).
    pub cooldown: Vec<f64>,
}

impl Default for EngineStates {
    fn default() -> Self {
        EngineStates {
            stopped: vec![0.0],
            prestart: vec![1.0],
            cranking: vec![2.0],
            running: vec![3.0],
            cooldown: vec![4.0],
        }
    }
}

/// One generator set.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratorRole {
    /// Short id, e.g. `g1`.
    pub id: String,
    /// Name shown in the report (default: the device's name).
    pub name: String,
    /// Engine-state point (multistate; codes in `states`).
    pub engine_state: String,
    /// The engine-state codes.
    pub states: EngineStates,
    /// Output voltage point, V (one phase line-to-neutral).
    pub voltage_v: String,
    /// Output frequency point, Hz.
    pub frequency_hz: String,
    /// Active power point, kW.
    pub power_kw: String,
    /// Nameplate rating, kW (`rated_kw`).
    pub rated_kw: f64,
    /// Nominal voltage, V (`nominal_voltage_v`, default 230).
    pub nominal_voltage_v: f64,
    /// Nominal frequency, Hz (`nominal_frequency_hz`, default 50).
    pub nominal_frequency_hz: f64,
    /// The controller's start counter (optional; `starts`): start attempts from the device.
    pub starts: Option<String>,
    /// The controller's run-hours counter, hours or seconds as configured on the point (optional; `run_time`).
    pub run_time: Option<String>,
}

/// A point watched during a run, with its normal band.
#[derive(Debug, Clone, PartialEq)]
pub struct WatchedPoint {
    /// Point id.
    pub point: String,
    /// Lower edge of the normal band, in the point's unit (optional).
    pub low: Option<f64>,
    /// Upper edge of the normal band, in the point's unit (optional).
    pub high: Option<f64>,
    /// Time outside the band allowed before the criterion fails (`max_outside_s`, default 0).
    pub max_outside: Duration,
}

/// How a run is judged; every figure from the configuration (sourced defaults above).
#[derive(Debug, Clone, PartialEq)]
pub struct Criteria {
    /// Start command (or mains loss) to generator at rated voltage and frequency (`start_max_s`, default 15 s).
    pub start_max: Duration,
    /// Mains loss (or test start) to load on the generators (`changeover_max_s`, default 15 s).
    pub changeover_max: Duration,
    /// Accepted band around nominal voltage, % (`voltage_band_percent`, default 10).
    pub voltage_band_percent: f64,
    /// Accepted band around nominal frequency, % (`frequency_band_percent`, default 10).
    pub frequency_band_percent: f64,
    /// Start attempts allowed (`max_start_attempts`, default 1): a failed first crank fails it.
    pub max_start_attempts: u32,
    /// Load as % of rating a monthly or load-bank test must reach (`min_load_percent`, default 30).
    pub min_load_percent: f64,
    /// … for at least this long (`min_load_minutes`, default 30 min).
    pub min_load_time: Duration,
    /// A generator counts as carrying load above this share of its rating, % (`load_threshold_percent`, default 5).
    pub load_threshold_percent: f64,
}

impl Default for Criteria {
    fn default() -> Self {
        Criteria {
            start_max: Duration::from_secs(15),
            changeover_max: Duration::from_secs(15),
            voltage_band_percent: 10.0,
            frequency_band_percent: 10.0,
            max_start_attempts: 1,
            min_load_percent: 30.0,
            min_load_time: Duration::from_secs(30 * 60),
            load_threshold_percent: 5.0,
        }
    }
}

impl ExerciseSettings {
    /// Every point the exercise reads (roles and watched points), each once, in order.
    pub fn points(&self) -> Vec<&str> {
        let mut out: Vec<&str> = vec![self.mains_available.as_str()];
        for s in &self.switches {
            out.push(&s.position);
            out.extend(
                [&s.test_mode, &s.start_signal, &s.last_transfer_time, &s.transfer_count]
                    .into_iter()
                    .flatten()
                    .map(String::as_str),
            );
        }
        for g in &self.generators {
            out.extend([g.engine_state.as_str(), &g.voltage_v, &g.frequency_hz, &g.power_kw]);
            out.extend([&g.starts, &g.run_time].into_iter().flatten().map(String::as_str));
        }
        out.extend(self.ups_on_battery.iter().map(String::as_str));
        out.extend(self.ups_runtime_min.iter().map(String::as_str));
        out.extend(self.fuel_stock_l.iter().map(String::as_str));
        out.extend(self.watch.iter().map(|w| w.point.as_str()));
        let mut seen = std::collections::HashSet::new();
        out.retain(|p| seen.insert(*p));
        out
    }
}
