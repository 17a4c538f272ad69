//! Reservkraftprov (blackout exercise) and outage words: events, criteria, verdicts, kinds,
//! timings, the figures' names, and the exercise report's headings and columns (HTML; the
//! JSON and CSV carry the keys and these words where they have them). The words of the
//! exercise's own types (events, criteria, verdicts, timings) are looked up by
//! `crate::exercise::words`, so this table knows nothing of the exercise module.

use driftvakt_config::model::{ExerciseKind, Language};

texts! {
    /// Every word of an exercise, its report and the run history.
    pub struct Exercise {
        /// Report title.
        title: &'static str = "Reservkraftprov – rapport", "Backup power exercise – report";
        /// Report title of a detected outage.
        title_outage: &'static str = "Avbrott i nätmatningen – rapport", "Mains outage – report";
        /// Run-history title: `{year}`.
        history_title: &'static str = "Körhistorik reservkraft {year}", "Backup power run history {year}";
        /// Site (label).
        site: &'static str = "Anläggning", "Site";
        /// The run's name (label).
        name: &'static str = "Namn", "Name";
        /// The run's kind (label).
        kind: &'static str = "Typ", "Kind";
        /// The run's id (label).
        id: &'static str = "Prov-id", "Run id";
        /// Start (label).
        started: &'static str = "Start", "Start";
        /// Stop (label).
        stopped: &'static str = "Slut", "Stop";
        /// Who started it (label).
        started_by: &'static str = "Startat av", "Started by";
        /// Who stopped it (label).
        stopped_by: &'static str = "Avslutat av", "Stopped by";
        /// Duration (label).
        duration: &'static str = "Varaktighet", "Duration";
        /// A run that has not been stopped yet.
        running: &'static str = "pågår", "running";
        /// Time zone (label).
        timezone: &'static str = "Tidszon", "Time zone";
        /// When the report was made (label).
        generated: &'static str = "Upprättad", "Generated";
        /// Overall verdict (label).
        overall: &'static str = "Samlad bedömning", "Overall verdict";
        /// Heading of the timeline.
        timeline_heading: &'static str = "Tidslinje", "Timeline";
        /// Heading of the charts.
        charts_heading: &'static str = "Diagram", "Charts";
        /// Heading of the figures and criteria.
        kpi_heading: &'static str = "Nyckeltal och kriterier", "Key figures and criteria";
        /// Heading of the watched points.
        watched_heading: &'static str = "Bevakade punkter", "Watched points";
        /// Heading of the alarms.
        alarms_heading: &'static str = "Larm under provet", "Alarms during the exercise";
        /// Heading of the observations (notes).
        observations_heading: &'static str = "Observationer", "Observations";
        /// Heading of the signatures.
        signatures_heading: &'static str = "Underskrifter", "Signatures";
        /// Heading of the run history.
        history_heading: &'static str = "Körhistorik", "Run history";
        /// Heading of the hours per generator (run history).
        hours_heading: &'static str = "Drifttimmar per generator", "Running hours per generator";
        /// Heading of the data coverage.
        coverage_heading: &'static str = "Saknade data", "Missing data";
        /// Timeline columns.
        timeline_columns: [&'static str; 5] =
            ["Tid", "Händelse", "Enhet", "Punkt", "Tidsangivelse"],
            ["Time", "Event", "Unit", "Point", "Timing"];
        /// Figure columns.
        kpi_columns: [&'static str; 8] =
            ["Nyckeltal", "Enhet", "Värde", "Noggrannhet", "Gräns", "Räknat från", "Tidsangivelse", "Bedömning"],
            ["Figure", "Unit", "Value", "Resolution", "Limit", "Measured from", "Timing", "Verdict"];
        /// Watched-point columns.
        watched_columns: [&'static str; 9] =
            ["Punkt", "Normalband", "Lägsta", "Högsta", "Största avvikelse", "Tid utanför", "Först utanför", "Tillåtet", "Bedömning"],
            ["Point", "Normal band", "Lowest", "Highest", "Worst deviation", "Time outside", "First outside", "Allowed", "Verdict"];
        /// Alarm columns.
        alarm_columns: [&'static str; 5] =
            ["Tid", "Larm", "Händelse", "Förväntat", "Text"],
            ["Time", "Alarm", "Event", "Expected", "Text"];
        /// Observation columns.
        note_columns: [&'static str; 3] = ["Tid", "Av", "Text"], ["Time", "By", "Text"];
        /// Run-history columns.
        history_columns: [&'static str; 9] =
            ["Id", "Start", "Typ", "Namn", "Starttid", "Omkoppling", "Minuter på last", "Bedömning", "Varaktighet"],
            ["Id", "Start", "Kind", "Name", "Start time", "Changeover", "Minutes on load", "Verdict", "Duration"];
        /// Hours-per-generator columns.
        hours_columns: [&'static str; 4] =
            ["Generator", "Timmar prov", "Timmar avbrott", "Antal körningar"],
            ["Generator", "Hours on test", "Hours on outage", "Runs"];
        /// Coverage columns.
        coverage_columns: [&'static str; 2] = ["Punkt", "Tid utan giltiga värden"], ["Point", "Time without good data"];
        /// Heading of the runs per kind (run history).
        counts_heading: &'static str = "Antal per typ", "Runs per kind";
        /// Runs-per-kind columns.
        counts_columns: [&'static str; 4] = ["Typ", "Antal", "Godkända", "Underkända"], ["Kind", "Runs", "Passed", "Failed"];
        /// Where a run report's figures come from (footer): `{lead}`.
        sources_intro: &'static str =
            "Tidslinje och nyckeltal är räknade ur de lagrade avläsningarna av punkterna nedan, från {lead} före start till fem minuter efter slut:",
            "The timeline and figures are computed from the stored readings of the points below, from {lead} before the start to five minutes after the stop:";
        /// A point's readings in the window: `{count}`.
        readings: &'static str = "{count} avläsningar", "{count} readings";
        /// Where the run history's figures come from (footer).
        history_sources: &'static str =
            "Varje prov och avbrott är räknat ur lagrade avläsningar på samma sätt som dess egen rapport (driftvakt report exercise --id). Drifttimmar: från startförsök till stopp, inom provets tid.",
            "Every exercise and outage is computed from stored readings as in its own report (driftvakt report exercise --id). Running hours: from crank to stop, within the run.";
        /// An alarm the run explains.
        expected: &'static str = "förväntat", "expected";
        /// An alarm the run does not explain.
        unexpected: &'static str = "oväntat", "not expected";
        /// No alarms.
        no_alarms: &'static str = "Inga larm.", "No alarms.";
        /// No observations.
        no_notes: &'static str = "Inga observationer.", "No observations.";
        /// No events.
        no_events: &'static str = "Inga händelser registrerade.", "No events recorded.";
        /// No watched points configured.
        no_watched: &'static str = "Inga bevakade punkter.", "No watched points.";
        /// No runs in the history.
        no_runs: &'static str = "Inga prov eller avbrott.", "No exercises or outages.";
        /// No missing data.
        no_gaps: &'static str = "Giltiga värden under hela provet.", "Good data throughout the run.";
        /// Under a signature line.
        name_date: &'static str = "Namn, datum", "Name, date";
        /// Signature roles.
        signature_roles: [&'static str; 2] = ["Beredskapssamordnare", "Fastighetsförvaltare"], ["Preparedness coordinator", "Property manager"];
        /// Limit "at most": `{limit}`.
        limit_max: &'static str = "högst {limit}", "at most {limit}";
        /// Limit "at least": `{limit}`.
        limit_min: &'static str = "minst {limit}", "at least {limit}";
        /// A figure that is information only.
        information: &'static str = "information", "information";
        /// A figure that could not be measured.
        not_measured_value: &'static str = "–", "–";
        /// Normal band: `{low}`, `{high}`.
        band: &'static str = "{low} – {high}", "{low} – {high}";
        /// Normal band without upper edge: `{low}`.
        band_low: &'static str = "≥ {low}", "≥ {low}";
        /// Normal band without lower edge: `{high}`.
        band_high: &'static str = "≤ {high}", "≤ {high}";
        /// Chart caption: generator power.
        chart_power: &'static str = "generatoreffekt kW", "generator power kW";
        /// Chart caption: generator voltage.
        chart_voltage: &'static str = "generatorspänning V", "generator voltage V";
        /// Chart caption: generator frequency.
        chart_frequency: &'static str = "generatorfrekvens Hz", "generator frequency Hz";
        /// Chart caption: a watched point, `{point}`.
        chart_watched: &'static str = "{point} (streckat: normalband)", "{point} (dashed: normal band)";
        /// Timing: the device's own time.
        timing_device: &'static str = "enhetens egen tid", "device's own time";
        /// Timing: a polled change, `{resolution}` (e.g. `1,0 s`).
        timing_polled: &'static str = "avläst ±{resolution}", "polled ±{resolution}";
        /// Timing: written by a person or the daemon.
        timing_operator: &'static str = "angiven", "entered";
        /// What the timings mean (under the timeline).
        timing_intro: &'static str =
            "Tider från enhetens eget register (senaste omkopplingstid, starträknare) används före tider avlästa vid pollning. En avläst tid ligger mellan föregående och aktuell avläsning (±intervallet).",
            "Times from the device's own register (last transfer time, start counter) are preferred over times seen by polling. A polled time lies between the previous and the present reading (± the interval).";
        /// Endurance extrapolated from the test: `{hours}`, `{stock}`, `{burn}`.
        endurance_line: &'static str =
            "Användbart lager {stock} l vid uppmätt förbrukning {burn} l/h räcker {hours} h.",
            "Usable stock {stock} l at the measured burn {burn} l/h lasts {hours} h.";
        /// A point's time without good data: `{point}`, `{duration}`.
        missing_line: &'static str = "{point}: {duration} utan giltiga värden", "{point}: {duration} without good data";
        /// Events by key.
        events: [(&'static str, &'static str); 18] = [
            ("run_started", "Provet startat"),
            ("test_mode_on", "Provläge till"),
            ("mains_lost", "Nätbortfall"),
            ("start_signal", "Startsignal"),
            ("prestart", "Förvärmning"),
            ("crank", "Startförsök"),
            ("crank_failed", "Misslyckat startförsök"),
            ("generator_ready", "Generator på märkspänning och märkfrekvens"),
            ("transfer_to_emergency", "Omkoppling till reservkraft"),
            ("load_picked_up", "Generatorn tar last"),
            ("ups_on_battery", "UPS på batteri"),
            ("ups_off_battery", "UPS åter på nät"),
            ("mains_back", "Nätet tillbaka"),
            ("test_mode_off", "Provläge från"),
            ("retransfer", "Återkoppling till nät"),
            ("cool_down", "Eftergång (kylning)"),
            ("generator_stopped", "Generator stoppad"),
            ("run_stopped", "Provet avslutat"),
        ], [
            ("run_started", "Run started"),
            ("test_mode_on", "Test mode on"),
            ("mains_lost", "Mains lost"),
            ("start_signal", "Start signal"),
            ("prestart", "Pre-start"),
            ("crank", "Crank"),
            ("crank_failed", "Failed crank"),
            ("generator_ready", "Generator at rated voltage and frequency"),
            ("transfer_to_emergency", "Transfer to emergency"),
            ("load_picked_up", "Generator picked up load"),
            ("ups_on_battery", "UPS on battery"),
            ("ups_off_battery", "UPS off battery"),
            ("mains_back", "Mains back"),
            ("test_mode_off", "Test mode off"),
            ("retransfer", "Retransfer to mains"),
            ("cool_down", "Cool-down"),
            ("generator_stopped", "Generator stopped"),
            ("run_stopped", "Run stopped"),
        ];
        /// Criteria by key.
        criteria: [(&'static str, &'static str); 5] = [
            ("start_time", "Starttid"),
            ("start_attempts", "Startförsök"),
            ("changeover", "Omkopplingstid"),
            ("load", "Last"),
            ("watched", "Bevakade punkter"),
        ], [
            ("start_time", "Start time"),
            ("start_attempts", "Start attempts"),
            ("changeover", "Changeover time"),
            ("load", "Load"),
            ("watched", "Watched points"),
        ];
        /// Figures by key.
        kpis: [(&'static str, &'static str); 10] = [
            ("start_time", "Starttid"),
            ("start_attempts", "Antal startförsök"),
            ("changeover", "Omkopplingstid"),
            ("load_percent", "Last, andel av märkeffekt"),
            ("minutes_on_load", "Minuter på last"),
            ("fuel_used_l", "Förbrukat bränsle"),
            ("burn_l_per_h", "Uppmätt bränsleförbrukning"),
            ("endurance_h", "Uthållighet vid uppmätt förbrukning"),
            ("ups_minutes", "Minuter på UPS-batteri"),
            ("ups_runtime_used_min", "Använd UPS-drifttid"),
        ], [
            ("start_time", "Start time"),
            ("start_attempts", "Start attempts"),
            ("changeover", "Changeover time"),
            ("load_percent", "Load, share of rating"),
            ("minutes_on_load", "Minutes on load"),
            ("fuel_used_l", "Fuel used"),
            ("burn_l_per_h", "Measured fuel burn"),
            ("endurance_h", "Endurance at the measured burn"),
            ("ups_minutes", "Minutes on UPS battery"),
            ("ups_runtime_used_min", "UPS runtime used"),
        ];
        /// Verdicts by key.
        verdicts: [(&'static str, &'static str); 4] = [
            ("pass", "Godkänd"),
            ("fail", "Underkänd"),
            ("not_applicable", "Ej tillämplig"),
            ("not_measured", "Ej mätt"),
        ], [
            ("pass", "Pass"),
            ("fail", "Fail"),
            ("not_applicable", "Not applicable"),
            ("not_measured", "Not measured"),
        ];
        /// Kinds of run by key.
        kinds: [(&'static str, &'static str); 4] = [
            ("monthly", "månadsprov"),
            ("island", "ö-driftsprov"),
            ("loadbank", "lastbanksprov"),
            ("outage", "avbrott"),
        ], [
            ("monthly", "monthly test"),
            ("island", "island test"),
            ("loadbank", "load-bank test"),
            ("outage", "outage"),
        ];
    }
}

/// The word for `key` in a keyed entry; the key itself when missing.
pub(crate) fn lookup<const N: usize>(entries: &[(&'static str, &'static str); N], key: &'static str) -> &'static str {
    entries.iter().find(|(k, _)| *k == key).map_or(key, |(_, t)| t)
}

/// A figure's name by its key (`start_time` → `Starttid`).
pub fn kpi_label(key: &'static str, lang: Language) -> &'static str {
    lookup(&Exercise::of(lang).kpis, key)
}

/// A kind of run in words (`månadsprov`).
pub fn kind_label(kind: ExerciseKind, lang: Language) -> &'static str {
    lookup(&Exercise::of(lang).kinds, kind.key())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_words_in_both_languages() {
        for lang in Language::ALL {
            let t = Exercise::of(lang);
            for k in ExerciseKind::ALL {
                assert!(t.kinds.iter().any(|(key, _)| *key == k.key()), "{k:?} {lang:?}");
            }
        }
        assert_eq!(kind_label(ExerciseKind::Island, Language::Sv), "ö-driftsprov");
        assert_eq!(kpi_label("minutes_on_load", Language::Sv), "Minuter på last");
    }
}
