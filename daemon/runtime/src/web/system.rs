//! `GET /system/{id}?span=1h|24h|7d`: one system — every point of it with its live value (shown
//! as the overview shows it: quality as such, stale values said to be stale with their age), its
//! active alarms (the console's rows) and a trend chart per point from the store over the last
//! hour, day (default) or week ([`super::trend`]: gaps named and never bridged, at most about 300
//! points a chart). The store is opened read-only per request, off the async threads.

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use driftvakt_config::model::{Config, Device, Language, Point, PointKind, RuleKind, System};
use driftvakt_domain::alarm::AlarmRecord;
use driftvakt_domain::clock::{Clock, SystemClock};
use driftvakt_domain::fmt::{self, local_hms, measured, number};
use driftvakt_domain::text::alarm::Alarms;
use driftvakt_domain::text::fill;
use driftvakt_domain::text::trends::Trends;
use driftvakt_domain::text::web::Web;
use driftvakt_store::Store;
use jiff::tz::TimeZone;

use super::alarms::{order, row};
use super::lang::{PageLang, param};
use super::overview::{ValueView, systems_of, value_html};
use super::page::{self, Nav, esc};
use super::state::WebState;
use super::trend::{Series, Span, load};
use super::viewer::Viewer;
use crate::chart::{GapKind, Trend, trend};
use crate::plant_status::{point_status, stale_after_ms};

/// Gaps listed in words under a chart (the rest counted).
const GAPS_LISTED: usize = 5;

/// Whether `p`'s values can be drawn (numbers, binary and multistate codes; not text).
fn chartable(p: &Point) -> bool {
    !matches!(p.kind(), PointKind::Text)
}

/// `ms` as the site's local time in `format` (strftime); empty out of range.
fn local(ms: i64, tz: &TimeZone, format: &str) -> String {
    fmt::local(ms, tz, format).unwrap_or_default()
}

/// How a time reads on `span`'s charts.
fn time_format(span: Span) -> &'static str {
    match span {
        Span::Hour | Span::Day => "%H:%M",
        Span::Week => "%-d/%-m %H:%M",
    }
}

/// The x axis's captions of `span` ending at `now_ms`.
fn ticks(span: Span, now_ms: i64, tz: &TimeZone) -> Vec<(i64, String)> {
    let n = if span == Span::Week { 3 } else { 4 };
    let from = now_ms - span.ms();
    (0..=n).map(|i| from + span.ms() * i / n).map(|t| (t, local(t, tz, time_format(span)))).collect()
}

/// Point `p`'s alarm limits as (limit, caption), in configuration order.
fn limits(config: &Config, p: &Point, lang: Language) -> Vec<(f64, String)> {
    let t = Trends::of(lang);
    config
        .alarms
        .rules
        .iter()
        .filter(|r| r.point == p.id)
        .filter_map(|r| match r.kind {
            RuleKind::Limit { level, limit, .. } => Some((limit, fill(t.limit_caption, &[("level", level.key().to_uppercase()), ("limit", number(limit, 1, lang))]))),
            _ => None,
        })
        .collect()
}

/// One point's chart with its caption (what was drawn, the gaps in words).
fn chart_html(p: &Point, series: &Series, limits: &[(f64, String)], span: Span, now_ms: i64, tz: &TimeZone, lang: Language) -> String {
    let t = Trends::of(lang);
    let ticks = ticks(span, now_ms, tz);
    let period = format!("{}–{}", ticks.first().map_or("", |t| t.1.as_str()), ticks.last().map_or("", |t| t.1.as_str()));
    let value = |v: f64| measured(v, &p.unit, lang);
    let title = match (series.min, series.max, series.last) {
        (Some(min), Some(max), Some((_, last))) => fill(
            t.chart_summary,
            &[("point", p.name.as_str()), ("period", &period), ("min", &value(min)), ("max", &value(max)), ("last", &value(last))],
        ),
        _ => fill(t.chart_empty, &[("point", p.name.as_str()), ("period", &period)]),
    };
    let svg = trend(
        &Trend { runs: &series.runs, gaps: &series.gaps, from_ms: now_ms - span.ms(), to_ms: now_ms, limits, ticks: &ticks, gap_words: (t.no_data, t.bad_quality), title: &title },
        &|v| number(v, if (series.max.unwrap_or(0.0) - series.min.unwrap_or(0.0)).abs() >= 10.0 { 0 } else { 1 }, lang),
    );
    let mut note = fill(t.chart_drawn, &[("readings", series.samples), ("points", series.drawn())]);
    if !series.gaps.is_empty() {
        let fmt = time_format(span);
        let mut list: Vec<String> = series
            .gaps
            .iter()
            .take(GAPS_LISTED)
            .map(|g| {
                let what = if g.kind == GapKind::NoData { t.no_data } else { t.bad_quality };
                fill(t.gap_item, &[("what", what), ("from", &local(g.from_ms, tz, fmt)), ("to", &local(g.to_ms, tz, fmt))])
            })
            .collect();
        if series.gaps.len() > GAPS_LISTED {
            list.push(fill(t.gaps_more, &[("n", series.gaps.len() - GAPS_LISTED)]));
        }
        note.push_str(". ");
        note.push_str(&fill(t.chart_gaps, &[("list", list.join(", "))]));
    }
    format!("{svg}<figcaption>{}</figcaption>", esc(&note))
}

