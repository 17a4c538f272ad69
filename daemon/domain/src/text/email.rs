//! The incident e-mail: subjects per kind, the introduction per class, the body's lines.

texts! {
    /// Every word of the incident e-mail.
    pub struct Email {
        /// Subject of a new incident: `{class}`, `{cause}`, `{site}`.
        subject_incident: &'static str = "{class}-larm: {cause} — {site}", "{class} alarm: {cause} — {site}";
        /// Subject when alarms join the incident: `{class}`, `{cause}`, `{site}`.
        subject_update: &'static str = "{class}-larm, fler larm: {cause} — {site}", "{class} alarm, more alarms: {cause} — {site}";
        /// Subject when every alarm has cleared: `{cause}`, `{site}`.
        subject_cleared: &'static str = "Återställt: {cause} — {site}", "Cleared: {cause} — {site}";
        /// Subject of a reminder: `{class}`, `{cause}`, `{site}`.
        subject_repeat: &'static str =
            "Påminnelse, okvitterat {class}-larm: {cause} — {site}",
            "Reminder, unacknowledged {class} alarm: {cause} — {site}";
        /// Subject of an escalation: `{class}`, `{cause}`, `{site}`.
        subject_escalation: &'static str = "Eskalerat {class}-larm: {cause} — {site}", "Escalated {class} alarm: {cause} — {site}";
        /// Introduction when every alarm has cleared.
        intro_cleared: &'static str = "Alla larm i händelsen har återgått.", "Every alarm of the incident has cleared.";
        /// Introduction of a reminder or escalation.
        intro_unacked: &'static str = "Larm i händelsen är fortfarande okvitterade.", "Alarms of the incident are still unacknowledged.";
        /// Introduction of an A incident.
        intro_a: &'static str = "A-larm: åtgärda nu.", "A alarm: act now.";
        /// Introduction of a B incident.
        intro_b: &'static str = "B-larm: åtgärda under skiftet.", "B alarm: act this shift.";
        /// The body up to the alarm list: `{intro}`, `{incident}`, `{site}`, `{started}`,
        /// `{zone}`, `{n}`.
        head: &'static str =
            "{intro}\n\nHändelse {incident} på {site}, startade {started} ({zone}).\n\nLarm i händelsen ({n}):\n",
            "{intro}\n\nIncident {incident} at {site}, started {started} ({zone}).\n\nAlarms of the incident ({n}):\n";
        /// One alarm: `{class}`, `{system}` (padded), `{text}`, `{since}`, `{state}`.
        alarm: &'static str = "  {class}  {system} {text}  ({since}, {state})\n", "  {class}  {system} {text}  ({since}, {state})\n";
        /// The alarm's id: `{id}`.
        alarm_id: &'static str = "      id: {id}\n", "      id: {id}\n";
        /// The alarm's id when it has cleared: `{id}`, `{cleared}`.
        alarm_id_cleared: &'static str = "      id: {id}, återställt {cleared}\n", "      id: {id}, cleared {cleared}\n";
        /// The end of the body.
        footer: &'static str =
            "\nKvittera: driftvakt ack <id> --by <namn>\n-- \ndriftvakt\n",
            "\nAcknowledge: driftvakt ack <id> --by <name>\n-- \ndriftvakt\n";
    }
}
