//! `GET /`: the site at a glance. Each of the configuration's systems with its key values (the
//! points with a `status` label, shown as [`crate::plant_status`] shows them on the demo screen:
//! quality as such, stale values said to be stale with their age) and its active alarm count;
//! every reserve's and function's endurance against its målbild as a bar, with a function's
//! limiting link ([`crate::endurance::live::items`]). One [`Overview`] feeds both the page and
//! the live stream, so they cannot disagree.

use axum::extract::State;
use axum::response::Response;
use driftvakt_config::model::{Config, ENDURANCE_CAP_H, Language, System};
use driftvakt_domain::alarm::AlarmRecord;
use driftvakt_domain::clock::{Clock, SystemClock};
use driftvakt_domain::fmt::local_hms;
use driftvakt_domain::text::fill;
use driftvakt_domain::text::screen::{Screen, hours};
use driftvakt_domain::text::trends::Trends;
use driftvakt_domain::text::web::Web;
use jiff::tz::TimeZone;
use serde::Serialize;

use super::state::WebState;
use super::lang::PageLang;
use super::page::{self, Nav, esc};
use super::viewer::Viewer;
use crate::endurance::live::{EMIT_EVERY_MS, items};
use crate::pipeline::Live;
use crate::plant_status::{self, Shown};

/// An endurance figure is stale after this many of its emission intervals without a new one.
const ENDURANCE_STALE_AFTER_MS: i64 = 3 * EMIT_EVERY_MS;

/// One value on the page that ages: a key value or an endurance figure.
#[derive(Debug, Clone, Serialize)]
pub(super) struct ValueView {
    /// Its element's key (`pt:<point id>`, `en:<reserve id>`).
    pub k: String,
    /// Its label (the point's status label, the reserve's name).
    #[serde(skip)]
    pub label: String,
    /// The value in words, without any stale mark.
    pub text: String,
    /// What it is: `good`, `flagged`, `no_value`, `waiting` ([`Shown::key`]).
    pub cls: &'static str,
    /// Time of the reading, UTC ms (None before the first).
    pub at: Option<i64>,
    /// After how long it is stale, ms.
    pub after: i64,
}

impl ValueView {
    /// The text to show at `now_ms`: the value, or said to be stale with its age.
    pub fn shown(&self, now_ms: i64, lang: Language) -> (String, &'static str) {
        match self.at {
            Some(at) if now_ms - at > self.after => (page::stale(&self.text, now_ms - at, lang), "stale"),
            _ => (self.text.clone(), self.cls),
        }
    }
}

/// A system and its alarms.
#[derive(Debug, Clone, Serialize)]
pub(super) struct SystemView {
    /// Its key (`reservkraft`).
    pub k: &'static str,
    /// Its name.
    #[serde(skip)]
    pub label: &'static str,
    /// Active alarms (not shelved); None when the alarm service does not answer.
    pub n: Option<usize>,
    /// That count in words.
    pub text: String,
    /// Its key values.
    #[serde(skip)]
    pub values: Vec<ValueView>,
}

/// A reserve's or function's endurance against its målbild.
#[derive(Debug, Clone, Serialize)]
pub(super) struct EnduranceView {
    /// Its id.
    pub k: String,
    /// The figure ("77,1 h av målbild 96,0 h").
    #[serde(skip)]
    pub figure: ValueView,
    /// How full the bar is: endurance as a share of the målbild, 0–100.
    pub pct: u32,
    /// Known and below the målbild.
    pub below: bool,
    /// The verdict in words (below or meets target; empty while unknown).
    pub verdict: &'static str,
    /// A function's limiting link in words.
    pub limit: Option<String>,
}

/// Everything the overview shows at one moment, in one language.
#[derive(Debug, Clone, Serialize)]
pub(super) struct Overview {
    /// When, UTC ms.
    pub t: i64,
    /// When, the site's local time.
    pub time: String,
    /// "As of" line.
    pub asof: String,
    /// Every system of the configuration.
    pub sys: Vec<SystemView>,
    /// Every reserve, then every function.
    pub end: Vec<EnduranceView>,
}

