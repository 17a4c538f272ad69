//! Failed logins, counted per client address and per user name: after [`MAX_FAILURES`] in
//! [`WINDOW`] further attempts under that key are refused until the oldest failure is out of
//! the window.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures allowed per key within [`WINDOW`].
pub const MAX_FAILURES: usize = 5;
/// The window failures are counted in.
pub const WINDOW: Duration = Duration::from_secs(300);
/// At most this many keys are remembered (the oldest are forgotten first).
const MAX_KEYS: usize = 50_000;

/// The failure counts.
#[derive(Debug)]
pub struct Limiter {
    max: usize,
    window: Duration,
    map: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl Default for Limiter {
    fn default() -> Limiter {
        Limiter::new(MAX_FAILURES, WINDOW)
    }
}

impl Limiter {
    /// `max` failures per key within `window`.
    pub fn new(max: usize, window: Duration) -> Limiter {
        Limiter { max, window, map: Mutex::new(HashMap::new()) }
    }

    /// How long until `key` may try again at `now`; `None`: it may now.
    pub fn blocked(&self, key: &str, now: Instant) -> Option<Duration> {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        let q = map.get_mut(key)?;
        while q.front().is_some_and(|t| now.saturating_duration_since(*t) >= self.window) {
            q.pop_front();
        }
        if q.len() < self.max {
            return None;
        }
        let oldest = *q.front()?;
        Some((oldest + self.window).saturating_duration_since(now).max(Duration::from_secs(1)))
    }

    /// A failure of `key` at `now`.
    pub fn fail(&self, key: &str, now: Instant) {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_KEYS && !map.contains_key(key) {
            map.retain(|_, q| q.back().is_some_and(|t| now.saturating_duration_since(*t) < self.window));
        }
        let q = map.entry(key.to_string()).or_default();
        q.push_back(now);
        while q.len() > self.max {
            q.pop_front();
        }
    }

    /// Forget `key`'s failures (a successful login).
    pub fn clear(&self, key: &str) {
        self.map.lock().unwrap_or_else(|e| e.into_inner()).remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_failures_in_five_minutes_block_the_key_until_the_first_leaves_the_window() {
        let t0 = Instant::now();
        let l = Limiter::default();
        for i in 0..4 {
            l.fail("ip:192.0.2.7", t0 + Duration::from_secs(i * 10));
        }
        assert_eq!(l.blocked("ip:192.0.2.7", t0 + Duration::from_secs(40)), None, "four are allowed");
        l.fail("ip:192.0.2.7", t0 + Duration::from_secs(40));
        assert_eq!(l.blocked("ip:192.0.2.7", t0 + Duration::from_secs(40)), Some(Duration::from_secs(260)));
        assert_eq!(l.blocked("user:eva", t0 + Duration::from_secs(40)), None, "other keys are not affected");
        assert_eq!(l.blocked("ip:192.0.2.7", t0 + Duration::from_secs(300)), None, "the first failure has left the window");
        l.clear("ip:192.0.2.7");
        assert_eq!(l.blocked("ip:192.0.2.7", t0 + Duration::from_secs(41)), None);
    }
}
