//! The operator's web screen over plain HTTP, on the real daemon polling the simulated reference
//! hospital: the overview, the alarm console and the health page answer with every configured
//! system and device, Swedish by default and English on `?lang=en` (remembered by a cookie); the
//! embedded assets are served with their types and cache headers; `/web/live` streams values
//! that are the ones the store has (`driftvakt export`) and alarm counts that are the API's
//! (`/api/status`); and a mains loss reaches the stream as a new alarm within poll interval + 2 s.

mod support;

use std::io::{BufRead, BufReader};
use std::sync::mpsc;
use std::time::Duration;

use driftvakt_config::model::{Config, Language, System};
use reqwest::blocking::{Client, Response};
use reqwest::header;
use serde_json::Value;
use support::site::{Site, SiteSpec};
use support::{now_ms, wait_for};

const POLL_MS: i64 = 200;

fn client() -> Client {
    Client::builder().timeout(None).redirect(reqwest::redirect::Policy::none()).build().expect("client")
}

/// GET `url` (with `cookie`), expecting 200; returns the response's headers and body.
fn get(url: &str, cookie: Option<&str>) -> (header::HeaderMap, String) {
    let mut req = client().get(url);
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    let r: Response = req.send().unwrap_or_else(|e| panic!("GET {url}: {e}"));
    assert_eq!(r.status(), 200, "GET {url}");
    let headers = r.headers().clone();
    (headers, r.text().expect("body"))
}

/// One `live` event and when it arrived (UTC ms, this process's clock).
struct Frame {
    at_ms: i64,
    json: Value,
}

/// Read `/web/live` on a thread; every `live` event arrives on the returned channel.
fn subscribe(api: &str, lang: &str) -> mpsc::Receiver<Frame> {
    let url = format!("{api}/web/live?lang={lang}");
    let r = client().get(&url).send().unwrap_or_else(|e| panic!("GET {url}: {e}"));
    assert_eq!(r.status(), 200);
    let ct = r.headers()[header::CONTENT_TYPE].to_str().expect("type").to_string();
    assert!(ct.starts_with("text/event-stream"), "{ct}");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut event = String::new();
        for line in BufReader::new(r).lines() {
            let Ok(line) = line else { return };
            if let Some(name) = line.strip_prefix("event: ") {
                event = name.to_string();
            } else if let Some(data) = line.strip_prefix("data: ")
                && event == "live"
            {
                let json = serde_json::from_str(data).expect("a live event is JSON");
                if tx.send(Frame { at_ms: now_ms(), json }).is_err() {
                    return;
                }
            }
        }
    });
    rx
}

/// The next frame for which `want` holds, within `timeout`.
fn next_where(rx: &mpsc::Receiver<Frame>, what: &str, timeout: Duration, mut want: impl FnMut(&Value) -> bool) -> Frame {
    let end = std::time::Instant::now() + timeout;
    loop {
        let left = end.saturating_duration_since(std::time::Instant::now());
        match rx.recv_timeout(left) {
            Ok(f) if want(&f.json) => return f,
            Ok(_) => {}
            Err(e) => panic!("no live event with {what} within {timeout:?}: {e}"),
        }
    }
}

/// The systems the configuration uses, as the overview lists them.
fn systems(config: &Config) -> Vec<System> {
    System::ALL
        .into_iter()
        .filter(|s| config.points().any(|(_, p)| p.system == *s) || config.reserves.iter().any(|r| r.system == *s) || config.functions.iter().any(|f| f.system == *s))
        .collect()
}

