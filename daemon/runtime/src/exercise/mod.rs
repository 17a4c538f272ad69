//! Reservkraftprov (blackout exercise) and outage runs around the domain's pure analysis
//! (`driftvakt_domain::exercise`): `command.rs` the commands and the handle front ends send them
//! through, `store.rs` the runs and notes in the store, `live.rs` the I/O-free monitor (timeline,
//! outage detection, live failures), `tap.rs` the pipeline's side, `service.rs` the actor,
//! `mqtt_cmd.rs` the MQTT command topic, `report/` the exercise report and the run history.

pub mod command;
pub mod live;
pub mod mqtt_cmd;
pub mod report;
pub mod service;
pub mod store;
pub mod tap;
