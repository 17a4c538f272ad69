//! End to end against a real Mosquitto broker and a real SMTP server (aiosmtpd): mains fail at
//! the reference hospital, several alarms start at once (mains lost, UPS on battery, water
//! pressure, supply fan) and the operator gets exactly one incident e-mail listing them, plus a
//! retained MQTT state per alarm — both within poll interval + 2 s of the failure. `driftvakt
//! ack` changes the retained state; the return of mains is notified as the incident's clear.

mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use support::alarm::{MqttWatch, cli, cli_ok, journal};
use support::site::{Email, Site, SiteSpec};
use support::{wait_for, wait_until};

const POLL_MS: i64 = 200;
const PREFIX: &str = "driftvakt/referenssjukhuset";

#[test]
fn a_blackout_is_one_incident_email_and_a_retained_state_per_alarm() {
    let site = Site::start(SiteSpec {
        email: Email::Up,
        mqtt: true,
        token: "hemligt-token\n",
        poll_ms: POLL_MS as u32,
        ..SiteSpec::default()
    });
    let (sim, smtp, api, token, broker_port) = (&site.sim, &site.smtp, site.api.clone(), site.token.clone(), site.mqtt_port());
    let events = MqttWatch::start(broker_port, &format!("{PREFIX}/#"));
    let daemon = site.daemon();
    wait_until("`online` on the status topic", Duration::from_secs(10), || {
        events.latest().get(&format!("{PREFIX}/status")).is_some_and(|m| m.payload == "online")
    });
    // Normal operation first: nothing active.
    wait_until("first readings evaluated", Duration::from_secs(10), || cli_ok(&["alarms", "--api", &api]).contains("Inga aktiva larm"));

    let lost_at = sim.mains_lost();
    let budget = POLL_MS + 2000;

    // One incident e-mail, not one per alarm.
    let mail = wait_for("the incident e-mail", Duration::from_secs(10), || {
        smtp.mails().into_iter().find(|m| m.subject.starts_with("A-larm: ")).ok_or_else(|| format!("{} mails", smtp.mails().len()))
    });
    let mail_latency = (mail.received * 1000.0) as i64 - lost_at;
    assert!(mail_latency <= budget, "incident e-mail took {mail_latency} ms (budget {budget} ms):\n{}", daemon.log());
    eprintln!("incident e-mail {mail_latency} ms after mains failed: {}", mail.subject);
    assert!(mail.subject.ends_with(" — Referenssjukhuset"), "{}", mail.subject);
    assert_eq!(mail.rcpt_tos, ["driftjour@referenssjukhuset.example"]);
    for text in ["Nät bortfall", "UPS på batteridrift", "Tilluftsfläkt LB01: stopp", "Lågt vattentryck"] {
        assert!(mail.body.contains(text), "incident e-mail lacks `{text}`:\n{}", mail.body);
    }
    assert!(mail.body.contains("Europe/Stockholm"), "{}", mail.body);

    // A retained state per alarm, each within the budget.
    let alarms = ["ats.mains_available.state", "ups.on_battery.state", "aggregat.fan_running.state", "reservvatten.pressure.l"];
    for id in alarms {
        let topic = format!("{PREFIX}/alarm/{id}");
        let first = wait_for(&format!("MQTT state of {id}"), Duration::from_secs(10), || {
            events.all().into_iter().find(|m| m.topic == topic).ok_or_else(|| "not yet".to_string())
        });
        assert_eq!(first.json()["state"], "active_unacked", "{}", first.payload);
        let latency = first.at_ms - lost_at;
        eprintln!("MQTT state of {id} {latency} ms after mains failed");
        assert!(latency <= budget, "MQTT state of {id} took {latency} ms (budget {budget} ms)");
    }
    // Retained: a new subscriber gets every alarm's state from the broker at once.
    let fresh = MqttWatch::start(broker_port, &format!("{PREFIX}/alarm/#"));
    wait_until("retained alarm states for a new subscriber", Duration::from_secs(10), || {
        let got: BTreeSet<String> = fresh.all().iter().filter(|m| m.retain).map(|m| m.topic.clone()).collect();
        alarms.iter().all(|id| got.contains(&format!("{PREFIX}/alarm/{id}")))
    });
    let incident = fresh.latest()[&format!("{PREFIX}/alarm/ats.mains_available.state")].json()["incident"].clone();
    for id in alarms {
        let m = &fresh.latest()[&format!("{PREFIX}/alarm/{id}")];
        assert_eq!(m.json()["incident"], incident, "{id} is not in the same incident: {}", m.payload);
    }

    // The operator's list, in Swedish columns.
    let list = cli_ok(&["alarms", "--api", &api]);
    let header = list.lines().next().unwrap_or_default();
    for col in ["Klass", "System", "Larm", "Värde", "Sedan", "Status"] {
        assert!(header.contains(col), "no column {col}: {list}");
    }
    assert!(list.contains("Nät bortfall") && list.contains("Reservkraft") && list.contains("okvitterat"), "{list}");

    // Acknowledging needs the token; with it the retained state changes.
    let refused = cli(&["ack", "ats.mains_available.state", "--by", "Eva", "--api", &api]);
    assert!(!refused.status.success(), "ack without a token must be refused");
    assert!(String::from_utf8_lossy(&refused.stderr).contains("token"), "{}", String::from_utf8_lossy(&refused.stderr));
    let token_arg = token.to_string_lossy().into_owned();
    cli_ok(&["ack", "ats.mains_available.state", "--by", "Eva Driftjour", "--comment", "aggregaten går", "--api", &api, "--token-file", &token_arg]);
    wait_until("retained state acknowledged", Duration::from_secs(5), || {
        let fresh = MqttWatch::start(broker_port, &format!("{PREFIX}/alarm/ats.mains_available.state"));
        let mut ok = false;
        wait_until("a retained message", Duration::from_secs(5), || !fresh.all().is_empty());
        if let Some(m) = fresh.all().first() {
            let j = m.json();
            ok = m.retain && j["state"] == "active_acked" && j["acked_by"] == "Eva Driftjour";
        }
        ok
    });

    // Mains return: the incident's clear is notified by e-mail and on MQTT.
    let back_at = sim.mains_back();
    let cleared = wait_for("the clear e-mail", Duration::from_secs(15), || {
        smtp.mails().into_iter().find(|m| m.subject.starts_with("Återställt: ")).ok_or_else(|| "not yet".to_string())
    });
    assert!(cleared.subject.ends_with(" — Referenssjukhuset") && cleared.body.contains("Nät bortfall"), "{}\n{}", cleared.subject, cleared.body);
    assert!(cleared.received * 1000.0 >= back_at as f64, "the clear e-mail came before mains returned");
    wait_until("MQTT event: mains alarm cleared", Duration::from_secs(5), || {
        events.all().iter().any(|m| m.topic == format!("{PREFIX}/events") && m.json()["event"] == "cleared" && m.json()["id"] == "ats.mains_available.state")
    });
    let incident_mails = smtp.mails().iter().filter(|m| m.subject.starts_with("A-larm")).count();
    assert_eq!(incident_mails, 1, "one incident e-mail, not one per alarm: {:?}", smtp.mails().iter().map(|m| m.subject.clone()).collect::<Vec<_>>());

    // The journal has the transitions, the acknowledgement (who, comment) and the deliveries.
    let j = journal(&api).expect("journal");
    assert!(j.iter().any(|e| e["event"] == "acked" && e["by"] == "Eva Driftjour" && e["comment"] == "aggregaten går"));
    assert!(j.iter().any(|e| e["event"] == "notify_sent" && e["detail"].as_str().is_some_and(|d| d.contains("e-post (incident)"))));
    let text = cli_ok(&["journal", "--api", &api]);
    assert!(text.contains("kvitterat") && text.contains("skickat"), "{text}");

    // A clean stop publishes `offline` on the status topic.
    daemon.stop_cleanly();
    wait_until("`offline` on the status topic", Duration::from_secs(5), || {
        events.latest().get(&format!("{PREFIX}/status")).is_some_and(|m| m.payload == "offline")
    });
    drop(site);
}
