//! A sink's view of the store: its [`SinkQueue`] (saved position, readings after it in commit
//! order) with each reading's point named once, as [`Row`]s for the sink's transport to encode.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use driftvakt_store::{PointKey, Position, SinkQueue, StoreError};

use crate::sink::transport::{PointInfo, Row};

/// Store access of one sink.
pub struct Backlog {
    queue: SinkQueue,
    /// Point key → the point's names, loaded on first use.
    points: HashMap<PointKey, Arc<PointInfo>>,
}

impl Backlog {
    /// Open the store in `data_dir` (the writer has created it) for sink `sink`.
    pub fn open(data_dir: &Path, sink: &str) -> Result<Backlog, StoreError> {
        Ok(Backlog { queue: SinkQueue::open(data_dir, sink)?, points: HashMap::new() })
    }

    /// The saved position, if this sink has delivered (or been placed) before.
    pub fn saved_position(&self) -> Result<Option<Position>, StoreError> {
        self.queue.saved_position()
    }

    /// Save the position (everything up to it is delivered or accounted for).
    pub fn save_position(&self, position: Position, now_ms: i64) -> Result<(), StoreError> {
        self.queue.save_position(position, now_ms)
    }

    /// (the position before the oldest stored reading, the newest one's).
    pub fn bounds(&self) -> Result<(Position, Position), StoreError> {
        self.queue.bounds()
    }

    /// Stored readings after `after` up to and including `upto`.
    pub fn count_between(&self, after: Position, upto: Position) -> Result<u64, StoreError> {
        self.queue.count_between(after, upto)
    }

    /// The next at most `limit` readings after `after` up to `upto` (the newest commit the sink
    /// was told of), in commit order.
    pub fn read(&mut self, after: Position, upto: Position, limit: usize) -> Result<Vec<Row>, StoreError> {
        let queued = self.queue.read(after, upto, limit)?;
        let mut rows = Vec::with_capacity(queued.len());
        for q in queued {
            rows.push(Row { position: q.position, point: self.point(q.point)?, time_ms: q.time_ms, value: q.value, quality: q.quality });
        }
        Ok(rows)
    }

    /// Names of a point key (loaded on first use).
    fn point(&mut self, key: PointKey) -> Result<Arc<PointInfo>, StoreError> {
        if let Some(p) = self.points.get(&key) {
            return Ok(p.clone());
        }
        let (name, unit, system) = match self.queue.point(key)? {
            Some(m) => (m.id, m.unit, m.system),
            None => (format!("unknown.point{key}"), String::new(), String::new()),
        };
        let (device, point) = name.split_once('.').unwrap_or(("", name.as_str()));
        let info = Arc::new(PointInfo { key, device: device.to_string(), point: point.to_string(), unit, system });
        self.points.insert(key, info.clone());
        Ok(info)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use driftvakt_config::model::StoreSettings;
    use driftvakt_domain::clock::{Clock, SystemClock};
    use driftvakt_domain::{Quality, Reading, Value};
    use driftvakt_store::{PointMeta, StoreWriter};
    use std::sync::Arc;

    fn reading(point: &str, t: i64, v: f64) -> Reading {
        Reading { point: Arc::from(point), time_ms: t, value: Some(Value::Number(v)), quality: Quality::Good }
    }

    /// Reading forward, holes and positions are the store's (`driftvakt-store`'s queue tests);
    /// here: every row carries its point's names, loaded once per point.
    #[test]
    fn rows_carry_their_points_names_loaded_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let meta = [PointMeta { id: "g1.power".into(), unit: "kW".into(), system: "reservkraft".into() }];
        StoreWriter::start(dir.path(), &meta, &StoreSettings::default()).expect("create").finish();
        let mut b = Backlog::open(dir.path(), "s1").expect("open");
        let t = SystemClock.now_ms();
        // A sink is placed before it reads (a new sink starts at the newest commit).
        b.save_position(Position::START, t).expect("place");
        let w = StoreWriter::start(dir.path(), &meta, &StoreSettings::default()).expect("start");
        w.sender().blocking_send((0..10).map(|i| reading("g1.power", t + i, i as f64)).collect()).expect("send");
        w.finish();

        let first = b.read(Position::START, Position::nth(10), 4).expect("read");
        assert_eq!(first.iter().map(|r| r.position).collect::<Vec<_>>(), (1..=4).map(Position::nth).collect::<Vec<_>>());
        assert_eq!((first[0].time_ms, first[0].value.as_ref(), first[0].quality), (t, Some(&Value::Number(0.0)), Quality::Good));
        let p = &first[0].point;
        assert_eq!((p.device.as_str(), p.point.as_str(), p.unit.as_str(), p.system.as_str()), ("g1", "power", "kW", "reservkraft"));
        assert!(Arc::ptr_eq(&first[0].point, &first[3].point), "point names are loaded once");
    }
}
