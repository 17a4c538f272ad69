//! The report as CSV: one figure per row (`section,id,scenario,key,value,unit,text`), the same
//! figures as the HTML and JSON.

use super::{Evidence, ReportData, ScenarioRow};

fn esc(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

#[allow(clippy::too_many_arguments)]
fn line(
    out: &mut String,
    section: &str,
    id: &str,
    scenario: &str,
    key: &str,
    value: Option<f64>,
    unit: &str,
    text: &str,
) {
    let v = value.map_or_else(String::new, |v| v.to_string());
    out.push_str(&format!(
        "{},{},{},{},{},{},{}\n",
        esc(section),
        esc(id),
        esc(scenario),
        esc(key),
        v,
        esc(unit),
        esc(text)
    ));
}

fn scenarios(out: &mut String, section: &str, id: &str, unit: &str, rows: &[ScenarioRow]) {
    for s in rows {
        let sc = s.scenario.key();
        line(
            out,
            section,
            id,
            sc,
            "endurance_h",
            s.endurance_h,
            "h",
            &s.assumption,
        );
        if s.consumption_per_h.is_some() {
            line(
                out,
                section,
                id,
                sc,
                "consumption_per_h",
                s.consumption_per_h,
                &format!("{unit}/h"),
                s.model.map_or("", |m| m.key()),
            );
        }
        line(
            out,
            section,
            id,
            sc,
            "meets",
            s.meets.map(|m| if m { 1.0 } else { 0.0 }),
            "",
            "",
        );
        line(
            out,
            section,
            id,
            sc,
            "gap_h",
            s.gap_h,
            "h",
            &s.limiting.join(" > "),
        );
    }
}

fn evidence(out: &mut String, id: &str, unit: &str, e: &Evidence) {
    line(
        out,
        "evidence",
        id,
        "",
        "min_endurance_h",
        e.min_endurance_h,
        "h",
        e.min_endurance_local.as_deref().unwrap_or(""),
    );
    if e.stock_first.is_some() || e.stock_last.is_some() {
        line(
            out,
            "evidence",
            id,
            "",
            "stock_first",
            e.stock_first,
            unit,
            "",
        );
        line(
            out,
            "evidence",
            id,
            "",
            "stock_last",
            e.stock_last,
            unit,
            "",
        );
    }
    for r in &e.refills {
        line(
            out,
            "refill",
            id,
            "",
            "amount",
            Some(r.amount),
            unit,
            &r.time_ms.to_string(),
        );
    }
}

/// Render the report as CSV.
pub fn render(d: &ReportData) -> String {
    let mut out = String::from("section,id,scenario,key,value,unit,text\n");
    line(
        &mut out,
        "site",
        &d.site_id,
        "",
        "from_ms",
        Some(d.from_ms as f64),
        "ms",
        &d.from_local,
    );
    line(
        &mut out,
        "site",
        &d.site_id,
        "",
        "to_ms",
        Some(d.to_ms as f64),
        "ms",
        &d.to_local,
    );
    line(
        &mut out,
        "now",
        &d.site_id,
        "",
        "at_ms",
        Some(d.now.at_ms as f64),
        "ms",
        &d.now.text,
    );
    for r in &d.reserves {
        line(
            &mut out,
            "reserve",
            &r.id,
            "",
            "target_h",
            Some(r.target_h),
            "h",
            &r.name,
        );
        scenarios(&mut out, "reserve", &r.id, &r.unit, &r.scenarios);
        evidence(&mut out, &r.id, &r.unit, &r.evidence);
    }
    for f in &d.functions {
        line(
            &mut out,
            "function",
            &f.id,
            "",
            "target_h",
            Some(f.target_h),
            "h",
            &f.name,
        );
        scenarios(&mut out, "function", &f.id, "", &f.scenarios);
        evidence(&mut out, &f.id, "", &f.evidence);
    }
    for c in &d.coverage {
        line(
            &mut out,
            "coverage",
            &c.point,
            "",
            "share",
            Some(c.share),
            "",
            &c.name,
        );
    }
    for a in &d.alarms {
        line(
            &mut out,
            "alarm",
            &a.alarm,
            "",
            &a.code,
            Some(a.time_ms as f64),
            "ms",
            &format!("{}: {}", a.event, a.text),
        );
    }
    out
}