#[test]
fn the_screen_shows_the_site_live_and_a_mains_loss_within_poll_interval_plus_two_seconds() {
    let site = Site::start(SiteSpec { poll_ms: POLL_MS as u32, ..SiteSpec::default() });
    let config = driftvakt_config::load(&site.config).config.expect("the site's configuration is valid");
    let daemon = site.daemon();
    let api = &site.api;

    // Every page answers with every system (and device), in Swedish first.
    let (headers, overview) = get(&format!("{api}/"), None);
    assert_eq!(headers[header::CONTENT_TYPE], "text/html; charset=utf-8");
    assert!(headers[header::CONTENT_SECURITY_POLICY].to_str().expect("csp").starts_with("default-src 'none'"));
    assert!(overview.contains("<html lang=\"sv\">") && overview.contains("Uthållighet mot målbild"), "{overview}");
    for s in systems(&config) {
        assert!(overview.contains(&format!(">{}</h2>", s.label(Language::Sv))), "overview lacks {}:\n{overview}", s.label(Language::Sv));
    }
    for r in &config.reserves {
        assert!(overview.contains(&format!("data-k=\"end:{}\"", r.id)), "overview lacks reserve {}", r.id);
    }
    let (_, alarms) = get(&format!("{api}/larm"), None);
    assert!(alarms.contains("Larmkonsol") && alarms.contains("Inga aktiva larm."), "{alarms}");
    let (_, health) = get(&format!("{api}/halsa"), None);
    for d in &config.devices {
        assert!(health.contains(&format!(">{}</td>", d.id)), "health lacks device {}", d.id);
    }
    assert!(health.contains("Lagring:") && health.contains("Enheter"), "{health}");

    // English on request, remembered by the cookie.
    let (headers, english) = get(&format!("{api}/?lang=en"), None);
    let cookie = headers[header::SET_COOKIE].to_str().expect("cookie").split(';').next().expect("name=value").to_string();
    assert_eq!(cookie, "driftvakt_lang=en");
    assert!(english.contains("<html lang=\"en\">") && english.contains("Endurance against target"), "{english}");
    for s in systems(&config) {
        assert!(english.contains(&format!(">{}</h2>", s.label(Language::En))), "English overview lacks {}", s.label(Language::En));
    }
    let (_, remembered) = get(&format!("{api}/larm"), Some(&cookie));
    assert!(remembered.contains("Alarm console") && remembered.contains("No active alarms."), "{remembered}");

    // The embedded assets, linked by version: cached for good.
    for (file, ty) in [("style.css", "text/css; charset=utf-8"), ("live.js", "text/javascript; charset=utf-8")] {
        let link = overview.split(&format!("/static/{file}?v=")).nth(1).and_then(|r| r.split('"').next()).expect("a versioned link");
        let (headers, body) = get(&format!("{api}/static/{file}?v={link}"), None);
        assert_eq!(headers[header::CONTENT_TYPE], ty);
        assert_eq!(headers[header::CACHE_CONTROL], "public, max-age=31536000, immutable");
        assert!(!body.is_empty() && !body.contains("https://"), "{file}");
    }
    eprintln!("transfer of the overview: page {} B, style.css and live.js as served", overview.len());

    // The live stream: the values are the store's (same time, same value).
    let live = subscribe(api, "sv");
    let frame = next_where(&live, "every key value read", Duration::from_secs(10), |f| {
        f["v"].as_array().is_some_and(|v| v.iter().filter(|x| x["k"].as_str().is_some_and(|k| k.starts_with("pt:"))).all(|x| x["cls"] == "good"))
    });
    let mut compared = 0;
    for v in frame.json["v"].as_array().expect("values") {
        let Some(id) = v["k"].as_str().and_then(|k| k.strip_prefix("pt:")) else { continue };
        let (_, point) = config.point(id).expect("a configured point");
        if point.unit.is_empty() || !point.states.is_empty() {
            continue;
        }
        let at = v["at"].as_i64().expect("reading time");
        let row = wait_for(&format!("{id} at {at} in the store"), Duration::from_secs(10), || {
            daemon.export(id)?.into_iter().find(|r| r.time_ms == at).ok_or_else(|| "not stored yet".to_string())
        });
        let stored = row.value.as_f64().expect("a number");
        assert_eq!(v["text"], driftvakt_domain::fmt::measured(stored, &point.unit, Language::Sv), "{id}");
        assert!(frame.json["t"].as_i64().expect("t") - at < 3 * POLL_MS + 1000, "{id} is older than its stale limit: {v}");
        compared += 1;
    }
    assert!(compared >= 5, "only {compared} numeric key values compared");
    let active = |f: &Value| f["sys"].as_array().expect("systems").iter().map(|s| s["n"].as_u64().expect("count")).sum::<u64>();
    assert_eq!(active(&frame.json), 0, "{}", frame.json["sys"]);

    // Mains fail: the alarm is on the stream within poll interval + 2 s.
    let lost_at = site.sim.mains_lost();
    let budget = POLL_MS + 2000;
    let frame = next_where(&live, "the mains-lost alarm", Duration::from_secs(10), |f| {
        f["alarms"]["rows"].as_str().is_some_and(|r| r.contains("<tr class=\"active unacked class-a\" data-id=") && r.contains("ats.mains_available.state"))
    });
    let latency = frame.at_ms - lost_at;
    eprintln!("mains-lost alarm on the live stream {latency} ms after mains failed");
    assert!(latency <= budget, "the alarm reached the stream after {latency} ms (budget {budget} ms)\n{}", daemon.log());
    let rows = frame.json["alarms"]["rows"].as_str().expect("rows");
    assert!(rows.contains("▲</span> A-larm") && rows.contains("Nät bortfall"), "{rows}");
    let power = frame.json["sys"].as_array().expect("systems").iter().find(|s| s["k"] == "reservkraft").expect("reservkraft");
    assert!(power["n"].as_u64() >= Some(1), "{power}");

    // The stream's alarm counts are the API's once the plant has settled on reserve power.
    wait_for("the stream's active alarms equal /api/status", Duration::from_secs(20), || {
        let f = next_where(&live, "a frame", Duration::from_secs(3), |_| true);
        let (_, status) = get(&format!("{api}/api/status"), None);
        let status: Value = serde_json::from_str(&status).expect("status JSON");
        let api_active = status["alarms"]["active"].as_u64().expect("active");
        let g = next_where(&live, "a frame", Duration::from_secs(3), |_| true);
        if active(&f.json) == api_active && active(&g.json) == api_active {
            Ok(())
        } else {
            Err(format!("stream {} / {}, API {api_active}", active(&f.json), active(&g.json)))
        }
    });
    drop(daemon);
}
