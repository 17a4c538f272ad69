//! The figures of a run and their verdicts against the configured criteria.

use driftvakt_config::model::{ExerciseKind, ExerciseSettings};
use serde::Serialize;

use super::criterion::Criterion;
use super::judge::{self, Expect, Reference};
use super::model::{Event, EventKind, Run, Timing};
use super::timeline::{Timeline, sort_events};

/// The outcome of one criterion (and of the whole run).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Met.
    Pass,
    /// Not met.
    Fail,
    /// Does not apply to this kind of run (load on an outage).
    NotApplicable,
    /// Could not be judged: the data needed is missing (say which in the figure).
    NotMeasured,
}

impl Verdict {
    /// The code (`pass`, `fail`, `not_applicable`, `not_measured`): JSON, CSV, text keys.
    pub fn key(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::NotApplicable => "not_applicable",
            Verdict::NotMeasured => "not_measured",
        }
    }
}

/// One figure of the run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Kpi {
    /// What it measures: `start_time`, `start_attempts`, `changeover`, `load_percent`,
    /// `minutes_on_load`, `fuel_used_l`, `burn_l_per_h`, `endurance_h`, `ups_minutes`,
    /// `ups_runtime_used_min` (words: `text::exercise::kpi_label`).
    pub key: &'static str,
    /// The criterion it is judged by, if any (fuel and endurance are information).
    pub criterion: Option<Criterion>,
    /// The generator or switch it concerns, if one.
    pub unit: Option<String>,
    /// The figure; `None` when it could not be measured.
    pub value: Option<f64>,
    /// Its unit (`s`, `%`, `min`, `l`, `l/h`, `h`, or empty for a count).
    pub unit_label: &'static str,
    /// ± this much, in the figure's unit (from the polls' intervals or the device's resolution).
    pub resolution: Option<f64>,
    /// Where the times behind it come from.
    pub timing: Option<Timing>,
    /// The event a time is measured from (start time, changeover: mains lost, test mode on,
    /// start signal, or the run's start), if it is a time.
    pub reference: Option<EventKind>,
    /// The configured limit, in the figure's unit, if judged.
    pub limit: Option<f64>,
    /// `true`: the figure must be at most `limit`; `false`: at least.
    pub limit_is_max: bool,
    /// The verdict.
    pub verdict: Verdict,
}

/// One watched point across the run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WatchResult {
    /// Point id.
    pub point: String,
    /// Normal band, in the point's unit.
    pub low: Option<f64>,
    /// Normal band, in the point's unit.
    pub high: Option<f64>,
    /// Lowest and highest value seen during the run.
    pub min: Option<f64>,
    /// Highest value seen during the run.
    pub max: Option<f64>,
    /// Largest distance outside the band, in the point's unit (0 when always inside).
    pub worst_deviation: f64,
    /// Total time outside the band, ms.
    pub outside_ms: i64,
    /// When it first left the band, UTC ms.
    pub first_outside_ms: Option<i64>,
    /// Pass when within `max_outside`.
    pub verdict: Verdict,
}

/// One generator across the run (information for the report and the run history).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GeneratorSummary {
    /// The generator's role id.
    pub id: String,
    /// Time running or cooling down within the run, ms.
    pub run_ms: i64,
    /// Time-weighted mean load while above the load threshold, % of rating.
    pub mean_load_percent: Option<f64>,
    /// Highest load, % of rating.
    pub max_load_percent: Option<f64>,
    /// Total time at ≥ `min_load_percent`, ms.
    pub on_load_total_ms: i64,
    /// Longest continuous stretch at ≥ `min_load_percent`, ms.
    pub on_load_longest_ms: i64,
}

/// How long one point had no good data during the run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MissingData {
    /// Point id.
    pub point: String,
    /// Time within the run without a good reading, ms (bad-quality readings held until the
    /// next reading, and the time before a point's first reading).
    pub missing_ms: i64,
}

