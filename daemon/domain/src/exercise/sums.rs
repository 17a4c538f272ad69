//! The running sums of a timeline: held values integrated over the run's window (a good
//! reading's value holds until the next reading of its point; a bad reading holds nothing),
//! band segments for the cross-point events, and the time each point had no good data.

/// The run's window for the sums: from the start to the stop (open while it runs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Window {
    /// The run's start, UTC ms.
    pub lo: i64,
    /// The run's stop, UTC ms (`i64::MAX` while unknown).
    pub hi: i64,
}

impl Window {
    /// How much of `[a, b)` lies in the window, ms.
    pub fn overlap(self, a: i64, b: i64) -> i64 {
        (b.min(self.hi) - a.max(self.lo)).max(0)
    }

    /// Whether `t` lies in the window (both ends included).
    pub fn contains(self, t: i64) -> bool {
        t >= self.lo && t <= self.hi
    }
}

/// When a point was read and how long it had no good data.
#[derive(Debug, Clone, Default)]
pub(super) struct Track {
    /// Time of the newest reading (any quality).
    pub last_ms: Option<i64>,
    /// Time of the newest good reading.
    pub last_good_ms: Option<i64>,
    /// Whether the newest reading was good.
    last_good: bool,
    /// Time in the window without good data so far, up to `last_ms`.
    missing_ms: i64,
}

impl Track {
    /// Account a reading at `t`; `false` (and nothing changed) when it is older than the
    /// previous one of the point.
    pub fn take(&mut self, t: i64, good: bool, w: Window) -> bool {
        match self.last_ms {
            Some(last) if t < last => return false,
            Some(last) if !self.last_good => self.missing_ms += w.overlap(last, t),
            Some(_) => {}
            None => self.missing_ms += w.overlap(w.lo, t),
        }
        self.last_ms = Some(t);
        self.last_good = good;
        if good {
            self.last_good_ms = Some(t);
        }
        true
    }

    /// Time in the window without good data up to `end`.
    pub fn missing_until(&self, end: i64, w: Window) -> i64 {
        let tail = match self.last_ms {
            None => w.overlap(w.lo, end),
            Some(last) if !self.last_good => w.overlap(last, end),
            Some(_) => 0,
        };
        self.missing_ms + tail
    }
}

/// One stretch during which a condition held (in band, above a threshold).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Segment {
    /// Time of the first good reading showing it.
    pub start: i64,
    /// How exactly `start` is known: the interval since the previous good reading, ms.
    pub res: i64,
    /// Time of the first good reading no longer showing it; `None` while it holds.
    pub end: Option<i64>,
}

impl Segment {
    /// The end, or "still holding".
    pub fn end_or_max(&self) -> i64 {
        self.end.unwrap_or(i64::MAX)
    }
}

/// A condition over a point's good readings, as segments in time order.
#[derive(Debug, Clone, Default)]
pub(super) struct Band {
    /// The condition at the newest good reading.
    state: Option<bool>,
    /// The stretches it held.
    pub segments: Vec<Segment>,
}

impl Band {
    /// Take a good reading's condition at `t` (`res`: interval since the previous good
    /// reading); `true` when the segments changed.
    pub fn take(&mut self, t: i64, holds: bool, res: i64) -> bool {
        let old = self.state.replace(holds);
        if old == Some(holds) {
            return false;
        }
        if holds {
            self.segments.push(Segment { start: t, res, end: None });
        } else if let Some(last) = self.segments.last_mut().filter(|s| s.end.is_none()) {
            last.end = Some(t);
        } else {
            return false;
        }
        true
    }

    /// Whether any good reading was taken.
    pub fn seen(&self) -> bool {
        self.state.is_some()
    }
}

