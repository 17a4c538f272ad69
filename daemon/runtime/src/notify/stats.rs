//! Notification attempts since the daemon started, per notifier kind (for `GET /metrics` and
//! `GET /api/status`).

use std::sync::atomic::{AtomicU64, Ordering};

use super::KINDS;

/// Attempts of one notifier kind.
#[derive(Debug, Default)]
pub struct ChannelStats {
    /// Notifications the server acknowledged.
    pub sent: AtomicU64,
    /// Attempts that failed (each is retried with backoff).
    pub failed: AtomicU64,
}

/// Attempts per notifier kind, every kind of [`KINDS`] in its order (configured or not).
#[derive(Debug)]
pub struct NotifyStats {
    channels: Vec<(&'static str, ChannelStats)>,
}

impl Default for NotifyStats {
    fn default() -> NotifyStats {
        NotifyStats { channels: KINDS.iter().map(|k| (k.key, ChannelStats::default())).collect() }
    }
}

impl NotifyStats {
    /// Count one attempt of kind `key`.
    pub fn count(&self, key: &str, ok: bool) {
        if let Some(c) = self.channel(key) {
            let counter = if ok { &c.sent } else { &c.failed };
            counter.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Every kind with its counters, in the order of [`KINDS`].
    pub fn channels(&self) -> impl Iterator<Item = (&'static str, &ChannelStats)> {
        self.channels.iter().map(|(k, c)| (*k, c))
    }

    /// The counters of kind `key`.
    pub fn channel(&self, key: &str) -> Option<&ChannelStats> {
        self.channels.iter().find(|(k, _)| *k == key).map(|(_, c)| c)
    }

    /// Acknowledged notifications of kind `key`.
    pub fn sent(&self, key: &str) -> u64 {
        self.channel(key).map_or(0, |c| c.sent.load(Ordering::Relaxed))
    }

    /// Failed attempts of kind `key`.
    pub fn failed(&self, key: &str) -> u64 {
        self.channel(key).map_or(0, |c| c.failed.load(Ordering::Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_counted_on_its_own() {
        let s = NotifyStats::default();
        assert_eq!(s.channels().map(|(k, _)| k).collect::<Vec<_>>(), ["email", "mqtt"]);
        s.count("email", false);
        s.count("email", false);
        s.count("mqtt", true);
        s.count("sms", true); // not a kind: ignored
        assert_eq!((s.sent("email"), s.failed("email"), s.sent("mqtt"), s.failed("mqtt")), (0, 2, 1, 0));
    }
}