impl Overview {
    /// Every value that ages (key values, then endurance figures).
    pub fn values(&self) -> impl Iterator<Item = &ValueView> {
        self.sys.iter().flat_map(|s| s.values.iter()).chain(self.end.iter().map(|e| &e.figure))
    }
}

/// The systems the configuration uses (points, reserves, functions), in screen order.
pub(super) fn systems_of(config: &Config) -> Vec<System> {
    System::ALL
        .into_iter()
        .filter(|s| {
            config.points().any(|(_, p)| p.system == *s) || config.reserves.iter().any(|r| r.system == *s) || config.functions.iter().any(|f| f.system == *s)
        })
        .collect()
}

/// The overview at `now_ms` in `lang`; `alarms` is the alarm actor's list (None when it does not
/// answer).
pub(super) fn model(config: &Config, live: &Live, alarms: Option<&[AlarmRecord]>, now_ms: i64, tz: &TimeZone, lang: Language) -> Overview {
    let t = Web::of(lang);
    let status = plant_status::systems(config, live, now_ms, lang);
    let sys = systems_of(config)
        .into_iter()
        .map(|system| {
            let values = status
                .iter()
                .find(|s| s.system == system)
                .map(|s| {
                    s.points
                        .iter()
                        .map(|p| ValueView { k: format!("pt:{}", p.point.id), label: p.label.to_string(), text: p.text.clone(), cls: p.shown.key(), at: p.time_ms, after: p.stale_after_ms })
                        .collect()
                })
                .unwrap_or_default();
            let n = alarms.map(|list| list.iter().filter(|a| a.system == system.key() && a.state.is_active() && !a.is_shelved(now_ms)).count());
            let text = match n {
                None => t.alarms_unknown.to_string(),
                Some(0) => t.system_no_alarms.to_string(),
                Some(1) => t.system_alarm_one.to_string(),
                Some(n) => fill(t.system_alarms, &[("n", n)]),
            };
            SystemView { k: system.key(), label: system.label(lang), n, text, values }
        })
        .collect();
    let end = items(config, |p| live.get(p))
        .into_iter()
        .map(|e| {
            let text = match e.hours {
                Some(h) => fill(t.endurance_of, &[("hours", hours(Some(h), ENDURANCE_CAP_H, lang)), ("target", hours(Some(e.target_h), ENDURANCE_CAP_H, lang))]),
                None => fill(t.endurance_of, &[("hours", Screen::of(lang).unknown_hours.to_string()), ("target", hours(Some(e.target_h), ENDURANCE_CAP_H, lang))]),
            };
            let cls = if e.hours.is_some() { Shown::Good.key() } else { Shown::Waiting.key() };
            let pct = e.hours.map_or(0, |h| if e.target_h > 0.0 { ((h / e.target_h) * 100.0).clamp(0.0, 100.0).round() as u32 } else { 100 });
            let verdict = match e.hours {
                None => "",
                Some(_) if e.below_target() => t.below_target,
                Some(_) => t.meets_target,
            };
            let limit = (!e.limiting.is_empty()).then(|| fill(t.limited_by, &[("chain", e.limiting.join(" → "))]));
            let figure = ValueView { k: format!("en:{}", e.id), label: e.name.to_string(), text, cls, at: e.time_ms, after: ENDURANCE_STALE_AFTER_MS };
            EnduranceView { k: e.id.to_string(), figure, pct, below: e.below_target(), verdict, limit }
        })
        .collect();
    let time = local_hms(now_ms, tz);
    Overview { t: now_ms, asof: fill(t.as_of, &[("time", &time)]), time, sys, end }
}

