//! Live endurance inside the pipeline: readings of the stock and load points in, readings of
//! the synthetic points `endurance.<id>` (hours, "now" scenario) out. They are stored, sent to
//! the sinks and watched by the alarm engine like any measured point.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use driftvakt_config::model::{Config, ENDURANCE_CAP_H, Language, System};
use driftvakt_domain::endurance::{Inputs, Scenario, function_figure, reserve_figure, trend_per_h};
use driftvakt_domain::text::fill;
use driftvakt_domain::text::screen::{Screen, hours};
use driftvakt_domain::{Quality, Reading, Value};

/// How often (in reading time) endurance is recomputed and emitted.
pub const EMIT_EVERY_MS: i64 = 10_000;

/// The id of a reserve's or function's endurance series.
pub fn point_id(id: &str) -> String {
    format!("endurance.{id}")
}

/// Store metadata of every endurance series (unit `h`).
pub fn point_metas(config: &Config) -> Vec<driftvakt_store::PointMeta> {
    let r = config.reserves.iter().map(|r| (&r.id, r.system));
    let f = config.functions.iter().map(|f| (&f.id, f.system));
    r.chain(f)
        .map(|(id, s)| driftvakt_store::PointMeta {
            id: point_id(id),
            unit: "h".into(),
            system: s.key().to_string(),
        })
        .collect()
}

/// Turns readings into endurance readings.
pub struct LiveEndurance {
    config: Arc<Config>,
    latest: HashMap<String, f64>,
    /// The points `latest` keeps ([`LiveEndurance::input_points`]).
    kept: std::collections::HashSet<String>,
    history: Vec<VecDeque<(i64, f64)>>,
    last_emit_ms: i64,
    every_ms: i64,
    ids: HashMap<String, Arc<str>>,
    /// Ids that have had a figure emitted (others are emitted as soon as they have one).
    known: std::collections::HashSet<String>,
}

impl LiveEndurance {
    /// A computer for the reserves and functions of `config`, emitting every `every_ms`.
    pub fn new(config: Arc<Config>, every_ms: i64) -> LiveEndurance {
        let history = vec![VecDeque::new(); config.reserves.len()];
        let ids = config
            .reserves
            .iter()
            .map(|r| &r.id)
            .chain(config.functions.iter().map(|f| &f.id))
            .map(|id| (id.clone(), Arc::from(point_id(id).as_str())))
            .collect();
        let kept = LiveEndurance::input_points(&config).into_iter().collect();
        LiveEndurance {
            config,
            latest: HashMap::new(),
            kept,
            history,
            last_emit_ms: i64::MIN,
            every_ms,
            ids,
            known: Default::default(),
        }
    }

    /// The readings' points this computer uses: every reserve's stock and load points.
    pub fn input_points(config: &Config) -> Vec<String> {
        let mut points: Vec<String> = Vec::new();
        for r in &config.reserves {
            let loads = r.consumption.load.iter().flat_map(|m| m.points.iter());
            for p in r.stock.iter().chain(loads) {
                if !points.contains(p) {
                    points.push(p.clone());
                }
            }
        }
        points
    }

    /// Forget the latest value of `point` (unknown from now on, as after a bad reading).
    pub fn forget(&mut self, point: &str) {
        self.latest.remove(point);
    }

    /// What is known of reserve `i` (configuration order) from the readings so far: the input
    /// of every scenario's figure, live and in the report.
    pub fn inputs(&self, i: usize) -> Inputs {
        let r = &self.config.reserves[i];
        let stock: Option<f64> = r.stock.iter().map(|p| self.latest.get(p).copied()).sum();
        let loads = r
            .consumption
            .load
            .as_ref()
            .map(|m| {
                m.points
                    .iter()
                    .map(|p| self.latest.get(p).copied())
                    .collect()
            })
            .unwrap_or_default();
        let trend = r.consumption.measured.as_ref().and_then(|m| {
            let h: Vec<(i64, f64)> = self.history[i].iter().copied().collect();
            trend_per_h(
                &h,
                i64::try_from(m.window.as_millis()).unwrap_or(i64::MAX),
                r.refill_threshold,
            )
        });
        Inputs {
            stock,
            loads,
            trend_per_h: trend,
        }
    }

