//! What the start-time, start-attempt and changeover criteria measure from, and whether each
//! generator and switch is expected to act: shared by the live check
//! ([`Timeline::live_failures`], implemented here) and the final judgment ([`super::analyze`]),
//! so the alarm and the report agree.

use driftvakt_config::model::ExerciseKind;

use super::criterion::{Criterion, LiveFailure};
use super::model::{Event, EventKind, Timing};
use super::timeline::Timeline;

/// The time a start or changeover is measured from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Reference {
    /// Mains lost, test mode on, start signal, or the run's start.
    pub kind: EventKind,
    /// When, UTC ms.
    pub at: i64,
    /// ± ms.
    pub res: i64,
    /// Where the time comes from.
    pub timing: Timing,
}

impl Reference {
    fn of(e: &Event) -> Reference {
        Reference { kind: e.kind, at: e.at_ms, res: e.resolution_ms, timing: e.timing }
    }

    /// Whether `e` happened at or after the reference (allowing for its resolution: a device
    /// time may lie before a polled reference).
    fn precedes(&self, e: &Event) -> bool {
        e.at_ms >= self.at - self.res
    }
}

/// Whether a generator or switch is expected to act in this run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Expect {
    /// It should start / transfer.
    Yes,
    /// Not part of this run (a monthly test of another generator, a load bank without the switch).
    NotApplicable,
    /// It was already running / on the generators when the run's data begins.
    AlreadyOn,
}

fn is_trigger(e: &Event) -> bool {
    matches!(e.kind, EventKind::TestModeOn | EventKind::StartSignal)
}

/// The reference of the generators (`switch` None) or of one switch: mains lost if seen,
/// else test mode or start signal (the switch's own first), else the run's start. Live, the
/// run's start is used only when nothing else can come (mains already lost, test mode already
/// on, an outage, no trigger point configured), so an operator's walk to the switch is not a
/// failure.
pub(super) fn reference(tl: &Timeline, switch: Option<usize>, live: bool) -> Option<Reference> {
    let events = tl.events();
    if let Some(e) = events.iter().find(|e| e.kind == EventKind::MainsLost) {
        return Some(Reference::of(e));
    }
    let own = switch.and_then(|i| {
        let id = &tl.settings.switches[i].id;
        events.iter().find(|e| is_trigger(e) && e.unit.as_deref() == Some(id))
    });
    if let Some(e) = own.or_else(|| events.iter().find(|e| is_trigger(e))) {
        return Some(Reference::of(e));
    }
    let no_trigger_points = tl.settings.switches.iter().all(|s| s.test_mode.is_none() && s.start_signal.is_none());
    let armed = tl.initially_mains_lost
        || tl.switches.iter().any(|s| s.initially_test)
        || tl.kind == ExerciseKind::Outage
        || (no_trigger_points && tl.kind != ExerciseKind::Island);
    (!live || armed).then_some(Reference { kind: EventKind::RunStarted, at: tl.started_ms, res: 0, timing: Timing::Operator })
}

fn of_unit<'a>(tl: &'a Timeline, kind: EventKind, unit: &'a str) -> impl Iterator<Item = &'a Event> + 'a {
    tl.events().iter().filter(move |e| e.kind == kind && e.unit.as_deref() == Some(unit))
}

/// The start of one generator as the criteria see it.
#[derive(Debug, Clone)]
pub(super) struct Start<'a> {
    /// Measured from.
    pub reference: Option<Reference>,
    /// First ready at or after the reference.
    pub ready: Option<&'a Event>,
    /// Start attempts up to that ready (all when none).
    pub attempts: u32,
    /// Whether it should start.
    pub expect: Expect,
}

