//! `GET /halsa`: the daemon's health for the technician, from the one
//! [`crate::monitor::Snapshot`] (`/api/status`'s): alarms, store, notification, exercise, sinks,
//! every connection's counters and every device, with the words of `driftvakt status`.

use axum::extract::State;
use axum::response::Response;
use driftvakt_config::model::{ExerciseKind, Language};
use driftvakt_domain::fmt::{count, local_datetime, local_hms, seconds};
use driftvakt_domain::text::exercise::kind_label;
use driftvakt_domain::text::fill;
use driftvakt_domain::text::status::Status;
use driftvakt_domain::text::web::Web;
use jiff::tz::TimeZone;

use super::state::WebState;
use super::lang::PageLang;
use super::page::{self, Nav, esc};
use super::viewer::Viewer;
use crate::api::monitor::snapshot_now;
use crate::monitor::Snapshot;

/// A table: header cells, then rows (every cell text, escaped here), each cell labelled with its
/// column for the narrow layout; `bad` marks rows to show as failing (their text says so too).
fn table(caption: &str, head: &[String], rows: &[(Vec<String>, bool)]) -> String {
    let th: String = head.iter().map(|h| format!("<th scope=\"col\">{}</th>", esc(h))).collect();
    let mut body = String::new();
    for (cells, bad) in rows {
        body.push_str(if *bad { "<tr class=\"bad\">" } else { "<tr>" });
        for (c, h) in cells.iter().zip(head) {
            body.push_str(&format!("<td data-label=\"{}\">{}</td>", esc(h), esc(c)));
        }
        body.push_str("</tr>");
    }
    format!("<table class=\"cards\"><caption>{}</caption><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>", esc(caption))
}

/// The page's `<main>` for snapshot `r` in `lang`, times in `tz`.
pub(super) fn render(r: &Snapshot, lang: Language, tz: &TimeZone) -> String {
    let w = Status::of(lang);
    let t = Web::of(lang);
    let n = |v: u64| count(v, lang);
    let when = |ms: i64| if ms > 0 { local_datetime(ms, tz) } else { w.never.to_string() };
    let word = |words: &[(&'static str, &'static str)], key: &str| words.iter().find(|(k, _)| *k == key).map_or_else(|| key.to_string(), |(_, w)| w.to_string());
    let mut h = format!("<main id=\"main\"><h1>{}</h1><p>{}</p>", esc(t.health), esc(&fill(w.header, &[("site", r.site.clone()), ("version", r.version.clone()), ("time", local_datetime(r.time_ms, tz))])));
    let mut line = |text: String, bad: bool| h.push_str(&format!("<p{}>{}</p>", if bad { " class=\"bad\"" } else { "" }, esc(&text)));
    line(
        match r.alarms {
            Some(a) => fill(w.alarms, &[("active", n(a.active)), ("unacked", n(a.unacknowledged)), ("shelved", n(a.shelved))]),
            None => w.alarms_unknown.to_string(),
        },
        r.alarms.is_none(),
    );
    line(fill(w.store, &[("written", n(r.store.readings_written)), ("errors", n(r.store.write_errors)), ("lost", n(r.store.readings_lost))]), false);
    if let Some(since) = r.store.failing_since_ms {
        line(fill(w.store_failing, &[("since", local_datetime(since, tz)), ("held", n(r.store.readings_held)), ("alarm", n(r.store.alarm_writes_held))]), true);
    }
    if let Some(no) = &r.notify {
        line(fill(w.notify, &[("es", n(no.email_sent)), ("ef", n(no.email_failed)), ("ms", n(no.mqtt_sent)), ("mf", n(no.mqtt_failed))]), false);
    }
    if let Some(x) = &r.exercise {
        let commands = [("accepted", n(x.commands_accepted)), ("refused", n(x.commands_refused))];
        line(
            match x.active_run {
                Some(run) => {
                    let kind = x.active_kind.as_deref().unwrap_or_default();
                    let kind = ExerciseKind::from_key(kind).map_or_else(|| kind.to_string(), |k| kind_label(k, lang).to_string());
                    let since = x.active_since_ms.map_or_else(|| "–".to_string(), |ms| local_datetime(ms, tz));
                    let mut values = vec![("run", run.to_string()), ("kind", kind), ("since", since)];
                    values.extend(commands);
                    fill(w.exercise_running, &values)
                }
                None => fill(w.exercise_idle, &commands),
            },
            false,
        );
    }
    h.push_str(&format!("<section aria-labelledby=\"h-sinks\"><h2 id=\"h-sinks\">{}</h2>", esc(t.sinks)));
    if r.sinks.is_empty() {
        h.push_str(&format!("<p>{}</p>", esc(t.no_sinks)));
    } else {
        let rows: Vec<(Vec<String>, bool)> = r
            .sinks
            .iter()
            .map(|s| {
                let state = if s.up { w.up } else { w.down }.to_string();
                let error = s.last_error.clone().filter(|_| !s.up).unwrap_or_else(|| "–".into());
                (vec![s.id.clone(), s.kind.clone(), state, n(s.delivered), n(s.backlog), seconds(s.lag_ms, lang), n(s.dropped), n(s.write_errors), error], !s.up)
            })
            .collect();
        h.push_str(&table(t.sinks, &w.sinks.map(String::from), &rows));
    }
    h.push_str("</section>");
    h.push_str(&format!("<section aria-labelledby=\"h-links\"><h2 id=\"h-links\">{}</h2>", esc(t.links)));
    for (protocol, links) in r.links_by_protocol() {
        let title = word(&w.links, protocol);
        let mut head = vec![title.clone()];
        head.extend(links[0].counters.iter().map(|(k, _)| word(&w.counters, k)));
        let rows: Vec<(Vec<String>, bool)> = links
            .iter()
            .map(|l| {
                let mut row = vec![l.id.clone()];
                row.extend(l.counters.iter().map(|(_, v)| n(*v)));
                (row, false)
            })
            .collect();
        h.push_str(&table(&title, &head, &rows));
        for l in links.iter().filter(|l| !l.rejected.is_empty()) {
            let reasons: Vec<String> = l.rejected.iter().map(|(k, v)| format!("{} {}", word(&w.reasons, k), n(*v))).collect();
            let text = fill(w.rejected, &[("link", title.clone()), ("id", l.id.clone()), ("total", n(l.rejected.values().sum())), ("reasons", reasons.join(", "))]);
            h.push_str(&format!("<p>{}</p>", esc(&text)));
        }
    }
    h.push_str("</section>");
    h.push_str(&format!("<section aria-labelledby=\"h-devices\"><h2 id=\"h-devices\">{}</h2>", esc(t.devices)));
    let rows: Vec<(Vec<String>, bool)> = r
        .devices
        .iter()
        .map(|d| {
            let dash = || "–".to_string();
            let cells = vec![d.id.clone(), d.link.clone(), d.protocol.clone(), n(d.readings), n(d.not_good), when(d.last_reading_ms), d.requests.map_or_else(dash, n), d.request_errors.map_or_else(dash, n)];
            (cells, d.last_reading_ms == 0)
        })
        .collect();
    h.push_str(&table(t.devices, &w.devices.map(String::from), &rows));
    h.push_str("</section></main>");
    h
}

