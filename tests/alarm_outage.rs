//! Notifications are never silently lost. The SMTP server is down when mains fail: every
//! delivery attempt fails, backs off and is journalled; when the server returns (on the same
//! port) the incident e-mail arrives. Then the daemon is killed with SIGKILL while alarms are
//! active and unacknowledged and an e-mail is pending: after a restart on the same data the
//! same alarms are active, no "new alarm" is notified again (MQTT or e-mail), and the pending
//! e-mail is delivered.

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use support::alarm::{MqttWatch, cli_ok, journal};
use support::site::{Email, Site, SiteSpec};
use support::{wait_for, wait_until};

const PREFIX: &str = "driftvakt/referenssjukhuset";

/// The reference hospital with MQTT and e-mail on, the SMTP server down.
fn site() -> Site {
    Site::start(SiteSpec { email: Email::Down, mqtt: true, ..SiteSpec::default() })
}

fn failed_email_attempts(api: &str) -> usize {
    journal(api).unwrap_or_default().iter().filter(|e| e["event"] == "notify_failed" && e["detail"].as_str().is_some_and(|d| d.starts_with("e-post"))).count()
}

#[test]
fn an_smtp_outage_delays_the_email_and_the_journal_shows_the_failed_attempts() {
    let mut s = site();
    let daemon = s.daemon();
    wait_until("first readings evaluated", Duration::from_secs(10), || cli_ok(&["alarms", "--api", &s.api]).contains("Inga aktiva larm"));
    s.sim.mains_lost();
    // While the server is down: attempts fail, back off, and each one is journalled.
    wait_until("two failed e-mail attempts in the journal", Duration::from_secs(15), || failed_email_attempts(&s.api) >= 2);
    assert!(s.smtp.mails().is_empty());
    let text = cli_ok(&["journal", "--api", &s.api]);
    assert!(text.contains("misslyckat") && text.contains("e-post (incident)"), "{text}");

    s.smtp.restart();
    let back = support::now_ms();
    let mail = wait_for("the incident e-mail after the server returned", Duration::from_secs(10), || {
        s.smtp.mails().into_iter().find(|m| m.subject.starts_with("A-larm: ")).ok_or_else(|| "not yet".to_string())
    });
    // Retries back off to at most retry_max_ms (2 s in this configuration).
    let waited = (mail.received * 1000.0) as i64 - back;
    assert!(waited <= 3000, "delivered {waited} ms after the server returned");
    assert!(mail.body.contains("Nät bortfall"), "{}", mail.body);
    let j = journal(&s.api).expect("journal");
    let email_events: Vec<&str> = j
        .iter()
        .filter(|e| e["detail"].as_str().is_some_and(|d| d.starts_with("e-post (incident)")))
        .filter_map(|e| e["event"].as_str())
        .collect();
    assert!(email_events.len() >= 3 && email_events.last() == Some(&"notify_sent"), "{email_events:?}");
    assert!(email_events[..email_events.len() - 1].iter().all(|e| *e == "notify_failed"), "{email_events:?}");
    drop(daemon);
}

