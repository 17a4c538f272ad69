//! `driftvakt status`: renders the running daemon's [`Snapshot`] (the JSON of `GET /api/status`)
//! — alarms, store, sources (connections, networks), devices and every sink with its lag and
//! backlog — as tables, Swedish first. It only renders: every figure is taken in
//! [`crate::monitor`].

use anyhow::{Context, Result};
use driftvakt_config::model::{ExerciseKind, Language};
use driftvakt_domain::fmt::{count, local_datetime as local, seconds};
use driftvakt_domain::text::exercise::kind_label;
use driftvakt_domain::text::fill;
use driftvakt_domain::text::status::Status as Words;
use jiff::tz::TimeZone;

use super::alarms::{check, client, table, tz};
use crate::cli::StatusArgs;
use driftvakt_runtime::monitor::Snapshot;
use driftvakt_runtime::out::{outln, out};

/// `driftvakt status`.
pub fn run(args: &StatusArgs) -> Result<()> {
    let c = client(&args.api)?;
    let body = check(c.request("GET", "/api/status", None)?)?;
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&body)?)?;
        return Ok(());
    }
    let report: Snapshot =
        serde_json::from_value(body).context("unexpected answer from the API")?;
    out!("{}", render(&report, args.lang, &tz(&args.api)))?;
    Ok(())
}

