//! `GET /larm/journal`: the alarm journal ([`crate::alarm::service::AlarmHandle::journal`]) as a
//! table, newest first, who did what in every row. Filters in the URL (a plain GET form):
//! `fran`/`till` (dates in the site's zone, both days included; default the last 7 days), `larm`
//! (an alarm id), `system`, `klass` (`A`/`B`), `handelse` (a journal event code), `vem` (part of a
//! name) and `antal` (rows shown; "visa fler" asks for more). An alarm's class, system and text
//! come from its persisted record (the store, read-only) or else its configured rule.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::Uri;
use axum::response::Response;
use driftvakt_config::model::{AlarmClass, Config, Language, System};
use driftvakt_domain::alarm::AlarmRecord;
use driftvakt_domain::clock::{Clock, SystemClock};
use driftvakt_domain::fmt::{local_datetime, local_hms};
use driftvakt_domain::text::fill;
use driftvakt_domain::text::journal::{Journal, event};
use driftvakt_domain::text::web::Web;
use driftvakt_domain::text::web_exercises::WebExercises;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::Deserialize;

use super::lang::PageLang;
use super::page::{self, Nav, esc};
use super::state::WebState;
use super::viewer::Viewer;
use crate::alarm::store::{DEFAULT_JOURNAL_LIMIT, JournalEntry};

/// Rows shown at first, and how many more "visa fler" adds.
pub const PAGE_ROWS: usize = 100;

/// Days the default period covers (today included).
pub const DEFAULT_DAYS: i64 = 7;

/// The filters as the URL gives them.
#[derive(Debug, Default, Deserialize)]
struct RawFilters {
    fran: Option<String>,
    till: Option<String>,
    larm: Option<String>,
    system: Option<String>,
    klass: Option<String>,
    handelse: Option<String>,
    vem: Option<String>,
    antal: Option<String>,
}

/// The journal's filters.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Filters {
    /// First day (local).
    pub from: Date,
    /// Last day (local, included).
    pub to: Date,
    /// One alarm id.
    pub alarm: Option<String>,
    /// A system key.
    pub system: Option<String>,
    /// A class.
    pub class: Option<AlarmClass>,
    /// A journal event code.
    pub event: Option<String>,
    /// Part of who (case-insensitive).
    pub who: Option<String>,
    /// Rows shown.
    pub limit: usize,
    /// Dates that could not be read (shown, and the default used).
    pub bad_dates: Vec<String>,
}

