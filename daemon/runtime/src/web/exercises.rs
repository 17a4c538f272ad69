//! `GET /ovningar`: exercises. The running run (kind, name, started, by) with its live timeline
//! — the events and the figures' verdicts so far, as the daemon's exercise monitor sees them
//! ([`live_html`], also in every live frame, so it updates without a reload) — and the finished
//! runs of the last year, newest first, each judged like its report and with its report to
//! download (`report.rs`). A coordinator also gets the forms to start, note and stop
//! (`POST /ovningar/starta`, `/ovningar/notering`, `/ovningar/stoppa`): the command goes to the
//! exercise actor through the same [`crate::api::exercise_act`] as the HTTP API's, under the
//! user's name, and the answer is a 303 back to the page, which says what happened in words.

use axum::Form;
use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use driftvakt_config::model::{Config, ExerciseKind, Language, Role};
use driftvakt_domain::clock::{Clock, SystemClock};
use driftvakt_domain::exercise::Run;
use driftvakt_domain::fmt::{local_datetime, local_hms};
use driftvakt_domain::text::exercise::kind_label;
use driftvakt_domain::text::auth::Auth;
use driftvakt_domain::text::fill;
use driftvakt_domain::text::web::Web;
use driftvakt_domain::text::web_exercises::WebExercises;
use jiff::tz::TimeZone;
use serde::Deserialize;

use super::lang::{PageLang, param};
use super::page::{self, Nav, esc};
use super::state::WebState;
use super::viewer::{Refusal, Viewer};
use crate::api::{ExerciseApi, exercise_act};
use crate::exercise::command::{Command, CommandError, ExerciseHandle};
use crate::exercise::report::history::rows as history_rows;
use crate::exercise::report::{HistoryRow, live_rows};

/// How far back the page lists finished runs.
pub const PAST_DAYS: i64 = 365;

/// The element of the page (and the live frame's key) that holds the running run.
pub const LIVE_KEY: &str = "exercise-live";

/// What a form came to: shown on the page after the redirect (`?svar=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A run started.
    Started,
    /// A note saved.
    Noted,
    /// The run stopped.
    Stopped,
    /// A start while a run runs.
    AlreadyRunning,
    /// A note or stop with nothing running.
    NoneRunning,
    /// A start without a name.
    NameMissing,
    /// An empty note.
    TextMissing,
    /// A kind that is not an exercise kind.
    UnknownKind,
    /// The actor could not record it (store, shutdown).
    Failed,
}

impl Outcome {
    const ALL: [Outcome; 9] = [
        Outcome::Started,
        Outcome::Noted,
        Outcome::Stopped,
        Outcome::AlreadyRunning,
        Outcome::NoneRunning,
        Outcome::NameMissing,
        Outcome::TextMissing,
        Outcome::UnknownKind,
        Outcome::Failed,
    ];

    /// The code in the redirect's query and the words' table.
    pub fn key(self) -> &'static str {
        match self {
            Outcome::Started => "started",
            Outcome::Noted => "noted",
            Outcome::Stopped => "stopped",
            Outcome::AlreadyRunning => "already_running",
            Outcome::NoneRunning => "none_running",
            Outcome::NameMissing => "name_missing",
            Outcome::TextMissing => "text_missing",
            Outcome::UnknownKind => "unknown_kind",
            Outcome::Failed => "failed",
        }
    }

    /// The outcome of code `key`.
    pub fn from_key(key: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.key() == key)
    }

    /// In words.
    pub fn words(self, lang: Language) -> &'static str {
        WebExercises::of(lang).outcomes.iter().find(|(k, _)| *k == self.key()).map_or("", |(_, t)| t)
    }

    /// Whether it was refused or failed (shown as an alert, not a status).
    pub fn refused(self) -> bool {
        !matches!(self, Outcome::Started | Outcome::Noted | Outcome::Stopped)
    }
}

/// `GET /ovningar`.
pub(super) async fn page(viewer: Viewer, lang: PageLang, State(s): State<WebState>, uri: Uri) -> Response {
    let l = lang.lang;
    let now = SystemClock.now_ms();
    let outcome = param(uri.query().unwrap_or_default(), "svar").and_then(Outcome::from_key);
    let main = match &s.exercise {
        None => render_unconfigured(l),
        Some(x) => {
            let past = past_runs(&s.config, x, l, now).await;
            render(&s.config, &viewer, &x.handle, past.as_deref(), outcome, now, &s.tz, l)
        }
    };
    let title = Web::of(l).exercises;
    page::respond(&lang, page::shell(&lang, &viewer, &s.config.site.name, title, Some(Nav::Exercises), &main, Some(&local_hms(now, &s.tz))))
}

