//! The live side of a run, synchronous and free of I/O (the daemon's exercise actor and
//! fast-forward drive it alike): role readings in; the running run's [`Timeline`], a detected
//! outage's start and end, and the live-failure readings `exercise.<criterion>` out.
//!
//! - A mains loss (`mains_available` false, held `outage_after`) with no run active, that did not
//!   begin while an exercise ran, asks for an outage ([`MonitorAction::StartOutage`]).
//! - An outage ends when mains are back and every switch is on normal and every generator
//!   stopped, or `outage_end_after` after mains came back ([`MonitorAction::StopOutage`]).
//! - The actor records starts and stops and tells the monitor ([`ExerciseMonitor::started`],
//!   [`ExerciseMonitor::stopped`]); until then an action is not asked for again.
//!
//! The readings of the last `lead` are kept, so a run started live sees the same state before
//! its start as the report, which replays the stored readings from `started − lead`.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;

use driftvakt_config::model::{ExerciseKind, ExerciseSettings, criterion_point};
use driftvakt_domain::exercise::{Criterion, Run, Timeline};
use driftvakt_domain::{Quality, Reading, Value};

/// The criteria judged live: their failure is a bool point `exercise.<key>` the configuration's
/// generated alarm rules watch (`driftvakt_config::model::LIVE_ALARM_CRITERIA`, same order).
pub const LIVE_CRITERIA: [Criterion; 3] = [Criterion::StartTime, Criterion::StartAttempts, Criterion::Changeover];

/// The point of a live criterion's failure: `exercise.<criterion key>` (true while failed).
pub fn failure_point(c: Criterion) -> String {
    criterion_point(c.key())
}

/// What the monitor asks the actor to record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MonitorAction {
    /// Mains were lost with no run active: start an outage at `at_ms` (the first reading that
    /// showed the loss).
    StartOutage {
        /// Start of the outage, UTC ms.
        at_ms: i64,
    },
    /// The running outage is over: stop it at `at_ms`.
    StopOutage {
        /// End of the outage, UTC ms.
        at_ms: i64,
    },
}

/// The running run and its timeline.
#[derive(Debug)]
struct Active {
    run: Run,
    timeline: Timeline,
}

/// Readings of the role points → timeline, outage detection, live failures.
#[derive(Debug)]
pub struct ExerciseMonitor {
    settings: ExerciseSettings,
    /// Every role and watched point.
    points: HashSet<Arc<str>>,
    active: Option<Active>,
    /// Readings of the last `lead`, oldest first (for a run started live).
    recent: VecDeque<Reading>,
    lead_ms: i64,
    /// Latest good mains state.
    mains: Option<bool>,
    /// Since when mains have been absent (first reading showing it).
    lost_since: Option<i64>,
    /// The current loss began while a run was active (the exercise explains it).
    loss_explained: bool,
    /// Since when mains have been back during an outage.
    back_since: Option<i64>,
    /// Latest switch positions: on emergency, by position point.
    on_emergency: HashMap<String, bool>,
    /// Latest engine states: stopped, by engine-state point.
    stopped: HashMap<String, bool>,
    /// An action asked for and not yet confirmed by `started`/`stopped`.
    asked: Option<MonitorAction>,
    /// Live failures as last reported (for "on change").
    last_failures: Vec<bool>,
}

