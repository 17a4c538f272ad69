//! The reference hospital's utilities as a physical model: pure state and arithmetic, no I/O.
//!
//! [`Plant::step`] advances simulated time. Its public fields are the ground truth that the
//! register images ([`crate::registers`]) are computed from and that tests compare with.
//!
//! Electrical topology: mains and two diesel generators (G1, G2) feed the essential bus through
//! one transfer switch (ATS). The essential bus feeds the UPS, the reserve-water booster pumps,
//! the day-tank transfer pump and the air-handling unit. The district-heating substation is
//! driven by the utility's network and does not depend on the essential bus.

use crate::faults::Faults;
use crate::noise::Lcg;
use crate::scenario::Scenario;
use crate::schedule::{Schedule, TIME_EPS_S, Window};
use crate::truth::TruthEvent;

/// Rated active power of one generator (kW).
pub const GEN_RATED_KW: f64 = 800.0;
/// Nominal line-to-neutral voltage (V).
pub const NOMINAL_VOLTAGE_LN_V: f64 = 230.0;
/// Nominal frequency (Hz).
pub const NOMINAL_FREQUENCY_HZ: f64 = 50.0;
/// Nominal engine speed (rpm).
pub const NOMINAL_RPM: f64 = 1500.0;
/// Power factor used to compute phase currents.
pub const POWER_FACTOR: f64 = 0.9;
/// Time from mains loss until the engine cranks (s); the last [`PRESTART_S`] of it is pre-start.
pub const START_DELAY_S: f64 = 8.0;
/// Pre-start (pre-heat) phase at the end of the start delay (s).
pub const PRESTART_S: f64 = 3.0;
/// Time for speed, voltage and frequency to ramp from zero to nominal after cranking (s).
pub const RAMP_S: f64 = 4.0;
/// Ramp time with the `slow_start` fault (s): rated voltage and frequency (within 10 %) come
/// 18 s after the crank, so the start takes 26 s after the start signal.
pub const SLOW_START_RAMP_S: f64 = 20.0;
/// Time in "warming up" after cranking before the engine reports "running" (s); never shorter
/// than the ramp.
pub const WARMUP_S: f64 = 6.0;
/// Length of a crank that fails (`failed_crank` fault): the starter turns the engine for this
/// long without it firing (s).
pub const FAILED_CRANK_S: f64 = 5.0;
/// Rest in pre-start between a failed crank and the next attempt (s).
pub const CRANK_REST_S: f64 = 5.0;
/// Engine speed on the starter motor alone (rpm).
pub const CRANK_RPM: f64 = 150.0;
/// How long booster pump 1 stays tripped with the `pump_trip` fault (s).
pub const PUMP_TRIP_S: f64 = 600.0;
/// Unloaded cool-down run after the load has been transferred back to mains (s).
pub const COOLDOWN_S: f64 = 120.0;
/// Run-down from nominal speed to standstill after stop (s).
pub const RUNDOWN_S: f64 = 5.0;
/// Generator voltage and frequency must be within this fraction of nominal to be accepted.
pub const ACCEPT_TOLERANCE: f64 = 0.10;
/// Time the generator supply must be acceptable before the ATS transfers to it (s).
pub const ATS_EMERGENCY_ACCEPT_S: f64 = 2.0;
/// Time mains must be stable before the ATS transfers back to it (s).
pub const ATS_RETURN_DELAY_S: f64 = 30.0;
/// Day tank capacity (l).
pub const DAY_TANK_CAPACITY_L: f64 = 1_000.0;
/// Day tank content at start (l).
pub const DAY_TANK_START_L: f64 = 900.0;
/// Main tank capacity (l).
pub const MAIN_TANK_CAPACITY_L: f64 = 20_000.0;
/// Main tank content at start (l).
pub const MAIN_TANK_START_L: f64 = 18_400.0;
/// Transfer pump flow from the main tank to the day tank (l/h).
pub const TRANSFER_PUMP_L_PER_H: f64 = 600.0;
/// The transfer pump starts below this fraction of the day tank.
pub const TRANSFER_START_FRACTION: f64 = 0.60;
/// The transfer pump stops at this fraction of the day tank.
pub const TRANSFER_STOP_FRACTION: f64 = 0.90;
/// Essential (generator-backed) load of the hospital (kW), before its slow variation.
pub const ESSENTIAL_LOAD_KW: f64 = 900.0;
/// Reserve water tank capacity (m³).
pub const WATER_CAPACITY_M3: f64 = 400.0;
/// Reserve water tank content at start (m³).
pub const WATER_START_M3: f64 = 380.0;
/// Reserve water consumption (m³/h).
pub const WATER_CONSUMPTION_M3_PER_H: f64 = 2.0;
/// The municipal supply starts topping the reserve tank up below this fraction of capacity.
pub const WATER_REFILL_START_FRACTION: f64 = 0.8;
/// … and stops at this fraction.
pub const WATER_REFILL_STOP_FRACTION: f64 = 0.95;
/// Top-up flow from the municipal supply (m³/h).
pub const WATER_REFILL_M3_PER_H: f64 = 20.0;
/// Booster pump discharge pressure when powered (bar).
pub const WATER_PRESSURE_BAR: f64 = 4.5;
/// Static pressure left when the booster pumps stop (bar).
pub const WATER_STATIC_PRESSURE_BAR: f64 = 0.8;
/// Air-handling unit duct static pressure when the fan runs (Pa).
pub const AHU_DUCT_PRESSURE_PA: f64 = 350.0;
/// Air-handling unit supply air setpoint (°C).
pub const AHU_SUPPLY_SETPOINT_C: f64 = 19.0;
/// Start of simulated time as unix seconds, unless [`Plant::with_epoch`] sets another.
pub const DEFAULT_EPOCH_UNIX_S: u64 = 1_767_254_400; // 2026-01-01T08:00:00Z
/// Largest internal integration step (s); [`Plant::step`] subdivides longer steps.
pub const MAX_SUBSTEP_S: f64 = 0.1;

/// Fuel consumption of one generator (l/h) at a load fraction of its rating (0.0..=1.0).
///
/// Linear between 0 % 8 l/h (idle), 25 % 60, 50 % 110, 75 % 160 and 100 % 210 l/h; the load is
/// clamped to 0..=1 (110 % load burns what 100 % burns: the curve is not extrapolated).
pub fn fuel_consumption_l_per_h(load_fraction: f64) -> f64 {
    const CURVE: [(f64, f64); 5] = [
        (0.0, 8.0),
        (0.25, 60.0),
        (0.5, 110.0),
        (0.75, 160.0),
        (1.0, 210.0),
    ];
    let x = if load_fraction.is_finite() {
        load_fraction.clamp(0.0, 1.0)
    } else {
        0.0
    };
    for pair in CURVE.windows(2) {
        let ((x0, y0), (x1, y1)) = (pair[0], pair[1]);
        if x <= x1 {
            return y0 + (y1 - y0) * (x - x0) / (x1 - x0);
        }
    }
    CURVE[CURVE.len() - 1].1
}

