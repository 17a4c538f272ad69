//! Rate limit for repeated warnings: the first occurrence of a kind of trouble is logged at once,
//! then at most one line per interval per key, carrying how many similar lines were left out.
//! Used by the Modbus poller (key: device + kind of failure) and the BACnet client (key: reason a
//! datagram was rejected), so one hostile or broken device cannot flood the operator's log.

use std::collections::HashMap;
use std::fmt;
use std::hash::Hash;
use std::time::{Duration, Instant};

/// How often a repeated warning is logged at most (per key).
pub const WARN_EVERY: Duration = Duration::from_secs(60);

/// Lines left out since the last line of the same key; displays as a suffix for the message
/// (`""` or `" (12 similar lines suppressed)"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Suppressed(pub u64);

impl fmt::Display for Suppressed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            0 => Ok(()),
            1 => f.write_str(" (1 similar line suppressed)"),
            n => write!(f, " ({n} similar lines suppressed)"),
        }
    }
}

/// When each key was last logged and how many of its lines were left out since.
#[derive(Debug)]
pub struct LogLimit<K> {
    /// Least time between two lines of one key.
    every: Duration,
    /// Per key: when it was last logged and lines suppressed since.
    seen: HashMap<K, (Instant, u64)>,
}

impl<K: Hash + Eq> LogLimit<K> {
    /// At most one line per `every` per key.
    pub fn new(every: Duration) -> Self {
        Self {
            every,
            seen: HashMap::new(),
        }
    }

    /// Whether to log an occurrence of `key` now: `Some(suppressed)` (log it, with the count of
    /// lines left out since the last one) or `None` (leave it out; it is counted).
    pub fn allow(&mut self, key: K) -> Option<Suppressed> {
        self.allow_at(key, Instant::now())
    }

    /// [`LogLimit::allow`] at a given time.
    pub fn allow_at(&mut self, key: K, now: Instant) -> Option<Suppressed> {
        match self.seen.get_mut(&key) {
            Some((last, skipped)) if now.saturating_duration_since(*last) < self.every => {
                *skipped += 1;
                None
            }
            Some((last, skipped)) => {
                *last = now;
                Some(Suppressed(std::mem::take(skipped)))
            }
            None => {
                self.seen.insert(key, (now, 0));
                Some(Suppressed(0))
            }
        }
    }

    /// Forget `key` (the trouble is over): its next occurrence is logged at once. Returns the
    /// lines left out since its last line, so a recovery line can mention them.
    pub fn reset(&mut self, key: &K) -> Suppressed {
        Suppressed(self.seen.remove(key).map_or(0, |(_, n)| n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_line_at_once_then_one_per_interval_with_the_count_left_out() {
        let mut l = LogLimit::new(Duration::from_secs(60));
        let t0 = Instant::now();
        assert_eq!(l.allow_at("timeout", t0), Some(Suppressed(0)));
        for s in 1..=30 {
            assert_eq!(l.allow_at("timeout", t0 + Duration::from_secs(s)), None);
        }
        assert_eq!(
            l.allow_at("short", t0 + Duration::from_secs(5)),
            Some(Suppressed(0)),
            "another kind is not held back"
        );
        let next = l.allow_at("timeout", t0 + Duration::from_secs(60));
        assert_eq!(next, Some(Suppressed(30)));
        assert_eq!(
            next.map(|s| s.to_string()).unwrap_or_default(),
            " (30 similar lines suppressed)"
        );
        assert_eq!(Suppressed(0).to_string(), "");
        assert_eq!(l.allow_at("timeout", t0 + Duration::from_secs(61)), None);
        assert_eq!(l.reset(&"timeout"), Suppressed(1));
        assert_eq!(
            l.allow_at("timeout", t0 + Duration::from_secs(62)),
            Some(Suppressed(0)),
            "after a reset the next occurrence is logged at once"
        );
    }
}