/// A non-empty trimmed value.
fn given(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

impl Filters {
    /// The filters of the query string `query` on day `today` (local).
    pub fn parse(query: &str, today: Date) -> Filters {
        let uri: Option<Uri> = format!("/?{query}").parse().ok();
        let raw = uri.and_then(|u| Query::<RawFilters>::try_from_uri(&u).ok()).map(|Query(r)| r).unwrap_or_default();
        let mut bad_dates = Vec::new();
        let mut date = |v: Option<String>, default: Date| match given(v) {
            None => default,
            Some(s) => s.parse::<Date>().unwrap_or_else(|_| {
                bad_dates.push(s);
                default
            }),
        };
        let default_from = today.checked_sub(jiff::Span::new().days(DEFAULT_DAYS - 1)).unwrap_or(today);
        let from = date(raw.fran, default_from);
        let to = date(raw.till, today);
        let limit = given(raw.antal).and_then(|s| s.parse::<usize>().ok()).unwrap_or(PAGE_ROWS).clamp(1, DEFAULT_JOURNAL_LIMIT as usize);
        Filters {
            from: from.min(to),
            to: to.max(from),
            alarm: given(raw.larm),
            system: given(raw.system),
            class: given(raw.klass).and_then(|s| AlarmClass::from_key(&s)),
            event: given(raw.handelse),
            who: given(raw.vem),
            limit,
            bad_dates,
        }
    }

    /// The period as UTC ms `[from midnight, the day after to's midnight)` in `tz`.
    pub fn span(&self, tz: &TimeZone) -> (i64, i64) {
        let at = |d: Date| tz.to_ambiguous_timestamp(d.to_datetime(jiff::civil::Time::midnight())).compatible().map_or(0, |t| t.as_millisecond());
        let after = self.to.tomorrow().unwrap_or(self.to);
        (at(self.from), at(after))
    }

    /// The query string of these filters with `limit` rows (for "visa fler").
    pub fn query(&self, limit: usize) -> String {
        let mut parts = vec![("fran", self.from.to_string()), ("till", self.to.to_string())];
        let opt = [("larm", &self.alarm), ("system", &self.system), ("handelse", &self.event), ("vem", &self.who)];
        for (k, v) in opt {
            if let Some(v) = v {
                parts.push((k, v.clone()));
            }
        }
        if let Some(c) = self.class {
            parts.push(("klass", c.key().to_string()));
        }
        parts.push(("antal", limit.to_string()));
        parts.iter().map(|(k, v)| format!("{k}={}", encode(v))).collect::<Vec<_>>().join("&")
    }

    /// Whether `e` (of the alarm `meta` says) passes the filters other than the period.
    pub fn keeps(&self, e: &JournalEntry, meta: Option<&AlarmRecord>) -> bool {
        if self.alarm.as_ref().is_some_and(|a| e.alarm.as_ref() != Some(a)) {
            return false;
        }
        if self.event.as_ref().is_some_and(|ev| *ev != e.event) {
            return false;
        }
        if let Some(who) = &self.who {
            let who = who.to_lowercase();
            if !e.by.as_deref().is_some_and(|b| b.to_lowercase().contains(&who)) {
                return false;
            }
        }
        if self.class.is_some_and(|c| meta.map(|m| m.class) != Some(c)) {
            return false;
        }
        if self.system.as_ref().is_some_and(|s| meta.map(|m| &m.system) != Some(s)) {
            return false;
        }
        true
    }
}

/// `s` percent-encoded for a query value.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(char::from(b)),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Every alarm the site knows: its configured rules, overridden by the records the store has
/// persisted (which also hold the alarms driftvakt raises itself).
async fn alarms_known(config: &Config, data_dir: std::path::PathBuf) -> HashMap<String, AlarmRecord> {
    let mut known: HashMap<String, AlarmRecord> = config
        .alarms
        .rules
        .iter()
        .map(|r| (r.id.clone(), AlarmRecord::normal(&r.id, r.class, r.system, &r.text, r.text_en.as_deref().unwrap_or(&r.text))))
        .collect();
    let stored = tokio::task::spawn_blocking(move || -> anyhow::Result<Vec<AlarmRecord>> {
        let conn = driftvakt_store::shared::connect_read_only(&data_dir)?;
        if !crate::alarm::store::has_alarm_tables(&conn)? {
            return Ok(Vec::new());
        }
        crate::alarm::store::records(&conn)
    })
    .await;
    match stored {
        Ok(Ok(records)) => known.extend(records.into_iter().map(|r| (r.id.clone(), r))),
        Ok(Err(e)) => tracing::warn!(error = %format!("{e:#}"), "the journal page cannot read the alarm records"),
        Err(e) => tracing::warn!(error = %e, "the journal page's read of the alarm records failed"),
    }
    known
}

/// The entries that pass `f`, newest first.
pub(super) fn select<'a>(entries: &'a [JournalEntry], known: &HashMap<String, AlarmRecord>, f: &Filters) -> Vec<&'a JournalEntry> {
    let mut v: Vec<&JournalEntry> = entries.iter().filter(|e| f.keeps(e, e.alarm.as_ref().and_then(|a| known.get(a)))).collect();
    v.sort_by_key(|e| std::cmp::Reverse((e.time_ms, e.seq)));
    v
}

/// `GET /larm/journal`.
pub(super) async fn page(viewer: Viewer, lang: PageLang, State(s): State<WebState>, uri: Uri) -> Response {
    let l = lang.lang;
    let now = SystemClock.now_ms();
    let today = jiff::Timestamp::from_millisecond(now).map(|t| s.tz.to_datetime(t).date()).unwrap_or_default();
    let f = Filters::parse(uri.query().unwrap_or_default(), today);
    let (from_ms, to_ms) = f.span(&s.tz);
    let entries = match s.alarms.journal(from_ms, to_ms, f.alarm.clone(), DEFAULT_JOURNAL_LIMIT).await {
        Ok(Ok(v)) => Some(v),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "the journal page cannot read the journal");
            None
        }
        Err(_) => None,
    };
    let known = alarms_known(&s.config, s.data_dir.clone()).await;
    let main = render(entries.as_deref(), &known, &f, &s.tz, l);
    let title = WebExercises::of(l).journal;
    page::respond(&lang, page::shell(&lang, &viewer, &s.config.site.name, title, Some(Nav::Alarms), &main, Some(&local_hms(now, &s.tz))))
}

