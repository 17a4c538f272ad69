//! What a live frame carries: an event `live` whose data is JSON — `t` (UTC ms), `time` (the
//! site's local time), `asof`, `v` (every aging value: `k` its element, `text`, `cls`, `at` the
//! reading's time, `after` its stale limit), `sys` (per system `k`, `n` active alarms, `text`),
//! `end` (per reserve and function `k`, `pct`, `below`, `verdict`, `limit`), `alarms` (`counts`,
//! `rows`: the console's `<tr>` rows, escaped HTML), `html` (element key → its new inner HTML,
//! escaped: with `[exercise]`, the exercises page's running run and live timeline). Made from
//! the same models as the pages.

use axum::response::sse::Event;
use driftvakt_config::model::{Config, Language};
use driftvakt_domain::alarm::AlarmRecord;
use jiff::tz::TimeZone;
use serde::Serialize;

use super::alarms::{Console, console};
use super::exercises::{LIVE_KEY, live_html};
use super::hub::Frame;
use super::overview::{EnduranceView, SystemView, ValueView, model};
use crate::exercise::command::ExerciseHandle;
use crate::pipeline::Live;

/// The JSON of one frame.
#[derive(Serialize)]
struct Payload<'a> {
    t: i64,
    time: &'a str,
    asof: &'a str,
    v: Vec<&'a ValueView>,
    sys: &'a [SystemView],
    end: &'a [EnduranceView],
    alarms: &'a Console,
    html: std::collections::BTreeMap<&'static str, String>,
}

/// The frame at `now_ms` in every language.
pub(super) fn frame(config: &Config, live: &Live, list: Option<&[AlarmRecord]>, exercise: Option<&ExerciseHandle>, now_ms: i64, tz: &TimeZone) -> Frame {
    let [sv, en] = [Language::Sv, Language::En].map(|lang| event(config, live, list, exercise, now_ms, tz, lang));
    Frame { sv, en }
}

/// The `live` event at `now_ms` in `lang`.
fn event(config: &Config, live: &Live, list: Option<&[AlarmRecord]>, exercise: Option<&ExerciseHandle>, now_ms: i64, tz: &TimeZone, lang: Language) -> Event {
    let o = model(config, live, list, now_ms, tz, lang);
    let c = console(list, now_ms, tz, lang);
    let mut html = std::collections::BTreeMap::new();
    if let Some(x) = exercise {
        html.insert(LIVE_KEY, live_html(config, x, now_ms, tz, lang));
    }
    let payload = Payload { t: o.t, time: &o.time, asof: &o.asof, v: o.values().collect(), sys: &o.sys, end: &o.end, alarms: &c, html };
    let json = serde_json::to_string(&payload).unwrap_or_else(|_| "{}".into());
    Event::default().event("live").data(json)
}
