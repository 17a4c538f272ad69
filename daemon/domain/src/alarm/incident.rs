//! Incidents: alarms from one cause grouped together. The first alarm opens an incident; alarms
//! that start within the window of its opening join it; later ones open the next incident.

use serde::{Deserialize, Serialize};

/// One incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    /// Number, increasing.
    pub id: i64,
    /// When its first alarm started, UTC ms.
    pub opened_ms: i64,
    /// Alarm ids in the order they joined; the first is the cause.
    pub alarms: Vec<String>,
}

/// Every incident known, and the grouping rule.
#[derive(Debug, Clone, Default)]
pub struct Incidents {
    window_ms: i64,
    list: Vec<Incident>,
    /// Incidents no other alarm may join (the daemon's own alarms).
    sealed: Vec<i64>,
}

/// Incidents kept in memory (older ones stay in the store only).
const KEEP: usize = 200;

impl Incidents {
    /// Grouping window `window_ms`, continuing from `known` incidents (oldest first).
    pub fn new(window_ms: i64, known: Vec<Incident>) -> Incidents {
        Incidents { window_ms, list: known, sealed: Vec::new() }
    }

    /// Put alarm `alarm` starting at `at_ms` into an incident; returns the id and whether it
    /// opened a new one. An alarm `alone` opens an incident that no other alarm joins.
    pub fn assign(&mut self, alarm: &str, at_ms: i64, alone: bool) -> (i64, bool) {
        let open = self.list.iter_mut().rev().find(|i| !self.sealed.contains(&i.id));
        if !alone
            && let Some(last) = open
            && at_ms >= last.opened_ms
            && at_ms - last.opened_ms <= self.window_ms
        {
            if !last.alarms.iter().any(|a| a == alarm) {
                last.alarms.push(alarm.to_string());
            }
            return (last.id, false);
        }
        let id = self.list.last().map_or(1, |l| l.id + 1);
        self.list.push(Incident { id, opened_ms: at_ms, alarms: vec![alarm.to_string()] });
        if alone {
            self.sealed.push(id);
        }
        if self.list.len() > KEEP {
            let gone = self.list.remove(0);
            self.sealed.retain(|s| *s != gone.id);
        }
        (id, true)
    }

    /// The grouping window, ms.
    pub fn window(&self) -> i64 {
        self.window_ms
    }

    /// An incident by id.
    pub fn get(&self, id: i64) -> Option<&Incident> {
        self.list.iter().rev().find(|i| i.id == id)
    }

    /// Every incident in memory, oldest first.
    pub fn all(&self) -> &[Incident] {
        &self.list
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alarms_within_the_window_join_the_first_and_later_ones_open_the_next() {
        let mut inc = Incidents::new(10_000, Vec::new());
        assert_eq!(inc.assign("mains", 1000, false), (1, true));
        assert_eq!(inc.assign("ups", 1200, false), (1, false));
        assert_eq!(inc.assign("water", 11_000, false), (1, false));
        assert_eq!(inc.assign("fuel", 11_001, false), (2, true));
        assert_eq!(inc.get(1).map(|i| i.alarms.len()), Some(3));
        let mut cont = Incidents::new(10_000, inc.all().to_vec());
        assert_eq!(cont.assign("x", 100_000, false), (3, true));
    }

    #[test]
    fn an_alarm_alone_neither_joins_nor_is_joined() {
        let mut inc = Incidents::new(10_000, Vec::new());
        assert_eq!(inc.assign("mains", 1000, false), (1, true));
        assert_eq!(inc.assign("store", 1100, true), (2, true), "does not join the plant incident");
        assert_eq!(inc.assign("ups", 1200, false), (1, false), "the plant incident goes on");
        assert_eq!(inc.assign("water", 20_000, false), (3, true));
        assert_eq!(inc.assign("store", 20_100, true), (4, true));
        assert_eq!(inc.assign("fuel", 20_200, false), (3, false), "not into the store's incident");
    }
}
