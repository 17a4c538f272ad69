//! The web screen's exercises page (`/ovningar`: the running run's live timeline, the past runs
//! and their reports, the coordinator's forms) and the alarm journal page (`/larm/journal`).
//! Event, criterion, verdict and kind words are `exercise.rs`'s; journal events `journal.rs`'s.

texts! {
    /// Every word of the exercises page and the alarm journal page.
    pub struct WebExercises {
        /// Without `[exercise]`.
        not_configured: &'static str =
            "Övningar är inte konfigurerade: daemonens konfiguration saknar [exercise].",
            "Exercises are not configured: the daemon's configuration has no [exercise].";
        /// Heading of the running run.
        running_heading: &'static str = "Pågår nu", "Running now";
        /// Nothing runs.
        none_running: &'static str = "Ingen övning eller avbrott pågår.", "No exercise or outage is running.";
        /// Labels of the running run's facts: kind, name, started, by.
        facts: [&'static str; 4] = ["Typ", "Namn", "Startad", "Av"], ["Kind", "Name", "Started", "By"];
        /// The running run's number: `{id}`.
        run_number: &'static str = "Körning {id}", "Run {id}";
        /// The verdict so far: `{symbol}`, `{verdict}`.
        verdict_so_far: &'static str = "Bedömning hittills: {symbol} {verdict}", "Verdict so far: {symbol} {verdict}";
        /// Heading of the live timeline.
        timeline_heading: &'static str = "Tidslinje", "Timeline";
        /// Columns of the timeline.
        timeline_columns: [&'static str; 4] = ["Tid", "Händelse", "Enhet", "Tidskälla"], ["Time", "Event", "Unit", "Timing"];
        /// No event yet.
        no_events: &'static str = "Inga händelser ännu.", "No events yet.";
        /// Heading of the figures so far.
        kpis_heading: &'static str = "Mått och kriterier hittills", "Figures and criteria so far";
        /// Columns of the figures.
        kpi_columns: [&'static str; 5] = ["Mått", "Enhet", "Värde", "Gräns", "Bedömning"], ["Figure", "Unit", "Value", "Limit", "Verdict"];
        /// Heading of the notes.
        notes_heading: &'static str = "Anteckningar", "Notes";
        /// One note: `{time}`, `{by}`, `{text}`.
        note: &'static str = "{time} {by}: {text}", "{time} {by}: {text}";
        /// No note.
        no_notes: &'static str = "Inga anteckningar.", "No notes.";
        /// Heading of the past runs.
        past_heading: &'static str = "Körningar det senaste året", "Runs of the last year";
        /// Columns of the past runs.
        past_columns: [&'static str; 7] =
            ["Nr", "Typ", "Namn", "Startad", "Stoppad", "Bedömning", "Rapport"],
            ["No.", "Kind", "Name", "Started", "Stopped", "Verdict", "Report"];
        /// No past run.
        no_past: &'static str = "Inga avslutade körningar det senaste året.", "No finished runs in the last year.";
        /// The past runs could not be read.
        past_unreadable: &'static str = "Körningarna kunde inte läsas ur lagringen (se daemonens logg).", "The runs could not be read from the store (see the daemon's log).";
        /// A report link's accessible name: `{id}`, `{format}`.
        report_link: &'static str = "Rapport för körning {id} som {format}", "Report of run {id} as {format}";
        /// No report for run `{id}`.
        no_report: &'static str = "Det finns ingen rapport för körning {id}.", "There is no report for run {id}.";
        /// Heading of the coordinator's forms.
        act_heading: &'static str = "Samordnarens åtgärder", "Coordinator's actions";
        /// Who acts: `{name}`.
        acting_as: &'static str = "Du agerar som {name}; det står i körningens logg.", "You act as {name}; the run's record says so.";
        /// Start form: heading, kind, name, button.
        start_form: [&'static str; 4] = ["Starta övning", "Typ", "Namn", "Starta"], ["Start an exercise", "Kind", "Name", "Start"];
        /// Note form: heading, text, button.
        note_form: [&'static str; 3] = ["Anteckning i tidslinjen", "Text", "Spara anteckning"], ["Note in the timeline", "Text", "Save note"];
        /// Stop form: heading, button.
        stop_form: [&'static str; 2] = ["Stoppa körningen", "Stoppa"], ["Stop the run", "Stop"];
        /// What happened to a form, by outcome code.
        outcomes: [(&'static str, &'static str); 9] = [
            ("started", "Övningen har startat."),
            ("noted", "Anteckningen är sparad."),
            ("stopped", "Körningen är stoppad."),
            ("already_running", "Avböjt: en körning pågår redan. Stoppa den först."),
            ("none_running", "Avböjt: ingen övning eller avbrott pågår."),
            ("name_missing", "Avböjt: ge övningen ett namn."),
            ("text_missing", "Avböjt: anteckningen är tom."),
            ("unknown_kind", "Avböjt: välj en av övningstyperna."),
            ("failed", "Det gick inte: driftvakt kunde inte spara det (se daemonens logg)."),
        ], [
            ("started", "The exercise has started."),
            ("noted", "The note is saved."),
            ("stopped", "The run is stopped."),
            ("already_running", "Refused: a run is already running. Stop it first."),
            ("none_running", "Refused: no exercise or outage is running."),
            ("name_missing", "Refused: give the exercise a name."),
            ("text_missing", "Refused: the note is empty."),
            ("unknown_kind", "Refused: choose one of the exercise kinds."),
            ("failed", "It did not work: driftvakt could not record it (see the daemon's log)."),
        ];
        /// A POST by someone who may not act on exercises.
        forbidden: &'static str =
            "Bara en inloggad samordnare får starta, anteckna och stoppa övningar.",
            "Only a signed-in coordinator may start, note and stop exercises.";
        /// A form that could not be read.
        bad_form: &'static str = "Formuläret kunde inte läsas.", "The form could not be read.";
        /// Heading and tab of the alarm journal page.
        journal: &'static str = "Larmjournal", "Alarm journal";
        /// Link from the alarm console to the journal.
        journal_link: &'static str = "Larmjournalen: vem gjorde vad och när, med filter", "The alarm journal: who did what and when, with filters";
        /// Heading of the journal's filters.
        filters: &'static str = "Filter", "Filters";
        /// Filter labels: from, to, alarm, system, class, event, who.
        filter_labels: [&'static str; 7] =
            ["Från (datum)", "Till (datum)", "Larm", "System", "Klass", "Händelse", "Vem"],
            ["From (date)", "To (date)", "Alarm", "System", "Class", "Event", "Who"];
        /// The "any" choice of a filter.
        any: &'static str = "Alla", "All";
        /// Filter button.
        apply: &'static str = "Visa", "Show";
        /// Link that clears the filters.
        reset: &'static str = "Rensa filtren", "Clear the filters";
        /// Columns of the journal.
        journal_columns: [&'static str; 7] =
            ["Tid", "Larm", "Klass", "System", "Händelse", "Vem", "Kommentar och detaljer"],
            ["Time", "Alarm", "Class", "System", "Event", "Who", "Comment and details"];
        /// How many are shown: `{shown}`, `{total}`, `{from}`, `{to}`.
        journal_counts: &'static str =
            "{shown} av {total} händelser {from} – {to}, nyast först",
            "{shown} of {total} entries {from} – {to}, newest first";
        /// Show more.
        more: &'static str = "Visa fler", "Show more";
        /// No entry matches.
        no_entries: &'static str = "Inga händelser i journalen med dessa filter.", "No journal entries match these filters.";
        /// The period holds more entries than one query returns: `{max}`.
        truncated: &'static str =
            "Perioden har fler än {max} händelser; bara de {max} äldsta är sökta. Välj en kortare period.",
            "The period has more than {max} entries; only the oldest {max} were searched. Choose a shorter period.";
        /// A date that could not be read: `{value}`.
        bad_date: &'static str = "Datumet «{value}» kunde inte läsas (ÅÅÅÅ-MM-DD); standardperioden visas.", "The date «{value}» could not be read (YYYY-MM-DD); the default period is shown.";
        /// The journal could not be read.
        journal_unreadable: &'static str = "Journalen kunde inte läsas (larmtjänsten svarar inte).", "The journal could not be read (the alarm service does not answer).";
        /// Not an alarm's entry (the store's own entries).
        no_alarm: &'static str = "–", "–";
    }
}
