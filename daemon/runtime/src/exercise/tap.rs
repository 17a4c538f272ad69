//! The pipeline's side of the exercise actor: of each batch only the readings of the role and
//! watched points of `[exercise]` (none when it is absent: there is no tap then). Like the alarm
//! tap, the router calls [`ExerciseTap::observe`] with the batch's interned point indexes and
//! then [`ExerciseTap::flush`]; nothing is allocated for a batch without such a reading.

use driftvakt_config::model::ExerciseSettings;
use driftvakt_domain::Reading;
use tokio::sync::mpsc;

use crate::intern::PointIndex;

/// Batches of role readings that may wait for the actor (it replays a run's stored readings
/// after a restart before it takes them).
pub const TAP_CAPACITY: usize = 8192;

/// Picks the exercise's readings out of the router's batches.
#[derive(Debug)]
pub struct ExerciseTap {
    tx: mpsc::Sender<Vec<Reading>>,
    /// By point index: whether the exercise reads the point.
    watched: Vec<bool>,
    /// Readings not sent yet.
    pending: Vec<Reading>,
}

impl ExerciseTap {
    /// A tap for the points of `settings`, with indexes from `index`, sending to `tx`.
    pub fn new(settings: &ExerciseSettings, index: &mut PointIndex, tx: mpsc::Sender<Vec<Reading>>) -> ExerciseTap {
        let mut watched = Vec::new();
        for p in settings.points() {
            let i = index.intern(p) as usize;
            if watched.len() <= i {
                watched.resize(i + 1, false);
            }
            watched[i] = true;
        }
        ExerciseTap { tx, watched, pending: Vec::new() }
    }

    /// Take the exercise's readings of `batch` (`idx`: each reading's point index).
    pub fn observe(&mut self, batch: &[Reading], idx: &[u32]) {
        for (r, &i) in batch.iter().zip(idx) {
            if self.watched.get(i as usize).copied().unwrap_or(false) {
                self.pending.push(r.clone());
            }
        }
    }

    /// Send what waits (if anything); false if the actor is gone.
    pub async fn flush(&mut self) -> bool {
        if self.pending.is_empty() {
            return true;
        }
        self.tx.send(std::mem::take(&mut self.pending)).await.is_ok()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use driftvakt_domain::{Quality, Value};

    use super::*;

    #[tokio::test]
    async fn only_the_exercise_points_go_through() {
        let settings = crate::exercise::live::tests::settings();
        let mut index = PointIndex::default();
        let (tx, mut rx) = mpsc::channel(4);
        let mut tap = ExerciseTap::new(&settings, &mut index, tx);
        let reading = |p: &str| Reading { point: Arc::from(p), time_ms: 1, value: Some(Value::Number(1.0)), quality: Quality::Good };
        let batch = [reading("g1.oil_pressure"), reading("g1.engine_state"), reading("ats.position")];
        let idx: Vec<u32> = batch.iter().map(|r| index.get(&r.point)).collect();
        tap.observe(&batch, &idx);
        assert!(tap.flush().await);
        let got: Vec<String> = rx.recv().await.expect("sent").iter().map(|r| r.point.to_string()).collect();
        assert_eq!(got, ["g1.engine_state", "ats.position"]);
        // Nothing of the exercise: nothing sent.
        let batch = [reading("g1.oil_pressure")];
        let idx: Vec<u32> = batch.iter().map(|r| index.get(&r.point)).collect();
        tap.observe(&batch, &idx);
        assert!(tap.flush().await);
        assert!(rx.try_recv().is_err());
    }
}
