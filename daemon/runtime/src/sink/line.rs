//! The line-protocol schema every InfluxDB-compatible sink writes (documented in
//! `dashboards/README.md`; the dashboards' names are checked against the constants here).
//!
//! One measurement, [`MEASUREMENT`], for every system: the system is a tag. Series are therefore
//! named the same at every site (a regional dashboard selects by tag), no measurement name
//! needs quoting in InfluxQL (system keywords such as `värme` stay tag values), and
//! VictoriaMetrics' `measurement_field` names stay plain (`driftvakt_value`).

use driftvakt_domain::{Quality, Value};

/// The one measurement.
pub const MEASUREMENT: &str = "driftvakt";
/// Tag keys, in the (sorted) order they are written. `instance` and `unit` are left out when empty.
#[cfg_attr(not(test), allow(dead_code))] // the schema as data: the dashboard check reads it
pub const TAGS: &[&str] = &["device", "instance", "point", "site", "system", "unit"];
/// Field keys: `value` (float; booleans 0/1, multistate codes as numbers), `quality` (integer
/// code, [`Quality::code`]), `text` (string points only).
#[cfg_attr(not(test), allow(dead_code))]
pub const FIELDS: &[&str] = &["value", "quality", "text"];

/// The tags of one point.
#[derive(Debug, Clone, Default)]
pub struct SeriesTags<'a> {
    /// Site id.
    pub site: &'a str,
    /// Twin-daemon instance, if configured.
    pub instance: Option<&'a str>,
    /// System keyword (`reservkraft`, `värme` …).
    pub system: &'a str,
    /// Device id (`g1`).
    pub device: &'a str,
    /// Point id within the device (`fuel_level`).
    pub point: &'a str,
    /// Engineering unit (`%`), empty for none.
    pub unit: &'a str,
}

/// `driftvakt,device=g1,point=fuel_level,site=s,system=reservkraft,unit=%` (escaped), the part of
/// a line before the fields; computed once per point.
pub fn series_prefix(tags: &SeriesTags<'_>) -> String {
    let mut out = String::from(MEASUREMENT);
    let pairs = [
        ("device", tags.device),
        ("instance", tags.instance.unwrap_or("")),
        ("point", tags.point),
        ("site", tags.site),
        ("system", tags.system),
        ("unit", tags.unit),
    ];
    for (key, value) in pairs {
        if value.is_empty() {
            continue;
        }
        out.push(',');
        out.push_str(key);
        out.push('=');
        escape_tag(&mut out, value);
    }
    out
}

/// Append one reading as a line: `prefix value=…,quality=…i timestamp_ms\n`.
/// A reading without value (or with a non-finite one) carries only its quality.
pub fn write_line(out: &mut String, prefix: &str, value: Option<&Value>, quality: Quality, time_ms: i64) {
    use std::fmt::Write as _;
    out.push_str(prefix);
    out.push(' ');
    match value {
        Some(Value::Text(t)) => {
            out.push_str("text=\"");
            escape_string(out, t);
            out.push_str("\",");
        }
        Some(v) => {
            if let Some(x) = v.as_f64().filter(|x| x.is_finite()) {
                // `{}` of an f64 is the shortest exact decimal, never an exponent: valid line protocol.
                let _ = write!(out, "value={x},");
            }
        }
        None => {}
    }
    let _ = writeln!(out, "quality={}i {time_ms}", quality.code());
}

/// Tag keys and values: commas, equals signs and spaces are escaped; line breaks cannot be
/// written at all and become spaces.
fn escape_tag(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            ',' | '=' | ' ' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push_str("\\ "),
            // A trailing backslash would escape the separator after it.
            '\\' => out.push('/'),
            c => out.push(c),
        }
    }
}

/// String field values: quotes and backslashes escaped, line breaks become spaces.
fn escape_string(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags() -> SeriesTags<'static> {
        SeriesTags { site: "ref", instance: None, system: "värme", device: "vp1", point: "supply_temp", unit: "°C" }
    }

    #[test]
    fn numbers_bools_texts_and_missing_values() {
        let p = series_prefix(&tags());
        assert_eq!(p, "driftvakt,device=vp1,point=supply_temp,site=ref,system=värme,unit=°C");
        let mut out = String::new();
        write_line(&mut out, &p, Some(&Value::Number(72.5)), Quality::Good, 1_700_000_000_123);
        write_line(&mut out, &p, Some(&Value::Bool(true)), Quality::Good, 1);
        write_line(&mut out, &p, Some(&Value::Text("DSE \"7320\"".into())), Quality::Good, 2);
        write_line(&mut out, &p, None, Quality::CommFail, 3);
        write_line(&mut out, &p, Some(&Value::Number(f64::NAN)), Quality::OutOfRange, 4);
        write_line(&mut out, &p, Some(&Value::Number(1e21)), Quality::Good, 5);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], format!("{p} value=72.5,quality=0i 1700000000123"));
        assert_eq!(lines[1], format!("{p} value=1,quality=0i 1"));
        assert_eq!(lines[2], format!("{p} text=\"DSE \\\"7320\\\"\",quality=0i 2"));
        assert_eq!(lines[3], format!("{p} quality=2i 3"));
        assert_eq!(lines[4], format!("{p} quality=5i 4"));
        assert_eq!(lines[5], format!("{p} value=1000000000000000000000,quality=0i 5"));
    }

    #[test]
    fn tags_are_escaped_and_empty_ones_left_out() {
        let t = SeriesTags { site: "a b", instance: Some("x=1"), system: "el", device: "d,1", point: "p\\", unit: "" };
        assert_eq!(
            series_prefix(&t),
            "driftvakt,device=d\\,1,instance=x\\=1,point=p/,site=a\\ b,system=el"
        );
    }
}

