//! The reference-hospital plant simulator (server side): the only server of any protocol in
//! driftvakt. Demo, tests, fast-forward and bench use it; the daemon's production path does not.
//! It serves BACnet with the drivers' own codec (`driftvakt_drivers::bacnet`).
//!
//! - [`model`]: the physics (pure, no I/O): generators, fuel, ATS, UPS, water, heating, AHU.
//! - [`scenario`]: what happens when (normal, blackout, fuel_leak, gateway_down, monthly_test).
//! - [`schedule`]: lists of outage and test-mode windows (a year of them: [`year_plan`]).
//! - [`faults`]: faults to train on (slow start, failed first crank, no transfer, pump trip).
//! - [`truth`]: the ground-truth events the model records at each transition.
//! - [`registers`]: the Modbus register images of each simulated device.
//! - [`server`]: two Modbus TCP gateways (`stallverk`, `fastighet`) serving those images.
//! - [`function_log`]: every function code received, the evidence that clients only read.
//! - [`demo_config`]: the bundled reference-hospital configuration pointed at a running simulator.
//! - [`bacnet_objects`], [`bacnet_server`]: the AHU and the district-heating substation also
//!   as BACnet/IP devices behind a simulated router (network 100), with a service log.
//!
//! `drivers/sim/README.md` has the register map; `config/examples/reference-hospital.toml`
//! is the matching configuration.

pub mod bacnet_objects;
pub mod bacnet_server;
pub mod demo_config;
pub mod faults;
pub mod function_log;
pub mod model;
mod noise;
pub mod registers;
pub mod scenario;
pub mod schedule;
pub mod server;
pub mod truth;
mod window;

#[cfg(test)]
mod example_config_tests;

pub use faults::Faults;
pub use function_log::FunctionLog;
pub use model::{Plant, fuel_consumption_l_per_h};
pub use registers::Gateway;
pub use scenario::Scenario;
pub use schedule::{Schedule, Window, year_plan};
pub use truth::TruthEvent;
pub use bacnet_server::{BacnetServiceLog, SimBacnet};
pub use server::{SimHandle, SimOptions, start};
