//! A point's trend from the store, ready to draw: the period (`?span=1h|24h|7d`), its readings
//! (raw for the hour, 1-minute rollups for the day and the week), split into runs of good data
//! with the gaps between them named ([`GapKind`]: no reading at all, or none good) and never
//! bridged, and each run reduced to at most two points (min and max) per interval so spikes
//! survive and a chart has at most about [`BUCKETS`] × 2 points.

use driftvakt_domain::{Quality, Value};
use driftvakt_store::{Rollup, Store, StoreError, StoredReading};

use crate::chart::{Gap, GapKind};

/// Intervals a chart's period is cut into (at most a minimum and a maximum each).
pub const BUCKETS: i64 = 150;

/// Length of a rollup, ms.
const MINUTE_MS: i64 = 60_000;

/// The period a system page shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Span {
    /// The last hour (raw readings).
    Hour,
    /// The last day (1-minute rollups).
    Day,
    /// The last week (1-minute rollups).
    Week,
}

impl Span {
    /// Every period, in the page's order.
    pub const ALL: [Span; 3] = [Span::Hour, Span::Day, Span::Week];

    /// The `?span=` value.
    pub fn key(self) -> &'static str {
        match self {
            Span::Hour => "1h",
            Span::Day => "24h",
            Span::Week => "7d",
        }
    }

    /// The period of a `?span=` value; the day when absent or unknown.
    pub fn of(key: Option<&str>) -> Span {
        Span::ALL.into_iter().find(|s| Some(s.key()) == key).unwrap_or(Span::Day)
    }

    /// Its length, ms.
    pub fn ms(self) -> i64 {
        match self {
            Span::Hour => 3_600_000,
            Span::Day => 24 * 3_600_000,
            Span::Week => 7 * 24 * 3_600_000,
        }
    }

    /// How far apart its samples may be by their nature (a rollup is a minute), ms.
    fn resolution_ms(self) -> i64 {
        match self {
            Span::Hour => 0,
            Span::Day | Span::Week => MINUTE_MS,
        }
    }
}

/// One sample: its time and its good range (min, max), or None when it had no good value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// UTC ms (a rollup's minute start).
    pub t: i64,
    /// (min, max) of its good values; None: readings, but none good.
    pub good: Option<(f64, f64)>,
}

/// Raw readings as samples (a good reading without a number, e.g. text, counts as not good).
pub fn from_readings(readings: &[StoredReading]) -> Vec<Sample> {
    readings
        .iter()
        .map(|r| {
            let v = r.value.as_ref().and_then(Value::as_f64).filter(|_| r.quality == Quality::Good);
            Sample { t: r.time_ms, good: v.map(|v| (v, v)) }
        })
        .collect()
}

/// 1-minute rollups as samples.
pub fn from_rollups(rollups: &[Rollup]) -> Vec<Sample> {
    rollups
        .iter()
        .filter(|r| r.count > 0)
        .map(|r| Sample { t: r.minute_ms, good: r.min.zip(r.max).filter(|_| r.good_count > 0) })
        .collect()
}

/// A trend ready to draw.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Series {
    /// Runs of good data, reduced; the line breaks between them.
    pub runs: Vec<Vec<(i64, f64)>>,
    /// The stretches without good data, in time order.
    pub gaps: Vec<Gap>,
    /// Samples read (raw readings or minutes).
    pub samples: usize,
    /// Smallest good value.
    pub min: Option<f64>,
    /// Largest good value.
    pub max: Option<f64>,
    /// The last good value and its time.
    pub last: Option<(i64, f64)>,
}

impl Series {
    /// Points drawn.
    pub fn drawn(&self) -> usize {
        self.runs.iter().map(Vec::len).sum()
    }
}

