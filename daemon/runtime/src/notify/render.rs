//! Message texts: the incident e-mail (Swedish first, English on request) and the MQTT payloads.

use driftvakt_config::model::{AlarmClass, Language};
use jiff::tz::TimeZone;
use serde_json::json;

use driftvakt_domain::alarm::{AlarmRecord, Change};
use driftvakt_domain::plan::{EmailKind, Planner};
use crate::timefmt::rfc3339_utc;

/// An e-mail ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
}

/// Local date and time `YYYY-MM-DD HH:MM:SS` in `tz`.
pub fn local_time(ms: i64, tz: &TimeZone) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_zoned_datetime(tz.clone()).strftime("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
}

fn state_label(a: &AlarmRecord, lang: Language, now_ms: i64) -> String {
    let base = if lang == Language::Sv { a.state.label_sv() } else { a.state.label_en() };
    match (&a.ack, a.is_shelved(now_ms)) {
        (_, true) => format!("{base}, {}", if lang == Language::Sv { "bortkopplat" } else { "shelved" }),
        (Some(ack), false) if lang == Language::Sv => format!("{base} av {}", ack.by),
        (Some(ack), false) => format!("{base} by {}", ack.by),
        _ => base.to_string(),
    }
}

#[allow(clippy::too_many_arguments)]
/// The e-mail about incident `incident` (its alarms in joining order; the first is the cause).
pub fn email(kind: EmailKind, incident: i64, opened_ms: i64, alarms: &[&AlarmRecord], site: &str, tz: &TimeZone, lang: Language, now_ms: i64) -> Email {
    let sv = lang == Language::Sv;
    let class = Planner::incident_class(alarms);
    let cls = class.key();
    // The title is the incident's first alarm of its most urgent class (join order).
    let cause = alarms.iter().find(|a| a.class == class).or(alarms.first()).map_or(String::new(), |a| if sv { a.text.clone() } else { a.text_en.clone() });
    let subject = match (kind, sv) {
        (EmailKind::Incident, true) => format!("{cls}-larm: {cause} — {site}"),
        (EmailKind::Update, true) => format!("{cls}-larm, fler larm: {cause} — {site}"),
        (EmailKind::Cleared, true) => format!("Återställt: {cause} — {site}"),
        (EmailKind::Repeat, true) => format!("Påminnelse, okvitterat {cls}-larm: {cause} — {site}"),
        (EmailKind::Escalation, true) => format!("Eskalerat {cls}-larm: {cause} — {site}"),
        (EmailKind::Incident, false) => format!("{cls} alarm: {cause} — {site}"),
        (EmailKind::Update, false) => format!("{cls} alarm, more alarms: {cause} — {site}"),
        (EmailKind::Cleared, false) => format!("Cleared: {cause} — {site}"),
        (EmailKind::Repeat, false) => format!("Reminder, unacknowledged {cls} alarm: {cause} — {site}"),
        (EmailKind::Escalation, false) => format!("Escalated {cls} alarm: {cause} — {site}"),
    };
    let tzname = tz.iana_name().unwrap_or("UTC");
    let mut body = String::new();
    let intro = match (kind, sv) {
        (EmailKind::Cleared, true) => "Alla larm i händelsen har återgått.",
        (EmailKind::Cleared, false) => "Every alarm of the incident has cleared.",
        (EmailKind::Repeat | EmailKind::Escalation, true) => "Larm i händelsen är fortfarande okvitterade.",
        (EmailKind::Repeat | EmailKind::Escalation, false) => "Alarms of the incident are still unacknowledged.",
        (_, true) => match class {
            AlarmClass::A => "A-larm: åtgärda nu.",
            AlarmClass::B => "B-larm: åtgärda under skiftet.",
        },
        (_, false) => match class {
            AlarmClass::A => "A alarm: act now.",
            AlarmClass::B => "B alarm: act this shift.",
        },
    };
    let started = local_time(opened_ms, tz);
    if sv {
        body.push_str(&format!("{intro}\n\nHändelse {incident} på {site}, startade {started} ({tzname}).\n\nLarm i händelsen ({}):\n", alarms.len()));
    } else {
        body.push_str(&format!("{intro}\n\nIncident {incident} at {site}, started {started} ({tzname}).\n\nAlarms of the incident ({}):\n", alarms.len()));
    }
    for a in alarms {
        let since = a.active_since_ms.map(|t| local_time(t, tz)).unwrap_or_default();
        let text = if sv { &a.text } else { &a.text_en };
        let system = if sv { a.system_label_sv().to_string() } else { a.system.clone() };
        body.push_str(&format!("  {}  {:<12} {}  ({since}, {})\n", a.class.key(), system, text, state_label(a, lang, now_ms)));
        body.push_str(&format!("      id: {}", a.id));
        if let Some(cleared) = a.cleared_ms.filter(|_| !a.state.is_active()) {
            let c = local_time(cleared, tz);
            body.push_str(&if sv { format!(", återställt {c}") } else { format!(", cleared {c}") });
        }
        body.push('\n');
    }
    body.push_str(if sv {
        "\nKvittera: driftvakt ack <id> --by <namn>\n-- \ndriftvakt\n"
    } else {
        "\nAcknowledge: driftvakt ack <id> --by <name>\n-- \ndriftvakt\n"
    });
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
