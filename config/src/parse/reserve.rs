//! `[[reserves]]`, `[[functions]]` and `[report]`: endurance (uthållighet).
//!
//! Units are checked here: every stock point is in the reserve's unit, every load point in the
//! load model's unit, a planning figure's unit converts to the reserve's. A mismatch is an error.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use toml::de::DeValue;

use crate::keys;
use crate::model::{
    AlarmClass, AlarmRule, AssessmentRow, Consumption, EnduranceAlarm, Function, LoadModel,
    MeasuredModel, PlanningModel, ReportSettings, Reserve, RuleKind, System, unit_factor,
};
use crate::parse::common::{Section, Walker, by_id, describe};

/// Unit and system of every configured point, by full id.
pub(crate) type PointUnits = HashMap<String, (String, System)>;

/// Read `[[reserves]]` and `[[functions]]`; returns them and their alarm rules.
pub(crate) fn reserves(
    w: &mut Walker<'_>,
    root: &Section<'_, '_>,
    points: &PointUnits,
) -> (Vec<Reserve>, Vec<Function>, Vec<AlarmRule>) {
    let mut seen: HashSet<String> = HashSet::new();
    let mut out = Vec::new();
    let mut rules = Vec::new();
    for s in w.get_tables(root, "reserves", by_id("reserve")) {
        w.expect_keys(&s, keys::RESERVE);
        if let Some(r) = reserve(w, &s, points, &mut seen) {
            if let Some(a) = &r.alarm {
                rules.push(rule(&r.id, &r.name, r.system, r.target_h, a));
            }
            out.push(r);
        }
    }
    let reserve_ids: HashSet<String> = out.iter().map(|r| r.id.clone()).collect();
    let mut funcs = Vec::new();
    let mut spans = Vec::new();
    for s in w.get_tables(root, "functions", by_id("function")) {
        w.expect_keys(&s, keys::FUNCTION);
        let id = w.req_str(&s, "id");
        let name = w.req_str(&s, "name");
        let sys = w.get_system(&s).unwrap_or(System::Ovrigt);
        let deps = w.get_strings(&s, "depends_on");
        if deps.is_empty() {
            w.error(
                &s.span,
                &s.context,
                "`depends_on` must name at least one reserve or function",
            );
        }
        let target = target(w, &s);
        let alarm = alarm(w, &s);
        let (Some(id), Some(name), Some(target_h)) = (id, name, target) else {
            continue;
        };
        if !seen.insert(id.value.clone()) {
            w.error(
                &id.span,
                &s.context,
                format!("duplicate reserve/function id `{}`", id.value),
            );
            continue;
        }
        if let Some(a) = &alarm {
            rules.push(rule(&id.value, &name.value, sys, target_h, a));
        }
        spans.push((s.span.clone(), s.context.clone()));
        funcs.push(Function {
            id: id.value,
            name: name.value,
            system: sys,
            depends_on: deps,
            target_h,
            alarm,
        });
    }
    // Dependencies must exist and must not form a cycle.
    let func_ids: HashSet<String> = funcs.iter().map(|f| f.id.clone()).collect();
    for (f, (span, ctx)) in funcs.iter().zip(&spans) {
        for d in &f.depends_on {
            if !reserve_ids.contains(d) && !func_ids.contains(d) {
                w.error(
                    span,
                    ctx,
                    format!("`depends_on`: unknown reserve or function `{d}`"),
                );
            }
        }
        if reaches(&funcs, &f.id, &f.id, &mut HashSet::new()) {
            w.error(
                span,
                ctx,
                format!(
                    "`depends_on`: function `{}` depends on itself (a cycle)",
                    f.id
                ),
            );
        }
    }
    (out, funcs, rules)
}

fn reaches(funcs: &[Function], from: &str, goal: &str, visited: &mut HashSet<String>) -> bool {
    let Some(f) = funcs.iter().find(|f| f.id == from) else {
        return false;
    };
    for d in &f.depends_on {
        if d == goal {
            return true;
        }
        if visited.insert(d.clone()) && reaches(funcs, d, goal, visited) {
            return true;
        }
    }
    false
}

