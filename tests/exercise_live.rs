//! The live exercise service end to end: the real daemon on the reference hospital (simulator in
//! this process), a real Mosquitto broker. An exercise is started with `driftvakt exercise start`
//! (refused without the token, and while it runs), noted over the MQTT command topic (a wrong
//! token refused, the result published), the mains alarm it causes is shown and journalled as
//! expected; after a SIGKILL while on the generators the restarted daemon still has it running
//! with its note, and its report holds what happened before and after the kill; it is stopped
//! through the HTTP API; a mains loss with nothing running is an outage, and a start is
//! refused while it runs; `exercise status --data` reads it all back from the stopped daemon's
//! store. Timings and faults are other tests'.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use support::alarm::{cli, cli_ok, journal};
use support::site::{Site, SiteSpec};
use support::{free_port, wait_for, wait_until};

const TOKEN: &str = "hemligt-token";
const TOPIC: &str = "driftvakt/referenssjukhuset/exercise/command";

/// A plain HTTP/1.1 request to the daemon's API: status and JSON body.
fn http(api: &str, method: &str, path: &str, token: Option<&str>, body: Option<serde_json::Value>) -> (u16, serde_json::Value) {
    let addr = api.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).expect("connect to the API");
    s.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    let payload = body.map(|b| b.to_string()).unwrap_or_default();
    let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{payload}",
        payload.len()
    );
    s.write_all(req.as_bytes()).expect("send");
    let mut text = String::new();
    s.read_to_string(&mut text).expect("read");
    let status = text.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    (status, serde_json::from_str(body).unwrap_or(serde_json::Value::Null))
}

/// A publisher on the command topic that also collects what comes back on `<topic>/result`.
struct Panel {
    client: rumqttc::Client,
    results: Arc<Mutex<Vec<serde_json::Value>>>,
}

impl Panel {
    fn connect(port: u16) -> Panel {
        let mut opts = rumqttc::MqttOptions::new(format!("test-panel-{}-{}", std::process::id(), free_port()), "127.0.0.1", port);
        opts.set_keep_alive(Duration::from_secs(5));
        let (client, mut connection) = rumqttc::Client::new(opts, 100);
        client.subscribe(format!("{TOPIC}/result"), rumqttc::QoS::AtLeastOnce).expect("subscribe");
        let results = Arc::new(Mutex::new(Vec::new()));
        let sink = results.clone();
        std::thread::spawn(move || {
            for ev in connection.iter() {
                match ev {
                    Ok(rumqttc::Event::Incoming(rumqttc::Packet::Publish(p))) => {
                        let v = serde_json::from_slice(&p.payload).unwrap_or(serde_json::Value::Null);
                        sink.lock().unwrap_or_else(|e| e.into_inner()).push(v);
                    }
                    Ok(_) => {}
                    Err(_) => break,
                }
            }
        });
        Panel { client, results }
    }

    fn send(&self, message: serde_json::Value) {
        self.client.publish(TOPIC, rumqttc::QoS::AtLeastOnce, false, message.to_string()).expect("publish");
    }

    /// The result echoing `request_id`, once it came.
    fn result(&self, request_id: &str) -> Option<serde_json::Value> {
        self.results.lock().unwrap_or_else(|e| e.into_inner()).iter().find(|r| r["request_id"] == request_id).cloned()
    }
}

fn status_json(api: &str) -> serde_json::Value {
    serde_json::from_str(&cli_ok(&["exercise", "status", "--json", "--api", api])).expect("status JSON")
}