/// One aging value as a `<dd>`/`<span>`'s attributes and text.
pub(super) fn value_html(tag: &str, v: &ValueView, now_ms: i64, lang: Language) -> String {
    let (text, cls) = v.shown(now_ms, lang);
    let at = v.at.map(|at| format!(" data-at=\"{at}\" data-after=\"{}\" data-v=\"{}\" data-cls=\"{}\"", v.after, esc(&v.text), v.cls)).unwrap_or_default();
    format!("<{tag} class=\"v {cls}\" data-k=\"{}\"{at}>{}</{tag}>", esc(&v.k), esc(&text))
}

/// A reserve's or function's endurance as the `<li>` the live frames update (`data-k="end:…"`):
/// name, bar, figure, verdict, limiting link.
pub(super) fn endurance_item(e: &EnduranceView, now_ms: i64, lang: Language) -> String {
    let below = if e.below { " below" } else { "" };
    let mut h = format!(
        "<li class=\"res{below}\" data-k=\"end:{k}\"><span class=\"name\">{name}</span><progress max=\"100\" value=\"{pct}\" aria-label=\"{name}\">{pct} %</progress>{fig}<strong class=\"verdict\">{verdict}</strong>",
        k = esc(&e.k),
        name = esc(&e.figure.label),
        pct = e.pct,
        fig = value_html("span", &e.figure, now_ms, lang),
        verdict = esc(e.verdict),
    );
    if let Some(l) = &e.limit {
        h.push_str(&format!("<span class=\"limit\">{}</span>", esc(l)));
    }
    h.push_str("</li>");
    h
}

/// The page's `<main>`.
pub(super) fn render(o: &Overview, lang: Language) -> String {
    let t = Web::of(lang);
    let mut h = format!("<main id=\"main\"><h1>{}</h1><p class=\"asof\" data-k=\"asof\" data-t=\"{}\">{}</p>\n<div class=\"systems\">", esc(t.overview), o.t, esc(&o.asof));
    for s in &o.sys {
        let has = if s.n.unwrap_or(0) > 0 { " has" } else { "" };
        h.push_str(&format!(
            "\n<section class=\"system\" aria-labelledby=\"s-{k}\"><h2 id=\"s-{k}\">{label}</h2><p class=\"count{has}\" data-k=\"sys:{k}\">{text}</p>",
            k = esc(s.k),
            label = esc(s.label),
            text = esc(&s.text),
        ));
        h.push_str(&format!(
            "<p class=\"more\"><a href=\"/system/{k}\">{link}<span class=\"sr\"> – {label}</span></a></p>",
            k = esc(s.k),
            link = esc(Trends::of(lang).system_link),
            label = esc(s.label),
        ));
        if s.values.is_empty() {
            h.push_str(&format!("<p class=\"none\">{}</p>", esc(t.no_key_values)));
        } else {
            h.push_str("<dl class=\"values\">");
            for v in &s.values {
                h.push_str(&format!("<div><dt>{}</dt>{}</div>", esc(&v.label), value_html("dd", v, o.t, lang)));
            }
            h.push_str("</dl>");
        }
        h.push_str("</section>");
    }
    h.push_str("\n</div>");
    if !o.end.is_empty() {
        h.push_str(&format!("\n<section class=\"endurance\" aria-labelledby=\"h-end\"><h2 id=\"h-end\">{}</h2><ul>", esc(t.endurance)));
        for e in &o.end {
            h.push('\n');
            h.push_str(&endurance_item(e, o.t, lang));
        }
        h.push_str("</ul></section>");
    }
    h.push_str("</main>");
    h
}

