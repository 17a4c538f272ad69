//! Driftsäkerhet alarms: rules, A/B classes, acknowledgement, shelving, incidents and the
//! journal. [`engine`] is pure (readings and time in, changes out); [`store`] persists state,
//! journal and the notification outbox in the embedded store; [`outbox`] and [`behind`] keep
//! notifications going and changes waiting in memory while the store cannot commit;
//! [`service`] runs the engine as the daemon's one alarm actor.

pub mod behind;
pub mod comm;
pub mod delay;
pub mod engine;
pub mod incident;
pub mod model;
pub mod outbox;
pub mod rate;
pub mod service;
pub mod store;
pub mod text;

pub use engine::AlarmError;
pub use model::{AlarmRecord, AlarmState, Change, ChangeKind};