/// GenComm engine operating state (register 1408).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineState {
    /// 0: stopped (also while running down).
    Stopped,
    /// 1: pre-start (pre-heat before cranking).
    PreStart,
    /// 2: warming up (cranked, ramping, not yet "running").
    WarmingUp,
    /// 3: running.
    Running,
    /// 4: cooling down (unloaded run before stop).
    CoolingDown,
}

impl EngineState {
    /// The GenComm code.
    pub fn code(self) -> u16 {
        match self {
            EngineState::Stopped => 0,
            EngineState::PreStart => 1,
            EngineState::WarmingUp => 2,
            EngineState::Running => 3,
            EngineState::CoolingDown => 4,
        }
    }
}

/// One diesel generator set with its controller.
#[derive(Debug, Clone, PartialEq)]
pub struct Generator {
    /// Name, "G1" or "G2".
    pub name: &'static str,
    /// Engine operating state.
    pub state: EngineState,
    /// Time spent in the current state (s).
    pub state_time_s: f64,
    /// How long a start request has been pending while stopped (s), 0 at its first step.
    pub start_request_s: f64,
    /// Controller mode (GenComm 772): 1 = Auto.
    pub control_mode: u16,
    /// Engine speed (rpm).
    pub rpm: f64,
    /// Line-to-neutral voltage, the same on all three phases (V).
    pub voltage_ln_v: f64,
    /// Output frequency (Hz).
    pub frequency_hz: f64,
    /// Active power delivered (kW).
    pub load_kw: f64,
    /// Lubricating oil pressure (kPa).
    pub oil_pressure_kpa: f64,
    /// Coolant temperature (°C).
    pub coolant_temp_c: f64,
    /// Oil temperature (°C).
    pub oil_temp_c: f64,
    /// Whether the oil temperature sender works (G2's does not: it reports a sensor fault).
    pub oil_temp_sensor_ok: bool,
    /// Starter battery voltage (V).
    pub battery_v: f64,
    /// Engine run time counter (s).
    pub run_time_s: f64,
    /// Number of starts: every crank attempt counts, a failed one too.
    pub starts: u32,
    /// Generated energy counter (kWh).
    pub energy_kwh: f64,
    /// Current fuel consumption (l/h).
    pub fuel_rate_l_per_h: f64,
    /// Fuel burnt since the simulation started (l).
    pub fuel_burned_l: f64,
    /// Controller serial number.
    pub serial_number: u32,
    /// Crank attempts in the present start request (0 again once the request ends).
    pub crank_attempts: u32,
    /// Whether the present crank is one that fails ([`Faults::failed_first_crank`]).
    pub crank_failing: bool,
    /// Length of the present pre-start (s): [`PRESTART_S`], [`CRANK_REST_S`] after a failed crank.
    pub prestart_for_s: f64,
    /// Ramp time of the present start (s): [`RAMP_S`], [`SLOW_START_RAMP_S`] with `slow_start`.
    pub ramp_s: f64,
    /// Whether the output has been acceptable since the last crank (`generator_ready` recorded).
    pub ready_since_crank: bool,
}

impl Generator {
    fn new(
        name: &'static str,
        serial_number: u32,
        run_time_s: f64,
        starts: u32,
        energy_kwh: f64,
    ) -> Self {
        Self {
            name,
            state: EngineState::Stopped,
            state_time_s: 0.0,
            start_request_s: 0.0,
            control_mode: 1,
            rpm: 0.0,
            voltage_ln_v: 0.0,
            frequency_hz: 0.0,
            load_kw: 0.0,
            oil_pressure_kpa: 0.0,
            coolant_temp_c: 40.0,
            oil_temp_c: 38.0,
            oil_temp_sensor_ok: true,
            battery_v: 27.2,
            run_time_s,
            starts,
            energy_kwh,
            fuel_rate_l_per_h: 0.0,
            fuel_burned_l: 0.0,
            serial_number,
            crank_attempts: 0,
            crank_failing: false,
            prestart_for_s: PRESTART_S,
            ramp_s: RAMP_S,
            ready_since_crank: false,
        }
    }

    /// Whether voltage and frequency are within [`ACCEPT_TOLERANCE`] of nominal.
    /// (A last-digit float error on the boundary counts as inside.)
    pub fn output_acceptable(&self) -> bool {
        const SLACK: f64 = 1e-9;
        (self.voltage_ln_v - NOMINAL_VOLTAGE_LN_V).abs()
            <= ACCEPT_TOLERANCE * NOMINAL_VOLTAGE_LN_V + SLACK
            && (self.frequency_hz - NOMINAL_FREQUENCY_HZ).abs()
                <= ACCEPT_TOLERANCE * NOMINAL_FREQUENCY_HZ + SLACK
    }

    /// Load as a fraction of the rating.
    pub fn load_fraction(&self) -> f64 {
        self.load_kw / GEN_RATED_KW
    }

    /// Line current of one phase (A).
    pub fn phase_current_a(&self) -> f64 {
        if self.voltage_ln_v < 1.0 {
            return 0.0;
        }
        self.load_kw * 1000.0 / 3.0 / (self.voltage_ln_v * POWER_FACTOR)
    }

    fn set_state(&mut self, state: EngineState) {
        self.state = state;
        self.state_time_s = 0.0;
    }

