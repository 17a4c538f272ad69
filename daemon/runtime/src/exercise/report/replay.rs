//! A run replayed from the store: every role and watched point's raw readings from the start
//! minus the lead to the stop (or now) plus five minutes, merged in time order through the
//! domain's [`Timeline`] and judged by [`analyze`] — the live computation, fed afterwards.

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::{Context, Result};
use driftvakt_config::model::{Config, ExerciseSettings, Language};
use driftvakt_domain::exercise::{Analysis, Run, Timeline, analyze};
use driftvakt_domain::text::exercise::Exercise;
use driftvakt_domain::text::fill;
use driftvakt_domain::{Quality, Reading};
use driftvakt_store::{Store, StoreError};

use super::data::{ChartSeries, SourceRow, Window};

/// Readings after the stop kept in the window (cool-down, generator stop, retransfer).
pub const TAIL_MS: i64 = 5 * 60_000;

/// Most points a chart keeps (longer series are reduced to each bucket's minimum and maximum).
const MAX_CHART_POINTS: usize = 600;

/// A run replayed.
#[derive(Debug, Clone)]
pub struct Replay {
    /// The window replayed.
    pub window: Window,
    /// The domain's judgement.
    pub analysis: Analysis,
    /// Every role and watched point with its role and how many readings it had.
    pub sources: Vec<SourceRow>,
    /// Good numeric readings per point, in time order.
    series: HashMap<String, Vec<(i64, f64)>>,
}

/// Every point a run reads with its role and unit (switch, generator or UPS), config order.
fn roles(s: &ExerciseSettings) -> Vec<(&'static str, Option<String>, String)> {
    let mut out = vec![("mains_available", None, s.mains_available.clone())];
    for sw in &s.switches {
        let u = Some(sw.id.clone());
        out.push(("position", u.clone(), sw.position.clone()));
        for (role, p) in [
            ("test_mode", &sw.test_mode),
            ("start_signal", &sw.start_signal),
            ("last_transfer_time", &sw.last_transfer_time),
            ("transfer_count", &sw.transfer_count),
        ] {
            if let Some(p) = p {
                out.push((role, u.clone(), p.clone()));
            }
        }
    }
    for g in &s.generators {
        let u = Some(g.id.clone());
        for (role, p) in [
            ("engine_state", &g.engine_state),
            ("voltage_v", &g.voltage_v),
            ("frequency_hz", &g.frequency_hz),
            ("power_kw", &g.power_kw),
        ] {
            out.push((role, u.clone(), p.clone()));
        }
        for (role, p) in [("starts", &g.starts), ("run_time", &g.run_time)] {
            if let Some(p) = p {
                out.push((role, u.clone(), p.clone()));
            }
        }
    }
    for p in &s.ups_on_battery {
        out.push(("ups_on_battery", Some(p.clone()), p.clone()));
    }
    for p in &s.ups_runtime_min {
        out.push(("ups_runtime", Some(p.clone()), p.clone()));
    }
    for p in &s.fuel_stock_l {
        out.push(("fuel_stock_l", None, p.clone()));
    }
    for w in &s.watch {
        out.push(("watch", None, w.point.clone()));
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|(role, _, p)| seen.insert((*role, p.clone())));
    out
}

/// Replay `run` from `store`; `now_ms` ends a run still going.
pub fn replay(store: &Store, settings: &ExerciseSettings, run: &Run, now_ms: i64) -> Result<Replay> {
    let end_ms = run.stopped_ms.unwrap_or(now_ms).max(run.started_ms);
    let from_ms = run.started_ms - settings.lead.as_millis() as i64;
    let to_ms = (end_ms + TAIL_MS).min(now_ms.max(end_ms)) + 1;
    let points = settings.points();
    let mut all = Vec::new();
    let mut series = HashMap::new();
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for (i, p) in points.iter().enumerate() {
        let readings = match store.readings(p, from_ms, to_ms) {
            Ok(r) => r,
            Err(StoreError::UnknownPoint(_)) => Vec::new(),
            Err(e) => return Err(e).with_context(|| format!("reading {p}")),
        };
        counts.insert(p, readings.len());
        let id: Arc<str> = Arc::from(*p);
        let mut good = Vec::new();
        for r in readings {
            if r.quality == Quality::Good
                && let Some(v) = r.value.as_ref().and_then(|v| v.as_f64())
            {
                good.push((r.time_ms, v));
            }
            all.push((r.time_ms, i, Reading { point: id.clone(), time_ms: r.time_ms, value: r.value, quality: r.quality }));
        }
        series.insert(p.to_string(), good);
    }
    // Merged by time; within one instant, in configuration order (each point's own order kept).
    all.sort_by_key(|(t, i, _)| (*t, *i));
    let mut timeline = Timeline::new(settings, run.kind, run.started_ms);
    for (_, _, r) in &all {
        timeline.feed(r);
    }
    let analysis = analyze(settings, run, &timeline, end_ms);
    let sources = roles(settings)
        .into_iter()
        .map(|(role, unit, point)| SourceRow { readings: counts.get(point.as_str()).copied().unwrap_or(0), role, unit, point })
        .collect();
    Ok(Replay { window: Window { from_ms, to_ms, end_ms }, analysis, sources, series })
}

