//! `[sinks]` and `[[sinks.influxdb]]`: external servers fed from the embedded store.

use std::time::Duration;

use crate::keys;
use crate::model::{InfluxApi, InfluxSink, MqttSink, Sinks, TelemetryGrouping};
use crate::parse::common::{FirstSeen, IdChars, Section, Span, Walker, duplicate, key_span, list, peek_str};

/// Default readings per write request.
pub(crate) const DEFAULT_BATCH_SIZE: usize = 5000;
/// Largest accepted `batch_size` (a request body stays in the low megabytes).
pub(crate) const MAX_BATCH_SIZE: usize = 100_000;

/// Read `[sinks]` (optional).
pub(crate) fn sinks(w: &mut Walker<'_>, root: &Section<'_, '_>) -> Sinks {
    let Some(s) = w.get_table(root, "sinks", "sinks".to_string()) else {
        return Sinks::default();
    };
    w.expect_keys(&s, keys::SINKS);
    let instance = w.get_str(&s, "instance").and_then(|i| {
        if IdChars::Ref.allows(&i.value) {
            Some(i.value)
        } else {
            w.error(
                &i.span,
                "sinks",
                format!(
                    "instance `{}` must be non-empty and may only contain a-z, 0-9, _ and -",
                    i.value
                ),
            );
            None
        }
    });
    let sections = w.get_tables(&s, "influxdb", |i, t| match peek_str(t, "id") {
        Some(id) => format!("sink {id}"),
        None => format!("sink influxdb #{}", i + 1),
    });
    let mut seen = FirstSeen::default();
    let mut influxdb = Vec::new();
    for sec in &sections {
        let Some((sink, id_span)) = influx(w, sec) else {
            continue;
        };
        if seen.claim(w, "sink", &sink.id, &id_span, &sec.context) {
            influxdb.push(sink);
        }
    }
    let mqtt = w
        .get_table(&s, "mqtt", "sinks.mqtt".to_string())
        .and_then(|m| mqtt_sink(w, &m, root.table.get("mqtt").is_some(), &seen));
    Sinks {
        instance,
        influxdb,
        mqtt,
    }
}

/// Default readings per MQTT batch (each reading or device cycle is one message).
const DEFAULT_MQTT_BATCH_SIZE: usize = 10_000;

/// `[sinks.mqtt]`: telemetry on the `[mqtt]` broker (`has_broker`: the `[mqtt]` table exists).
fn mqtt_sink(
    w: &mut Walker<'_>,
    s: &Section<'_, '_>,
    has_broker: bool,
    influx_ids: &FirstSeen,
) -> Option<MqttSink> {
    w.expect_keys(s, keys::SINK_MQTT);
    let ctx = s.context.as_str();
    if !has_broker {
        w.error(
            &s.span,
            ctx,
            "MQTT telemetry needs the broker settings of `[mqtt]` (host, port, topic_prefix …)",
        );
    }
    let enabled = w.get_bool(s, "enabled").is_none_or(|a| a.value);
    let id = match w.get_str(s, "id") {
        None => "mqtt".to_string(),
        Some(id) if !IdChars::Ref.allows(&id.value) => {
            w.check_id(ctx, "sink", &id, IdChars::Ref);
            id.value
        }
        Some(id) => {
            if let Some(first) = influx_ids.first(&id.value) {
                let first = first.clone();
                w.error(&id.span, ctx, duplicate("sink", &id.value, w, &first));
            }
            id.value
        }
    };
    if id == "mqtt"
        && let Some(first) = influx_ids.first("mqtt")
    {
        let first = first.clone();
        w.error(
            &s.span,
            ctx,
            format!(
                "{} (the MQTT sink's default id; give it another `id`)",
                duplicate("sink", "mqtt", w, &first)
            ),
        );
    }
    let per = match w.get_str(s, "per") {
        None => TelemetryGrouping::Point,
        Some(p) => match p.value.as_str() {
            "point" => TelemetryGrouping::Point,
            "device" => TelemetryGrouping::Device,
            other => {
                w.error(
                    &p.span,
                    ctx,
                    format!(
                        "unknown `per` value `{other}`; expected one of {}",
                        list(keys::TELEMETRY_PER_NAMES)
                    ),
                );
                TelemetryGrouping::Point
            }
        },
    };
    let retain = w.get_bool(s, "retain").is_none_or(|a| a.value);
    let qos = w
        .get_int(s, "qos", 0..=2)
        .and_then(|a| u8::try_from(a.value).ok())
        .unwrap_or(1);
    let Forwarding { batch_size, flush_interval, timeout, retry_max, max_backlog_readings } =
        forwarding(w, s, DEFAULT_MQTT_BATCH_SIZE, 200);
    let backfill = w.get_bool(s, "backfill").is_some_and(|a| a.value);
    Some(MqttSink {
        enabled,
        id,
        per,
        retain,
        qos,
        batch_size,
        flush_interval,
        timeout,
        retry_max,
        max_backlog_readings,
        backfill,
    })
}

