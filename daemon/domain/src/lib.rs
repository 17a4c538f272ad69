//! driftvakt's pure domain: what the daemon decides, with no I/O.
//!
//! Readings ([`reading`]), alarm rules, incidents and the alarm engine ([`alarm`]), the
//! notification plan ([`plan`]), endurance arithmetic ([`endurance`]), reservkraftprov and outage
//! timelines and their judged figures ([`exercise`]), which readings of an
//! on-change point are stored ([`on_change`]), every operator string in
//! Swedish and English ([`text`]), number and time formatting ([`fmt`]), and the two shared primitives every loop uses: the [`clock`] and the retry
//! [`backoff`]. Nothing here reads a clock by itself (time comes in as UTC ms, or through a
//! [`clock::Clock`]), touches a database or the network, or spawns a task: every rule is
//! testable with synthetic time. The crate depends on the configuration model only
//! (config ← domain ← drivers ← daemon); the top-level `tests/layering.rs` fails if tokio,
//! rusqlite or a network crate enters its dependency graph.

pub mod alarm;
pub mod backoff;
pub mod clock;
pub mod endurance;
pub mod exercise;
pub mod fmt;
pub mod on_change;
pub mod plan;
pub mod reading;
pub mod text;

pub use reading::{Quality, Reading, Value};
