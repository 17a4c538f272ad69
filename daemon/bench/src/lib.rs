//! `driftvakt bench`: figures, not adjectives. Sustained points/s against the simulator with many
//! devices, Modbus reads per poll cycle against one-read-per-point, BACnet reads/s and COV
//! notification latency, the store at plant scale (10 000 points: readings/s, bytes per reading
//! kept and written, query times), points/s into each InfluxDB sink and into MQTT
//! telemetry (per point and per device) and the replay rate after an outage, the endurance
//! report over a year, the exercise feature (fast-forward of a monthly test and a year, the
//! exercise report and run history), what the operator screen's live stream costs the daemon
//! with 10 clients, peak RSS. [`fastforward`] is `driftvakt fastforward`'s
//! engine (the simulator in simulated time through the daemon's path), here so the bench can
//! time it.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use driftvakt_config::model::{AlarmClass, AlarmRule, Config, RuleKind};
use driftvakt_domain::Value;
use driftvakt_drivers::modbus::ConnectionStats;
use driftvakt_drivers::modbus::plan::{PlanLimits, one_read_per_point, plan};
use driftvakt_drivers::source::stats_of;
use driftvakt_sim::{self as sim, Scenario, SimOptions};
use tokio_util::sync::CancellationToken;

use driftvakt_runtime::out::outln;
use driftvakt_runtime::alarm::tap::Feed;
use driftvakt_runtime::pipeline::Pipeline;
use driftvakt_runtime::sink::Sinks;
use driftvakt_sim::demo_config::demo_config;
use procfs::peak_rss;

pub use args::{BenchArgs, BenchPart};

mod alarm;
mod args;
mod endurance;
mod exercise;
pub mod fastforward;
mod mqtt;
mod procfs;
mod store;
mod web;

/// Run every benchmark and print the figures.
pub async fn run(args: &BenchArgs) -> Result<()> {
    let part = |p: BenchPart| args.only.is_none_or(|o| o == p);
    if part(BenchPart::Polling) {
        polling_part(args).await?;
    }
    if part(BenchPart::Store) {
        store::run(args.store_seconds).await?;
    }
    if part(BenchPart::Sinks) {
        sinks(args).await?;
    }
    if part(BenchPart::Alarms) {
        alarm::run(100).await?;
    }
    if part(BenchPart::Web) {
        web::run(args.seconds).await?;
    }
    if part(BenchPart::Endurance) || part(BenchPart::Exercise) {
        let config = driftvakt_config::parse_str(driftvakt_sim::demo_config::DEMO_CONFIG, "reference-hospital.toml")
            .config
            .context("the demo configuration is valid")?;
        if part(BenchPart::Endurance) {
            tokio::task::block_in_place(|| endurance::run(&config))?;
        }
        if part(BenchPart::Exercise) {
            tokio::task::block_in_place(|| exercise::run(&config))?;
        }
    }
    outln!("== memory")?;
    outln!("  peak RSS (daemon and simulator in one process): {}", peak_rss().unwrap_or_else(|| "unknown (no /proc)".into()))?;
    Ok(())
}

async fn polling_part(args: &BenchArgs) -> Result<()> {
    let cancel = CancellationToken::new();
    let opts = SimOptions { scenario: Scenario::Normal, speed: 1.0, bind: [127, 0, 0, 1].into(), base_port: 0, bacnet_port: Some(0), ..SimOptions::default() };
    let sim = sim::start(opts, cancel.child_token()).await.context("starting the simulator")?;
    let demo = demo_config(&sim.gateways)?;

    outln!("== reads per poll cycle (demo configuration)")?;
    let (mut planned, mut naive) = (0, 0);
    for d in demo.devices.iter().filter(|d| d.connection().is_some()) {
        let conn = demo.connection_of(d).context("device without connection")?;
        let p = plan(&d.points, &PlanLimits::from(conn)).requests.len();
        let n = one_read_per_point(&d.points);
        outln!("  {:<14} {:>3} points  {:>3} reads  (one per point: {:>3})", d.id, d.points.len(), p, n)?;
        planned += p;
        naive += n;
    }
    outln!("  total          {:>3} reads per cycle vs {} one-read-per-point ({:.1}× fewer)", planned, naive, naive as f64 / planned.max(1) as f64)?;

    polling(&demo, args.devices, args.interval_ms, args.seconds, "sustained polling").await?;
    polling(&demo, args.devices, 1, args.seconds, "saturated polling (interval 1 ms: wire- and CPU-bound)").await?;
    if let Some(b) = &sim.bacnet {
        bacnet(&demo, b, args.seconds).await?;
    }
    cancel.cancel();
    Ok(())
}