/// The finished runs of the last [`PAST_DAYS`], newest first, judged like their reports (None:
/// the store could not be read; logged).
async fn past_runs(config: &std::sync::Arc<Config>, x: &ExerciseApi, lang: Language, now: i64) -> Option<Vec<HistoryRow>> {
    let (config, dir) = (std::sync::Arc::clone(config), x.data_dir.clone());
    let from = now - PAST_DAYS * 86_400_000;
    let done = tokio::task::spawn_blocking(move || history_rows(&config, &dir, from, i64::MAX, lang, now)).await;
    match done {
        Ok(Ok(rows)) => Some(rows.into_iter().rev().filter(|r| r.run.stopped_ms.is_some()).collect()),
        Ok(Err(e)) => {
            tracing::warn!(error = %format!("{e:#}"), "the exercise page cannot read the runs");
            None
        }
        Err(e) => {
            tracing::warn!(error = %e, "the exercise page's read of the runs failed");
            None
        }
    }
}

fn render_unconfigured(lang: Language) -> String {
    format!("<main id=\"main\"><h1>{}</h1><p>{}</p></main>", esc(Web::of(lang).exercises), esc(WebExercises::of(lang).not_configured))
}

/// The page's `<main>`.
#[allow(clippy::too_many_arguments)]
pub(super) fn render(config: &Config, viewer: &Viewer, handle: &ExerciseHandle, past: Option<&[HistoryRow]>, outcome: Option<Outcome>, now: i64, tz: &TimeZone, lang: Language) -> String {
    let w = WebExercises::of(lang);
    let mut o = format!("<main id=\"main\"><h1>{}</h1>", esc(Web::of(lang).exercises));
    if let Some(out) = outcome {
        let (role, class) = if out.refused() { ("alert", "outcome refused") } else { ("status", "outcome") };
        o.push_str(&format!("<p class=\"{class}\" role=\"{role}\">{}</p>", esc(out.words(lang))));
    }
    o.push_str(&format!(
        "<section aria-labelledby=\"running\"><h2 id=\"running\">{}</h2><div data-k=\"{LIVE_KEY}\">{}</div></section>",
        esc(w.running_heading),
        live_html(config, handle, now, tz, lang)
    ));
    if viewer.may(Role::Coordinator) {
        o.push_str(&forms(viewer, handle.active().is_some(), lang));
    }
    o.push_str(&past_html(past, lang));
    o.push_str("</main>");
    o
}

