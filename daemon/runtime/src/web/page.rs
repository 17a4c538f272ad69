//! The HTML shell every page shares (head, navigation, the live banner), the one escaping helper,
//! ages and stale values in words, and the headers of every page answer.

use std::borrow::Cow;

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use driftvakt_config::model::Language;
use driftvakt_domain::text::auth::Auth;
use driftvakt_domain::text::fill;
use driftvakt_domain::text::web::Web;

use super::assets;
use super::lang::PageLang;
use super::viewer::{Role, Viewer};

/// What the pages allow the browser: only this daemon (scripts, styles, the live stream), no
/// frames; nothing external can load even by mistake.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// `text` safe inside HTML text and double- or single-quoted attributes.
pub fn esc(text: &str) -> Cow<'_, str> {
    if !text.contains(['&', '<', '>', '"', '\'']) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// An age for operators: seconds under two minutes, minutes under two hours, else hours.
pub fn age(ms: i64, lang: Language) -> String {
    let t = Web::of(lang);
    let s = ms.max(0) / 1000;
    if s < 120 {
        fill(t.age_s, &[("n", s)])
    } else if s < 7200 {
        fill(t.age_min, &[("n", s / 60)])
    } else {
        fill(t.age_h, &[("n", s / 3600)])
    }
}

/// A value older than its stale limit: said to be stale, with its age, the old value after.
pub fn stale(value: &str, age_ms: i64, lang: Language) -> String {
    fill(Web::of(lang).stale_value, &[("age", age(age_ms, lang).as_str()), ("value", value)])
}

/// The pages of the navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    /// `/`.
    Overview,
    /// `/larm`.
    Alarms,
    /// `/reserver`.
    Reserves,
    /// `/ovningar`.
    Exercises,
    /// `/halsa`.
    Health,
}

impl Nav {
    const ALL: [Nav; 5] = [Nav::Overview, Nav::Alarms, Nav::Reserves, Nav::Exercises, Nav::Health];

    fn path(self) -> &'static str {
        match self {
            Nav::Overview => "/",
            Nav::Alarms => "/larm",
            Nav::Reserves => "/reserver",
            Nav::Exercises => "/ovningar",
            Nav::Health => "/halsa",
        }
    }

    fn label(self, t: &Web) -> &'static str {
        match self {
            Nav::Overview => t.overview,
            Nav::Alarms => t.alarms,
            Nav::Reserves => t.reserves,
            Nav::Exercises => t.exercises,
            Nav::Health => t.health,
        }
    }
}

/// A whole page for `viewer`: `title` in the tab, `current` marked in the navigation, `main` (a
/// `<main id="main">` element) as its content. With `live` (the site's local time of the page's
/// data, `HH:MM:SS`) the live script keeps it current and says since when there has been no
/// contact.
pub fn shell(lang: &PageLang, viewer: &Viewer, site: &str, title: &str, current: Option<Nav>, main: &str, live: Option<&str>) -> String {
    let l = lang.lang;
    let t = Web::of(l);
    let who = who(viewer, l, current);
    let mut nav = String::new();
    for n in Nav::ALL {
        let here = if Some(n) == current { " aria-current=\"page\"" } else { "" };
        nav.push_str(&format!("<li><a href=\"{}\"{here}>{}</a></li>", n.path(), esc(n.label(t))));
    }
    let live_attrs = if let Some(time) = live {
        format!(
            " data-live=\"/web/live?lang={}\" data-time=\"{}\" data-stale=\"{}\" data-age-s=\"{}\" data-age-min=\"{}\" data-age-h=\"{}\" data-no-contact=\"{}\"",
            l.code(),
            esc(time),
            esc(t.stale_value),
            esc(t.age_s),
            esc(t.age_min),
            esc(t.age_h),
            esc(t.no_contact),
        )
    } else {
        String::new()
    };
    format!(
        "<!doctype html>\n<html lang=\"{code}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{title}</title><link rel=\"icon\" href=\"data:,\"><link rel=\"stylesheet\" href=\"{css}\"><script src=\"{js}\" defer></script></head>\n\
<body{live_attrs}><a class=\"skip\" href=\"#main\">{skip}</a>\
<header class=\"top\"><p class=\"brand\">driftvakt · {site}</p><nav aria-label=\"{navlabel}\"><ul>{nav}</ul></nav>\
{who}<a class=\"lang\" href=\"?lang={other}\" lang=\"{other}\" hreflang=\"{other}\">{other_name}</a></header>\n\
<div id=\"banner\" class=\"banner\" role=\"alert\" hidden></div>\n{main}\n</body></html>\n",
        code = l.code(),
        title = esc(&fill(t.title, &[("page", title), ("site", site)])),
        css = assets::url("style.css"),
        js = assets::url("live.js"),
        skip = esc(t.skip),
        site = esc(site),
        navlabel = esc(t.nav),
        other = t.other_code,
        other_name = esc(t.other_language),
    )
}