/// Poll `devices` generator copies at `interval_ms` for `seconds` and print what arrived in the store.
async fn polling(demo: &Config, devices: usize, interval_ms: u64, seconds: u64, title: &str) -> Result<()> {
    let cfg = bench_config(demo, devices, Duration::from_millis(interval_ms))?;
    let points: usize = cfg.devices.iter().map(|d| d.points.len()).sum();
    outln!(
        "== {title}: {} generator devices × {} points = {} points every {} ms, {} s",
        cfg.devices.len(),
        cfg.devices.first().map_or(0, |d| d.points.len()),
        points,
        interval_ms,
        seconds
    )?;
    let dir = tempfile::tempdir()?;
    let pipeline = Pipeline::start(&cfg, dir.path(), None)?;
    let t0 = Instant::now();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let summary = pipeline.shutdown().await;
    let secs = t0.elapsed().as_secs_f64();
    let written = summary.store.readings_written.load(Ordering::Relaxed) as f64;
    let connections = || stats_of::<ConnectionStats>(&summary.sources);
    let requests: u64 = connections().map(|s| s.requests.load(Ordering::Relaxed)).sum();
    let errors: u64 = connections().map(|s| s.request_errors.load(Ordering::Relaxed)).sum();
    let offered = points as f64 * 1000.0 / interval_ms as f64;
    outln!("  points/s stored: {:.0} (offered {:.0}/s)", written / secs, offered)?;
    outln!("  Modbus requests/s: {:.0}, request errors: {errors}", requests as f64 / secs)?;
    Ok(())
}

/// `devices` copies of the demo's first generator, each on its own connection, alternating unit ids.
fn bench_config(demo: &Config, devices: usize, interval: Duration) -> Result<Config> {
    let gens: Vec<_> = demo.devices.iter().filter(|d| d.template.as_deref() == Some("dse_genset")).collect();
    anyhow::ensure!(!gens.is_empty(), "the demo configuration has no dse_genset devices");
    let mut cfg = demo.clone();
    cfg.devices.clear();
    cfg.connections.clear();
    for i in 0..devices {
        let src = gens[i % gens.len()];
        let mut conn = demo.connection_of(src).context("device without connection")?.clone();
        conn.id = format!("bench{i}");
        let mut d = src.clone();
        d.id = format!("bench{i}");
        if let driftvakt_config::model::DeviceLink::Modbus(m) = &mut d.link {
            m.connection = conn.id.clone();
        }
        d.poll_interval = interval;
        for p in &mut d.points {
            p.id = format!("{}.{}", d.id, p.local_id());
        }
        cfg.connections.push(conn);
        cfg.devices.push(d);
    }
    Ok(cfg)
}

/// Points/s into each kind of sink while polling, and the replay rate after an outage: the
/// server runs, is killed (the backlog grows in the store while polling goes on), then returns.
/// Uses `victoria-metrics` (v2 write API) and `influxd` (1.x, v1 `/write`) if they are on PATH.
pub async fn sinks(args: &BenchArgs) -> Result<()> {
    let cancel = CancellationToken::new();
    let opts = SimOptions { scenario: Scenario::Normal, speed: 1.0, bind: [127, 0, 0, 1].into(), base_port: 0, bacnet_port: None, ..SimOptions::default() };
    let sim = sim::start(opts, cancel.child_token()).await.context("starting the simulator")?;
    let demo = demo_config(&sim.gateways)?;
    for kind in [tsdb::Kind::VictoriaMetrics, tsdb::Kind::Influx1, tsdb::Kind::MqttPoint, tsdb::Kind::MqttDevice] {
        outln!("== sink {}: {} s up, {} s down, then replay ({} devices every {} ms)", kind.label(), args.seconds, args.seconds, args.devices, args.interval_ms)?;
        if tsdb::binary(kind.program()).is_none() {
            outln!("  `{}` is not on PATH: this figure needs it (apt-get install {})", kind.program(), kind.package())?;
            continue;
        }
        if let Err(e) = sink_outage(&demo, args, kind).await {
            outln!("  failed: {e:#}")?;
        }
    }
    cancel.cancel();
    Ok(())
}

