//! External sinks: InfluxDB (v2 and v1 write APIs, and VictoriaMetrics through v2) and MQTT
//! telemetry, fed from the embedded store by position — store-and-forward without a second queue.
//!
//! Every reading is already durable in the store, in commit order. Each sink keeps its position
//! (the store's [`driftvakt_store::Position`] of the last delivered reading) and reads forward in
//! batches, woken by the writer's commits. While a server is down polling never waits: readings
//! pile up in the store only, and are replayed in order when it returns. The bound is the raw
//! retention (plus `max_backlog_readings`); whatever a sink loses that way is counted in its
//! [`SinkHealth`] and logged.

pub mod backlog;
pub mod forward;
pub mod http;
pub mod line;
pub mod mqtt;
pub mod telemetry;
pub mod transport;

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use driftvakt_config::model::Config;
use driftvakt_domain::clock::{Clock, SystemClock};
use driftvakt_store::Position;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::monitor::SinkHealth;
use backlog::Backlog;
use forward::{Drain, ForwardSettings, Forwarder};
use http::Writer;
use mqtt::MqttTransport;
use transport::Transport;

/// The running sinks.
pub struct Sinks {
    tasks: Vec<(Arc<SinkHealth>, JoinHandle<()>)>,
    drain: watch::Sender<Option<Instant>>,
}

impl Sinks {
    /// Start every sink of `config`, reading the store in `data_dir` (the writer must have
    /// created it) and woken by `committed` (the newest committed position).
    pub fn start(config: &Config, data_dir: &Path, committed: &watch::Receiver<Position>) -> Result<Sinks> {
        let (drain, drain_rx) = watch::channel(None);
        let mut sinks = Sinks { tasks: Vec::new(), drain };
        for sink in &config.sinks.influxdb {
            let writer = Writer::new(sink, &config.site.id, config.sinks.instance.as_deref());
            sinks.spawn(ForwardSettings::from(sink), writer, data_dir, committed, &drain_rx)?;
        }
        if let Some(sink) = config.sinks.mqtt.as_ref().filter(|s| s.enabled) {
            match config.mqtt.as_ref() {
                Some(broker) if broker.enabled => {
                    let transport = MqttTransport::new(sink, broker);
                    sinks.spawn(ForwardSettings::from(sink), transport, data_dir, committed, &drain_rx)?;
                }
                _ => tracing::warn!(sink = %sink.id, "[sinks.mqtt] is on but [mqtt] is disabled: no MQTT telemetry"),
            }
        }
        Ok(sinks)
    }

    fn spawn<T: Transport>(
        &mut self,
        settings: ForwardSettings,
        transport: T,
        data_dir: &Path,
        committed: &watch::Receiver<Position>,
        drain: &Drain,
    ) -> Result<()> {
        let backlog = Backlog::open(data_dir, &settings.id).with_context(|| format!("sink {}: opening the store", settings.id))?;
        let health = Arc::new(SinkHealth::new(&settings.id, transport.kind()));
        let fwd = Forwarder::new(settings, transport, backlog, health.clone(), committed.clone(), drain.clone());
        self.tasks.push((health, tokio::spawn(fwd.run())));
        Ok(())
    }

    /// Health of every sink, in configuration order.
    pub fn health(&self) -> Vec<Arc<SinkHealth>> {
        self.tasks.iter().map(|(h, _)| h.clone()).collect()
    }

    /// Deliver what the store holds, but stop by `deadline`; undelivered readings stay in the
    /// store and are sent after the next start.
    pub async fn shutdown(self, deadline: Instant) {
        self.drain.send_replace(Some(deadline));
        for (health, mut task) in self.tasks {
            let grace = deadline + std::time::Duration::from_millis(200);
            if tokio::time::timeout_at(grace, &mut task).await.is_err() {
                tracing::warn!(sink = %health.id, "sink did not stop in time; aborting it");
                task.abort();
            }
            let s = health.snapshot(SystemClock.now_ms());
            tracing::info!(sink = %s.id, kind = %s.kind, delivered = s.delivered, dropped = s.dropped,
                backlog = s.backlog, "sink stopped; its backlog is delivered after the next start");
        }
    }
}