/// The running run and its timeline so far (HTML, every text escaped): the page's and every
/// live frame's.
pub(super) fn live_html(config: &Config, handle: &ExerciseHandle, now: i64, tz: &TimeZone, lang: Language) -> String {
    let w = WebExercises::of(lang);
    let Some(run) = handle.active() else {
        return format!("<p class=\"none\">{}</p>", esc(w.none_running));
    };
    let mut o = facts_html(&run, tz, lang);
    let rows = handle.live().filter(|(r, _)| r.id == run.id).and_then(|(r, tl)| live_rows(config, &r, &tl, now, lang).ok());
    match rows {
        Some(rows) => {
            o.push_str(&format!(
                "<p class=\"verdict v-{}\">{}</p>",
                rows.verdict.key(),
                esc(&fill(w.verdict_so_far, &[("symbol", rows.verdict_symbol), ("verdict", rows.verdict_label.as_str())]))
            ));
            o.push_str(&format!("<h3>{}</h3>", esc(w.timeline_heading)));
            if rows.events.is_empty() {
                o.push_str(&format!("<p>{}</p>", esc(w.no_events)));
            } else {
                let body: String = rows
                    .events
                    .iter()
                    .map(|e| {
                        let c = w.timeline_columns;
                        format!(
                            "<tr data-event=\"{}\"><td data-label=\"{}\">{}</td><td data-label=\"{}\">{}</td><td data-label=\"{}\">{}</td><td data-label=\"{}\">{}</td></tr>",
                            e.event.kind.key(),
                            esc(c[0]),
                            esc(&e.at_local),
                            esc(c[1]),
                            esc(&e.label),
                            esc(c[2]),
                            esc(e.unit_name.as_deref().unwrap_or("–")),
                            esc(c[3]),
                            esc(&e.timing_label)
                        )
                    })
                    .collect();
                o.push_str(&table("timeline cards", w.timeline_heading, &w.timeline_columns, &body));
            }
            o.push_str(&format!("<h3>{}</h3>", esc(w.kpis_heading)));
            let body: String = rows
                .kpis
                .iter()
                .map(|k| {
                    let c = w.kpi_columns;
                    let value = match &k.resolution_text {
                        Some(r) => format!("{} {r}", k.value_text),
                        None => k.value_text.clone(),
                    };
                    format!(
                        "<tr data-kpi=\"{}\" data-verdict=\"{}\"><td data-label=\"{}\">{}</td><td data-label=\"{}\">{}</td><td data-label=\"{}\">{}</td><td data-label=\"{}\">{}</td><td data-label=\"{}\" class=\"v-{}\"><span aria-hidden=\"true\">{}</span> {}</td></tr>",
                        esc(k.kpi.key),
                        k.kpi.verdict.key(),
                        esc(c[0]),
                        esc(&k.label),
                        esc(c[1]),
                        esc(k.unit_name.as_deref().unwrap_or("–")),
                        esc(c[2]),
                        esc(&value),
                        esc(c[3]),
                        esc(&k.limit_text),
                        esc(c[4]),
                        k.kpi.verdict.key(),
                        k.verdict_symbol,
                        esc(&k.verdict_label)
                    )
                })
                .collect();
            o.push_str(&table("kpis cards", w.kpis_heading, &w.kpi_columns, &body));
        }
        None => o.push_str(&format!("<h3>{}</h3><p>{}</p>", esc(w.timeline_heading), esc(w.no_events))),
    }
    o.push_str(&format!("<h3>{}</h3>", esc(w.notes_heading)));
    if run.notes.is_empty() {
        o.push_str(&format!("<p>{}</p>", esc(w.no_notes)));
    } else {
        o.push_str("<ul class=\"notes\">");
        for n in &run.notes {
            let line = fill(w.note, &[("time", local_datetime(n.at_ms, tz).as_str()), ("by", n.by.as_str()), ("text", n.text.as_str())]);
            o.push_str(&format!("<li>{}</li>", esc(&line)));
        }
        o.push_str("</ul>");
    }
    o
}

/// The running run's facts.
fn facts_html(run: &Run, tz: &TimeZone, lang: Language) -> String {
    let w = WebExercises::of(lang);
    let values = [kind_label(run.kind, lang).to_string(), run.name.clone(), local_datetime(run.started_ms, tz), run.started_by.clone()];
    let items: String = w.facts.iter().zip(&values).map(|(k, v)| format!("<dt>{}</dt><dd>{}</dd>", esc(k), esc(v))).collect();
    format!(
        "<p class=\"run\" data-run=\"{}\" data-kind=\"{}\">{}</p><dl class=\"run-facts\">{items}</dl>",
        run.id,
        run.kind.key(),
        esc(&fill(w.run_number, &[("id", run.id)]))
    )
}

/// A table with a hidden caption and column headings.
fn table(class: &str, caption: &str, columns: &[&str], body: &str) -> String {
    let head: String = columns.iter().map(|c| format!("<th scope=\"col\">{}</th>", esc(c))).collect();
    format!("<table class=\"{class}\"><caption class=\"sr\">{}</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>", esc(caption))
}

/// The coordinator's forms: start when nothing runs, note and stop while a run runs.
fn forms(viewer: &Viewer, running: bool, lang: Language) -> String {
    let w = WebExercises::of(lang);
    let user = viewer.user();
    let csrf = user.and_then(|u| u.csrf.as_deref()).unwrap_or_default();
    let name = user.map(|u| u.name.as_str()).unwrap_or_default();
    let hidden = format!("<input type=\"hidden\" name=\"csrf\" value=\"{}\">", esc(csrf));
    let mut o = format!("<section aria-labelledby=\"act\" class=\"act\"><h2 id=\"act\">{}</h2><p>{}</p>", esc(w.act_heading), esc(&fill(w.acting_as, &[("name", name)])));
    if running {
        let [nh, nl, nb] = w.note_form;
        o.push_str(&format!(
            "<form method=\"post\" action=\"/ovningar/notering\"><h3>{}</h3>{hidden}<label for=\"note-text\">{}</label> <input id=\"note-text\" name=\"text\" required maxlength=\"2000\"> <button type=\"submit\">{}</button></form>",
            esc(nh),
            esc(nl),
            esc(nb)
        ));
        let [sh, sb] = w.stop_form;
        o.push_str(&format!("<form method=\"post\" action=\"/ovningar/stoppa\"><h3>{}</h3>{hidden}<button type=\"submit\">{}</button></form>", esc(sh), esc(sb)));
    } else {
        let [h, kl, nl, b] = w.start_form;
        let kinds: String = ExerciseKind::ALL
            .into_iter()
            .filter(|k| k.is_exercise())
            .map(|k| format!("<option value=\"{}\">{}</option>", k.key(), esc(kind_label(k, lang))))
            .collect();
        o.push_str(&format!(
            "<form method=\"post\" action=\"/ovningar/starta\"><h3>{}</h3>{hidden}<p><label for=\"start-kind\">{}</label> <select id=\"start-kind\" name=\"kind\">{kinds}</select></p>\
<p><label for=\"start-name\">{}</label> <input id=\"start-name\" name=\"name\" required maxlength=\"200\"></p><button type=\"submit\">{}</button></form>",
            esc(h),
            esc(kl),
            esc(nl),
            esc(b)
        ));
    }
    o.push_str("</section>");
    o
}

