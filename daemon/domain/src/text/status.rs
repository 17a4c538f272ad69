//! `driftvakt status`: the running daemon's health as tables.

texts! {
    /// Every word of the status tables.
    pub struct Status {
        /// First line: `{site}`, `{version}`, `{time}`.
        header: &'static str = "driftvakt {site} ({version}) — status {time}", "driftvakt {site} ({version}) — status {time}";
        /// Alarm counts: `{active}`, `{unacked}`, `{shelved}`.
        alarms: &'static str =
            "Larm: {active} aktiva, {unacked} okvitterade, {shelved} bortkopplade",
            "Alarms: {active} active, {unacked} unacknowledged, {shelved} shelved";
        /// The alarm service does not answer.
        alarms_unknown: &'static str = "Larm: larmtjänsten svarar inte", "Alarms: the alarm service does not answer";
        /// Store counters: `{written}`, `{errors}`, `{lost}`.
        store: &'static str =
            "Lagring: {written} avläsningar sparade, {errors} skrivfel, {lost} förlorade",
            "Store: {written} readings stored, {errors} write errors, {lost} lost";
        /// A failing store: `{since}`, `{held}`, `{alarm}`.
        store_failing: &'static str =
            "LAGRING MISSLYCKAS sedan {since}: {held} avläsningar och {alarm} larmhändelser väntar i minnet",
            "STORE FAILING since {since}: {held} readings and {alarm} alarm records wait in memory";
        /// Title of a protocol's table (its first column), per protocol; others show the protocol.
        links: [(&'static str, &'static str); 2] =
            [("modbus", "Anslutning"), ("bacnet", "BACnet-nät")],
            [("modbus", "Connection"), ("bacnet", "BACnet network")];
        /// Column words of source counters, per counter key; others show the key.
        counters: [(&'static str, &'static str); 7] = [
            ("requests", "Förfrågningar"),
            ("errors", "Fel"),
            ("timeouts", "Tidsgränser"),
            ("reconnects", "Återanslutningar"),
            ("connect_failures", "Misslyckade anslutningar"),
            ("device_errors", "Enhetsfel"),
            ("cov_notifications", "COV-meddelanden"),
        ], [
            ("requests", "Requests"),
            ("errors", "Errors"),
            ("timeouts", "Timeouts"),
            ("reconnects", "Reconnects"),
            ("connect_failures", "Failed connects"),
            ("device_errors", "Device errors"),
            ("cov_notifications", "COV notifications"),
        ];
        /// Column titles of the device table.
        devices: [&'static str; 8] =
            ["Enhet", "Via", "Protokoll", "Avläsningar", "Ej goda", "Senaste", "Förfrågningar", "Fel"],
            ["Device", "Via", "Protocol", "Readings", "Not good", "Latest", "Requests", "Errors"];
        /// Column titles of the sink table.
        sinks: [&'static str; 9] = [
            "Utgång", "Typ", "Läge", "Levererat", "Kö", "Eftersläpning", "Tappat", "Skrivfel", "Senaste fel",
        ], [
            "Sink", "Kind", "State", "Delivered", "Backlog", "Lag", "Dropped", "Write errors", "Last error",
        ];
        /// A sink that delivers.
        up: &'static str = "uppe", "up";
        /// A sink that does not.
        down: &'static str = "NERE", "DOWN";
        /// No reading yet.
        never: &'static str = "aldrig", "never";
        /// Notification counters: `{es}`, `{ef}`, `{ms}`, `{mf}`.
        notify: &'static str =
            "Larmnotifieringar: e-post {es} skickade, {ef} misslyckade försök; MQTT {ms} skickade, {mf} misslyckade försök",
            "Alarm notifications: e-mail {es} sent, {ef} failed attempts; MQTT {ms} sent, {mf} failed attempts";
        /// The exercise service with a run in progress: `{run}` (its id), `{kind}` (the kind in
        /// words), `{since}`, `{accepted}`, `{refused}` (MQTT command messages).
        exercise_running: &'static str =
            "Reservkraftprov: pågår körning {run} ({kind}) sedan {since}; MQTT-kommandon {accepted} godtagna, {refused} avvisade",
            "Exercise: run {run} running ({kind}) since {since}; MQTT commands {accepted} accepted, {refused} refused";
        /// The exercise service with no run in progress: `{accepted}`, `{refused}`.
        exercise_idle: &'static str =
            "Reservkraftprov: inget pågår; MQTT-kommandon {accepted} godtagna, {refused} avvisade",
            "Exercise: none running; MQTT commands {accepted} accepted, {refused} refused";
        /// Rejected datagrams: `{link}` (the table's title), `{id}`, `{total}`, `{reasons}`.
        rejected: &'static str =
            "{link} {id}: {total} avvisade datagram ({reasons})",
            "{link} {id}: {total} rejected datagrams ({reasons})";
        /// Reason keys of rejected datagrams in words.
        reasons: [(&'static str, &'static str); 4] = [
            ("foreign_address", "fel avsändare"),
            ("unknown_process", "okänt process-id"),
            ("unsubscribed_object", "objekt utan prenumeration"),
            ("malformed", "felformade"),
        ], [
            ("foreign_address", "wrong sender"),
            ("unknown_process", "unknown process id"),
            ("unsubscribed_object", "object not subscribed"),
            ("malformed", "malformed"),
        ];
    }
}
