//! driftvakt configuration: the TOML schema, its validation, and the validated domain model.
//!
//! `load` reads files and returns either a [`model::Config`] or *every* problem found, each
//! with `file:line:column` and the device/point it concerns.

pub mod model;
