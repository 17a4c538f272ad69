//! The one retry backoff: exponential, capped, pure (failure count in, delay out). Every loop
//! that retries — connections, sink writes, notifications — keeps its own figures here.

use std::time::Duration;

/// Exponential backoff: `first` after the first failure, multiplied by `factor` per further
/// failure, never more than `cap`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Delay after the first failure.
    pub first: Duration,
    /// Growth per further failure (2 doubles).
    pub factor: u32,
    /// Longest delay.
    pub cap: Duration,
}

impl Backoff {
    /// Doubling from `first` up to `cap`.
    pub const fn doubling(first: Duration, cap: Duration) -> Backoff {
        Backoff { first, factor: 2, cap }
    }

    /// Delay after `failures` consecutive failures (0 counts as 1): `first × factor^(failures−1)`,
    /// at most `cap`. Saturates instead of overflowing, however many failures.
    pub fn delay(&self, failures: u32) -> Duration {
        let growth = self.factor.checked_pow(failures.saturating_sub(1)).unwrap_or(u32::MAX);
        self.first.saturating_mul(growth).min(self.cap)
    }

    /// [`Backoff::delay`] in whole milliseconds.
    pub fn delay_ms(&self, failures: u32) -> i64 {
        i64::try_from(self.delay(failures).as_millis()).unwrap_or(i64::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_from_the_first_delay_up_to_the_cap_and_never_overflows() {
        let b = Backoff::doubling(Duration::from_millis(500), Duration::from_secs(5));
        let seq: Vec<u128> = (1..=6).map(|n| b.delay(n).as_millis()).collect();
        assert_eq!(seq, [500, 1000, 2000, 4000, 5000, 5000]);
        assert_eq!(b.delay(0), b.first);
        assert_eq!(b.delay(u32::MAX), b.cap);
        let huge = Backoff::doubling(Duration::from_secs(1), Duration::MAX);
        assert_eq!(huge.delay(40), Duration::from_secs(u64::from(u32::MAX)));
        assert_eq!(Backoff { first: Duration::from_secs(1), factor: 3, cap: Duration::from_secs(60) }.delay(3), Duration::from_secs(9));
        assert_eq!(b.delay_ms(2), 1000);
    }
}
