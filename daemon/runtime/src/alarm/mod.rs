//! Driftsäkerhet alarms, the daemon's side. The rules, the engine and the records are pure and
//! live in `driftvakt_domain::alarm` (readings and time in, changes out); [`store`] persists
//! state, journal and the notification outbox in the embedded store; [`outbox`] and [`behind`]
//! keep notifications going and changes waiting in memory while the store cannot commit;
//! [`service`] runs the engine as the daemon's one alarm actor, fed by the pipeline through
//! [`tap`] (readings of watched points and folded device health only). The notifiers it serves are
//! `crate::notify::Notifier`s, known by their key only; `notify` knows nothing of this module.

pub mod behind;
pub mod outbox;
pub mod service;
pub mod store;
pub mod tap;
