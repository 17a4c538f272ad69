//! Endurance arithmetic, pure: consumption models and endurance per scenario.
//!
//! Endurance = usable stock ÷ consumption, in hours. Consumption is in the reserve's unit per
//! hour. Nothing here reads a clock or the store, so every figure is testable by hand.

use driftvakt_config::model::{
    Config, ENDURANCE_CAP_H, Function, Language, LoadModel, PlanningModel, Reserve, time_unit_hours,
    unit_factor,
};
use serde::Serialize;

use crate::text::fill;
use crate::text::report::Report;

/// The three scenarios of a reserve's endurance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scenario {
    /// The present load / consumption.
    Now,
    /// The planned load during höjd beredskap.
    Design,
    /// Full load (worst case).
    Worst,
}

impl Scenario {
    /// The scenario's name in the report.
    pub fn label(self, lang: Language) -> &'static str {
        let t = Report::of(lang);
        match self {
            Scenario::Now => t.scenario_now,
            Scenario::Design => t.scenario_design,
            Scenario::Worst => t.scenario_worst,
        }
    }

    /// All three, in report order.
    pub const ALL: [Scenario; 3] = [Scenario::Now, Scenario::Design, Scenario::Worst];

    /// The key used in JSON and CSV.
    pub fn key(self) -> &'static str {
        match self {
            Scenario::Now => "now",
            Scenario::Design => "design",
            Scenario::Worst => "worst",
        }
    }
}

/// Which consumption model a figure came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Model {
    /// The stock is a time (battery minutes): the device's own estimate.
    Runtime,
    /// A datasheet curve applied to the load.
    Load,
    /// The trend of the measured stock.
    Measured,
    /// A planning figure per bed and day.
    Planning,
}

impl Model {
    /// The key used in JSON and CSV.
    pub fn key(self) -> &'static str {
        match self {
            Model::Runtime => "runtime",
            Model::Load => "load",
            Model::Measured => "measured",
            Model::Planning => "planning",
        }
    }
}

/// One scenario's figure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figure {
    /// Scenario.
    pub scenario: Scenario,
    /// Consumption in the reserve's unit per hour (`None` for runtime reserves or unknown).
    pub consumption_per_h: Option<f64>,
    /// Endurance in hours, capped at [`ENDURANCE_CAP_H`] (nothing drawn); `None` = unknown.
    pub endurance_h: Option<f64>,
    /// Model used.
    pub model: Option<Model>,
    /// The assumption behind the figure, in Swedish.
    pub assumption: String,
}

/// What is known of a reserve at one instant.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Inputs {
    /// Sum of the stock points (reserve unit), if every one has a good value.
    pub stock: Option<f64>,
    /// Latest good value of each load point, in the load model's order.
    pub loads: Vec<Option<f64>>,
    /// Consumption from the measured trend (reserve unit per hour), if fitted.
    pub trend_per_h: Option<f64>,
}

/// Stock minus the unusable part, never negative.
pub fn usable(reserve: &Reserve, stock: f64) -> f64 {
    (stock - reserve.unusable).max(0.0)
}

/// Linear interpolation in a datasheet curve of (load %, consumption per hour); clamped at its ends.
pub fn curve_at(curve: &[(f64, f64)], load_pct: f64) -> f64 {
    let Some(&(x0, y0)) = curve.first() else {
        return 0.0;
    };
    let x = if load_pct.is_finite() { load_pct } else { 0.0 };
    if x <= x0 {
        return y0;
    }
    for p in curve.windows(2) {
        let ((a, ya), (b, yb)) = (p[0], p[1]);
        if x <= b {
            return ya + (yb - ya) * (x - a) / (b - a);
        }
    }
    curve.last().map_or(0.0, |c| c.1)
}

