//! Reservkraftprov (blackout exercise) and outage analysis, pure: role readings in, a timeline of
//! events and judged figures out. No I/O, no clock: the runtime feeds readings live (to raise
//! alarms while a run goes wrong), the report feeds the same stored readings afterwards, through
//! the same [`Timeline`], so the two always agree.
//!
//! - `criterion.rs`: [`Criterion`] and [`LiveFailure`], the plain types the judgment, the
//!   live check and the words share;
//! - `model.rs`: a run ([`Run`], its notes), events ([`Event`], [`EventKind`], [`Timing`]);
//! - `timeline.rs`: [`Timeline`], readings → events and the running sums the figures need
//!   (`tracks.rs`: the per-point records of each switch, generator and UPS; `sums.rs`: held
//!   values integrated over the run; `derive.rs`: the events that join several points,
//!   recomputed from those records so batching never matters);
//! - `judge.rs`: what start time and changeover are measured from and who is expected to act,
//!   shared by the live check ([`Timeline::live_failures`], implemented there) and the report;
//! - `kpi.rs`: [`analyze`], the timeline and the configured criteria → [`Analysis`] (figures,
//!   verdicts per criterion and overall);
//! - `words.rs`: events, criteria, verdicts and timings in words, from `crate::text::exercise`.

mod criterion;
mod derive;
mod judge;
mod kpi;
mod model;
mod sums;
mod timeline;
mod tracks;
mod words;

#[cfg(test)]
mod tests;

pub use criterion::{Criterion, LiveFailure};
pub use kpi::{Analysis, GeneratorSummary, Kpi, MissingData, Verdict, WatchResult, analyze};
pub use model::{Event, EventKind, Note, Run, Timing};
pub use timeline::Timeline;
pub use words::{criterion_label, event_label, timing_label, verdict_label};
