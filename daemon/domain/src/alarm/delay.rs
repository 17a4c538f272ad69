//! On-delay and off-delay: a condition must hold (or stay away) for a time before the alarm
//! follows it. Also keeps the raw condition, which limit hysteresis builds on.

/// Debounced state of one rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Debounce {
    /// The alarm's (delayed) state.
    pub active: bool,
    /// The raw condition as last evaluated.
    pub cond: bool,
    /// When the raw condition last changed, UTC ms.
    pub cond_since_ms: i64,
}

impl Debounce {
    /// A debounce that starts in `active` (restored after a restart) at `now_ms`.
    pub fn restored(active: bool, now_ms: i64) -> Debounce {
        Debounce { active, cond: active, cond_since_ms: now_ms }
    }

    /// Feed the raw condition (`None` = unknown: keep everything as it is) at `now_ms`.
    /// Returns the new alarm state when it changes.
    pub fn update(&mut self, raw: Option<bool>, now_ms: i64, on_delay_ms: i64, off_delay_ms: i64) -> Option<bool> {
        if let Some(c) = raw
            && c != self.cond
        {
            self.cond = c;
            self.cond_since_ms = now_ms;
        }
        if raw.is_none() || self.cond == self.active {
            return None;
        }
        let need = if self.cond { on_delay_ms } else { off_delay_ms };
        if now_ms - self.cond_since_ms >= need {
            self.active = self.cond;
            return Some(self.active);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn on_delay_holds_back_a_short_spike_and_passes_a_long_one() {
        let mut d = Debounce::default();
        assert_eq!(d.update(Some(true), 0, 5000, 0), None);
        assert_eq!(d.update(Some(true), 4999, 5000, 0), None);
        assert_eq!(d.update(Some(false), 5000, 5000, 0), None, "spike over before the delay");
        assert_eq!(d.update(Some(true), 6000, 5000, 0), None);
        assert_eq!(d.update(Some(true), 11_000, 5000, 0), Some(true));
    }

    #[test]
    fn off_delay_and_unknown_values() {
        let mut d = Debounce::restored(true, 0);
        assert_eq!(d.update(Some(false), 100, 0, 1000), None);
        assert_eq!(d.update(None, 5000, 0, 1000), None, "unknown keeps the state");
        assert_eq!(d.update(Some(false), 1100, 0, 1000), Some(false));
    }
}
