//! The running daemon's data flow: one task per [`Source`] (a Modbus connection, a BACnet
//! network …) → router → embedded store, with the latest value of every point kept for status
//! screens. The pipeline does not know the protocols: `driftvakt_drivers::sources` lists them.
//!
//! Shutdown follows one cancellation signal: drivers stop and hand over what they read, the
//! router drains (closing the taps), the store writer commits everything, then
//! [`Pipeline::shutdown`] returns. [`Pipeline::shutdown_by`] does the same against a deadline:
//! what the router or the writer still hold then is counted as lost and logged with its count.

use std::path::Path;
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use driftvakt_config::model::Config;
use driftvakt_domain::Reading;
use driftvakt_drivers::{PollBoost, SourceStats};
use driftvakt_store::{PointMeta, Position, StoreWriter, WriterStats};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::alarm::tap::{AlarmTap, Feed};
use crate::exercise::tap::ExerciseTap;
use crate::intern::PointIndex;
use crate::monitor::DeviceReadings;

/// Latest reading of every point.
#[derive(Debug, Default)]
pub struct Live {
    latest: Mutex<Latest>,
}

/// The latest readings by interned point index (the router's index, shared under one lock).
#[derive(Debug, Default)]
struct Latest {
    index: PointIndex,
    readings: Vec<Option<Reading>>,
}

impl Live {
    /// The latest reading of a point.
    pub fn get(&self, point: &str) -> Option<Reading> {
        let latest = self.lock();
        let i = latest.index.find(point)?;
        latest.readings.get(i as usize)?.clone()
    }