/// A series reduced to at most [`MAX_CHART_POINTS`]: each bucket's minimum and maximum, in
/// time order, so spikes survive.
fn reduce(series: &[(i64, f64)]) -> Vec<(i64, f64)> {
    if series.len() <= MAX_CHART_POINTS {
        return series.to_vec();
    }
    let per = series.len().div_ceil(MAX_CHART_POINTS / 2);
    let mut out = Vec::with_capacity(MAX_CHART_POINTS);
    for c in series.chunks(per) {
        let lo = c.iter().min_by(|a, b| a.1.total_cmp(&b.1)).copied();
        let hi = c.iter().max_by(|a, b| a.1.total_cmp(&b.1)).copied();
        if let (Some(lo), Some(hi)) = (lo, hi) {
            if lo.0 <= hi.0 {
                out.extend([lo, hi]);
            } else {
                out.extend([hi, lo]);
            }
        }
    }
    out.dedup();
    out
}

impl Replay {
    /// Readings of `point` in the window.
    pub fn count(&self, point: &str) -> usize {
        self.sources.iter().find(|s| s.point == point).map_or(0, |s| s.readings)
    }

    /// Good numeric readings of `point` in the window.
    pub fn series(&self, point: &str) -> &[(i64, f64)] {
        self.series.get(point).map_or(&[], Vec::as_slice)
    }

    /// The charts: per generator power, voltage and frequency (with the accepted band), every
    /// watched point (with its normal band).
    pub fn charts(&self, settings: &ExerciseSettings, config: &Config, lang: Language) -> Vec<ChartSeries> {
        let w = Exercise::of(lang);
        let unit_of = |p: &str| config.point(p).map_or_else(String::new, |(_, pt)| pt.unit.clone());
        let mut out = Vec::new();
        for g in &settings.generators {
            let vb = g.nominal_voltage_v * settings.criteria.voltage_band_percent / 100.0;
            let fb = g.nominal_frequency_hz * settings.criteria.frequency_band_percent / 100.0;
            for (kind, point, caption, band) in [
                ("power_kw", &g.power_kw, w.chart_power, None),
                ("voltage_v", &g.voltage_v, w.chart_voltage, Some((g.nominal_voltage_v - vb, g.nominal_voltage_v + vb))),
                ("frequency_hz", &g.frequency_hz, w.chart_frequency, Some((g.nominal_frequency_hz - fb, g.nominal_frequency_hz + fb))),
            ] {
                out.push(ChartSeries {
                    kind,
                    point: point.clone(),
                    unit: Some(g.id.clone()),
                    label: format!("{}: {caption}", g.name),
                    unit_label: unit_of(point),
                    low: band.map(|b| b.0),
                    high: band.map(|b| b.1),
                    points: reduce(self.series(point)),
                });
            }
        }
        for wp in &settings.watch {
            let name = config.point(&wp.point).map_or_else(|| wp.point.clone(), |(_, p)| p.name.clone());
            out.push(ChartSeries {
                kind: "watched",
                point: wp.point.clone(),
                unit: None,
                label: fill(w.chart_watched, &[("point", format!("{name} ({})", wp.point))]),
                unit_label: unit_of(&wp.point),
                low: wp.low,
                high: wp.high,
                points: reduce(self.series(&wp.point)),
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_series_keep_their_spikes() {
        let mut s: Vec<(i64, f64)> = (0..10_000).map(|i| (i, 1.0)).collect();
        s[4321].1 = 99.0;
        s[777].1 = -5.0;
        let r = reduce(&s);
        assert!(r.len() <= MAX_CHART_POINTS, "{}", r.len());
        assert!(r.contains(&(4321, 99.0)) && r.contains(&(777, -5.0)));
        assert!(r.windows(2).all(|p| p[0].0 <= p[1].0), "time order");
    }
}
