//! Acting on the screen as the browser tests do it: signing in through the login form (typed
//! and clicked, no cookie set by the test), and what the daemon's JSON API says about an alarm
//! and its journal afterwards (plain HTTP beside the browser).

use std::time::Duration;

use driftvakt_config::model::Language;
use driftvakt_domain::text::auth::Auth;
use reqwest::blocking::Client;
use serde_json::Value;

use crate::support::browser::Page;
use crate::support::now_ms;

/// Plain HTTP without cookies, redirects not followed (a 303 is an answer to look at).
fn http() -> Client {
    Client::builder().timeout(Duration::from_secs(30)).redirect(reqwest::redirect::Policy::none()).build().expect("HTTP client")
}

/// Signs `name` in on `page` through the form on `/logga-in?nasta=NEXT`: types the name and
/// password, clicks the button and waits for the page it leads to, which must be `next` with
/// the header saying who is signed in.
pub fn sign_in(page: &mut Page<'_>, origin: &str, (name, password): (&str, &str), next: &str) {
    page.goto(&format!("{origin}/logga-in?nasta={next}"));
    page.fill("#login-name", name);
    page.fill("#login-password", password);
    page.click_and_wait_for_load("form.login button[type=submit]");
    let at = page.eval("location.pathname");
    assert_eq!(at, next, "signing in as {name} did not lead to {next}: {}", page.eval("location.href + '\\n' + document.body.innerText"));
    let who = Auth::of(Language::Sv).signed_in.split("{name}").next().unwrap_or_default().to_string();
    let header = page.eval("document.querySelector('header .who').textContent").as_str().unwrap_or_default().to_string();
    assert!(header.contains(&who) && header.contains(name), "the header does not say {name} is signed in: {header}");
}

/// `POST ORIGIN/PATH` with the form `fields` over plain HTTP, no session: the status.
pub fn post_as_nobody(origin: &str, path: &str, fields: &[(&str, &str)]) -> u16 {
    let url = format!("{origin}{path}");
    http().post(&url).form(fields).send().unwrap_or_else(|e| panic!("POST {url}: {e}")).status().as_u16()
}

/// `GET ORIGIN/PATH` as JSON (panics unless 200).
fn get_json(origin: &str, path: &str) -> Value {
    let url = format!("{origin}{path}");
    let r = http().get(&url).send().unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let status = r.status();
    let body = r.text().unwrap_or_default();
    assert!(status.is_success(), "GET {url}: {status}\n{body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("GET {url}: no JSON ({e}): {body}"))
}

/// The alarm `id` as the API has it (`GET /api/alarms/{id}`).
pub fn alarm(origin: &str, id: &str) -> Value {
    get_json(origin, &format!("/api/alarms/{id}"))
}

/// The journal of alarm `id` over the last hour (`GET /api/journal`).
pub fn journal(origin: &str, id: &str) -> Vec<Value> {
    let now = now_ms();
    let j = get_json(origin, &format!("/api/journal?from_ms={}&to_ms={}&alarm={id}", now - 3_600_000, now + 60_000));
    j.as_array().cloned().unwrap_or_else(|| panic!("the journal is no list: {j}"))
}