fn rule(id: &str, name: &str, system: System, target_h: f64, a: &EnduranceAlarm) -> AlarmRule {
    AlarmRule {
        id: format!("endurance.{id}.below_target"),
        point: format!("endurance.{id}"),
        kind: RuleKind::EnduranceBelow {
            target_h,
            deadband_h: a.deadband_h,
        },
        class: a.class,
        system,
        text: a.text.replace("{name}", name),
        text_en: Some(a.text_en.replace("{name}", name)),
        on_delay: Duration::ZERO,
        off_delay: Duration::ZERO,
        conditions: Vec::new(),
    }
}

fn target(w: &mut Walker<'_>, s: &Section<'_, '_>) -> Option<f64> {
    if !s.table.contains_key("target_h") {
        w.error(
            &s.span,
            &s.context,
            "missing required key `target_h` (målbild in hours)",
        );
        return None;
    }
    let t = w.get_f64(s, "target_h")?;
    if t.value <= 0.0 {
        w.error(&t.span, &s.context, "`target_h` must be above 0");
        return None;
    }
    Some(t.value)
}

fn alarm(w: &mut Walker<'_>, s: &Section<'_, '_>) -> Option<EnduranceAlarm> {
    let a = w.get_table(s, "alarm", format!("{}, alarm", s.context))?;
    w.expect_keys(&a, keys::ENDURANCE_ALARM);
    let class = match w.get_str(&a, "class") {
        Some(c) => match AlarmClass::from_key(&c.value) {
            Some(k) => k,
            None => {
                w.error(
                    &c.span,
                    &a.context,
                    format!("`class` must be \"A\" or \"B\", found \"{}\"", c.value),
                );
                AlarmClass::B
            }
        },
        None => AlarmClass::B,
    };
    let deadband_h = match w.get_f64(&a, "deadband_h") {
        Some(d) if d.value < 0.0 => {
            w.error(&d.span, &a.context, "`deadband_h` must not be negative");
            0.0
        }
        Some(d) => d.value,
        None => 1.0,
    };
    let text = w.get_str(&a, "text").map_or_else(
        || "{name} räcker {value} vid aktuell förbrukning, målbild {limit}".to_string(),
        |t| t.value,
    );
    let text_en = w.get_str(&a, "text_en").map_or_else(
        || "{name} lasts {value} at the present consumption, target {limit}".to_string(),
        |t| t.value,
    );
    Some(EnduranceAlarm {
        class,
        deadband_h,
        text,
        text_en,
    })
}

fn positive(w: &mut Walker<'_>, s: &Section<'_, '_>, key: &str, required: bool) -> Option<f64> {
    if required && !s.table.contains_key(key) {
        w.error(&s.span, &s.context, format!("missing required key `{key}`"));
        return None;
    }
    let v = w.get_f64(s, key)?;
    if v.value < 0.0 {
        w.error(&v.span, &s.context, format!("`{key}` must not be negative"));
        return None;
    }
    Some(v.value)
}

