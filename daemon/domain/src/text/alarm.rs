//! Alarms: states, the texts of the alarms driftvakt raises itself, and the alarm commands
//! (`driftvakt alarms`, `ack`, `shelve`, `unshelve`).

texts! {
    /// Every word about alarms outside the configured alarm texts.
    pub struct Alarms {
        /// State normal.
        normal: &'static str = "normal", "normal";
        /// State active, unacknowledged.
        active_unacked: &'static str = "aktivt, okvitterat", "active, unacknowledged";
        /// State active, acknowledged.
        active_acked: &'static str = "aktivt, kvitterat", "active, acknowledged";
        /// State cleared, unacknowledged.
        cleared_unacked: &'static str = "återställt, okvitterat", "cleared, unacknowledged";
        /// A state with who acknowledged: `{state}`, `{by}`.
        state_acked_by: &'static str = "{state} av {by}", "{state} by {by}";
        /// A shelved alarm's state: `{state}`.
        state_shelved: &'static str = "{state}, bortkopplat", "{state}, shelved";
        /// Comm-lost alarm of a device: `{device}` (filled like a configured text).
        comm_lost: &'static str = "Kommunikation förlorad: {device}", "Communication lost: {device}";
        /// Stale-values alarm of a device: `{device}` (filled like a configured text).
        stale: &'static str = "Inaktuella värden från {device}", "No valid values from {device}";
        /// A whole gateway not answering: `{id}`, `{n}` (devices behind it).
        gateway_lost: &'static str = "Ingen kontakt med gateway {id} ({n} enheter)", "Gateway {id} not answering ({n} devices)";
        /// The store's own alarm.
        store_failing: &'static str =
            "Lagring misslyckas: driftvakt kan inte spara i sin databas (full disk?)",
            "Store failing: driftvakt cannot commit to its database (disk full?)";
        /// `driftvakt alarms` without alarms.
        none: &'static str = "Inga aktiva larm.", "No active alarms.";
        /// `driftvakt alarms --data`: `{dir}`, `{time}` (the latest alarm change).
        from_store: &'static str =
            "Enligt lagret i {dir} (senaste larmändring {time}), inte en körande daemon.",
            "From the store in {dir} (latest alarm change {time}), not a running daemon.";
        /// Column titles of `driftvakt alarms`.
        columns: [&'static str; 7] =
            ["Klass", "System", "Larm", "Värde", "Sedan", "Status", "Id"],
            ["Class", "System", "Alarm", "Value", "Since", "Status", "Id"];
        /// Status column of an alarm explained by a running exercise: `{status}`, `{run}`.
        status_expected: &'static str = "{status}, övning {run}", "{status}, exercise {run}";
        /// Status column of an acknowledged alarm: `{state}`, `{by}`.
        status_acked: &'static str = "{state} ({by})", "{state} ({by})";
        /// Status column of a shelved alarm: `{status}`, `{until}`, `{reason}`.
        status_shelved: &'static str = "{status}, bortkopplat till {until} ({reason})", "{status}, shelved until {until} ({reason})";
        /// After `driftvakt ack`: `{id}`, `{text}`, `{state}`.
        acked: &'static str = "Kvitterat: {id} — {text} ({state})", "Acknowledged: {id} — {text} ({state})";
        /// After `driftvakt shelve`: `{until}`, `{id}`, `{text}`.
        shelved: &'static str = "Bortkopplat till {until}: {id} — {text}", "Shelved until {until}: {id} — {text}";
        /// After `driftvakt unshelve`: `{id}`, `{text}`, `{state}`.
        unshelved: &'static str = "Inkopplat igen: {id} — {text} ({state})", "Unshelved: {id} — {text} ({state})";
        /// The operator when none is named (stored in the journal).
        unknown_operator: &'static str = "okänd", "unknown";
    }
}
