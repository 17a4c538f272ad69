//! Who is looking at a page: the one decision every page handler takes as its [`Viewer`]
//! argument. Today there are no logins: with `[web] view_open` (the default) anyone who reaches
//! the listener is the anonymous viewer; without it only clients on this machine are. Logins,
//! sessions and CSRF checks slot in here (a session cookie → a named operator), and handlers
//! that act (acknowledge, shelve) will ask the viewer what it may do.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use driftvakt_domain::text::web::Web;

use super::state::WebState;
use super::lang::PageLang;
use super::page;

/// The viewer of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Viewer {
    /// Nobody in particular: may look, may not act.
    Anonymous,
}

impl Viewer {
    /// Who `peer` is when `view_open` says whether looking needs no login.
    pub fn of(peer: Option<SocketAddr>, view_open: bool) -> Option<Viewer> {
        let local = peer.is_some_and(|p| p.ip().is_loopback());
        (view_open || local).then_some(Viewer::Anonymous)
    }
}

impl FromRequestParts<WebState> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> Result<Viewer, Response> {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
        match Viewer::of(peer, state.config.web.view_open) {
            Some(v) => Ok(v),
            None => {
                let lang = PageLang::of(parts);
                let t = Web::of(lang.lang);
                let body = format!("<main id=\"main\"><h1>{}</h1><p>{}</p></main>", page::esc(t.overview), page::esc(t.view_closed));
                let html = page::shell(&lang, &state.config.site.name, t.overview, None, &body, None);
                Err((StatusCode::FORBIDDEN, page::respond(&lang, html)).into_response())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viewing_is_open_by_configuration_and_always_open_on_this_machine() {
        let far: SocketAddr = "192.0.2.7:5000".parse().expect("addr");
        let here: SocketAddr = "127.0.0.1:5000".parse().expect("addr");
        assert_eq!(Viewer::of(Some(far), true), Some(Viewer::Anonymous));
        assert_eq!(Viewer::of(Some(far), false), None);
        assert_eq!(Viewer::of(Some(here), false), Some(Viewer::Anonymous));
        assert_eq!(Viewer::of(None, false), None);
    }
}
