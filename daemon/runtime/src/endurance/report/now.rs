//! The report's "now": the state at the end of the period, rebuilt from the store by replaying
//! the stored readings through live endurance's own computer ([`LiveEndurance`]), so the
//! report's now-figures are the ones `endurance.<id>` showed at that moment.

use std::collections::HashMap;
use std::sync::Arc;

use driftvakt_config::model::{Config, Language};
use driftvakt_domain::fmt::number;
use driftvakt_domain::text::fill;
use driftvakt_domain::text::report::Report;
use driftvakt_domain::endurance::Inputs;
use driftvakt_domain::{Quality, Reading, Value};
use serde::Serialize;

use super::super::live::{EMIT_EVERY_MS, LiveEndurance};
use driftvakt_store::{Store, StoreError};

/// What "now" means in a report.
#[derive(Debug, Clone, Serialize)]
pub struct NowBasis {
    /// The instant, UTC ms: the period's end (readings before it count).
    pub at_ms: i64,
    /// The same instant, local time.
    pub at_local: String,
    /// A reading older than this before the end is not used (ms): `[alarms] stale_after_ms`.
    pub stale_after_ms: i64,
    /// Points whose raw readings were pruned: their 1-minute means stand in.
    pub from_rollups: Vec<String>,
    /// Points without a reading within `stale_after_ms` of the end: unknown now.
    pub stale: Vec<String>,
    /// The explanation, in the report's language.
    pub text: String,
}

/// The state at the end of a period.
pub struct EndState {
    /// Inputs of every reserve (configuration order).
    pub inputs: Vec<Inputs>,
    /// Points whose 1-minute means stood in for pruned raw readings.
    pub from_rollups: Vec<String>,
    /// Points with no reading recent enough.
    pub stale: Vec<String>,
    /// The staleness limit used (ms).
    pub stale_after_ms: i64,
}

/// One replayed sample: time (UTC ms), numeric value, quality.
type Sample = (i64, Option<f64>, Quality);