/// `samples` (time order) over `[from_ms, to_ms]` as runs and gaps: a gap wherever samples are
/// more than `gap_after_ms` apart (also before the first and after the last), or not good; each
/// run reduced to min and max per [`BUCKETS`]th of the period.
pub fn shape(samples: &[Sample], from_ms: i64, to_ms: i64, gap_after_ms: i64) -> Series {
    let mut out = Series { samples: samples.len(), ..Series::default() };
    let mut runs: Vec<Vec<(i64, f64, f64)>> = Vec::new();
    let mut run: Vec<(i64, f64, f64)> = Vec::new();
    let mut gaps: Vec<Gap> = Vec::new();
    let mut prev: Option<i64> = None;
    // Start of a stretch of bad samples (from the last good one before it, if adjacent).
    let mut bad_since: Option<i64> = None;
    let mut close = |run: &mut Vec<(i64, f64, f64)>| {
        if !run.is_empty() {
            runs.push(std::mem::take(run));
        }
    };
    for s in samples {
        let silent_since = match prev {
            Some(p) if s.t - p > gap_after_ms => Some(p),
            None if s.t - from_ms > gap_after_ms => Some(from_ms),
            _ => None,
        };
        if let Some(since) = silent_since {
            if let Some(b) = bad_since.take() {
                gaps.push(Gap { from_ms: b, to_ms: since, kind: GapKind::BadQuality });
            }
            close(&mut run);
            gaps.push(Gap { from_ms: since, to_ms: s.t, kind: GapKind::NoData });
        }
        match s.good {
            Some((lo, hi)) => {
                if let Some(b) = bad_since.take() {
                    gaps.push(Gap { from_ms: b, to_ms: s.t, kind: GapKind::BadQuality });
                }
                run.push((s.t, lo, hi));
                out.min = Some(out.min.map_or(lo, |m| m.min(lo)));
                out.max = Some(out.max.map_or(hi, |m| m.max(hi)));
                out.last = Some((s.t, hi));
            }
            None => {
                if bad_since.is_none() {
                    bad_since = Some(if silent_since.is_none() && !run.is_empty() { prev.unwrap_or(s.t) } else { s.t });
                }
                close(&mut run);
            }
        }
        prev = Some(s.t);
    }
    close(&mut run);
    let end = match prev {
        Some(p) if to_ms - p > gap_after_ms => p,
        Some(_) => to_ms,
        None => from_ms,
    };
    if let Some(b) = bad_since {
        gaps.push(Gap { from_ms: b, to_ms: end, kind: GapKind::BadQuality });
    }
    if end < to_ms {
        gaps.push(Gap { from_ms: end, to_ms, kind: GapKind::NoData });
    }
    let width = ((to_ms - from_ms) / BUCKETS).max(1);
    out.gaps = merge(gaps, width);
    out.runs = runs.iter().map(|r| reduce(r, from_ms, width)).collect();
    out
}

/// Gaps of one kind closer than `width` (one interval) joined, so a flapping device does not
/// draw a thousand slivers.
fn merge(gaps: Vec<Gap>, width: i64) -> Vec<Gap> {
    let mut out: Vec<Gap> = Vec::with_capacity(gaps.len());
    for g in gaps {
        match out.last_mut() {
            Some(last) if last.kind == g.kind && g.from_ms - last.to_ms < width => last.to_ms = last.to_ms.max(g.to_ms),
            _ => out.push(g),
        }
    }
    out
}

/// One run reduced to its minimum and maximum per interval of `width` (counted from
/// `from_ms`), in time order; an interval with one value keeps one point.
fn reduce(run: &[(i64, f64, f64)], from_ms: i64, width: i64) -> Vec<(i64, f64)> {
    let mut out = Vec::new();
    for chunk in run.chunk_by(|a, b| (a.0 - from_ms).div_euclid(width) == (b.0 - from_ms).div_euclid(width)) {
        let lo = chunk.iter().min_by(|a, b| a.1.total_cmp(&b.1)).map(|p| (p.0, p.1));
        let hi = chunk.iter().max_by(|a, b| a.2.total_cmp(&b.2)).map(|p| (p.0, p.2));
        let (Some(lo), Some(hi)) = (lo, hi) else { continue };
        if lo == hi {
            out.push(lo);
        } else if lo.0 <= hi.0 {
            out.extend([lo, hi]);
        } else {
            out.extend([hi, lo]);
        }
    }
    out
}

