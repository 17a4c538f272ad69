//! Modbus client: request planning, decoding, polling, and the commissioning probe.
//!
//! Read-only towards the plant: nothing in this module sends a write function code
//! (a test scans the sources to keep it so). See `README.md` beside this file.

pub mod client;
pub mod decode;
pub mod plan;
pub mod poller;
pub mod probe;
pub mod schedule;
pub mod source;
pub mod stats;

pub use client::{ConnectError, RequestError, exception_hint, exception_name};
pub use decode::{decode, decode_bit};
pub use plan::{Plan, PlanLimits, ReadRequest, one_read_per_point, plan};
pub use poller::run_connection;
pub use probe::{
    Interpretation, ProbeError, ProbeReport, address_hints, interpretations, read_raw,
    sentinel_hints,
};
pub use stats::{ConnectionStats, DeviceStats, StatsSnapshot};
