//! The MQTT telemetry schema (documented in `dashboards/README.md`): topics and JSON payloads of
//! stored readings, per point or per device poll cycle. Pure: rows in, messages out.
//!
//! Per point, on `<prefix>/telemetry/<device>/<point>`:
//! `{"device":"g1","point":"frequency","value":50.02,"unit":"Hz","quality":"good","system":"reservkraft","time":"2026-11-23T14:00:00.000Z","time_ms":1795442400000}`
//!
//! Per device, on `<prefix>/telemetry/<device>`: `{"device":"g1","time":…,"time_ms":…,"points":{"frequency":{"value":…,"unit":…,"quality":…,"system":…,"time":…,"time_ms":…},…}}`
//! with the readings one poll cycle committed together (`time` is the newest of them).

use std::collections::HashSet;

use driftvakt_config::model::TelemetryGrouping;
use driftvakt_domain::Value;
use serde::Serialize;
use serde::ser::SerializeMap;

use crate::sink::transport::Row;
use driftvakt_domain::fmt::rfc3339_utc;

/// One MQTT message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Topic.
    pub topic: String,
    /// JSON payload.
    pub body: Vec<u8>,
}

/// A value as JSON: number, boolean, string or `null` (no value, or not a finite number).
struct JsonValue<'a>(Option<&'a Value>);

impl Serialize for JsonValue<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Some(Value::Number(x)) if x.is_finite() => s.serialize_f64(*x),
            Some(Value::Bool(b)) => s.serialize_bool(*b),
            Some(Value::Text(t)) => s.serialize_str(t),
            _ => s.serialize_none(),
        }
    }
}

/// The fields every reading carries.
#[derive(Serialize)]
struct ReadingJson<'a> {
    value: JsonValue<'a>,
    unit: &'a str,
    quality: &'static str,
    system: &'a str,
    time: String,
    time_ms: i64,
}

impl<'a> ReadingJson<'a> {
    fn of(r: &'a Row) -> Self {
        ReadingJson {
            value: JsonValue(r.value.as_ref()),
            unit: &r.point.unit,
            quality: r.quality.key(),
            system: &r.point.system,
            time: rfc3339_utc(r.time_ms),
            time_ms: r.time_ms,
        }
    }
}

#[derive(Serialize)]
struct PointMessage<'a> {
    device: &'a str,
    point: &'a str,
    #[serde(flatten)]
    reading: ReadingJson<'a>,
}

/// The points of one device message, in commit order.
struct Points<'a>(&'a [Row]);

impl Serialize for Points<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for r in self.0 {
            m.serialize_entry(r.point.point.as_str(), &ReadingJson::of(r))?;
        }
        m.end()
    }
}

#[derive(Serialize)]
struct DeviceMessage<'a> {
    device: &'a str,
    time: String,
    time_ms: i64,
    points: Points<'a>,
}

/// Topic levels may not hold the wildcards `+` and `#` (configuration ids never do; a point
/// name from an old store might).
fn level(s: &str) -> String {
    s.replace(['+', '#', '/', '\0'], "_")
}

/// `<prefix>/telemetry/<device>/<point>`.
pub fn point_topic(prefix: &str, device: &str, point: &str) -> String {
    format!("{prefix}/telemetry/{}/{}", level(device), level(point))
}

/// `<prefix>/telemetry/<device>`.
pub fn device_topic(prefix: &str, device: &str) -> String {
    format!("{prefix}/telemetry/{}", level(device))
}

/// Encode `rows` as messages. Returns the messages and how many rows they cover: all of them,
/// except that per device, when `more` rows may follow, the last device cycle is left for the
/// next batch (unless it is the only one), so a cycle is never split over two messages.
pub fn encode(
    prefix: &str,
    per: TelemetryGrouping,
    rows: &[Row],
    more: bool,
) -> (Vec<Message>, usize) {
    match per {
        TelemetryGrouping::Point => {
            let msgs = rows
                .iter()
                .map(|r| {
                    let m = PointMessage {
                        device: &r.point.device,
                        point: &r.point.point,
                        reading: ReadingJson::of(r),
                    };
                    Message {
                        topic: point_topic(prefix, &r.point.device, &r.point.point),
                        body: to_json(&m),
                    }
                })
                .collect();
            (msgs, rows.len())
        }
        TelemetryGrouping::Device => {
            let mut groups = cycles(rows);
            if more && groups.len() > 1 {
                groups.pop();
            }
            let used = groups.last().map_or(0, |g| g.end);
            let msgs = groups
                .into_iter()
                .map(|g| {
                    let part = &rows[g.start..g.end];
                    let device = &part[0].point.device;
                    let time_ms = part.iter().map(|r| r.time_ms).max().unwrap_or(0);
                    let m = DeviceMessage {
                        device,
                        time: rfc3339_utc(time_ms),
                        time_ms,
                        points: Points(part),
                    };
                    Message {
                        topic: device_topic(prefix, device),
                        body: to_json(&m),
                    }
                })
                .collect();
            (msgs, used)
        }
    }
}

fn to_json(v: &impl Serialize) -> Vec<u8> {
    // Serializing these plain structs cannot fail (string keys, no maps with other keys).
    serde_json::to_vec(v).unwrap_or_else(|_| b"{}".to_vec())
}

/// A run of rows of one device in which no point repeats.
struct Cycle {
    start: usize,
    end: usize,
}

