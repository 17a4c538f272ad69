use std::sync::Arc;

use driftvakt_config::model::Config;
use driftvakt_domain::exercise::{Note, Timeline};
use driftvakt_domain::{Quality, Reading, Value};
use tokio::sync::{mpsc, watch};

use super::*;
use crate::web::viewer::User;

fn config() -> Config {
    let src = include_str!("../../../../../config/examples/reference-hospital.toml");
    driftvakt_config::parse_str(src, "reference-hospital.toml").config.expect("the example is valid")
}

fn run(name: &str) -> Run {
    Run {
        id: 3,
        kind: ExerciseKind::Monthly,
        name: name.into(),
        started_by: "Anna".into(),
        started_ms: 1_000_000,
        stopped_ms: None,
        stopped_by: None,
        notes: vec![Note { at_ms: 1_060_000, by: "Bo".into(), text: "G1 <startade>".into() }],
    }
}

/// A handle whose actor is this test: `run` running with `timeline`.
fn handle(run: Option<Run>, timeline: Option<Timeline>) -> ExerciseHandle {
    let (tx, _rx) = mpsc::channel(1);
    let (_a, active) = watch::channel(run);
    let (_t, timeline) = watch::channel(timeline.map(Arc::new));
    ExerciseHandle { tx, active, timeline }
}

fn mains(available: bool, time_ms: i64) -> Reading {
    Reading { point: Arc::from("ats.mains_available"), time_ms, value: Some(Value::Bool(available)), quality: Quality::Good }
}

fn coordinator() -> Viewer {
    Viewer::User(User { name: "Eva".into(), role: Role::Coordinator, csrf: Some("tok\"en".into()) })
}

#[test]
fn every_outcome_reads_back_from_its_code_and_has_words_in_both_languages() {
    for o in Outcome::ALL {
        assert_eq!(Outcome::from_key(o.key()), Some(o));
        for lang in Language::ALL {
            assert!(!o.words(lang).is_empty(), "{o:?} {lang:?}");
        }
    }
    assert_eq!(Outcome::from_key("nonsense"), None);
    assert!(Outcome::AlreadyRunning.refused() && !Outcome::Started.refused());
    assert_eq!(Outcome::NoneRunning.words(Language::Sv), "Avböjt: ingen övning eller avbrott pågår.");
}

#[test]
fn the_live_part_shows_the_monitors_events_and_verdicts_so_far_with_every_text_escaped() {
    let config = config();
    let settings = config.exercise.clone().expect("[exercise]");
    let r = run("Månadsprov <mars>");
    let mut tl = Timeline::new(&settings, r.kind, r.started_ms);
    tl.feed(&mains(true, 990_000));
    tl.feed(&mains(false, 1_010_000));
    let html = live_html(&config, &handle(Some(r.clone()), Some(tl)), 1_020_000, &TimeZone::UTC, Language::Sv);
    assert!(html.contains("Körning 3") && html.contains("data-kind=\"monthly\""), "{html}");
    assert!(html.contains("Månadsprov &lt;mars&gt;") && !html.contains("<mars>"), "{html}");
    assert!(html.contains("<tr data-event=\"mains_lost\">") && html.contains("Nätbortfall"), "{html}");
    assert!(html.contains("data-kpi=\"changeover\"") && html.contains("Bedömning hittills"), "{html}");
    assert!(html.contains("Bo: G1 &lt;startade&gt;"), "{html}");
    // Before the actor's first timeline: the run, no events yet.
    let early = live_html(&config, &handle(Some(r), None), 1_020_000, &TimeZone::UTC, Language::En);
    assert!(early.contains("Run 3") && early.contains("No events yet."), "{early}");
    let none = live_html(&config, &handle(None, None), 0, &TimeZone::UTC, Language::Sv);
    assert_eq!(none, "<p class=\"none\">Ingen övning eller avbrott pågår.</p>");
}

#[test]
fn only_a_coordinator_gets_forms_carrying_the_sessions_csrf_token() {
    let config = config();
    let idle = handle(None, None);
    let anon = render(&config, &Viewer::Anonymous, &idle, Some(&[]), None, 0, &TimeZone::UTC, Language::Sv);
    assert!(!anon.contains("<form"), "{anon}");
    assert!(anon.contains("Inga avslutade körningar det senaste året."), "{anon}");
    let html = render(&config, &coordinator(), &idle, None, Some(Outcome::AlreadyRunning), 0, &TimeZone::UTC, Language::Sv);
    assert!(html.contains("action=\"/ovningar/starta\"") && !html.contains("/ovningar/stoppa"), "{html}");
    assert!(html.contains("<input type=\"hidden\" name=\"csrf\" value=\"tok&quot;en\">"), "{html}");
    assert!(html.contains("<option value=\"island\">") && !html.contains("value=\"outage\""), "{html}");
    assert!(html.contains("role=\"alert\">Avböjt: en körning pågår redan."), "{html}");
    assert!(html.contains("Körningarna kunde inte läsas"), "{html}");
    let busy = render(&config, &coordinator(), &handle(Some(run("x")), None), None, Some(Outcome::Noted), 0, &TimeZone::UTC, Language::En);
    assert!(busy.contains("/ovningar/notering") && busy.contains("/ovningar/stoppa") && !busy.contains("/ovningar/starta"), "{busy}");
    assert!(busy.contains("role=\"status\">The note is saved."), "{busy}");
}
