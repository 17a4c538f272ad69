//! A time window in simulated seconds, with the faults that apply inside it: what a
//! [`crate::Scenario`]'s test mode and every entry of a [`crate::Schedule`] are made of.

use crate::faults::Faults;

/// Slack on every comparison of simulated time with a scheduled instant (s): simulated time is
/// a sum of float steps, and 200 steps of 0.1 s must reach t = 20 s.
pub const TIME_EPS_S: f64 = 1e-6;

/// A time window in simulated seconds: `from_s` included, `until_s` excluded.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Window {
    /// Start (s since simulated time 0).
    pub from_s: f64,
    /// End (s), or `None`: open, lasts for ever.
    pub until_s: Option<f64>,
    /// Faults that apply while the window is active (added to the plant's own).
    pub faults: Faults,
}

impl Window {
    /// A window from `from_s` lasting `duration_s`, without faults.
    pub fn new(from_s: f64, duration_s: f64) -> Window {
        Window {
            from_s,
            until_s: Some(from_s + duration_s),
            faults: Faults::NONE,
        }
    }

    /// An open window from `from_s` (it ends when `until_s` is set).
    pub fn open(from_s: f64) -> Window {
        Window {
            from_s,
            until_s: None,
            faults: Faults::NONE,
        }
    }

    /// The same window with these faults.
    pub fn with_faults(self, faults: Faults) -> Window {
        Window { faults, ..self }
    }

    /// Whether simulated time `t_s` is inside the window.
    pub fn contains(&self, t_s: f64) -> bool {
        t_s >= self.from_s - TIME_EPS_S && self.until_s.is_none_or(|u| t_s < u - TIME_EPS_S)
    }

    /// Length (s), `None` for an open window.
    pub fn duration_s(&self) -> Option<f64> {
        self.until_s.map(|u| u - self.from_s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_include_start_exclude_end_and_forgive_float_sums() {
        let w = Window::new(20.0, 10.0);
        assert!(!w.contains(19.9));
        let mut t = 0.0;
        for _ in 0..200 {
            t += 0.1;
        }
        assert!(w.contains(t), "200 × 0.1 s = {t} is inside");
        assert!(w.contains(29.9));
        assert!(!w.contains(30.0));
        assert!(Window::open(5.0).contains(1e9));
        assert_eq!(w.duration_s(), Some(10.0));
    }
}
