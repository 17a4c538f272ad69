//! `GET /larm`: the alarm console (its actions, for operators, are `alarm_actions.rs`'s). Active alarms first, unacknowledged first
//! among them, class A before B, newest first; shelved ones last. Class A is red *and* says
//! "A-larm" with a symbol (colour is never the only signal). The table's rows are rendered here
//! for the page and for the live stream alike.

use axum::extract::State;
use axum::response::Response;
use driftvakt_config::model::{AlarmClass, Language};
use driftvakt_domain::alarm::AlarmRecord;
use driftvakt_domain::clock::{Clock, SystemClock};
use driftvakt_domain::fmt::{local_datetime, local_hms};
use driftvakt_domain::text::alarm::Alarms;
use driftvakt_domain::text::auth::Auth;
use driftvakt_domain::text::fill;
use driftvakt_domain::text::web::Web;
use jiff::tz::TimeZone;
use serde::Serialize;

use super::alarm_actions;
use super::state::WebState;
use super::lang::PageLang;
use super::page::{self, Nav, esc};
use super::viewer::Viewer;
use crate::monitor::AlarmCounts;

/// The console's changing parts: the counts line and the table's rows.
#[derive(Debug, Clone, Serialize)]
pub(super) struct Console {
    /// Active, unacknowledged and shelved alarms in words.
    pub counts: String,
    /// The `<tr>` rows (HTML, every text escaped).
    pub rows: String,
}

/// `list` in the console's order at `now_ms`: active before cleared, unacknowledged before
/// acknowledged, A before B, newest first; shelved ones last.
pub(super) fn order(list: &[AlarmRecord], now_ms: i64) -> Vec<&AlarmRecord> {
    let mut v: Vec<&AlarmRecord> = list.iter().collect();
    v.sort_by_key(|a| (a.is_shelved(now_ms), !a.state.is_active(), !a.state.is_unacked(), a.class, std::cmp::Reverse(a.active_since_ms)));
    v
}

/// The class as a symbol, a word and a CSS class.
fn class_cell(class: AlarmClass, lang: Language) -> (&'static str, &'static str, &'static str) {
    let t = Web::of(lang);
    match class {
        AlarmClass::A => ("▲", t.class_a, "cls-a"),
        AlarmClass::B => ("◆", t.class_b, "cls-b"),
    }
}

/// One alarm as a table row (each cell labelled for the narrow layout).
pub(super) fn row(a: &AlarmRecord, now_ms: i64, tz: &TimeZone, lang: Language) -> String {
    let cols = Alarms::of(lang).columns;
    let (symbol, word, cls) = class_cell(a.class, lang);
    let mut state = if a.state.is_active() { "active" } else { "cleared" }.to_string();
    if a.state.is_unacked() {
        state.push_str(" unacked");
    }
    if a.is_shelved(now_ms) {
        state.push_str(" shelved");
    }
    let since = a.active_since_ms.map(|ms| local_datetime(ms, tz)).unwrap_or_else(|| "–".into());
    let cells = [
        format!("<td class=\"{cls}\" data-label=\"{}\"><span class=\"sym\" aria-hidden=\"true\">{symbol}</span> {}</td>", esc(cols[0]), esc(word)),
        format!("<td data-label=\"{}\">{}</td>", esc(cols[1]), esc(a.system_label(lang))),
        format!("<td data-label=\"{}\">{}</td>", esc(cols[2]), esc(a.text_in(lang))),
        format!("<td data-label=\"{}\">{}</td>", esc(cols[3]), esc(a.value.as_deref().unwrap_or("–"))),
        format!("<td data-label=\"{}\">{}</td>", esc(cols[4]), esc(&since)),
        format!("<td data-label=\"{}\">{}</td>", esc(cols[5]), esc(&a.status_in(lang, tz))),
        format!("<td data-label=\"{}\"><code>{}</code></td>", esc(cols[6]), esc(&a.id)),
    ];
    let row_class = if a.class == AlarmClass::A { "class-a" } else { "class-b" };
    format!("<tr class=\"{state} {row_class}\" data-id=\"{}\">{}</tr>", esc(&a.id), cells.concat())
}

/// The console of `list` (None: the alarm service does not answer) at `now_ms`.
pub(super) fn console(list: Option<&[AlarmRecord]>, now_ms: i64, tz: &TimeZone, lang: Language) -> Console {
    let t = Web::of(lang);
    let Some(list) = list else {
        return Console { counts: t.alarms_unknown.to_string(), rows: format!("<tr><td colspan=\"7\">{}</td></tr>", esc(t.alarms_unknown)) };
    };
    let c = AlarmCounts::of(list, now_ms);
    let counts = fill(t.console_counts, &[("active", c.active), ("unacked", c.unacknowledged), ("shelved", c.shelved)]);
    let rows = if list.is_empty() {
        format!("<tr><td colspan=\"7\">{}</td></tr>", esc(t.no_alarms))
    } else {
        order(list, now_ms).into_iter().map(|a| row(a, now_ms, tz, lang)).collect()
    };
    Console { counts, rows }
}