async fn sink_outage(demo: &Config, args: &BenchArgs, kind: tsdb::Kind) -> Result<()> {
    use std::sync::atomic::Ordering::Relaxed;
    let dir = tempfile::tempdir()?;
    let mut server = tsdb::Server::start(kind, dir.path()).await?;
    let mut cfg = bench_config(demo, args.devices, Duration::from_millis(args.interval_ms))?;
    kind.add_sink(&mut cfg, &server.url(), server.port());
    let data = dir.path().join("data");
    let pipeline = Pipeline::start(&cfg, &data, None)?;
    let sinks = Sinks::start(&cfg, &data, &pipeline.committed())?;
    let health = sinks.health().into_iter().next().context("no sink")?;
    let store = pipeline.store_stats();
    let secs = Duration::from_secs(args.seconds);

    let t0 = Instant::now();
    tokio::time::sleep(secs).await;
    let up = t0.elapsed().as_secs_f64();
    let (stored, delivered) = (store.readings_written.load(Relaxed), health.delivered.load(Relaxed));
    outln!("  live: {:.0} points/s into the sink ({:.0}/s stored), backlog {} readings", delivered as f64 / up, stored as f64 / up, health.backlog.load(Relaxed))?;

    server.stop();
    let t1 = Instant::now();
    tokio::time::sleep(secs).await;
    let down = t1.elapsed().as_secs_f64();
    let backlog = health.backlog.load(Relaxed);
    let stored_down = store.readings_written.load(Relaxed) - stored;
    outln!("  outage {down:.1} s: {stored_down} readings stored meanwhile ({:.0}/s, polling unaffected), backlog {backlog} readings", stored_down as f64 / down)?;

    server.restart().await?;
    let t2 = Instant::now();
    let before = health.delivered.load(Relaxed);
    let deadline = t2 + Duration::from_secs(120);
    // Caught up: the readings waiting when the server came back are delivered (new ones keep
    // arriving with each commit, so the live backlog itself never stays at zero).
    let waiting = health.backlog.load(Relaxed);
    while health.delivered.load(Relaxed) - before < waiting && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let replay = t2.elapsed().as_secs_f64();
    let replayed = health.delivered.load(Relaxed) - before;
    outln!(
        "  replay: {replayed} readings in {replay:.2} s = {:.0} points/s while polling went on; backlog now {}, dropped {}",
        replayed as f64 / replay,
        health.backlog.load(Relaxed),
        health.dropped()
    )?;
    let _ = pipeline.shutdown().await;
    sinks.shutdown(tokio::time::Instant::now() + Duration::from_secs(2)).await;
    server.stop();
    outln!("  peak RSS so far (daemon, simulator and bench in one process): {}", peak_rss().unwrap_or_else(|| "unknown".into()))?;
    Ok(())
}

/// Time-series servers the sink bench starts.
mod tsdb {
    use std::path::{Path, PathBuf};
    use std::process::{Child, Command, Stdio};
    use std::time::Duration;

    use anyhow::{Context, Result, bail};
    use driftvakt_config::model::{Config, InfluxApi, InfluxSink, MqttSink, TelemetryGrouping};

    /// Which server.
    #[derive(Clone, Copy)]
    pub enum Kind {
        /// VictoriaMetrics, written through the InfluxDB v2 API.
        VictoriaMetrics,
        /// InfluxDB 1.x, written through `/write`.
        Influx1,
        /// Mosquitto, MQTT telemetry one message per reading (QoS 1, retained).
        MqttPoint,
        /// Mosquitto, MQTT telemetry one message per device cycle (QoS 1, retained).
        MqttDevice,
    }

