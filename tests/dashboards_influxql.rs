//! End to end: the Grafana dashboards in `dashboards/` against a real InfluxDB 1.6.7 filled by
//! the daemon (reference hospital, v1 sink). Every query of every panel and template variable
//! is run with Grafana's macros filled in the way Grafana fills them, and must return data
//! (at least one non-null value). A dashboard that names a measurement, field, tag value or point
//! the daemon does not write therefore fails here (and, without a server, in the daemon's unit
//! test `every_dashboard_names_only_measurements_fields_and_tags_the_daemon_writes`).

mod support;

use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value as Json;
use support::sim::Sim;
use support::tsdb::{Influx1, rows};
use support::{Daemon, assert_config_valid, repo_root, wait_for};

/// (dashboard file, panel or variable title, query) for every query in `dashboards/*.json`.
fn dashboard_queries() -> Vec<(String, String, String)> {
    fn walk(file: &str, title: &str, v: &Json, out: &mut Vec<(String, String, String)>) {
        match v {
            Json::Object(map) => {
                let title = map.get("title").or_else(|| map.get("name")).and_then(Json::as_str).unwrap_or(title);
                if let Some(Json::String(q)) = map.get("query")
                    && (map.get("rawQuery") == Some(&Json::Bool(true)) || map.get("type") == Some(&Json::String("query".into())))
                {
                    out.push((file.to_string(), title.to_string(), q.clone()));
                }
                map.values().for_each(|v| walk(file, title, v, out));
            }
            Json::Array(items) => items.iter().for_each(|v| walk(file, title, v, out)),
            _ => {}
        }
    }
    let dir: PathBuf = repo_root().join("dashboards");
    let mut out = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("dashboards/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    for path in files {
        let json: Json = serde_json::from_str(&std::fs::read_to_string(&path).expect("read dashboard"))
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        walk(&name, "", &json, &mut out);
    }
    out
}

/// Grafana's macros as Grafana's InfluxDB data source expands them.
fn expand(q: &str, site: &str) -> String {
    q.replace("$timeFilter", "time > now() - 10m")
        .replace("$__interval", "1s")
        .replace("$site", site)
}

fn has_value(result: &Json) -> bool {
    rows(result).iter().any(|row| row.iter().any(|(k, v)| k != "time" && !v.is_null()))
}

#[test]
fn every_dashboard_query_returns_data_from_influxdb_filled_by_the_daemon() {
    let queries = dashboard_queries();
    assert!(queries.len() > 30, "expected the dashboards' queries, found {}", queries.len());

    let influx = Influx1::start("driftvakt");
    let sim = Sim::scenario("normal").start();
    let dir = tempfile::tempdir().expect("tempdir");
    let config_path = dir.path().join("hospital.toml");
    let sinks = format!(
        "[[sinks.influxdb]]\nid = \"influx1\"\napi = \"v1\"\nurl = \"{}\"\ndatabase = \"driftvakt\"\nflush_interval_ms = 200\n",
        influx.url()
    );
    std::fs::write(&config_path, sim.config(&sinks)).expect("write config");
    assert_config_valid(&config_path);
    let daemon = Daemon::run(&config_path);
    // Every point has been read and delivered at least twice.
    wait_for("two deliveries of every point", Duration::from_secs(30), || {
        daemon.assert_running();
        let r = influx.query("driftvakt", "SELECT count(quality) FROM driftvakt GROUP BY device, point")?;
        let counts: Vec<i64> = rows(&r).iter().filter_map(|row| row.get("count").and_then(Json::as_i64)).collect();
        if counts.len() >= 80 && counts.iter().all(|c| *c >= 2) {
            Ok(())
        } else {
            Err(format!("{} series, smallest count {:?}", counts.len(), counts.iter().min()))
        }
    });
    daemon.stop_cleanly();

    let mut failures = Vec::new();
    for (file, title, q) in &queries {
        let q = expand(q, "referenssjukhuset");
        match influx.query("driftvakt", &q) {
            Ok(result) if has_value(&result) => {}
            Ok(result) => failures.push(format!("{file} / {title}: no data\n    {q}\n    {result}")),
            Err(e) => failures.push(format!("{file} / {title}: {e}")),
        }
    }
    assert!(failures.is_empty(), "{} of {} dashboard queries failed:\n{}", failures.len(), queries.len(), failures.join("\n"));
    println!("{} dashboard queries returned data from InfluxDB 1.6.7", queries.len());
}