    /// Advance the controller state machine and the engine's speed (not its load); the kinds
    /// of the transitions made are pushed onto `events`.
    fn control(
        &mut self,
        run_requested: bool,
        fuel_available: bool,
        faults: Faults,
        dt: f64,
        noise: &mut Lcg,
        events: &mut Vec<&'static str>,
    ) {
        self.state_time_s += dt;
        let run_requested = run_requested && fuel_available;
        match self.state {
            EngineState::Stopped => {
                if !run_requested {
                    self.start_request_s = 0.0;
                    self.crank_attempts = 0;
                } else if self.crank_attempts > 0 {
                    // After a failed crank: the rest counts from the failure (the step just
                    // spent stopped included), in pre-start; then the next attempt.
                    self.prestart_for_s = CRANK_REST_S - self.state_time_s;
                    self.set_state(EngineState::PreStart);
                    events.push("prestart");
                } else if self.start_request_s >= START_DELAY_S - PRESTART_S - TIME_EPS_S {
                    self.prestart_for_s = PRESTART_S;
                    self.set_state(EngineState::PreStart);
                    events.push("prestart");
                } else {
                    // The delay counts from the step the request appeared in.
                    self.start_request_s += dt;
                }
            }
            EngineState::PreStart => {
                if !run_requested {
                    self.start_request_s = 0.0;
                    self.crank_attempts = 0;
                    self.set_state(EngineState::Stopped);
                } else if self.state_time_s >= self.prestart_for_s - TIME_EPS_S {
                    self.starts += 1;
                    self.crank_attempts += 1;
                    self.start_request_s = 0.0;
                    self.crank_failing = faults.failed_first_crank && self.crank_attempts == 1;
                    self.ramp_s = if faults.slow_start {
                        SLOW_START_RAMP_S
                    } else {
                        RAMP_S
                    };
                    self.ready_since_crank = false;
                    self.set_state(EngineState::WarmingUp);
                    events.push("crank");
                }
            }
            EngineState::WarmingUp if self.crank_failing => {
                if !run_requested || self.state_time_s >= FAILED_CRANK_S - TIME_EPS_S {
                    self.crank_failing = false;
                    self.set_state(EngineState::Stopped);
                    events.push("crank_failed");
                }
            }
            EngineState::WarmingUp => {
                if !fuel_available {
                    self.set_state(EngineState::Stopped);
                    events.push("generator_stopped");
                } else if self.state_time_s >= WARMUP_S.max(self.ramp_s) - TIME_EPS_S {
                    if run_requested {
                        self.set_state(EngineState::Running);
                    } else {
                        self.set_state(EngineState::CoolingDown);
                        events.push("cool_down");
                    }
                }
            }
            EngineState::Running => {
                if !fuel_available {
                    self.set_state(EngineState::Stopped);
                    events.push("generator_stopped");
                } else if !run_requested {
                    self.set_state(EngineState::CoolingDown);
                    events.push("cool_down");
                }
            }
            EngineState::CoolingDown => {
                if !fuel_available || self.state_time_s >= COOLDOWN_S - TIME_EPS_S {
                    self.set_state(EngineState::Stopped);
                    events.push("generator_stopped");
                } else if run_requested {
                    self.set_state(EngineState::Running);
                }
            }
        }

        // Speed: the starter alone on a failing crank, ramp up after cranking, hold while
        // running, run down after stop.
        match self.state {
            EngineState::WarmingUp if self.crank_failing => self.rpm = CRANK_RPM,
            EngineState::WarmingUp => {
                self.rpm = NOMINAL_RPM * (self.state_time_s / self.ramp_s).min(1.0);
            }
            EngineState::Running | EngineState::CoolingDown => {
                self.rpm = NOMINAL_RPM + 2.0 * noise.next_signed();
            }
            EngineState::Stopped | EngineState::PreStart => {
                self.rpm = (self.rpm - NOMINAL_RPM / RUNDOWN_S * dt).max(0.0);
            }
        }
        let r = self.rpm / NOMINAL_RPM;
        if matches!(self.state, EngineState::Running | EngineState::CoolingDown) {
            self.voltage_ln_v = NOMINAL_VOLTAGE_LN_V + 0.6 * noise.next_signed();
            self.frequency_hz = NOMINAL_FREQUENCY_HZ + 0.02 * noise.next_signed();
        } else {
            // Excitation follows speed while ramping and running down.
            self.voltage_ln_v = NOMINAL_VOLTAGE_LN_V * r;
            self.frequency_hz = NOMINAL_FREQUENCY_HZ * r;
        }
        let cranked = matches!(
            self.state,
            EngineState::WarmingUp | EngineState::Running | EngineState::CoolingDown
        );
        if cranked && !self.ready_since_crank && self.output_acceptable() {
            self.ready_since_crank = true;
            events.push("generator_ready");
        }
    }

    /// Accumulate counters and engine temperatures for the load just set.
    fn integrate(&mut self, dt: f64, noise: &mut Lcg) {
        let turning = self.rpm > 0.0;
        if turning {
            self.run_time_s += dt;
            self.energy_kwh += self.load_kw * dt / 3600.0;
            self.fuel_rate_l_per_h = fuel_consumption_l_per_h(self.load_fraction());
        } else {
            self.fuel_rate_l_per_h = 0.0;
        }
        self.fuel_burned_l += self.fuel_rate_l_per_h * dt / 3600.0;

        let r = self.rpm / NOMINAL_RPM;
        self.oil_pressure_kpa = if turning {
            (420.0 - 0.3 * (self.oil_temp_c - 40.0)) * r
        } else {
            0.0
        };
        let (coolant_target, oil_target, tau) = if turning {
            (
                75.0 + 12.0 * self.load_fraction(),
                80.0 + 15.0 * self.load_fraction(),
                600.0,
            )
        } else {
            (40.0, 38.0, 1800.0) // jacket heater keeps a stopped engine warm
        };
        self.coolant_temp_c += (coolant_target - self.coolant_temp_c) * (dt / tau).min(1.0);
        self.oil_temp_c += (oil_target - self.oil_temp_c) * (dt / tau).min(1.0);
        self.battery_v = match self.state {
            EngineState::WarmingUp if self.crank_failing || self.state_time_s < 1.5 => 21.8, // cranking dip
            _ if turning => 27.9, // charge alternator
            _ => 27.2,            // float charger
        } + 0.05 * noise.next_signed();
    }
}

/// The public grid supply.
#[derive(Debug, Clone, PartialEq)]
pub struct Mains {
    /// Whether mains is present.
    pub available: bool,
    /// Line-to-neutral voltage (V), 0 when lost.
    pub voltage_ln_v: f64,
    /// Frequency (Hz), 0 when lost.
    pub frequency_hz: f64,
    /// How long mains has been continuously present (s), 0 at the step it came back.
    pub stable_s: f64,
}

/// Position of the transfer switch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AtsPosition {
    /// Load on mains (code 0).
    Normal,
    /// Load on the generators (code 1).
    Emergency,
}

impl AtsPosition {
    /// Register code: 0 normal, 1 emergency.
    pub fn code(self) -> u16 {
        match self {
            AtsPosition::Normal => 0,
            AtsPosition::Emergency => 1,
        }
    }
}

/// The automatic transfer switch between mains and the generator bus.
#[derive(Debug, Clone, PartialEq)]
pub struct Ats {
    /// Where the essential load is connected.
    pub position: AtsPosition,
    /// Transfers since commissioning.
    pub transfer_count: u32,
    /// Unix time (s, sim clock) of the last transfer.
    pub last_transfer_unix_s: u64,
    /// How long the generator supply has been acceptable (s): 0 at the first step it is.
    pub emergency_ok_s: f64,
    /// Whether the generator supply was acceptable at the last step.
    pub emergency_available: bool,
    /// Whether the ATS is signalling the generators to start.
    pub start_signal: bool,
    /// Test mode (monthly test on load): the ATS signals the start and transfers to the
    /// generators although mains is present; it transfers back at once when test mode ends.
    pub test_mode: bool,
}