    /// Account for a batch; returns the endurance readings due (possibly none).
    pub fn on_batch(&mut self, batch: &[Reading]) -> Vec<Reading> {
        let Some(t) = batch.iter().map(|r| r.time_ms).max() else {
            return Vec::new();
        };
        let mut touched = false;
        for r in batch {
            if r.point.starts_with("endurance.") {
                continue;
            }
            touched = true;
            // Only the reserves' input points are ever looked up: keep no others.
            if !self.kept.contains(&*r.point) {
                continue;
            }
            match (r.quality, r.value.as_ref().and_then(Value::as_f64)) {
                (Quality::Good, Some(v)) => match self.latest.get_mut(&*r.point) {
                    Some(old) => *old = v,
                    None => {
                        self.latest.insert(r.point.to_string(), v);
                    }
                },
                _ => {
                    self.latest.remove(&*r.point);
                }
            }
        }
        if !touched {
            return Vec::new();
        }
        for (i, r) in self.config.reserves.iter().enumerate() {
            if !batch.iter().any(|b| r.stock.iter().any(|p| *p == *b.point)) {
                continue;
            }
            let Some(stock) = r
                .stock
                .iter()
                .map(|p| self.latest.get(p).copied())
                .sum::<Option<f64>>()
            else {
                continue;
            };
            let keep = r
                .consumption
                .measured
                .as_ref()
                .map_or(0, |m| i64::try_from(m.window.as_millis()).unwrap_or(0));
            let h = &mut self.history[i];
            h.push_back((t, stock));
            while h.front().is_some_and(|f| f.0 < t - keep) {
                h.pop_front();
            }
        }
        let due = self.last_emit_ms == i64::MIN || t - self.last_emit_ms >= self.every_ms;
        if !due && self.known.len() == self.ids.len() {
            return Vec::new();
        }
        let mut figures = self.now();
        if due {
            self.last_emit_ms = t;
        } else {
            // Between emissions only figures that just became known (the first batches of a
            // start come device by device).
            figures.retain(|(id, e)| e.is_some() && !self.known.contains(id));
        }
        for (id, e) in &figures {
            if e.is_some() {
                self.known.insert(id.clone());
            }
        }
        figures
            .into_iter()
            .filter_map(|(id, e)| {
                Some(Reading {
                    point: self.ids.get(&id)?.clone(),
                    time_ms: t,
                    value: Some(Value::Number(e?)),
                    quality: Quality::Good,
                })
            })
            .collect()
    }

    /// Endurance now (hours, capped at [`ENDURANCE_CAP_H`]) of every reserve and function.
    pub fn now(&self) -> Vec<(String, Option<f64>)> {
        let mut out: Vec<(String, Option<f64>)> = self
            .config
            .reserves
            .iter()
            .enumerate()
            .map(|(i, r)| {
                (
                    r.id.clone(),
                    reserve_figure(r, &self.inputs(i), Scenario::Now).endurance_h,
                )
            })
            .collect();
        let by_id: HashMap<String, Option<f64>> = out.iter().cloned().collect();
        let get = |id: &str| by_id.get(id).copied().flatten();
        for f in &self.config.functions {
            let ch = function_figure(&self.config, f, &get);
            out.push((f.id.clone(), ch.endurance_h.map(|e| e.min(ENDURANCE_CAP_H))));
        }
        out
    }
}

/// Endurance now of one reserve or function against its målbild, from the latest values.
#[derive(Debug, Clone, PartialEq)]
pub struct EnduranceItem<'a> {
    /// Reserve or function id.
    pub id: &'a str,
    /// Its name.
    pub name: &'a str,
    /// Its system.
    pub system: System,
    /// Målbild, hours.
    pub target_h: f64,
    /// Endurance now, hours (capped at [`ENDURANCE_CAP_H`]); None while unknown.
    pub hours: Option<f64>,
    /// Time of that figure, UTC ms.
    pub time_ms: Option<i64>,
    /// A function's limiting link: the names from the function to the reserve that limits it
    /// (empty for a reserve).
    pub limiting: Vec<&'a str>,
}

impl EnduranceItem<'_> {
    /// Whether the figure is known and below the målbild.
    pub fn below_target(&self) -> bool {
        self.hours.is_some_and(|h| h < self.target_h)
    }
}

/// Every reserve, then every function, with its endurance now from the `endurance.<id>`
/// readings in `latest` (a point's newest reading, e.g. the pipeline's `Live`); a function's
/// limiting link follows its dependency chain through those same figures.
pub fn items<'a>(config: &'a Config, latest: impl Fn(&str) -> Option<Reading>) -> Vec<EnduranceItem<'a>> {
    let figure = |id: &str| {
        latest(&point_id(id)).and_then(|r| Some((r.value.as_ref().and_then(Value::as_f64)?, r.time_ms)))
    };
    let name_of = |id: &str| -> &'a str {
        let reserve = config.reserves.iter().find(|r| r.id == id).map(|r| r.name.as_str());
        let function = || config.functions.iter().find(|f| f.id == id).map(|f| f.name.as_str());
        reserve.or_else(function).unwrap_or("?")
    };
    let mut out: Vec<EnduranceItem<'a>> = config
        .reserves
        .iter()
        .map(|r| {
            let f = figure(&r.id);
            EnduranceItem { id: &r.id, name: &r.name, system: r.system, target_h: r.target_h, hours: f.map(|f| f.0), time_ms: f.map(|f| f.1), limiting: Vec::new() }
        })
        .collect();
    let hours = |id: &str| figure(id).map(|f| f.0);
    for func in &config.functions {
        let f = figure(&func.id);
        let chain = function_figure(config, func, &hours);
        let limiting = if chain.limiting.len() > 1 { chain.limiting.iter().map(|id| name_of(id)).collect() } else { Vec::new() };
        out.push(EnduranceItem { id: &func.id, name: &func.name, system: func.system, target_h: func.target_h, hours: f.map(|f| f.0), time_ms: f.map(|f| f.1), limiting });
    }
    out
}

