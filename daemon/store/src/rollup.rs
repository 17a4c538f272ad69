//! 1-minute rollups: computed from raw readings, kept per point and UTC day in compact rows
//! once a day is complete (they outlive the raw data), merged when read.

use std::collections::BTreeMap;

use driftvakt_domain::Quality;

use crate::chunk::Sample;
use crate::codec::{Bytes, Dec, get_ints, get_numbers, put_ints, put_numbers, put_uvarint};

/// Milliseconds per minute and per day.
pub const MINUTE_MS: i64 = 60_000;
/// Milliseconds per UTC day.
pub const DAY_MS: i64 = 86_400_000;

/// `t` rounded down to a multiple of `unit` (saturating at the ends of time: a wild clock
/// value never overflows).
pub fn floor_to(t: i64, unit: i64) -> i64 {
    t.div_euclid(unit).saturating_mul(unit)
}

/// A 1-minute rollup row.
#[derive(Debug, Clone, PartialEq)]
pub struct Rollup {
    /// Start of the minute, UTC ms.
    pub minute_ms: i64,
    /// Smallest good value in the minute.
    pub min: Option<f64>,
    /// Largest good value in the minute.
    pub max: Option<f64>,
    /// Mean of the good values in the minute.
    pub mean: Option<f64>,
    /// Number of good samples.
    pub good_count: i64,
    /// Number of samples of any quality.
    pub count: i64,
}

/// Rollup of one minute being accumulated: min/max/sum over good numeric samples, count over all.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Acc {
    /// Smallest good value.
    pub min: f64,
    /// Largest good value.
    pub max: f64,
    /// Sum of good values.
    pub sum: f64,
    /// Good numeric samples.
    pub good: i64,
    /// Samples of any quality.
    pub count: i64,
}

impl Acc {
    /// Count one sample.
    pub fn add(&mut self, s: &Sample) {
        self.count += 1;
        if let (Quality::Good, Some(v)) = (s.2, s.1.as_ref().and_then(|v| v.as_f64())) {
            if self.good == 0 {
                (self.min, self.max) = (v, v);
            } else {
                self.min = self.min.min(v);
                self.max = self.max.max(v);
            }
            self.good += 1;
            self.sum += v;
        }
    }

    /// As a rollup row.
    pub fn row(&self, minute_ms: i64) -> Rollup {
        let good = self.good > 0;
        Rollup {
            minute_ms,
            min: good.then_some(self.min),
            max: good.then_some(self.max),
            mean: good.then(|| self.sum / self.good as f64),
            good_count: self.good,
            count: self.count,
        }
    }

    /// From a rollup row (the sum recovered from mean × good count).
    pub fn from_row(r: &Rollup) -> Acc {
        Acc {
            min: r.min.unwrap_or(0.0),
            max: r.max.unwrap_or(0.0),
            sum: r.mean.map_or(0.0, |m| m * r.good_count as f64),
            good: if r.min.is_some() { r.good_count } else { 0 },
            count: r.count,
        }
    }
}

/// Minute → rollup of samples.
pub fn accumulate(samples: &[Sample], into: &mut BTreeMap<i64, Acc>) {
    for s in samples {
        into.entry(floor_to(s.0, MINUTE_MS)).or_default().add(s);
    }
}

/// Encode one point's minutes of one day (minute start → rollup).
pub fn encode_day(minutes: &BTreeMap<i64, Acc>) -> Vec<u8> {
    let mut out = Vec::new();
    put_uvarint(&mut out, minutes.len() as u64);
    let starts: Vec<i64> = minutes.keys().map(|m| m / MINUTE_MS).collect();
    put_ints(&mut out, &starts);
    put_ints(
        &mut out,
        &minutes.values().map(|a| a.count).collect::<Vec<_>>(),
    );
    put_ints(
        &mut out,
        &minutes.values().map(|a| a.good).collect::<Vec<_>>(),
    );
    let good: Vec<&Acc> = minutes.values().filter(|a| a.good > 0).collect();
    put_numbers(
        &mut out,
        &good.iter().map(|a| a.min.to_bits()).collect::<Vec<_>>(),
    );
    put_numbers(
        &mut out,
        &good.iter().map(|a| a.max.to_bits()).collect::<Vec<_>>(),
    );
    put_numbers(
        &mut out,
        &good.iter().map(|a| a.sum.to_bits()).collect::<Vec<_>>(),
    );
    out
}

/// Inverse of [`encode_day`].
pub fn decode_day(bytes: &[u8]) -> Dec<BTreeMap<i64, Acc>> {
    let mut b = Bytes::new(bytes);
    let n = b.len(24 * 60 * 1000)?;
    let starts = get_ints(&mut b, n)?;
    let counts = get_ints(&mut b, n)?;
    let goods = get_ints(&mut b, n)?;
    let ngood = goods.iter().filter(|g| **g > 0).count();
    let mins = get_numbers(&mut b, ngood)?;
    let maxs = get_numbers(&mut b, ngood)?;
    let sums = get_numbers(&mut b, ngood)?;
    let mut gi = 0;
    let mut out = BTreeMap::new();
    for i in 0..n {
        let mut a = Acc {
            count: counts[i],
            good: goods[i],
            ..Acc::default()
        };
        if a.good > 0 {
            a.min = f64::from_bits(mins[gi]);
            a.max = f64::from_bits(maxs[gi]);
            a.sum = f64::from_bits(sums[gi]);
            gi += 1;
        }
        out.insert(starts[i].saturating_mul(MINUTE_MS), a);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use driftvakt_domain::Value;

    #[test]
    fn minutes_roll_up_good_numbers_and_count_everything_and_a_day_row_round_trips() {
        let mut samples: Vec<Sample> = (0..180)
            .map(|s| {
                (
                    s * 1000,
                    Some(Value::Number(f64::from(s as i32 % 7))),
                    Quality::Good,
                )
            })
            .collect();
        samples.push((61_000, None, Quality::CommFail));
        let mut m = BTreeMap::new();
        accumulate(&samples, &mut m);
        assert_eq!(m.len(), 3);
        let r = m[&60_000].row(60_000);
        assert_eq!(
            (r.min, r.max, r.good_count, r.count),
            (Some(0.0), Some(6.0), 60, 61)
        );
        let back = decode_day(&encode_day(&m)).expect("decode");
        assert_eq!(back, m);
        assert_eq!(Acc::from_row(&m[&0].row(0)).count, m[&0].count);
    }
}
