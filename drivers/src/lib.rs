//! Protocol drivers (client side only).
//!
//! Drivers turn a device's configured points into [`Reading`]s; they know nothing of sinks,
//! rules or reports. The plant simulator, the only server side of any protocol in driftvakt, is
//! its own crate (`driftvakt-sim`, in `drivers/sim/`).

pub mod bacnet;
pub mod log_limit;
pub mod modbus;
pub mod source;

/// The readings drivers produce are the domain's; re-exported while callers move their imports
/// to `driftvakt_domain` (the store and the pipeline still import them from here).
pub use driftvakt_domain::{Quality, Reading, Value};
pub use source::{Source, SourceSnapshot, SourceStats, sources};
