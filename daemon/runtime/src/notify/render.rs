//! Message texts: the incident e-mail (Swedish first, English on request) and the MQTT payloads.

use driftvakt_config::model::{AlarmClass, Language};
use jiff::tz::TimeZone;
use serde_json::json;

use driftvakt_domain::alarm::{AlarmRecord, Change};
use driftvakt_domain::fmt::{local_datetime, rfc3339_utc};
use driftvakt_domain::plan::{EmailKind, Planner};
use driftvakt_domain::text::alarm::Alarms;
use driftvakt_domain::text::email::Email as Texts;
use driftvakt_domain::text::fill;

/// An e-mail ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
}

fn state_label(a: &AlarmRecord, lang: Language, now_ms: i64) -> String {
    let t = Alarms::of(lang);
    let base = a.state.label(lang);
    match (&a.ack, a.is_shelved(now_ms)) {
        (_, true) => fill(t.state_shelved, &[("state", base)]),
        (Some(ack), false) => fill(t.state_acked_by, &[("state", base), ("by", &ack.by)]),
        _ => base.to_string(),
    }
}

#[allow(clippy::too_many_arguments)]
/// The e-mail about incident `incident` (its alarms in joining order; the first is the cause).
pub fn email(kind: EmailKind, incident: i64, opened_ms: i64, alarms: &[&AlarmRecord], site: &str, tz: &TimeZone, lang: Language, now_ms: i64) -> Email {
    let t = Texts::of(lang);
    let class = Planner::incident_class(alarms);
    let cls = class.key();
    // The title is the incident's first alarm of its most urgent class (join order).
    let cause = alarms.iter().find(|a| a.class == class).or(alarms.first()).map_or("", |a| a.text_in(lang));
    let subject = match kind {
        EmailKind::Incident => t.subject_incident,
        EmailKind::Update => t.subject_update,
        EmailKind::Cleared => t.subject_cleared,
        EmailKind::Repeat => t.subject_repeat,
        EmailKind::Escalation => t.subject_escalation,
    };
    let subject = fill(subject, &[("class", cls), ("cause", cause), ("site", site)]);
    let intro = match (kind, class) {
        (EmailKind::Cleared, _) => t.intro_cleared,
        (EmailKind::Repeat | EmailKind::Escalation, _) => t.intro_unacked,
        (_, AlarmClass::A) => t.intro_a,
        (_, AlarmClass::B) => t.intro_b,
    };
    let mut body = fill(
        t.head,
        &[
            ("intro", intro.to_string()),
            ("incident", incident.to_string()),
            ("site", site.to_string()),
            ("started", local_datetime(opened_ms, tz)),
            ("zone", tz.iana_name().unwrap_or("UTC").to_string()),
            ("n", alarms.len().to_string()),
        ],
    );
    for a in alarms {
        // English shows the system's key, as it always has.
        let system = if lang == Language::Sv { a.system_label(lang) } else { &a.system };
        body.push_str(&fill(
            t.alarm,
            &[
                ("class", a.class.key().to_string()),
                ("system", format!("{system:<12}")),
                ("text", a.text_in(lang).to_string()),
                ("since", a.active_since_ms.map(|t| local_datetime(t, tz)).unwrap_or_default()),
                ("state", state_label(a, lang, now_ms)),
            ],
        ));
        body.push_str(&match a.cleared_ms.filter(|_| !a.state.is_active()) {
            Some(cleared) => fill(t.alarm_id_cleared, &[("id", a.id.clone()), ("cleared", local_datetime(cleared, tz))]),
            None => fill(t.alarm_id, &[("id", &a.id)]),
        });
    }
    body.push_str(t.footer);
    Email { subject, body }
}

/// Retained MQTT state of one alarm.
pub fn mqtt_state(rec: &AlarmRecord, now_ms: i64) -> String {
    json!({
        "id": rec.id,
        "state": rec.state.key(),
        "class": rec.class.key(),
        "system": rec.system,
        "text": rec.text,
        "text_en": rec.text_en,
        "value": rec.value,
        "active_since": rec.active_since_ms.map(rfc3339_utc),
        "cleared": rec.cleared_ms.map(rfc3339_utc),
        "acked_by": rec.ack.as_ref().map(|a| a.by.clone()),
        "acked_at": rec.ack.as_ref().map(|a| rfc3339_utc(a.at_ms)),
        "shelved_until": rec.shelved.as_ref().filter(|_| rec.is_shelved(now_ms)).map(|s| rfc3339_utc(s.until_ms)),
        "incident": rec.incident,
        "expected": rec.is_expected(),
        "exercise_run": rec.expected_run,
        "changed": rfc3339_utc(rec.changed_ms),
    })
    .to_string()
}

/// MQTT event of one change.
pub fn mqtt_event(c: &Change) -> String {
    json!({
        "event": c.kind.key(),
        "id": c.record.id,
        "from": c.from.key(),
        "state": c.record.state.key(),
        "class": c.record.class.key(),
        "system": c.record.system,
        "text": c.record.text,
        "value": c.record.value,
        "incident": c.record.incident,
        "expected": c.record.is_expected(),
        "by": c.by,
        "comment": c.comment,
        "at": rfc3339_utc(c.at_ms),
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use driftvakt_config::model::System;

    use super::*;
    use driftvakt_domain::alarm::AlarmState;

    #[test]
    fn the_incident_email_lists_every_alarm_with_local_time() {
        let tz = TimeZone::get("Europe/Stockholm").expect("tz");
        let mut a = AlarmRecord::normal("ats.mains_available.state", AlarmClass::A, System::Reservkraft, "Nät bortfall", "Mains lost");
        a.state = AlarmState::ActiveUnacked;
        a.active_since_ms = Some(1_767_258_003_000); // 2026-01-01 09:00:03 UTC
        let mut b = AlarmRecord::normal("aggregat.fan_running.state", AlarmClass::B, System::Ventilation, "Tilluftsfläkt stopp", "Fan stopped");
        b.state = AlarmState::ActiveUnacked;
        b.active_since_ms = Some(1_767_258_004_000);
        let e = email(EmailKind::Incident, 7, 1_767_258_003_000, &[&b, &a], "Referenssjukhuset", &tz, Language::Sv, 0);
        assert_eq!(e.subject, "A-larm: Nät bortfall — Referenssjukhuset");
        assert!(e.body.contains("Händelse 7 på Referenssjukhuset, startade 2026-01-01 10:00:03 (Europe/Stockholm)"), "{}", e.body);
        assert!(e.body.contains("Larm i händelsen (2)"), "{}", e.body);
        assert!(e.body.contains("Tilluftsfläkt stopp  (2026-01-01 10:00:04, aktivt, okvitterat)"), "{}", e.body);
        let en = email(EmailKind::Cleared, 7, 1_767_258_003_000, &[&a], "Referenssjukhuset", &tz, Language::En, 0);
        assert_eq!(en.subject, "Cleared: Mains lost — Referenssjukhuset");
    }
}