/// The dashboards in `dashboards/` may only name what this module writes.
#[cfg(test)]
mod dashboard_names {
    use super::{FIELDS, MEASUREMENT, TAGS};
    use driftvakt_config::model::System;
    use serde_json::Value as Json;
    use std::path::Path;

    /// Every InfluxQL query of a dashboard: panel targets and template variables.
    pub(crate) fn queries(dashboard: &Json, out: &mut Vec<String>) {
        match dashboard {
            Json::Object(map) => {
                if let Some(Json::String(q)) = map.get("query")
                    && (map.get("rawQuery") == Some(&Json::Bool(true)) || map.get("type") == Some(&Json::String("query".into())))
                {
                    out.push(q.clone());
                }
                map.values().for_each(|v| queries(v, out));
            }
            Json::Array(items) => items.iter().for_each(|v| queries(v, out)),
            _ => {}
        }
    }

    /// Quoted strings (`"…"` or `'…'`) of a query, in order.
    fn quoted(q: &str, quote: char) -> Vec<String> {
        q.split(quote).skip(1).step_by(2).map(str::to_string).collect()
    }

    /// Problems of one query against the schema and the points of `points` (system, local id).
    pub(crate) fn check(q: &str, points: &[(String, String)]) -> Vec<String> {
        let mut problems = Vec::new();
        let idents = quoted(q, '"');
        match q.find("FROM \"") {
            Some(i) => {
                let m = q[i + 6..].split('"').next().unwrap_or("");
                if m != MEASUREMENT {
                    problems.push(format!("measurement `{m}` is not written (only `{MEASUREMENT}`)"));
                }
            }
            None => problems.push("no FROM \"measurement\"".into()),
        }
        for id in &idents {
            if id != MEASUREMENT && !TAGS.contains(&id.as_str()) && !FIELDS.contains(&id.as_str()) {
                problems.push(format!("`{id}` is neither a tag nor a field the daemon writes"));
            }
        }
        // `"system" = 'x'` and `"point" = 'y'`: x is a system keyword as written, y a point of it.
        let literal = |key: &str| {
            q.split(&format!("\"{key}\" = '")).nth(1).and_then(|r| r.split('\'').next()).map(str::to_string)
        };
        let system = literal("system");
        if let Some(s) = &system
            && System::from_key(s).map(System::key) != Some(s.as_str())
        {
            problems.push(format!("system `{s}` is not a system keyword as the daemon writes it"));
        }
        if let Some(p) = literal("point")
            && !points.iter().any(|(s, l)| *l == p && system.as_ref().is_none_or(|want| want == s))
        {
            problems.push(format!("point `{p}` (system {system:?}) is not in the reference hospital"));
        }
        problems
    }

    fn reference_points() -> Vec<(String, String)> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let loaded = driftvakt_config::load(&root.join("config/examples/reference-hospital.toml"));
        let config = loaded.config.expect("the reference hospital loads");
        config.points().map(|(_, p)| (p.system.key().to_string(), p.local_id().to_string())).collect()
    }

    #[test]
    fn every_dashboard_names_only_measurements_fields_and_tags_the_daemon_writes() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../dashboards");
        let points = reference_points();
        let mut boards = 0;
        let mut total = 0;
        let mut problems = Vec::new();
        for entry in std::fs::read_dir(&dir).expect("dashboards/ exists") {
            let path = entry.expect("dir entry").path();
            if path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("readable dashboard");
            let json: Json = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let mut qs = Vec::new();
            queries(&json, &mut qs);
            assert!(!qs.is_empty(), "{} has no queries", path.display());
            boards += 1;
            total += qs.len();
            for q in qs {
                for p in check(&q, &points) {
                    problems.push(format!("{}: {p}\n    {q}", path.display()));
                }
            }
        }
        assert!(boards >= 5, "expected the five dashboards, found {boards}");
        assert!(total > 30, "only {total} queries");
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    #[test]
    fn the_check_catches_unknown_names() {
        let points = vec![("reservkraft".to_string(), "frequency".to_string())];
        let ok = "SELECT mean(\"value\") FROM \"driftvakt\" WHERE \"system\" = 'reservkraft' AND \"point\" = 'frequency' GROUP BY \"device\"";
        assert!(check(ok, &points).is_empty());
        assert!(!check(&ok.replace("\"driftvakt\"", "\"reservkraft\""), &points).is_empty());
        assert!(!check(&ok.replace("\"value\"", "\"val\""), &points).is_empty());
        assert!(!check(&ok.replace("\"device\"", "\"host\""), &points).is_empty());
        assert!(!check(&ok.replace("'reservkraft'", "'varme'"), &points).is_empty());
        assert!(!check(&ok.replace("'frequency'", "'freq'"), &points).is_empty());
    }
}