/// Consumption of the units at the given loads: units at or below `running_above` use nothing.
pub fn load_consumption(m: &LoadModel, loads: &[f64]) -> f64 {
    loads
        .iter()
        .filter(|l| **l > m.running_above)
        .map(|l| curve_at(&m.curve, 100.0 * l / m.rated))
        .sum()
}

/// Consumption when `total` load is shared equally by every unit.
pub fn shared_consumption(m: &LoadModel, total: f64) -> f64 {
    let n = m.points.len().max(1) as f64;
    n * curve_at(&m.curve, 100.0 * (total / n) / m.rated)
}

/// Planning consumption per hour in the reserve's unit.
pub fn planning_per_h(p: &PlanningModel, reserve_unit: &str, worst: bool) -> Option<f64> {
    let per_day = if worst { p.per_day_worst } else { p.per_day };
    Some(per_day * p.count / 24.0 * unit_factor(&p.unit, reserve_unit)?)
}

/// Endurance in hours of `usable` at `consumption_per_h`, capped.
pub fn endurance(usable: f64, consumption_per_h: f64) -> f64 {
    if consumption_per_h <= 1e-9 {
        ENDURANCE_CAP_H
    } else {
        (usable / consumption_per_h).min(ENDURANCE_CAP_H)
    }
}

fn figure(
    scenario: Scenario,
    usable: Option<f64>,
    c: Option<f64>,
    model: Model,
    assumption: String,
) -> Figure {
    Figure {
        scenario,
        consumption_per_h: c,
        endurance_h: usable.zip(c).map(|(u, c)| endurance(u, c)),
        model: Some(model),
        assumption,
    }
}

fn n1(v: f64) -> String {
    crate::fmt::number_sv(v, 1)
}

/// The words of the assumptions: Swedish, the language of the figures (the report shows them as
/// they are).
const WORDS: &Report = &Report::SV;

/// The reserve's endurance in one scenario.
pub fn reserve_figure(r: &Reserve, input: &Inputs, scenario: Scenario) -> Figure {
    let usable = input.stock.map(|s| usable(r, s));
    let c = &r.consumption;
    if let Some(per_h) = time_unit_hours(&r.unit) {
        return Figure {
            scenario,
            consumption_per_h: None,
            endurance_h: usable.map(|u| (u * per_h).min(ENDURANCE_CAP_H)),
            model: Some(Model::Runtime),
            assumption: WORDS.assume_runtime.into(),
        };
    }
    match scenario {
        Scenario::Now => {
            if let Some(m) = &c.load {
                let loads: Option<Vec<f64>> = input.loads.iter().copied().collect();
                if let Some(loads) = loads.filter(|l| l.len() == m.points.len()) {
                    let total: f64 = loads.iter().sum();
                    let running = loads.iter().filter(|l| **l > m.running_above).count();
                    return figure(
                        scenario,
                        usable,
                        Some(load_consumption(m, &loads) + 0.0),
                        Model::Load,
                        fill(
                            WORDS.assume_load_now,
                            &[
                                ("load", n1(total)),
                                ("unit", m.load_unit.clone()),
                                ("running", running.to_string()),
                                ("units", m.points.len().to_string()),
                            ],
                        ),
                    );
                }
            }
            if c.measured.is_some()
                && let Some(t) = input.trend_per_h
            {
                return figure(
                    scenario,
                    usable,
                    Some(t.max(0.0)),
                    Model::Measured,
                    fill(WORDS.assume_trend_now, &[("rate", n1(t)), ("unit", r.unit.clone())]),
                );
            }
            if let Some(p) = &c.planning {
                return figure(
                    scenario,
                    usable,
                    planning_per_h(p, &r.unit, false),
                    Model::Planning,
                    planning_text(p, false),
                );
            }
            Figure {
                scenario,
                consumption_per_h: None,
                endurance_h: None,
                model: None,
                assumption: WORDS.assume_nothing_measured.into(),
            }
        }
        Scenario::Design | Scenario::Worst => {
            let worst = scenario == Scenario::Worst;
            if let Some(m) = &c.load {
                let total = if worst { m.worst_load } else { m.design_load };
                return figure(
                    scenario,
                    usable,
                    Some(shared_consumption(m, total)),
                    Model::Load,
                    fill(
                        if worst { WORDS.assume_load_worst } else { WORDS.assume_load_design },
                        &[("load", n1(total)), ("unit", m.load_unit.clone()), ("units", m.points.len().to_string())],
                    ),
                );
            }
            if let Some(p) = &c.planning {
                return figure(
                    scenario,
                    usable,
                    planning_per_h(p, &r.unit, worst),
                    Model::Planning,
                    planning_text(p, worst),
                );
            }
            if let Some(t) = input.trend_per_h {
                return figure(
                    scenario,
                    usable,
                    Some(t.max(0.0)),
                    Model::Measured,
                    fill(WORDS.assume_trend, &[("rate", n1(t)), ("unit", r.unit.clone())]),
                );
            }
            Figure {
                scenario,
                consumption_per_h: None,
                endurance_h: None,
                model: None,
                assumption: WORDS.assume_no_model.into(),
            }
        }
    }
}

