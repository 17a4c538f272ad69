//! The exercises page and the alarm journal page over plain HTTP, on the real daemon polling the
//! simulated reference hospital. `/ovningar` lists no run; an anonymous POST is refused (403)
//! and starts nothing; with the API token (the coordinator "API") a monthly test is started by
//! the page's form, the live stream's timeline shows the mains loss and the generator's start
//! as they happen, a note and a stop go through the forms (a second stop is refused in words),
//! and the finished run is listed with reports to download whose CSV is the bytes of `driftvakt
//! report exercise --id 1 --format csv` (but for the window's end and reading counts, which
//! grow for five minutes after a stop). `/larm/journal` filters by class, by one alarm, by who
//! and by period, and returns exactly the matching entries of the journal.

mod support;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::sync::mpsc;
use std::time::Duration;

use reqwest::blocking::{Client, RequestBuilder};
use reqwest::header;
use serde_json::Value;
use support::alarm::cli_ok;
use support::site::{Site, SiteSpec};
use support::{wait_for, wait_until};

const TOKEN: &str = "t0ken-web";

fn client() -> Client {
    Client::builder().timeout(None).redirect(reqwest::redirect::Policy::none()).build().expect("client")
}

fn bearer(r: RequestBuilder) -> RequestBuilder {
    r.header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
}

/// GET `url` (with the token if `token`), expecting 200: headers and body.
fn get(url: &str, token: bool) -> (header::HeaderMap, String) {
    let mut req = client().get(url);
    if token {
        req = bearer(req);
    }
    let r = req.send().unwrap_or_else(|e| panic!("GET {url}: {e}"));
    assert_eq!(r.status(), 200, "GET {url}");
    let h = r.headers().clone();
    (h, r.text().expect("body"))
}

/// POST the form `body` to `url`: status and `Location`.
fn post(url: &str, token: bool, body: &str) -> (u16, String) {
    let mut req = client().post(url).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded").body(body.to_string());
    if token {
        req = bearer(req);
    }
    let r = req.send().unwrap_or_else(|e| panic!("POST {url}: {e}"));
    let loc = r.headers().get(header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    (r.status().as_u16(), loc)
}

/// The exercise part of every `live` event, on a thread.
fn live_exercise(api: &str) -> mpsc::Receiver<String> {
    let r = client().get(format!("{api}/web/live?lang=sv")).send().expect("live stream");
    assert_eq!(r.status(), 200);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(r).lines() {
            let Ok(line) = line else { return };
            if let Some(data) = line.strip_prefix("data: ")
                && let Ok(json) = serde_json::from_str::<Value>(data)
                && let Some(html) = json["html"]["exercise-live"].as_str()
                && tx.send(html.to_string()).is_err()
            {
                return;
            }
        }
    });
    rx
}

/// The next live exercise part for which `want` holds, within `timeout`.
fn next_where(rx: &mpsc::Receiver<String>, what: &str, timeout: Duration, want: impl Fn(&str) -> bool) -> String {
    let end = std::time::Instant::now() + timeout;
    loop {
        match rx.recv_timeout(end.saturating_duration_since(std::time::Instant::now())) {
            Ok(html) if want(&html) => return html,
            Ok(_) => {}
            Err(e) => panic!("no live exercise part with {what} within {timeout:?}: {e}"),
        }
    }
}

/// The values of attribute `attr` in `html`, in order.
fn attrs(html: &str, attr: &str) -> Vec<String> {
    let pat = format!("{attr}=\"");
    html.split(&pat).skip(1).filter_map(|s| s.split('"').next()).map(str::to_string).collect()
}

/// The journal table's rows: (seq, alarm id).
fn journal_rows(api: &str, query: &str) -> Vec<(i64, String)> {
    let (_, html) = get(&format!("{api}/larm/journal?{query}"), false);
    let table = html.split("<tbody>").nth(1).unwrap_or_default();
    let seqs = attrs(table, "data-seq");
    let alarms = attrs(table, "data-alarm");
    assert_eq!(seqs.len(), alarms.len(), "{html}");
    seqs.iter().map(|s| s.parse().expect("seq")).zip(alarms).collect()
}