#[test]
fn after_sigkill_the_same_alarms_are_active_nothing_is_resent_and_pending_is_delivered() {
    let mut s = site();
    let events = MqttWatch::start(s.mqtt_port(), &format!("{PREFIX}/events"));
    let first = s.daemon();
    wait_until("first readings evaluated", Duration::from_secs(10), || cli_ok(&["alarms", "--api", &s.api]).contains("Inga aktiva larm"));
    s.sim.mains_lost();
    // Alarms active and published; the incident e-mail is pending (the SMTP server is down).
    wait_until("activations published on MQTT", Duration::from_secs(10), || {
        events.all().iter().filter(|m| m.json()["event"] == "activated").count() >= 3
    });
    wait_until("a failed e-mail attempt", Duration::from_secs(10), || failed_email_attempts(&s.api) >= 1);
    // Generators have taken over: the mains alarm is still active, and so are the endurance
    // alarms (diesel lasts ≈ 77 h at this load, målbild 96 h); the rest wait for an
    // acknowledgement.
    let before = wait_for("the plant on reserve power", Duration::from_secs(30), || {
        let a = active(&s.api);
        let still = ["ats.mains_available.state", "endurance.diesel.below_target", "endurance.operationssal.below_target"];
        let settled = still.iter().all(|id| a.get(*id).is_some_and(|st| st == "active_unacked"))
            && ["ups.on_battery.state", "aggregat.fan_running.state"].iter().all(|id| a.get(*id).is_some_and(|st| st == "cleared_unacked"))
            && a.values().filter(|st| *st == "active_unacked").count() == still.len();
        if settled { Ok(a) } else { Err(format!("{a:?}")) }
    });

    // Nothing on its way to the broker at the kill: every event the broker has passed on is
    // recorded as delivered (MQTT is at-least-once: a message acknowledged by the broker but not
    // yet committed as delivered would rightly be sent again). The e-mail stays pending.
    wait_until("every published event recorded as delivered", Duration::from_secs(10), || {
        let journal = journal(&s.api).unwrap_or_default();
        let received = events.all();
        before.keys().all(|id| {
            let sent = journal
                .iter()
                .filter(|e| e["alarm"] == id.as_str() && e["event"] == "notify_sent" && !e["detail"].as_str().is_some_and(|d| d.starts_with("e-post")))
                .count();
            let seen = received.iter().filter(|m| m.json()["id"] == id.as_str() && m.json()["event"].is_string()).count();
            sent >= seen
        })
    });
    first.kill9();
    s.smtp.restart();
    let second = s.daemon();

    // The same alarms, in the same states (mains are still lost, nothing was acknowledged).
    assert_eq!(active(&s.api), before, "alarm states changed across the restart");
    // The pending e-mail is delivered, once.
    wait_until("the pending incident e-mail", Duration::from_secs(10), || s.smtp.mails().iter().any(|m| m.subject.starts_with("A-larm: ")));
    // Mark the end of the check: an acknowledgement is published after anything the restarted
    // daemon could have (wrongly) re-announced, since the outbox is delivered in order.
    cli_ok(&["ack", "ats.mains_available.state", "--by", "Eva", "--api", &s.api, "--token-file", &s.token_arg()]);
    wait_until("the acknowledgement on MQTT", Duration::from_secs(10), || events.all().iter().any(|m| m.json()["event"] == "acked"));
    let mut activations: BTreeMap<String, usize> = BTreeMap::new();
    for m in events.all() {
        if m.json()["event"] == "activated" {
            *activations.entry(m.json()["id"].as_str().unwrap_or_default().to_string()).or_default() += 1;
        }
    }
    let story: Vec<String> = events
        .all()
        .iter()
        .filter(|m| m.json()["id"].as_str().is_some_and(|id| id.starts_with("endurance.")))
        .map(|m| format!("{} {} {}", m.json()["event"], m.json()["id"], m.json()["value"]))
        .collect();
    assert!(activations.values().all(|n| *n == 1), "an activation was announced twice: {activations:?}\nendurance events: {story:#?}");
    let incident_mails = s.smtp.mails().iter().filter(|m| m.subject.starts_with("A-larm")).count();
    assert_eq!(incident_mails, 1, "{:?}", s.smtp.mails().iter().map(|m| m.subject.clone()).collect::<Vec<_>>());
    drop(second);
}

/// Alarm id → state of the alarms `driftvakt alarms --json` lists.
fn active(api: &str) -> BTreeMap<String, String> {
    let out = cli_ok(&["alarms", "--api", api, "--json"]);
    let list: Vec<serde_json::Value> = serde_json::from_str(&out).expect("alarms JSON");
    list.iter().map(|a| (a["id"].as_str().unwrap_or_default().to_string(), a["state"].as_str().unwrap_or_default().to_string())).collect()
}