/// The finished runs with their verdicts and report links.
fn past_html(past: Option<&[HistoryRow]>, lang: Language) -> String {
    let w = WebExercises::of(lang);
    let mut o = format!("<section aria-labelledby=\"past\"><h2 id=\"past\">{}</h2>", esc(w.past_heading));
    match past {
        None => o.push_str(&format!("<p>{}</p>", esc(w.past_unreadable))),
        Some([]) => o.push_str(&format!("<p>{}</p>", esc(w.no_past))),
        Some(rows) => {
            let c = w.past_columns;
            let body: String = rows
                .iter()
                .map(|r| {
                    let f = &r.run;
                    let links: String = ["html", "csv", "json"]
                        .iter()
                        .map(|ext| {
                            let label = fill(w.report_link, &[("id", f.id.to_string().as_str()), ("format", &ext.to_uppercase())]);
                            format!("<a href=\"/ovningar/{}/rapport.{ext}\" download aria-label=\"{}\">{}</a>", f.id, esc(&label), ext.to_uppercase())
                        })
                        .collect::<Vec<_>>()
                        .join(" · ");
                    format!(
                        "<tr data-run=\"{id}\" data-verdict=\"{vk}\"><td data-label=\"{}\">{id}</td><td data-label=\"{}\">{}</td><td data-label=\"{}\">{}</td><td data-label=\"{}\">{}</td><td data-label=\"{}\">{}</td>\
<td data-label=\"{}\" class=\"v-{vk}\"><span aria-hidden=\"true\">{}</span> {}</td><td data-label=\"{}\">{links}</td></tr>",
                        esc(c[0]),
                        esc(c[1]),
                        esc(&f.kind_label),
                        esc(c[2]),
                        esc(&f.name),
                        esc(c[3]),
                        esc(&f.started_local),
                        esc(c[4]),
                        esc(&f.stopped_local),
                        esc(c[5]),
                        r.verdict_symbol,
                        esc(&r.verdict_label),
                        esc(c[6]),
                        id = f.id,
                        vk = r.verdict.key(),
                    )
                })
                .collect();
            o.push_str(&table("runs cards", w.past_heading, &c, &body));
        }
    }
    o.push_str("</section>");
    o
}

/// A refusal page (403, or 400 for an unreadable form) in words.
pub(super) fn refuse(s: &WebState, lang: &PageLang, viewer: &Viewer, status: StatusCode, words: &str) -> Response {
    let title = Web::of(lang.lang).exercises;
    let main = format!("<main id=\"main\"><h1>{}</h1><p role=\"alert\">{}</p><p><a href=\"/ovningar\">{}</a></p></main>", esc(title), esc(words), esc(title));
    (status, page::respond(lang, page::shell(lang, viewer, &s.config.site.name, title, Some(Nav::Exercises), &main, None))).into_response()
}

/// Back to the page with `outcome`.
fn back(outcome: Outcome) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, format!("/ovningar?svar={}", outcome.key()))]).into_response()
}

/// A start form.
#[derive(Debug, Deserialize)]
pub(super) struct StartForm {
    csrf: Option<String>,
    kind: Option<String>,
    name: Option<String>,
}

/// A note form.
#[derive(Debug, Deserialize)]
pub(super) struct NoteForm {
    csrf: Option<String>,
    text: Option<String>,
}

/// A stop form.
#[derive(Debug, Deserialize)]
pub(super) struct StopForm {
    csrf: Option<String>,
}