/// A generator's load as % of rating, held between readings.
#[derive(Debug, Clone, Default)]
pub(super) struct LoadSums {
    /// `min_load_percent`.
    pub min_pct: f64,
    /// `load_threshold_percent`.
    pub threshold_pct: f64,
    /// The held value: since when, and the % (None after a bad reading).
    held: Option<(i64, Option<f64>)>,
    /// Highest % in effect in the window.
    pub max_pct: Option<f64>,
    /// Time above the load threshold, ms, and ∫% dt over it.
    pub carrying_ms: i64,
    /// ∫% dt over the time above the load threshold.
    pub carrying_pct_ms: f64,
    /// Total time at ≥ `min_pct`, ms.
    pub at_min_ms: i64,
    /// The current stretch at ≥ `min_pct`: ms and ∫% dt.
    stretch: (i64, f64),
    /// The longest stretch at ≥ `min_pct`: ms and ∫% dt.
    pub best: (i64, f64),
}

impl LoadSums {
    /// Sums for the given thresholds.
    pub fn new(min_pct: f64, threshold_pct: f64) -> LoadSums {
        LoadSums { min_pct, threshold_pct, ..LoadSums::default() }
    }

    fn add(&mut self, a: i64, b: i64, pct: f64, w: Window) {
        let d = w.overlap(a, b);
        if d == 0 {
            return;
        }
        self.max_pct = Some(self.max_pct.map_or(pct, |m| m.max(pct)));
        if pct >= self.threshold_pct {
            self.carrying_ms += d;
            self.carrying_pct_ms += pct * d as f64;
        }
        if pct >= self.min_pct {
            self.at_min_ms += d;
            self.stretch.0 += d;
            self.stretch.1 += pct * d as f64;
        }
    }

    fn close_stretch(&mut self) {
        if self.stretch.0 > self.best.0 {
            self.best = self.stretch;
        }
        self.stretch = (0, 0.0);
    }

    /// Take a reading at `t`: `pct` for a good one, `None` for a bad one (a gap: it neither
    /// counts nor breaks a stretch).
    pub fn take(&mut self, t: i64, pct: Option<f64>, w: Window) {
        if let Some((since, Some(p))) = self.held {
            self.add(since, t, p, w);
        }
        self.held = Some((t, pct));
        if let Some(p) = pct {
            if w.contains(t) {
                self.max_pct = Some(self.max_pct.map_or(p, |m| m.max(p)));
            }
            if p < self.min_pct {
                self.close_stretch();
            }
        }
    }

    /// The sums with the held value carried to `end`.
    pub fn finished(&self, end: i64, w: Window) -> LoadSums {
        let mut out = self.clone();
        if let Some((since, Some(p))) = out.held {
            out.add(since, end, p, w);
        }
        out.close_stretch();
        out
    }
}

/// A watched point against its band.
#[derive(Debug, Clone, Default)]
pub(super) struct WatchSums {
    /// Lower edge of the band.
    pub low: Option<f64>,
    /// Upper edge of the band.
    pub high: Option<f64>,
    held: Option<(i64, Option<f64>)>,
    /// Lowest value in effect in the window.
    pub min: Option<f64>,
    /// Highest value in effect in the window.
    pub max: Option<f64>,
    /// Largest distance outside the band.
    pub worst: f64,
    /// Time outside the band, ms.
    pub outside_ms: i64,
    /// When it first was outside in the window.
    pub first_outside: Option<i64>,
}

impl WatchSums {
    /// Sums for the band `[low, high]`.
    pub fn new(low: Option<f64>, high: Option<f64>) -> WatchSums {
        WatchSums { low, high, ..WatchSums::default() }
    }

    /// How far `v` is outside the band (0 inside).
    pub fn deviation(&self, v: f64) -> f64 {
        let below = self.low.map_or(0.0, |l| l - v);
        let above = self.high.map_or(0.0, |h| v - h);
        below.max(above).max(0.0)
    }