/// A run judged.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Analysis {
    /// The timeline, run start/stop included, in time order.
    pub events: Vec<Event>,
    /// The figures.
    pub kpis: Vec<Kpi>,
    /// Every watched point.
    pub watched: Vec<WatchResult>,
    /// Each generator's running time and load across the run.
    pub generators: Vec<GeneratorSummary>,
    /// Role and watched points without good data for part of the run (config order; only
    /// those with some time missing).
    pub missing: Vec<MissingData>,
    /// Fail if any criterion failed; Pass if every judged one passed.
    pub verdict: Verdict,
}

/// Judge `run` from its timeline (fed with every reading up to `end_ms`: the stop, or now
/// while it runs). The timeline's events are its own (whatever was fed); the sums end at the
/// run's stop or `end_ms`, whichever is first.
pub fn analyze(settings: &ExerciseSettings, run: &Run, timeline: &Timeline, end_ms: i64) -> Analysis {
    let tl = timeline;
    let w = tl.window;
    let end = end_ms.min(w.hi).min(run.stopped_ms.unwrap_or(i64::MAX)).max(w.lo);
    let c = &settings.criteria;
    let mut kpis = Vec::new();

    for (i, g) in settings.generators.iter().enumerate() {
        let s = judge::start(tl, i, false);
        let unit = Some(g.id.clone());
        let has_vf = tl.generators[i].voltage.seen() && tl.generators[i].frequency.seen();
        let limit = c.start_max.as_secs_f64();
        let (value, resolution, timing, verdict) = match (s.reference, s.ready, s.expect) {
            (_, _, Expect::NotApplicable) => (None, None, None, Verdict::NotApplicable),
            (Some(r), Some(e), _) => {
                let v = (e.at_ms - r.at).max(0) as f64 / 1000.0;
                let timing = if r.timing == Timing::Device && e.timing == Timing::Device { Timing::Device } else { Timing::Polled };
                let res = (r.res + e.resolution_ms) as f64 / 1000.0;
                (Some(v), Some(res), Some(timing), if v <= limit { Verdict::Pass } else { Verdict::Fail })
            }
            (_, None, Expect::Yes) if has_vf => (None, None, None, Verdict::Fail),
            _ => (None, None, None, Verdict::NotMeasured),
        };
        kpis.push(Kpi {
            key: "start_time",
            criterion: Some(Criterion::StartTime),
            unit: unit.clone(),
            value,
            unit_label: "s",
            resolution,
            timing,
            reference: s.reference.map(|r| r.kind),
            limit: Some(limit),
            limit_is_max: true,
            verdict,
        });
        let counter = tl.generators[i].counter_seen;
        let attempts_verdict = match s.expect {
            Expect::NotApplicable => Verdict::NotApplicable,
            _ if s.attempts == 0 => Verdict::NotMeasured,
            _ if s.attempts <= c.max_start_attempts => Verdict::Pass,
            _ => Verdict::Fail,
        };
        kpis.push(Kpi {
            key: "start_attempts",
            criterion: Some(Criterion::StartAttempts),
            unit: unit.clone(),
            value: (s.attempts > 0 || s.expect == Expect::Yes).then_some(f64::from(s.attempts)),
            unit_label: "",
            resolution: None,
            timing: Some(if counter { Timing::Device } else { Timing::Polled }),
            reference: None,
            limit: Some(f64::from(c.max_start_attempts)),
            limit_is_max: true,
            verdict: attempts_verdict,
        });
    }

    for (i, sw) in settings.switches.iter().enumerate() {
        let ch = judge::changeover(tl, i, false);
        let limit = sw.changeover_limit.as_secs_f64();
        let position_seen = tl.has_good(&sw.position);
        let (value, resolution, timing, verdict) = match (ch.reference, ch.transfer, ch.expect) {
            (_, _, Expect::NotApplicable) => (None, None, None, Verdict::NotApplicable),
            (Some(r), Some(e), _) => {
                let v = (e.at_ms - r.at).max(0) as f64 / 1000.0;
                let timing = if e.timing == Timing::Device { Timing::Device } else { Timing::Polled };
                let res = (r.res + e.resolution_ms) as f64 / 1000.0;
                (Some(v), Some(res), Some(timing), if v <= limit { Verdict::Pass } else { Verdict::Fail })
            }
            (_, None, Expect::Yes) if position_seen => (None, None, None, Verdict::Fail),
            _ => (None, None, None, Verdict::NotMeasured),
        };
        kpis.push(Kpi {
            key: "changeover",
            criterion: Some(Criterion::Changeover),
            unit: Some(sw.id.clone()),
            value,
            unit_label: "s",
            resolution,
            timing,
            reference: ch.reference.map(|r: Reference| r.kind),
            limit: Some(limit),
            limit_is_max: true,
            verdict,
        });
    }

    let judged_load = matches!(run.kind, ExerciseKind::Monthly | ExerciseKind::Loadbank);
    let mut generators = Vec::new();
    for (i, g) in settings.generators.iter().enumerate() {
        let gt = &tl.generators[i];
        let sums = gt.load.finished(end, w);
        let run_ms: i64 = gt.running.iter().map(|(a, b)| w.overlap(*a, b.unwrap_or(end).min(end))).sum();
        let mean = (sums.carrying_ms > 0).then(|| sums.carrying_pct_ms / sums.carrying_ms as f64);
        generators.push(GeneratorSummary {
            id: g.id.clone(),
            run_ms,
            mean_load_percent: mean,
            max_load_percent: sums.max_pct,
            on_load_total_ms: sums.at_min_ms,
            on_load_longest_ms: sums.best.0,
        });
        let measured = sums.max_pct.is_some();
        let expected = judge::start(tl, i, false).expect;
        let judge_it = |ok: bool| {
            if !judged_load || expected == Expect::NotApplicable {
                Verdict::NotApplicable
            } else if !measured {
                Verdict::NotMeasured
            } else if ok {
                Verdict::Pass
            } else {
                Verdict::Fail
            }
        };
        let load = if sums.best.0 > 0 { Some(sums.best.1 / sums.best.0 as f64) } else { mean.or(sums.max_pct.map(|_| 0.0)) };
        kpis.push(Kpi {
            key: "load_percent",
            criterion: Some(Criterion::Load),
            unit: Some(g.id.clone()),
            value: load,
            unit_label: "%",
            resolution: None,
            timing: None,
            reference: None,
            limit: Some(c.min_load_percent),
            limit_is_max: false,
            verdict: judge_it(load.is_some_and(|l| l >= c.min_load_percent)),
        });
        let minutes = sums.best.0 as f64 / 60_000.0;
        let limit_min = c.min_load_time.as_secs_f64() / 60.0;
        kpis.push(Kpi {
            key: "minutes_on_load",
            criterion: Some(Criterion::Load),
            unit: Some(g.id.clone()),
            value: measured.then_some(minutes),
            unit_label: "min",
            resolution: None,
            timing: None,
            reference: None,
            limit: Some(limit_min),
            limit_is_max: false,
            verdict: judge_it(minutes >= limit_min),
        });
    }

    fuel_kpis(settings, tl, end, &mut kpis);

    for (i, point) in settings.ups_on_battery.iter().enumerate() {
        let measured = tl.has_good(point);
        kpis.push(info("ups_minutes", Some(point.clone()), measured.then(|| tl.ups[i].on_battery.on_until(end, w) as f64 / 60_000.0), "min"));
    }
    for (i, point) in settings.ups_runtime_min.iter().enumerate() {
        kpis.push(info("ups_runtime_used_min", Some(point.clone()), tl.runtimes[i].drop_until(end, w), "min"));
    }

    let watched: Vec<WatchResult> = settings
        .watch
        .iter()
        .zip(&tl.watched)
        .map(|(wp, sums)| {
            let s = sums.finished(end, w);
            let verdict = if s.min.is_none() {
                Verdict::NotMeasured
            } else if s.outside_ms as u128 > wp.max_outside.as_millis() {
                Verdict::Fail
            } else {
                Verdict::Pass
            };
            WatchResult {
                point: wp.point.clone(),
                low: wp.low,
                high: wp.high,
                min: s.min,
                max: s.max,
                worst_deviation: s.worst,
                outside_ms: s.outside_ms,
                first_outside_ms: s.first_outside,
                verdict,
            }
        })
        .collect();

    let missing = tl
        .tracks
        .iter()
        .map(|(p, t)| MissingData { point: p.clone(), missing_ms: t.missing_until(end, w) })
        .filter(|m| m.missing_ms > 0)
        .collect();

    let mut events = tl.events().to_vec();
    let operator = |kind, at_ms| Event { kind, at_ms, unit: None, point: String::new(), resolution_ms: 0, timing: Timing::Operator };
    events.push(operator(EventKind::RunStarted, run.started_ms));
    if let Some(stop) = run.stopped_ms {
        events.push(operator(EventKind::RunStopped, stop));
    }
    sort_events(&mut events);

    let verdicts = kpis.iter().filter(|k| k.criterion.is_some()).map(|k| k.verdict).chain(watched.iter().map(|w| w.verdict));
    let verdict = overall(verdicts);
    Analysis { events, kpis, watched, generators, missing, verdict }
}