/// Point `point`'s trend over `span` ending at `now_ms` from `store`; its readings are
/// expected at least every `stale_after_ms` (the device's stale limit: longer without one is a
/// gap). A point the store does not know yet is one gap.
pub fn load(store: &Store, point: &str, span: Span, now_ms: i64, stale_after_ms: i64) -> Result<Series, StoreError> {
    let from = now_ms - span.ms();
    let samples = match span {
        Span::Hour => store.readings(point, from, now_ms + 1).map(|r| from_readings(&r)),
        Span::Day | Span::Week => store.rollups(point, from, now_ms + 1).map(|r| from_rollups(&r)),
    };
    let samples = match samples {
        Ok(s) => s,
        Err(StoreError::UnknownPoint(_)) => Vec::new(),
        Err(e) => return Err(e),
    };
    Ok(shape(&samples, from, now_ms, stale_after_ms + span.resolution_ms()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good(t: i64, v: f64) -> Sample {
        Sample { t, good: Some((v, v)) }
    }

    fn bad(t: i64) -> Sample {
        Sample { t, good: None }
    }

    #[test]
    fn a_long_series_is_reduced_to_min_and_max_per_interval_and_its_spike_survives() {
        // A day of one reading a second: 86 400 values, one spike.
        let mut s: Vec<Sample> = (0..86_400).map(|i| good(i * 1000, 10.0 + (i % 7) as f64 * 0.1)).collect();
        s[40_000] = good(40_000_000, 99.0);
        let series = shape(&s, 0, 86_400_000, 3000);
        assert!(series.gaps.is_empty(), "{:?}", series.gaps);
        assert_eq!(series.runs.len(), 1);
        assert!(series.drawn() <= 2 * BUCKETS as usize, "{}", series.drawn());
        assert!(series.runs[0].contains(&(40_000_000, 99.0)), "the spike is drawn");
        assert_eq!((series.min, series.max, series.samples), (Some(10.0), Some(99.0), 86_400));
        assert!(series.runs[0].windows(2).all(|w| w[0].0 <= w[1].0), "time order");
    }

    #[test]
    fn a_silent_stretch_breaks_the_line_and_is_named_no_data_never_bridged() {
        // Readings every 10 s for 20 min, then nothing for 20 min, then 20 min again.
        let s: Vec<Sample> = (0..120).chain(240..360).map(|i| good(i * 10_000, i as f64)).collect();
        let series = shape(&s, 0, 3_600_000, 30_000);
        assert_eq!(series.runs.len(), 2, "two lines, nothing across the gap");
        assert_eq!(series.gaps, [Gap { from_ms: 1_190_000, to_ms: 2_400_000, kind: GapKind::NoData }]);
        assert!(series.runs[0].iter().all(|p| p.0 <= 1_190_000) && series.runs[1].iter().all(|p| p.0 >= 2_400_000));
    }

    #[test]
    fn bad_quality_is_its_own_gap_and_silence_at_either_end_is_no_data() {
        let s = [good(600_000, 1.0), good(610_000, 2.0), bad(620_000), bad(630_000), good(640_000, 3.0), good(650_000, 4.0)];
        let series = shape(&s, 0, 3_600_000, 30_000);
        assert_eq!(series.runs, [vec![(600_000, 1.0), (610_000, 2.0)], vec![(640_000, 3.0), (650_000, 4.0)]]);
        assert_eq!(
            series.gaps,
            [
                Gap { from_ms: 0, to_ms: 600_000, kind: GapKind::NoData },
                Gap { from_ms: 610_000, to_ms: 640_000, kind: GapKind::BadQuality },
                Gap { from_ms: 650_000, to_ms: 3_600_000, kind: GapKind::NoData },
            ]
        );
        assert_eq!(series.last, Some((650_000, 4.0)));
        // Bad up to now: a bad-quality gap to the end, no line.
        let series = shape(&[good(3_500_000, 1.0), bad(3_550_000), bad(3_590_000)], 3_000_000, 3_600_000, 60_000);
        assert_eq!(series.gaps.last(), Some(&Gap { from_ms: 3_500_000, to_ms: 3_600_000, kind: GapKind::BadQuality }));
        // Nothing at all: one gap over the whole period.
        assert_eq!(shape(&[], 0, 10, 5).gaps, [Gap { from_ms: 0, to_ms: 10, kind: GapKind::NoData }]);
    }

    #[test]
    fn twenty_sparse_readings_are_twenty_points_and_rollups_keep_their_spread() {
        let s: Vec<Sample> = (0..20).map(|i| good(i * 3_600_000 + 60_000, i as f64)).collect();
        let series = shape(&s, 0, 86_400_000, 5_000);
        assert_eq!(series.drawn(), 20);
        let r = Rollup { minute_ms: 0, min: Some(1.0), max: Some(9.0), mean: Some(5.0), good_count: 60, count: 60 };
        let dead = Rollup { minute_ms: 60_000, min: None, max: None, mean: None, good_count: 0, count: 6 };
        assert_eq!(from_rollups(&[r.clone(), dead]), [Sample { t: 0, good: Some((1.0, 9.0)) }, Sample { t: 60_000, good: None }]);
        assert_eq!(shape(&from_rollups(&[r]), 0, 60_000, 60_000).runs, [vec![(0, 1.0), (0, 9.0)]]);
    }

    #[test]
    fn the_period_comes_from_the_query_and_defaults_to_the_day() {
        assert_eq!(Span::of(Some("1h")), Span::Hour);
        assert_eq!(Span::of(Some("7d")), Span::Week);
        assert_eq!(Span::of(Some("x")), Span::Day);
        assert_eq!(Span::of(None), Span::Day);
    }
}
