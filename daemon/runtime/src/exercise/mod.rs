//! Reservkraftprov (blackout exercise) and outage runs around the domain's pure analysis
//! (`driftvakt_domain::exercise`): `command.rs` the commands and the handle front ends send them through, `store.rs` the runs and notes in the store,
//! `report/` the exercise report and the run history.

pub mod command;
pub mod report;
pub mod store;