/// The system's points in configuration order.
fn points_of(config: &Config, system: System) -> Vec<(&Device, &Point)> {
    config.points().filter(|(_, p)| p.system == system).collect()
}

/// Most threads one page reads the store with.
const READERS: usize = 4;

/// Every chartable point's trend (`points`: id and stale limit), read from the store in
/// `data_dir`: decoding a day of raw readings per point is the page's cost, so the points are
/// shared among up to [`READERS`] threads, each with its own read-only snapshot.
fn read_trends(data_dir: &std::path::Path, points: &[(String, i64)], span: Span, now_ms: i64) -> Result<Vec<Series>, String> {
    let threads = std::thread::available_parallelism().map_or(1, usize::from).clamp(1, READERS);
    let per = points.len().div_ceil(threads).max(1);
    let read = |part: &[(String, i64)]| -> Result<Vec<Series>, String> {
        let store = Store::open_read_only(data_dir).map_err(|e| e.to_string())?;
        part.iter().map(|(id, stale)| load(&store, id, span, now_ms, *stale).map_err(|e| e.to_string())).collect()
    };
    std::thread::scope(|scope| {
        let handles: Vec<_> = points.chunks(per).map(|part| scope.spawn(move || read(part))).collect();
        let mut out = Vec::with_capacity(points.len());
        for h in handles {
            out.extend(h.join().map_err(|_| "a store reader panicked".to_string())??);
        }
        Ok(out)
    })
}