/// `GET /`.
pub(super) async fn page(viewer: Viewer, lang: PageLang, State(s): State<WebState>) -> Response {
    let now = SystemClock.now_ms();
    let alarms = s.alarms.list().await.ok();
    let o = model(&s.config, &s.live, alarms.as_deref(), now, &s.tz, lang.lang);
    let main = render(&o, lang.lang);
    page::respond(&lang, page::shell(&lang, &viewer, &s.config.site.name, Web::of(lang.lang).overview, Some(Nav::Overview), &main, Some(&o.time)))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use driftvakt_domain::{Quality, Reading, Value};

    use super::*;

    fn config() -> Config {
        let src = include_str!("../../../../config/examples/reference-hospital.toml");
        driftvakt_config::parse_str(src, "r.toml").config.expect("valid")
    }

    fn reading(point: &str, time_ms: i64, value: f64, quality: Quality) -> Reading {
        Reading { point: Arc::from(point), time_ms, value: Some(Value::Number(value)), quality }
    }

    /// The text of point `id`'s value element and what follows it.
    fn cell_of<'a>(html: &'a str, id: &str) -> &'a str {
        let after = html.split(&format!("data-k=\"pt:{id}\"")).nth(1).expect("the point's cell");
        &after[after.find('>').expect("end of the tag") + 1..]
    }

    #[test]
    fn every_system_is_shown_with_its_values_and_a_stale_value_never_reads_as_live() {
        let config = config();
        let live = Live::default();
        let now = 1_000_000;
        let (d, p) = config.points().find(|(_, p)| p.status_label.is_some() && p.unit == "l").expect("a status point in litres");
        let stale_after = plant_status::stale_after_ms(d);
        live.test_update(&[reading(&p.id, now - stale_after - 60_000, 18_400.0, Quality::Good)]);
        let o = model(&config, &live, Some(&[]), now, &TimeZone::UTC, Language::Sv);
        let html = render(&o, Language::Sv);
        for s in systems_of(&config) {
            assert!(html.contains(&format!(">{}</h2>", esc(s.label(Language::Sv)))), "{} missing", s.label(Language::Sv));
        }
        let cell = cell_of(&html, &p.id);
        assert!(cell.starts_with("INAKTUELL (") && cell.contains("gammal), senast 18\u{202f}400 l"), "{cell}");
        assert!(html.contains("class=\"v stale\""), "{html}");
        assert!(html.contains("Inga aktiva larm") && html.contains("Uthållighet mot målbild"), "{html}");
        // Fresh, it reads as the value; English on request.
        live.test_update(&[reading(&p.id, now, 18_400.0, Quality::Good)]);
        let en = render(&model(&config, &live, Some(&[]), now, &TimeZone::UTC, Language::En), Language::En);
        let cell = cell_of(&en, &p.id);
        assert!(cell.starts_with("18400 l<"), "{cell}");
        assert!(en.contains("No active alarms") && en.contains("Endurance against target"), "{en}");
    }

    #[test]
    fn endurance_is_a_bar_against_the_target_with_its_verdict_in_words_and_the_limiting_link() {
        let config = config();
        let live = Live::default();
        let now = 2_000_000;
        live.test_update(&[
            reading("endurance.diesel", now, 48.0, Quality::Good),
            reading("endurance.reservvatten", now, 200.0, Quality::Good),
            reading("endurance.vattenforsorjning", now, 48.0, Quality::Good),
            reading("endurance.operationssal", now, 48.0, Quality::Good),
        ]);
        let o = model(&config, &live, None, now, &TimeZone::UTC, Language::Sv);
        let diesel = o.end.iter().find(|e| e.k == "diesel").expect("diesel");
        assert_eq!((diesel.pct, diesel.below, diesel.verdict), (50, true, "UNDER MÅLBILD"));
        let theatre = o.end.iter().find(|e| e.k == "operationssal").expect("operating theatre");
        assert_eq!(theatre.limit.as_deref(), Some("Begränsas av: Operationssal → Diesel"));
        let water = o.end.iter().find(|e| e.k == "reservvatten").expect("reserve water");
        assert_eq!((water.pct, water.below, water.verdict), (100, false, "når målbild"));
        let html = render(&o, Language::Sv);
        assert!(html.contains("<progress max=\"100\" value=\"50\" aria-label=\"Diesel\">"), "{html}");
        assert!(html.contains("Larmtjänsten svarar inte"), "{html}");
        let ups = o.end.iter().find(|e| e.k == "ups").expect("ups");
        assert_eq!((ups.figure.cls, ups.verdict), ("waiting", ""));
    }
}
