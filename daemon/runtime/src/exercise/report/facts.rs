//! What the report of one run and the run history both start from: the `[exercise]` section,
//! the site's time zone and a run's facts in words.

use anyhow::{Context, Result};
use driftvakt_config::model::{Config, ExerciseSettings, Language};
use driftvakt_domain::exercise::Run;
use driftvakt_domain::text::exercise::{Exercise, kind_label};

use super::data::RunFacts;
use super::words::local_datetime;

/// The `[exercise]` section, or why a report cannot be made without it.
pub fn settings(config: &Config) -> Result<&ExerciseSettings> {
    config.exercise.as_ref().context(
        "the configuration has no [exercise] section: the roles (mains, transfer switches, generators) and criteria are needed to report a run",
    )
}

/// The site's time zone.
pub(super) fn zone(config: &Config) -> Result<jiff::tz::TimeZone> {
    jiff::tz::TimeZone::get(&config.site.timezone)
        .with_context(|| format!("unknown time zone {}", config.site.timezone))
}

/// The run's facts in `lang`.
pub(super) fn facts(run: &Run, now_ms: i64, tz: &jiff::tz::TimeZone, lang: Language) -> RunFacts {
    let w = Exercise::of(lang);
    RunFacts {
        id: run.id,
        kind: run.kind.key(),
        kind_label: kind_label(run.kind, lang).to_string(),
        name: run.name.clone(),
        started_by: run.started_by.clone(),
        started_ms: run.started_ms,
        started_local: local_datetime(run.started_ms, tz),
        stopped_ms: run.stopped_ms,
        stopped_local: run.stopped_ms.map_or_else(|| w.running.to_string(), |s| local_datetime(s, tz)),
        stopped_by: run.stopped_by.clone(),
        duration_ms: (run.stopped_ms.unwrap_or(now_ms) - run.started_ms).max(0),
    }
}
