//! Rate of change as a least-squares slope over a time window: noise averages out instead of
//! tripping the alarm, and a single odd sample cannot flip it.

use std::collections::VecDeque;

/// Samples of one point inside a window.
#[derive(Debug, Clone)]
pub struct RateWindow {
    window_ms: i64,
    /// Minimum spacing kept between samples, so memory stays bounded at any poll rate.
    min_spacing_ms: i64,
    samples: VecDeque<(i64, f64)>,
}

/// Most samples kept per window.
const MAX_SAMPLES: i64 = 240;

impl RateWindow {
    /// A window of `window_ms`.
    pub fn new(window_ms: i64) -> RateWindow {
        RateWindow { window_ms: window_ms.max(1), min_spacing_ms: (window_ms / MAX_SAMPLES).max(0), samples: VecDeque::new() }
    }

    /// Add a good sample.
    pub fn push(&mut self, t_ms: i64, v: f64) {
        if let Some(&(last, _)) = self.samples.back() {
            if t_ms < last {
                return;
            }
            if t_ms - last < self.min_spacing_ms {
                return;
            }
        }
        self.samples.push_back((t_ms, v));
        self.trim(t_ms);
    }

    fn trim(&mut self, now_ms: i64) {
        while self.samples.front().is_some_and(|&(t, _)| now_ms - t > self.window_ms) {
            self.samples.pop_front();
        }
    }

    /// Slope in units per hour at `now_ms`, once the samples span at least half the window
    /// (at least 3 samples); `None` before that.
    pub fn slope_per_hour(&mut self, now_ms: i64) -> Option<f64> {
        self.trim(now_ms);
        let n = self.samples.len();
        let (first, last) = (self.samples.front()?.0, self.samples.back()?.0);
        if n < 3 || (last - first) * 2 < self.window_ms {
            return None;
        }
        let nf = n as f64;
        let mt = self.samples.iter().map(|&(t, _)| (t - first) as f64).sum::<f64>() / nf;
        let mv = self.samples.iter().map(|&(_, v)| v).sum::<f64>() / nf;
        let (mut sxy, mut sxx) = (0.0, 0.0);
        for &(t, v) in &self.samples {
            let dt = (t - first) as f64 - mt;
            sxy += dt * (v - mv);
            sxx += dt * dt;
        }
        if sxx == 0.0 {
            return None;
        }
        Some(sxy / sxx * 3_600_000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn noisy_steady_level_has_no_slope_and_a_leak_is_found() {
        let mut w = RateWindow::new(600_000);
        // ±5 l noise around 18 400 l, one sample per second for 10 minutes.
        for s in 0..600 {
            let noise = if s % 2 == 0 { 5.0 } else { -5.0 };
            w.push(s * 1000, 18_400.0 + noise);
        }
        let slope = w.slope_per_hour(600_000).expect("enough samples");
        assert!(slope.abs() < 1.0, "steady level read as {slope} l/h");

        let mut w = RateWindow::new(600_000);
        for s in 0..600 {
            let noise = if s % 2 == 0 { 5.0 } else { -5.0 };
            w.push(s * 1000, 18_400.0 - 50.0 * s as f64 / 3600.0 + noise);
        }
        let slope = w.slope_per_hour(600_000).expect("enough samples");
        assert!((slope + 50.0).abs() < 2.0, "leak of 50 l/h read as {slope}");
    }

    #[test]
    fn no_slope_before_half_the_window() {
        let mut w = RateWindow::new(600_000);
        for s in 0..200 {
            w.push(s * 1000, s as f64);
        }
        assert_eq!(w.slope_per_hour(200_000), None);
    }
}