/// `GET /halsa`.
pub(super) async fn page(viewer: Viewer, lang: PageLang, State(s): State<WebState>) -> Response {
    let snapshot = snapshot_now(&s.monitor, &s.alarms).await;
    let main = render(&snapshot, lang.lang, &s.tz);
    page::respond(&lang, page::shell(&lang, &viewer, &s.config.site.name, Web::of(lang.lang).health, Some(Nav::Health), &main, Some(&local_hms(snapshot.time_ms, &s.tz))))
}

#[cfg(test)]
mod tests {
    use crate::monitor::AlarmCounts;
    use crate::monitor::snapshot::{DeviceStatus, LinkStatus, SinkStatus, StoreStatus};

    use super::*;

    #[test]
    fn health_shows_store_sinks_links_and_devices_in_both_languages() {
        let r = Snapshot {
            site: "s".into(),
            version: "1".into(),
            time_ms: 0,
            links: vec![LinkStatus { protocol: "modbus".into(), id: "stallverk".into(), counters: vec![("requests".into(), 12), ("errors".into(), 1)], rejected: Default::default(), metrics: Vec::new() }],
            devices: vec![DeviceStatus { id: "g1".into(), link: "stallverk".into(), protocol: "modbus".into(), readings: 1500, not_good: 0, last_reading_ms: 0, requests: Some(12), request_errors: Some(1) }],
            sinks: vec![SinkStatus {
                id: "influx<1>".into(),
                kind: "influxdb_v2".into(),
                up: false,
                delivered: 3,
                dropped: 0,
                dropped_pruned: 0,
                dropped_backlog: 0,
                rejected: 0,
                backlog: 7,
                lag_ms: 4_500,
                write_errors: 2,
                last_success_ms: 0,
                last_error: Some("connection refused".into()),
            }],
            store: StoreStatus { readings_written: 1500, ..StoreStatus::default() },
            alarms: Some(AlarmCounts { active: 1, unacknowledged: 2, shelved: 0 }),
            notify: None,
            exercise: None,
        };
        let sv = render(&r, Language::Sv, &TimeZone::UTC);
        assert!(sv.contains("Larm: 1 aktiva, 2 okvitterade, 0 bortkopplade"), "{sv}");
        assert!(sv.contains("<td data-label=\"Läge\">NERE</td>") && sv.contains("influx&lt;1&gt;"), "{sv}");
        assert!(sv.contains("<th scope=\"col\">Anslutning</th>") && sv.contains("<td data-label=\"Förfrågningar\">12</td>"), "{sv}");
        assert!(sv.contains("<td data-label=\"Senaste\">aldrig</td>"), "{sv}");
        let en = render(&r, Language::En, &TimeZone::UTC);
        assert!(en.contains("<td data-label=\"State\">DOWN</td>") && en.contains("Devices") && en.contains("1500"), "{en}");
    }
}
