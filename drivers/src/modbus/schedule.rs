//! Pure timing rules of the poller: next due time and backoffs.

use std::time::Duration;

use driftvakt_domain::backoff::Backoff;
use tokio::time::Instant;

/// Longest a failing unit is backed off.
pub const MAX_UNIT_BACKOFF: Duration = Duration::from_secs(60);
/// Longest wait between connection attempts (further capped by the shortest poll interval).
pub const MAX_CONNECT_BACKOFF: Duration = Duration::from_secs(30);
/// First wait after a failed connection attempt.
pub const FIRST_CONNECT_BACKOFF: Duration = Duration::from_millis(250);

/// Delay before polling a unit again after `failures` consecutive comm failures (≥ 1):
/// 2×, 4×, 8× … its interval, at most 60 s, never less than the interval itself.
pub fn unit_backoff(interval: Duration, failures: u32) -> Duration {
    Backoff::doubling(interval.saturating_mul(2), MAX_UNIT_BACKOFF.max(interval)).delay(failures)
}

/// Wait before the next connection attempt after `failures` consecutive failed attempts (≥ 1).
///
/// Doubling from 250 ms, capped at `cap` — half the shortest poll interval of the connection's
/// devices, at most 30 s. Attempts are only made when a device is due, so with this cap every due
/// time after the first few failures tries again, and polling resumes within two poll intervals
/// after the server returns (a cap equal to the interval would skip every other due time).
pub fn connect_backoff(failures: u32, cap: Duration) -> Duration {
    Backoff::doubling(FIRST_CONNECT_BACKOFF, cap).delay(failures)
}

/// The cap of [`connect_backoff`] for devices with these poll intervals.
pub fn connect_backoff_cap(intervals: impl IntoIterator<Item = Duration>) -> Duration {
    (intervals.into_iter().min().unwrap_or(MAX_CONNECT_BACKOFF) / 2).min(MAX_CONNECT_BACKOFF)
}

/// The regular next due time of a cycle starting at `now`: one interval after the previous due
/// time, or — when this cycle starts that late or later — one interval after `now`. A late cycle
/// never causes catch-up cycles, not even one: due at `now` the next cycle would follow this one
/// at once, two polls of the same registers stamped in the same millisecond.
pub fn next_due(previous_due: Instant, interval: Duration, now: Instant) -> Instant {
    let next = previous_due + interval;
    if next <= now { now + interval } else { next }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_backoff_doubles_up_to_a_minute() {
        let i = Duration::from_secs(1);
        assert_eq!(unit_backoff(i, 1), Duration::from_secs(2));
        assert_eq!(unit_backoff(i, 2), Duration::from_secs(4));
        assert_eq!(unit_backoff(i, 5), Duration::from_secs(32));
        assert_eq!(unit_backoff(i, 6), Duration::from_secs(60));
        assert_eq!(unit_backoff(i, 1000), Duration::from_secs(60));
        // A unit polled every 5 minutes is never polled faster because of the cap.
        assert_eq!(
            unit_backoff(Duration::from_secs(300), 3),
            Duration::from_secs(300)
        );
    }

    #[test]
    fn connect_backoff_is_capped_by_poll_interval() {
        let cap = connect_backoff_cap([Duration::from_secs(4), Duration::from_secs(10)]);
        assert_eq!(cap, Duration::from_secs(2));
        assert_eq!(connect_backoff(1, cap), Duration::from_millis(250));
        assert_eq!(connect_backoff(2, cap), Duration::from_millis(500));
        assert_eq!(connect_backoff(4, cap), Duration::from_secs(2));
        assert_eq!(connect_backoff(99, cap), Duration::from_secs(2));
        assert_eq!(
            connect_backoff_cap([Duration::from_secs(600)]),
            Duration::from_secs(30)
        );
        assert_eq!(
            connect_backoff(1, connect_backoff_cap([Duration::from_millis(100)])),
            Duration::from_millis(50)
        );
    }

    #[test]
    fn next_due_does_not_catch_up_in_bursts() {
        let t0 = Instant::now();
        let i = Duration::from_secs(1);
        assert_eq!(next_due(t0, i, t0), t0 + i);
        let late = t0 + Duration::from_secs(5);
        assert_eq!(next_due(t0, i, late), late + i);
        // One interval late (a stalled runtime): still no cycle at once after this one.
        assert_eq!(next_due(t0, i, t0 + i), t0 + i + i);
        // A little late: the regular grid is kept.
        let a_bit = t0 + Duration::from_millis(300);
        assert_eq!(next_due(t0, i, a_bit), t0 + i);
    }
}
