//! The live exercise service and the `driftvakt exercise` commands: what a start, stop or note
//! answers, the status of the running run and the recent runs, a detected outage's name. The
//! words of the report (kinds, criteria, events) are in `exercise.rs`.

texts! {
    /// Words of `driftvakt exercise` and the live service.
    pub struct ExerciseLive {
        /// The name of a detected outage: `{time}` (local start).
        outage_name: &'static str = "Strömavbrott {time}", "Power outage {time}";
        /// `exercise start`: `{id}`, `{name}`, `{kind}`, `{by}`, `{time}`.
        started: &'static str =
            "Övning {id} startad {time}: {name} ({kind}), av {by}.",
            "Exercise {id} started {time}: {name} ({kind}), by {by}.";
        /// `exercise stop`: `{id}`, `{name}`, `{by}`, `{time}`, `{duration}`.
        stopped: &'static str =
            "Körning {id} avslutad {time} av {by}: {name}, {duration}.",
            "Run {id} stopped {time} by {by}: {name}, {duration}.";
        /// `exercise note`: `{id}`, `{text}`.
        noted: &'static str = "Anteckning i körning {id}: {text}", "Note in run {id}: {text}";
        /// `exercise status`: the running run: `{id}`, `{name}`, `{kind}`, `{by}`, `{time}`, `{duration}`.
        running: &'static str =
            "Pågår: körning {id}, {name} ({kind}), startad {time} av {by}, {duration} sedan.",
            "Running: run {id}, {name} ({kind}), started {time} by {by}, {duration} ago.";
        /// `exercise status` without a running run.
        none_running: &'static str = "Ingen övning eller avbrott pågår.", "No exercise or outage is running.";
        /// `exercise status`: criteria failed so far: `{criteria}`.
        failing: &'static str = "Underkänt hittills: {criteria}", "Failed so far: {criteria}";
        /// `exercise status`: one note: `{time}`, `{by}`, `{text}`.
        note_line: &'static str = "  {time}  {by}: {text}", "  {time}  {by}: {text}";
        /// `exercise status`: heading of the recent runs.
        recent: &'static str = "Senaste körningar:", "Recent runs:";
        /// `exercise status` without any runs.
        no_runs: &'static str = "Inga körningar de senaste 400 dygnen.", "No runs in the last 400 days.";
        /// Columns of the recent runs.
        columns: [&'static str; 7] =
            ["Id", "Typ", "Namn", "Start", "Slut", "Av", "Anteckningar"],
            ["Id", "Kind", "Name", "Start", "Stop", "By", "Notes"];
        /// The stop column of a run still running.
        still_running: &'static str = "pågår", "running";
        /// `exercise status --data`: `{dir}`.
        from_store: &'static str =
            "Enligt lagret i {dir}, inte en körande daemon.",
            "From the store in {dir}, not a running daemon.";
    }
}