#[test]
fn an_exercise_by_cli_mqtt_and_api_survives_a_sigkill_and_a_mains_loss_alone_is_an_outage() {
    let site = Site::start(SiteSpec { mqtt: true, token: "hemligt-token\n", ..SiteSpec::default() });
    let config = std::fs::read_to_string(&site.config).expect("config");
    let commented = format!("# command_topic = \"{TOPIC}\"");
    assert!(config.contains(&commented), "the reference configuration has no `{commented}`");
    std::fs::write(&site.config, config.replace(&commented, &format!("command_topic = \"{TOPIC}\""))).expect("config");
    let (api, token) = (site.api.clone(), site.token_arg());
    let daemon = site.daemon();

    assert!(cli_ok(&["exercise", "status", "--api", &api]).contains("Ingen övning eller avbrott pågår."));

    // Start by CLI: the token is needed; one run at a time.
    let refused = cli(&["exercise", "start", "--kind", "monthly", "--name", "Månadsprov mars", "--by", "Anna", "--api", &api]);
    assert!(!refused.status.success(), "a start without the token must be refused");
    let started = cli_ok(&["exercise", "start", "--kind", "monthly", "--name", "Månadsprov mars", "--by", "Anna", "--api", &api, "--token-file", &token]);
    assert!(started.starts_with("Övning 1 startad") && started.contains("Månadsprov mars") && started.contains("Anna"), "{started}");
    let again = cli(&["exercise", "start", "--kind", "island", "--name", "Ö-drift", "--by", "Anna", "--api", &api, "--token-file", &token]);
    assert!(!again.status.success(), "a second start while one runs must be refused");
    assert!(String::from_utf8_lossy(&again.stderr).contains("still running"), "{}", String::from_utf8_lossy(&again.stderr));
    let status = status_json(&api);
    assert_eq!((status["active"]["id"].as_i64(), status["active"]["kind"].as_str()), (Some(1), Some("monthly")), "{status}");

    // A note by MQTT. Wrong tokens are refused (and answered) until the daemon listens.
    let panel = Panel::connect(site.mqtt_port());
    let mut n = 0;
    let wrong = wait_for("an answer on the command topic's result topic", Duration::from_secs(20), || {
        n += 1;
        let id = format!("wrong-{n}");
        panel.send(serde_json::json!({ "token": "gissat", "action": "note", "by": "Mallory", "text": "hej", "request_id": id }));
        std::thread::sleep(Duration::from_millis(300));
        panel.result(&id).ok_or_else(|| "no result yet".to_string())
    });
    assert_eq!((wrong["ok"].as_bool(), wrong["error"].as_str()), (Some(false), Some("wrong token")), "{wrong}");
    panel.send(serde_json::json!({ "token": TOKEN, "action": "note", "by": "Bo", "text": "G1 startade", "request_id": "note-1" }));
    let noted = wait_for("the note's result", Duration::from_secs(10), || panel.result("note-1").ok_or_else(|| "not yet".to_string()));
    assert_eq!((noted["ok"].as_bool(), noted["run"]["id"].as_i64()), (Some(true), Some(1)), "{noted}");
    let status = status_json(&api);
    let notes = status["active"]["notes"].as_array().cloned().unwrap_or_default();
    assert_eq!(notes.len(), 1, "only the authenticated note: {status}");
    assert_eq!((notes[0]["by"].as_str(), notes[0]["text"].as_str()), (Some("Bo"), Some("G1 startade")));

    // The mains alarm the exercise causes is expected: shown with its mark and journalled so.
    site.sim.mains_lost();
    wait_until("the mains alarm marked as the exercise's", Duration::from_secs(15), || {
        cli_ok(&["alarms", "--api", &api]).lines().any(|l| l.contains("Nät bortfall") && l.contains("övning 1"))
    });
    let j = journal(&api).expect("journal");
    assert!(
        j.iter().any(|e| e["alarm"] == "ats.mains_available.state" && e["event"] == "activated" && e["detail"].as_str().is_some_and(|d| d.contains("väntat under övning 1"))),
        "{j:?}"
    );
    // The generators start and the switch transfers (about 14 s after the loss).
    wait_until("the transfer to the generators", Duration::from_secs(40), || {
        daemon.export("ats.position").is_ok_and(|rows| rows.last().is_some_and(|r| r.value.as_f64() == Some(1.0)))
    });

    // A power cut of the daemon during the exercise: the restarted one still runs it, note and all.
    daemon.kill9();
    let restarted_ms = support::now_ms();
    let daemon = site.daemon();
    site.sim.mains_back();
    // Mains are back in this daemon's own readings before the exercise ends: the next loss is
    // no longer the exercise's. The switch returns to mains 30 s after they are back.
    wait_until("mains read as present after the restart", Duration::from_secs(15), || {
        daemon.export("ats.mains_available").is_ok_and(|rows| rows.iter().any(|r| r.time_ms >= restarted_ms && r.value == serde_json::Value::Bool(true)))
    });
    wait_until("the retransfer to mains after the restart", Duration::from_secs(60), || {
        daemon.export("ats.position").is_ok_and(|rows| rows.iter().any(|r| r.time_ms >= restarted_ms && r.value.as_f64() == Some(0.0)))
    });
    let status = cli_ok(&["exercise", "status", "--api", &api]);
    assert!(status.starts_with("Pågår: körning 1, Månadsprov mars"), "{status}");
    assert!(status.contains("Bo: G1 startade"), "{status}");

    // Stop through the HTTP API (token), then nothing runs and a second stop is a conflict.
    let (code, body) = http(&api, "POST", "/api/exercise/stop", None, Some(serde_json::json!({ "by": "Anna" })));
    assert_eq!(code, 401, "stop without the token: {body}");
    let (code, body) = http(&api, "POST", "/api/exercise/stop", Some(TOKEN), Some(serde_json::json!({ "by": "Anna" })));
    assert_eq!((code, body["id"].as_i64(), body["stopped_by"].as_str()), (200, Some(1), Some("Anna")), "{body}");
    assert!(body["stopped_ms"].as_i64().is_some(), "{body}");
    let (code, body) = http(&api, "POST", "/api/exercise/stop", Some(TOKEN), Some(serde_json::json!({ "by": "Anna" })));
    assert_eq!(code, 409, "{body}");
    assert!(body["error"].as_str().is_some_and(|e| e.contains("no exercise is running")), "{body}");
    let (code, one) = http(&api, "GET", "/api/exercise/1", None, None);
    assert_eq!((code, one["name"].as_str(), one["notes"].as_array().map(Vec::len)), (200, Some("Månadsprov mars"), Some(1)), "{one}");

    // Its report is complete across the kill: what happened before it (loss, start, transfer)
    // and after the restart (mains back, retransfer), the figures, the note.
    let report_file = site.config.with_extension("exercise-1.json");
    cli_ok(&["report", "exercise", "--config", &site.config.to_string_lossy(), "--data", &site.data_arg(), "--id", "1", "--format", "json", "--out", &report_file.to_string_lossy()]);
    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&report_file).expect("report")).expect("report JSON");
    let events: Vec<(String, i64)> = report["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| (e["kind"].as_str().unwrap_or_default().to_string(), e["at_ms"].as_i64().unwrap_or_default()))
        .collect();
    for (kind, after_restart) in [("mains_lost", false), ("crank", false), ("generator_ready", false), ("transfer_to_emergency", false), ("mains_back", true), ("retransfer", true)] {
        assert!(
            events.iter().any(|(k, at)| k == kind && (*at >= restarted_ms) == after_restart),
            "{kind} {} the restart in the report: {events:?}",
            if after_restart { "after" } else { "before" }
        );
    }
    let changeover = report["kpis"].as_array().expect("kpis").iter().find(|k| k["key"] == "changeover").expect("changeover");
    // (This site's simulator runs faster than the wall clock: the figure itself is exercise_truth's.)
    assert!(changeover["value"].as_f64().is_some_and(|v| v > 0.0), "measured across the kill: {changeover}");
    assert_eq!(report["notes"].as_array().map(Vec::len), Some(1), "the note written before the kill");

    // A mains loss with nothing running is an outage; no exercise may start meanwhile.
    site.sim.mains_lost();
    let outage = wait_for("an outage", Duration::from_secs(15), || {
        let s = status_json(&api);
        if s["active"]["kind"] == "outage" { Ok(s["active"].clone()) } else { Err(s.to_string()) }
    });
    assert_eq!((outage["id"].as_i64(), outage["started_by"].as_str()), (Some(2), Some("driftvakt")), "{outage}");
    assert!(outage["name"].as_str().is_some_and(|n| n.starts_with("Strömavbrott ")), "{outage}");
    let (code, body) = http(&api, "POST", "/api/exercise/start", Some(TOKEN), Some(serde_json::json!({ "kind": "island", "name": "Ö-drift", "by": "Anna" })));
    assert_eq!(code, 409, "{body}");
    assert!(body["error"].as_str().is_some_and(|e| e.contains("outage")), "{body}");
    let (code, body) = http(&api, "POST", "/api/exercise/start", Some(TOKEN), Some(serde_json::json!({ "kind": "outage", "name": "x", "by": "Anna" })));
    assert_eq!(code, 409, "an outage is never started by hand: {body}");
    site.sim.mains_back();
    let (code, body) = http(&api, "POST", "/api/exercise/stop", Some(TOKEN), Some(serde_json::json!({ "by": "Eva" })));
    assert_eq!((code, body["kind"].as_str()), (200, Some("outage")), "an outage may be stopped by hand: {body}");

    // Every run, newest first, from the API and — after the daemon stopped — from its store.
    let (code, list) = http(&api, "GET", "/api/exercise", None, None);
    let ids: Vec<i64> = list["runs"].as_array().into_iter().flatten().filter_map(|r| r["id"].as_i64()).collect();
    assert_eq!((code, ids.as_slice()), (200, [2, 1].as_slice()), "{list}");
    daemon.stop_cleanly();
    let data = site.data_arg();
    let offline = cli_ok(&["exercise", "status", "--data", &data]);
    assert!(offline.contains("Ingen övning eller avbrott pågår."), "{offline}");
    assert!(offline.contains("Månadsprov mars") && offline.contains("Strömavbrott"), "{offline}");
    let english = cli_ok(&["exercise", "status", "--data", &data, "--lang", "en"]);
    assert!(english.contains("No exercise or outage is running.") && english.contains("Recent runs:"), "{english}");
}

#[test]
fn without_an_exercise_section_the_routes_say_so() {
    let site = Site::start(SiteSpec::default());
    let config = std::fs::read_to_string(&site.config).expect("config");
    // [exercise] and its tables close the reference configuration: cut them.
    let at = config.find("\n[exercise]").expect("the reference configuration has an [exercise] section");
    std::fs::write(&site.config, &config[..at + 1]).expect("config");
    let _daemon = site.daemon();
    let (code, body) = http(&site.api, "GET", "/api/exercise", None, None);
    assert_eq!(code, 404, "{body}");
    assert!(body["error"].as_str().is_some_and(|e| e.contains("[exercise]")), "{body}");
    let out = cli(&["exercise", "status", "--api", &site.api]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("[exercise]"), "{}", String::from_utf8_lossy(&out.stderr));
}
