//! Defence in depth beside the CSRF token and SameSite cookie: a POST whose `Origin` header is
//! present and not this host (the `Host` it was sent to) is refused before any handler runs.

use axum::extract::Request;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use driftvakt_domain::text::auth::Auth;

use super::super::lang::PageLang;

/// Whether `headers` name no other origin than this host: no `Origin`, or one whose
/// `host[:port]` is the `Host` header's.
pub fn origin_ok(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let (Ok(origin), Some(Ok(host))) = (origin.to_str(), headers.get(header::HOST).map(|h| h.to_str())) else {
        return false;
    };
    let Some(authority) = origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://")) else {
        return false; // "null" (sandboxed frames, file pages) and other schemes
    };
    authority.eq_ignore_ascii_case(host.trim())
}

/// The layer: POSTs from another origin get 403.
pub async fn guard(req: Request, next: Next) -> Response {
    if req.method() == Method::POST && !origin_ok(req.headers()) {
        let (parts, _) = req.into_parts();
        let lang = PageLang::of(&parts);
        return (StatusCode::FORBIDDEN, Auth::of(lang.lang).bad_origin).into_response();
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(origin: Option<&'static str>, host: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static(host));
        if let Some(o) = origin {
            h.insert(header::ORIGIN, HeaderValue::from_static(o));
        }
        h
    }

    #[test]
    fn only_this_host_or_no_origin_at_all_passes() {
        assert!(origin_ok(&headers(None, "10.0.0.5:8750")));
        assert!(origin_ok(&headers(Some("http://10.0.0.5:8750"), "10.0.0.5:8750")));
        assert!(!origin_ok(&headers(Some("http://evil.example"), "10.0.0.5:8750")));
        assert!(!origin_ok(&headers(Some("http://10.0.0.5:9999"), "10.0.0.5:8750")));
        assert!(!origin_ok(&headers(Some("null"), "10.0.0.5:8750")));
    }
}