    fn seen(&mut self, v: f64) {
        self.min = Some(self.min.map_or(v, |m| m.min(v)));
        self.max = Some(self.max.map_or(v, |m| m.max(v)));
        self.worst = self.worst.max(self.deviation(v));
    }

    fn add(&mut self, a: i64, b: i64, v: f64, w: Window) {
        let d = w.overlap(a, b);
        if d == 0 {
            return;
        }
        self.seen(v);
        if self.deviation(v) > 0.0 {
            self.outside_ms += d;
            self.first_outside.get_or_insert(a.max(w.lo));
        }
    }

    /// Take a reading at `t` (`None`: bad).
    pub fn take(&mut self, t: i64, v: Option<f64>, w: Window) {
        if let Some((since, Some(x))) = self.held {
            self.add(since, t, x, w);
        }
        self.held = Some((t, v));
        if let Some(x) = v.filter(|_| w.contains(t)) {
            self.seen(x);
            if self.deviation(x) > 0.0 {
                self.first_outside.get_or_insert(t);
            }
        }
    }

    /// The sums with the held value carried to `end`.
    pub fn finished(&self, end: i64, w: Window) -> WatchSums {
        let mut out = self.clone();
        if let Some((since, Some(x))) = out.held {
            out.add(since, end, x, w);
        }
        out
    }
}

/// A bool held between readings: the time it was true in the window.
#[derive(Debug, Clone, Default)]
pub(super) struct OnTime {
    held: Option<(i64, Option<bool>)>,
    /// Time true, ms.
    pub on_ms: i64,
}

impl OnTime {
    /// Take a reading at `t` (`None`: bad).
    pub fn take(&mut self, t: i64, v: Option<bool>, w: Window) {
        if let Some((since, Some(true))) = self.held {
            self.on_ms += w.overlap(since, t);
        }
        self.held = Some((t, v));
    }

    /// Time true up to `end`.
    pub fn on_until(&self, end: i64, w: Window) -> i64 {
        match self.held {
            Some((since, Some(true))) => self.on_ms + w.overlap(since, end),
            _ => self.on_ms,
        }
    }
}

/// A level (UPS runtime left): its value at the start of the window and its lowest in it.
#[derive(Debug, Clone, Default)]
pub(super) struct Level {
    held: Option<(i64, Option<f64>)>,
    /// The value in effect when the window began (or its first reading in the window).
    pub start: Option<f64>,
    /// The lowest value in effect in the window.
    pub min: Option<f64>,
}

impl Level {
    fn seen(&mut self, v: f64) {
        self.start.get_or_insert(v);
        self.min = Some(self.min.map_or(v, |m| m.min(v)));
    }

    /// Take a reading at `t` (`None`: bad).
    pub fn take(&mut self, t: i64, v: Option<f64>, w: Window) {
        if let Some((since, Some(x))) = self.held
            && w.overlap(since, t) > 0
        {
            self.seen(x);
        }
        self.held = Some((t, v));
        if let Some(x) = v.filter(|_| w.contains(t)) {
            self.seen(x);
        }
    }

    /// How far it dropped in the window, up to `end`.
    pub fn drop_until(&self, end: i64, w: Window) -> Option<f64> {
        let mut out = self.clone();
        if let Some((since, Some(x))) = out.held
            && w.overlap(since, end) > 0
        {
            out.seen(x);
        }
        Some((out.start? - out.min?).max(0.0))
    }
}

/// A stock point's first and last good reading in the window.
#[derive(Debug, Clone, Default)]
pub(super) struct Stock {
    /// First good reading in the window: time and litres.
    pub first: Option<(i64, f64)>,
    /// Newest good reading in the window: time and litres.
    pub last: Option<(i64, f64)>,
}

impl Stock {
    /// Take a good reading at `t`.
    pub fn take(&mut self, t: i64, v: f64, w: Window) {
        if w.contains(t) {
            self.first.get_or_insert((t, v));
            self.last = Some((t, v));
        }
    }
}