fn reserve(
    w: &mut Walker<'_>,
    s: &Section<'_, '_>,
    points: &PointUnits,
    seen: &mut HashSet<String>,
) -> Option<Reserve> {
    let ctx = s.context.clone();
    let id = w.req_str(s, "id");
    let name = w.req_str(s, "name");
    let sys = w.get_system(s);
    let unit = w.req_str(s, "unit");
    let stock = w.get_strings(s, "stock");
    if stock.is_empty() {
        w.error(
            &s.span,
            &ctx,
            "`stock` must name at least one point (e.g. [\"tankar.main_tank\"])",
        );
    }
    let capacity = positive(w, s, "capacity", true);
    let unusable = positive(w, s, "unusable", false).unwrap_or(0.0);
    let target_h = target(w, s);
    let alarm = alarm(w, s);
    let unit_v = unit.as_ref().map(|u| u.value.clone()).unwrap_or_default();
    let mut first_system = None;
    for p in &stock {
        match points.get(p) {
            None => w.error(&s.span, &ctx, format!("`stock`: unknown point `{p}`")),
            Some((u, psys)) => {
                first_system.get_or_insert(*psys);
                if unit.is_some() && *u != unit_v {
                    w.error(
                        &s.span,
                        &ctx,
                        format!("`stock`: point `{p}` is in `{u}` but the reserve is in `{unit_v}` (units must match)"),
                    );
                }
            }
        }
    }
    if let (Some(c), true) = (capacity, unusable > 0.0)
        && unusable >= c
    {
        w.error(&s.span, &ctx, "`unusable` must be less than `capacity`");
    }
    let refill_threshold =
        positive(w, s, "refill_threshold", false).unwrap_or_else(|| capacity.unwrap_or(0.0) * 0.02);

    let measured = w
        .get_table(s, "measured", format!("{ctx}, measured"))
        .map(|m| {
            w.expect_keys(&m, keys::MEASURED);
            let min = w
                .get_int(&m, "window_min", 1..=10_080)
                .map_or(60, |a| a.value);
            MeasuredModel {
                window: Duration::from_secs(u64::try_from(min).unwrap_or(60) * 60),
            }
        });
    let load = w
        .get_table(s, "load", format!("{ctx}, load"))
        .and_then(|l| load_model(w, &l, points));
    let planning = w
        .get_table(s, "planning", format!("{ctx}, planning"))
        .and_then(|p| {
            w.expect_keys(&p, keys::PLANNING);
            let per_day = positive(w, &p, "per_day", true);
            let per_day_worst = positive(w, &p, "per_day_worst", false);
            let count = positive(w, &p, "count", true);
            let per = w
                .get_str(&p, "per")
                .map_or_else(|| "vårdplats".to_string(), |a| a.value);
            let punit = w.req_str(&p, "unit");
            let source = w
                .get_str(&p, "source")
                .map_or_else(String::new, |a| a.value);
            let punit = punit?;
            if unit.is_some() && unit_factor(&punit.value, &unit_v).is_none() {
                w.error(
                    &punit.span,
                    &p.context,
                    format!(
                        "`unit` `{}` cannot be converted to the reserve's unit `{unit_v}`",
                        punit.value
                    ),
                );
                return None;
            }
            let per_day = per_day?;
            Some(PlanningModel {
                per_day,
                per_day_worst: per_day_worst.unwrap_or(per_day),
                count: count?,
                per,
                unit: punit.value,
                source,
            })
        });
    let consumption = Consumption {
        measured,
        load,
        planning,
    };
    let runtime = crate::model::time_unit_hours(&unit_v).is_some();
    if !runtime
        && consumption.measured.is_none()
        && consumption.load.is_none()
        && consumption.planning.is_none()
    {
        w.error(
            &s.span,
            &ctx,
            "a reserve needs a consumption model: `measured`, `load` or `planning` (or a stock in a time unit)",
        );
    }
    let id = id?;
    if !seen.insert(id.value.clone()) {
        w.error(
            &id.span,
            &ctx,
            format!("duplicate reserve/function id `{}`", id.value),
        );
        return None;
    }
    Some(Reserve {
        id: id.value,
        name: name?.value,
        system: sys.or(first_system).unwrap_or(System::Ovrigt),
        unit: unit?.value,
        stock,
        capacity: capacity?,
        unusable,
        refill_threshold,
        consumption,
        target_h: target_h?,
        alarm,
    })
}

fn load_model(w: &mut Walker<'_>, l: &Section<'_, '_>, points: &PointUnits) -> Option<LoadModel> {
    w.expect_keys(l, keys::LOAD);
    let pts = w.get_strings(l, "points");
    if pts.is_empty() {
        w.error(
            &l.span,
            &l.context,
            "`points` must name the load point of every consuming unit",
        );
    }
    let load_unit = w.req_str(l, "unit");
    let rated = positive(w, l, "rated", true);
    if let Some(lu) = &load_unit {
        for p in &pts {
            match points.get(p) {
                None => w.error(&l.span, &l.context, format!("`points`: unknown point `{p}`")),
                Some((u, _)) if *u != lu.value => w.error(
                    &l.span,
                    &l.context,
                    format!("`points`: point `{p}` is in `{u}` but the load model is in `{}` (units must match)", lu.value),
                ),
                Some(_) => {}
            }
        }
    }
    let mut curve = Vec::new();
    match l.table.get("curve") {
        None => w.error(
            &l.span,
            &l.context,
            "missing required key `curve` ([[load %, consumption per h], …])",
        ),
        Some(v) => {
            let bad = |w: &mut Walker<'_>, what: &DeValue<'_>| {
                w.error(
                    &v.span(),
                    &l.context,
                    format!(
                        "`curve` must be a list of [load %, consumption per hour] pairs, found {}",
                        describe(what)
                    ),
                );
            };
            if let DeValue::Array(items) = v.get_ref() {
                for it in items {
                    let pair = match it.get_ref() {
                        DeValue::Array(xy) if xy.len() == 2 => {
                            let num = |x: &DeValue<'_>| match x {
                                DeValue::Float(f) => f.as_str().parse::<f64>().ok(),
                                DeValue::Integer(_) => crate::parse::common::integer(x).map(|i| i as f64),
                                _ => None,
                            };
                            num(xy[0].get_ref()).zip(num(xy[1].get_ref()))
                        }
                        _ => None,
                    };
                    match pair {
                        Some(p) => curve.push(p),
                        None => bad(w, it.get_ref()),
                    }
                }
            } else {
                bad(w, v.get_ref());
            }
        }
    }
    if curve.len() < 2 || curve.windows(2).any(|p| p[1].0 <= p[0].0) {
        w.error(
            &l.span,
            &l.context,
            "`curve` needs at least two points with rising load",
        );
    }
    let running_above = positive(w, l, "running_above", false).unwrap_or(0.0);
    let design_load = positive(w, l, "design_load", true);
    let n = pts.len() as f64;
    let worst_load = positive(w, l, "worst_load", false).or(rated.map(|r| r * n));
    Some(LoadModel {
        points: pts,
        load_unit: load_unit?.value,
        rated: rated?,
        curve,
        running_above,
        design_load: design_load?,
        worst_load: worst_load?,
    })
}