/// The user's name and the exercise actor, or the refusal's status and words: not a
/// coordinator, a foreign form, no `[exercise]`.
fn allowed<'a>(s: &'a WebState, lang: Language, viewer: &'a Viewer, csrf: Option<&str>) -> Result<(&'a str, &'a ExerciseApi), (StatusCode, &'static str)> {
    let user = match viewer.acting(Role::Coordinator, csrf.unwrap_or_default()) {
        Ok(u) => u,
        Err(Refusal::Role) => return Err((StatusCode::FORBIDDEN, WebExercises::of(lang).forbidden)),
        Err(Refusal::Csrf) => return Err((StatusCode::FORBIDDEN, Auth::of(lang).bad_csrf)),
    };
    let w = WebExercises::of(lang);
    let Some(x) = &s.exercise else {
        return Err((StatusCode::NOT_FOUND, w.not_configured));
    };
    Ok((user.name.as_str(), x))
}

/// What a refused or failed command came to, judged by the state after it.
fn failure(e: &CommandError, handle: &ExerciseHandle, start: bool) -> Outcome {
    match e {
        CommandError::Refused(_) if start && handle.active().is_some() => Outcome::AlreadyRunning,
        CommandError::Refused(_) if !start && handle.active().is_none() => Outcome::NoneRunning,
        _ => Outcome::Failed,
    }
}

/// `POST /ovningar/starta`.
pub(super) async fn start(viewer: Viewer, lang: PageLang, State(s): State<WebState>, f: Result<Form<StartForm>, FormRejection>) -> Response {
    let Ok(Form(f)) = f else {
        return refuse(&s, &lang, &viewer, StatusCode::BAD_REQUEST, WebExercises::of(lang.lang).bad_form);
    };
    let (by, x) = match allowed(&s, lang.lang, &viewer, f.csrf.as_deref()) {
        Ok(v) => v,
        Err((status, words)) => return refuse(&s, &lang, &viewer, status, words),
    };
    let kind = f.kind.unwrap_or_default();
    let name = f.name.unwrap_or_default();
    if !ExerciseKind::from_key(kind.trim()).is_some_and(ExerciseKind::is_exercise) {
        return back(Outcome::UnknownKind);
    }
    if name.trim().is_empty() {
        return back(Outcome::NameMissing);
    }
    if x.handle.active().is_some() {
        return back(Outcome::AlreadyRunning);
    }
    match exercise_act(x, "web", Command::Start { kind, name, by: by.to_string() }).await {
        Ok(_) => back(Outcome::Started),
        Err(e) => back(failure(&e, &x.handle, true)),
    }
}

/// `POST /ovningar/notering`.
pub(super) async fn note(viewer: Viewer, lang: PageLang, State(s): State<WebState>, f: Result<Form<NoteForm>, FormRejection>) -> Response {
    let Ok(Form(f)) = f else {
        return refuse(&s, &lang, &viewer, StatusCode::BAD_REQUEST, WebExercises::of(lang.lang).bad_form);
    };
    let (by, x) = match allowed(&s, lang.lang, &viewer, f.csrf.as_deref()) {
        Ok(v) => v,
        Err((status, words)) => return refuse(&s, &lang, &viewer, status, words),
    };
    let text = f.text.unwrap_or_default();
    if text.trim().is_empty() {
        return back(Outcome::TextMissing);
    }
    if x.handle.active().is_none() {
        return back(Outcome::NoneRunning);
    }
    match exercise_act(x, "web", Command::Note { by: by.to_string(), text }).await {
        Ok(_) => back(Outcome::Noted),
        Err(e) => back(failure(&e, &x.handle, false)),
    }
}

/// `POST /ovningar/stoppa`.
pub(super) async fn stop(viewer: Viewer, lang: PageLang, State(s): State<WebState>, f: Result<Form<StopForm>, FormRejection>) -> Response {
    let Ok(Form(f)) = f else {
        return refuse(&s, &lang, &viewer, StatusCode::BAD_REQUEST, WebExercises::of(lang.lang).bad_form);
    };
    let (by, x) = match allowed(&s, lang.lang, &viewer, f.csrf.as_deref()) {
        Ok(v) => v,
        Err((status, words)) => return refuse(&s, &lang, &viewer, status, words),
    };
    if x.handle.active().is_none() {
        return back(Outcome::NoneRunning);
    }
    match exercise_act(x, "web", Command::Stop { by: by.to_string() }).await {
        Ok(_) => back(Outcome::Stopped),
        Err(e) => back(failure(&e, &x.handle, false)),
    }
}

#[cfg(test)]
mod tests;