fn ms(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// The readings of `point` in `[from_ms, to_ms)`; where none are stored raw (pruned), one
/// reading per complete minute from the rollups, at the minute's middle. Returns whether the
/// rollups stood in.
fn readings(
    store: &Store,
    point: &str,
    from_ms: i64,
    to_ms: i64,
) -> Result<(Vec<Sample>, bool), StoreError> {
    let raw = match store.readings(point, from_ms, to_ms) {
        Ok(r) => r,
        Err(StoreError::UnknownPoint(_)) => return Ok((Vec::new(), false)),
        Err(e) => return Err(e),
    };
    if !raw.is_empty() {
        let rows = raw
            .into_iter()
            .map(|r| {
                (
                    r.time_ms,
                    r.value.as_ref().and_then(Value::as_f64),
                    r.quality,
                )
            })
            .collect();
        return Ok((rows, false));
    }
    let rows: Vec<_> = store
        .rollups(point, from_ms - 60_000, to_ms)?
        .into_iter()
        .filter(|r| r.minute_ms + 60_000 <= to_ms)
        .map(|r| {
            let q = if r.mean.is_some() {
                Quality::Good
            } else {
                Quality::Stale
            };
            (r.minute_ms + 30_000, r.mean, q)
        })
        .collect();
    let stood_in = !rows.is_empty();
    Ok((rows, stood_in))
}

/// Replay the readings before `to_ms` (as far back as the longest trend window and the
/// staleness limit reach) through live endurance; points not heard from within the staleness
/// limit are forgotten, as a device fallen silent makes them unknown.
pub fn end_state(config: &Config, store: &Store, to_ms: i64) -> Result<EndState, StoreError> {
    let stale_after_ms = ms(config.alarms.stale_after);
    let window = config
        .reserves
        .iter()
        .filter_map(|r| r.consumption.measured.as_ref().map(|m| ms(m.window)))
        .max()
        .unwrap_or(0);
    let from_ms = to_ms.saturating_sub(window.saturating_add(stale_after_ms));
    let points = LiveEndurance::input_points(config);
    let mut all: Vec<(i64, usize, Option<f64>, Quality)> = Vec::new();
    let mut from_rollups = Vec::new();
    let mut last_seen: HashMap<usize, i64> = HashMap::new();
    for (k, p) in points.iter().enumerate() {
        let (rows, stood_in) = readings(store, p, from_ms, to_ms)?;
        if stood_in {
            from_rollups.push(p.clone());
        }
        if let Some(last) = rows.last() {
            // A minute's mean stands for the whole minute: its staleness counts from its end.
            last_seen.insert(k, last.0 + if stood_in { 30_000 } else { 0 });
        }
        all.extend(rows.into_iter().map(|(t, v, q)| (t, k, v, q)));
    }
    all.sort_by_key(|r| (r.0, r.1));
    let names: Vec<Arc<str>> = points.iter().map(|p| Arc::from(p.as_str())).collect();
    let mut live = LiveEndurance::new(Arc::new(config.clone()), EMIT_EVERY_MS);
    for batch in all.chunk_by(|a, b| a.0 == b.0) {
        let batch: Vec<Reading> = batch
            .iter()
            .map(|&(t, k, v, q)| Reading {
                point: names[k].clone(),
                time_ms: t,
                value: v.map(Value::Number),
                quality: q,
            })
            .collect();
        live.on_batch(&batch);
    }
    let mut stale = Vec::new();
    for (k, p) in points.iter().enumerate() {
        match last_seen.get(&k) {
            Some(&t) if t >= to_ms - stale_after_ms => {}
            Some(_) => {
                live.forget(p);
                stale.push(p.clone());
            }
            None => stale.push(p.clone()),
        }
    }
    let inputs = (0..config.reserves.len()).map(|i| live.inputs(i)).collect();
    Ok(EndState {
        inputs,
        from_rollups,
        stale,
        stale_after_ms,
    })
}

/// The explanation of "now" for the report.
pub fn basis(end: &EndState, at_ms: i64, at_local: String, lang: Language) -> NowBasis {
    let t = Report::of(lang);
    let secs = number(end.stale_after_ms as f64 / 1000.0, 0, lang);
    let mut text = fill(t.now_basis, &[("at", at_local.as_str()), ("secs", &secs)]);
    // Each further sentence is a whole one of its own.
    for (template, list) in [(t.now_from_rollups, &end.from_rollups), (t.now_stale, &end.stale)] {
        if !list.is_empty() {
            text.push(' ');
            text.push_str(&fill(template, &[("list", list.join(", "))]));
        }
    }
    NowBasis {
        at_ms,
        at_local,
        stale_after_ms: end.stale_after_ms,
        from_rollups: end.from_rollups.clone(),
        stale: end.stale.clone(),
        text,
    }
}

#[cfg(test)]
mod tests {
    use driftvakt_config::model::StoreSettings;
    use driftvakt_domain::clock::{Clock, SystemClock};

    use super::*;
    use driftvakt_store::StoreWriter;

    fn config() -> Config {
        let src = include_str!("../../../../../config/examples/reference-hospital.toml");
        driftvakt_config::parse_str(src, "reference-hospital.toml")
            .config
            .expect("example is valid")
    }

    /// Diesel stock and both generators' load every 10 s from `t0` for `n` samples.
    fn diesel(t0: i64, n: i64, load_kw: f64) -> Vec<Reading> {
        let mut out = Vec::new();
        for i in 0..n {
            for (p, v) in [
                ("tankar.main_tank", 18_000.0),
                ("tankar.day_tank", 900.0),
                ("g1.total_power", load_kw),
                ("g2.total_power", load_kw),
            ] {
                out.push(Reading {
                    point: Arc::from(p),
                    time_ms: t0 + i * 10_000,
                    value: Some(Value::Number(v)),
                    quality: Quality::Good,
                });
            }
        }
        out
    }

    fn write(dir: &std::path::Path, readings: Vec<Reading>, settings: &StoreSettings) {
        let w = StoreWriter::start(dir, &[], settings).expect("writer");
        w.sender().blocking_send(readings).expect("send");
        w.finish();
    }

    #[test]
    fn readings_older_than_the_staleness_limit_leave_now_unknown() {
        let c = config();
        let dir = tempfile::tempdir().expect("tempdir");
        let t0 = SystemClock.now_ms() / 60_000 * 60_000 - 600_000;
        write(dir.path(), diesel(t0, 6, 450.0), &StoreSettings::default());
        let store = Store::open_read_only(dir.path()).expect("open");
        let diesel_idx = c
            .reserves
            .iter()
            .position(|r| r.id == "diesel")
            .expect("diesel");

        // 10 s after the last sample: the stock and both loads are known.
        let fresh = end_state(&c, &store, t0 + 60_000).expect("end state");
        let i = &fresh.inputs[diesel_idx];
        assert_eq!(i.stock, Some(18_900.0));
        assert_eq!(i.loads, vec![Some(450.0), Some(450.0)]);
        assert!(
            fresh.from_rollups.is_empty() && !fresh.stale.contains(&"g1.total_power".to_string())
        );

        // Beyond `stale_after` (60 s) after the last sample: unknown, and said so.
        let late = end_state(&c, &store, t0 + 50_000 + 61_000).expect("end state");
        let i = &late.inputs[diesel_idx];
        assert_eq!((i.stock, i.loads.clone()), (None, vec![None, None]));
        assert!(
            late.stale.contains(&"g1.total_power".to_string()),
            "{:?}",
            late.stale
        );
    }

    #[test]
    fn minute_means_stand_in_where_raw_readings_were_pruned_and_the_report_says_so() {
        let c = config();
        let dir = tempfile::tempdir().expect("tempdir");
        let settings = StoreSettings { raw_retention_days: 1, ..StoreSettings::default() };
        let t0 = (SystemClock.now_ms() - 3 * 86_400_000) / 60_000 * 60_000;
        write(dir.path(), diesel(t0, 12, 300.0), &settings);
        // A restart prunes the raw readings; the rollups stay.
        write(dir.path(), Vec::new(), &settings);
        let store = Store::open_read_only(dir.path()).expect("open");
        assert!(
            store
                .readings("g1.total_power", 0, i64::MAX)
                .expect("raw")
                .is_empty()
        );

        let end = end_state(&c, &store, t0 + 120_000).expect("end state");
        let diesel_idx = c
            .reserves
            .iter()
            .position(|r| r.id == "diesel")
            .expect("diesel");
        assert_eq!(end.inputs[diesel_idx].loads, vec![Some(300.0), Some(300.0)]);
        assert!(end.from_rollups.contains(&"g1.total_power".to_string()));
        let b = basis(&end, t0 + 120_000, "t".into(), Language::Sv);
        assert!(b.text.contains("minutmedelvärden"), "{}", b.text);
        let b = basis(&end, t0 + 120_000, "t".into(), Language::En);
        assert!(b.text.contains("1-minute means"), "{}", b.text);
    }
}
