//! driftvakt configuration: the TOML schema, its validation, and the validated domain model.
//!
//! [`load`] reads a file and returns a [`Loaded`]: the [`model::Config`] if the file is valid,
//! and *every* problem found, each with `file:line:column` and the device/point it concerns.
//! The syntax is described in `SYNTAX.md`, every key in `README.md`.

pub mod bacnet;
mod diagnostic;
pub mod keys;
mod load;
pub mod model;
mod parse;
pub mod password;
mod position;
mod secret;
mod suggest;

pub use diagnostic::{Diagnostic, Loaded, Severity};
pub use load::load;
pub use parse::parse_str;
pub use parse::sentinel::gencomm;
pub use parse::secret::{SecretError, parse_secret};