    impl Kind {
        pub fn label(self) -> &'static str {
            match self {
                Kind::VictoriaMetrics => "InfluxDB v2 API (VictoriaMetrics)",
                Kind::Influx1 => "InfluxDB v1 API (influxd 1.x)",
                Kind::MqttPoint => "MQTT telemetry per point (Mosquitto, QoS 1, retained, no subscriber)",
                Kind::MqttDevice => "MQTT telemetry per device (Mosquitto, QoS 1, retained, no subscriber)",
            }
        }
        pub fn program(self) -> &'static str {
            match self {
                Kind::VictoriaMetrics => "victoria-metrics",
                Kind::Influx1 => "influxd",
                Kind::MqttPoint | Kind::MqttDevice => "mosquitto",
            }
        }
        pub fn package(self) -> &'static str {
            match self {
                Kind::VictoriaMetrics => "victoria-metrics",
                Kind::Influx1 => "influxdb",
                Kind::MqttPoint | Kind::MqttDevice => "mosquitto",
            }
        }
        fn is_mqtt(self) -> bool {
            matches!(self, Kind::MqttPoint | Kind::MqttDevice)
        }
        /// Add this kind's sink (and broker) to `cfg`.
        pub fn add_sink(self, cfg: &mut Config, url: &str, port: u16) {
            let per = match self {
                Kind::VictoriaMetrics | Kind::Influx1 => {
                    cfg.sinks.influxdb.push(self.sink(url));
                    return;
                }
                Kind::MqttPoint => TelemetryGrouping::Point,
                Kind::MqttDevice => TelemetryGrouping::Device,
            };
            cfg.mqtt = Some(crate::mqtt::local_broker(port, "driftvakt/bench"));
            cfg.sinks.mqtt = Some(MqttSink {
                enabled: true,
                id: "bench".into(),
                per,
                retain: true,
                qos: 1,
                batch_size: 10_000,
                flush_interval: Duration::from_millis(200),
                timeout: Duration::from_secs(10),
                retry_max: Duration::from_millis(200),
                max_backlog_readings: None,
                backfill: true,
            });
        }
        fn sink(self, url: &str) -> InfluxSink {
            let api = match self {
                Kind::Influx1 => InfluxApi::V1 { database: "bench".into(), retention_policy: None, username: None, password: None },
                _ => InfluxApi::V2 { org: "bench".into(), bucket: "bench".into(), token: None },
            };
            InfluxSink {
                id: "bench".into(),
                url: url.to_string(),
                api,
                batch_size: 5000,
                flush_interval: Duration::from_millis(1000),
                timeout: Duration::from_secs(10),
                retry_max: Duration::from_millis(200),
                max_backlog_readings: None,
                backfill: true,
            }
        }
    }

    /// `program` on PATH, or in /usr/sbin (Debian's mosquitto).
    pub fn binary(program: &str) -> Option<PathBuf> {
        let path = std::env::var_os("PATH").unwrap_or_default();
        std::env::split_paths(&path).chain([PathBuf::from("/usr/sbin")]).map(|d| d.join(program)).find(|p| p.is_file())
    }

    /// A running server in a temp dir.
    pub struct Server {
        kind: Kind,
        dir: PathBuf,
        port: u16,
        child: Option<Child>,
    }

    fn free_port() -> Result<u16> {
        Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
    }

    impl Server {
        pub async fn start(kind: Kind, dir: &Path) -> Result<Server> {
            let mut s = Server { kind, dir: dir.join("server"), port: free_port()?, child: None };
            std::fs::create_dir_all(&s.dir)?;
            s.restart().await?;
            if let Kind::Influx1 = kind {
                let r = reqwest::Client::new()
                    .post(format!("{}/query", s.url()))
                    .form(&[("q", "CREATE DATABASE bench")])
                    .send()
                    .await?;
                if !r.status().is_success() {
                    bail!("CREATE DATABASE: HTTP {}", r.status());
                }
            }
            Ok(s)
        }

        pub fn url(&self) -> String {
            format!("http://127.0.0.1:{}", self.port)
        }

        pub fn port(&self) -> u16 {
            self.port
        }

        pub async fn restart(&mut self) -> Result<()> {
            let d = self.dir.display();
            let args: Vec<String> = match self.kind {
                Kind::VictoriaMetrics => vec![
                    format!("-storageDataPath={d}/vm"),
                    format!("-httpListenAddr=127.0.0.1:{}", self.port),
                    "-loggerLevel=ERROR".into(),
                ],
                Kind::Influx1 => {
                    let conf = self.dir.join("influxdb.conf");
                    let text = format!(
                        "reporting-enabled = false\nbind-address = \"127.0.0.1:{}\"\n[meta]\n  dir = \"{d}/meta\"\n  logging-enabled = false\n\
                         [data]\n  dir = \"{d}/data\"\n  wal-dir = \"{d}/wal\"\n  query-log-enabled = false\n[monitor]\n  store-enabled = false\n\
                         [http]\n  bind-address = \"127.0.0.1:{}\"\n  log-enabled = false\n",
                        free_port()?,
                        self.port
                    );
                    std::fs::write(&conf, text)?;
                    vec!["-config".into(), conf.display().to_string()]
                }
                Kind::MqttPoint | Kind::MqttDevice => {
                    let conf = self.dir.join("mosquitto.conf");
                    std::fs::write(&conf, format!("listener {} 127.0.0.1\nallow_anonymous true\npersistence false\n", self.port))?;
                    vec!["-c".into(), conf.display().to_string()]
                }
            };
            let log = std::fs::File::create(self.dir.join("server.log"))?;
            let program = binary(self.kind.program()).with_context(|| format!("{} is not installed", self.kind.program()))?;
            let child = Command::new(program)
                .args(&args)
                .stdin(Stdio::null())
                .stdout(log.try_clone()?)
                .stderr(log)
                .spawn()
                .with_context(|| format!("starting {}", self.kind.program()))?;
            self.child = Some(child);
            if self.kind.is_mqtt() {
                for _ in 0..300 {
                    if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                        return Ok(());
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                bail!("mosquitto did not accept connections within 30 s");
            }
            let path = match self.kind {
                Kind::VictoriaMetrics => "/health",
                _ => "/ping",
            };
            let client = reqwest::Client::new();
            for _ in 0..300 {
                if let Ok(r) = client.get(format!("{}{path}", self.url())).send().await
                    && r.status().is_success()
                {
                    return Ok(());
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            bail!("{} did not answer {path} within 30 s", self.kind.program())
        }

        pub fn stop(&mut self) {
            if let Some(mut c) = self.child.take() {
                let _ = c.kill();
                let _ = c.wait();
            }
        }
    }

    impl Drop for Server {
        fn drop(&mut self) {
            self.stop();
        }
    }
}

/// BACnet figures against the simulator's router: saturated ReadPropertyMultiple polling of its
/// two devices (reads/s), and COV notification latency from a value change in the device to
/// the reading arriving at a pipeline tap.
async fn bacnet(demo: &Config, sim: &driftvakt_sim::SimBacnet, seconds: u64) -> Result<()> {
    use driftvakt_config::model::{CovSettings, ObjectId};
    use driftvakt_drivers::bacnet::BacnetStats;

    let mut cfg = demo.clone();
    cfg.connections.clear();
    cfg.devices.retain(|d| d.bacnet().is_some());
    driftvakt_sim::demo_config::point_bacnet_at(&mut cfg, sim);
    anyhow::ensure!(!cfg.devices.is_empty(), "the demo configuration has no BACnet devices");

    // Reads/s: 20 copies of each BACnet device (own task each, same router), polled every 1 ms.
    let copies = 20;
    let mut polled = cfg.clone();
    polled.devices.clear();
    for k in 0..copies {
        for src in &cfg.devices {
            let mut d = src.clone();
            d.id = format!("{}_{k}", src.id);
            d.poll_interval = Duration::from_millis(1);
            if let driftvakt_config::model::DeviceLink::Bacnet(b) = &mut d.link {
                b.cov = None;
            }
            for p in &mut d.points {
                p.id = format!("{}.{}", d.id, p.local_id());
            }
            polled.devices.push(d);
        }
    }
    let points: usize = polled.devices.iter().map(|d| d.points.len()).sum();
    outln!(
        "== BACnet saturated polling: {} device tasks ({copies} copies of each simulated device, one router), {points} points, interval 1 ms, {seconds} s",
        polled.devices.len()
    )?;
    let dir = tempfile::tempdir()?;
    let pipeline = Pipeline::start(&polled, dir.path(), None)?;
    let t0 = Instant::now();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let summary = pipeline.shutdown().await;
    let secs = t0.elapsed().as_secs_f64();
    let stat = |f: fn(&BacnetStats) -> u64| stats_of::<BacnetStats>(&summary.sources).map(f).sum::<u64>() as f64;
    outln!("  points/s read and stored: {:.0}", summary.store.readings_written.load(Ordering::Relaxed) as f64 / secs)?;
    outln!(
        "  BACnet ReadPropertyMultiple requests/s: {:.0} (timeouts {}, device errors {})",
        stat(|s| BacnetStats::get(&s.requests)) / secs,
        stat(|s| BacnetStats::get(&s.timeouts)),
        stat(|s| BacnetStats::get(&s.device_errors))
    )?;

    // COV latency: change a value in the device, time until its reading reaches a tap.
    let lb01 = cfg.devices.iter().find(|d| d.id == "lb01").context("no lb01 in the demo configuration")?.clone();
    let instance = lb01.bacnet().map(|b| b.instance).context("lb01 is not a BACnet device")?;
    let point = lb01.points.iter().find(|p| p.local_id() == "supply_air_temp").context("lb01 has no supply_air_temp")?;
    let object: ObjectId = point.bacnet().context("not a BACnet point")?.object;
    let point_id: Arc<str> = Arc::from(point.id.as_str());
    let mut cov_cfg = cfg.clone();
    cov_cfg.devices.retain(|d| d.id == "lb01");
    for d in &mut cov_cfg.devices {
        if let driftvakt_config::model::DeviceLink::Bacnet(b) = &mut d.link {
            b.cov = Some(CovSettings { lifetime: Duration::from_secs(300), renew_at_fraction: 0.8, check_interval: Duration::from_secs(60) });
        }
    }
    // The alarm tap passes only watched points: watch this one.
    cov_cfg.alarms.rules.push(AlarmRule {
        id: "bench.cov".into(),
        point: point.id.clone(),
        kind: RuleKind::Stale { after: Duration::from_secs(3600) },
        class: AlarmClass::B,
        system: point.system,
        text: "COV".into(),
        text_en: None,
        on_delay: Duration::ZERO,
        off_delay: Duration::ZERO,
        conditions: Vec::new(),
    });
    let (tap_tx, mut tap) = tokio::sync::mpsc::channel::<Feed>(1024);
    let dir = tempfile::tempdir()?;
    let pipeline = Pipeline::start(&cov_cfg, dir.path(), Some(tap_tx))?;
    let sources = pipeline.source_stats();
    let subscribed = || stats_of::<BacnetStats>(&sources).map(|s| BacnetStats::get(&s.subscriptions)).sum::<u64>();
    let ready_by = Instant::now() + Duration::from_secs(10);
    while subscribed() == 0 {
        anyhow::ensure!(Instant::now() < ready_by, "lb01 was not subscribed within 10 s");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    while tap.try_recv().is_ok() {}
    let samples = 200;
    let mut latencies = Vec::with_capacity(samples);
    for i in 0..samples {
        let target = 100.0 + i as f64;
        let sent = Instant::now();
        sim.set_override(instance, object, Some(target));
        let wait = tokio::time::timeout(Duration::from_secs(2), async {
            while let Some(feed) = tap.recv().await {
                if feed.readings.iter().any(|r| r.point == point_id && r.value.as_ref().and_then(Value::as_f64).is_some_and(|v| (v - target).abs() < 1e-3)) {
                    return true;
                }
            }
            false
        })
        .await;
        if matches!(wait, Ok(true)) {
            latencies.push(sent.elapsed());
        }
    }
    sim.set_override(instance, object, None);
    let notifications: u64 = stats_of::<BacnetStats>(&sources).map(|s| BacnetStats::get(&s.cov_notifications)).sum();
    drop(pipeline.shutdown().await);
    latencies.sort();
    let pct = |p: f64| latencies.get(((latencies.len() as f64 - 1.0) * p).round() as usize).map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0);
    outln!("== BACnet COV notification latency: value change in the device → reading at a pipeline tap ({samples} changes)")?;
    outln!(
        "  received {} of {samples}; median {:.2} ms, p95 {:.2} ms, max {:.2} ms ({notifications} notifications)",
        latencies.len(),
        pct(0.5),
        pct(0.95),
        pct(1.0)
    )?;
    Ok(())
}