fn planning_text(p: &PlanningModel, worst: bool) -> String {
    let per_day = if worst { p.per_day_worst } else { p.per_day };
    let values = [
        ("per_day", n1(per_day)),
        ("unit", p.unit.clone()),
        ("per", p.per.clone()),
        ("count", crate::fmt::number_sv(p.count, 0)),
        ("source", p.source.clone()),
    ];
    fill(if p.source.is_empty() { WORDS.assume_planning } else { WORDS.assume_planning_source }, &values)
}

/// A function's endurance in one scenario: the smallest along its dependency chain.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChainFigure {
    /// Endurance in hours; `None` if a link is unknown.
    pub endurance_h: Option<f64>,
    /// The chain from the function to the limiting reserve (ids).
    pub limiting: Vec<String>,
}

/// Resolve a function's endurance from reserve endurances (by id) in one scenario.
pub fn function_figure(
    config: &Config,
    f: &Function,
    reserve_endurance: &dyn Fn(&str) -> Option<f64>,
) -> ChainFigure {
    fn walk(
        config: &Config,
        id: &str,
        get: &dyn Fn(&str) -> Option<f64>,
        depth: usize,
    ) -> (Option<f64>, Vec<String>) {
        if depth > 32 {
            return (None, vec![id.to_string()]);
        }
        let Some(f) = config.functions.iter().find(|f| f.id == id) else {
            return (get(id), vec![id.to_string()]);
        };
        let mut best: Option<(Option<f64>, Vec<String>)> = None;
        for d in &f.depends_on {
            let (e, path) = walk(config, d, get, depth + 1);
            let better = match (&best, e) {
                (None, _) => true,
                (Some((Some(_), _)), None) => true, // an unknown link makes the whole unknown
                (Some((None, _)), _) => false,
                (Some((Some(b), _)), Some(e)) => e < *b,
            };
            if better {
                best = Some((e, path));
            }
        }
        let (e, mut path) = best.unwrap_or((None, Vec::new()));
        path.insert(0, id.to_string());
        (e, path)
    }
    let (e, limiting) = walk(config, &f.id, reserve_endurance, 0);
    ChainFigure {
        endurance_h: e,
        limiting,
    }
}

/// A refill: the stock rose by more than the threshold between two samples.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Refill {
    /// When (UTC ms) the higher sample was taken.
    pub time_ms: i64,
    /// How much was added (reserve unit).
    pub amount: f64,
}

/// Refills in a stock series (time ms, value), oldest first.
pub fn refills(samples: &[(i64, f64)], threshold: f64) -> Vec<Refill> {
    samples
        .windows(2)
        .filter(|p| p[1].1 - p[0].1 > threshold)
        .map(|p| Refill {
            time_ms: p[1].0,
            amount: p[1].1 - p[0].1,
        })
        .collect()
}