#[test]
fn a_coordinator_runs_an_exercise_from_the_page_and_the_journal_filters_its_alarms() {
    let site = Site::start(SiteSpec { token: TOKEN, ..SiteSpec::default() });
    let api = site.api.clone();
    let _daemon = site.daemon();

    // Nothing has run; a viewer sees no forms, and their POST is refused and starts nothing.
    let (_, page) = get(&format!("{api}/ovningar"), false);
    assert!(page.contains("Ingen övning eller avbrott pågår.") && page.contains("Inga avslutade körningar"), "{page}");
    assert!(!page.contains("<form"), "a viewer has no forms: {page}");
    assert_eq!(post(&format!("{api}/ovningar/starta"), false, "csrf=&kind=monthly&name=Intr%C3%A5ng").0, 403);
    let status: Value = client().get(format!("{api}/api/exercise")).send().expect("status").json().expect("JSON");
    assert!(status["active"].is_null(), "{status}");

    // The coordinator "API" sees the start form and starts a monthly test: 303 back, running.
    let (_, page) = get(&format!("{api}/ovningar"), true);
    assert!(page.contains("action=\"/ovningar/starta\"") && page.contains("name=\"csrf\""), "{page}");
    // A form too large to be one of the pages' (16 kB), or one that cannot be read, starts nothing.
    let oversized = format!("csrf=&kind=monthly&name={}", "x".repeat(17_000));
    assert_eq!(post(&format!("{api}/ovningar/starta"), true, &oversized).0, 400);
    assert_eq!(post(&format!("{api}/ovningar/starta"), true, "csrf=&kind=monthly&name=A&name=B").0, 400);
    let status: Value = client().get(format!("{api}/api/exercise")).send().expect("status").json().expect("JSON");
    assert!(status["active"].is_null(), "{status}");
    let live = live_exercise(&api);
    let (code, loc) = post(&format!("{api}/ovningar/starta"), true, "csrf=&kind=monthly&name=M%C3%A5nadsprov+december");
    assert_eq!((code, loc.as_str()), (303, "/ovningar?svar=started"));
    let (_, page) = get(&format!("{api}{loc}"), true);
    assert!(page.contains("Övningen har startat.") && page.contains("Körning 1") && page.contains("Månadsprov december"), "{page}");
    assert!(page.contains("<dd>API</dd>") && page.contains("/ovningar/stoppa") && !page.contains("action=\"/ovningar/starta\""), "{page}");
    let (code, loc) = post(&format!("{api}/ovningar/starta"), true, "csrf=&kind=island&name=Andra");
    assert_eq!((code, loc.as_str()), (303, "/ovningar?svar=already_running"), "one run at a time");

    // The live timeline follows the plant without a reload: the loss, then the start.
    next_where(&live, "the running run", Duration::from_secs(10), |h| h.contains("data-run=\"1\""));
    site.sim.mains_lost();
    next_where(&live, "the mains loss", Duration::from_secs(15), |h| h.contains("data-event=\"mains_lost\""));
    let started = next_where(&live, "the generator ready", Duration::from_secs(40), |h| h.contains("data-event=\"generator_ready\""));
    assert!(started.contains("data-event=\"crank\"") && started.contains("data-kpi=\"start_time\""), "{started}");

    // A note, then the stop; a second stop is refused in words.
    let (code, loc) = post(&format!("{api}/ovningar/notering"), true, "csrf=&text=G1+startade+%26+tog+last");
    assert_eq!((code, loc.as_str()), (303, "/ovningar?svar=noted"));
    next_where(&live, "the note", Duration::from_secs(10), |h| h.contains("API: G1 startade &amp; tog last"));
    let (code, loc) = post(&format!("{api}/ovningar/stoppa"), true, "csrf=");
    assert_eq!((code, loc.as_str()), (303, "/ovningar?svar=stopped"));
    next_where(&live, "no run", Duration::from_secs(10), |h| h.contains("Ingen övning eller avbrott pågår."));
    let (code, loc) = post(&format!("{api}/ovningar/stoppa"), true, "csrf=");
    assert_eq!((code, loc.as_str()), (303, "/ovningar?svar=none_running"));
    let (_, page) = get(&format!("{api}{loc}"), true);
    assert!(page.contains("role=\"alert\">Avböjt: ingen övning eller avbrott pågår."), "{page}");

    // The finished run is listed with its verdict and its reports.
    assert_eq!(attrs(&page, "data-run"), ["1"], "{page}");
    let verdict = attrs(&page, "data-verdict").pop().expect("a verdict");
    assert!(["pass", "fail", "not_measured"].contains(&verdict.as_str()), "{verdict}");
    for ext in ["html", "csv", "json"] {
        assert!(page.contains(&format!("href=\"/ovningar/1/rapport.{ext}\"")), "{ext}: {page}");
    }
    let out = site.config.with_extension("exercise-1.csv");
    let args = ["report", "exercise", "--config", &site.config.to_string_lossy(), "--data", &site.data_arg(), "--id", "1", "--format", "csv", "--out", &out.to_string_lossy()];
    // For five minutes after a stop the report's window ends "now" (the report's tail): its
    // end and the count of readings in it grow with every poll, so those two figures are left
    // out; every other row must be the same once the store has committed the run's last readings.
    let settled = |s: &str| -> Vec<String> {
        s.lines()
            .filter(|l| !l.starts_with("window,1,,to_ms,"))
            .map(|l| if l.starts_with("source,") { l.split(',').take(4).collect::<Vec<_>>().join(",") } else { l.to_string() })
            .collect()
    };
    let csv = wait_for("the page's CSV report to be the CLI's", Duration::from_secs(30), || {
        let r = client().get(format!("{api}/ovningar/1/rapport.csv")).send().map_err(|e| e.to_string())?;
        assert_eq!(r.headers()[header::CONTENT_TYPE], "text/csv; charset=utf-8");
        assert_eq!(r.headers()[header::CONTENT_DISPOSITION], "attachment; filename=\"ovning-1-rapport.csv\"");
        let csv = r.text().map_err(|e| e.to_string())?;
        cli_ok(&args);
        let cli = std::fs::read_to_string(&out).expect("the CLI's report");
        let (page_rows, cli_rows) = (settled(&csv), settled(&cli));
        let only = |a: &[String], b: &[String]| a.iter().filter(|l| !b.contains(l)).cloned().collect::<Vec<_>>();
        if page_rows == cli_rows { Ok(csv) } else { Err(format!("only the page's {:?}, only the CLI's {:?}", only(&page_rows, &cli_rows), only(&cli_rows, &page_rows))) }
    });
    assert!(csv.len() > 500 && csv.contains("event,") && csv.contains("G1 startade & tog last"), "{csv}");
    let (h, html) = get(&format!("{api}/ovningar/1/rapport.html"), false);
    assert!(h[header::CONTENT_TYPE].to_str().expect("type").starts_with("text/html") && html.contains("Månadsprov december"));
    let (h, json) = get(&format!("{api}/ovningar/1/rapport.json"), false);
    assert_eq!(h[header::CONTENT_TYPE], "application/json");
    let json: Value = serde_json::from_str(&json).expect("JSON report");
    assert_eq!(json["run"]["id"], 1);
    assert_eq!(client().get(format!("{api}/ovningar/9/rapport.csv")).send().expect("GET").status(), 404);

    // The journal: who acknowledged, and the filters return exactly the matching entries.
    let mains_alarm = "ats.mains_available.state";
    let ack = bearer(client().post(format!("{api}/api/alarms/{mains_alarm}/ack"))).json(&serde_json::json!({ "by": "Eva Ek", "comment": "prov" })).send().expect("ack");
    assert_eq!(ack.status(), 200);
    let all = wait_for("the acknowledgement in the journal page", Duration::from_secs(10), || {
        let rows = journal_rows(&api, "");
        if rows.len() >= 2 { Ok(rows) } else { Err(format!("{rows:?}")) }
    });
    let seqs: Vec<i64> = all.iter().map(|r| r.0).collect();
    assert!(seqs.windows(2).all(|w| w[0] > w[1]), "newest first: {seqs:?}");
    let api_journal: Vec<Value> = client().get(format!("{api}/api/journal")).send().expect("journal").json().expect("JSON");
    assert_eq!(all.len(), api_journal.len(), "the last 7 days hold every entry of the API's journal");
    let class_of: HashMap<String, String> = all
        .iter()
        .filter(|(_, a)| !a.is_empty())
        .map(|(_, a)| {
            let rec: Value = client().get(format!("{api}/api/alarms/{a}")).send().expect("alarm").json().expect("JSON");
            (a.clone(), rec["class"].as_str().unwrap_or_default().to_string())
        })
        .collect();
    let class_a: Vec<(i64, String)> = all.iter().filter(|(_, a)| class_of.get(a).is_some_and(|c| c == "A")).cloned().collect();
    assert!(class_a.iter().any(|(_, a)| a == mains_alarm), "the mains loss is an A alarm: {class_of:?}");
    assert_eq!(journal_rows(&api, "klass=A"), class_a, "class A only");
    let one: Vec<(i64, String)> = all.iter().filter(|(_, a)| a == mains_alarm).cloned().collect();
    assert!(one.len() >= 2, "activated and acknowledged: {one:?}");
    assert_eq!(journal_rows(&api, &format!("larm={mains_alarm}")), one, "one alarm");
    let (_, html) = get(&format!("{api}/larm/journal?vem=eva"), false);
    assert_eq!(attrs(&html, "data-event"), ["acked"], "who: {html}");
    assert!(html.contains(">Eva Ek<") && html.contains("«prov»"), "{html}");
    assert!(journal_rows(&api, "fran=2020-01-01&till=2020-01-31").is_empty(), "a period without entries");
    let today = jiff::tz::TimeZone::get("Europe/Stockholm").expect("zone").to_datetime(jiff::Timestamp::now()).date();
    assert_eq!(journal_rows(&api, &format!("fran={today}&till={today}")).len(), all.len(), "today holds them all");
    let (_, console) = get(&format!("{api}/larm"), false);
    assert!(console.contains("href=\"/larm/journal\""), "the console links to the journal");
    wait_until("nothing left running", Duration::from_secs(5), || {
        let s: Value = client().get(format!("{api}/api/exercise")).send().expect("status").json().expect("JSON");
        s["active"].is_null()
    });
}
