//! Protocol drivers and the plant simulator.
//!
//! Drivers turn a device's configured points into [`Reading`]s; they know nothing of sinks,
//! rules or reports. The simulator is the only server side of any protocol in driftvakt.

pub mod bacnet;
pub mod log_limit;
pub mod modbus;
pub mod sim;

/// The readings drivers produce are the domain's; re-exported while callers move their imports
/// to `driftvakt_domain` (the store and the pipeline still import them from here).
pub use driftvakt_domain::{Quality, Reading, Value};
