//! Historian-style storage on change (`store = "on_change"`, lossy by design, never the
//! default): which readings of a point go to the store. Live values, counters and alarms see
//! every reading; only the store's batch is filtered.
//!
//! A reading is stored when nothing of the point was stored yet, its quality differs from the
//! last *stored* reading's, its value kind differs (a value appears or disappears, a number
//! becomes text …), a number moved by more than the deadband (bools and text: any change), the
//! last stored reading is at least the heartbeat old, or the clock went backwards (the reading
//! is older than the last stored one: store it rather than stay silent until the clock catches up).

use std::collections::HashMap;
use std::sync::Arc;

use driftvakt_config::model::{Config, OnChange};

use crate::{Quality, Reading, Value};

/// The last stored reading of a point: what the next reading is compared with.
#[derive(Debug, Clone, PartialEq)]
pub struct LastStored {
    /// Its time, UTC ms.
    pub time_ms: i64,
    /// Its value.
    pub value: Option<Value>,
    /// Its quality.
    pub quality: Quality,
}

impl LastStored {
    /// What is remembered of `r` once it is stored.
    pub fn of(r: &Reading) -> LastStored {
        LastStored { time_ms: r.time_ms, value: r.value.clone(), quality: r.quality }
    }
}

/// Whether reading `r` of a point with `settings` is stored, given the point's last stored
/// reading (`None`: nothing stored yet since the daemon started).
pub fn is_stored(settings: &OnChange, last: Option<&LastStored>, r: &Reading) -> bool {
    let Some(last) = last else { return true };
    if r.quality != last.quality || r.time_ms < last.time_ms {
        return true;
    }
    if r.time_ms - last.time_ms >= i64::from(settings.heartbeat_s) * 1_000 {
        return true;
    }
    value_changed(settings.deadband, last.value.as_ref(), r.value.as_ref())
}

/// Whether `new` differs from `last` enough to be stored.
fn value_changed(deadband: f64, last: Option<&Value>, new: Option<&Value>) -> bool {
    match (last, new) {
        (None, None) => false,
        // NaN compares with nothing: a value turning NaN, or back, is a change.
        (Some(Value::Number(a)), Some(Value::Number(b))) => (b - a).abs() > deadband || a.is_nan() != b.is_nan(),
        (Some(Value::Bool(a)), Some(Value::Bool(b))) => a != b,
        (Some(Value::Text(a)), Some(Value::Text(b))) => a != b,
        // The kind changed (or a value appeared or disappeared).
        _ => true,
    }
}

/// One on-change point's settings and what was last stored of it.
#[derive(Debug)]
struct PointState {
    settings: OnChange,
    last: Option<LastStored>,
}

/// The store filter of every on-change point. Points it does not know (every `store = "all"`
/// point, derived series) pass untouched. Looking a reading up hashes its id (`&str` into the
/// `Arc<str>` keys): nothing is allocated per reading, only when a text value is stored.
#[derive(Debug)]
pub struct OnChangeFilter {
    points: HashMap<Arc<str>, PointState>,
}

impl OnChangeFilter {
    /// The filter of `config`'s on-change points; `None` if no point uses `store = "on_change"`
    /// (then there is nothing to run).
    pub fn from_config(config: &Config) -> Option<OnChangeFilter> {
        OnChangeFilter::new(
            config.points().filter_map(|(_, p)| p.store.on_change().map(|o| (Arc::from(p.id.as_str()), *o))),
        )
    }

    /// A filter for these points and settings; `None` if there are none.
    pub fn new(points: impl IntoIterator<Item = (Arc<str>, OnChange)>) -> Option<OnChangeFilter> {
        let points: HashMap<Arc<str>, PointState> =
            points.into_iter().map(|(id, settings)| (id, PointState { settings, last: None })).collect();
        (!points.is_empty()).then_some(OnChangeFilter { points })
    }

    /// Drop from `batch` the readings that are not stored (keeping the order of the rest).
    pub fn retain(&mut self, batch: &mut Vec<Reading>) {
        batch.retain(|r| self.keep(r));
    }

    /// Whether `r` is stored; if so it becomes its point's last stored reading.
    pub fn keep(&mut self, r: &Reading) -> bool {
        let Some(state) = self.points.get_mut(&*r.point) else { return true };
        if !is_stored(&state.settings, state.last.as_ref(), r) {
            return false;
        }
        state.last = Some(LastStored::of(r));
        true
    }
}

#[cfg(test)]
mod tests;
