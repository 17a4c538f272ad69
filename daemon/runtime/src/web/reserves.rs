//! `GET /reserver`: every reserve and function with its endurance now against its målbild — the
//! overview's bar, figure, verdict and limiting link (the same [`super::overview::model`], the
//! same `data-k` keys, so the live frames of `/web/live` tick them here too) — and what it is
//! computed from: the stock (each stock point's value, stale or bad as such), the consumption
//! (usable stock ÷ endurance), the load points and the model; a function's dependencies.

use axum::extract::State;
use axum::response::Response;
use driftvakt_config::model::{Config, ENDURANCE_CAP_H, Function, Language, Reserve};
use driftvakt_domain::clock::{Clock, SystemClock};
use driftvakt_domain::endurance::usable;
use driftvakt_domain::fmt::measured;
use driftvakt_domain::text::fill;
use driftvakt_domain::text::screen::hours;
use driftvakt_domain::text::trends::Trends;
use driftvakt_domain::text::web::Web;
use driftvakt_domain::{Quality, Value};

use super::lang::PageLang;
use super::overview::{EnduranceView, ValueView, endurance_item, model, value_html};
use super::page::{self, Nav, esc};
use super::state::WebState;
use super::viewer::Viewer;
use crate::pipeline::Live;
use crate::plant_status::{point_status, stale_after_ms};

/// A configured point's live value as the overview shows it (`pt:<id>`), or the id said to be
/// missing.
fn point_value(config: &Config, live: &Live, id: &str, now_ms: i64, lang: Language) -> String {
    let Some((d, p)) = config.point(id) else {
        return esc(&fill(Trends::of(lang).missing_point, &[("id", id)])).into_owned();
    };
    let st = point_status(p, &p.name, live.get(id).as_ref(), now_ms, stale_after_ms(d), lang);
    let v = ValueView { k: format!("pt:{id}"), label: p.name.clone(), text: st.text, cls: st.shown.key(), at: st.time_ms, after: st.stale_after_ms };
    format!("<span class=\"pname\">{} ({})</span> {}", esc(&p.name), esc(&d.id), value_html("span", &v, now_ms, lang))
}

/// The good value of `id` now, if it has one.
fn good(live: &Live, id: &str) -> Option<f64> {
    live.get(id).filter(|r| r.quality == Quality::Good).and_then(|r| r.value.as_ref().and_then(Value::as_f64))
}

/// A `<div><dt>…</dt><dd>…</dd></div>` row (`dd` already HTML).
fn fact(term: &str, dd: &str) -> String {
    format!("<div><dt>{}</dt><dd>{dd}</dd></div>", esc(term))
}

/// What reserve `r`'s figure is computed from, as `<dl>` rows.
fn reserve_facts(config: &Config, live: &Live, r: &Reserve, hours_now: Option<f64>, now_ms: i64, lang: Language) -> String {
    let t = Trends::of(lang);
    let mut h = fact(t.target, &esc(&hours(Some(r.target_h), ENDURANCE_CAP_H, lang)));
    let stock: Option<f64> = r.stock.iter().map(|p| good(live, p)).sum();
    let stock_text = match stock {
        Some(s) => fill(
            t.stock_of,
            &[("stock", measured(s, &r.unit, lang)), ("capacity", measured(r.capacity, &r.unit, lang)), ("usable", measured(usable(r, s), &r.unit, lang))],
        ),
        None => t.unknown.to_string(),
    };
    h.push_str(&fact(t.stock, &esc(&stock_text)));
    let points: Vec<String> = r.stock.iter().map(|p| point_value(config, live, p, now_ms, lang)).collect();
    h.push_str(&fact(t.stock_points, &points.join("<br>")));
    if !r.is_runtime() {
        let draw = match (stock, hours_now) {
            (_, Some(hh)) if hh >= ENDURANCE_CAP_H => t.draw_none.to_string(),
            (Some(s), Some(hh)) if hh > 0.0 => fill(t.draw_rate, &[("rate", measured(usable(r, s) / hh, &r.unit, lang))]),
            _ => t.unknown.to_string(),
        };
        h.push_str(&fact(t.draw, &esc(&draw)));
    }
    if let Some(m) = &r.consumption.load {
        let loads: Vec<String> = m.points.iter().map(|p| point_value(config, live, p, now_ms, lang)).collect();
        h.push_str(&fact(t.load_points, &loads.join("<br>")));
    }
    // The model the figure comes from, in the order the domain's `reserve_figure` tries them.
    let c = &r.consumption;
    let loads_known = c.load.as_ref().is_some_and(|m| m.points.iter().all(|p| good(live, p).is_some()));
    let model = if r.is_runtime() {
        t.model_runtime
    } else if loads_known {
        t.model_load
    } else if c.measured.is_some() {
        t.model_measured
    } else if c.planning.is_some() {
        t.model_planning
    } else {
        t.unknown
    };
    h.push_str(&fact(t.model, &esc(model)));
    h
}

