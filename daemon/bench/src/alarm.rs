//! `driftvakt bench`, alarm part: latency from a value change in the simulator to the alarm's
//! MQTT publish, through the whole daemon (poll, pipeline tap, engine, store commit, outbox,
//! broker). Needs a real broker: starts `mosquitto` if it is installed.

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use driftvakt_config::model::{AlarmClass, AlarmRule, LimitLevel, RuleKind, System};
use driftvakt_sim::{self as sim, Scenario, SimOptions};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use tokio_util::sync::CancellationToken;

use driftvakt_runtime::out::outln;
use driftvakt_runtime::service::Service;
use driftvakt_sim::demo_config::{demo_config, point_bacnet_at};

/// Alarm id of the bench rule.
const RULE: &str = "bench_setpoint_high";
/// Value changes measured (each raise and each clear is one).
const CHANGES: usize = 40;

fn mosquitto() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin")])
        .map(|d| d.join("mosquitto"))
        .find(|p| p.is_file())
}

struct Broker(Child);

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Measure and print the alarm latency p50/p99 (or say why it cannot be measured).
pub async fn run(poll_ms: u64) -> Result<()> {
    outln!("== alarm latency: value change in the simulator → alarm published on MQTT (poll every {poll_ms} ms)")?;
    let Some(bin) = mosquitto() else {
        outln!("  not measured: needs an MQTT broker — install `mosquitto` (apt) and run the bench again")?;
        return Ok(());
    };
    let dir = tempfile::tempdir()?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let conf = dir.path().join("mosquitto.conf");
    std::fs::write(&conf, format!("listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"))?;
    let _broker = Broker(Command::new(bin).arg("-c").arg(&conf).stdout(Stdio::null()).stderr(Stdio::null()).spawn().context("starting mosquitto")?);
    let t0 = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        anyhow::ensure!(t0.elapsed() < Duration::from_secs(10), "mosquitto did not start");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let cancel = CancellationToken::new();
    let opts = SimOptions { scenario: Scenario::Normal, speed: 1.0, bind: [127, 0, 0, 1].into(), base_port: 0, bacnet_port: Some(0), ..SimOptions::default() };
    let sim = sim::start(opts, cancel.child_token()).await.context("starting the simulator")?;
    let mut config = demo_config(&sim.gateways)?;
    if let Some(b) = &sim.bacnet {
        point_bacnet_at(&mut config, b);
    }
    for d in &mut config.devices {
        d.poll_interval = Duration::from_millis(poll_ms);
    }
    config.api.enabled = false;
    config.notify.email = None;
    let prefix = "driftvakt/bench".to_string();
    config.mqtt = Some(crate::mqtt::local_broker(port, &prefix));
    config.alarms.rules.push(AlarmRule {
        id: RULE.into(),
        point: "aggregat.supply_air_setpoint".into(),
        kind: RuleKind::Limit { level: LimitLevel::High, limit: 25.0, deadband: 1.0 },
        class: AlarmClass::B,
        system: System::Ventilation,
        text: "Börvärde tilluft högt: {value}".into(),
        text_en: None,
        on_delay: Duration::ZERO,
        off_delay: Duration::ZERO,
        conditions: Vec::new(),
    });
    let service = Service::start(&config, dir.path()).await?;

    let mut sub = MqttOptions::new("driftvakt-bench-watch", "127.0.0.1", port);
    sub.set_keep_alive(Duration::from_secs(30));
    let (client, mut events) = AsyncClient::new(sub, 64);
    client.subscribe(format!("{prefix}/events"), QoS::AtLeastOnce).await?;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(Instant, serde_json::Value)>();
    let watcher = tokio::spawn(async move {
        while let Ok(ev) = events.poll().await {
            if let Event::Incoming(Packet::Publish(p)) = ev {
                let v: serde_json::Value = serde_json::from_slice(&p.payload).unwrap_or_default();
                if tx.send((Instant::now(), v)).is_err() {
                    break;
                }
            }
        }
    });
    // Let the daemon read normal values first.
    tokio::time::sleep(Duration::from_millis(poll_ms * 5 + 500)).await;

    let mut latencies = Vec::with_capacity(CHANGES);
    for k in 0..CHANGES {
        let (value, want) = if k % 2 == 0 { (30.0, "activated") } else { (19.0, "cleared") };
        let changed = Instant::now();
        sim.lock_plant().ahu.setpoint_c = value;
        let deadline = changed + Duration::from_secs(5);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, rx.recv()).await {
                Ok(Some((at, v))) if v["id"] == RULE && v["event"] == want => {
                    latencies.push(at.duration_since(changed));
                    break;
                }
                Ok(Some(_)) => {}
                _ => anyhow::bail!("no `{want}` event within 5 s of the value change"),
            }
        }
        // Spread the changes over the poll phase.
        tokio::time::sleep(Duration::from_millis(37)).await;
    }
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 - 1.0) * p).round() as usize];
    let ms = |d: Duration| format!("{:.0} ms", d.as_secs_f64() * 1000.0);
    outln!("  {} changes: p50 {}, p99 {}, max {} (includes waiting for the next poll, 0..{poll_ms} ms)", latencies.len(), ms(pct(0.5)), ms(pct(0.99)), ms(pct(1.0)))?;
    watcher.abort();
    service.shutdown().await;
    cancel.cancel();
    Ok(())
}