fn ms(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

fn good_number(r: &Reading) -> Option<f64> {
    if r.quality != Quality::Good {
        return None;
    }
    r.value.as_ref()?.as_f64()
}

impl ExerciseMonitor {
    /// A monitor for `settings`; `active` is the run the store says is running (after a
    /// restart: replay its stored readings through [`ExerciseMonitor::observe`] first).
    pub fn new(settings: &ExerciseSettings, active: Option<Run>) -> ExerciseMonitor {
        let mut m = ExerciseMonitor {
            points: settings.points().into_iter().map(Arc::from).collect(),
            settings: settings.clone(),
            active: None,
            recent: VecDeque::new(),
            lead_ms: ms(settings.lead),
            mains: None,
            lost_since: None,
            loss_explained: false,
            back_since: None,
            on_emergency: HashMap::new(),
            stopped: HashMap::new(),
            asked: None,
            last_failures: vec![false; LIVE_CRITERIA.len()],
        };
        if let Some(run) = active {
            m.started(run);
        }
        m
    }

    /// Every point the monitor reads (roles and watched points).
    pub fn points(&self) -> impl Iterator<Item = &str> {
        self.points.iter().map(|p| &**p)
    }

    /// The running run, if any.
    pub fn active(&self) -> Option<&Run> {
        self.active.as_ref().map(|a| &a.run)
    }

    /// The running run's timeline, if any.
    pub fn timeline(&self) -> Option<&Timeline> {
        self.active.as_ref().map(|a| &a.timeline)
    }

    /// Take a batch (readings of other points are ignored; per point in time order). Returns
    /// what the actor should record.
    pub fn observe(&mut self, batch: &[Reading]) -> Vec<MonitorAction> {
        let mut newest = None;
        for r in batch {
            if !self.points.contains(&r.point) {
                continue;
            }
            newest = newest.max(Some(r.time_ms));
            if let Some(a) = self.active.as_mut() {
                a.timeline.feed(r);
            }
            self.recent.push_back(r.clone());
            self.note_state(r);
        }
        let Some(now) = newest else { return Vec::new() };
        while self.recent.front().is_some_and(|r| r.time_ms < now.saturating_sub(self.lead_ms)) {
            self.recent.pop_front();
        }
        self.decide(now).into_iter().collect()
    }

    /// Remember what a reading says of mains, switches and generators.
    fn note_state(&mut self, r: &Reading) {
        let s = &self.settings;
        if *r.point == *s.mains_available {
            let Some(v) = good_number(r) else { return };
            let present = v != 0.0;
            if present {
                self.lost_since = None;
                self.loss_explained = false;
                if self.mains != Some(true) {
                    self.back_since = Some(r.time_ms);
                }
            } else {
                self.back_since = None;
                if self.lost_since.is_none() {
                    self.lost_since = Some(r.time_ms);
                    // A loss that begins while an exercise runs is the exercise's.
                    self.loss_explained = self.active.is_some();
                }
            }
            self.mains = Some(present);
        }
        for sw in s.switches.iter().filter(|sw| *r.point == *sw.position) {
            if let Some(v) = good_number(r) {
                self.on_emergency.insert(sw.position.clone(), v == sw.emergency_value);
            }
        }
        for g in s.generators.iter().filter(|g| *r.point == *g.engine_state) {
            if let Some(v) = good_number(r) {
                self.stopped.insert(g.engine_state.clone(), g.states.stopped.contains(&v));
            }
        }
    }

    fn decide(&mut self, now: i64) -> Option<MonitorAction> {
        if self.asked.is_some() {
            return None;
        }
        let s = &self.settings;
        let action = match &self.active {
            None => {
                let since = self.lost_since.filter(|_| s.detect_outages && !self.loss_explained)?;
                (now - since >= ms(s.outage_after)).then_some(MonitorAction::StartOutage { at_ms: since })
            }
            Some(a) if a.run.kind == ExerciseKind::Outage => {
                let back = self.back_since.filter(|_| self.mains == Some(true))?;
                let switches_normal = s.switches.iter().all(|sw| self.on_emergency.get(&sw.position) == Some(&false));
                let generators_stopped = s.generators.iter().all(|g| self.stopped.get(&g.engine_state) == Some(&true));
                let settled = switches_normal && generators_stopped;
                (settled || now - back >= ms(s.outage_end_after)).then_some(MonitorAction::StopOutage { at_ms: now })
            }
            Some(_) => None,
        };
        self.asked = action;
        action
    }

    /// The actor recorded `run` as started: a new timeline, fed with the readings of the lead.
    pub fn started(&mut self, run: Run) {
        let mut timeline = Timeline::new(&self.settings, run.kind, run.started_ms);
        for r in &self.recent {
            timeline.feed(r);
        }
        // A mains loss already under way when an exercise starts is the exercise's too.
        if self.lost_since.is_some() {
            self.loss_explained = true;
        }
        self.active = Some(Active { run, timeline });
        self.asked = None;
    }

    /// The actor recorded the run as stopped.
    pub fn stopped(&mut self) {
        self.active = None;
        self.asked = None;
        self.back_since = None;
    }

    /// The running run as the store has it now (a note was added); the timeline goes on.
    pub fn update_run(&mut self, run: Run) {
        if let Some(a) = self.active.as_mut().filter(|a| a.run.id == run.id) {
            a.run = run;
        }
    }

    /// The actor could not record what was asked: ask again with the next readings.
    pub fn refused(&mut self) {
        self.asked = None;
    }

    /// The criteria failed live at `now_ms`, in [`LIVE_CRITERIA`] order (all false without a run).
    pub fn failures(&self, now_ms: i64) -> Vec<bool> {
        let Some(a) = &self.active else { return vec![false; LIVE_CRITERIA.len()] };
        let failed = a.timeline.live_failures(now_ms);
        LIVE_CRITERIA.iter().map(|c| failed.iter().any(|f| f.criterion == *c)).collect()
    }

    /// The bool readings `exercise.<criterion key>` at `now_ms`: true while the criterion has
    /// failed during the running run, false otherwise (and without a run).
    pub fn failure_readings(&self, now_ms: i64) -> Vec<Reading> {
        LIVE_CRITERIA
            .iter()
            .zip(self.failures(now_ms))
            .map(|(c, failed)| Reading { point: Arc::from(failure_point(*c)), time_ms: now_ms, value: Some(Value::Bool(failed)), quality: Quality::Good })
            .collect()
    }

    /// Whether the live failures differ from the last time this was asked (and remember them).
    pub fn failures_changed(&mut self, now_ms: i64) -> bool {
        let now = self.failures(now_ms);
        let changed = now != self.last_failures;
        self.last_failures = now;
        changed
    }
}

#[cfg(test)]
pub(crate) mod tests;
