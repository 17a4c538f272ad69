//! Logins and alarm actions on the operator's web screen over plain HTTP, on the real daemon
//! polling the simulated reference hospital with a user Eva (operator) in `[web]`: a wrong
//! password is refused without saying which part was wrong; a viewer sees no action buttons and
//! their POST is refused (403) with the alarm unchanged; Eva's session cookie is HttpOnly,
//! SameSite=Strict, Path=/; a wrong CSRF token or a foreign `Origin` is refused; her
//! acknowledgement from the console is journalled under her name (`GET /api/journal`); signing
//! out ends the session; five failed logins from one address answer 429 with `Retry-After`.

mod support;

use std::time::Duration;

use reqwest::blocking::{Client, Response};
use reqwest::header;
use serde_json::Value;
use support::site::{Site, SiteSpec};
use support::wait_for;

const EVA_PASSWORD: &str = "kaffe i kontrollrummet";

fn client() -> Client {
    Client::builder().timeout(Duration::from_secs(30)).redirect(reqwest::redirect::Policy::none()).build().expect("client")
}

/// POST the form `fields` to `url` with `cookie` and extra `headers`.
fn post(url: &str, cookie: Option<&str>, fields: &[(&str, &str)], headers: &[(header::HeaderName, &str)]) -> Response {
    let mut req = client().post(url).form(fields);
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    for (k, v) in headers {
        req = req.header(k, *v);
    }
    req.send().unwrap_or_else(|e| panic!("POST {url}: {e}"))
}

/// GET `url` with `cookie`: status and body.
fn get(url: &str, cookie: Option<&str>) -> (u16, String) {
    let mut req = client().get(url);
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    let r = req.send().unwrap_or_else(|e| panic!("GET {url}: {e}"));
    (r.status().as_u16(), r.text().expect("body"))
}

/// The alarm `id` as the API has it.
fn alarm(api: &str, id: &str) -> Value {
    let (code, body) = get(&format!("{api}/api/alarms"), None);
    assert_eq!(code, 200, "{body}");
    let list: Value = serde_json::from_str(&body).expect("json");
    list.as_array().expect("a list").iter().find(|a| a["id"] == id).cloned().unwrap_or(Value::Null)
}

/// The value of the first `name="csrf" value="…"` in `html`.
fn csrf_of(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").unwrap_or_else(|| panic!("no CSRF field in:\n{html}")) + 19;
    html[at..].split('"').next().expect("value").to_string()
}

