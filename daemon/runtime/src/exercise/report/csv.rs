//! The report of one run as CSV: one figure per row (`section,id,unit,key,value,unit_label,text`),
//! sectioned like the endurance CSV; the same figures as the HTML (whose `data-key` is
//! `section.id.unit.key`) and the JSON.

use super::ReportData;

/// A CSV field, quoted when needed.
pub(super) fn esc(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The header of every exercise CSV.
pub(super) const HEADER: &str = "section,id,unit,key,value,unit_label,text\n";

/// One row.
#[allow(clippy::too_many_arguments)]
pub(super) fn row(out: &mut String, section: &str, id: &str, unit: &str, key: &str, value: &str, unit_label: &str, text: &str) {
    out.push_str(&format!(
        "{},{},{},{},{},{},{}\n",
        esc(section),
        esc(id),
        esc(unit),
        esc(key),
        esc(value),
        esc(unit_label),
        esc(text)
    ));
}

/// An optional number as the CSV writes it (empty when absent).
pub(super) fn opt(v: Option<f64>) -> String {
    v.map_or_else(String::new, |v| v.to_string())
}

/// Render the report of one run as CSV.
pub fn render(d: &ReportData) -> String {
    let mut o = String::from(HEADER);
    let r = &d.run;
    let id = r.id.to_string();
    row(&mut o, "site", &d.site_id, "", "name", "", "", &d.site_name);
    row(&mut o, "run", &id, "", "kind", r.kind, "", &r.kind_label);
    row(&mut o, "run", &id, "", "name", "", "", &r.name);
    row(&mut o, "run", &id, "", "started_ms", &r.started_ms.to_string(), "ms", &r.started_local);
    row(&mut o, "run", &id, "", "started_by", "", "", &r.started_by);
    row(&mut o, "run", &id, "", "stopped_ms", &r.stopped_ms.map_or_else(String::new, |s| s.to_string()), "ms", &r.stopped_local);
    row(&mut o, "run", &id, "", "stopped_by", "", "", r.stopped_by.as_deref().unwrap_or(""));
    row(&mut o, "run", &id, "", "duration_ms", &r.duration_ms.to_string(), "ms", "");
    row(&mut o, "run", &id, "", "verdict", d.verdict.key(), "", &d.verdict_label);
    row(&mut o, "window", &id, "", "from_ms", &d.window.from_ms.to_string(), "ms", "");
    row(&mut o, "window", &id, "", "to_ms", &d.window.to_ms.to_string(), "ms", "");
    for (i, e) in d.events.iter().enumerate() {
        let ev = &e.event;
        let (i, unit) = (i.to_string(), ev.unit.as_deref().unwrap_or(""));
        row(&mut o, "event", &i, unit, "at_ms", &ev.at_ms.to_string(), "ms", &format!("{} {}", e.at_local, e.label));
        row(&mut o, "event", &i, unit, "kind", ev.kind.key(), "", &ev.point);
        row(&mut o, "event", &i, unit, "resolution_ms", &ev.resolution_ms.to_string(), "ms", &e.timing_label);
    }
    for k in &d.kpis {
        let unit = k.kpi.unit.as_deref().unwrap_or("");
        let ul = k.kpi.unit_label;
        row(&mut o, "kpi", k.kpi.key, unit, "value", &opt(k.kpi.value), ul, &k.label);
        row(&mut o, "kpi", k.kpi.key, unit, "resolution", &opt(k.kpi.resolution), ul, k.timing_label.as_deref().unwrap_or(""));
        row(&mut o, "kpi", k.kpi.key, unit, "limit", &opt(k.kpi.limit), ul, &k.limit_text);
        row(&mut o, "kpi", k.kpi.key, unit, "verdict", k.kpi.verdict.key(), "", &k.verdict_label);
    }
    for w in &d.watched {
        let res = &w.result;
        let p = res.point.as_str();
        row(&mut o, "watched", p, "", "low", &opt(res.low), &w.unit, &w.name);
        row(&mut o, "watched", p, "", "high", &opt(res.high), &w.unit, "");
        row(&mut o, "watched", p, "", "min", &opt(res.min), &w.unit, "");
        row(&mut o, "watched", p, "", "max", &opt(res.max), &w.unit, "");
        row(&mut o, "watched", p, "", "worst_deviation", &res.worst_deviation.to_string(), &w.unit, "");
        row(&mut o, "watched", p, "", "outside_ms", &res.outside_ms.to_string(), "ms", "");
        row(&mut o, "watched", p, "", "first_outside_ms", &res.first_outside_ms.map_or_else(String::new, |t| t.to_string()), "ms", w.first_outside_local.as_deref().unwrap_or(""));
        row(&mut o, "watched", p, "", "max_outside_ms", &w.max_outside_ms.to_string(), "ms", "");
        row(&mut o, "watched", p, "", "verdict", res.verdict.key(), "", &w.verdict_label);
    }
    for a in &d.alarms {
        row(&mut o, "alarm", &a.alarm, "", &a.code, &a.time_ms.to_string(), "ms", &format!("{}: {}", a.event, a.text));
        let exp = a.expected.map_or("", |e| if e { "1" } else { "0" });
        row(&mut o, "alarm", &a.alarm, "", &format!("{}.expected", a.code), exp, "", "");
    }
    for n in &d.notes {
        row(&mut o, "note", &n.by, "", "at_ms", &n.at_ms.to_string(), "ms", &n.text);
    }
    for m in &d.missing {
        row(&mut o, "missing", &m.point, "", "missing_ms", &m.missing_ms.to_string(), "ms", &m.name);
    }
    for s in &d.sources {
        row(&mut o, "source", &s.point, s.unit.as_deref().unwrap_or(""), s.role, &s.readings.to_string(), "", "");
    }
    for c in &d.charts {
        row(&mut o, "chart", &c.point, c.unit.as_deref().unwrap_or(""), c.kind, &c.points.len().to_string(), &c.unit_label, &c.label);
    }
    o
}
