//! The report as one self-contained HTML page (inline CSS and SVG, no scripts) that prints on
//! A4. Every figure cell carries `data-key`/`data-value` with the exact number, so a reader (or
//! a test) can check it against the JSON and CSV.

use driftvakt_config::model::Language;
use driftvakt_domain::fmt::{local_minute_zone, number};
use driftvakt_domain::text::fill;
use driftvakt_domain::text::report::Report;
use driftvakt_domain::text::screen::hours;

use super::chart;
use super::{Evidence, ReportData, ScenarioRow};

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The report's language and its words.
struct T {
    lang: Language,
    w: &'static Report,
}

impl T {
    fn num(&self, v: f64, decimals: usize) -> String {
        number(v, decimals, self.lang)
    }

    fn hours(&self, v: Option<f64>, cap: f64) -> String {
        hours(v, cap, self.lang)
    }
}

fn cell(key: &str, value: Option<f64>, shown: &str) -> String {
    let v = value.map_or_else(String::new, |v| v.to_string());
    format!(
        "<td class=\"num\" data-key=\"{}\" data-value=\"{v}\">{}</td>",
        esc(key),
        esc(shown)
    )
}

#[allow(clippy::too_many_arguments)]
fn scenario_table(
    t: &T,
    out: &mut String,
    section: &str,
    id: &str,
    unit: &str,
    target_h: f64,
    rows: &[ScenarioRow],
    cap: f64,
    chain: bool,
) {
    out.push_str(&format!(
        "<table class=\"scen\"><thead><tr><th>{}</th><th>{}</th>{}<th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        t.w.col_scenario,
        t.w.col_endurance,
        if chain { String::new() } else { format!("<th>{}</th>", t.w.col_consumption) },
        t.w.col_target,
        t.w.col_gap,
        t.w.col_verdict,
        if chain { t.w.col_limiting } else { t.w.col_assumption },
    ));
    for r in rows {
        let sc = r.scenario.key();
        let k = |name: &str| format!("{section}.{id}.{sc}.{name}");
        out.push_str(&format!("<tr><td>{}</td>", r.scenario.label(t.lang)));
        out.push_str(&cell(
            &k("endurance_h"),
            r.endurance_h,
            &t.hours(r.endurance_h, cap),
        ));
        if !chain {
            let shown = r.consumption_per_h.map_or_else(
                || "–".to_string(),
                |c| format!("{} {unit}/h", t.num(c, if c.abs() < 10.0 { 2 } else { 1 })),
            );
            out.push_str(&cell(&k("consumption_per_h"), r.consumption_per_h, &shown));
        }
        out.push_str(&format!(
            "<td class=\"num\">{}</td>",
            t.hours(Some(target_h), cap)
        ));
        let gap_shown = r.gap_h.map_or_else(
            || "–".to_string(),
            |g| {
                if g <= 0.0 {
                    "0".into()
                } else {
                    t.hours(Some(g), cap)
                }
            },
        );
        out.push_str(&cell(&k("gap_h"), r.gap_h, &gap_shown));
        let (cls, verdict) = match r.meets {
            Some(true) => ("meets", t.w.meets),
            Some(false) => ("fails", t.w.fails),
            None => ("unknown", t.w.unknown),
        };
        let mv = r.meets.map(|m| if m { 1.0 } else { 0.0 });
        out.push_str(&format!(
            "<td class=\"{cls}\" data-key=\"{}\" data-value=\"{}\">{verdict}</td>",
            esc(&k("meets")),
            mv.map_or_else(String::new, |v| v.to_string())
        ));
        if chain {
            out.push_str(&format!("<td>{}</td></tr>", esc(&r.limiting.join(" → "))));
        } else {
            let model = r.model.map_or("–", |m| m.key());
            out.push_str(&format!(
                "<td>{} <span class=\"model\">[{model}]</span></td></tr>",
                esc(&r.assumption)
            ));
        }
    }
    out.push_str("</tbody></table>");
}

