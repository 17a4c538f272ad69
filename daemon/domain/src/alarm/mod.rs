//! Driftsäkerhet alarms, the pure part: rules, A/B classes, acknowledgement, shelving and
//! incidents. [`engine`] takes readings and time and returns changes; persisting them, the
//! outbox and the actor that runs the engine live in the daemon.

pub mod comm;
pub mod delay;
pub mod engine;
pub mod incident;
pub mod model;
pub mod rate;
pub mod text;

pub use engine::AlarmError;
pub use model::{AlarmRecord, AlarmState, Change, ChangeKind};
