//! Protocol drivers and the plant simulator.
//!
//! Drivers turn a device's configured points into [`Reading`]s; they know nothing of sinks,
//! rules or reports. The simulator is the only server side of any protocol in driftvakt.

pub mod bacnet;
pub mod log_limit;
pub mod modbus;
pub mod reading;
pub mod sim;
pub mod source;

pub use reading::{Quality, Reading, Value};
pub use source::{Source, SourceSnapshot, SourceStats, sources};
