//! Inline SVG charts drawn on the server: no scripts, no external files, so a report prints
//! anywhere and a page needs nothing beyond the daemon. `line.rs` is the exercise report's
//! chart (one series, a band, start and stop marked); `trend.rs` the web screen's trend (lines
//! broken where there is no good data, the gaps shaded and named, alarm limits, scaling to the
//! page's width).

mod escape;
mod line;
mod trend;

pub use line::{Chart, line};
pub use trend::{Gap, GapKind, Trend, trend};
