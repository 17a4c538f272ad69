//! Real time-series servers for the sink tests: VictoriaMetrics (InfluxDB v2 write API) and
//! InfluxDB 1.6.7 (v1 write API, InfluxQL), each on a free loopback port with its data in a
//! temp dir, stopped by PID on drop; the simulator is `super::sim::Sim`.
//! `tests/run.sh` installs both servers (APT_PACKAGES).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value as Json;
use tempfile::TempDir;

use super::{daemon_bin, free_port, tail, wait_for};

/// One exported VictoriaMetrics series: labels, timestamps (ms), values.
pub type VmSeries = (serde_json::Map<String, Json>, Vec<i64>, Vec<f64>);
/// Series name → `device.point` → (time ms, value) samples.
pub type VmByName = std::collections::BTreeMap<String, std::collections::BTreeMap<String, Vec<(i64, f64)>>>;

/// How long a server may take to answer its health check after spawn.
const START_TIMEOUT: Duration = Duration::from_secs(30);

fn http() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("HTTP client")
}

fn spawn(program: &str, args: &[String], log: &Path) -> Child {
    let out = std::fs::File::create(log).expect("create server log");
    let err = out.try_clone().expect("clone log handle");
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot start `{program}`: {e}; run tests/run.sh (it installs victoria-metrics and influxdb)")
        })
}

/// Stop a server like an operator or a service manager does: SIGTERM, so that it flushes what
/// it acknowledged (VictoriaMetrics keeps the newest samples in memory for a second or two and
/// loses them on SIGKILL), then SIGKILL if it has not exited within 10 s.
fn kill(child: &mut Option<Child>) {
    if let Some(mut c) = child.take() {
        let _ = Command::new("kill").args(["-TERM", &c.id().to_string()]).status();
        let start = std::time::Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            if !matches!(c.try_wait(), Ok(None)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = c.kill();
        let _ = c.wait();
    }
}

/// A VictoriaMetrics single-node server.
pub struct VictoriaMetrics {
    child: Option<Child>,
    /// HTTP port.
    pub port: u16,
    dir: TempDir,
}

impl VictoriaMetrics {
    /// Start on a free port with an empty data dir; waits for `/health`.
    pub fn start() -> VictoriaMetrics {
        let dir = tempfile::Builder::new().prefix("driftvakt-vm-").tempdir().expect("temp dir");
        let mut vm = VictoriaMetrics { child: None, port: free_port(), dir };
        vm.restart();
        vm
    }

    /// (Re)start on the same port and data dir (after [`VictoriaMetrics::stop`]).
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "VictoriaMetrics is already running");
        let args = vec![
            format!("-storageDataPath={}", self.dir.path().join("data").display()),
            format!("-httpListenAddr=127.0.0.1:{}", self.port),
            "-search.latencyOffset=0s".to_string(),
            "-search.disableCache".to_string(),
            "-loggerLevel=WARN".to_string(),
        ];
        self.child = Some(spawn("victoria-metrics", &args, &self.dir.path().join("vm.log")));
        let url = format!("http://127.0.0.1:{}/health", self.port);
        wait_for("VictoriaMetrics /health", START_TIMEOUT, || {
            self.assert_running();
            http().get(&url).send().map_err(|e| e.to_string()).and_then(|r| {
                if r.status().is_success() { Ok(()) } else { Err(r.status().to_string()) }
            })
        });
    }

    fn assert_running(&mut self) {
        if let Some(c) = self.child.as_mut()
            && let Ok(Some(status)) = c.try_wait()
        {
            panic!("victoria-metrics exited ({status}):\n{}", tail(&self.dir.path().join("vm.log"), 4000));
        }
    }

    /// Stop it (SIGTERM). The data written so far stays in its dir.
    pub fn stop(&mut self) {
        kill(&mut self.child);
    }

    /// Base URL.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Every sample of the series matching `selector` (after a forced flush), as
    /// (labels, timestamps in ms, values).
    ///
    /// The time range is explicit: without `end`, VictoriaMetrics exports up to *now rounded
    /// down to whole seconds*, so a sample written in the current second (the daemon's last
    /// poll before a stop, when the test reads at once) would be missing.
    pub fn export(&self, selector: &str) -> Vec<VmSeries> {
        let client = http();
        client
            .get(format!("{}/internal/force_flush", self.url()))
            .send()
            .expect("VictoriaMetrics force_flush");
        // A day ahead: also a sample stamped a little ahead of this clock belongs to the answer.
        let end = (super::now_ms() / 1000 + 86_400).to_string();
        let body = client
            .get(format!("{}/api/v1/export", self.url()))
            .query(&[("match[]", selector), ("start", "0"), ("end", end.as_str())])
            .send()
            .and_then(|r| r.text())
            .expect("VictoriaMetrics export");
        body.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                let v: Json = serde_json::from_str(l).unwrap_or_else(|e| panic!("export line {l}: {e}"));
                let labels = v["metric"].as_object().cloned().unwrap_or_default();
                let ts = v["timestamps"].as_array().map(|a| a.iter().filter_map(Json::as_i64).collect()).unwrap_or_default();
                let vals = v["values"].as_array().map(|a| a.iter().filter_map(Json::as_f64).collect()).unwrap_or_default();
                (labels, ts, vals)
            })
            .collect()
    }
}