    /// Keep `batch` as the latest readings (tests of the screens that read `Live`).
    #[cfg(test)]
    pub(crate) fn test_update(&self, batch: &[Reading]) {
        self.update(batch, &mut Vec::new());
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Latest> {
        self.latest.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Keep `batch` as the latest readings; `idx` gets each reading's point index.
    fn update(&self, batch: &[Reading], idx: &mut Vec<u32>) {
        let mut latest = self.lock();
        let Latest { index, readings } = &mut *latest;
        index.get_all(batch, idx);
        for (r, &i) in batch.iter().zip(idx.iter()) {
            let i = i as usize;
            if readings.len() <= i {
                readings.resize(index.len().max(i + 1), None);
            }
            match &mut readings[i] {
                Some(old) => {
                    old.time_ms = r.time_ms;
                    old.quality = r.quality;
                    old.value.clone_from(&r.value);
                }
                slot @ None => *slot = Some(r.clone()),
            }
        }
    }
}

/// A running pipeline.
pub struct Pipeline {
    cancel: CancellationToken,
    /// Cancelled at the stop deadline: the router stops forwarding and counts the rest as lost.
    give_up: CancellationToken,
    drivers: Vec<JoinHandle<()>>,
    router: JoinHandle<()>,
    writer: StoreWriter,
    live: Arc<Live>,
    sources: Arc<[Arc<dyn SourceStats>]>,
    devices: Arc<DeviceReadings>,
}

/// What a stopped pipeline did.
#[derive(Debug)]
pub struct Summary {
    /// Counters of the store writer.
    pub store: Arc<WriterStats>,
    /// Counters of every source (connection, network …), in start order.
    pub sources: Arc<[Arc<dyn SourceStats>]>,
}

/// Store metadata of every series the pipeline writes: each configured point, then each live
/// endurance series (`endurance.<id>`).
pub fn stored_points(config: &Config) -> Vec<PointMeta> {
    let mut metas: Vec<PointMeta> = config
        .points()
        .map(|(_, p)| PointMeta { id: p.id.clone(), unit: p.unit.clone(), system: p.system.key().to_string() })
        .collect();
    metas.extend(crate::endurance::live::point_metas(config));
    metas
}

impl Pipeline {
    /// Open the store in `data_dir` and start every source of `config`.
    /// After the store got a batch, what the alarm engine needs of it goes to `alarms` (see
    /// [`AlarmTap`]).
    pub fn start(config: &Config, data_dir: &Path, alarms: Option<mpsc::Sender<Feed>>) -> Result<Pipeline> {
        Pipeline::start_with(config, data_dir, alarms, None, None)
    }

    /// [`Pipeline::start`], and the readings of `[exercise]`'s points go to `exercise` (see
    /// [`ExerciseTap`]; only when `[exercise]` is configured); while `boost` is set, the devices
    /// holding those points are polled at its interval (`driftvakt_drivers::sources_with`).
    pub fn start_with(
        config: &Config,
        data_dir: &Path,
        alarms: Option<mpsc::Sender<Feed>>,
        exercise: Option<mpsc::Sender<Vec<Reading>>>,
        boost: Option<&PollBoost>,
    ) -> Result<Pipeline> {
        let metas = stored_points(config);
        // Live endurance: derived readings join each batch before the store and the taps see it.
        let mut endurance = (!config.reserves.is_empty()).then(|| {
            crate::endurance::live::LiveEndurance::new(Arc::new(config.clone()), crate::endurance::live::EMIT_EVERY_MS)
        });
        let writer = StoreWriter::start(data_dir, &metas, &config.store)
            .with_context(|| format!("opening the store in {}", data_dir.display()))?;
        // `store = "on_change"` points: only the store's batch is filtered (None: no such point, no cost).
        let mut on_change = driftvakt_domain::on_change::OnChangeFilter::from_config(config);
        let cancel = CancellationToken::new();
        let live = Arc::new(Live::default());
        let mut tap = {
            let mut latest = live.lock();
            for m in &metas {
                latest.index.intern(&m.id);
            }
            alarms.map(|tx| AlarmTap::new(config, &mut latest.index, tx))
        };
        let mut exercise_tap = {
            let mut latest = live.lock();
            config.exercise.as_ref().zip(exercise).map(|(settings, tx)| ExerciseTap::new(settings, &mut latest.index, tx))
        };
        let (tx, mut rx) = mpsc::channel::<Vec<Reading>>(1024);

        let sources = match boost {
            Some(b) => driftvakt_drivers::sources_with(config, b),
            None => driftvakt_drivers::sources(config),
        };
        let devices = Arc::new(DeviceReadings::new(config, &sources));
        let mut stats = Vec::new();
        let mut drivers = Vec::new();
        for source in sources {
            stats.push(source.stats());
            drivers.push(tokio::spawn(source.run(tx.clone(), cancel.child_token())));
        }
        drop(tx);

        let store_tx = writer.sender();
        let give_up = CancellationToken::new();
        let router_give_up = give_up.clone();
        let router_stats = writer.stats();
        let router_live = live.clone();
        let router_devices = devices.clone();
        let router = tokio::spawn(async move {
            let mut lost = 0usize;
            let mut idx = Vec::new();
            loop {
                let deadline = tap.as_ref().and_then(AlarmTap::deadline);
                let next = tokio::select! {
                    b = rx.recv() => b,
                    () = sleep_until_some(deadline) => {
                        flush_tap(tap.as_mut(), &router_give_up).await;
                        continue;
                    }
                };
                let Some(mut batch) = next else { break };
                if router_give_up.is_cancelled() {
                    lost += batch.len();
                    continue;
                }
                if let Some(e) = endurance.as_mut() {
                    let derived = e.on_batch(&batch);
                    batch.extend(derived);
                }
                router_live.update(&batch, &mut idx);
                router_devices.count(&batch);
                if let Some(t) = tap.as_mut() {
                    t.observe(&batch, &idx);
                }
                if let Some(t) = exercise_tap.as_mut() {
                    t.observe(&batch, &idx);
                }
                if let Some(f) = on_change.as_mut() {
                    f.retain(&mut batch);
                }
                let n = batch.len();
                let sent = tokio::select! {
                    r = store_tx.send(batch) => r.is_ok(),
                    () = router_give_up.cancelled() => false,
                };
                if !sent {
                    lost += n;
                    continue;
                }
                if tap.as_ref().is_some_and(AlarmTap::due) {
                    flush_tap(tap.as_mut(), &router_give_up).await;
                }
                if let Some(t) = exercise_tap.as_mut() {
                    tokio::select! {
                        _ = t.flush() => {}
                        () = router_give_up.cancelled() => {}
                    }
                }
            }
            if !router_give_up.is_cancelled() {
                flush_tap(tap.as_mut(), &router_give_up).await;
            }
            if lost > 0 {
                router_stats.readings_lost.fetch_add(lost as u64, std::sync::atomic::Ordering::Relaxed);
                tracing::error!(readings = lost, stage = "router", "readings could not be committed before the stop deadline and are lost");
            }
        });
        Ok(Pipeline { cancel, give_up, drivers, router, writer, live, sources: Arc::from(stats), devices })
    }

    /// Latest values, for status screens.
    pub fn live(&self) -> Arc<Live> {
        self.live.clone()
    }

    /// The position of the newest committed reading (sinks read the store forward up to it).
    pub fn committed(&self) -> tokio::sync::watch::Receiver<Position> {
        self.writer.committed()
    }

    /// Counters of every source (connection, network …), while running.
    pub fn source_stats(&self) -> Arc<[Arc<dyn SourceStats>]> {
        self.sources.clone()
    }

    /// Counters of the store writer, while running.
    pub fn store_stats(&self) -> Arc<WriterStats> {
        self.writer.stats()
    }

    /// Readings per device (every protocol), while running.
    pub fn device_readings(&self) -> Arc<DeviceReadings> {
        self.devices.clone()
    }

    /// Stop polling and commit every reading already taken.
    pub async fn shutdown(self) -> Summary {
        self.stop(None).await
    }

    /// Stop polling and commit what can be committed by `deadline`; the rest is counted as lost
    /// and logged with its count.
    pub async fn shutdown_by(self, deadline: Instant) -> Summary {
        self.stop(Some(deadline)).await
    }

    async fn stop(self, deadline: Option<Instant>) -> Summary {
        self.cancel.cancel();
        if let Some(d) = deadline {
            self.writer.stop_at(d.into_std());
        }
        let drivers_by = Instant::now() + crate::stop::DRIVERS;
        let drivers_by = deadline.map_or(drivers_by, |d| d.min(drivers_by));
        for mut h in self.drivers {
            if tokio::time::timeout_at(drivers_by, &mut h).await.is_err() {
                tracing::warn!("a source task did not stop in time; aborting it");
                h.abort();
            }
        }
        let mut router = self.router;
        let routed = match deadline {
            Some(d) => match tokio::time::timeout_at(d, &mut router).await {
                Ok(r) => r,
                Err(_) => {
                    self.give_up.cancel();
                    router.await
                }
            },
            None => router.await,
        };
        if let Err(e) = routed {
            tracing::error!(error = %e, "reading router failed");
        }
        let writer = self.writer;
        let store = tokio::task::spawn_blocking(move || writer.finish())
            .await
            .unwrap_or_else(|_| Arc::new(WriterStats::default()));
        Summary { store, sources: self.sources }
    }
}

/// Sleep until `deadline`; forever without one.
async fn sleep_until_some(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

/// Hand what waits in the alarm tap to the alarm actor (a tap that has stopped is not a reason
/// to stop storing readings).
async fn flush_tap(tap: Option<&mut AlarmTap>, give_up: &CancellationToken) {
    if let Some(t) = tap {
        tokio::select! {
            _ = t.flush() => {}
            () = give_up.cancelled() => {}
        }
    }
}

/// Wait for SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM; only Ctrl-C stops the daemon");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
