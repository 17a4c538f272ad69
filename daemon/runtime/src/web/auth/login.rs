//! `GET /logga-in` (the form), `POST /logga-in` (check, rate limit, session, 303 back to the
//! page it came from) and `POST /logga-ut` (CSRF-checked; ends the session).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::Form;
use axum::extract::{ConnectInfo, FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use driftvakt_domain::clock::{Clock, SystemClock};
use driftvakt_domain::fmt::local_hms;
use driftvakt_domain::text::auth::Auth as T;
use driftvakt_domain::text::fill;
use serde::Deserialize;
use tracing::info;

use super::session::{self, cookie_id};
use super::super::lang::PageLang;
use super::super::page::{self, esc};
use super::super::state::WebState;
use super::super::viewer::Viewer;

/// How long a login waits for its turn at the password check before it is told to try again.
const CHECK_QUEUE: Duration = Duration::from_secs(10);
/// Characters of a name that count for the per-name limit.
const MAX_NAME_CHARS: usize = 64;

/// Where to go after signing in: `nasta` when it is a path on this site, else the overview.
pub fn local_path(next: Option<&str>) -> &str {
    match next {
        Some(p) if p.starts_with('/') && !p.starts_with("//") && !p.contains(['\\', '\r', '\n']) => p,
        _ => "/",
    }
}

/// The client's address, when the server recorded it.
pub(in crate::web) struct Peer(Option<SocketAddr>);

impl<S: Send + Sync> FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Peer, Self::Rejection> {
        Ok(Peer(parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0)))
    }
}

/// `?nasta=` of the login page.
#[derive(Debug, Deserialize)]
pub(in crate::web) struct Next {
    nasta: Option<String>,
}

/// The login form.
#[derive(Debug, Deserialize)]
pub(in crate::web) struct LoginForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
    nasta: Option<String>,
}

/// The logout form.
#[derive(Debug, Deserialize)]
pub(in crate::web) struct LogoutForm {
    #[serde(default)]
    csrf: String,
}

/// The signed-in viewer of `headers` (a live session), if any.
fn session_viewer(s: &WebState, headers: &HeaderMap) -> Option<Viewer> {
    let id = cookie_id(headers)?;
    s.auth.sessions.user(id, Instant::now()).map(Viewer::User)
}

/// The login page: `message` above the form (an error), `status` its answer's.
fn login_page(s: &WebState, lang: &PageLang, viewer: &Viewer, next: &str, name: &str, message: Option<&str>, status: StatusCode) -> Response {
    let t = T::of(lang.lang);
    let already = viewer.user().map(|u| format!("<p>{}</p>", esc(&fill(t.already, &[("name", u.name.as_str())])))).unwrap_or_default();
    let msg = message.map(|m| format!("<p class=\"error\" role=\"alert\">{}</p>", esc(m))).unwrap_or_default();
    let main = format!(
        "<main id=\"main\"><h1>{title}</h1>{already}{msg}<form class=\"login\" method=\"post\" action=\"/logga-in\">\
<input type=\"hidden\" name=\"nasta\" value=\"{next}\">\
<p><label for=\"login-name\">{name_l}</label><br><input id=\"login-name\" name=\"name\" autocomplete=\"username\" required value=\"{name}\"></p>\
<p><label for=\"login-password\">{pw_l}</label><br><input id=\"login-password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required></p>\
<p><button type=\"submit\">{button}</button></p></form><p class=\"note\">{hint}</p></main>",
        title = esc(t.log_in),
        next = esc(next),
        name_l = esc(t.name),
        name = esc(name),
        pw_l = esc(t.password),
        button = esc(t.log_in),
        hint = esc(t.login_hint),
    );
    let html = page::shell(lang, viewer, &s.config.site.name, t.log_in, None, &main, None);
    (status, page::respond(lang, html)).into_response()
}

/// `GET /logga-in`.
pub(in crate::web) async fn form(lang: PageLang, State(s): State<WebState>, headers: HeaderMap, Query(q): Query<Next>) -> Response {
    let viewer = session_viewer(&s, &headers).unwrap_or(Viewer::Anonymous);
    login_page(&s, &lang, &viewer, local_path(q.nasta.as_deref()), "", None, StatusCode::OK)
}