impl Drop for VictoriaMetrics {
    fn drop(&mut self) {
        self.stop();
    }
}

/// An InfluxDB 1.x server (`influxd`).
pub struct Influx1 {
    child: Option<Child>,
    /// HTTP port.
    pub port: u16,
    dir: TempDir,
    config: PathBuf,
}

impl Influx1 {
    /// Start on a free port with an empty data dir and create `database`; waits for `/ping`.
    pub fn start(database: &str) -> Influx1 {
        let dir = tempfile::Builder::new().prefix("driftvakt-influxd-").tempdir().expect("temp dir");
        let port = free_port();
        let d = dir.path().display();
        let config = dir.path().join("influxdb.conf");
        let text = format!(
            "reporting-enabled = false\nbind-address = \"127.0.0.1:{rpc}\"\n\
             [meta]\n  dir = \"{d}/meta\"\n  logging-enabled = false\n\
             [data]\n  dir = \"{d}/data\"\n  wal-dir = \"{d}/wal\"\n  query-log-enabled = false\n\
             [monitor]\n  store-enabled = false\n\
             [http]\n  bind-address = \"127.0.0.1:{port}\"\n  log-enabled = false\n\
             [continuous_queries]\n  enabled = false\n",
            rpc = free_port()
        );
        std::fs::write(&config, text).expect("write influxd config");
        let mut db = Influx1 { child: None, port, dir, config };
        db.restart();
        db.query_ok("", &format!("CREATE DATABASE \"{database}\""));
        db
    }

    /// (Re)start on the same port and data dir.
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "influxd is already running");
        let args = vec!["-config".to_string(), self.config.display().to_string()];
        self.child = Some(spawn("influxd", &args, &self.dir.path().join("influxd.log")));
        let url = format!("{}/ping", self.url());
        wait_for("influxd /ping", START_TIMEOUT, || {
            if let Some(c) = self.child.as_mut()
                && let Ok(Some(status)) = c.try_wait()
            {
                panic!("influxd exited ({status}):\n{}", tail(&self.dir.path().join("influxd.log"), 4000));
            }
            http().get(&url).send().map_err(|e| e.to_string()).and_then(|r| {
                if r.status().as_u16() == 204 { Ok(()) } else { Err(r.status().to_string()) }
            })
        });
    }

    /// Stop it (SIGTERM).
    pub fn stop(&mut self) {
        kill(&mut self.child);
    }

    /// Base URL.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Run an InfluxQL query (epoch = ms) and return `results[0]`, or the error text.
    pub fn query(&self, db: &str, q: &str) -> Result<Json, String> {
        let resp = http()
            .post(format!("{}/query", self.url()))
            .form(&[("db", db), ("q", q), ("epoch", "ms")])
            .send()
            .map_err(|e| format!("query {q}: {e}"))?;
        let status = resp.status();
        let body: Json = resp.json_text().map_err(|e| format!("query {q}: {e}"))?;
        if !status.is_success() {
            return Err(format!("query {q}: HTTP {status}: {body}"));
        }
        let first = body["results"][0].clone();
        if let Some(e) = first.get("error") {
            return Err(format!("query {q}: {e}"));
        }
        Ok(first)
    }

    /// [`Influx1::query`] that panics on error.
    pub fn query_ok(&self, db: &str, q: &str) -> Json {
        self.query(db, q).unwrap_or_else(|e| panic!("{e}"))
    }
}