/// Judge generator `i`'s start.
pub(super) fn start(tl: &Timeline, i: usize, live: bool) -> Start<'_> {
    let id = &tl.settings.generators[i].id;
    let reference = reference(tl, None, live);
    let ready = reference.and_then(|r| of_unit(tl, EventKind::GeneratorReady, id).find(|e| r.precedes(e)));
    let until = ready.or_else(|| of_unit(tl, EventKind::GeneratorReady, id).next()).map_or(i64::MAX, |e| e.at_ms);
    let attempts = of_unit(tl, EventKind::Crank, id).filter(|e| e.at_ms <= until).count() as u32;
    let cranked = |g: &str| of_unit(tl, EventKind::Crank, g).next().is_some();
    let expect = if tl.generators[i].initially_running && !cranked(id) {
        Expect::AlreadyOn
    } else if matches!(tl.kind, ExerciseKind::Island | ExerciseKind::Outage)
        || cranked(id)
        || !tl.settings.generators.iter().any(|g| cranked(&g.id))
    {
        Expect::Yes
    } else {
        Expect::NotApplicable
    };
    Start { reference, ready, attempts, expect }
}

/// The changeover of one switch as the criteria see it.
#[derive(Debug, Clone)]
pub(super) struct Changeover<'a> {
    /// Measured from.
    pub reference: Option<Reference>,
    /// First transfer to emergency at or after the reference.
    pub transfer: Option<&'a Event>,
    /// Whether it should transfer.
    pub expect: Expect,
}

/// Judge switch `i`'s changeover.
pub(super) fn changeover(tl: &Timeline, i: usize, live: bool) -> Changeover<'_> {
    let id = &tl.settings.switches[i].id;
    let reference = reference(tl, Some(i), live);
    let transfer = reference.and_then(|r| of_unit(tl, EventKind::TransferToEmergency, id).find(|e| r.precedes(e)));
    let triggered = |s: usize| {
        let sid = &tl.settings.switches[s].id;
        tl.switches[s].initially_test || tl.events().iter().any(|e| is_trigger(e) && e.unit.as_deref() == Some(sid))
    };
    let transferred = of_unit(tl, EventKind::TransferToEmergency, id).next().is_some();
    let mains_lost = tl.initially_mains_lost || tl.events().iter().any(|e| e.kind == EventKind::MainsLost);
    let expect = if tl.switches[i].initially_emergency && !transferred {
        Expect::AlreadyOn
    } else {
        let yes = match tl.kind {
            ExerciseKind::Island | ExerciseKind::Outage => true,
            ExerciseKind::Monthly => transferred || triggered(i) || !(0..tl.switches.len()).any(triggered),
            ExerciseKind::Loadbank => transferred || triggered(i) || mains_lost,
        };
        if yes { Expect::Yes } else { Expect::NotApplicable }
    };
    Changeover { reference, transfer, expect }
}

/// Whether a time from `reference` to `end` (or to `now` without an end) exceeds `limit_ms`.
fn late(reference: Option<Reference>, end: Option<&Event>, now_ms: i64, limit_ms: i64) -> bool {
    let Some(r) = reference else { return false };
    match end {
        Some(e) => e.at_ms - r.at > limit_ms,
        None => now_ms - r.at > limit_ms,
    }
}

impl Timeline {
    /// The criteria already failed at `now_ms` (deadlines passed without the event, too many
    /// start attempts); empty while all is well or undecided.
    pub fn live_failures(&self, now_ms: i64) -> Vec<LiveFailure> {
        live_failures(self, now_ms)
    }
}

/// The criteria already failed at `now_ms`.
fn live_failures(tl: &Timeline, now_ms: i64) -> Vec<LiveFailure> {
    let c = &tl.settings.criteria;
    let mut out = Vec::new();
    for (i, g) in tl.settings.generators.iter().enumerate() {
        let s = start(tl, i, true);
        let unit = Some(g.id.clone());
        if s.expect == Expect::Yes && late(s.reference, s.ready, now_ms, c.start_max.as_millis() as i64) {
            out.push(LiveFailure { criterion: Criterion::StartTime, unit: unit.clone() });
        }
        if s.attempts > c.max_start_attempts {
            out.push(LiveFailure { criterion: Criterion::StartAttempts, unit });
        }
    }
    for (i, sw) in tl.settings.switches.iter().enumerate() {
        let ch = changeover(tl, i, true);
        if ch.expect == Expect::Yes && late(ch.reference, ch.transfer, now_ms, sw.changeover_limit.as_millis() as i64) {
            out.push(LiveFailure { criterion: Criterion::Changeover, unit: Some(sw.id.clone()) });
        }
    }
    out
}
