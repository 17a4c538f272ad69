//! The pages' assets, embedded in the binary: `style.css`, `live.js` and `actions.js` (the alarm
//! console's forms, for operators). Pages link them as
//! `/static/<file>?v=<hash of the content>`, so such a request may be cached for good
//! (`immutable`); any other is revalidated by its `ETag`.

use axum::extract::{Path, RawQuery};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::lang::param;

/// One embedded file.
struct Asset {
    /// Its name under `/static/`.
    name: &'static str,
    /// Its `Content-Type`.
    content_type: &'static str,
    /// Its content.
    body: &'static str,
    /// FNV-1a of the content: its version.
    version: u64,
}

/// FNV-1a, 64 bit (a content version, not a security measure).
const fn fnv(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        h ^= bytes[i] as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
        i += 1;
    }
    h
}

const STYLE: &str = include_str!("assets/style.css");
const SCRIPT: &str = include_str!("assets/live.js");
const ACTIONS: &str = include_str!("assets/actions.js");

/// Every asset.
const ASSETS: [Asset; 3] = [
    Asset { name: "style.css", content_type: "text/css; charset=utf-8", body: STYLE, version: fnv(STYLE.as_bytes()) },
    Asset { name: "live.js", content_type: "text/javascript; charset=utf-8", body: SCRIPT, version: fnv(SCRIPT.as_bytes()) },
    Asset { name: "actions.js", content_type: "text/javascript; charset=utf-8", body: ACTIONS, version: fnv(ACTIONS.as_bytes()) },
];

fn find(name: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.name == name)
}

/// The versioned address of asset `name` (`/static/style.css?v=…`).
pub fn url(name: &str) -> String {
    match find(name) {
        Some(a) => format!("/static/{}?v={:016x}", a.name, a.version),
        None => format!("/static/{name}"),
    }
}

/// `GET /static/{file}`.
pub(super) async fn serve(Path(file): Path<String>, RawQuery(query): RawQuery, headers: HeaderMap) -> Response {
    let Some(a) = find(&file) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let etag = format!("\"{:016x}\"", a.version);
    let versioned = query.as_deref().and_then(|q| param(q, "v")) == Some(&etag[1..17]);
    let cache = if versioned { "public, max-age=31536000, immutable" } else { "no-cache" };
    let fresh = headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut r = if fresh { StatusCode::NOT_MODIFIED.into_response() } else { a.body.into_response() };
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(a.content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assets_are_linked_by_their_content_version_and_ask_for_nothing_external() {
        assert!(url("style.css").starts_with("/static/style.css?v="));
        assert_eq!(url("style.css").len(), "/static/style.css?v=".len() + 16);
        for a in &ASSETS {
            assert!(!a.body.contains("http://") && !a.body.contains("https://") && !a.body.contains("//cdn"), "{} names an external address", a.name);
        }
        assert!(!STYLE.contains("@import") && !STYLE.contains("url("), "the stylesheet loads nothing");
    }
}
