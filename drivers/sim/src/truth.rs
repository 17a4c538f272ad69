//! Ground truth: every transition the model makes that an exercise timeline reports, with its
//! exact simulated time. Kinds are the keys of `driftvakt_domain::exercise::EventKind`
//! (`mains_lost`, `crank`, …) plus `pump_trip` and `pump_restart` of booster pump 1.

/// One transition of the plant, as the model made it.
#[derive(Debug, Clone, PartialEq)]
pub struct TruthEvent {
    /// Simulated time (s since start), rounded to the millisecond.
    pub t_s: f64,
    /// Unix time (ms) of the simulated clock: `epoch_unix_s · 1000 + t_s · 1000`.
    pub unix_ms: i64,
    /// What happened: an `EventKind` key, `pump_trip` or `pump_restart`.
    pub kind: &'static str,
    /// What it concerns: `G1`, `G2`, `ats`, `ups`, `pump1`; `None` for mains.
    pub unit: Option<&'static str>,
}

impl TruthEvent {
    /// An event at simulated time `t_s` of a plant whose time 0 is `epoch_unix_s`.
    pub fn new(
        epoch_unix_s: u64,
        t_s: f64,
        kind: &'static str,
        unit: Option<&'static str>,
    ) -> TruthEvent {
        let ms = (t_s * 1000.0).round();
        let epoch_ms = i64::try_from(epoch_unix_s)
            .unwrap_or(i64::MAX / 1000)
            .saturating_mul(1000);
        TruthEvent {
            t_s: ms / 1000.0,
            unix_ms: epoch_ms.saturating_add(ms as i64),
            kind,
            unit,
        }
    }

    /// As a JSON object: `{"t_s":28.0,"unix_ms":…,"kind":"crank","unit":"G1"}`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "t_s": self.t_s,
            "unix_ms": self.unix_ms,
            "kind": self.kind,
            "unit": self.unit,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rounded_to_the_millisecond() {
        let e = TruthEvent::new(1_000, 27.999_999_999_996, "crank", Some("G1"));
        assert_eq!(e.t_s, 28.0);
        assert_eq!(e.unix_ms, 1_028_000);
        assert_eq!(
            e.to_json(),
            serde_json::json!({"t_s": 28.0, "unix_ms": 1_028_000, "kind": "crank", "unit": "G1"})
        );
        assert_eq!(
            TruthEvent::new(0, 1.5, "mains_lost", None).to_json()["unit"],
            serde_json::Value::Null
        );
    }
}
