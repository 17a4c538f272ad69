//! [`PollBoost`]: a shared "poll these devices faster for now" switch. Whoever owns the reason
//! (the daemon's exercise actor, while a run is active) sets an interval; the pollers of the
//! devices chosen at source construction (`crate::sources_with`) read it. Drivers only read:
//! they never learn why, and a boost never makes them write.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

/// The shortest interval a boost can ask for (a zero interval would spin).
pub const MIN_BOOST: Duration = Duration::from_millis(1);

/// A cloneable handle: `set(Some(interval))` turns the boost on, `set(None)` off. Every clone
/// shares the one value; pollers watch it and react at once.
#[derive(Debug, Clone)]
pub struct PollBoost {
    tx: Arc<watch::Sender<Option<Duration>>>,
}

impl Default for PollBoost {
    fn default() -> Self {
        PollBoost::new()
    }
}

impl PollBoost {
    /// A boost that is off.
    pub fn new() -> PollBoost {
        PollBoost { tx: Arc::new(watch::Sender::new(None)) }
    }

    /// Poll the boosted devices at most `interval` apart (`None`: their own intervals again).
    /// Watchers are woken only when the value changes.
    pub fn set(&self, interval: Option<Duration>) {
        let interval = interval.map(|i| i.max(MIN_BOOST));
        self.tx.send_if_modified(|v| {
            let changed = *v != interval;
            *v = interval;
            changed
        });
    }

    /// The boost interval now, if on.
    pub fn get(&self) -> Option<Duration> {
        *self.tx.borrow()
    }

    /// A receiver for a poller: `changed()` wakes it when the boost is set or cleared.
    pub fn watch(&self) -> watch::Receiver<Option<Duration>> {
        self.tx.subscribe()
    }
}

/// A device's interval under a boost: the faster of its own and the boost's, never faster than
/// the boost asks for unless the device is configured faster already.
pub fn boosted_interval(own: Duration, boost: Option<Duration>) -> Duration {
    match boost {
        Some(b) => own.min(b.max(MIN_BOOST)),
        None => own,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_wakes_watchers_only_on_change() {
        let boost = PollBoost::new();
        let mut rx = boost.watch();
        assert_eq!(boost.get(), None);
        boost.set(Some(Duration::from_millis(200)));
        assert!(rx.has_changed().unwrap_or(false));
        assert_eq!(*rx.borrow_and_update(), Some(Duration::from_millis(200)));
        boost.clone().set(Some(Duration::from_millis(200)));
        assert!(!rx.has_changed().unwrap_or(true));
        boost.set(Some(Duration::ZERO));
        assert_eq!(*rx.borrow_and_update(), Some(MIN_BOOST));
        boost.set(None);
        assert_eq!(*rx.borrow_and_update(), None);
    }

    #[test]
    fn boosted_interval_is_the_faster_one() {
        let s = Duration::from_secs;
        assert_eq!(boosted_interval(s(10), None), s(10));
        assert_eq!(boosted_interval(s(10), Some(s(1))), s(1));
        assert_eq!(boosted_interval(Duration::from_millis(500), Some(s(1))), Duration::from_millis(500));
    }
}
