//! How a request becomes its [`Viewer`]: the API token, else a live session cookie, else the
//! anonymous viewer where viewing is open (`[web] view_open`, or a client on this machine);
//! anyone else gets a page that says viewing needs a login.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use driftvakt_domain::text::web::Web;

use super::auth::session;
use super::lang::PageLang;
use super::page;
use super::state::WebState;
use super::viewer::{API_USER, Role, User, Viewer};
use crate::constant_time::same;

/// The API token's user when `parts` carries it.
fn bearer(parts: &Parts, state: &WebState) -> Option<Viewer> {
    let token = state.token.as_deref()?;
    let given = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?.strip_prefix("Bearer ")?.trim();
    same(given.as_bytes(), token.as_bytes()).then(|| Viewer::User(User { name: API_USER.into(), role: Role::Coordinator, csrf: None }))
}

impl FromRequestParts<WebState> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> Result<Viewer, Response> {
        if let Some(v) = bearer(parts, state) {
            return Ok(v);
        }
        if let Some(user) = session::cookie_id(&parts.headers).and_then(|id| state.auth.sessions.user(id, std::time::Instant::now())) {
            return Ok(Viewer::User(user));
        }
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
        match Viewer::of(peer, state.config.web.view_open) {
            Some(v) => Ok(v),
            None => {
                let lang = PageLang::of(parts);
                let t = Web::of(lang.lang);
                let sign_in = driftvakt_domain::text::auth::Auth::of(lang.lang).log_in;
                let body = format!("<main id=\"main\"><h1>{}</h1><p>{}</p><p><a href=\"/logga-in\">{}</a></p></main>", page::esc(t.overview), page::esc(t.view_closed), page::esc(sign_in));
                let html = page::shell(&lang, &Viewer::Anonymous, &state.config.site.name, t.overview, None, &body, None);
                Err((StatusCode::FORBIDDEN, page::respond(&lang, html)).into_response())
            }
        }
    }
}