impl Drop for Influx1 {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Response body parsed as JSON.
trait JsonText {
    fn json_text(self) -> Result<Json, String>;
}

impl JsonText for reqwest::blocking::Response {
    fn json_text(self) -> Result<Json, String> {
        let text = self.text().map_err(|e| e.to_string())?;
        serde_json::from_str(&text).map_err(|e| format!("{e}: {text}"))
    }
}

/// The rows of an InfluxQL result as maps column → value (every series, in order).
pub fn rows(result: &Json) -> Vec<serde_json::Map<String, Json>> {
    let mut out = Vec::new();
    for series in result["series"].as_array().into_iter().flatten() {
        let cols: Vec<String> =
            series["columns"].as_array().into_iter().flatten().filter_map(|c| c.as_str().map(str::to_string)).collect();
        let tags = series["tags"].as_object().cloned().unwrap_or_default();
        for row in series["values"].as_array().into_iter().flatten() {
            let mut m = tags.clone();
            for (c, v) in cols.iter().zip(row.as_array().into_iter().flatten()) {
                m.insert(c.clone(), v.clone());
            }
            out.push(m);
        }
    }
    out
}

/// One reading as every side can express it: time, numeric value, text, quality code.
#[derive(Debug, Clone, PartialEq)]
pub struct Obs {
    /// Reading time, UTC ms.
    pub time_ms: i64,
    /// Numeric value (booleans 0/1).
    pub value: Option<f64>,
    /// Text value.
    pub text: Option<String>,
    /// Quality code (0 good … 7 overridden).
    pub quality: i64,
}

impl Obs {
    /// The same reading: time, quality and text equal, values equal within 1e-9 (relative).
    pub fn same(&self, other: &Obs) -> bool {
        self.time_ms == other.time_ms
            && self.quality == other.quality
            && self.text == other.text
            && match (self.value, other.value) {
                (Some(x), Some(y)) => close(x, y),
                (None, None) => true,
                _ => false,
            }
    }
}

/// The integer code the sinks write for a quality keyword.
pub fn quality_code(q: &str) -> i64 {
    match q {
        "good" => 0,
        "stale" => 1,
        "comm_fail" => 2,
        "device_fault" => 3,
        "not_available" => 4,
        "out_of_range" => 5,
        "out_of_service" => 6,
        "overridden" => 7,
        other => panic!("unknown quality {other}"),
    }
}

/// Every reading in the store, per full point id, via `driftvakt export`.
pub fn store_readings(daemon: &super::Daemon) -> std::collections::BTreeMap<String, Vec<Obs>> {
    let out = Command::new(daemon_bin())
        .args(["export", "--list", "--data"])
        .arg(daemon.data_dir())
        .output()
        .expect("driftvakt export --list");
    assert!(out.status.success(), "export --list: {}", String::from_utf8_lossy(&out.stderr));
    let ids: Vec<String> =
        String::from_utf8_lossy(&out.stdout).lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect();
    ids.into_iter().map(|id| (id.clone(), store_point(daemon, &id))).collect()
}

/// Every reading of one point in the store.
pub fn store_point(daemon: &super::Daemon, id: &str) -> Vec<Obs> {
    daemon.export_ok(id).iter().map(obs).collect()
}

/// A stored reading (a row of `driftvakt export`) as the sink tests compare it.
pub fn obs(r: &super::ExportRow) -> Obs {
    Obs {
        time_ms: r.time_ms,
        value: match &r.value {
            Json::Number(n) => n.as_f64(),
            Json::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
            _ => None,
        },
        text: r.value.as_str().map(str::to_string),
        quality: quality_code(&r.quality),
    }
}

/// Rows of `SELECT * FROM driftvakt` per `device.point`; `check` sees every row first.
pub fn influx_readings(
    influx: &Influx1,
    db: &str,
    mut check: impl FnMut(&serde_json::Map<String, Json>),
) -> std::collections::BTreeMap<String, Vec<Obs>> {
    let result = influx.query_ok(db, "SELECT * FROM driftvakt");
    let mut out: std::collections::BTreeMap<String, Vec<Obs>> = std::collections::BTreeMap::new();
    for row in rows(&result) {
        check(&row);
        let tag = |k: &str| row.get(k).and_then(Json::as_str).unwrap_or("").to_string();
        out.entry(format!("{}.{}", tag("device"), tag("point"))).or_default().push(Obs {
            time_ms: row.get("time").and_then(Json::as_i64).expect("time"),
            value: row.get("value").and_then(Json::as_f64),
            text: row.get("text").and_then(Json::as_str).map(str::to_string),
            quality: row.get("quality").and_then(Json::as_i64).expect("quality field"),
        });
    }
    out
}

/// VictoriaMetrics' view: series name (`driftvakt_quality` …) → `device.point` → samples;
/// `check` sees every series' labels first.
pub fn vm_readings(
    vm: &VictoriaMetrics,
    mut check: impl FnMut(&serde_json::Map<String, Json>),
) -> VmByName {
    let mut out = VmByName::new();
    for (labels, ts, vals) in vm.export(r#"{__name__=~"driftvakt_.*"}"#) {
        check(&labels);
        let l = |k: &str| labels.get(k).and_then(Json::as_str).unwrap_or("").to_string();
        let id = format!("{}.{}", l("device"), l("point"));
        let previous = out.entry(l("__name__")).or_default().insert(id.clone(), ts.into_iter().zip(vals).collect());
        assert!(previous.is_none(), "two {} series for {id}", l("__name__"));
    }
    out
}

/// Equal within 1e-9, relative to the larger (at least 1).
fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

/// Asserts InfluxDB holds exactly the store's readings, point by point (same times, values,
/// texts, qualities; nothing missing, nothing twice, nothing extra).
pub fn assert_influx_matches(
    side: &str,
    store: &std::collections::BTreeMap<String, Vec<Obs>>,
    got: &std::collections::BTreeMap<String, Vec<Obs>>,
) {
    for (id, want) in store {
        let have = got.get(id).map_or(&[][..], Vec::as_slice);
        let ok = have.len() == want.len() && have.iter().zip(want).all(|(g, w)| g.same(w));
        assert!(ok, "{side}, point {id}: {} readings arrived, the store has {}\n got: {have:?}\nwant: {want:?}", have.len(), want.len());
    }
    let extra: Vec<&String> = got.keys().filter(|k| !store.contains_key(*k)).collect();
    assert!(extra.is_empty(), "{side} has series the store does not: {extra:?}");
}

/// Asserts VictoriaMetrics holds exactly the store's readings: `driftvakt_quality` for every
/// reading, `driftvakt_value` for every number, `driftvakt_text` (zeros: it keeps no strings)
/// at the times of text readings.
pub fn assert_vm_matches(
    store: &std::collections::BTreeMap<String, Vec<Obs>>,
    got: &VmByName,
) {
    let empty = std::collections::BTreeMap::new();
    let series = |name: &str| got.get(name).unwrap_or(&empty);
    for (id, want) in store {
        let q: Vec<(i64, f64)> = want.iter().map(|o| (o.time_ms, o.quality as f64)).collect();
        assert_eq!(series("driftvakt_quality").get(id), Some(&q), "VictoriaMetrics (v2 write API), quality of {id}");
        let v: Vec<(i64, f64)> = want.iter().filter_map(|o| o.value.map(|v| (o.time_ms, v))).collect();
        let have = series("driftvakt_value").get(id).cloned().unwrap_or_default();
        let ok = have.len() == v.len() && have.iter().zip(&v).all(|(g, w)| g.0 == w.0 && close(g.1, w.1));
        assert!(ok, "VictoriaMetrics (v2 write API), value of {id}:\n got: {have:?}\nwant: {v:?}");
        let t: Vec<(i64, f64)> = want.iter().filter(|o| o.text.is_some()).map(|o| (o.time_ms, 0.0)).collect();
        assert_eq!(series("driftvakt_text").get(id).cloned().unwrap_or_default(), t, "VictoriaMetrics, text readings of {id}");
    }
    for name in got.keys() {
        assert!(["driftvakt_quality", "driftvakt_value", "driftvakt_text"].contains(&name.as_str()), "unexpected series {name}");
    }
}

/// `[sinks]` for one VictoriaMetrics (v2) and one InfluxDB 1.x (v1) sink; secrets in files in `dir`.
pub fn sinks_toml(dir: &Path, vm: &VictoriaMetrics, influx: &Influx1, extra: &str) -> String {
    let token = dir.join("token");
    std::fs::write(&token, "not-checked-by-victoria-metrics\n").expect("token file");
    let password = dir.join("password");
    std::fs::write(&password, "secret\n").expect("password file");
    format!(
        r#"
[sinks]
instance = "a"

[[sinks.influxdb]]
id = "vm"
url = "{vm}"
org = "region"
bucket = "driftvakt"
token = {{ file = "{token}" }}
{extra}

[[sinks.influxdb]]
id = "influx1"
api = "v1"
url = "{influx}"
database = "driftvakt"
username = "driftvakt"
password = {{ file = "{password}" }}
{extra}
"#,
        vm = vm.url(),
        influx = influx.url(),
        token = token.display(),
        password = password.display(),
    )
}