/// A function's dependencies with their figures.
fn function_facts(f: &Function, end: &[EnduranceView], lang: Language) -> String {
    let t = Trends::of(lang);
    let mut h = fact(t.target, &esc(&hours(Some(f.target_h), ENDURANCE_CAP_H, lang)));
    let deps: Vec<String> = f
        .depends_on
        .iter()
        .map(|id| match end.iter().find(|e| e.k == *id) {
            Some(e) => format!("{}: {}", esc(&e.figure.label), esc(&e.figure.text)),
            None => esc(id).into_owned(),
        })
        .collect();
    h.push_str(&fact(t.depends_on, &deps.join("<br>")));
    h
}

/// The page's `<main>` at `now_ms`.
fn render(config: &Config, live: &Live, end: &[EnduranceView], now_ms: i64, asof: &str, lang: Language) -> String {
    let t = Trends::of(lang);
    let mut h = format!(
        "<main id=\"main\" class=\"reserves\"><h1>{}</h1><p class=\"asof\" data-k=\"asof\" data-t=\"{now_ms}\">{}</p><p>{}</p>",
        esc(t.reserves_heading),
        esc(asof),
        esc(t.reserves_lead)
    );
    if end.is_empty() {
        h.push_str(&format!("<p class=\"none\">{}</p></main>", esc(t.none_configured)));
        return h;
    }
    let hours_of = |id: &str| live.get(&crate::endurance::live::point_id(id)).and_then(|r| r.value.as_ref().and_then(Value::as_f64));
    for (heading, hid, ids) in [
        (t.reserves_list, "h-res", config.reserves.iter().map(|r| r.id.as_str()).collect::<Vec<_>>()),
        (t.functions_list, "h-fun", config.functions.iter().map(|f| f.id.as_str()).collect()),
    ] {
        if ids.is_empty() {
            continue;
        }
        h.push_str(&format!("\n<section class=\"endurance\" aria-labelledby=\"{hid}\"><h2 id=\"{hid}\">{}</h2><ul>", esc(heading)));
        for id in ids {
            let Some(e) = end.iter().find(|e| e.k == id) else { continue };
            let item = endurance_item(e, now_ms, lang);
            let facts = if let Some(r) = config.reserves.iter().find(|r| r.id == id) {
                reserve_facts(config, live, r, hours_of(id), now_ms, lang)
            } else if let Some(f) = config.functions.iter().find(|f| f.id == id) {
                function_facts(f, end, lang)
            } else {
                String::new()
            };
            // The facts go inside the item, after its limiting link.
            let item = item.strip_suffix("</li>").unwrap_or(&item);
            h.push_str(&format!("\n{item}<dl class=\"values facts\">{facts}</dl></li>"));
        }
        h.push_str("</ul></section>");
    }
    h.push_str("</main>");
    h
}

/// `GET /reserver`.
pub(super) async fn page(viewer: Viewer, lang: PageLang, State(s): State<WebState>) -> Response {
    let now = SystemClock.now_ms();
    let o = model(&s.config, &s.live, None, now, &s.tz, lang.lang);
    let main = render(&s.config, &s.live, &o.end, now, &o.asof, lang.lang);
    page::respond(&lang, page::shell(&lang, &viewer, &s.config.site.name, Web::of(lang.lang).reserves, Some(Nav::Reserves), &main, Some(&o.time)))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use driftvakt_domain::Reading;
    use jiff::tz::TimeZone;

    use super::*;

    fn config() -> Config {
        let src = include_str!("../../../../config/examples/reference-hospital.toml");
        driftvakt_config::parse_str(src, "r.toml").config.expect("valid")
    }

    fn num(p: &str, t: i64, v: f64) -> Reading {
        Reading { point: Arc::from(p), time_ms: t, value: Some(Value::Number(v)), quality: Quality::Good }
    }

    #[test]
    fn every_reserve_and_function_is_listed_with_the_overviews_figure_and_what_it_comes_from() {
        let config = config();
        let live = Live::default();
        let now = 5_000_000;
        live.test_update(&[num("endurance.diesel", now, 48.0), num("tankar.main_tank", now, 18_000.0), num("tankar.day_tank", now, 900.0)]);
        let o = model(&config, &live, None, now, &TimeZone::UTC, Language::Sv);
        let html = render(&config, &live, &o.end, now, &o.asof, Language::Sv);
        for r in &config.reserves {
            assert!(html.contains(&format!("data-k=\"end:{}\"", r.id)), "{} missing", r.id);
        }
        for f in &config.functions {
            assert!(html.contains(&format!("data-k=\"end:{}\"", f.id)), "{} missing", f.id);
        }
        // The same figure as the overview's.
        let overview = super::super::overview::render(&o, Language::Sv);
        let fig = |h: &str| h.split("data-k=\"en:diesel\"").nth(1).and_then(|a| a.split('<').next()).map(str::to_string);
        assert_eq!(fig(&html), fig(&overview));
        assert!(html.contains("48,0 h av målbild 96,0 h"), "{html}");
        // Stock and consumption: 18 900 l, usable minus the sump, burnt at usable ÷ 48 h.
        let unusable = config.reserves[0].unusable;
        let rate = measured((18_900.0 - unusable) / 48.0, "l", Language::Sv);
        assert!(html.contains(&format!("{rate}/h")), "{rate} {html}");
        assert!(html.contains("data-k=\"pt:tankar.main_tank\""), "{html}");
        assert!(html.contains("Beror av") && html.contains("UNDER MÅLBILD"), "{html}");
    }
}
