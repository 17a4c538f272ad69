//! The alarm console's actions for a viewer who may act as an operator: per alarm a
//! "Kvittera" form (optional comment), "Parkera" (reason, 1 h / 8 h / 24 h / 7 dygn) and
//! "Återaktivera" for a shelved one. `POST /larm/{id}/kvittera`, `/parkera`, `/avparkera` go to
//! the alarm actor under the signed-in user's name (journalled as `by`) and answer 303 to
//! `/larm`; anonymous viewers, lesser roles and a missing or wrong `csrf` get a 403 page and
//! nothing changes; the actor's refusals (unknown alarm, nothing to acknowledge) a page saying so.
//!
//! The forms are `<template>`s rendered per viewer (they carry the session's CSRF token); the
//! console's rows are the same for everybody (the live stream sends them), so `actions.js` puts
//! the right forms into each row and keeps them (and what is typed in them) across live updates.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use driftvakt_domain::alarm::AlarmError;
use driftvakt_domain::alarm::AlarmRecord;
use driftvakt_domain::clock::{Clock, SystemClock};
use driftvakt_domain::text::auth::Auth;
use driftvakt_domain::text::fill;
use serde::Deserialize;

use super::assets;
use super::lang::PageLang;
use super::page::{self, Nav, esc};
use super::state::WebState;
use super::viewer::{Refusal, Role, Viewer};

/// The shelving durations offered, in hours.
pub const SHELVE_HOURS: [u32; 4] = [1, 8, 24, 168];

/// An acknowledgement.
#[derive(Debug, Deserialize)]
pub(super) struct AckForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    comment: String,
}

/// A shelving.
#[derive(Debug, Deserialize)]
pub(super) struct ShelveForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    hours: u32,
}

/// Lifting a shelving.
#[derive(Debug, Deserialize)]
pub(super) struct UnshelveForm {
    #[serde(default)]
    csrf: String,
}

/// A refusal page (403) saying `why`.
pub(super) fn refused(s: &WebState, lang: &PageLang, viewer: &Viewer, why: &str) -> Response {
    message(s, lang, viewer, StatusCode::FORBIDDEN, Auth::of(lang.lang).refused, why)
}

/// A page with `title` and `text` and a way back to the console, answered with `status`.
fn message(s: &WebState, lang: &PageLang, viewer: &Viewer, status: StatusCode, title: &str, text: &str) -> Response {
    let t = Auth::of(lang.lang);
    let sign_in = if viewer.user().is_none() { format!(" · <a href=\"/logga-in?nasta=/larm\">{}</a>", esc(t.log_in)) } else { String::new() };
    let main = format!(
        "<main id=\"main\"><h1>{}</h1><p role=\"alert\">{}</p><p><a href=\"/larm\">{}</a>{sign_in}</p></main>",
        esc(title),
        esc(text),
        esc(t.back)
    );
    (status, page::respond(lang, page::shell(lang, viewer, &s.config.site.name, title, Some(Nav::Alarms), &main, None))).into_response()
}

/// Whether `viewer` may act on alarms with the form's `csrf`: `Err` is the refusal's reason.
fn allowed(viewer: &Viewer, csrf: &str, lang: &PageLang) -> Result<String, &'static str> {
    let t = Auth::of(lang.lang);
    match viewer.acting(Role::Operator, csrf) {
        Ok(u) => Ok(u.name.clone()),
        Err(Refusal::Role) => Err(t.need_operator),
        Err(Refusal::Csrf) => Err(t.bad_csrf),
    }
}

/// What the alarm actor answered, as the page's answer: 303 to the console when done.
fn outcome(s: &WebState, lang: &PageLang, viewer: &Viewer, id: &str, r: Result<Result<AlarmRecord, AlarmError>, impl std::fmt::Debug>) -> Response {
    let t = Auth::of(lang.lang);
    let (status, text) = match r {
        Ok(Ok(_)) => return (StatusCode::SEE_OTHER, [(header::LOCATION, "/larm")]).into_response(),
        Ok(Err(AlarmError::Unknown(_))) => (StatusCode::NOT_FOUND, fill(t.unknown_alarm, &[("id", id)])),
        Ok(Err(AlarmError::NothingToAck { .. })) => (StatusCode::CONFLICT, fill(t.nothing_to_ack, &[("id", id)])),
        Ok(Err(e @ AlarmError::BadRequest(_))) => (StatusCode::BAD_REQUEST, e.to_string()),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, t.service_down.to_string()),
    };
    message(s, lang, viewer, status, t.failed, &text)
}

/// `POST /larm/{id}/kvittera`.
pub(super) async fn ack(viewer: Viewer, lang: PageLang, State(s): State<WebState>, Path(id): Path<String>, Form(f): Form<AckForm>) -> Response {
    let by = match allowed(&viewer, &f.csrf, &lang) {
        Ok(by) => by,
        Err(why) => return refused(&s, &lang, &viewer, why),
    };
    let comment = Some(f.comment.trim().to_string()).filter(|c| !c.is_empty());
    let r = s.alarms.ack(&id, &by, comment).await;
    outcome(&s, &lang, &viewer, &id, r)
}