/// Consumption per hour from the stock's trend over the samples in `window_ms` before the last
/// one: a least-squares slope (robust to noise) fitted only after the last refill. `None` with
/// fewer than 3 samples or less than a quarter of the window after the refill.
pub fn trend_per_h(samples: &[(i64, f64)], window_ms: i64, refill_threshold: f64) -> Option<f64> {
    let &(last_t, _) = samples.last()?;
    let start = samples.partition_point(|s| s.0 < last_t - window_ms);
    let mut w = &samples[start..];
    if let Some(k) = w
        .windows(2)
        .rposition(|p| p[1].1 - p[0].1 > refill_threshold)
    {
        w = &w[k + 1..];
    }
    if w.len() < 3 || w[w.len() - 1].0 - w[0].0 < window_ms / 4 {
        return None;
    }
    let n = w.len() as f64;
    let t0 = w[0].0;
    let (mut sx, mut sy, mut sxx, mut sxy) = (0.0, 0.0, 0.0, 0.0);
    for &(t, v) in w {
        let x = (t - t0) as f64 / 3_600_000.0;
        sx += x;
        sy += v;
        sxx += x * x;
        sxy += x * v;
    }
    let den = n * sxx - sx * sx;
    if den.abs() < 1e-12 {
        return None;
    }
    Some(-(n * sxy - sx * sy) / den)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        let src = include_str!("../../../config/examples/reference-hospital.toml");
        driftvakt_config::parse_str(src, "reference-hospital.toml")
            .config
            .expect("example is valid")
    }

    fn reserve<'a>(c: &'a Config, id: &str) -> &'a Reserve {
        c.reserves.iter().find(|r| r.id == id).expect("reserve")
    }

    #[test]
    fn measured_trend_ignores_noise_and_starts_after_a_refill() {
        // 200 l/h drawn, ±3 l noise, sampled every minute for 2 h; 5000 l delivered at 60 min.
        let mut s = Vec::new();
        let mut stock = 10_000.0;
        for i in 0..120_i64 {
            if i == 60 {
                stock += 5000.0;
            }
            let noise = if i % 2 == 0 { 3.0 } else { -3.0 };
            s.push((i * 60_000, stock + noise));
            stock -= 200.0 / 60.0;
        }
        let t = trend_per_h(&s, 3_600_000, 100.0).expect("fitted");
        assert!((t - 200.0).abs() < 1.0, "trend {t}");
        let r = refills(&s, 100.0);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].time_ms, 60 * 60_000);
        assert!((r[0].amount - (5000.0 - 200.0 / 60.0 + 6.0)).abs() < 1e-6);
        // Just after the refill too little is left to fit: no figure rather than a wrong one.
        assert_eq!(trend_per_h(&s[..65], 3_600_000, 100.0), None);
    }

    #[test]
    fn load_curve_interpolates_per_generator() {
        let c = config();
        let m = reserve(&c, "diesel")
            .consumption
            .load
            .clone()
            .expect("load model");
        // 400 kW of 800 kW = 50 % → 110 l/h; 300 kW = 37.5 % → 60 + 0.5 × 50 = 85 l/h.
        assert!((load_consumption(&m, &[400.0, 300.0]) - 195.0).abs() < 1e-9);
        // A stopped generator uses nothing.
        assert!((load_consumption(&m, &[400.0, 0.0]) - 110.0).abs() < 1e-9);
        // Above rated the curve is not extrapolated.
        assert!((curve_at(&m.curve, 120.0) - 210.0).abs() < 1e-9);
        // Design 900 kW on two: 450 kW = 56.25 % → 110 + 0.25 × 50 = 122.5 l/h each.
        assert!((shared_consumption(&m, 900.0) - 245.0).abs() < 1e-9);
        let r = reserve(&c, "diesel");
        let input = Inputs {
            stock: Some(19_300.0),
            loads: vec![Some(450.0), Some(450.0)],
            trend_per_h: None,
        };
        let f = reserve_figure(r, &input, Scenario::Now);
        let usable = 19_300.0 - r.unusable;
        assert!((f.endurance_h.unwrap_or(0.0) - usable / 245.0).abs() < 1e-9);
        let worst = reserve_figure(r, &input, Scenario::Worst);
        assert!((worst.endurance_h.unwrap_or(0.0) - usable / 420.0).abs() < 1e-9);
        // Nothing running: nothing drawn, endurance capped.
        let idle = Inputs {
            loads: vec![Some(0.0), Some(0.0)],
            ..input
        };
        assert_eq!(
            reserve_figure(r, &idle, Scenario::Now).endurance_h,
            Some(ENDURANCE_CAP_H)
        );
    }

    #[test]
    fn planning_figure_per_bed_and_day() {
        let c = config();
        let r = reserve(&c, "reservvatten");
        let p = r.consumption.planning.clone().expect("planning");
        // 120 l/bed/day × 250 beds = 30 000 l/day = 1.25 m³/h; worst 160 l → 1.6667 m³/h.
        assert!((planning_per_h(&p, "m³", false).unwrap_or(0.0) - 1.25).abs() < 1e-9);
        let input = Inputs {
            stock: Some(380.0),
            loads: vec![],
            trend_per_h: Some(2.0),
        };
        let d = reserve_figure(r, &input, Scenario::Design);
        assert!((d.endurance_h.unwrap_or(0.0) - (380.0 - r.unusable) / 1.25).abs() < 1e-9);
        let w = reserve_figure(r, &input, Scenario::Worst);
        assert!(
            (w.endurance_h.unwrap_or(0.0) - (380.0 - r.unusable) / (160.0 * 250.0 / 24.0 / 1000.0))
                .abs()
                < 1e-9
        );
        // Now: the measured trend.
        let n = reserve_figure(r, &input, Scenario::Now);
        assert_eq!(n.model, Some(Model::Measured));
        assert!((n.endurance_h.unwrap_or(0.0) - (380.0 - r.unusable) / 2.0).abs() < 1e-9);
    }

    #[test]
    fn runtime_reserve_is_its_own_endurance() {
        let c = config();
        let r = reserve(&c, "ups");
        let f = reserve_figure(
            r,
            &Inputs {
                stock: Some(30.0),
                ..Inputs::default()
            },
            Scenario::Now,
        );
        assert!((f.endurance_h.unwrap_or(0.0) - 0.5).abs() < 1e-9);
    }

    #[test]
    fn dependency_chain_names_the_limiting_link() {
        let c = config();
        let f = c
            .functions
            .iter()
            .find(|f| f.id == "operationssal")
            .expect("function");
        // diesel 40 h, water 150 h: the operating theatre lasts 40 h, limited through diesel.
        let get = |id: &str| match id {
            "diesel" => Some(40.0),
            "reservvatten" => Some(150.0),
            "ups" => Some(0.5),
            _ => None,
        };
        let ch = function_figure(&c, f, &get);
        assert_eq!(ch.endurance_h, Some(40.0));
        assert_eq!(
            ch.limiting.first().map(String::as_str),
            Some("operationssal")
        );
        assert_eq!(ch.limiting.last().map(String::as_str), Some("diesel"));
        // Water the shorter: the chain goes through vattenförsörjning.
        let get2 = |id: &str| match id {
            "diesel" => Some(90.0),
            "reservvatten" => Some(50.0),
            _ => None,
        };
        let ch = function_figure(&c, f, &get2);
        assert_eq!(ch.endurance_h, Some(50.0));
        assert_eq!(
            ch.limiting,
            vec!["operationssal", "vattenforsorjning", "reservvatten"]
        );
    }
}