fn evidence(
    t: &T,
    out: &mut String,
    d: &ReportData,
    id: &str,
    unit: &str,
    target_h: f64,
    e: &Evidence,
) {
    let cap = d.endurance_cap_h;
    out.push_str("<div class=\"evidence\">");
    let when = e.min_endurance_local.clone().unwrap_or_else(|| "–".into());
    out.push_str(&format!(
        "<p>{}: <span data-key=\"evidence.{id}.min_endurance_h\" data-value=\"{}\">{}</span> ({})</p>",
        t.w.min_endurance,
        e.min_endurance_h.map_or_else(String::new, |v| v.to_string()),
        t.hours(e.min_endurance_h, cap),
        esc(&when)
    ));
    let en: Vec<(i64, f64)> = e
        .endurance
        .iter()
        .map(|&(t0, v)| (t0, v.min(target_h * 3.0)))
        .collect();
    out.push_str(&chart::line(
        &en,
        d.from_ms,
        d.to_ms,
        Some(target_h),
        t.w.chart_endurance,
        &|v| t.num(v, 0),
    ));
    if !e.stock.is_empty() {
        out.push_str(&format!(
            "<p>{}: {} → {} {unit}</p>",
            t.w.stock_span,
            e.stock_first.map_or_else(|| "–".into(), |v| t.num(v, 1)),
            e.stock_last.map_or_else(|| "–".into(), |v| t.num(v, 1)),
        ));
        out.push_str(&chart::line(
            &e.stock,
            d.from_ms,
            d.to_ms,
            None,
            &fill(t.w.chart_stock, &[("unit", unit)]),
            &|v| t.num(v, 0),
        ));
    }
    if !e.consumption.is_empty() {
        out.push_str(&chart::line(
            &e.consumption,
            d.from_ms,
            d.to_ms,
            None,
            &fill(t.w.chart_consumption, &[("unit", unit)]),
            &|v| t.num(v, 1),
        ));
    }
    if e.refills.is_empty() {
        if !e.stock.is_empty() {
            out.push_str(&format!(
                "<p>{}</p>",
                t.w.no_refills
            ));
        }
    } else {
        out.push_str(&format!(
            "<p>{}:</p><ul class=\"refills\">",
            t.w.refills
        ));
        let tz = jiff::tz::TimeZone::get(&d.timezone).unwrap_or(jiff::tz::TimeZone::UTC);
        for r in &e.refills {
            out.push_str(&format!(
                "<li>{}: +{} {unit}</li>",
                esc(&local_minute_zone(r.time_ms, &tz)),
                t.num(r.amount, 0)
            ));
        }
        out.push_str("</ul>");
    }
    out.push_str("</div>");
}

const CSS: &str = "body{font-family:'DejaVu Sans',Arial,sans-serif;font-size:10.5pt;margin:1.5cm;color:#111}\
h1{font-size:18pt;margin:0 0 .3em}h2{font-size:13pt;border-bottom:1px solid #999;margin-top:1.2em}h3{font-size:11pt;margin:.8em 0 .3em}\
table{border-collapse:collapse;width:100%;margin:.3em 0;page-break-inside:avoid}th,td{border:1px solid #bbb;padding:3px 5px;text-align:left;vertical-align:top}\
th{background:#eee}td.num{text-align:right;white-space:nowrap}.meets{color:#176117;font-weight:bold}.fails{color:#b00;font-weight:bold}\
.model{color:#666;font-size:9pt}.chart{display:block;max-width:100%;height:auto;margin:.3em 0}.reserve{page-break-inside:avoid}\
.sig{display:inline-block;width:45%;margin:2.5em 4% 0 0;border-top:1px solid #333;padding-top:3px}\
@page{size:A4;margin:1.2cm}@media print{body{margin:0}h2{page-break-after:avoid}}";