/// The UPS in front of the most critical loads (Class 0).
#[derive(Debug, Clone, PartialEq)]
pub struct Ups {
    /// Whether it runs from its battery (no supply on its input).
    pub on_battery: bool,
    /// Output load (% of rating).
    pub load_percent: f64,
    /// Estimated battery runtime left (minutes).
    pub battery_minutes: f64,
    /// Runtime of a full battery at the present load (minutes).
    pub battery_full_minutes: f64,
    /// Input voltage (V), 0 when the input is dead.
    pub input_voltage_v: f64,
    /// Output voltage (V).
    pub output_voltage_v: f64,
}

impl Ups {
    /// Battery charge (% of full).
    pub fn charge_percent(&self) -> f64 {
        100.0 * self.battery_minutes / self.battery_full_minutes
    }
}

/// Diesel storage: main tank and the day tank the generators draw from.
#[derive(Debug, Clone, PartialEq)]
pub struct FuelTanks {
    /// Main tank content (l).
    pub main_l: f64,
    /// Day tank content (l).
    pub day_l: f64,
    /// Whether the transfer pump (main → day tank) runs.
    pub transfer_pump_running: bool,
    /// Main tank loss by leakage (l/h).
    pub leak_l_per_h: f64,
}

impl FuelTanks {
    /// Day tank level (% of capacity).
    pub fn day_percent(&self) -> f64 {
        100.0 * self.day_l / DAY_TANK_CAPACITY_L
    }

    /// Change of the main tank since the simulation started (l, negative when it went down).
    pub fn main_change_l(&self) -> f64 {
        self.main_l - MAIN_TANK_START_L
    }
}

/// Reserve water tank with booster pumps.
#[derive(Debug, Clone, PartialEq)]
pub struct ReserveWater {
    /// Water in the tank (m³).
    pub volume_m3: f64,
    /// Booster pump discharge pressure (bar).
    pub pressure_bar: f64,
    /// Whether booster pump 1 runs (duty pump).
    pub pump1_running: bool,
    /// Whether booster pump 2 runs (standby; it never runs in these scenarios).
    pub pump2_running: bool,
    /// Booster pump 1 is tripped until this simulated time (s) (`pump_trip` fault).
    pub pump1_tripped_until_s: Option<f64>,
    /// Whether the municipal supply valve tops the tank up (below 80 %, until 95 %).
    pub refilling: bool,
}

impl ReserveWater {
    /// Whether the volume is below 25 % of the capacity.
    pub fn low_level(&self) -> bool {
        self.volume_m3 < 0.25 * WATER_CAPACITY_M3
    }
}

/// District-heating substation (primary side).
#[derive(Debug, Clone, PartialEq)]
pub struct DistrictHeating {
    /// Supply temperature (°C).
    pub supply_c: f64,
    /// Return temperature (°C).
    pub return_c: f64,
    /// Flow (m³/h).
    pub flow_m3_per_h: f64,
    /// Heat power (kW) = flow · ΔT · 1.16.
    pub power_kw: f64,
    /// Energy meter (kWh).
    pub energy_kwh: f64,
}

/// Air-handling unit.
#[derive(Debug, Clone, PartialEq)]
pub struct Ahu {
    /// Supply air temperature (°C).
    pub supply_air_c: f64,
    /// Whether the supply fan runs (only while the essential bus is powered).
    pub fan_running: bool,
    /// Duct static pressure (Pa).
    pub duct_pressure_pa: f64,
    /// Supply air temperature setpoint (°C).
    pub setpoint_c: f64,
}

/// The whole reference hospital plant.
#[derive(Debug, Clone, PartialEq)]
pub struct Plant {
    /// The scenario it runs.
    pub scenario: Scenario,
    /// Simulated seconds since start.
    pub t_s: f64,
    /// Unix time (s) that simulated time 0 corresponds to.
    pub epoch_unix_s: u64,
    /// Mains is lost at this simulated time (s), if ever (from the scenario; tests may change it).
    pub mains_lost_at_s: Option<f64>,
    /// Mains returns at this simulated time (s), if ever. This one window (from the blackout
    /// scenario, fast-forward's `--blackout-at` or a test) adds to [`Schedule::outages`].
    pub mains_back_at_s: Option<f64>,
    /// Mains-outage and test-mode windows (from the scenario; fast-forward may set a year).
    pub schedule: Schedule,
    /// Faults that apply all the time (each schedule window may add its own).
    pub faults: Faults,
    /// Ground truth: every transition made so far, in order.
    pub events: Vec<TruthEvent>,
    /// Base essential load (kW); the actual load varies slowly around it.
    pub essential_load_base_kw: f64,
    /// Present essential load (kW), whether or not anything feeds it.
    pub essential_load_kw: f64,
    /// Whether the essential bus has a supply (mains through ATS normal, or generators through ATS emergency).
    pub essential_powered: bool,
    /// Mains.
    pub mains: Mains,
    /// Generators G1 and G2.
    pub generators: [Generator; 2],
    /// Transfer switch.
    pub ats: Ats,
    /// UPS.
    pub ups: Ups,
    /// Fuel tanks.
    pub fuel: FuelTanks,
    /// Reserve water.
    pub water: ReserveWater,
    /// District heating.
    pub heating: DistrictHeating,
    /// Air-handling unit.
    pub ahu: Ahu,
    /// Noise source.
    noise: Lcg,
}

impl Plant {
    /// A plant at t = 0 with mains present, for this scenario; epoch [`DEFAULT_EPOCH_UNIX_S`].
    pub fn new(scenario: &Scenario) -> Plant {
        Plant::with_epoch(scenario, DEFAULT_EPOCH_UNIX_S)
    }