/// Keys that belong to one API only.
const V2_ONLY: &[&str] = &["org", "bucket", "token"];
const V1_ONLY: &[&str] = &["database", "retention_policy", "username", "password"];

fn influx(w: &mut Walker<'_>, s: &Section<'_, '_>) -> Option<(InfluxSink, Span)> {
    w.expect_keys(s, keys::INFLUXDB);
    let ctx = s.context.as_str();
    let id = w.req_str(s, "id");
    if let Some(id) = &id {
        w.check_id(ctx, "sink", id, IdChars::Ref);
    }
    let is_v1 = match w.get_str(s, "api") {
        None => Some(false),
        Some(a) => match a.value.as_str() {
            "v2" => Some(false),
            "v1" => Some(true),
            other => {
                w.error(
                    &a.span,
                    ctx,
                    format!(
                        "unknown api `{other}`; expected one of {}",
                        list(keys::INFLUX_API_NAMES)
                    ),
                );
                None
            }
        },
    };
    let url = w.req_str(s, "url").and_then(|u| match check_url(&u.value) {
        Ok(()) => Some(u.value),
        Err(why) => {
            w.error(
                &u.span,
                ctx,
                format!("`url` {why}, e.g. \"http://influx.example.local:8086\""),
            );
            None
        }
    });
    let api = match is_v1? {
        false => {
            forbid(w, s, V1_ONLY, "v2");
            let org = w.req_str(s, "org");
            let bucket = w.req_str(s, "bucket");
            let token = w.get_secret(s, "token");
            InfluxApi::V2 {
                org: org?.value,
                bucket: bucket?.value,
                token,
            }
        }
        true => {
            forbid(w, s, V2_ONLY, "v1");
            let database = w.req_str(s, "database");
            let retention_policy = w.get_str(s, "retention_policy").map(|r| r.value);
            let username = w.get_str(s, "username").map(|u| u.value);
            let password = w.get_secret(s, "password");
            if password.is_some()
                && username.is_none()
                && let Some(span) = key_span(s.table, "password")
            {
                w.error(&span, ctx, "`password` needs a `username`");
            }
            InfluxApi::V1 {
                database: database?.value,
                retention_policy,
                username,
                password,
            }
        }
    };
    let Forwarding { batch_size, flush_interval, timeout, retry_max, max_backlog_readings } =
        forwarding(w, s, DEFAULT_BATCH_SIZE, 1000);
    let backfill = w.get_bool(s, "backfill").is_none_or(|a| a.value);
    let id = id?;
    Some((
        InfluxSink {
            id: id.value,
            url: url?,
            api,
            batch_size,
            flush_interval,
            timeout,
            retry_max,
            max_backlog_readings,
            backfill,
        },
        id.span,
    ))
}

/// Report keys of the other API.
fn forbid(w: &mut Walker<'_>, s: &Section<'_, '_>, keys: &[&str], api: &str) {
    for key in keys {
        if let Some(span) = key_span(s.table, key) {
            w.error(
                &span,
                &s.context,
                format!("`{key}` does not apply to api = \"{api}\""),
            );
        }
    }
}

fn check_url(url: &str) -> Result<(), &'static str> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .ok_or("must start with http:// or https://")?;
    if url.chars().any(char::is_whitespace) {
        return Err("must not contain spaces");
    }
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() || host.starts_with(':') {
        return Err("must name a host");
    }
    Ok(())
}


/// The forwarding knobs every sink kind shares.
struct Forwarding {
    /// Most readings per write.
    batch_size: usize,
    /// Longest wait for a fuller batch.
    flush_interval: Duration,
    /// Time allowed for one write.
    timeout: Duration,
    /// Cap of the retry backoff.
    retry_max: Duration,
    /// Most undelivered readings kept (`None` = bounded by retention only).
    max_backlog_readings: Option<u64>,
}

