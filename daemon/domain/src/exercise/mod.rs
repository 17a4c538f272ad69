//! Reservkraftprov (blackout exercise) and outage analysis, pure: role readings in, a timeline of
//! events and judged figures out. No I/O, no clock: the runtime feeds readings live (to raise
//! alarms while a run goes wrong), the report feeds the same stored readings afterwards, through
//! the same [`Timeline`], so the two always agree.
//!
//! - `model.rs`: a run ([`Run`], its notes), events ([`Event`], [`EventKind`], [`Timing`]);
//! - `timeline.rs`: [`Timeline`], readings → events and the running sums the figures need
//!   (`sums.rs`: held values integrated over the run; `derive.rs`: the events that join
//!   several points, recomputed from per-point records so batching never matters);
//! - `judge.rs`: what start time and changeover are measured from and who is expected to act,
//!   shared by the live check and the report;
//! - `kpi.rs`: [`analyze`], the timeline and the configured criteria → [`Analysis`] (figures,
//!   verdicts per criterion and overall); [`Timeline::live_failures`] the criteria already failed.

mod derive;
mod judge;
mod kpi;
mod model;
mod sums;
mod timeline;

#[cfg(test)]
mod tests;

pub use kpi::{Analysis, Criterion, GeneratorSummary, Kpi, MissingData, Verdict, WatchResult, analyze};
pub use model::{Event, EventKind, Note, Run, Timing};
pub use timeline::{LiveFailure, Timeline};
