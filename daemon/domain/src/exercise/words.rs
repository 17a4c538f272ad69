//! The exercise's own types in words (`Nätbortfall`, `Omkopplingstid`, `Godkänd`, `avläst
//! ±1,0 s`): their keys looked up in the table of `crate::text::exercise`, which knows nothing
//! of this module.

use driftvakt_config::model::Language;

use super::criterion::Criterion;
use super::kpi::Verdict;
use super::model::{EventKind, Timing};
use crate::text::exercise::{Exercise, lookup};
use crate::text::fill;

/// An event in words (`Nätbortfall`).
pub fn event_label(kind: EventKind, lang: Language) -> &'static str {
    lookup(&Exercise::of(lang).events, kind.key())
}

/// A criterion in words (`Omkopplingstid`).
pub fn criterion_label(criterion: Criterion, lang: Language) -> &'static str {
    lookup(&Exercise::of(lang).criteria, criterion.key())
}

/// A verdict in words (`Godkänd`).
pub fn verdict_label(verdict: Verdict, lang: Language) -> &'static str {
    lookup(&Exercise::of(lang).verdicts, verdict.key())
}

/// Where a time comes from, in words: `enhetens egen tid`, `avläst ±1,0 s`, `angiven`.
pub fn timing_label(timing: Timing, resolution_ms: i64, lang: Language) -> String {
    let t = Exercise::of(lang);
    match timing {
        Timing::Device => t.timing_device.to_string(),
        Timing::Polled => fill(t.timing_polled, &[("resolution", crate::fmt::seconds(resolution_ms, lang))]),
        Timing::Operator => t.timing_operator.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_criterion_and_verdict_has_words_in_both_languages() {
        for lang in Language::ALL {
            let t = Exercise::of(lang);
            for e in EventKind::ALL {
                assert!(t.events.iter().any(|(k, _)| *k == e.key()), "{e:?} {lang:?}");
            }
            for c in Criterion::ALL {
                assert!(t.criteria.iter().any(|(k, _)| *k == c.key()), "{c:?} {lang:?}");
            }
            for v in [Verdict::Pass, Verdict::Fail, Verdict::NotApplicable, Verdict::NotMeasured] {
                assert!(t.verdicts.iter().any(|(k, _)| *k == v.key()), "{v:?} {lang:?}");
            }
        }
        assert_eq!(event_label(EventKind::MainsLost, Language::Sv), "Nätbortfall");
        assert_eq!(verdict_label(Verdict::Fail, Language::Sv), "Underkänd");
        assert_eq!(verdict_label(Verdict::NotMeasured, Language::En), "Not measured");
        assert_eq!(criterion_label(Criterion::Changeover, Language::En), "Changeover time");
    }

    #[test]
    fn timings_read_with_their_resolution() {
        assert_eq!(timing_label(Timing::Polled, 1000, Language::Sv), "avläst ±1,0 s");
        assert_eq!(timing_label(Timing::Polled, 500, Language::En), "polled ±0.5 s");
        assert_eq!(timing_label(Timing::Device, 1000, Language::Sv), "enhetens egen tid");
    }
}