/// Read the shared forwarding keys of a sink table, with this kind's defaults.
fn forwarding(w: &mut Walker<'_>, s: &Section<'_, '_>, default_batch: usize, default_flush_ms: u64) -> Forwarding {
    let batch_size = w
        .get_int(s, "batch_size", 1..=MAX_BATCH_SIZE as i128)
        .and_then(|a| usize::try_from(a.value).ok())
        .unwrap_or(default_batch);
    let mut ms = |key: &str, default: u64| w.get_ms(s, key, false).map_or(Duration::from_millis(default), |a| a.value);
    let flush_interval = ms("flush_interval_ms", default_flush_ms);
    let timeout = ms("timeout_ms", 10_000);
    let retry_max = ms("retry_max_ms", 30_000);
    let max_backlog_readings = w
        .get_int(s, "max_backlog_readings", 0..=i128::from(i64::MAX))
        .and_then(|a| u64::try_from(a.value).ok())
        .filter(|n| *n > 0);
    Forwarding { batch_size, flush_interval, timeout, retry_max, max_backlog_readings }
}

#[cfg(test)]
mod tests {
    use crate::model::{InfluxApi, Secret};
    use crate::parse_str;

    const SITE: &str = "[site]\nid = \"s\"\nname = \"S\"\n";

    #[test]
    fn v2_and_v1_sinks_with_defaults() {
        let src = format!(
            "{SITE}[sinks]\ninstance = \"a\"\n\
             [[sinks.influxdb]]\nid = \"region\"\nurl = \"http://127.0.0.1:8428\"\norg = \"o\"\nbucket = \"b\"\ntoken = {{ env = \"TOK\" }}\n\
             [[sinks.influxdb]]\nid = \"old\"\napi = \"v1\"\nurl = \"https://h:8086/\"\ndatabase = \"d\"\nusername = \"u\"\npassword = {{ file = \"/p\" }}\n\
             batch_size = 100\nflush_interval_ms = 200\nmax_backlog_readings = 1000\nbackfill = false\n"
        );
        let loaded = parse_str(&src, "t.toml");
        assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
        let sinks = loaded.config.expect("valid").sinks;
        assert_eq!(sinks.instance.as_deref(), Some("a"));
        let [v2, v1] = &sinks.influxdb[..] else {
            panic!("two sinks")
        };
        assert_eq!(
            v2.api,
            InfluxApi::V2 {
                org: "o".into(),
                bucket: "b".into(),
                token: Some(Secret::Env("TOK".into()))
            }
        );
        assert_eq!(
            (v2.batch_size, v2.max_backlog_readings, v2.backfill),
            (5000, None, true)
        );
        assert_eq!(v2.retry_max.as_millis(), 30_000);
        assert!(
            matches!(&v1.api, InfluxApi::V1 { database, password: Some(Secret::File(_)), .. } if database == "d")
        );
        assert_eq!(
            (v1.batch_size, v1.max_backlog_readings, v1.backfill),
            (100, Some(1000), false)
        );
        assert_eq!(v1.flush_interval.as_millis(), 200);
    }

    #[test]
    fn urls() {
        use super::check_url;
        assert!(check_url("http://127.0.0.1:8086").is_ok());
        assert!(check_url("https://influx.example/prefix").is_ok());
        assert!(check_url("http://").is_err());
        assert!(check_url("http://:8086").is_err());
        assert!(check_url("ftp://h").is_err());
        assert!(check_url("http://h x").is_err());
    }

    #[test]
    fn mqtt_telemetry_with_defaults() {
        use crate::model::TelemetryGrouping;
        let broker = "[mqtt]\nhost = \"127.0.0.1\"\n";
        let src = format!("{SITE}{broker}[sinks.mqtt]\n");
        let loaded = parse_str(&src, "t.toml");
        assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
        let m = loaded.config.expect("valid").sinks.mqtt.expect("mqtt sink");
        assert_eq!(
            (m.enabled, m.id.as_str(), m.per, m.retain, m.qos, m.batch_size, m.backfill),
            (true, "mqtt", TelemetryGrouping::Point, true, 1, 10_000, false)
        );
        assert_eq!(m.flush_interval.as_millis(), 200);

        let src = format!(
            "{SITE}{broker}[sinks.mqtt]\nper = \"device\"\nretain = false\nqos = 0\nbatch_size = 50\nbackfill = true\n"
        );
        let m = parse_str(&src, "t.toml").config.expect("valid").sinks.mqtt.expect("mqtt sink");
        assert_eq!((m.per, m.retain, m.qos, m.batch_size, m.backfill), (TelemetryGrouping::Device, false, 0, 50, true));
    }
}
