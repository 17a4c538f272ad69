//! The pipeline's side of the alarm actor: what of each batch the engine needs, and nothing more.
//! Readings go through only for points a rule watches (none when no rule exists); of every other
//! reading the engine needs only its device's communication health, which is folded per device
//! ([`CycleHealth`]) and sent when it changes (a device starts or stops failing, gains or loses
//! good values) or at most [`HEALTH_EVERY`] late. The router calls [`AlarmTap::observe`] per
//! batch with the batch's interned point indexes; nothing is allocated per reading.

use std::time::Duration;

use driftvakt_config::model::Config;
use driftvakt_domain::alarm::comm::CycleHealth;
use driftvakt_domain::alarm::engine::Engine;
use driftvakt_domain::{Quality, Reading};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::intern::PointIndex;

/// Longest a device's unchanged health waits before it is sent (the alarm actor's tick).
pub const HEALTH_EVERY: Duration = Duration::from_millis(250);

/// What the alarm actor gets from the pipeline.
#[derive(Debug, Default)]
pub struct Feed {
    /// Readings of watched points, in arrival order.
    pub readings: Vec<Reading>,
    /// Folded communication health per device read since the last feed.
    pub health: Vec<(String, CycleHealth)>,
}

/// Per device: its id and what the tap knows of it.
#[derive(Debug)]
struct Device {
    id: String,
    /// Health folded since the last feed.
    pending: Option<CycleHealth>,
    /// (all comm-fail, any good) of its last cycle.
    last: Option<(bool, bool)>,
}

/// Reduces batches to what the alarm engine needs and sends them.
#[derive(Debug)]
pub struct AlarmTap {
    tx: mpsc::Sender<Feed>,
    /// By point index: whether a rule watches the point.
    watched: Vec<bool>,
    /// By point index: the point's device (index into `devices`).
    device_of: Vec<Option<u32>>,
    devices: Vec<Device>,
    /// Watched readings not sent yet.
    readings: Vec<Reading>,
    /// Something that should reach the engine now (a watched reading, a change of health).
    urgent: bool,
    /// When the oldest unsent health was taken.
    pending_since: Option<Instant>,
    /// Per batch: (device, all comm-fail, any good, newest time).
    cycle: Vec<(u32, bool, bool, i64)>,
}

impl AlarmTap {
    /// A tap for the rules and devices of `config`, with point indexes from `index`, sending
    /// to the alarm actor through `tx`.
    pub fn new(config: &Config, index: &mut PointIndex, tx: mpsc::Sender<Feed>) -> AlarmTap {
        let mut tap = AlarmTap {
            tx,
            watched: Vec::new(),
            device_of: Vec::new(),
            devices: Vec::new(),
            readings: Vec::new(),
            urgent: false,
            pending_since: None,
            cycle: Vec::new(),
        };
        for (d, device) in config.devices.iter().enumerate() {
            tap.devices.push(Device { id: device.id.clone(), pending: None, last: None });
            for p in &device.points {
                let i = index.intern(&p.id) as usize;
                if tap.device_of.len() <= i {
                    tap.device_of.resize(i + 1, None);
                }
                tap.device_of[i] = u32::try_from(d).ok();
            }
        }
        for p in Engine::watched_points(config) {
            let i = index.intern(&p) as usize;
            if tap.watched.len() <= i {
                tap.watched.resize(i + 1, false);
            }
            tap.watched[i] = true;
        }
        tap
    }

    /// Take what the engine needs of `batch` (`idx`: each reading's point index).
    pub fn observe(&mut self, batch: &[Reading], idx: &[u32]) {
        self.cycle.clear();
        for (r, &i) in batch.iter().zip(idx) {
            let i = i as usize;
            if self.watched.get(i).copied().unwrap_or(false) {
                self.readings.push(r.clone());
                self.urgent = true;
            }
            let Some(d) = self.device_of.get(i).copied().flatten() else { continue };
            let (fail, good) = (r.quality == Quality::CommFail, r.quality == Quality::Good);
            match self.cycle.iter_mut().find(|c| c.0 == d) {
                Some(c) => {
                    c.1 &= fail;
                    c.2 |= good;
                    c.3 = c.3.max(r.time_ms);
                }
                None => self.cycle.push((d, fail, good, r.time_ms)),
            }
        }
        for &(d, fail, good, t) in &self.cycle {
            let device = &mut self.devices[d as usize];
            if device.last != Some((fail, good)) {
                self.urgent = true;
            }
            device.last = Some((fail, good));
            let h = CycleHealth::of_cycle(fail, good, t);
            match device.pending.as_mut() {
                Some(p) => p.then(h),
                None => device.pending = Some(h),
            }
            self.pending_since.get_or_insert_with(Instant::now);
        }
    }