/// Consecutive rows of one device, split where the device changes or a point repeats.
fn cycles(rows: &[Row]) -> Vec<Cycle> {
    let mut out: Vec<Cycle> = Vec::new();
    let mut seen: HashSet<i64> = HashSet::new();
    for (i, r) in rows.iter().enumerate() {
        let same = out
            .last()
            .is_some_and(|c| rows[c.start].point.device == r.point.device)
            && !seen.contains(&r.point.key);
        if same {
            if let Some(c) = out.last_mut() {
                c.end = i + 1;
            }
        } else {
            seen.clear();
            out.push(Cycle {
                start: i,
                end: i + 1,
            });
        }
        seen.insert(r.point.key);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sink::transport::PointInfo;
    use driftvakt_domain::Quality;
    use std::sync::Arc;

    fn point(key: i64, device: &str, point: &str, unit: &str) -> Arc<PointInfo> {
        Arc::new(PointInfo {
            key,
            device: device.into(),
            point: point.into(),
            unit: unit.into(),
            system: "reservkraft".into(),
        })
    }

    fn row(n: u64, p: &Arc<PointInfo>, t: i64, value: Option<Value>, quality: Quality) -> Row {
        Row {
            position: driftvakt_store::Position::nth(n),
            point: p.clone(),
            time_ms: t,
            value,
            quality,
        }
    }

    fn json(m: &Message) -> serde_json::Value {
        serde_json::from_slice(&m.body).expect("JSON")
    }

    #[test]
    fn per_point_one_message_per_reading_with_value_unit_quality_and_time() {
        let f = point(1, "g1", "frequency", "Hz");
        let run = point(2, "g1", "running", "");
        let model = point(3, "fjarrvarme", "model", "");
        let t = 1_795_442_400_123;
        let rows = [
            row(1, &f, t, Some(Value::Number(50.02)), Quality::Good),
            row(2, &run, t, Some(Value::Bool(true)), Quality::Good),
            row(
                3,
                &model,
                t + 1,
                Some(Value::Text("ABB \"X\"".into())),
                Quality::Good,
            ),
            row(4, &f, t + 100, None, Quality::CommFail),
            row(
                5,
                &f,
                t + 200,
                Some(Value::Number(f64::NAN)),
                Quality::OutOfRange,
            ),
        ];
        let (msgs, used) = encode("driftvakt/ref", TelemetryGrouping::Point, &rows, true);
        assert_eq!((msgs.len(), used), (5, 5));
        assert_eq!(msgs[0].topic, "driftvakt/ref/telemetry/g1/frequency");
        assert_eq!(
            json(&msgs[0]),
            serde_json::json!({"device": "g1", "point": "frequency", "value": 50.02, "unit": "Hz", "quality": "good",
                "system": "reservkraft", "time": "2026-11-23T14:00:00.123Z", "time_ms": t})
        );
        assert_eq!(json(&msgs[1])["value"], serde_json::json!(true));
        assert_eq!(json(&msgs[2])["value"], serde_json::json!("ABB \"X\""));
        assert_eq!(
            (
                json(&msgs[3])["value"].clone(),
                json(&msgs[3])["quality"].clone()
            ),
            (serde_json::Value::Null, serde_json::json!("comm_fail"))
        );
        assert_eq!(
            json(&msgs[4])["value"],
            serde_json::Value::Null,
            "not a finite number: null, never a substitute"
        );
    }

    #[test]
    fn per_device_one_message_per_cycle_never_split_over_batches() {
        let a = point(1, "g1", "power", "kW");
        let b = point(2, "g1", "frequency", "Hz");
        let c = point(3, "ups", "load", "%");
        let rows = [
            row(1, &a, 10, Some(Value::Number(1.0)), Quality::Good),
            row(2, &b, 10, Some(Value::Number(50.0)), Quality::Good),
            row(3, &c, 11, Some(Value::Number(30.0)), Quality::Good),
            row(4, &a, 110, Some(Value::Number(2.0)), Quality::Good),
            row(5, &a, 210, Some(Value::Number(3.0)), Quality::Good), // same point again: a new cycle
            row(6, &b, 210, None, Quality::CommFail),
        ];
        let (msgs, used) = encode("p", TelemetryGrouping::Device, &rows, false);
        assert_eq!(used, 6);
        assert_eq!(
            msgs.iter().map(|m| m.topic.as_str()).collect::<Vec<_>>(),
            [
                "p/telemetry/g1",
                "p/telemetry/ups",
                "p/telemetry/g1",
                "p/telemetry/g1"
            ]
        );
        let first = json(&msgs[0]);
        assert_eq!(first["device"], "g1");
        assert_eq!(first["time_ms"], 10);
        assert_eq!(first["points"]["power"]["value"], 1.0);
        assert_eq!(first["points"]["frequency"]["unit"], "Hz");
        assert_eq!(
            json(&msgs[3])["points"]["frequency"]["quality"],
            "comm_fail"
        );

        // A full batch: the last cycle may continue in the store, so it waits for the next one.
        let (msgs, used) = encode("p", TelemetryGrouping::Device, &rows, true);
        assert_eq!((msgs.len(), used), (3, 4));
        // ... unless it is the only one.
        let (msgs, used) = encode("p", TelemetryGrouping::Device, &rows[..2], true);
        assert_eq!((msgs.len(), used), (1, 2));
    }

    #[test]
    fn wildcards_never_reach_a_topic() {
        assert_eq!(point_topic("p", "g+1", "a#b/c"), "p/telemetry/g_1/a_b_c");
    }
}
