use driftvakt_config::model::System;

use super::*;

fn day(s: &str) -> Date {
    s.parse().expect("date")
}

fn entry(seq: i64, time_ms: i64, alarm: &str, event: &str, by: Option<&str>) -> JournalEntry {
    JournalEntry {
        seq,
        time_ms,
        time: String::new(),
        alarm: (!alarm.is_empty()).then(|| alarm.to_string()),
        incident: None,
        event: event.into(),
        state: None,
        by: by.map(str::to_string),
        comment: (event == "acked").then(|| "<ok>".to_string()),
        detail: None,
        expected_run: None,
    }
}

fn known() -> HashMap<String, AlarmRecord> {
    [
        AlarmRecord::normal("mains", AlarmClass::A, System::Reservkraft, "Nätbortfall", "Mains lost"),
        AlarmRecord::normal("fan", AlarmClass::B, System::Ventilation, "Fläkt stopp", "Fan stopped"),
    ]
    .into_iter()
    .map(|a| (a.id.clone(), a))
    .collect()
}

fn entries() -> Vec<JournalEntry> {
    vec![
        entry(1, 100, "mains", "activated", None),
        entry(2, 200, "fan", "activated", None),
        entry(3, 300, "mains", "acked", Some("Eva Ek")),
        entry(4, 400, "fan", "shelved", Some("Bo")),
        entry(5, 500, "", "store_failed", None),
        entry(6, 600, "mains", "cleared", None),
    ]
}

fn seqs(f: &Filters) -> Vec<i64> {
    let e = entries();
    select(&e, &known(), f).iter().map(|e| e.seq).collect()
}

#[test]
fn the_default_period_is_the_last_seven_days_and_bad_values_fall_back_and_say_so() {
    let f = Filters::parse("", day("2026-03-10"));
    assert_eq!((f.from, f.to, f.limit), (day("2026-03-04"), day("2026-03-10"), PAGE_ROWS));
    assert_eq!((f.alarm.clone(), f.class, f.bad_dates.len()), (None, None, 0));
    let f = Filters::parse("fran=2026-13-01&till=2026-03-02&klass=A&larm=&vem=+eva+&antal=0&lang=en", day("2026-03-10"));
    assert_eq!(f.bad_dates, ["2026-13-01"]);
    assert_eq!((f.from, f.to), (day("2026-03-02"), day("2026-03-04")), "from after to: swapped");
    assert_eq!((f.class, f.alarm.as_deref(), f.who.as_deref(), f.limit), (Some(AlarmClass::A), None, Some("eva"), 1));
    // The period in the site's zone: both days whole.
    let f = Filters::parse("fran=2026-03-01&till=2026-03-01", day("2026-03-10"));
    let tz = TimeZone::get("Europe/Stockholm").expect("zone");
    let (a, b) = f.span(&tz);
    assert_eq!((a, b - a), (1_772_319_600_000, 86_400_000));
}

#[test]
fn filters_by_class_alarm_event_and_who_newest_first() {
    let all = Filters::parse("", day("2026-03-10"));
    assert_eq!(seqs(&all), [6, 5, 4, 3, 2, 1]);
    assert_eq!(seqs(&Filters::parse("klass=A", day("2026-03-10"))), [6, 3, 1]);
    assert_eq!(seqs(&Filters::parse("larm=fan", day("2026-03-10"))), [4, 2]);
    assert_eq!(seqs(&Filters::parse("system=ventilation&handelse=shelved", day("2026-03-10"))), [4]);
    assert_eq!(seqs(&Filters::parse("vem=EVA", day("2026-03-10"))), [3]);
}

#[test]
fn each_row_says_who_did_what_and_more_rows_are_a_link_that_keeps_the_filters() {
    let e = entries();
    let f = Filters::parse("antal=2&vem=%C3%A5+x&klass=A", day("2026-03-10"));
    assert_eq!(f.query(102), "fran=2026-03-04&till=2026-03-10&vem=%C3%A5%20x&klass=A&antal=102");
    let f = Filters::parse("antal=2&klass=A", day("2026-03-10"));
    let html = render(Some(&e), &known(), &f, &TimeZone::UTC, Language::Sv);
    assert!(html.contains("data-shown=\"2\" data-total=\"3\""), "{html}");
    assert!(html.contains("<tr data-seq=\"3\" data-event=\"acked\" data-alarm=\"mains\">"), "{html}");
    assert!(html.contains("Nätbortfall <code>mains</code>") && html.contains("A-larm") && html.contains(">kvitterat<") && html.contains(">Eva Ek<"), "{html}");
    assert!(html.contains("«&lt;ok&gt;»") && !html.contains("<ok>"), "{html}");
    assert!(!html.contains("data-seq=\"1\""), "only two rows shown: {html}");
    assert!(html.contains("href=\"/larm/journal?fran=2026-03-04&amp;till=2026-03-10&amp;klass=A&amp;antal=102\">Visa fler</a>"), "{html}");
    assert!(html.contains("<option value=\"A\" selected>A-larm</option>"), "{html}");
    let none = render(Some(&e), &known(), &Filters::parse("vem=nobody", day("2026-03-10")), &TimeZone::UTC, Language::En);
    assert!(none.contains("No journal entries match these filters."), "{none}");
    let down = render(None, &known(), &f, &TimeZone::UTC, Language::Sv);
    assert!(down.contains("Journalen kunde inte läsas"), "{down}");
}

#[test]
fn the_console_links_to_the_journal() {
    let c = crate::web::alarms::console(Some(&[]), 0, &jiff::tz::TimeZone::UTC, Language::Sv);
    let main = crate::web::alarms::render(&c, Language::Sv, None);
    assert!(main.ends_with("<p class=\"journal-link\"><a href=\"/larm/journal\">Larmjournalen: vem gjorde vad och när, med filter</a></p></main>"), "{main}");
}

#[test]
fn an_alarm_text_with_blanks_reads_without_them_in_the_filter() {
    assert_eq!(unfilled("Diesel räcker {value} vid {limit}"), "Diesel räcker … vid …");
    assert_eq!(unfilled("Nätbortfall"), "Nätbortfall");
    assert_eq!(unfilled("trasig {klammer"), "trasig {klammer");
}