    /// Like [`Plant::new`] with simulated time 0 at `epoch_unix_s`.
    pub fn with_epoch(scenario: &Scenario, epoch_unix_s: u64) -> Plant {
        let mut g2 = Generator::new("G2", 1_840_562, 1_187_200.0, 398, 171_350.0);
        g2.oil_temp_sensor_ok = false;
        let mut plant = Plant {
            scenario: *scenario,
            t_s: 0.0,
            epoch_unix_s,
            mains_lost_at_s: scenario.mains_lost_at_s(),
            mains_back_at_s: scenario.mains_back_at_s(),
            schedule: Schedule {
                outages: Vec::new(),
                tests: scenario.test_mode_window().into_iter().collect(),
            },
            faults: Faults::NONE,
            events: Vec::new(),
            essential_load_base_kw: ESSENTIAL_LOAD_KW,
            essential_load_kw: ESSENTIAL_LOAD_KW,
            essential_powered: true,
            mains: Mains {
                available: true,
                voltage_ln_v: NOMINAL_VOLTAGE_LN_V,
                frequency_hz: NOMINAL_FREQUENCY_HZ,
                stable_s: 86_400.0,
            },
            generators: [
                Generator::new("G1", 1_840_561, 1_234_567.0, 412, 185_020.0),
                g2,
            ],
            ats: Ats {
                position: AtsPosition::Normal,
                transfer_count: 146,
                // The monthly test run 12 days before start.
                last_transfer_unix_s: epoch_unix_s.saturating_sub(12 * 86_400),
                emergency_ok_s: 0.0,
                emergency_available: false,
                start_signal: false,
                test_mode: false,
            },
            ups: Ups {
                on_battery: false,
                load_percent: 42.0,
                battery_minutes: 38.0,
                battery_full_minutes: 38.0,
                input_voltage_v: NOMINAL_VOLTAGE_LN_V,
                output_voltage_v: NOMINAL_VOLTAGE_LN_V,
            },
            fuel: FuelTanks {
                main_l: MAIN_TANK_START_L,
                day_l: DAY_TANK_START_L,
                transfer_pump_running: false,
                leak_l_per_h: scenario.main_tank_leak_l_per_h(),
            },
            water: ReserveWater {
                volume_m3: WATER_START_M3,
                pressure_bar: WATER_PRESSURE_BAR,
                pump1_running: true,
                pump2_running: false,
                pump1_tripped_until_s: None,
                refilling: false,
            },
            heating: DistrictHeating {
                supply_c: 92.0,
                return_c: 52.0,
                flow_m3_per_h: 18.0,
                power_kw: 18.0 * 40.0 * 1.16,
                energy_kwh: 12_345_678.0,
            },
            ahu: Ahu {
                supply_air_c: AHU_SUPPLY_SETPOINT_C,
                fan_running: true,
                duct_pressure_pa: AHU_DUCT_PRESSURE_PA,
                setpoint_c: AHU_SUPPLY_SETPOINT_C,
            },
            noise: Lcg::new(0x05EE_D0FD_21F7_u64),
        };
        // Settle the measured values (noise, derived quantities) without advancing time.
        plant.substep(0.0);
        plant
    }

    /// The same plant with these faults on all the time.
    pub fn with_faults(mut self, faults: Faults) -> Plant {
        self.faults = faults;
        self
    }

    /// The faults that apply at simulated time `t_s`: the plant's and the active windows'.
    pub fn faults_at(&self, t_s: f64) -> Faults {
        self.faults.union(self.schedule.faults_at(t_s))
    }

    /// Put the transfer switch in test mode from now until [`Plant::end_test_mode_now`].
    pub fn start_test_mode_now(&mut self) {
        self.schedule.tests.push(Window::open(self.t_s));
    }

    /// End every open test-mode window now.
    pub fn end_test_mode_now(&mut self) {
        let now = self.t_s;
        for w in &mut self.schedule.tests {
            if w.until_s.is_none() {
                w.until_s = Some(now);
            }
        }
    }

    /// The ground truth as JSON: `{"epoch_unix_s":…,"scenario":"…","faults":"…","events":[…]}`.
    pub fn truth_json(&self) -> String {
        serde_json::json!({
            "epoch_unix_s": self.epoch_unix_s,
            "scenario": self.scenario.name(),
            "faults": self.faults.to_string(),
            "events": self.events.iter().map(TruthEvent::to_json).collect::<Vec<_>>(),
        })
        .to_string()
    }

    /// Unix time (s) of the simulated clock now.
    /// (Simulated time is taken to the millisecond first, as in [`TruthEvent`], so a sum of
    /// float steps just below a whole second does not read as the second before.)
    pub fn unix_time_s(&self) -> u64 {
        self.epoch_unix_s + ((self.t_s * 1000.0).round() / 1000.0).max(0.0) as u64
    }

    /// Advance simulated time by `dt_s` seconds (internally in steps of at most
    /// [`MAX_SUBSTEP_S`]). A non-finite or non-positive `dt_s` does nothing.
    pub fn step(&mut self, dt_s: f64) {
        self.step_by(dt_s, MAX_SUBSTEP_S);
    }

    /// Like [`Plant::step`] with internal steps of at most `max_substep_s` (at least
    /// [`MAX_SUBSTEP_S`]): for fast-forwarding quiet hours, where only stocks, temperatures and
    /// counters move. Near a scheduled test or outage use [`Plant::step`]: the controllers'
    /// timings (start delay, acceptance, cool-down) are only exact in 0.1 s steps.
    pub fn step_by(&mut self, dt_s: f64, max_substep_s: f64) {
        if !dt_s.is_finite() || dt_s <= 0.0 {
            return;
        }
        let max_substep_s = if max_substep_s.is_finite() { max_substep_s.max(MAX_SUBSTEP_S) } else { MAX_SUBSTEP_S };
        let n = (dt_s / max_substep_s).ceil().max(1.0) as u64;
        let h = dt_s / n as f64;
        for _ in 0..n {
            self.t_s += h;
            self.substep(h);
        }
    }

    /// Whether mains is present at simulated time `t_s` by the schedule (the single window of
    /// `mains_lost_at_s`..`mains_back_at_s` and every window of `schedule.outages`).
    pub fn mains_scheduled_at(&self, t_s: f64) -> bool {
        let single = match self.mains_lost_at_s {
            Some(lost) if t_s >= lost - TIME_EPS_S => self
                .mains_back_at_s
                .is_some_and(|back| t_s >= back - TIME_EPS_S),
            _ => true,
        };
        single && !self.schedule.mains_lost_at(t_s)
    }

    /// Whether the transfer switch is in test mode at simulated time `t_s` by the schedule.
    pub fn test_mode_scheduled_at(&self, t_s: f64) -> bool {
        self.schedule.test_mode_at(t_s)
    }

    /// Record a transition at the present time.
    fn record(&mut self, kind: &'static str, unit: Option<&'static str>) {
        self.events
            .push(TruthEvent::new(self.epoch_unix_s, self.t_s, kind, unit));
    }