    /// When the tap must send even without another batch (`None`: nothing waits).
    pub fn deadline(&self) -> Option<Instant> {
        if self.urgent {
            return Some(Instant::now());
        }
        self.pending_since.map(|t| t + HEALTH_EVERY)
    }

    /// Whether something should be sent now.
    pub fn due(&self) -> bool {
        self.deadline().is_some_and(|d| d <= Instant::now())
    }

    /// Send what waits (if anything); false if the alarm actor is gone.
    pub async fn flush(&mut self) -> bool {
        let feed = self.take();
        if feed.readings.is_empty() && feed.health.is_empty() {
            return true;
        }
        self.tx.send(feed).await.is_ok()
    }

    fn take(&mut self) -> Feed {
        self.urgent = false;
        self.pending_since = None;
        let health = self.devices.iter_mut().filter_map(|d| Some((d.id.clone(), d.pending.take()?))).collect();
        Feed { readings: std::mem::take(&mut self.readings), health }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn config(alarms: &str) -> Config {
        let text = format!(
            "[site]\nid = \"s\"\nname = \"S\"\n[[connections]]\nid = \"gw\"\nhost = \"127.0.0.1\"\n\
             [[devices]]\nid = \"g1\"\nconnection = \"gw\"\nunit_id = 1\nsystem = \"reservkraft\"\n\
             [[devices.points]]\nid = \"temp\"\ntable = \"holding\"\naddress = 0\ntype = \"u16\"\nunit = \"\"\n{alarms}\n\
             [[devices.points]]\nid = \"flow\"\ntable = \"holding\"\naddress = 1\ntype = \"u16\"\nunit = \"\"\n"
        );
        driftvakt_config::parse_str(&text, "t.toml").config.expect("config")
    }

    fn reading(point: &Arc<str>, t: i64, q: Quality) -> Reading {
        Reading { point: point.clone(), time_ms: t, value: (q == Quality::Good).then_some(driftvakt_domain::Value::Number(1.0)), quality: q }
    }

    fn feed(tap: &mut AlarmTap, index: &mut PointIndex, batch: &[Reading]) -> Option<Feed> {
        let idx: Vec<u32> = batch.iter().map(|r| index.get(&r.point)).collect();
        tap.observe(batch, &idx);
        tap.due().then(|| tap.take())
    }

    #[test]
    fn without_rules_no_reading_reaches_the_engine_and_steady_health_waits() {
        let cfg = config("");
        let mut index = PointIndex::default();
        let (tx, _rx) = mpsc::channel(4);
        let mut tap = AlarmTap::new(&cfg, &mut index, tx);
        let (temp, flow): (Arc<str>, Arc<str>) = (Arc::from("g1.temp"), Arc::from("g1.flow"));
        let first = feed(&mut tap, &mut index, &[reading(&temp, 1000, Quality::Good), reading(&flow, 1000, Quality::Good)]).expect("first cycle is news");
        assert!(first.readings.is_empty());
        assert_eq!(first.health, [("g1".to_string(), CycleHealth::of_cycle(false, true, 1000))]);
        // The same health again: folded, not sent before HEALTH_EVERY.
        assert!(feed(&mut tap, &mut index, &[reading(&temp, 1100, Quality::Good), reading(&flow, 1100, Quality::Good)]).is_none());
        assert!(tap.deadline().is_some());
        // The device stops answering: sent at once, with the good time folded before it.
        let lost = feed(&mut tap, &mut index, &[reading(&temp, 1200, Quality::CommFail), reading(&flow, 1200, Quality::CommFail)]).expect("a change of health is news");
        let (_, h) = &lost.health[0];
        assert_eq!((h.last_good_ms, h.failing_from_ms, h.answered), (Some(1100), Some(1200), true));
        assert!(tap.deadline().is_none());
    }

    #[test]
    fn readings_of_watched_points_go_through_at_once() {
        let cfg = config(r#"alarms = [{ kind = "h", limit = 80.0, class = "B", text = "Varm" }]"#);
        let mut index = PointIndex::default();
        let (tx, _rx) = mpsc::channel(4);
        let mut tap = AlarmTap::new(&cfg, &mut index, tx);
        let (temp, flow): (Arc<str>, Arc<str>) = (Arc::from("g1.temp"), Arc::from("g1.flow"));
        feed(&mut tap, &mut index, &[reading(&temp, 1000, Quality::Good), reading(&flow, 1000, Quality::Good)]);
        let f = feed(&mut tap, &mut index, &[reading(&temp, 1100, Quality::Good), reading(&flow, 1100, Quality::Good)]).expect("watched reading");
        assert_eq!(f.readings.len(), 1);
        assert_eq!(&*f.readings[0].point, "g1.temp");
    }
}
