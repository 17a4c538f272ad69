//! The report of one run as a self-contained HTML page (inline CSS and SVG, no scripts) that
//! prints on A4. Every figure carries `data-key`/`data-value` with the exact value, named as
//! the CSV names it (`section.id.unit.key`), so a reader or a test can check it against the
//! JSON and CSV. Verdicts are words with a symbol, never colour alone.

use driftvakt_config::model::Language;
use driftvakt_domain::exercise::Verdict;
use driftvakt_domain::fmt::number;
use driftvakt_domain::text::exercise::Exercise;
use driftvakt_domain::text::fill;

use super::chart::{Chart, line};
use super::words::{duration, figure};
use super::{ChartSeries, ReportData};

/// HTML-escaped.
pub(super) fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The `data-key` of a figure: `section.id.unit.key` (the CSV's first four columns).
pub(super) fn key(section: &str, id: &str, unit: &str, name: &str) -> String {
    format!("{section}.{id}.{unit}.{name}")
}

/// An element carrying a figure.
fn fig(tag: &str, class: &str, k: &str, value: &str, shown: &str) -> String {
    format!("<{tag} class=\"{class}\" data-key=\"{}\" data-value=\"{}\">{}</{tag}>", esc(k), esc(value), esc(shown))
}

fn opt(v: Option<f64>) -> String {
    v.map_or_else(String::new, |v| v.to_string())
}

/// A verdict: words and symbol, the class only adds colour.
fn verdict_cell(k: &str, v: Verdict, label: &str, sym: &str) -> String {
    format!(
        "<td class=\"verdict {0}\" data-key=\"{1}\" data-value=\"{0}\">{2} {3}</td>",
        v.key(),
        esc(k),
        esc(sym),
        esc(label)
    )
}

/// Shared by the run report and the run history.
pub(super) const CSS: &str = "body{font-family:'DejaVu Sans',Arial,sans-serif;font-size:10pt;margin:1.5cm;color:#111}\
h1{font-size:17pt;margin:0 0 .3em}h2{font-size:12.5pt;border-bottom:1px solid #999;margin-top:1.1em}\
table{border-collapse:collapse;width:100%;margin:.3em 0}tr{page-break-inside:avoid}th,td{border:1px solid #bbb;padding:2px 4px;text-align:left;vertical-align:top}\
th{background:#eee}td.num{text-align:right;white-space:nowrap}.verdict{font-weight:bold;white-space:nowrap}.pass{color:#176117}.fail{color:#b00}\
.overall{font-size:16pt;font-weight:bold;border:2px solid #333;padding:.3em .6em;display:inline-block;margin:.4em 0}\
.note{color:#444;font-size:9pt}.chart{display:block;max-width:100%;height:auto;margin:.2em 0;page-break-inside:avoid}\
.sig{display:inline-block;width:45%;margin:2.5em 4% 0 0;border-top:1px solid #333;padding-top:3px}\
footer{margin-top:1.5em;border-top:1px solid #999;font-size:8.5pt;color:#333}\
@page{size:A4;margin:1.2cm}@media print{body{margin:0}h2{page-break-after:avoid}}";

/// The chart of one series.
fn chart(d: &ReportData, c: &ChartSeries, w: &Exercise, lang: Language) -> String {
    let mut marks = vec![(d.run.started_ms, w.started.to_string())];
    if let Some(s) = d.run.stopped_ms {
        marks.push((s, w.stopped.to_string()));
    }
    let tz = jiff::tz::TimeZone::get(&d.timezone).unwrap_or(jiff::tz::TimeZone::UTC);
    let (a, b) = (
        driftvakt_domain::fmt::local_hms(d.window.from_ms, &tz),
        driftvakt_domain::fmt::local_hms(d.window.to_ms, &tz),
    );
    let decimals = if c.kind == "frequency_hz" { 2 } else { 1 };
    line(
        &Chart {
            series: &c.points,
            from_ms: d.window.from_ms,
            to_ms: d.window.to_ms,
            band: (c.low, c.high),
            marks: &marks,
            label: &c.label,
            x_labels: (&a, &b),
        },
        &|v| number(v, decimals, lang),
    )
}

/// Render the report of one run as HTML.
pub fn render(d: &ReportData) -> String {
    let lang = Language::from_code(&d.lang).unwrap_or_default();
    let w = Exercise::of(lang);
    let mut o = String::with_capacity(64 * 1024);
    o.push_str(&format!(
        "<!DOCTYPE html><html lang=\"{}\"><head><meta charset=\"utf-8\"><title>{} – {}</title><style>{CSS}</style></head><body>",
        esc(&d.lang),
        esc(&d.title),
        esc(&d.run.name)
    ));

    // The run's facts.
    let r = &d.run;
    o.push_str(&format!("<section id=\"run\"><h1>{}</h1><table>", esc(&d.title)));
    let row = |o: &mut String, th: &str, td: String| o.push_str(&format!("<tr><th>{}</th>{td}</tr>", esc(th)));
    row(&mut o, w.site, format!("<td>{} ({})</td>", esc(&d.site_name), esc(&d.site_id)));
    row(&mut o, w.name, format!("<td>{}</td>", esc(&r.name)));
    row(&mut o, w.kind, fig("td", "", &key("run", &r.id.to_string(), "", "kind"), r.kind, &r.kind_label));
    row(&mut o, w.id, format!("<td>{}</td>", r.id));
    row(&mut o, w.started, fig("td", "", &key("run", &r.id.to_string(), "", "started_ms"), &r.started_ms.to_string(), &r.started_local));
    row(&mut o, w.started_by, format!("<td>{}</td>", esc(&r.started_by)));
    row(&mut o, w.stopped, fig("td", "", &key("run", &r.id.to_string(), "", "stopped_ms"), &r.stopped_ms.map_or_else(String::new, |s| s.to_string()), &r.stopped_local));
    row(&mut o, w.stopped_by, format!("<td>{}</td>", esc(r.stopped_by.as_deref().unwrap_or("–"))));
    row(&mut o, w.duration, fig("td", "", &key("run", &r.id.to_string(), "", "duration_ms"), &r.duration_ms.to_string(), &duration(r.duration_ms, lang)));
    row(&mut o, w.timezone, format!("<td>{}</td>", esc(&d.timezone)));
    row(&mut o, w.generated, format!("<td>{}</td>", esc(&d.generated_local)));
    o.push_str("</table></section>");

    // The overall verdict, big and in words.
    o.push_str(&format!(
        "<section id=\"verdict\"><h2>{}</h2><p class=\"overall verdict {}\" data-key=\"{}\" data-value=\"{}\">{} {}</p></section>",
        w.overall,
        d.verdict.key(),
        esc(&key("run", &r.id.to_string(), "", "verdict")),
        d.verdict.key(),
        super::words::symbol(d.verdict),
        esc(&d.verdict_label)
    ));

    // Timeline.
    o.push_str(&format!("<section id=\"timeline\"><h2>{}</h2>", w.timeline_heading));
    if d.events.is_empty() {
        o.push_str(&format!("<p>{}</p>", w.no_events));
    } else {
        o.push_str("<table><thead><tr>");
        for c in w.timeline_columns {
            o.push_str(&format!("<th>{c}</th>"));
        }
        o.push_str("</tr></thead><tbody>");
        for (i, e) in d.events.iter().enumerate() {
            let ev = &e.event;
            let unit = e.unit_name.clone().or_else(|| ev.unit.clone()).unwrap_or_default();
            o.push_str(&format!(
                "<tr data-event=\"{}\">{}<td>{}</td><td>{}</td><td>{}</td>{}</tr>",
                ev.kind.key(),
                fig("td", "num", &key("event", &i.to_string(), ev.unit.as_deref().unwrap_or(""), "at_ms"), &ev.at_ms.to_string(), &e.at_local),
                esc(&e.label),
                esc(&unit),
                esc(&ev.point),
                fig("td", "", &key("event", &i.to_string(), ev.unit.as_deref().unwrap_or(""), "resolution_ms"), &ev.resolution_ms.to_string(), &e.timing_label),
            ));
        }
        o.push_str("</tbody></table>");
    }
    o.push_str(&format!("<p class=\"note\">{}</p></section>", w.timing_intro));

    // Figures and criteria.
    o.push_str(&format!("<section id=\"kpis\"><h2>{}</h2><table><thead><tr>", w.kpi_heading));
    for c in w.kpi_columns {
        o.push_str(&format!("<th>{c}</th>"));
    }
    o.push_str("</tr></thead><tbody>");
    for k in &d.kpis {
        let unit = k.kpi.unit.as_deref().unwrap_or("");
        let kk = |name: &str| key("kpi", k.kpi.key, unit, name);
        o.push_str(&format!(
            "<tr><td>{}</td><td>{}</td>{}{}{}<td>{}</td><td>{}</td>{}</tr>",
            esc(&k.label),
            esc(k.unit_name.as_deref().unwrap_or(unit)),
            fig("td", "num", &kk("value"), &opt(k.kpi.value), &k.value_text),
            fig("td", "num", &kk("resolution"), &opt(k.kpi.resolution), k.resolution_text.as_deref().unwrap_or("")),
            fig("td", "num", &kk("limit"), &opt(k.kpi.limit), &k.limit_text),
            esc(k.reference_label.as_deref().unwrap_or("")),
            esc(k.timing_label.as_deref().unwrap_or("")),
            verdict_cell(&kk("verdict"), k.kpi.verdict, &k.verdict_label, k.verdict_symbol),
        ));
    }
    o.push_str("</tbody></table></section>");

    // Charts.
    o.push_str(&format!("<section id=\"charts\"><h2>{}</h2>", w.charts_heading));
    for c in &d.charts {
        if c.points.is_empty() {
            o.push_str(&format!("<p class=\"note\">{}: {}</p>", esc(&c.label), w.not_measured_value));
        } else {
            o.push_str(&chart(d, c, w, lang));
        }
    }
    o.push_str("</section>");

    // Watched points.
    o.push_str(&format!("<section id=\"watched\"><h2>{}</h2>", w.watched_heading));
    if d.watched.is_empty() {
        o.push_str(&format!("<p>{}</p>", w.no_watched));
    } else {
        o.push_str("<table><thead><tr>");
        for c in w.watched_columns {
            o.push_str(&format!("<th>{c}</th>"));
        }
        o.push_str("</tr></thead><tbody>");
        for wr in &d.watched {
            let res = &wr.result;
            let kk = |name: &str| key("watched", &res.point, "", name);
            let val = |v: Option<f64>| v.map_or_else(|| w.not_measured_value.to_string(), |v| figure(v, &wr.unit, lang));
            let band = match (res.low, res.high) {
                (Some(l), Some(h)) => fill(w.band, &[("low", val(Some(l))), ("high", val(Some(h)))]),
                (Some(l), None) => fill(w.band_low, &[("low", val(Some(l)))]),
                (None, Some(h)) => fill(w.band_high, &[("high", val(Some(h)))]),
                (None, None) => w.not_measured_value.to_string(),
            };
            o.push_str(&format!(
                "<tr><td>{} <span class=\"note\">({})</span></td><td>{}</td>{}{}{}{}{}<td class=\"num\">{}</td>{}</tr>",
                esc(&wr.name),
                esc(&res.point),
                esc(&band),
                fig("td", "num", &kk("min"), &opt(res.min), &val(res.min)),
                fig("td", "num", &kk("max"), &opt(res.max), &val(res.max)),
                fig("td", "num", &kk("worst_deviation"), &res.worst_deviation.to_string(), &val(Some(res.worst_deviation))),
                fig("td", "num", &kk("outside_ms"), &res.outside_ms.to_string(), &duration(res.outside_ms, lang)),
                fig("td", "num", &kk("first_outside_ms"), &res.first_outside_ms.map_or_else(String::new, |t| t.to_string()), wr.first_outside_local.as_deref().unwrap_or("–")),
                esc(&duration(wr.max_outside_ms, lang)),
                verdict_cell(&kk("verdict"), res.verdict, &wr.verdict_label, wr.verdict_symbol),
            ));
        }
        o.push_str("</tbody></table>");
    }
    o.push_str("</section>");

    // Alarms.
    o.push_str(&format!("<section id=\"alarms\"><h2>{}</h2>", w.alarms_heading));
    if d.alarms.is_empty() {
        o.push_str(&format!("<p>{}</p>", w.no_alarms));
    } else {
        o.push_str("<table><thead><tr>");
        for c in w.alarm_columns {
            o.push_str(&format!("<th>{c}</th>"));
        }
        o.push_str("</tr></thead><tbody>");
        for a in &d.alarms {
            let (exp_key, exp) = match a.expected {
                Some(true) => ("1", w.expected),
                Some(false) => ("0", w.unexpected),
                None => ("", w.not_measured_value),
            };
            o.push_str(&format!(
                "<tr><td class=\"num\" data-key=\"{}\" data-value=\"{}\">{}</td><td>{}</td><td data-code=\"{}\">{}</td><td data-key=\"{}\" data-value=\"{exp_key}\">{}</td><td>{}</td></tr>",
                esc(&key("alarm", &a.alarm, "", &a.code)),
                a.time_ms,
                esc(&a.time_local),
                esc(&a.alarm),
                esc(&a.code),
                esc(&a.event),
                esc(&key("alarm", &a.alarm, "", &format!("{}.expected", a.code))),
                esc(exp),
                esc(&a.text),
            ));
        }
        o.push_str("</tbody></table>");
    }
    o.push_str("</section>");

    // Observations.
    o.push_str(&format!("<section id=\"observations\"><h2>{}</h2>", w.observations_heading));
    if d.notes.is_empty() {
        o.push_str(&format!("<p>{}</p>", w.no_notes));
    } else {
        o.push_str("<table><thead><tr>");
        for c in w.note_columns {
            o.push_str(&format!("<th>{c}</th>"));
        }
        o.push_str("</tr></thead><tbody>");
        for n in &d.notes {
            o.push_str(&format!(
                "<tr><td class=\"num\">{}</td><td>{}</td><td>{}</td></tr>",
                esc(&n.at_local),
                esc(&n.by),
                esc(&n.text)
            ));
        }
        o.push_str("</tbody></table>");
    }
    o.push_str("</section>");

    // Missing data.
    o.push_str(&format!("<section id=\"coverage\"><h2>{}</h2>", w.coverage_heading));
    if d.missing.is_empty() {
        o.push_str(&format!("<p>{}</p>", w.no_gaps));
    } else {
        o.push_str("<table><thead><tr>");
        for c in w.coverage_columns {
            o.push_str(&format!("<th>{c}</th>"));
        }
        o.push_str("</tr></thead><tbody>");
        for m in &d.missing {
            o.push_str(&format!(
                "<tr><td>{} <span class=\"note\">({})</span></td>{}</tr>",
                esc(&m.name),
                esc(&m.point),
                fig("td", "num", &key("missing", &m.point, "", "missing_ms"), &m.missing_ms.to_string(), &duration(m.missing_ms, lang)),
            ));
        }
        o.push_str("</tbody></table>");
    }
    o.push_str("</section>");

    // Signatures.
    o.push_str(&format!("<section id=\"signatures\"><h2>{}</h2>", w.signatures_heading));
    for s in &d.signatures {
        o.push_str(&format!("<div class=\"sig\">{}<br>{}</div>", esc(s), w.name_date));
    }
    o.push_str("</section>");

    // Footer: the site and where every figure comes from.
    o.push_str(&format!(
        "<footer id=\"sources\"><p>{} ({}) · {} · {}</p><p>{}</p><ul>",
        esc(&d.site_name),
        esc(&d.site_id),
        esc(&d.title),
        esc(&d.generated_local),
        esc(&fill(w.sources_intro, &[("lead", duration(d.run.started_ms - d.window.from_ms, lang))])),
    ));
    for s in &d.sources {
        o.push_str(&format!(
            "<li>{}{}: {} <span data-key=\"{}\" data-value=\"{}\">({})</span></li>",
            esc(s.role),
            s.unit.as_deref().map_or_else(String::new, |u| format!(" [{}]", esc(u))),
            esc(&s.point),
            esc(&key("source", &s.point, s.unit.as_deref().unwrap_or(""), s.role)),
            s.readings,
            esc(&fill(w.readings, &[("count", driftvakt_domain::fmt::count(s.readings as u64, lang))])),
        ));
    }
    o.push_str("</ul></footer></body></html>\n");
    o
}