/// The page's `<main>`: points, alarms, trends (`trends`: per chartable point in order, or why
/// they could not be read).
fn render(s: &WebState, system: System, span: Span, alarms: Option<&[AlarmRecord]>, trends: &Result<Vec<Series>, String>, now_ms: i64, lang: Language) -> String {
    let (t, w) = (Trends::of(lang), Web::of(lang));
    let points = points_of(&s.config, system);
    let mut h = format!("<main id=\"main\" class=\"system-page\"><h1>{}</h1><p class=\"asof\" data-k=\"asof\" data-t=\"{now_ms}\">{}</p>", esc(system.label(lang)), esc(&fill(w.as_of, &[("time", local_hms(now_ms, &s.tz))])));
    // Points and their values, device by device, as the overview's cards list them.
    h.push_str(&format!("\n<section aria-labelledby=\"h-points\"><h2 id=\"h-points\">{}</h2>", esc(t.points)));
    let mut device: Option<&str> = None;
    for (d, p) in &points {
        if device != Some(d.id.as_str()) {
            if device.is_some() {
                h.push_str("</dl>");
            }
            device = Some(&d.id);
            h.push_str(&format!("<h3>{} <span class=\"unit\">{}</span></h3><dl class=\"values points\">", esc(&d.name), esc(&d.id)));
        }
        let st = point_status(p, &p.name, s.live.get(&p.id).as_ref(), now_ms, stale_after_ms(d), lang);
        let v = ValueView { k: format!("pt:{}", p.id), label: p.name.clone(), text: st.text, cls: st.shown.key(), at: st.time_ms, after: st.stale_after_ms };
        h.push_str(&format!("<div><dt><a href=\"#trend-{}\">{}</a></dt>{}</div>", esc(&p.id), esc(&p.name), value_html("dd", &v, now_ms, lang)));
    }
    if device.is_some() {
        h.push_str("</dl>");
    }
    h.push_str("</section>");
    // Active alarms.
    h.push_str(&format!("\n<section aria-labelledby=\"h-alarms\"><h2 id=\"h-alarms\">{}</h2>", esc(t.active_alarms)));
    match alarms {
        None => h.push_str(&format!("<p>{}</p>", esc(w.alarms_unknown))),
        Some(list) => {
            let mine: Vec<AlarmRecord> = list.iter().filter(|a| a.system == system.key() && a.state.is_active()).cloned().collect();
            if mine.is_empty() {
                h.push_str(&format!("<p class=\"count\">{}</p>", esc(w.system_no_alarms)));
            } else {
                let head: String = Alarms::of(lang).columns.iter().map(|c| format!("<th scope=\"col\">{}</th>", esc(c))).collect();
                let rows: String = order(&mine, now_ms).into_iter().map(|a| row(a, now_ms, &s.tz, lang)).collect();
                h.push_str(&format!("<table class=\"alarms cards\"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"));
            }
        }
    }
    h.push_str("</section>");
    // Trends.
    h.push_str(&format!("\n<section aria-labelledby=\"h-trends\"><h2 id=\"h-trends\">{}</h2><nav class=\"spans\" aria-label=\"{}\"><ul>", esc(t.trends), esc(t.span_label)));
    for sp in Span::ALL {
        let label = match sp {
            Span::Hour => t.span_1h,
            Span::Day => t.span_24h,
            Span::Week => t.span_7d,
        };
        let here = if sp == span { " aria-current=\"page\"" } else { "" };
        h.push_str(&format!("<li><a href=\"/system/{}?span={}\"{here}>{}</a></li>", esc(system.key()), sp.key(), esc(label)));
    }
    h.push_str("</ul></nav>");
    if let Err(e) = trends {
        h.push_str(&format!("<p class=\"error\" role=\"status\">{}</p>", esc(&fill(t.store_unreadable, &[("error", e)]))));
    }
    let mut series = trends.as_ref().ok().map(|v| v.iter());
    for (_, p) in &points {
        h.push_str(&format!(
            "\n<figure class=\"trend\" id=\"trend-{id}\" data-point=\"{id}\"><h3>{name} <span class=\"unit\">{unit} · <code>{id}</code></span></h3>",
            id = esc(&p.id),
            name = esc(&p.name),
            unit = esc(&p.unit),
        ));
        if !chartable(p) {
            h.push_str(&format!("<p class=\"none\">{}</p>", esc(t.no_chart_text)));
        } else if let Some(one) = series.as_mut().and_then(Iterator::next) {
            h.push_str(&chart_html(p, one, &limits(&s.config, p, lang), span, now_ms, &s.tz, lang));
        }
        h.push_str("</figure>");
    }
    h.push_str("</section></main>");
    h
}

/// `GET /system/{id}`.
pub(super) async fn page(viewer: Viewer, lang: PageLang, Path(id): Path<String>, RawQuery(query): RawQuery, State(s): State<WebState>) -> Response {
    let l = lang.lang;
    let (t, w) = (Trends::of(l), Web::of(l));
    let Some(system) = System::from_key(&id).filter(|sys| systems_of(&s.config).contains(sys)) else {
        let msg = fill(t.unknown_system, &[("id", id.as_str())]);
        let body = format!("<main id=\"main\"><h1>{}</h1><p>{}</p><p><a href=\"/\">{}</a></p></main>", esc(w.overview), esc(&msg), esc(w.overview));
        let html = page::shell(&lang, &viewer, &s.config.site.name, &msg, Some(Nav::Overview), &body, None);
        return (StatusCode::NOT_FOUND, page::respond(&lang, html)).into_response();
    };
    let span = Span::of(query.as_deref().and_then(|q| param(q, "span")));
    let now = SystemClock.now_ms();
    let alarms = s.alarms.list().await.ok();
    let wanted: Vec<(String, i64)> = points_of(&s.config, system).into_iter().filter(|(_, p)| chartable(p)).map(|(d, p)| (p.id.clone(), stale_after_ms(d))).collect();
    let dir = s.data_dir.clone();
    let trends = tokio::task::spawn_blocking(move || read_trends(&dir, &wanted, span, now)).await.unwrap_or_else(|e| Err(e.to_string()));
    let main = render(&s, system, span, alarms.as_deref(), &trends, now, l);
    page::respond(&lang, page::shell(&lang, &viewer, &s.config.site.name, system.label(l), Some(Nav::Overview), &main, Some(&local_hms(now, &s.tz))))
}