/// The operator's status line: endurance now of every reserve and function against its
/// målbild (`!` marks one below it), from the latest values (`latest`: a point's newest reading,
/// e.g. the pipeline's `Live`).
pub fn status_line(config: &Config, latest: impl Fn(&str) -> Option<Reading>, lang: Language) -> Option<String> {
    let t = Screen::of(lang);
    let items = items(config, latest);
    if items.is_empty() {
        return None;
    }
    let parts: Vec<String> = items
        .iter()
        .map(|e| match e.hours {
            Some(h) => fill(
                t.endurance_item,
                &[
                    ("mark", if e.below_target() { "!" } else { "" }),
                    ("name", e.name),
                    ("hours", &hours(Some(h), ENDURANCE_CAP_H, lang)),
                    ("target", &hours(Some(e.target_h), ENDURANCE_CAP_H, lang)),
                ],
            ),
            None => format!("{} –", e.name),
        })
        .collect();
    Some(fill(t.endurance_line, &[("parts", parts.join(" · "))]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(p: &str, t: i64, v: f64) -> Reading {
        Reading {
            point: Arc::from(p),
            time_ms: t,
            value: Some(Value::Number(v)),
            quality: Quality::Good,
        }
    }

    #[test]
    fn endurance_readings_follow_the_generators_load() {
        let src = include_str!("../../../../config/examples/reference-hospital.toml");
        let config = Arc::new(
            driftvakt_config::parse_str(src, "r.toml")
                .config
                .expect("valid"),
        );
        let unusable = config.reserves[0].unusable;
        let mut live = LiveEndurance::new(config, 10_000);
        let t = 1_000_000;
        let out = live.on_batch(&[
            num("tankar.main_tank", t, 18_000.0),
            num("tankar.day_tank", t, 900.0),
            num("g1.total_power", t, 450.0),
            num("g2.total_power", t, 450.0),
        ]);
        let diesel = out
            .iter()
            .find(|r| &*r.point == "endurance.diesel")
            .expect("diesel endurance");
        let h = diesel.value.as_ref().and_then(Value::as_f64).unwrap_or(0.0);
        assert!((h - (18_900.0 - unusable) / 245.0).abs() < 1e-9, "{h}");
        // The water trend needs an hour of samples: the chain through water is unknown, so is
        // the operating theatre's endurance (no figure rather than a wrong one).
        assert!(!out.iter().any(|r| &*r.point == "endurance.operationssal"));
        // Within 10 s only figures that just became known are emitted: the UPS's.
        let early = live.on_batch(&[
            num("g1.total_power", t + 5_000, 0.0),
            num("ups.battery_runtime", t + 5_000, 30.0),
        ]);
        let ids: Vec<&str> = early.iter().map(|r| &*r.point).collect();
        assert_eq!(ids, ["endurance.ups"]);
        assert!(
            live.on_batch(&[num("g1.total_power", t + 6_000, 0.0)])
                .is_empty()
        );
        // Generators stopped: nothing drawn.
        let out = live.on_batch(&[
            num("g1.total_power", t + 10_000, 0.0),
            num("g2.total_power", t + 10_000, 0.0),
        ]);
        let d = out
            .iter()
            .find(|r| &*r.point == "endurance.diesel")
            .expect("diesel");
        assert_eq!(
            d.value.as_ref().and_then(Value::as_f64),
            Some(ENDURANCE_CAP_H)
        );
    }

    #[test]
    fn endurance_below_target_fires_with_the_text_and_clears_past_the_deadband() {
        use driftvakt_domain::alarm::ChangeKind;
        use driftvakt_domain::alarm::engine::Engine;
        let src = include_str!("../../../../config/examples/reference-hospital.toml");
        let config = driftvakt_config::parse_str(src, "r.toml")
            .config
            .expect("valid");
        let mut engine = Engine::new(&config, 0);
        let id = "endurance.diesel.below_target";
        let kinds = |changes: &[driftvakt_domain::alarm::Change]| -> Vec<ChangeKind> {
            changes
                .iter()
                .filter(|c| c.record.id == id)
                .map(|c| c.kind)
                .collect()
        };
        assert!(
            kinds(&engine.on_readings(&[num("endurance.diesel", 1000, 8760.0)], 1000)).is_empty()
        );
        let on = engine.on_readings(&[num("endurance.diesel", 2000, 41.0)], 2000);
        assert_eq!(kinds(&on), vec![ChangeKind::Activated]);
        let rec = engine.record(id).expect("record");
        assert_eq!(
            rec.text,
            "Diesel räcker 41,0 h vid aktuell last, målbild 96,0 h"
        );
        // Target 96 h, deadband 2 h: 97 h is not yet enough to clear, 98,5 h is.
        assert!(
            kinds(&engine.on_readings(&[num("endurance.diesel", 3000, 97.0)], 3000)).is_empty()
        );
        let off = engine.on_readings(&[num("endurance.diesel", 4000, 98.5)], 4000);
        assert_eq!(kinds(&off), vec![ChangeKind::Cleared]);
    }
}
