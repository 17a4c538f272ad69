//! The notification outbox as the alarm actor sees it: every undelivered notification, in
//! memory. The store holds the same rows (the actor commits each change to it), but the
//! notifiers are served from here, so notifications go out while the store cannot commit (disk
//! full) and a delivery is never repeated because its record could not be written yet.

use std::collections::BTreeMap;

use super::store::{NewOutbox, OutboxRow};

/// Undelivered notifications by row id, and the next id to give.
#[derive(Debug, Default)]
pub struct Outbox {
    /// Row id → (row, due time UTC ms).
    rows: BTreeMap<i64, (OutboxRow, i64)>,
    /// Id of the next queued row.
    next_id: i64,
}

impl Outbox {
    /// Continue from the store's undelivered rows; new rows are numbered after `last_id`.
    pub fn new(undelivered: Vec<(OutboxRow, i64)>, last_id: i64) -> Outbox {
        let rows: BTreeMap<i64, (OutboxRow, i64)> = undelivered
            .into_iter()
            .map(|(r, due)| (r.id, (r, due)))
            .collect();
        let next_id = rows.keys().next_back().copied().unwrap_or(0).max(last_id) + 1;
        Outbox { rows, next_id }
    }

    /// Queue `n`; returns the id it was given.
    pub fn push(&mut self, n: &NewOutbox) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        let row = OutboxRow {
            id,
            channel: n.channel.to_string(),
            target: n.target.clone(),
            incident: n.incident,
            kind: n.kind.clone(),
            alarm: n.alarm.clone(),
            payload: n.payload.clone(),
            retain: n.retain,
            attempts: 0,
            delivered_ms: None,
        };
        self.rows.insert(id, (row, n.due_ms));
        id
    }

    /// The oldest undelivered row of `channel` due at `now_ms` (by due time, then id).
    pub fn next_due(&self, channel: &str, now_ms: i64) -> Option<OutboxRow> {
        self.rows
            .values()
            .filter(|(r, due)| r.channel == channel && *due <= now_ms)
            .min_by_key(|(r, due)| (*due, r.id))
            .map(|(r, _)| r.clone())
    }

    /// Set the rendered text of row `id`.
    pub fn set_payload(&mut self, id: i64, payload: &str) {
        if let Some((r, _)) = self.rows.get_mut(&id) {
            r.payload = Some(payload.to_string());
        }
    }

    /// Row `id` was delivered: it leaves the outbox.
    pub fn delivered(&mut self, id: i64) {
        self.rows.remove(&id);
    }

    /// A delivery of row `id` failed: due again at `retry_ms`.
    pub fn failed(&mut self, id: i64, retry_ms: i64) {
        if let Some((r, due)) = self.rows.get_mut(&id) {
            r.attempts += 1;
            *due = retry_ms;
        }
    }

    /// Undelivered rows.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.rows.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail(due_ms: i64) -> NewOutbox {
        NewOutbox {
            channel: "email",
            target: "jour".into(),
            incident: Some(1),
            kind: "incident".into(),
            alarm: None,
            payload: None,
            retain: false,
            due_ms,
        }
    }

    #[test]
    fn rows_are_served_by_due_time_retried_later_and_gone_once_delivered() {
        let mut o = Outbox::new(Vec::new(), 41);
        let a = o.push(&mail(100));
        let b = o.push(&mail(50));
        assert_eq!((a, b), (42, 43), "numbered after the store's last id");
        assert!(o.next_due("email", 10).is_none());
        assert!(o.next_due("mqtt", 1000).is_none());
        assert_eq!(
            o.next_due("email", 100).map(|r| r.id),
            Some(b),
            "earliest due first"
        );
        o.failed(b, 500);
        assert_eq!(o.next_due("email", 100).map(|r| r.id), Some(a));
        o.delivered(a);
        assert!(o.next_due("email", 499).is_none(), "backing off");
        let again = o.next_due("email", 500).expect("due again");
        assert_eq!((again.id, again.attempts), (b, 1));
        o.delivered(b);
        assert_eq!(o.len(), 0);
    }
}
