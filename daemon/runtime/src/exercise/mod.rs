//! Reservkraftprov (blackout exercise) and outage runs around the domain's pure analysis
//! (`driftvakt_domain::exercise`): `store.rs` the runs and notes in the store.

pub mod store;