#[cfg(test)]
mod tests {
    //! The forwarding rules against a minimal HTTP responder (the real servers are in the e2e
    //! tests): bound, rejection, retry, resume after restart.
    use super::*;
    use driftvakt_store::{PointMeta, StoreWriter};
    use driftvakt_config::model::{InfluxApi, InfluxSink};
    use driftvakt_domain::{Quality, Reading, Value};
    use std::sync::Mutex;
    use std::sync::atomic::Ordering::Relaxed;
    use std::time::Duration;
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

    /// Answers every request with the next status of `statuses` (the last one repeats) and
    /// records each request body.
    struct Responder {
        url: String,
        bodies: Arc<Mutex<Vec<String>>>,
    }

    async fn responder(statuses: Vec<u16>) -> Responder {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let seen = bodies.clone();
        let statuses = Arc::new(Mutex::new(statuses));
        tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                let (seen, statuses) = (seen.clone(), statuses.clone());
                tokio::spawn(async move {
                    let (r, mut w) = sock.into_split();
                    let mut r = BufReader::new(r);
                    loop {
                        let mut len = 0usize;
                        let mut line = String::new();
                        loop {
                            line.clear();
                            if r.read_line(&mut line).await.unwrap_or(0) == 0 {
                                return;
                            }
                            if line == "\r\n" {
                                break;
                            }
                            let lower = line.to_ascii_lowercase();
                            if let Some(v) = lower.strip_prefix("content-length:") {
                                len = v.trim().parse().unwrap_or(0);
                            }
                        }
                        let mut body = vec![0; len];
                        if r.read_exact(&mut body).await.is_err() {
                            return;
                        }
                        seen.lock().expect("lock").push(String::from_utf8_lossy(&body).into_owned());
                        let status = {
                            let mut s = statuses.lock().expect("lock");
                            if s.len() > 1 { s.remove(0) } else { s[0] }
                        };
                        let resp = format!("HTTP/1.1 {status} X\r\ncontent-length: 0\r\n\r\n");
                        if w.write_all(resp.as_bytes()).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        Responder { url, bodies }
    }

    fn config(url: &str, max_backlog: Option<u64>) -> Config {
        let mut c: Config = driftvakt_config::parse_str("[site]\nid = \"s\"\nname = \"S\"\n", "t.toml")
            .config
            .expect("minimal config");
        c.sinks.influxdb.push(InfluxSink {
            id: "t".into(),
            url: url.to_string(),
            api: InfluxApi::V1 { database: "d".into(), retention_policy: None, username: None, password: None },
            batch_size: 1000,
            flush_interval: Duration::from_millis(10),
            timeout: Duration::from_secs(2),
            retry_max: Duration::from_millis(50),
            max_backlog_readings: max_backlog,
            backfill: true,
        });
        c
    }

    fn store(dir: &Path, n: i64, from: i64) -> StoreWriter {
        let meta = [PointMeta { id: "g1.p".into(), unit: "kW".into(), system: "reservkraft".into() }];
        let w = StoreWriter::start(dir, &meta, &Default::default()).expect("store");
        let t = SystemClock.now_ms();
        let batch = (from..from + n)
            .map(|i| Reading { point: Arc::from("g1.p"), time_ms: t + i, value: Some(Value::Number(i as f64)), quality: Quality::Good })
            .collect();
        w.sender().blocking_send(batch).expect("send");
        w
    }

    async fn until(what: &str, mut f: impl FnMut() -> bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while !f() {
            assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    fn lines(r: &Responder) -> Vec<String> {
        r.bodies.lock().expect("lock").iter().flat_map(|b| b.lines().map(str::to_string).collect::<Vec<_>>()).collect()
    }

    async fn start(cfg: &Config, dir: &Path, w: &StoreWriter) -> Sinks {
        Sinks::start(cfg, dir, &w.committed()).expect("sinks")
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn over_the_bound_the_oldest_are_dropped_and_counted() {
        let dir = tempfile::tempdir().expect("tempdir");
        let srv = responder(vec![204]).await;
        let w = tokio::task::block_in_place(|| store(dir.path(), 100, 0));
        let sinks = start(&config(&srv.url, Some(30)), dir.path(), &w).await;
        let h = sinks.health().remove(0);
        until("30 delivered", || h.delivered.load(Relaxed) == 30).await;
        assert_eq!(h.dropped_backlog.load(Relaxed), 70);
        let got = lines(&srv);
        assert_eq!(got.len(), 30);
        assert!(got[0].starts_with("driftvakt,device=g1,point=p,site=s,system=reservkraft,unit=kW value=70,"), "{}", got[0]);
        sinks.shutdown(tokio::time::Instant::now() + Duration::from_secs(1)).await;
        tokio::task::block_in_place(|| w.finish());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_rejected_batch_is_counted_once_and_failures_are_retried() {
        let dir = tempfile::tempdir().expect("tempdir");
        // 500 twice (retried), then 400 (rejected, not retried), then fine.
        let srv = responder(vec![500, 500, 400, 204]).await;
        let w = tokio::task::block_in_place(|| store(dir.path(), 10, 0));
        let sinks = start(&config(&srv.url, None), dir.path(), &w).await;
        let h = sinks.health().remove(0);
        until("the batch rejected", || h.rejected.load(Relaxed) == 10).await;
        assert_eq!(h.write_errors.load(Relaxed), 3, "two failures and one rejection");
        assert_eq!(srv.bodies.lock().expect("lock").len(), 3, "the rejected batch is not sent again");
        assert!(h.last_error().is_some_and(|e| e.contains("400")));
        w.sender().send(vec![Reading { point: Arc::from("g1.p"), time_ms: SystemClock.now_ms(), value: None, quality: Quality::CommFail }])
            .await
            .expect("send");
        until("the next reading delivered", || h.delivered.load(Relaxed) == 1).await;
        assert!(lines(&srv).last().is_some_and(|l| l.contains(" quality=2i ")));
        assert_eq!(h.dropped(), 10);
        sinks.shutdown(tokio::time::Instant::now() + Duration::from_secs(1)).await;
        tokio::task::block_in_place(|| w.finish());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_restart_resumes_at_the_saved_position() {
        let dir = tempfile::tempdir().expect("tempdir");
        let srv = responder(vec![204]).await;
        let cfg = config(&srv.url, None);
        let w = tokio::task::block_in_place(|| store(dir.path(), 10, 0));
        let sinks = start(&cfg, dir.path(), &w).await;
        let h = sinks.health().remove(0);
        until("10 delivered", || h.delivered.load(Relaxed) == 10).await;
        sinks.shutdown(tokio::time::Instant::now() + Duration::from_secs(1)).await;
        tokio::task::block_in_place(|| w.finish());

        let w = tokio::task::block_in_place(|| store(dir.path(), 5, 10));
        let sinks = start(&cfg, dir.path(), &w).await;
        let h = sinks.health().remove(0);
        until("5 more delivered", || h.delivered.load(Relaxed) == 5).await;
        let got = lines(&srv);
        assert_eq!(got.len(), 15, "nothing twice, nothing lost");
        assert!(got[10].contains(" value=10,"), "{}", got[10]);
        assert_eq!((h.dropped(), h.backlog.load(Relaxed)), (0, 0));
        sinks.shutdown(tokio::time::Instant::now() + Duration::from_secs(1)).await;
        tokio::task::block_in_place(|| w.finish());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_sink_whose_server_is_down_stops_at_once_and_keeps_its_backlog() {
        let dir = tempfile::tempdir().expect("tempdir");
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
        let mut cfg = config(&format!("http://127.0.0.1:{port}"), None);
        cfg.sinks.influxdb[0].retry_max = Duration::from_secs(30);
        let w = tokio::task::block_in_place(|| store(dir.path(), 10, 0));
        let sinks = start(&cfg, dir.path(), &w).await;
        let h = sinks.health().remove(0);
        until("a failed write", || h.write_errors.load(Relaxed) >= 1).await;
        assert!(h.last_error().is_some_and(|e| e.contains("onnection refused")), "{:?}", h.last_error());
        let more = (0..5)
            .map(|i| Reading { point: Arc::from("g1.p"), time_ms: SystemClock.now_ms() + i, value: None, quality: Quality::CommFail })
            .collect();
        w.sender().send(more).await.expect("send");
        until("the backlog gauge to follow new commits", || h.backlog.load(Relaxed) == 15).await;
        let t = tokio::time::Instant::now();
        sinks.shutdown(t + Duration::from_secs(4)).await;
        assert!(t.elapsed() < Duration::from_secs(2), "stopping took {:?}", t.elapsed());
        assert_eq!((h.delivered.load(Relaxed), h.backlog.load(Relaxed), h.dropped()), (0, 15, 0));
        tokio::task::block_in_place(|| w.finish());
    }
}
