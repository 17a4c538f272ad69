//! The operator's web screen: navigation, the overview, the alarm console, the health page and
//! the live banner. Column words of the health tables are `status.rs`'s (the same tables as
//! `driftvakt status`), alarm states `alarm.rs`'s, value words `screen.rs`'s and `value.rs`'s.

texts! {
    /// Every word of the web pages.
    pub struct Web {
        /// The page's title: `{page}`, `{site}`.
        title: &'static str = "{page} — {site} — driftvakt", "{page} — {site} — driftvakt";
        /// Link that skips the navigation (keyboard and screen-reader users).
        skip: &'static str = "Hoppa till innehållet", "Skip to content";
        /// Label of the navigation.
        nav: &'static str = "Sidor", "Pages";
        /// The overview page.
        overview: &'static str = "Översikt", "Overview";
        /// The alarm console.
        alarms: &'static str = "Larm", "Alarms";
        /// The health page.
        health: &'static str = "Hälsa", "Health";
        /// The reserves and endurance page.
        reserves: &'static str = "Reserver", "Reserves";
        /// The exercises page.
        exercises: &'static str = "Övningar", "Exercises";
        /// Link to the other language (written in that language).
        other_language: &'static str = "English", "Svenska";
        /// Code of the other language (`?lang=`).
        other_code: &'static str = "en", "sv";
        /// Shown when the page has heard nothing from the daemon for a few seconds: `{time}`
        /// (the last contact, local wall-clock time).
        no_contact: &'static str = "Ingen kontakt med driftvakt sedan {time}", "No contact with driftvakt since {time}";
        /// Data as of: `{time}`.
        as_of: &'static str = "Läget {time}", "As of {time}";
        /// A value older than its point's stale limit: `{age}`, `{value}` (the last value).
        stale_value: &'static str = "INAKTUELL ({age} gammal), senast {value}", "STALE ({age} old), last {value}";
        /// An age in seconds: `{n}`.
        age_s: &'static str = "{n} s", "{n} s";
        /// An age in minutes: `{n}`.
        age_min: &'static str = "{n} min", "{n} min";
        /// An age in hours: `{n}`.
        age_h: &'static str = "{n} h", "{n} h";
        /// Active alarms of a system: `{n}`.
        system_alarms: &'static str = "{n} aktiva larm", "{n} active alarms";
        /// One active alarm of a system.
        system_alarm_one: &'static str = "1 aktivt larm", "1 active alarm";
        /// No active alarm in a system.
        system_no_alarms: &'static str = "Inga aktiva larm", "No active alarms";
        /// A system without status points.
        no_key_values: &'static str = "Inga nyckelvärden konfigurerade (status-etikett på punkterna)", "No key values configured (status label on the points)";
        /// Heading of the endurance section.
        endurance: &'static str = "Uthållighet mot målbild", "Endurance against target";
        /// An endurance figure against its target: `{hours}`, `{target}`.
        endurance_of: &'static str = "{hours} av målbild {target}", "{hours} of target {target}";
        /// Said of a figure below its target (besides the colour).
        below_target: &'static str = "UNDER MÅLBILD", "BELOW TARGET";
        /// Said of a figure that meets its target.
        meets_target: &'static str = "når målbild", "meets target";
        /// A function's limiting link: `{chain}` (names joined by →).
        limited_by: &'static str = "Begränsas av: {chain}", "Limited by: {chain}";
        /// Heading of the alarm console.
        console: &'static str = "Larmkonsol", "Alarm console";
        /// Alarm counts: `{active}`, `{unacked}`, `{shelved}`.
        console_counts: &'static str =
            "{active} aktiva, {unacked} okvitterade, {shelved} bortkopplade",
            "{active} active, {unacked} unacknowledged, {shelved} shelved";
        /// The alarm service does not answer.
        alarms_unknown: &'static str = "Larmtjänsten svarar inte", "The alarm service does not answer";
        /// No alarm to show.
        no_alarms: &'static str = "Inga aktiva larm.", "No active alarms.";
        /// Class A in words (shown with a symbol and red).
        class_a: &'static str = "A-larm", "A alarm";
        /// Class B in words.
        class_b: &'static str = "B-larm", "B alarm";
        /// Read-only note on the console (acknowledging comes with logins).
        console_read_only: &'static str =
            "Kvittera och koppla bort med driftvakt ack / shelve tills vidare.",
            "Acknowledge and shelve with driftvakt ack / shelve for now.";
        /// Heading of the store on the health page.
        store: &'static str = "Lagring", "Store";
        /// Heading of the sinks on the health page.
        sinks: &'static str = "Utgångar", "Sinks";
        /// Heading of the devices on the health page.
        devices: &'static str = "Enheter", "Devices";
        /// Heading of the connections (links) on the health page.
        links: &'static str = "Förbindelser", "Connections";
        /// No sinks configured.
        no_sinks: &'static str = "Inga utgångar konfigurerade.", "No sinks configured.";
        /// Viewing refused (`[web] view_open = false`, a client beyond this machine).
        view_closed: &'static str =
            "Visning kräver inloggning, som ännu inte finns: öppna sidan på driftvakts egen dator, eller sätt [web] view_open = true.",
            "Viewing needs a login, which does not exist yet: open the page on driftvakt's own computer, or set [web] view_open = true.";
        /// A page that does not exist.
        not_found: &'static str = "Sidan finns inte.", "No such page.";
    }
}
