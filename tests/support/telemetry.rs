//! Helpers for the MQTT telemetry and health tests: the reference configuration with the broker
//! and the API on test ports, MQTT telemetry messages turned back into readings, the comparison
//! with the store, and the Prometheus text parsed by the official Python client.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::Value as Json;

use super::alarm::MqttMsg;
use super::tsdb::{Obs, quality_code};
use super::{peers_dir, python, rfc3339_ms};

/// Topic prefix of the reference hospital (`[mqtt] topic_prefix` default).
pub const PREFIX: &str = "driftvakt/referenssjukhuset";

/// `config` (the reference hospital) with `[mqtt]` on the broker at `mqtt_port` and the API on
/// `api_port`.
pub fn broker_and_api(config: &str, mqtt_port: u16, api_port: u16) -> String {
    let mut c = config.to_string();
    let mut swap = |from: &str, to: &str| {
        assert!(c.contains(from), "reference config has no `{from}`");
        c = c.replacen(from, to, 1);
    };
    swap(
        "enabled = false                 # the demo has no broker",
        "enabled = true  #",
    );
    swap("port = 1883\n", &format!("port = {mqtt_port}\n"));
    swap(
        "listen = \"127.0.0.1:8750\"",
        &format!("listen = \"127.0.0.1:{api_port}\""),
    );
    c
}

/// One reading as a telemetry message carried it.
#[derive(Debug, Clone, PartialEq)]
pub struct Sent {
    /// The reading.
    pub obs: Obs,
    /// `unit` of the message.
    pub unit: String,
    /// `time` (RFC 3339) of the message.
    pub time: String,
}

fn obs(device: &str, point: &str, j: &Json) -> (String, Sent) {
    let field = |k: &str| {
        j.get(k)
            .unwrap_or_else(|| panic!("{device}.{point}: no `{k}` in {j}"))
    };
    let value = field("value");
    let sent = Sent {
        obs: Obs {
            time_ms: field("time_ms")
                .as_i64()
                .unwrap_or_else(|| panic!("{device}.{point}: time_ms in {j}")),
            value: match value {
                Json::Number(n) => n.as_f64(),
                Json::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
                _ => None,
            },
            text: value.as_str().map(str::to_string),
            quality: quality_code(
                field("quality")
                    .as_str()
                    .unwrap_or_else(|| panic!("{device}.{point}: quality in {j}")),
            ),
        },
        unit: field("unit").as_str().unwrap_or_default().to_string(),
        time: field("time").as_str().unwrap_or_default().to_string(),
    };
    (format!("{device}.{point}"), sent)
}

/// Readings per `device.point`, in the order the messages arrived: per-point messages on
/// `<prefix>/telemetry/<device>/<point>`, per-device messages on `<prefix>/telemetry/<device>`.
pub fn telemetry_readings(msgs: &[MqttMsg]) -> BTreeMap<String, Vec<Sent>> {
    let mut out: BTreeMap<String, Vec<Sent>> = BTreeMap::new();
    let base = format!("{PREFIX}/telemetry/");
    for m in msgs {
        let Some(rest) = m.topic.strip_prefix(&base) else {
            continue;
        };
        let j = m.json();
        match rest.split_once('/') {
            Some((device, point)) => {
                assert_eq!(
                    (j["device"].as_str(), j["point"].as_str()),
                    (Some(device), Some(point)),
                    "topic {} names another point: {j}",
                    m.topic
                );
                let (id, s) = obs(device, point, &j);
                out.entry(id).or_default().push(s);
            }
            None => {
                assert_eq!(
                    j["device"].as_str(),
                    Some(rest),
                    "topic {} names another device: {j}",
                    m.topic
                );
                let points = j["points"]
                    .as_object()
                    .unwrap_or_else(|| panic!("device message without points: {j}"));
                assert!(!points.is_empty(), "empty device message on {}", m.topic);
                let newest = points.values().filter_map(|p| p["time_ms"].as_i64()).max();
                assert_eq!(
                    j["time_ms"].as_i64(),
                    newest,
                    "a device message's time is its newest reading: {j}"
                );
                for (point, p) in points {
                    let (id, s) = obs(rest, point, p);
                    out.entry(id).or_default().push(s);
                }
            }
        }
    }
    out
}

/// Asserts the telemetry holds exactly the store's readings per point, in the store's order,
/// each with `time` = its `time_ms` as RFC 3339. With `redeliveries`, a reading may arrive
/// again after its first arrival (MQTT QoS 1 "at least once" across a broker restart); the
/// first arrivals must still be exactly the store's readings in order. Returns the number of
/// redelivered readings.
pub fn assert_telemetry_matches(
    store: &BTreeMap<String, Vec<Obs>>,
    got: &BTreeMap<String, Vec<Sent>>,
    redeliveries: bool,
) -> usize {
    let mut again = 0;
    for (id, want) in store {
        let have = got.get(id).map_or(&[][..], Vec::as_slice);
        for s in have {
            assert_eq!(
                s.time,
                rfc3339_ms(s.obs.time_ms),
                "{id}: `time` and `time_ms` disagree"
            );
        }
        let mut first: Vec<&Obs> = Vec::new();
        for s in have {
            if redeliveries && first.iter().any(|f| f.same(&s.obs)) {
                again += 1;
            } else {
                first.push(&s.obs);
            }
        }
        let ok = first.len() == want.len() && first.iter().zip(want).all(|(g, w)| g.same(w));
        assert!(
            ok,
            "MQTT telemetry, point {id}: {} readings arrived, the store has {}\n got: {first:?}\nwant: {want:?}",
            first.len(),
            want.len()
        );
    }
    let extra: Vec<&String> = got.keys().filter(|k| !store.contains_key(*k)).collect();
    assert!(
        extra.is_empty(),
        "MQTT telemetry names points the store does not have: {extra:?}"
    );
    again
}

/// One sample of the Prometheus text, as the official Python client's parser read it.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Sample {
    /// Metric family.
    pub family: String,
    /// `counter`, `gauge` …
    #[serde(rename = "type")]
    pub kind: String,
    /// Sample name.
    pub name: String,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// Value.
    pub value: f64,
}

/// Parse Prometheus text with `prometheus_client.parser` (tests/peers/prom_parse.py); the error
/// text if it does not parse.
pub fn parse_prometheus(text: &str) -> Result<Vec<Sample>, String> {
    let mut child = Command::new(python())
        .arg(peers_dir().join("prom_parse.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start prom_parse.py: {e} (run tests/run.sh)"))?;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .map_err(|e| e.to_string())?;
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("prom_parse.py printed no JSON: {e}"))
}

/// A plain HTTP GET on loopback: (status, body).
pub fn http_get(port: u16, path: &str) -> Result<(u16, String), String> {
    use std::io::Read;
    let mut s =
        std::net::TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("connect: {e}"))?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| e.to_string())?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").ok_or("no header end")?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or("no status")?;
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    Ok((
        status,
        if chunked {
            dechunk(body)
        } else {
            body.to_string()
        },
    ))
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        body = rest[n..].strip_prefix("\r\n").unwrap_or(&rest[n..]);
    }
    out
}
