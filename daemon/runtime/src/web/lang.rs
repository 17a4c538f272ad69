//! The language of a page: `?lang=en` / `?lang=sv` when given (and then remembered in a
//! cookie), else the cookie, else Swedish.

use std::convert::Infallible;

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use driftvakt_config::model::Language;

/// The cookie that remembers the chosen language.
pub const COOKIE: &str = "driftvakt_lang";

/// A request's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageLang {
    /// The language to answer in.
    pub lang: Language,
    /// Chosen by `?lang=` on this request: the answer sets the cookie.
    pub chosen: bool,
}

impl PageLang {
    /// The language of the request `parts`.
    pub fn of(parts: &Parts) -> PageLang {
        let query = parts.uri.query().unwrap_or_default();
        if let Some(lang) = param(query, "lang").and_then(Language::from_code) {
            return PageLang { lang, chosen: true };
        }
        let cookie = parts
            .headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|c| c.trim().split_once('='))
            .find(|(k, _)| *k == COOKIE)
            .and_then(|(_, v)| Language::from_code(v.trim()));
        PageLang { lang: cookie.unwrap_or_default(), chosen: false }
    }

    /// The `Set-Cookie` value that remembers this language (a year, this site only).
    pub fn cookie(&self) -> String {
        format!("{COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly", self.lang.code())
    }
}

/// The value of `name` in a query string (`a=1&lang=en`), undecoded.
pub fn param<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    query.split('&').filter_map(|kv| kv.split_once('=')).find(|(k, _)| *k == name).map(|(_, v)| v)
}

impl<S: Send + Sync> FromRequestParts<S> for PageLang {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<PageLang, Infallible> {
        Ok(PageLang::of(parts))
    }
}

#[cfg(test)]
mod tests {
    use axum::http::Request;

    use super::*;

    fn lang_of(uri: &str, cookie: Option<&str>) -> PageLang {
        let mut req = Request::builder().uri(uri);
        if let Some(c) = cookie {
            req = req.header(header::COOKIE, c);
        }
        let (parts, ()) = req.body(()).expect("request").into_parts();
        PageLang::of(&parts)
    }

    #[test]
    fn swedish_unless_asked_and_the_choice_is_remembered_by_cookie() {
        assert_eq!(lang_of("/", None), PageLang { lang: Language::Sv, chosen: false });
        assert_eq!(lang_of("/larm?lang=en", None), PageLang { lang: Language::En, chosen: true });
        assert_eq!(lang_of("/", Some("a=b; driftvakt_lang=en")), PageLang { lang: Language::En, chosen: false });
        assert_eq!(lang_of("/?lang=sv", Some("driftvakt_lang=en")), PageLang { lang: Language::Sv, chosen: true });
        assert_eq!(lang_of("/?lang=xx", Some("driftvakt_lang=fr")).lang, Language::Sv);
        assert!(lang_of("/?lang=en", None).cookie().starts_with("driftvakt_lang=en; Path=/"));
    }
}