/// `POST /logga-in`.
pub(in crate::web) async fn submit(
    lang: PageLang,
    State(s): State<WebState>,
    Peer(peer): Peer,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let t = T::of(lang.lang);
    let next = local_path(f.nasta.as_deref()).to_string();
    let name = f.name.trim().to_string();
    // A name is counted by its first characters only: a flood of long names cannot fill memory.
    let counted: String = name.to_lowercase().chars().take(MAX_NAME_CHARS).collect();
    let keys = [format!("ip:{}", peer.map(|p| p.ip().to_string()).unwrap_or_default()), format!("user:{counted}")];
    let viewer = session_viewer(&s, &headers).unwrap_or(Viewer::Anonymous);
    let now = Instant::now();
    if let Some(wait) = keys.iter().filter_map(|k| s.auth.limiter.blocked(k, now)).max() {
        return too_many(&s, &lang, &viewer, &next, &name, wait);
    }
    // At most `PARALLEL_CHECKS` password checks at once; the rest wait their turn a while.
    let Ok(Ok(_permit)) = tokio::time::timeout(CHECK_QUEUE, s.auth.checks.acquire()).await else {
        return too_many(&s, &lang, &viewer, &next, &name, Duration::from_secs(5));
    };
    let auth = std::sync::Arc::clone(&s.auth);
    let (n, p) = (name.clone(), f.password);
    let who = tokio::task::spawn_blocking(move || auth.check(&n, &p)).await.ok().flatten();
    let Some((who, role)) = who else {
        let now = Instant::now();
        keys.iter().for_each(|k| s.auth.limiter.fail(k, now));
        info!(user = %name, "web sign-in failed");
        return login_page(&s, &lang, &viewer, &next, &name, Some(t.login_failed), StatusCode::UNAUTHORIZED);
    };
    s.auth.limiter.clear(&keys[1]);
    let Some(id) = s.auth.sessions.create(&who, role, Instant::now()) else {
        return (StatusCode::SERVICE_UNAVAILABLE, "no random bytes from the system").into_response();
    };
    if let Some(old) = cookie_id(&headers) {
        s.auth.sessions.end(old);
    }
    info!(user = %who, role = role.code(), "web sign-in");
    let mut r = (StatusCode::SEE_OTHER, [(header::LOCATION, next)]).into_response();
    if let Ok(v) = HeaderValue::from_str(&session::set_cookie(&id)) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

/// 429 with `Retry-After` and a page saying when to try again.
fn too_many(s: &WebState, lang: &PageLang, viewer: &Viewer, next: &str, name: &str, wait: Duration) -> Response {
    let at = SystemClock.now_ms() + i64::try_from(wait.as_millis()).unwrap_or(i64::MAX / 2);
    let msg = fill(T::of(lang.lang).too_many, &[("time", local_hms(at, &s.tz))]);
    let mut r = login_page(s, lang, viewer, next, name, Some(&msg), StatusCode::TOO_MANY_REQUESTS);
    r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(wait.as_secs().max(1)));
    r
}

/// `POST /logga-ut`.
pub(in crate::web) async fn logout(lang: PageLang, State(s): State<WebState>, headers: HeaderMap, Form(f): Form<LogoutForm>) -> Response {
    let viewer = session_viewer(&s, &headers).unwrap_or(Viewer::Anonymous);
    if !viewer.csrf_ok(&f.csrf) || viewer.user().is_none_or(|u| u.csrf.is_none()) {
        return super::super::alarm_actions::refused(&s, &lang, &viewer, T::of(lang.lang).bad_csrf);
    }
    if let Some(id) = cookie_id(&headers) {
        s.auth.sessions.end(id);
    }
    let mut r = (StatusCode::SEE_OTHER, [(header::LOCATION, "/")]).into_response();
    if let Ok(v) = HeaderValue::from_str(&session::clear_cookie()) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn after_signing_in_only_a_path_on_this_site_is_followed() {
        assert_eq!(local_path(Some("/larm")), "/larm");
        assert_eq!(local_path(Some("/larm?lang=en")), "/larm?lang=en");
        assert_eq!(local_path(Some("//evil.example/")), "/");
        assert_eq!(local_path(Some("https://evil.example/")), "/");
        assert_eq!(local_path(Some("/\\evil.example")), "/");
        assert_eq!(local_path(None), "/");
    }
}
