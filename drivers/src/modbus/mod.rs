//! Modbus client: request planning, decoding, polling, and the commissioning probe.
//!
//! Read-only towards the plant: nothing in this module sends a write function code
//! (a test scans the sources to keep it so). See `README.md` beside this file.

pub mod decode;
pub mod plan;

pub use decode::{decode, decode_bit};
pub use plan::{Plan, PlanLimits, ReadRequest, one_read_per_point, plan};
