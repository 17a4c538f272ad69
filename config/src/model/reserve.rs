//! Validated model of reserves, functions and the endurance report (`[[reserves]]`,
//! `[[functions]]`, `[report]`). Re-exported from [`crate::model`].

use std::time::Duration;

use super::alarm::AlarmClass;
use super::site::System;

/// Endurance values at or above this many hours mean "not being drawn" (one year).
pub const ENDURANCE_CAP_H: f64 = 8760.0;

/// A stock the site can run on by itself: diesel, battery minutes, reserve water.
#[derive(Debug, Clone, PartialEq)]
pub struct Reserve {
    /// Unique id among reserves and functions, e.g. `diesel`.
    pub id: String,
    /// Human name in Swedish, e.g. "Diesel".
    pub name: String,
    /// Supply system it belongs to.
    pub system: System,
    /// Unit of the stock (`l`, `m³`, `min`, `h` …); every stock point is in this unit.
    pub unit: String,
    /// Points whose sum is the stock (e.g. main tank + day tank).
    pub stock: Vec<String>,
    /// Full content, in `unit`.
    pub capacity: f64,
    /// Content that cannot be used (tank sump), in `unit`.
    pub unusable: f64,
    /// A rise of the stock larger than this between two samples is a refill, in `unit`.
    pub refill_threshold: f64,
    /// Consumption models.
    pub consumption: Consumption,
    /// Målbild: the endurance the site should have, in hours.
    pub target_h: f64,
    /// "Endurance below target" alarm, if configured.
    pub alarm: Option<EnduranceAlarm>,
}

impl Reserve {
    /// Whether the stock itself is a time (battery minutes): endurance is the stock.
    pub fn is_runtime(&self) -> bool {
        time_unit_hours(&self.unit).is_some()
    }
}

/// How much a reserve uses; each model is optional, at least one is required unless the
/// stock is a time.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Consumption {
    /// Measured: the trend of the stock while it is drawn.
    pub measured: Option<MeasuredModel>,
    /// From load: a datasheet curve applied to the measured load.
    pub load: Option<LoadModel>,
    /// Planning figure: an amount per unit (bed) and day × units.
    pub planning: Option<PlanningModel>,
}

/// The measured-trend model.
#[derive(Debug, Clone, PartialEq)]
pub struct MeasuredModel {
    /// Window the least-squares slope is fitted over.
    pub window: Duration,
}

/// Consumption from a load curve (per unit, e.g. per generator).
#[derive(Debug, Clone, PartialEq)]
pub struct LoadModel {
    /// Load points, one per consuming unit (e.g. `g1.total_power`), all in `load_unit`.
    pub points: Vec<String>,
    /// Unit of the load points (`kW` or `%`).
    pub load_unit: String,
    /// Rated load of one unit, in `load_unit` (100 % of the curve).
    pub rated: f64,
    /// Curve: (load in % of rated, consumption in the reserve's unit per hour), ascending.
    pub curve: Vec<(f64, f64)>,
    /// A unit whose load is at or below this (in `load_unit`) is not running: it uses nothing.
    pub running_above: f64,
    /// Design scenario: total load during höjd beredskap, in `load_unit`, shared by all units.
    pub design_load: f64,
    /// Worst case: total load, in `load_unit`, shared by all units (default: all at rated).
    pub worst_load: f64,
}

/// Consumption from a planning figure.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanningModel {
    /// Amount per counted unit and day (design), in `unit`.
    pub per_day: f64,
    /// Amount per counted unit and day in the worst case, in `unit`.
    pub per_day_worst: f64,
    /// How many (beds).
    pub count: f64,
    /// What is counted, e.g. "vårdplats".
    pub per: String,
    /// Unit of `per_day` (converted to the reserve's unit).
    pub unit: String,
    /// Where the figure comes from (printed in the report).
    pub source: String,
}

/// An "endurance below target" alarm on a reserve or function.
#[derive(Debug, Clone, PartialEq)]
pub struct EnduranceAlarm {
    /// A or B.
    pub class: AlarmClass,
    /// Hysteresis in hours: clears above target + deadband.
    pub deadband_h: f64,
    /// Swedish text (`{value}`, `{limit}`, `{point}` are filled in).
    pub text: String,
    /// English text.
    pub text_en: String,
}

/// Something the hospital does that needs reserves (e.g. "operationssal").
#[derive(Debug, Clone, PartialEq)]
pub struct Function {
    /// Unique id among reserves and functions.
    pub id: String,
    /// Human name in Swedish.
    pub name: String,
    /// Supply system it belongs to.
    pub system: System,
    /// Ids of the reserves and functions it depends on.
    pub depends_on: Vec<String>,
    /// Målbild in hours.
    pub target_h: f64,
    /// "Endurance below target" alarm, if configured.
    pub alarm: Option<EnduranceAlarm>,
}

/// `[report]`: the endurance report's fixed texts and the SSIK assessment table.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReportSettings {
    /// Title (default "Uthållighet").
    pub title: Option<String>,
    /// Signature lines (roles), e.g. "Driftchef".
    pub signatures: Vec<String>,
    /// Column headings of the nulägesanalys/målbild/gapanalys table.
    pub columns: Vec<String>,
    /// One row per supply system.
    pub assessment: Vec<AssessmentRow>,
}

/// One row of the assessment table.
#[derive(Debug, Clone, PartialEq)]
pub struct AssessmentRow {
    /// Supply system.
    pub system: System,
    /// One cell per column.
    pub cells: Vec<String>,
}

/// Hours per unit for time units (`s`, `min`, `h`, `d`), `None` for others.
pub fn time_unit_hours(unit: &str) -> Option<f64> {
    match unit {
        "s" => Some(1.0 / 3600.0),
        "min" => Some(1.0 / 60.0),
        "h" => Some(1.0),
        "d" => Some(24.0),
        _ => None,
    }
}

/// Factor converting an amount in `from` into `to`, if they measure the same thing.
pub fn unit_factor(from: &str, to: &str) -> Option<f64> {
    if from == to {
        return Some(1.0);
    }
    let base = |u: &str| -> Option<(&'static str, f64)> {
        Some(match u {
            "l" => ("volume", 0.001),
            "m³" | "m3" => ("volume", 1.0),
            "kWh" => ("energy", 1.0),
            "MWh" => ("energy", 1000.0),
            "kg" => ("mass", 1.0),
            "t" => ("mass", 1000.0),
            _ => ("time", time_unit_hours(u)?),
        })
    };
    let (qf, ff) = base(from)?;
    let (qt, ft) = base(to)?;
    (qf == qt).then_some(ff / ft)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_convert_only_within_a_quantity() {
        assert_eq!(unit_factor("l", "l"), Some(1.0));
        assert!((unit_factor("l", "m³").unwrap_or(0.0) - 0.001).abs() < 1e-12);
        assert!((unit_factor("min", "h").unwrap_or(0.0) - 1.0 / 60.0).abs() < 1e-12);
        assert_eq!(unit_factor("l", "min"), None);
        assert_eq!(unit_factor("kW", "l"), None);
    }
}