/// Fail if any failed, Pass if any passed (and none failed), else NotMeasured.
fn overall(verdicts: impl Iterator<Item = Verdict>) -> Verdict {
    let mut out = Verdict::NotMeasured;
    for v in verdicts {
        match v {
            Verdict::Fail => return Verdict::Fail,
            Verdict::Pass => out = Verdict::Pass,
            _ => {}
        }
    }
    out
}

/// A figure for information (no criterion): NotApplicable when measured, else NotMeasured.
fn info(key: &'static str, unit: Option<String>, value: Option<f64>, unit_label: &'static str) -> Kpi {
    Kpi {
        key,
        criterion: None,
        unit,
        value,
        unit_label,
        resolution: None,
        timing: None,
        reference: None,
        limit: None,
        limit_is_max: true,
        verdict: if value.is_some() { Verdict::NotApplicable } else { Verdict::NotMeasured },
    }
}

/// Fuel used (first − last good stock in the run), burn over the time any generator ran
/// between those readings, endurance of the usable stock at that burn.
fn fuel_kpis(settings: &ExerciseSettings, tl: &Timeline, end: i64, kpis: &mut Vec<Kpi>) {
    if settings.fuel_stock_l.is_empty() {
        return;
    }
    let firsts: Option<Vec<(i64, f64)>> = tl.fuel.iter().map(|s| s.first).collect();
    let lasts: Option<Vec<(i64, f64)>> = tl.fuel.iter().map(|s| s.last).collect();
    let (used, span, last_stock) = match (firsts, lasts) {
        (Some(f), Some(l)) => {
            let used = f.iter().map(|x| x.1).sum::<f64>() - l.iter().map(|x| x.1).sum::<f64>();
            let from = f.iter().map(|x| x.0).min().unwrap_or(end);
            let to = l.iter().map(|x| x.0).max().unwrap_or(end);
            (Some(used).filter(|u| *u >= 0.0), Some((from, to)), Some(l.iter().map(|x| x.1).sum::<f64>()))
        }
        _ => (None, None, None),
    };
    // Hours during which at least one generator ran, between the two stock readings.
    let run_h = span.map(|(from, to)| {
        let mut stretches: Vec<(i64, i64)> = tl
            .generators
            .iter()
            .flat_map(|g| g.running.iter().map(|(a, b)| ((*a).max(from), b.unwrap_or(end).min(to))))
            .filter(|(a, b)| b > a)
            .collect();
        stretches.sort_unstable();
        let (mut total, mut cur): (i64, Option<(i64, i64)>) = (0, None);
        for (a, b) in stretches {
            cur = match cur {
                Some((ca, cb)) if a <= cb => Some((ca, cb.max(b))),
                Some((ca, cb)) => {
                    total += cb - ca;
                    Some((a, b))
                }
                None => Some((a, b)),
            };
        }
        total += cur.map_or(0, |(a, b)| b - a);
        total as f64 / 3_600_000.0
    });
    let burn = match (used, run_h) {
        (Some(u), Some(h)) if h > 0.0 => Some(u / h),
        _ => None,
    };
    let endurance = match (burn, last_stock) {
        (Some(b), Some(stock)) if b > 0.0 => Some((stock - settings.fuel_unusable_l).max(0.0) / b),
        _ => None,
    };
    kpis.push(info("fuel_used_l", None, used, "l"));
    kpis.push(info("burn_l_per_h", None, burn, "l/h"));
    kpis.push(info("endurance_h", None, endurance, "h"));
}