/// The report as text in `lang`, times in `tz`.
fn render(r: &Snapshot, lang: Language, tz: &TimeZone) -> String {
    let w = Words::of(lang);
    let n = |v: u64| count(v, lang);
    let secs = |ms: i64| seconds(ms, lang);
    let when = |ms: i64| {
        if ms > 0 {
            local(ms, tz)
        } else {
            w.never.to_string()
        }
    };
    let mut out = fill(
        w.header,
        &[
            ("site", r.site.clone()),
            ("version", r.version.clone()),
            ("time", local(r.time_ms, tz)),
        ],
    );
    out.push('\n');
    out.push_str(&match r.alarms {
        Some(a) => fill(
            w.alarms,
            &[
                ("active", n(a.active)),
                ("unacked", n(a.unacknowledged)),
                ("shelved", n(a.shelved)),
            ],
        ),
        None => w.alarms_unknown.to_string(),
    });
    out.push('\n');
    out.push_str(&fill(
        w.store,
        &[
            ("written", n(r.store.readings_written)),
            ("errors", n(r.store.write_errors)),
            ("lost", n(r.store.readings_lost)),
        ],
    ));
    out.push('\n');
    if let Some(since) = r.store.failing_since_ms {
        let held = [
            ("since", local(since, tz)),
            ("held", n(r.store.readings_held)),
            ("alarm", n(r.store.alarm_writes_held)),
        ];
        out.push_str(&fill(w.store_failing, &held));
        out.push('\n');
    }
    if let Some(no) = &r.notify {
        out.push_str(&fill(
            w.notify,
            &[
                ("es", n(no.email_sent)),
                ("ef", n(no.email_failed)),
                ("ms", n(no.mqtt_sent)),
                ("mf", n(no.mqtt_failed)),
            ],
        ));
        out.push('\n');
    }
    if let Some(x) = &r.exercise {
        let commands = [
            ("accepted", n(x.commands_accepted)),
            ("refused", n(x.commands_refused)),
        ];
        out.push_str(&match x.active_run {
            Some(run) => {
                let kind = x.active_kind.as_deref().unwrap_or_default();
                let kind = ExerciseKind::from_key(kind)
                    .map_or_else(|| kind.to_string(), |k| kind_label(k, lang).to_string());
                let since = x
                    .active_since_ms
                    .map_or_else(|| "–".to_string(), |ms| local(ms, tz));
                let mut values = vec![("run", run.to_string()), ("kind", kind), ("since", since)];
                values.extend(commands);
                fill(w.exercise_running, &values)
            }
            None => fill(w.exercise_idle, &commands),
        });
        out.push('\n');
    }

    let mut sinks = vec![w.sinks.map(String::from).to_vec()];
    for s in &r.sinks {
        sinks.push(vec![
            s.id.clone(),
            s.kind.clone(),
            if s.up {
                w.up.to_string()
            } else {
                w.down.to_string()
            },
            n(s.delivered),
            n(s.backlog),
            secs(s.lag_ms),
            n(s.dropped),
            n(s.write_errors),
            s.last_error
                .clone()
                .filter(|_| !s.up)
                .unwrap_or_else(|| "–".into()),
        ]);
    }
    if !r.sinks.is_empty() {
        out.push('\n');
        out.push_str(&table(&sinks));
    }
    let word = |words: &[(&'static str, &'static str)], key: &str| {
        words
            .iter()
            .find(|(k, _)| *k == key)
            .map_or_else(|| key.to_string(), |(_, w)| w.to_string())
    };
    // One table per protocol, in the order the sources started; its columns are the counters.
    for (protocol, links) in r.links_by_protocol() {
        let title = word(&w.links, protocol);
        let mut header = vec![title.clone()];
        header.extend(links[0].counters.iter().map(|(k, _)| word(&w.counters, k)));
        let mut rows = vec![header];
        for l in &links {
            let mut row = vec![l.id.clone()];
            row.extend(l.counters.iter().map(|(_, v)| n(*v)));
            rows.push(row);
        }
        out.push('\n');
        out.push_str(&table(&rows));
        for l in links.iter().filter(|l| !l.rejected.is_empty()) {
            let reasons: Vec<String> = l
                .rejected
                .iter()
                .map(|(k, v)| format!("{} {}", word(&w.reasons, k), n(*v)))
                .collect();
            out.push_str(&fill(
                w.rejected,
                &[
                    ("link", title.clone()),
                    ("id", l.id.clone()),
                    ("total", n(l.rejected.values().sum())),
                    ("reasons", reasons.join(", ")),
                ],
            ));
            out.push('\n');
        }
    }
    if !r.devices.is_empty() {
        let mut rows = vec![w.devices.map(String::from).to_vec()];
        for d in &r.devices {
            rows.push(vec![
                d.id.clone(),
                d.link.clone(),
                d.protocol.clone(),
                n(d.readings),
                n(d.not_good),
                when(d.last_reading_ms),
                d.requests.map_or_else(|| "–".into(), n),
                d.request_errors.map_or_else(|| "–".into(), n),
            ]);
        }
        out.push('\n');
        out.push_str(&table(&rows));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use driftvakt_runtime::monitor::AlarmCounts;
    use driftvakt_runtime::monitor::snapshot::{
        DeviceStatus, ExerciseStatus, LinkStatus, SinkStatus, StoreStatus,
    };

    fn report() -> Snapshot {
        Snapshot {
            site: "referenssjukhuset".into(),
            version: "0.1.0".into(),
            time_ms: 1_795_442_400_000,
            links: vec![LinkStatus {
                protocol: "bacnet".into(),
                id: "bas".into(),
                counters: vec![
                    ("requests".into(), 10),
                    ("timeouts".into(), 0),
                    ("device_errors".into(), 0),
                    ("cov_notifications".into(), 5),
                ],
                rejected: [
                    ("foreign_address".to_string(), 1200),
                    ("malformed".to_string(), 3),
                ]
                .into(),
                metrics: Vec::new(),
            }],
            devices: vec![DeviceStatus {
                id: "g1".into(),
                link: "stallverk".into(),
                protocol: "modbus".into(),
                readings: 12_345,
                not_good: 3,
                last_reading_ms: 1_795_442_399_000,
                requests: Some(500),
                request_errors: Some(1),
            }],
            sinks: vec![
                SinkStatus {
                    id: "region".into(),
                    kind: "influxdb_v2".into(),
                    up: true,
                    delivered: 12_000,
                    dropped: 0,
                    dropped_pruned: 0,
                    dropped_backlog: 0,
                    rejected: 0,
                    backlog: 12,
                    lag_ms: 260,
                    write_errors: 0,
                    last_success_ms: 1,
                    last_error: None,
                },
                SinkStatus {
                    id: "mqtt".into(),
                    kind: "mqtt".into(),
                    up: false,
                    delivered: 0,
                    dropped: 0,
                    dropped_pruned: 0,
                    dropped_backlog: 0,
                    rejected: 0,
                    backlog: 4_321,
                    lag_ms: 61_500,
                    write_errors: 7,
                    last_success_ms: 0,
                    last_error: Some("MQTT 127.0.0.1:1883: connection refused".into()),
                },
            ],
            store: StoreStatus {
                readings_written: 1_234_567,
                write_errors: 0,
                readings_lost: 0,
                ..StoreStatus::default()
            },
            alarms: Some(AlarmCounts {
                active: 2,
                unacknowledged: 1,
                shelved: 0,
            }),
            notify: None,
            exercise: None,
        }
    }

    #[test]
    fn swedish_tables_show_every_sink_with_lag_and_backlog() {
        let text = render(
            &report(),
            Language::Sv,
            &TimeZone::get("Europe/Stockholm").expect("tz"),
        );
        assert!(
            text.contains("Larm: 2 aktiva, 1 okvitterade, 0 bortkopplade"),
            "{text}"
        );
        assert!(
            text.contains("Lagring: 1\u{202f}234\u{202f}567 avläsningar sparade"),
            "{text}"
        );
        let sink_header = text
            .lines()
            .find(|l| l.starts_with("Utgång"))
            .expect("sink table");
        assert!(
            sink_header.contains("Kö") && sink_header.contains("Eftersläpning"),
            "{text}"
        );
        let mqtt = text
            .lines()
            .find(|l| l.starts_with("mqtt "))
            .expect("mqtt row");
        assert!(
            mqtt.contains("NERE")
                && mqtt.contains("4\u{202f}321")
                && mqtt.contains("61,5 s")
                && mqtt.contains("connection refused"),
            "{mqtt}"
        );
        let region = text
            .lines()
            .find(|l| l.starts_with("region "))
            .expect("region row");
        assert!(
            region.contains("uppe") && region.contains("0,3 s") && region.ends_with('–'),
            "{region}"
        );
        assert!(
            text.lines().any(|l| l.starts_with("g1 ")
                && l.contains("stallverk")
                && l.contains("12\u{202f}345")),
            "{text}"
        );
    }

    #[test]
    fn rejected_bacnet_datagrams_are_shown_per_network_and_reason() {
        let sv = render(&report(), Language::Sv, &TimeZone::UTC);
        assert!(
            sv.contains("BACnet-nät bas: 1\u{202f}203 avvisade datagram (fel avsändare 1\u{202f}200, felformade 3)"),
            "{sv}"
        );
        let en = render(&report(), Language::En, &TimeZone::UTC);
        assert!(
            en.contains(
                "BACnet network bas: 1203 rejected datagrams (wrong sender 1200, malformed 3)"
            ),
            "{en}"
        );
    }

    #[test]
    fn english_on_request() {
        let text = render(&report(), Language::En, &TimeZone::UTC);
        assert!(text.contains("Alarms: 2 active"), "{text}");
        assert!(
            text.lines()
                .any(|l| l.starts_with("Sink") && l.contains("Backlog") && l.contains("Lag")),
            "{text}"
        );
        assert!(
            text.lines()
                .any(|l| l.starts_with("mqtt ") && l.contains("4321") && l.contains("61.5 s")),
            "{text}"
        );
    }

    #[test]
    fn a_failing_store_is_said_first_in_swedish_and_in_english() {
        let mut r = report();
        assert!(!render(&r, Language::Sv, &TimeZone::UTC).contains("MISSLYCKAS"));
        r.store.failing_since_ms = Some(0);
        r.store.readings_held = 1200;
        r.store.alarm_writes_held = 3;
        let sv = render(&r, Language::Sv, &TimeZone::UTC);
        assert!(sv.contains("LAGRING MISSLYCKAS sedan 1970-01-01 00:00:00: 1\u{202f}200 avläsningar och 3 larmhändelser väntar i minnet"), "{sv}");
        let en = render(&r, Language::En, &TimeZone::UTC);
        assert!(en.contains("STORE FAILING since 1970-01-01 00:00:00: 1200 readings and 3 alarm records wait in memory"), "{en}");
    }

    #[test]
    fn the_exercise_line_names_the_running_run_and_the_commands() {
        let mut r = report();
        assert!(
            !render(&r, Language::Sv, &TimeZone::UTC).contains("Reservkraftprov"),
            "no [exercise], no line"
        );
        r.exercise = Some(ExerciseStatus {
            active_run: Some(3),
            active_kind: Some("monthly".into()),
            active_since_ms: Some(1_795_420_860_000),
            commands_accepted: 4,
            commands_refused: 1,
        });
        let tz = TimeZone::get("Europe/Stockholm").expect("tz");
        let sv = render(&r, Language::Sv, &tz);
        assert!(
            sv.contains("Reservkraftprov: pågår körning 3 (månadsprov) sedan 2026-11-23 09:01:00; MQTT-kommandon 4 godtagna, 1 avvisade"),
            "{sv}"
        );
        let en = render(&r, Language::En, &tz);
        assert!(
            en.contains("Exercise: run 3 running (monthly test) since 2026-11-23 09:01:00; MQTT commands 4 accepted, 1 refused"),
            "{en}"
        );
        r.exercise = Some(ExerciseStatus {
            commands_refused: 1200,
            ..ExerciseStatus::default()
        });
        let sv = render(&r, Language::Sv, &tz);
        assert!(
            sv.contains(
                "Reservkraftprov: inget pågår; MQTT-kommandon 0 godtagna, 1\u{202f}200 avvisade"
            ),
            "{sv}"
        );
        assert!(
            render(&r, Language::En, &tz)
                .contains("Exercise: none running; MQTT commands 0 accepted, 1200 refused")
        );
    }
}
