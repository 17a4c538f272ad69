//! The alarm journal: its events in words, and the details driftvakt writes into it itself
//! (stored in Swedish, the language of the record).

use driftvakt_config::model::Language;

texts! {
    /// Journal events and details.
    pub struct Journal {
        /// Journal events by code; an unknown code shows as itself.
        events: [(&'static str, &'static str); 9] = [
            ("activated", "aktiverat"),
            ("cleared", "återställt"),
            ("acked", "kvitterat"),
            ("shelved", "bortkopplat"),
            ("unshelved", "inkopplat"),
            ("notify_sent", "skickat"),
            ("notify_failed", "misslyckat"),
            ("store_failed", "lagringsfel"),
            ("store_recovered", "lagring åter"),
        ], [
            ("activated", "activated"),
            ("cleared", "cleared"),
            ("acked", "acknowledged"),
            ("shelved", "shelved"),
            ("unshelved", "unshelved"),
            ("notify_sent", "sent"),
            ("notify_failed", "failed"),
            ("store_failed", "store failing"),
            ("store_recovered", "store recovered"),
        ];
        /// `driftvakt journal`: the incident of an entry, `{incident}`.
        incident: &'static str = "händelse {incident}", "incident {incident}";
        /// `driftvakt journal`: who, `{by}`.
        by: &'static str = "av {by}", "by {by}";
        /// `driftvakt journal`: the operator's comment, `{comment}`.
        comment: &'static str = "«{comment}»", "«{comment}»";
        /// Detail of `shelved`: `{until}` (RFC 3339).
        shelved_until: &'static str = "till {until}", "until {until}";
        /// Detail of an activation explained by a running exercise (not notified): `{text}`, `{run}`.
        expected: &'static str = "{text} (väntat under övning {run}, inget utskick)", "{text} (expected during exercise {run}, not notified)";
        /// Detail of a notification attempt: `{detail}` (the channel), `{attempt}`.
        attempt: &'static str = "{detail} (försök {attempt})", "{detail} (attempt {attempt})";
        /// Detail of `store_failed`: `{error}`.
        store_failed: &'static str =
            "Lagringen kunde inte spara larmändringar ({error}); larm och utskick fortsatte ur minnet",
            "The store could not commit alarm changes ({error}); alarms and notifications went on from memory";
        /// Detail of `store_recovered`: `{secs}`, `{saved}`.
        store_recovered: &'static str =
            "Lagringen sparar igen efter {secs} s: {saved} larmhändelser från perioden sparade i efterhand",
            "The store commits again after {secs} s: {saved} alarm records of the spell committed afterwards";
        /// Detail of `store_recovered` when writes were lost: `{secs}`, `{saved}`, `{lost}`, `{max}`.
        store_recovered_lost: &'static str =
            "Lagringen sparar igen efter {secs} s: {saved} larmhändelser från perioden sparade i efterhand, {lost} förlorade (över gränsen {max})",
            "The store commits again after {secs} s: {saved} alarm records of the spell committed afterwards, {lost} lost (over the limit {max})";
    }
}

/// A journal event in words; an unknown code as itself.
pub fn event(code: &str, lang: Language) -> &str {
    Journal::of(lang).events.iter().find(|(k, _)| *k == code).map_or(code, |(_, t)| t)
}