/// The header's sign-in part: "Inloggad: Eva (operatör)" with a sign-out button (a CSRF-checked
/// form), or a "Logga in" link back to `current`.
fn who(viewer: &Viewer, l: Language, current: Option<Nav>) -> String {
    let t = Auth::of(l);
    match viewer.user() {
        None => format!("<a class=\"who\" href=\"/logga-in?nasta={}\">{}</a>", current.map_or("/", Nav::path), esc(t.log_in)),
        Some(u) => {
            let role = match u.role {
                Role::Operator => t.role_operator,
                Role::Coordinator => t.role_coordinator,
            };
            let line = esc(&fill(t.signed_in, &[("name", u.name.as_str()), ("role", role)])).into_owned();
            match &u.csrf {
                Some(csrf) => format!(
                    "<form class=\"who\" method=\"post\" action=\"/logga-ut\"><span>{line}</span> <input type=\"hidden\" name=\"csrf\" value=\"{}\"><button type=\"submit\">{}</button></form>",
                    esc(csrf),
                    esc(t.log_out)
                ),
                None => format!("<span class=\"who\">{line}</span>"),
            }
        }
    }
}

/// A page answer: HTML, never cached, the pages' security headers, and the language cookie when
/// the request chose one.
pub fn respond(lang: &PageLang, html: String) -> Response {
    let mut r = html.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // Not "no-referrer": with it browsers send `Origin: null` on the pages' own form POSTs,
    // which `auth::origin` refuses (sign-in and every action failed in a real browser).
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(header::CONTENT_LANGUAGE, HeaderValue::from_static(lang.lang.code()));
    if lang.chosen
        && let Ok(v) = HeaderValue::from_str(&lang.cookie())
    {
        h.insert(header::SET_COOKIE, v);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::viewer::User;

    #[test]
    fn escaping_covers_text_and_both_kinds_of_attribute_quotes() {
        assert_eq!(esc("G1 & G2 <b>\"x\" 'y'"), "G1 &amp; G2 &lt;b&gt;&quot;x&quot; &#39;y&#39;");
        assert!(matches!(esc("Reservkraft"), Cow::Borrowed(_)));
    }

    #[test]
    fn ages_read_in_seconds_minutes_or_hours_and_stale_values_say_so_in_both_languages() {
        assert_eq!(age(95_000, Language::Sv), "95 s");
        assert_eq!(age(600_000, Language::Sv), "10 min");
        assert_eq!(age(3 * 3_600_000, Language::En), "3 h");
        assert_eq!(stale("18 400 l", 600_000, Language::Sv), "INAKTUELL (10 min gammal), senast 18 400 l");
        assert_eq!(stale("18400 l", 30_000, Language::En), "STALE (30 s old), last 18400 l");
    }

    #[test]
    fn the_shell_is_in_the_requested_language_and_escapes_the_site_name() {
        let sv = PageLang { lang: Language::Sv, chosen: false };
        let html = shell(&sv, &Viewer::Anonymous, "Sjukhus <A&B>", "Översikt", Some(Nav::Overview), "<main id=\"main\"></main>", Some("12:00:00"));
        assert!(html.contains("<html lang=\"sv\">"), "{html}");
        assert!(html.contains("Sjukhus &lt;A&amp;B&gt;") && !html.contains("<A&B>"), "{html}");
        assert!(html.contains("<a href=\"/\" aria-current=\"page\">Översikt</a>"), "{html}");
        assert!(html.contains("href=\"?lang=en\"") && html.contains("Hoppa till innehållet"), "{html}");
        let en = PageLang { lang: Language::En, chosen: true };
        let html = shell(&en, &Viewer::Anonymous, "S", "Alarms", Some(Nav::Alarms), "", Some("12:00:00"));
        assert!(html.contains("<html lang=\"en\">") && html.contains("No contact with driftvakt since {time}"), "{html}");
        assert!(respond(&en, html).headers().get(header::SET_COOKIE).is_some());
    }

    #[test]
    fn the_header_says_who_is_signed_in_with_a_sign_out_form_or_offers_a_sign_in() {
        let sv = PageLang { lang: Language::Sv, chosen: false };
        let anon = shell(&sv, &Viewer::Anonymous, "S", "Larm", Some(Nav::Alarms), "", None);
        assert!(anon.contains("<a class=\"who\" href=\"/logga-in?nasta=/larm\">Logga in</a>"), "{anon}");
        let eva = Viewer::User(User { name: "Eva <3".into(), role: Role::Operator, csrf: Some("c1".into()) });
        let html = shell(&sv, &eva, "S", "Larm", Some(Nav::Alarms), "", None);
        assert!(html.contains("Inloggad: Eva &lt;3 (operatör)"), "{html}");
        assert!(html.contains("action=\"/logga-ut\"") && html.contains("name=\"csrf\" value=\"c1\"") && html.contains(">Logga ut</button>"), "{html}");
        let api = Viewer::User(User { name: "API".into(), role: Role::Coordinator, csrf: None });
        let html = shell(&PageLang { lang: Language::En, chosen: false }, &api, "S", "x", None, "", None);
        assert!(html.contains("Signed in: API (coordinator)") && !html.contains("/logga-ut"), "{html}");
    }
}