/// `POST /larm/{id}/parkera`.
pub(super) async fn shelve(viewer: Viewer, lang: PageLang, State(s): State<WebState>, Path(id): Path<String>, Form(f): Form<ShelveForm>) -> Response {
    let by = match allowed(&viewer, &f.csrf, &lang) {
        Ok(by) => by,
        Err(why) => return refused(&s, &lang, &viewer, why),
    };
    let t = Auth::of(lang.lang);
    let reason = f.reason.trim();
    if reason.is_empty() || !SHELVE_HOURS.contains(&f.hours) {
        return message(&s, &lang, &viewer, StatusCode::BAD_REQUEST, t.failed, t.reason_needed);
    }
    let until = SystemClock.now_ms() + i64::from(f.hours) * 3_600_000;
    let r = s.alarms.shelve(&id, until, reason, &by).await;
    outcome(&s, &lang, &viewer, &id, r)
}

/// `POST /larm/{id}/avparkera`.
pub(super) async fn unshelve(viewer: Viewer, lang: PageLang, State(s): State<WebState>, Path(id): Path<String>, Form(f): Form<UnshelveForm>) -> Response {
    let by = match allowed(&viewer, &f.csrf, &lang) {
        Ok(by) => by,
        Err(why) => return refused(&s, &lang, &viewer, why),
    };
    let r = s.alarms.unshelve(&id, &by).await;
    outcome(&s, &lang, &viewer, &id, r)
}

/// What the console adds for `viewer`: for one who may act, the forms as templates and the
/// script that puts them into the rows (`Some`); else `None`.
pub(super) fn forms(viewer: &Viewer, lang: &PageLang) -> Option<String> {
    if !viewer.may(Role::Operator) {
        return None;
    }
    let t = Auth::of(lang.lang);
    let csrf = format!("<input type=\"hidden\" name=\"csrf\" value=\"{}\">", esc(viewer.user()?.csrf.as_deref().unwrap_or("")));
    let options: String = SHELVE_HOURS
        .iter()
        .zip([t.dur_1h, t.dur_8h, t.dur_24h, t.dur_7d])
        .map(|(h, label)| format!("<option value=\"{h}\"{}>{}</option>", if *h == 8 { " selected" } else { "" }, esc(label)))
        .collect();
    Some(format!(
        "<template id=\"act-ack\"><form class=\"act\" method=\"post\" data-verb=\"kvittera\">{csrf}\
<label>{comment} <input name=\"comment\" maxlength=\"500\"></label> <button type=\"submit\">{ack}</button></form></template>\
<template id=\"act-shelve\"><details class=\"act\"><summary>{shelve}</summary><form method=\"post\" data-verb=\"parkera\">{csrf}\
<label>{reason} <input name=\"reason\" required maxlength=\"500\"></label> <label>{duration} <select name=\"hours\">{options}</select></label> \
<button type=\"submit\">{shelve}</button></form></details></template>\
<template id=\"act-unshelve\"><form class=\"act\" method=\"post\" data-verb=\"avparkera\">{csrf}<button type=\"submit\">{unshelve}</button></form></template>\
<script src=\"{js}\" defer></script>",
        comment = esc(t.comment),
        ack = esc(t.ack),
        shelve = esc(t.shelve),
        reason = esc(t.reason),
        duration = esc(t.duration),
        unshelve = esc(t.unshelve),
        js = assets::url("actions.js"),
    ))
}

#[cfg(test)]
mod tests {
    use driftvakt_config::model::Language;

    use super::*;
    use crate::web::viewer::User;

    fn sv() -> PageLang {
        PageLang { lang: Language::Sv, chosen: false }
    }

    #[test]
    fn operators_get_the_forms_with_their_csrf_token_and_nobody_else_does() {
        let eva = Viewer::User(User { name: "Eva".into(), role: Role::Operator, csrf: Some("tok".into()) });
        let f = forms(&eva, &sv()).expect("forms");
        assert_eq!(f.matches("name=\"csrf\" value=\"tok\"").count(), 3, "{f}");
        assert!(f.contains(">Kvittera</button>") && f.contains(">Återaktivera</button>") && f.contains("7 dygn"), "{f}");
        assert!(forms(&Viewer::Anonymous, &sv()).is_none());
    }

    #[test]
    fn acting_needs_the_operator_role_and_the_sessions_own_token() {
        let eva = Viewer::User(User { name: "Eva".into(), role: Role::Operator, csrf: Some("tok".into()) });
        assert_eq!(allowed(&eva, "tok", &sv()), Ok("Eva".to_string()));
        assert_eq!(allowed(&eva, "other", &sv()), Err(Auth::SV.bad_csrf));
        assert_eq!(allowed(&eva, "", &sv()), Err(Auth::SV.bad_csrf));
        assert_eq!(allowed(&Viewer::Anonymous, "tok", &sv()), Err(Auth::SV.need_operator));
    }
}