/// The page's `<main>`; `forms` (the actions' templates and script, for a viewer who may act)
/// add the action column, else the page says how to sign in to act.
pub(super) fn render(c: &Console, lang: Language, forms: Option<&str>) -> String {
    let t = Web::of(lang);
    let a = Auth::of(lang);
    let mut head: String = Alarms::of(lang).columns.iter().map(|c| format!("<th scope=\"col\">{}</th>", esc(c))).collect();
    let note = match forms {
        Some(f) => {
            head.push_str(&format!("<th scope=\"col\">{}</th>", esc(a.action)));
            f.to_string()
        }
        None => format!("<p class=\"note\"><a href=\"/logga-in?nasta=/larm\">{}</a></p>", esc(a.sign_in_to_act)),
    };
    format!(
        "<main id=\"main\"><h1>{title}</h1><p class=\"counts\" data-k=\"alarm-counts\">{counts}</p>\
<table class=\"alarms cards\"><caption class=\"sr\">{title}</caption><thead><tr>{head}</tr></thead><tbody data-k=\"alarm-rows\" data-act-label=\"{act}\">{rows}</tbody></table>\
{note}{journal}</main>",
        title = esc(t.console),
        counts = esc(&c.counts),
        rows = c.rows,
        act = esc(a.action),
        journal = super::journal::link(lang),
    )
}

/// `GET /larm`.
pub(super) async fn page(viewer: Viewer, lang: PageLang, State(s): State<WebState>) -> Response {
    let now = SystemClock.now_ms();
    let list = s.alarms.list().await.ok();
    let forms = alarm_actions::forms(&viewer, &lang);
    let main = render(&console(list.as_deref(), now, &s.tz, lang.lang), lang.lang, forms.as_deref());
    page::respond(&lang, page::shell(&lang, &viewer, &s.config.site.name, Web::of(lang.lang).alarms, Some(Nav::Alarms), &main, Some(&local_hms(now, &s.tz))))
}

#[cfg(test)]
mod tests {
    use driftvakt_config::model::System;
    use driftvakt_domain::alarm::model::{Ack, AlarmState, Shelve};

    use super::*;

    fn alarm(id: &str, class: AlarmClass, state: AlarmState, since: i64) -> AlarmRecord {
        let mut a = AlarmRecord::normal(id, class, System::Reservkraft, &format!("Larm {id}"), &format!("Alarm {id}"));
        a.state = state;
        a.active_since_ms = Some(since);
        if !state.is_unacked() {
            a.ack = Some(Ack { by: "Eva".into(), at_ms: since, comment: None });
        }
        a
    }

    #[test]
    fn active_first_then_unacknowledged_then_class_and_shelved_last() {
        let mut shelved = alarm("shelved", AlarmClass::A, AlarmState::ActiveUnacked, 9);
        shelved.shelved = Some(Shelve { until_ms: 1_000, reason: "service".into(), by: "Eva".into() });
        let list = vec![
            alarm("cleared", AlarmClass::A, AlarmState::ClearedUnacked, 5),
            alarm("acked_a", AlarmClass::A, AlarmState::ActiveAcked, 6),
            shelved,
            alarm("b_new", AlarmClass::B, AlarmState::ActiveUnacked, 8),
            alarm("a_old", AlarmClass::A, AlarmState::ActiveUnacked, 1),
            alarm("a_new", AlarmClass::A, AlarmState::ActiveUnacked, 7),
        ];
        let ids: Vec<&str> = order(&list, 100).iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids, ["a_new", "a_old", "b_new", "acked_a", "cleared", "shelved"]);
    }

    #[test]
    fn class_a_is_a_word_and_a_symbol_besides_its_colour_and_texts_are_escaped() {
        let mut a = alarm("x", AlarmClass::A, AlarmState::ActiveUnacked, 0);
        a.text = "Nät <bortfall> & \"G1\"".into();
        let list = [a, alarm("y", AlarmClass::B, AlarmState::ActiveAcked, 0)];
        let c = console(Some(&list), 10, &TimeZone::UTC, Language::Sv);
        assert!(c.rows.contains("<td class=\"cls-a\" data-label=\"Klass\"><span class=\"sym\" aria-hidden=\"true\">▲</span> A-larm</td>"), "{}", c.rows);
        assert!(c.rows.contains("B-larm") && c.rows.contains("aktivt, kvitterat (Eva)"), "{}", c.rows);
        assert!(c.rows.contains("Nät &lt;bortfall&gt; &amp; &quot;G1&quot;") && !c.rows.contains("<bortfall>"), "{}", c.rows);
        assert_eq!(c.counts, "2 aktiva, 1 okvitterade, 0 bortkopplade");
        let en = console(Some(&list), 10, &TimeZone::UTC, Language::En);
        assert!(en.rows.contains("A alarm") && en.rows.contains("Alarm x") && en.counts.starts_with("2 active"), "{}", en.rows);
        let none = render(&console(Some(&[]), 10, &TimeZone::UTC, Language::Sv), Language::Sv, None);
        assert!(none.contains("Inga aktiva larm.") && none.contains("<th scope=\"col\">Klass</th>"), "{none}");
    }
}