/// The alarm console's link to the journal.
pub(super) fn link(lang: Language) -> String {
    format!("<p class=\"journal-link\"><a href=\"/larm/journal\">{}</a></p>", esc(WebExercises::of(lang).journal_link))
}

/// A configured alarm text whose `{value}`-style blanks are not filled (no reading to fill
/// them with): each blank said as "…".
fn unfilled(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        match rest[open..].find('}') {
            Some(close) => {
                out.push('…');
                rest = &rest[open + close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// `<option>`s of `choices` (value, words), `current` selected, "all" first.
fn options(choices: &[(String, String)], current: Option<&str>, lang: Language) -> String {
    let mut o = format!("<option value=\"\">{}</option>", esc(WebExercises::of(lang).any));
    for (v, t) in choices {
        let sel = if current == Some(v.as_str()) { " selected" } else { "" };
        o.push_str(&format!("<option value=\"{}\"{sel}>{}</option>", esc(v), esc(t)));
    }
    o
}

/// The filter form.
fn form(known: &HashMap<String, AlarmRecord>, f: &Filters, lang: Language) -> String {
    let w = WebExercises::of(lang);
    let t = Web::of(lang);
    let l = w.filter_labels;
    let mut alarms: Vec<(String, String)> = known.values().map(|a| (a.id.clone(), format!("{} ({})", unfilled(a.text_in(lang)), a.id))).collect();
    alarms.sort_by(|a, b| a.1.cmp(&b.1));
    let systems: Vec<(String, String)> = System::ALL.iter().map(|s| (s.key().to_string(), s.label(lang).to_string())).collect();
    let classes = vec![("A".to_string(), t.class_a.to_string()), ("B".to_string(), t.class_b.to_string())];
    let events: Vec<(String, String)> = Journal::of(lang).events.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let field = |id: &str, label: &str, control: String| format!("<p><label for=\"j-{id}\">{}</label> {control}</p>", esc(label));
    let select = |id: &str, name: &str, opts: String| format!("<select id=\"j-{id}\" name=\"{name}\">{opts}</select>");
    let fields = [
        field("from", l[0], format!("<input id=\"j-from\" type=\"date\" name=\"fran\" value=\"{}\">", f.from)),
        field("to", l[1], format!("<input id=\"j-to\" type=\"date\" name=\"till\" value=\"{}\">", f.to)),
        field("alarm", l[2], select("alarm", "larm", options(&alarms, f.alarm.as_deref(), lang))),
        field("system", l[3], select("system", "system", options(&systems, f.system.as_deref(), lang))),
        field("class", l[4], select("class", "klass", options(&classes, f.class.map(AlarmClass::key), lang))),
        field("event", l[5], select("event", "handelse", options(&events, f.event.as_deref(), lang))),
        field("who", l[6], format!("<input id=\"j-who\" name=\"vem\" value=\"{}\">", esc(f.who.as_deref().unwrap_or_default()))),
    ];
    format!(
        "<form method=\"get\" action=\"/larm/journal\" class=\"filters\"><fieldset><legend>{}</legend>{}<p><button type=\"submit\">{}</button> <a href=\"/larm/journal\">{}</a></p></fieldset></form>",
        esc(w.filters),
        fields.concat(),
        esc(w.apply),
        esc(w.reset)
    )
}

/// One entry as a table row (each cell labelled for the narrow layout).
fn row(e: &JournalEntry, meta: Option<&AlarmRecord>, tz: &TimeZone, lang: Language) -> String {
    let w = WebExercises::of(lang);
    let t = Web::of(lang);
    let c = w.journal_columns;
    let alarm = match (&e.alarm, meta) {
        (Some(id), Some(m)) => format!("{} <code>{}</code>", esc(m.text_in(lang)), esc(id)),
        (Some(id), None) => format!("<code>{}</code>", esc(id)),
        (None, _) => esc(w.no_alarm).into_owned(),
    };
    let (class, class_css) = match meta.map(|m| m.class) {
        Some(AlarmClass::A) => (format!("<span class=\"sym\" aria-hidden=\"true\">▲</span> {}", esc(t.class_a)), " class=\"cls-a\""),
        Some(AlarmClass::B) => (format!("<span class=\"sym\" aria-hidden=\"true\">◆</span> {}", esc(t.class_b)), " class=\"cls-b\""),
        None => ("–".to_string(), ""),
    };
    let system = meta.map_or("–", |m| m.system_label(lang));
    let mut detail = Vec::new();
    if let Some(cm) = e.comment.as_deref().filter(|c| !c.is_empty()) {
        detail.push(fill(Journal::of(lang).comment, &[("comment", cm)]));
    }
    if let Some(d) = e.detail.as_deref().filter(|d| !d.is_empty()) {
        detail.push(d.to_string());
    }
    format!(
        "<tr data-seq=\"{}\" data-event=\"{}\" data-alarm=\"{}\"><td data-label=\"{}\">{}</td><td data-label=\"{}\">{alarm}</td><td data-label=\"{}\"{class_css}>{class}</td><td data-label=\"{}\">{}</td><td data-label=\"{}\">{}</td><td data-label=\"{}\">{}</td><td data-label=\"{}\">{}</td></tr>",
        e.seq,
        esc(&e.event),
        esc(e.alarm.as_deref().unwrap_or_default()),
        esc(c[0]),
        esc(&local_datetime(e.time_ms, tz)),
        esc(c[1]),
        esc(c[2]),
        esc(c[3]),
        esc(system),
        esc(c[4]),
        esc(event(&e.event, lang)),
        esc(c[5]),
        esc(e.by.as_deref().unwrap_or("–")),
        esc(c[6]),
        esc(&detail.join(" — ")),
    )
}

/// The page's `<main>`: filters, counts, the table, "visa fler".
pub(super) fn render(entries: Option<&[JournalEntry]>, known: &HashMap<String, AlarmRecord>, f: &Filters, tz: &TimeZone, lang: Language) -> String {
    let w = WebExercises::of(lang);
    let mut o = format!("<main id=\"main\"><h1>{}</h1><p><a href=\"/larm\">{}</a></p>", esc(w.journal), esc(Web::of(lang).alarms));
    for bad in &f.bad_dates {
        o.push_str(&format!("<p role=\"alert\">{}</p>", esc(&fill(w.bad_date, &[("value", bad.as_str())]))));
    }
    o.push_str(&form(known, f, lang));
    let Some(entries) = entries else {
        o.push_str(&format!("<p role=\"alert\">{}</p></main>", esc(w.journal_unreadable)));
        return o;
    };
    if entries.len() >= DEFAULT_JOURNAL_LIMIT as usize {
        o.push_str(&format!("<p role=\"alert\">{}</p>", esc(&fill(w.truncated, &[("max", DEFAULT_JOURNAL_LIMIT)]))));
    }
    let kept = select(entries, known, f);
    let shown = kept.len().min(f.limit);
    o.push_str(&format!(
        "<p class=\"counts\" data-shown=\"{shown}\" data-total=\"{}\">{}</p>",
        kept.len(),
        esc(&fill(w.journal_counts, &[("shown", shown.to_string()), ("total", kept.len().to_string()), ("from", f.from.to_string()), ("to", f.to.to_string())]))
    ));
    if kept.is_empty() {
        o.push_str(&format!("<p>{}</p></main>", esc(w.no_entries)));
        return o;
    }
    let head: String = w.journal_columns.iter().map(|c| format!("<th scope=\"col\">{}</th>", esc(c))).collect();
    let body: String = kept.iter().take(shown).map(|e| row(e, e.alarm.as_ref().and_then(|a| known.get(a)), tz, lang)).collect();
    o.push_str(&format!("<table class=\"journal cards\"><caption class=\"sr\">{}</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>", esc(w.journal)));
    if kept.len() > shown {
        o.push_str(&format!("<p><a class=\"more\" href=\"/larm/journal?{}\">{}</a></p>", esc(&f.query(f.limit + PAGE_ROWS)), esc(w.more)));
    }
    o.push_str("</main>");
    o
}

#[cfg(test)]
mod tests;
