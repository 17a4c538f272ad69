//! `GET /web/live?lang=`: a client's stream of the [`super::hub::Hub`]'s frames as server-sent
//! events (what they carry: `frame.rs`), from the next one on, until the client goes or the
//! daemon stops. The browser reconnects by itself after [`RETRY`].

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};

use super::lang::PageLang;
use super::state::WebState;
use super::viewer::Viewer;

/// How long a browser waits before reconnecting a broken stream.
pub const RETRY: Duration = Duration::from_secs(2);

/// `GET /web/live`.
pub(super) async fn stream(_: Viewer, lang: PageLang, State(s): State<WebState>) -> Response {
    let sub = s.hub.subscribe();
    let lang = lang.lang;
    let first = Event::default().retry(RETRY).comment("driftvakt");
    let frames = futures_util::stream::unfold(sub, move |mut sub| async move {
        loop {
            sub.frames.changed().await.ok()?;
            let frame = sub.frames.borrow_and_update().clone();
            if let Some(f) = frame {
                return Some((Ok::<Event, Infallible>(f.of(lang)), sub));
            }
        }
    });
    let events = futures_util::StreamExt::chain(futures_util::stream::once(async move { Ok(first) }), frames);
    let mut r = Sse::new(events).into_response();
    let h = r.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    r
}