/// Read `[report]` (optional).
pub(crate) fn report(w: &mut Walker<'_>, root: &Section<'_, '_>) -> ReportSettings {
    let Some(s) = w.get_table(root, "report", "report".to_string()) else {
        return ReportSettings::default();
    };
    w.expect_keys(&s, keys::REPORT);
    let title = w.get_str(&s, "title").map(|t| t.value);
    let signatures = w.get_strings(&s, "signatures");
    let columns = w.get_strings(&s, "columns");
    let mut assessment = Vec::new();
    for a in w.get_tables(&s, "assessment", |i, _| {
        format!("report, assessment #{}", i + 1)
    }) {
        w.expect_keys(&a, keys::ASSESSMENT);
        let sys = w.get_system(&a);
        if !a.table.contains_key("system") {
            w.error(&a.span, &a.context, "missing required key `system`");
        }
        let cells = w.get_strings(&a, "cells");
        if cells.len() != columns.len() {
            w.error(
                &a.span,
                &a.context,
                format!(
                    "`cells` has {} entries but `columns` has {}",
                    cells.len(),
                    columns.len()
                ),
            );
        }
        if let Some(system) = sys {
            assessment.push(AssessmentRow { system, cells });
        }
    }
    ReportSettings {
        title,
        signatures,
        columns,
        assessment,
    }
}

#[cfg(test)]
mod tests {
    use crate::model::{AlarmClass, RuleKind};
    use crate::parse_str;

    const BASE: &str = r#"
[site]
id = "s"
name = "S"

[[connections]]
id = "c"
host = "127.0.0.1"
port = 502

[[devices]]
id = "t"
name = "Tankar"
connection = "c"
unit_id = 1
system = "reservkraft"

[[devices.points]]
id = "main"
name = "Huvudtank"
table = "input"
address = 0
type = "f32"
unit = "l"

[[devices.points]]
id = "load"
name = "Last"
table = "input"
address = 2
type = "f32"
unit = "kW"
"#;

    #[test]
    fn a_reserve_with_its_alarm_becomes_a_rule_on_the_endurance_series() {
        let src = format!(
            "{BASE}\n[[reserves]]\nid = \"diesel\"\nname = \"Diesel\"\nunit = \"l\"\nstock = [\"t.main\"]\ncapacity = 1000.0\ntarget_h = 72\nalarm = {{ class = \"A\" }}\nload = {{ points = [\"t.load\"], unit = \"kW\", rated = 100.0, curve = [[0, 1], [100, 20]], design_load = 50.0 }}\n"
        );
        let loaded = parse_str(&src, "t.toml");
        let c = loaded
            .config
            .unwrap_or_else(|| panic!("{:?}", loaded.diagnostics));
        assert_eq!(c.reserves.len(), 1);
        let rule = c
            .alarms
            .rules
            .iter()
            .find(|r| r.point == "endurance.diesel")
            .expect("rule");
        assert_eq!(rule.class, AlarmClass::A);
        assert_eq!(
            rule.kind,
            RuleKind::EnduranceBelow {
                target_h: 72.0,
                deadband_h: 1.0
            }
        );
        assert_eq!(
            c.reserves[0]
                .consumption
                .load
                .as_ref()
                .map(|l| l.worst_load),
            Some(100.0)
        );
    }
}