#[test]
fn operators_sign_in_and_acknowledge_viewers_cannot_and_guessing_is_rate_limited() {
    let site = Site::start(SiteSpec::default());
    let hash = driftvakt_config::password::hash_password(EVA_PASSWORD, &[9; 16]).expect("hash");
    let mut config = std::fs::read_to_string(&site.config).expect("config");
    config.push_str(&format!("\n[[web.users]]\nname = \"Eva\"\nrole = \"operator\"\npassword_hash = \"{hash}\"\n"));
    std::fs::write(&site.config, config).expect("config");
    let _daemon = site.daemon();
    let api = &site.api;
    let id = "ats.mains_available.state";
    site.sim.mains_lost();
    wait_for("the mains alarm", Duration::from_secs(20), || {
        if alarm(api, id)["state"] == "active_unacked" { Ok(()) } else { Err(alarm(api, id).to_string()) }
    });

    // The login page; a wrong password says so without telling which part was wrong.
    let (code, page) = get(&format!("{api}/logga-in?nasta=/larm"), None);
    assert_eq!(code, 200);
    assert!(page.contains("action=\"/logga-in\"") && page.contains("type=\"password\"") && page.contains("value=\"/larm\""), "{page}");
    let r = post(&format!("{api}/logga-in"), None, &[("name", "Eva"), ("password", "te"), ("nasta", "/larm")], &[]);
    assert_eq!(r.status(), 401);
    assert!(r.headers().get(header::SET_COOKIE).is_none());
    assert!(r.text().expect("body").contains("Fel namn eller lösenord."));

    // A viewer: no buttons, a way to sign in, and their POST changes nothing.
    let (_, console) = get(&format!("{api}/larm"), None);
    assert!(!console.contains("act-ack") && !console.contains("name=\"csrf\""), "{console}");
    assert!(console.contains("href=\"/logga-in?nasta=/larm\""), "{console}");
    let r = post(&format!("{api}/larm/{id}/kvittera"), None, &[("csrf", ""), ("comment", "jag med")], &[]);
    assert_eq!(r.status(), 403);
    assert!(r.text().expect("body").contains("kräver inloggning som operatör"));
    assert_eq!(alarm(api, id)["state"], "active_unacked", "a viewer's POST changed the alarm");

    // Eva signs in: back to the console with a strict, script-proof session cookie.
    let r = post(&format!("{api}/logga-in"), None, &[("name", "Eva"), ("password", EVA_PASSWORD), ("nasta", "/larm")], &[]);
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()[header::LOCATION], "/larm");
    let set = r.headers()[header::SET_COOKIE].to_str().expect("cookie").to_string();
    assert!(set.starts_with("driftvakt_session=") && set.contains("HttpOnly") && set.contains("SameSite=Strict") && set.contains("Path=/"), "{set}");
    let cookie = set.split(';').next().expect("pair").to_string();
    let (_, console) = get(&format!("{api}/larm"), Some(&cookie));
    assert!(console.contains("Inloggad: Eva (operatör)") && console.contains(">Logga ut</button>"), "{console}");
    assert!(console.contains("id=\"act-ack\"") && console.contains(">Kvittera</button>") && console.contains(">Återaktivera</button>"), "{console}");
    let csrf = csrf_of(&console);

    // A wrong token or a foreign page's POST is refused; the alarm is unchanged.
    let r = post(&format!("{api}/larm/{id}/kvittera"), Some(&cookie), &[("csrf", "fel"), ("comment", "x")], &[]);
    assert_eq!(r.status(), 403);
    let r = post(&format!("{api}/larm/{id}/kvittera"), Some(&cookie), &[("csrf", &csrf)], &[(header::ORIGIN, "http://evil.example")]);
    assert_eq!(r.status(), 403);
    assert_eq!(alarm(api, id)["state"], "active_unacked");

    // Eva acknowledges: 303 to the console, the alarm and the journal carry her name.
    let origin = api.clone();
    let r = post(&format!("{api}/larm/{id}/kvittera"), Some(&cookie), &[("csrf", &csrf), ("comment", "aggregaten går")], &[(header::ORIGIN, &origin)]);
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()[header::LOCATION], "/larm");
    let a = alarm(api, id);
    assert_eq!((a["state"].as_str(), a["ack"]["by"].as_str()), (Some("active_acked"), Some("Eva")), "{a}");
    let (_, journal) = get(&format!("{api}/api/journal?from_ms=0&to_ms=99999999999999&alarm={id}"), None);
    let journal: Value = serde_json::from_str(&journal).expect("json");
    assert!(
        journal.as_array().expect("list").iter().any(|e| e["event"] == "acked" && e["by"] == "Eva" && e["comment"] == "aggregaten går"),
        "{journal}"
    );
    // Again: nothing to acknowledge, said as a message.
    let r = post(&format!("{api}/larm/{id}/kvittera"), Some(&cookie), &[("csrf", &csrf)], &[]);
    assert_eq!(r.status(), 409);
    assert!(r.text().expect("body").contains("har inget att kvittera"));

    // Signing out ends the session.
    let r = post(&format!("{api}/logga-ut"), Some(&cookie), &[("csrf", &csrf)], &[]);
    assert_eq!(r.status(), 303);
    let (_, console) = get(&format!("{api}/larm"), Some(&cookie));
    assert!(!console.contains("Inloggad") && !console.contains("act-ack"), "{console}");

    // Guessing: one failure above and four more from this address; the next try, even right, waits.
    for _ in 0..4 {
        let r = post(&format!("{api}/logga-in"), None, &[("name", "Mallory"), ("password", "gissning")], &[]);
        assert_eq!(r.status(), 401);
    }
    let r = post(&format!("{api}/logga-in"), None, &[("name", "Eva"), ("password", EVA_PASSWORD)], &[]);
    assert_eq!(r.status(), 429);
    let wait: u64 = r.headers()[header::RETRY_AFTER].to_str().expect("retry-after").parse().expect("seconds");
    assert!((1..=300).contains(&wait), "{wait}");
    assert!(r.headers().get(header::SET_COOKIE).is_none());
    assert!(r.text().expect("body").contains("För många misslyckade inloggningar. Försök igen kl."));
}