    fn substep(&mut self, dt: f64) {
        let t = self.t_s;
        let tau = std::f64::consts::TAU;
        let faults = self.faults_at(t);

        // Mains.
        let available = self.mains_scheduled_at(t);
        if available != self.mains.available {
            self.record(
                if available {
                    "mains_back"
                } else {
                    "mains_lost"
                },
                None,
            );
        }
        // Stable time counts from the step mains came back in.
        self.mains.stable_s = if available && self.mains.available {
            self.mains.stable_s + dt
        } else {
            0.0
        };
        self.mains.available = available;
        if available {
            self.mains.voltage_ln_v = NOMINAL_VOLTAGE_LN_V + 1.5 + 0.8 * self.noise.next_signed();
            self.mains.frequency_hz = NOMINAL_FREQUENCY_HZ + 0.03 * self.noise.next_signed();
        } else {
            self.mains.voltage_ln_v = 0.0;
            self.mains.frequency_hz = 0.0;
        }

        // Test mode (monthly test on load).
        let test_mode = self.test_mode_scheduled_at(t);
        if test_mode != self.ats.test_mode {
            self.record(
                if test_mode {
                    "test_mode_on"
                } else {
                    "test_mode_off"
                },
                Some("ats"),
            );
        }
        self.ats.test_mode = test_mode;

        // Generators: the ATS asks them to run while mains is lost, the load is on them or it
        // is in test mode.
        let start_signal = !available || self.ats.position == AtsPosition::Emergency || test_mode;
        if start_signal && !self.ats.start_signal {
            self.record("start_signal", Some("ats"));
        }
        self.ats.start_signal = start_signal;
        let fuel_available = self.fuel.day_l > 0.0;
        let mut kinds = Vec::new();
        for i in 0..self.generators.len() {
            kinds.clear();
            let g = &mut self.generators[i];
            g.control(
                start_signal,
                fuel_available,
                faults,
                dt,
                &mut self.noise,
                &mut kinds,
            );
            let name = g.name;
            for &kind in &kinds {
                self.record(kind, Some(name));
            }
        }

        // Transfer switch.
        let gen_ok = self.generators.iter().any(Generator::output_acceptable);
        self.ats.emergency_ok_s = match (gen_ok, self.ats.emergency_available) {
            (true, true) => self.ats.emergency_ok_s + dt,
            _ => 0.0,
        };
        self.ats.emergency_available = gen_ok;
        let wants_emergency = !available || test_mode;
        let transfer_to = match self.ats.position {
            AtsPosition::Normal
                if wants_emergency
                    && !faults.no_transfer
                    && gen_ok
                    && self.ats.emergency_ok_s >= ATS_EMERGENCY_ACCEPT_S - TIME_EPS_S =>
            {
                Some(AtsPosition::Emergency)
            }
            AtsPosition::Emergency
                if available
                    && !test_mode
                    && self.mains.stable_s >= ATS_RETURN_DELAY_S - TIME_EPS_S =>
            {
                Some(AtsPosition::Normal)
            }
            // Generator supply lost while on emergency and mains present: go back at once.
            AtsPosition::Emergency if available && !gen_ok => Some(AtsPosition::Normal),
            _ => None,
        };
        if let Some(position) = transfer_to {
            self.ats.position = position;
            self.ats.transfer_count += 1;
            self.ats.last_transfer_unix_s = self.unix_time_s();
            self.record(
                match position {
                    AtsPosition::Emergency => "transfer_to_emergency",
                    AtsPosition::Normal => "retransfer",
                },
                Some("ats"),
            );
        }
        let was_powered = self.essential_powered;
        self.essential_powered = match self.ats.position {
            AtsPosition::Normal => available,
            AtsPosition::Emergency => gen_ok,
        };

        // Essential load, shared equally by the generators that deliver when on emergency.
        self.essential_load_kw = self.essential_load_base_kw
            + 25.0 * (tau * t / 1800.0).sin()
            + 5.0 * self.noise.next_signed();
        let on_gens = self.ats.position == AtsPosition::Emergency && self.essential_powered;
        let sharing = self
            .generators
            .iter()
            .filter(|g| g.output_acceptable())
            .count();
        for i in 0..self.generators.len() {
            let g = &mut self.generators[i];
            let had_load = g.load_kw > 0.0;
            g.load_kw = if on_gens && sharing > 0 && g.output_acceptable() {
                self.essential_load_kw / sharing as f64
            } else {
                0.0
            };
            g.integrate(dt, &mut self.noise);
            if !had_load && g.load_kw > 0.0 {
                let name = g.name;
                self.record("load_picked_up", Some(name));
            }
        }

        // Fuel: the generators draw from the day tank, refilled from the main tank.
        let burned: f64 = self
            .generators
            .iter()
            .map(|g| g.fuel_rate_l_per_h)
            .sum::<f64>()
            * dt
            / 3600.0;
        self.fuel.day_l = (self.fuel.day_l - burned).max(0.0);
        let pump_powered = self.essential_powered;
        if self.fuel.day_l < TRANSFER_START_FRACTION * DAY_TANK_CAPACITY_L {
            self.fuel.transfer_pump_running = true;
        }
        if self.fuel.day_l >= TRANSFER_STOP_FRACTION * DAY_TANK_CAPACITY_L
            || self.fuel.main_l <= 0.0
        {
            self.fuel.transfer_pump_running = false;
        }
        if self.fuel.transfer_pump_running && pump_powered {
            let moved = (TRANSFER_PUMP_L_PER_H * dt / 3600.0).min(self.fuel.main_l);
            self.fuel.main_l -= moved;
            self.fuel.day_l = (self.fuel.day_l + moved).min(DAY_TANK_CAPACITY_L);
        }
        self.fuel.main_l = (self.fuel.main_l - self.fuel.leak_l_per_h * dt / 3600.0).max(0.0);

        // UPS: fed by the essential bus.
        let powered = self.essential_powered;
        let supply_v = match self.ats.position {
            AtsPosition::Normal => self.mains.voltage_ln_v,
            AtsPosition::Emergency => self
                .generators
                .iter()
                .map(|g| g.voltage_ln_v)
                .fold(0.0, f64::max),
        };
        if self.ups.on_battery == powered {
            self.record(
                if powered {
                    "ups_off_battery"
                } else {
                    "ups_on_battery"
                },
                Some("ups"),
            );
        }
        self.ups.on_battery = !powered;
        self.ups.input_voltage_v = if powered { supply_v } else { 0.0 };
        self.ups.output_voltage_v = NOMINAL_VOLTAGE_LN_V + 0.3 * self.noise.next_signed();
        self.ups.load_percent =
            42.0 + 3.0 * (tau * t / 2400.0).sin() + 0.5 * self.noise.next_signed();
        if self.ups.on_battery {
            // Runtime falls faster than wall time when the load is above the rated 42 %.
            let rate = self.ups.load_percent / 42.0;
            self.ups.battery_minutes = (self.ups.battery_minutes - rate * dt / 60.0).max(0.0);
        } else {
            // Recharge takes ten times the discharge time.
            self.ups.battery_minutes =
                (self.ups.battery_minutes + dt / 600.0).min(self.ups.battery_full_minutes);
        }

        // Reserve water: drains steadily; booster pumps hold pressure only when powered.
        // The municipal supply tops the tank up below 80 % (never in a day's run from
        // the start volume; it keeps a fast-forwarded year from running the tank dry).
        if self.water.volume_m3 < WATER_REFILL_START_FRACTION * WATER_CAPACITY_M3 {
            self.water.refilling = true;
        } else if self.water.volume_m3 >= WATER_REFILL_STOP_FRACTION * WATER_CAPACITY_M3 {
            self.water.refilling = false;
        }
        let inflow = if self.water.refilling { WATER_REFILL_M3_PER_H } else { 0.0 };
        self.water.volume_m3 = (self.water.volume_m3
            + (inflow - WATER_CONSUMPTION_M3_PER_H) * dt / 3600.0)
            .clamp(0.0, WATER_CAPACITY_M3);
        let changeover = transfer_to == Some(AtsPosition::Emergency);
        if let Some(until) = self.water.pump1_tripped_until_s
            && t >= until - TIME_EPS_S
        {
            self.water.pump1_tripped_until_s = None;
            self.record("pump_restart", Some("pump1"));
        }
        if faults.pump_trip
            && self.water.pump1_tripped_until_s.is_none()
            && ((was_powered && !powered) || changeover)
        {
            self.water.pump1_tripped_until_s = Some(t + PUMP_TRIP_S);
            self.record("pump_trip", Some("pump1"));
        }
        self.water.pump1_running =
            powered && self.water.volume_m3 > 0.0 && self.water.pump1_tripped_until_s.is_none();
        self.water.pump2_running = false;
        let target = if self.water.pump1_running {
            WATER_PRESSURE_BAR
        } else {
            WATER_STATIC_PRESSURE_BAR
        };
        self.water.pressure_bar += (target - self.water.pressure_bar) * (dt / 3.0).min(1.0);
        let pressure_noise = 0.02 * self.noise.next_signed();
        self.water.pressure_bar = (self.water.pressure_bar + pressure_noise * dt.min(1.0)).max(0.0);

        // District heating: slow drift and small noise, independent of the essential bus.
        let h = &mut self.heating;
        h.supply_c = 92.0 + 3.0 * (tau * t / 7200.0).sin() + 0.1 * self.noise.next_signed();
        h.return_c = 52.0 + 2.0 * (tau * t / 5400.0 + 1.0).sin() + 0.1 * self.noise.next_signed();
        h.flow_m3_per_h = 18.0 + 1.5 * (tau * t / 3000.0).sin() + 0.05 * self.noise.next_signed();
        h.power_kw = h.flow_m3_per_h * (h.supply_c - h.return_c) * 1.16;
        h.energy_kwh += h.power_kw * dt / 3600.0;

        // Air handling: the fan stops without power; the supply air drifts towards the
        // room temperature meanwhile and back to the setpoint when it runs.
        self.ahu.fan_running = powered;
        let (p_target, p_tau) = if powered {
            (AHU_DUCT_PRESSURE_PA, 4.0)
        } else {
            (0.0, 2.0)
        };
        self.ahu.duct_pressure_pa += (p_target - self.ahu.duct_pressure_pa) * (dt / p_tau).min(1.0);
        let temp_target = if powered {
            self.ahu.setpoint_c + 0.3 * (tau * t / 900.0).sin()
        } else {
            22.0
        };
        self.ahu.supply_air_c += (temp_target - self.ahu.supply_air_c) * (dt / 60.0).min(1.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_until(plant: &mut Plant, t_s: f64) {
        if t_s > plant.t_s {
            plant.step(t_s - plant.t_s);
        }
    }

    #[test]
    fn fuel_curve_points_and_interpolation() {
        assert_eq!(fuel_consumption_l_per_h(0.0), 8.0);
        assert_eq!(fuel_consumption_l_per_h(0.25), 60.0);
        assert_eq!(fuel_consumption_l_per_h(0.5), 110.0);
        assert_eq!(fuel_consumption_l_per_h(0.75), 160.0);
        assert_eq!(fuel_consumption_l_per_h(1.0), 210.0);
        assert!((fuel_consumption_l_per_h(0.125) - 34.0).abs() < 1e-9);
        assert_eq!(fuel_consumption_l_per_h(1.3), 210.0);
        assert_eq!(fuel_consumption_l_per_h(-0.2), 8.0);
        assert_eq!(fuel_consumption_l_per_h(f64::NAN), 8.0);
    }

    #[test]
    fn normal_scenario_stays_on_mains() {
        let mut p = Plant::new(&Scenario::Normal);
        run_until(&mut p, 900.0);
        assert!(p.mains.available && p.essential_powered);
        assert_eq!(p.ats.position, AtsPosition::Normal);
        assert_eq!(p.ats.transfer_count, 146);
        for g in &p.generators {
            assert_eq!(g.state, EngineState::Stopped);
            assert_eq!(g.rpm, 0.0);
            assert_eq!(g.fuel_burned_l, 0.0);
        }
        assert!(!p.ups.on_battery);
        assert!(p.ahu.fan_running);
        assert!((p.water.pressure_bar - WATER_PRESSURE_BAR).abs() < 0.1);
        // 2 m³/h for 15 minutes.
        assert!((p.water.volume_m3 - (WATER_START_M3 - 0.5)).abs() < 1e-6);
        // Main tank unchanged without a leak; day tank above the pump threshold.
        assert_eq!(p.fuel.main_l, MAIN_TANK_START_L);
    }

    #[test]
    fn fuel_burn_for_one_hour_at_half_load_matches_the_curve() {
        let mut p = Plant::new(&Scenario::Blackout);
        p.mains_back_at_s = None; // mains stays away
        p.essential_load_base_kw = GEN_RATED_KW; // 400 kW each = 50 %
        run_until(&mut p, 60.0);
        assert_eq!(p.ats.position, AtsPosition::Emergency);
        let burned_before: Vec<f64> = p.generators.iter().map(|g| g.fuel_burned_l).collect();
        let stock_before = p.fuel.main_l + p.fuel.day_l;
        p.step(3600.0);
        let expected = fuel_consumption_l_per_h(0.5);
        for (g, before) in p.generators.iter().zip(&burned_before) {
            let burned = g.fuel_burned_l - before;
            assert!(
                (burned - expected).abs() / expected < 0.01,
                "{} burned {burned:.2} l in 1 h at 50 %, curve says {expected} l",
                g.name
            );
        }
        // The tanks lost exactly what the engines burnt (no leak in this scenario).
        let stock_drop = stock_before - (p.fuel.main_l + p.fuel.day_l);
        assert!(
            (stock_drop - 2.0 * expected).abs() / (2.0 * expected) < 0.01,
            "tanks lost {stock_drop}"
        );
        assert!(
            p.fuel.day_l > 0.5 * DAY_TANK_CAPACITY_L,
            "transfer pump keeps the day tank up"
        );
    }

    #[test]
    fn blackout_sequence() {
        let mut p = Plant::new(&Scenario::Blackout);
        let lost = BLACKOUT_LOST;
        run_until(&mut p, lost - 0.05);
        assert!(p.mains.available && !p.ups.on_battery);

        // Mains lost: the essential bus is dead until the ATS transfers.
        run_until(&mut p, lost + 0.2);
        assert!(!p.mains.available);
        assert!(!p.essential_powered);
        assert!(p.ups.on_battery, "UPS bridges the gap");
        assert!(!p.ahu.fan_running, "AHU fan stops without power");
        assert_eq!(
            p.generators[0].state,
            EngineState::Stopped,
            "start delay running"
        );

        // Pre-start in the last 3 s of the start delay; no crank before the delay.
        run_until(&mut p, lost + START_DELAY_S - 1.0);
        assert_eq!(p.generators[0].state, EngineState::PreStart);
        assert_eq!(p.generators[0].rpm, 0.0);
        assert_eq!(p.generators[0].starts, 412);

        // Cranked after the delay; the ATS must not transfer before V/f are up for 2 s.
        let mut transfer_t = None;
        let mut first_ok_t = None;
        while p.t_s < lost + 30.0 {
            p.step(0.05);
            if first_ok_t.is_none() && p.generators.iter().any(Generator::output_acceptable) {
                first_ok_t = Some(p.t_s);
            }
            if transfer_t.is_none() && p.ats.position == AtsPosition::Emergency {
                transfer_t = Some(p.t_s);
                assert!(p.essential_powered);
            }
            if transfer_t.is_none() {
                assert!(
                    p.ups.on_battery,
                    "UPS on battery throughout the gap (t = {})",
                    p.t_s
                );
            } else {
                assert!(
                    !p.ups.on_battery,
                    "UPS back on supply after transfer (t = {})",
                    p.t_s
                );
            }
        }
        let first_ok_t = first_ok_t.expect("generator voltage and frequency came up");
        let transfer_t = transfer_t.expect("ATS transferred");
        assert!(
            first_ok_t > lost + START_DELAY_S,
            "no output before the start delay"
        );
        assert!(transfer_t - first_ok_t >= ATS_EMERGENCY_ACCEPT_S - 0.06);
        assert!(transfer_t - first_ok_t <= ATS_EMERGENCY_ACCEPT_S + 0.2);
        assert!(
            transfer_t - lost < 15.0,
            "essential supply back within 15 s (Class 15)"
        );
        assert_eq!(p.ats.transfer_count, 147);
        assert_eq!(
            p.ats.last_transfer_unix_s,
            p.epoch_unix_s + transfer_t as u64
        );
        for g in &p.generators {
            assert_eq!(g.state, EngineState::Running);
            assert_eq!(g.starts, if g.name == "G1" { 413 } else { 399 });
            assert!((g.rpm - 1500.0).abs() < 5.0);
            assert!((g.frequency_hz - 50.0).abs() < 0.1);
            assert!(
                (g.load_kw - 450.0).abs() < 30.0,
                "{} carries half of ~900 kW: {}",
                g.name,
                g.load_kw
            );
        }
        assert!(p.ahu.fan_running);
        let used = p.ups.battery_full_minutes - p.ups.battery_minutes;
        assert!(
            used > 0.1 && used < 0.4,
            "the UPS bridged ~14 s on battery, used {used} min"
        );

        // Mains returns at t = 620 s; the ATS waits 30 s of stable mains.
        run_until(&mut p, BLACKOUT_MAINS_BACK_AT_S + ATS_RETURN_DELAY_S - 1.0);
        assert!(p.mains.available);
        assert_eq!(p.ats.position, AtsPosition::Emergency);
        run_until(&mut p, BLACKOUT_MAINS_BACK_AT_S + ATS_RETURN_DELAY_S + 1.0);
        assert_eq!(p.ats.position, AtsPosition::Normal);
        assert_eq!(p.ats.transfer_count, 148);
        assert!(
            !p.ups.on_battery,
            "retransfer is without a gap in this model"
        );
        for g in &p.generators {
            assert_eq!(g.state, EngineState::CoolingDown);
            assert_eq!(g.load_kw, 0.0);
            assert!(
                g.fuel_rate_l_per_h > 7.0 && g.fuel_rate_l_per_h < 9.0,
                "idle burn"
            );
        }

        // Cool-down, then stop and run down.
        run_until(
            &mut p,
            BLACKOUT_MAINS_BACK_AT_S + ATS_RETURN_DELAY_S + COOLDOWN_S + 10.0,
        );
        for g in &p.generators {
            assert_eq!(g.state, EngineState::Stopped);
            assert_eq!(g.rpm, 0.0);
            assert_eq!(g.voltage_ln_v, 0.0);
            assert!(g.run_time_s > 1_000_000.0);
        }
        assert_eq!(
            p.ups.battery_minutes, p.ups.battery_full_minutes,
            "recharged"
        );
    }

    const BLACKOUT_LOST: f64 = crate::scenario::BLACKOUT_MAINS_LOST_AT_S;
    use crate::scenario::BLACKOUT_MAINS_BACK_AT_S;

    #[test]
    fn fuel_leak_drains_the_main_tank_faster() {
        let mut normal = Plant::new(&Scenario::Normal);
        let mut leak = Plant::new(&Scenario::FuelLeak);
        normal.step(7200.0);
        leak.step(7200.0);
        assert_eq!(normal.fuel.main_l, MAIN_TANK_START_L);
        let lost = MAIN_TANK_START_L - leak.fuel.main_l;
        assert!((lost - 100.0).abs() < 0.01, "50 l/h for 2 h, lost {lost}");
    }

    #[test]
    fn water_pressure_drops_without_power() {
        let mut p = Plant::new(&Scenario::Blackout);
        run_until(&mut p, BLACKOUT_LOST + 6.0);
        assert!(!p.water.pump1_running);
        assert!(
            p.water.pressure_bar < 2.0,
            "pressure {}",
            p.water.pressure_bar
        );
        run_until(&mut p, BLACKOUT_LOST + 60.0);
        assert!(p.water.pump1_running);
        assert!((p.water.pressure_bar - WATER_PRESSURE_BAR).abs() < 0.1);
    }

    #[test]
    fn heating_power_follows_flow_and_delta_t() {
        let mut p = Plant::new(&Scenario::Normal);
        let e0 = p.heating.energy_kwh;
        p.step(3600.0);
        let h = &p.heating;
        assert!((h.power_kw - h.flow_m3_per_h * (h.supply_c - h.return_c) * 1.16).abs() < 1e-9);
        assert!((80.0..100.0).contains(&h.supply_c));
        let used = h.energy_kwh - e0;
        assert!(
            (600.0..1100.0).contains(&used),
            "about 800 kWh in an hour, got {used}"
        );
    }

    #[test]
    fn deterministic() {
        let mut a = Plant::new(&Scenario::Blackout);
        let mut b = Plant::new(&Scenario::Blackout);
        a.step(100.0);
        b.step(100.0);
        assert_eq!(a, b);
    }

    #[test]
    fn bad_dt_is_ignored() {
        let mut p = Plant::new(&Scenario::Normal);
        let before = p.clone();
        p.step(f64::NAN);
        p.step(-1.0);
        p.step(0.0);
        assert_eq!(p, before);
    }
}

#[cfg(test)]
mod exercise_tests;