/// Render the report as HTML.
pub fn render(d: &ReportData) -> String {
    let lang = Language::from_code(&d.lang).unwrap_or_default();
    let t = T { lang, w: Report::of(lang) };
    let cap = d.endurance_cap_h;
    let mut o = String::with_capacity(64 * 1024);
    o.push_str(&format!(
        "<!DOCTYPE html><html lang=\"{}\"><head><meta charset=\"utf-8\"><title>{} – {}</title><style>{CSS}</style></head><body>",
        d.lang,
        esc(&d.title),
        esc(&d.site_name)
    ));
    // Site and period.
    o.push_str(&format!("<section id=\"site\"><h1>{}</h1>", esc(&d.title)));
    o.push_str(&format!(
        "<table><tr><th>{}</th><td>{} ({})</td></tr><tr><th>{}</th><td data-key=\"site.from_ms\" data-value=\"{}\">{} – {}</td></tr><tr><th>{}</th><td>{}</td></tr><tr><th>{}</th><td>{}</td></tr></table></section>",
        t.w.site,
        esc(&d.site_name),
        esc(&d.site_id),
        t.w.period,
        d.from_ms,
        esc(&d.from_local),
        esc(&d.to_local),
        t.w.timezone,
        esc(&d.timezone),
        t.w.generated,
        esc(&d.generated_local)
    ));
    // Endurance per reserve and function.
    o.push_str(&format!(
        "<section id=\"endurance\"><h2>{}</h2>",
        t.w.endurance_heading
    ));
    o.push_str(&format!(
        "<p>{}</p>",
        t.w.endurance_intro
    ));
    o.push_str(&format!(
        "<p class=\"now\" data-key=\"now.at_ms\" data-value=\"{}\">{}</p>",
        d.now.at_ms,
        esc(&d.now.text)
    ));
    for r in &d.reserves {
        o.push_str(&format!(
            "<div class=\"reserve\" id=\"reserve-{}\"><h3>{} <small>({}, {})</small></h3>",
            esc(&r.id),
            esc(&r.name),
            esc(&r.system),
            esc(&r.id)
        ));
        o.push_str(&format!(
            "<p>{}</p>",
            fill(
                t.w.reserve_line,
                &[
                    ("capacity", t.num(r.capacity, 0)),
                    ("unusable", t.num(r.unusable, 0)),
                    ("unit", esc(&r.unit)),
                    ("target", t.hours(Some(r.target_h), cap)),
                    ("points", esc(&r.stock_points.join(", "))),
                ],
            )
        ));
        scenario_table(
            &t,
            &mut o,
            "reserve",
            &r.id,
            &r.unit,
            r.target_h,
            &r.scenarios,
            cap,
            false,
        );
        o.push_str(&format!(
            "<p class=\"model\">{}: {}</p></div>",
            t.w.models,
            esc(&r.models.join(" · "))
        ));
    }
    for f in &d.functions {
        o.push_str(&format!(
            "<div class=\"reserve\" id=\"function-{}\"><h3>{} <small>({}: {})</small></h3>",
            esc(&f.id),
            esc(&f.name),
            t.w.depends_on,
            esc(&f.depends_on.join(", "))
        ));
        scenario_table(
            &t,
            &mut o,
            "function",
            &f.id,
            "",
            f.target_h,
            &f.scenarios,
            cap,
            true,
        );
        o.push_str("</div>");
    }
    o.push_str("</section>");
    // Assumptions.
    o.push_str(&format!(
        "<section id=\"assumptions\"><h2>{}</h2><ul>{}</ul></section>",
        t.w.assumptions_heading,
        t.w.assumptions.map(|a| format!("<li>{a}</li>")).concat(),
    ));
    // Measured evidence.
    o.push_str(&format!(
        "<section id=\"evidence\"><h2>{}</h2>",
        t.w.evidence_heading
    ));
    for r in &d.reserves {
        o.push_str(&format!("<h3>{}</h3>", esc(&r.name)));
        evidence(&t, &mut o, d, &r.id, &r.unit, r.target_h, &r.evidence);
    }
    for f in &d.functions {
        o.push_str(&format!("<h3>{}</h3>", esc(&f.name)));
        evidence(&t, &mut o, d, &f.id, "", f.target_h, &f.evidence);
    }
    o.push_str("</section>");
    // Coverage.
    o.push_str(&format!(
        "<section id=\"coverage\"><h2>{}</h2><p>{}</p><table><thead><tr><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        t.w.coverage_heading,
        t.w.coverage_intro,
        t.w.coverage_columns[0],
        t.w.coverage_columns[1],
        t.w.coverage_columns[2]
    ));
    for c in &d.coverage {
        o.push_str(&format!(
            "<tr><td>{}</td><td>{}</td>",
            esc(&c.point),
            esc(&c.name)
        ));
        o.push_str(&cell(
            &format!("coverage.{}.share", c.point),
            Some(c.share),
            &format!("{} %", t.num(c.share * 100.0, 1)),
        ));
        o.push_str("</tr>");
    }
    o.push_str("</tbody></table></section>");
    // Alarms.
    o.push_str(&format!(
        "<section id=\"alarms\"><h2>{}</h2>",
        t.w.alarms_heading
    ));
    if d.alarms.is_empty() {
        o.push_str(&format!("<p>{}</p>", t.w.no_alarms));
    } else {
        o.push_str(&format!(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
            t.w.alarm_columns[0],
            t.w.alarm_columns[1],
            t.w.alarm_columns[2],
            t.w.alarm_columns[3]
        ));
        for a in &d.alarms {
            o.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td data-code=\"{}\">{}</td><td>{}</td></tr>",
                esc(&a.time_local),
                esc(&a.alarm),
                esc(&a.code),
                esc(&a.event),
                esc(&a.text)
            ));
        }
        o.push_str("</tbody></table>");
    }
    o.push_str("</section>");
    // Nulägesanalys / målbild / gapanalys.
    o.push_str(&format!(
        "<section id=\"assessment\"><h2>{}</h2>",
        t.w.assessment_heading
    ));
    if d.assessment_columns.is_empty() {
        o.push_str(&format!(
            "<p>{}</p>",
            t.w.no_columns
        ));
    } else {
        o.push_str(&format!(
            "<table><thead><tr><th>{}</th>",
            t.w.supply_system
        ));
        for c in &d.assessment_columns {
            o.push_str(&format!("<th>{}</th>", esc(c)));
        }
        o.push_str("</tr></thead><tbody>");
        for r in &d.assessment {
            o.push_str(&format!("<tr><td>{}</td>", esc(&r.system)));
            for c in &r.cells {
                o.push_str(&format!("<td>{}</td>", esc(c)));
            }
            o.push_str("</tr>");
        }
        o.push_str("</tbody></table>");
    }
    o.push_str("</section>");
    // Signatures.
    o.push_str(&format!(
        "<section id=\"signatures\"><h2>{}</h2>",
        t.w.signatures_heading
    ));
    for s in &d.signatures {
        o.push_str(&format!(
            "<div class=\"sig\">{}<br>{}</div>",
            esc(s),
            t.w.name_date
        ));
    }
    o.push_str("</section></body></html>\n");
    o
}
