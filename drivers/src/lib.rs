//! Protocol drivers (client side only).
//!
//! Drivers turn a device's configured points into [`Reading`](driftvakt_domain::Reading)s; they know nothing of sinks,
//! rules or reports. The plant simulator, the only server side of any protocol in driftvakt, is
//! its own crate (`driftvakt-sim`, in `drivers/sim/`).

pub mod bacnet;
pub mod boost;
pub mod log_limit;
pub mod modbus;
mod registry;
pub mod source;

pub use boost::PollBoost;
pub use registry::{sources, sources_with};
pub use source::{Source, SourceSnapshot, SourceStats};
