//! The exercise actor: one task owns the runs' table ([`ExerciseDb`]) and the
//! [`ExerciseMonitor`]. Role readings arrive through the pipeline's [`super::tap::ExerciseTap`],
//! commands through [`ExerciseHandle`] (HTTP API, MQTT command topic). A run is written when it
//! starts, so after a crash the restarted daemon finds it running; it then replays the run's
//! stored readings (from `started − lead`) through the monitor before it takes live ones, so the
//! live failures are as if it had never stopped. Every second, and whenever they change, the
//! live failures go to the alarm actor as the readings `exercise.<criterion>`; while an exercise
//! (not an outage) runs, the alarm actor marks activations of `expected_alarms` as expected.
//! While any run is active (a restarted daemon's resumed run too), the [`PollBoost`] is set to
//! `fast_poll_ms`, if configured: the drivers poll the devices holding role and watched points
//! that often (reads only); it is cleared when the run stops.
//!
//! The actor ends when the tap closes (the router has drained), dropping its end of the alarm
//! feed, so it stops with everything else by the one stop deadline.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use driftvakt_config::model::{Config, ExerciseKind, ExerciseSettings, Language};
use driftvakt_domain::clock::{Clock, SystemClock};
use driftvakt_domain::exercise::{Run, Timeline};
use driftvakt_domain::fmt::local_datetime;
use driftvakt_domain::text::exercise_live::ExerciseLive;
use driftvakt_domain::text::fill;
use driftvakt_domain::Reading;
use driftvakt_drivers::PollBoost;
use jiff::tz::TimeZone;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use super::command::{Command, CommandError, ExerciseHandle, Request, exercise_kind};
use super::live::{ExerciseMonitor, MonitorAction};
use super::store::ExerciseDb;
use super::tap::TAP_CAPACITY;
use crate::alarm::service::AlarmHandle;
use crate::alarm::tap::Feed;

/// How often the live failures are sent to the alarm actor even when unchanged.
pub const FAILURES_EVERY: Duration = Duration::from_secs(1);

/// Who starts and stops a detected outage.
pub const DAEMON: &str = "driftvakt";

/// The name a detected outage is recorded with: "Strömavbrott <local time>" (the store keeps
/// one name; reports translate the kind, not the name).
pub fn outage_name(at_ms: i64, tz: &TimeZone) -> String {
    fill(ExerciseLive::of(Language::Sv).outage_name, &[("time", local_datetime(at_ms, tz))])
}

/// Commands that may wait for the actor.
const REQUESTS: usize = 64;

/// The running exercise actor.
pub struct ExerciseService {
    handle: ExerciseHandle,
    task: Option<JoinHandle<()>>,
}

impl ExerciseService {
    /// Open the runs' table in `data_dir` and start the actor, when `config` has `[exercise]`
    /// (`None` otherwise). Returns the service and the channel the pipeline's exercise tap feeds.
    /// `alarm_feed` is the alarm actor's readings channel (the live failures go there); `boost`
    /// is set while a run is active (already here when a run is resumed).
    pub fn start(config: &Config, data_dir: &Path, alarms: AlarmHandle, alarm_feed: mpsc::Sender<Feed>, boost: PollBoost) -> Result<Option<(ExerciseService, mpsc::Sender<Vec<Reading>>)>> {
        let Some(settings) = config.exercise.clone() else { return Ok(None) };
        let db = ExerciseDb::open(data_dir).with_context(|| format!("opening the exercise tables in {}", data_dir.display()))?;
        let active = db.active()?;
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        // Readings before this are the previous daemon's (replayed from the store); after it, live.
        let resume_ms = clock.now_ms();
        let tz = TimeZone::get(&config.site.timezone).unwrap_or(TimeZone::UTC);
        let (active_tx, active_rx) = watch::channel(active.clone());
        let (timeline_tx, timeline_rx) = watch::channel(None);
        let (tx, requests) = mpsc::channel(REQUESTS);
        let (tap_tx, readings) = mpsc::channel(TAP_CAPACITY);
        if let Some(run) = &active {
            tracing::info!(run = run.id, kind = run.kind.key(), name = %run.name, "an exercise run is still running; resuming it");
        }
        // Before the sources start, so a resumed run is polled fast from the first cycle.
        boost.set(active.as_ref().and(settings.fast_poll));
        let actor = Actor {
            monitor: ExerciseMonitor::new(&settings, active.clone()),
            settings,
            db: Some(db),
            data_dir: data_dir.to_path_buf(),
            alarms,
            alarm_feed,
            active_tx,
            timeline_tx,
            boost,
            clock,
            tz,
        };
        let task = tokio::spawn(actor.run(readings, requests, active, resume_ms));
        let handle = ExerciseHandle { tx, active: active_rx, timeline: timeline_rx };
        Ok(Some((ExerciseService { handle, task: Some(task) }, tap_tx)))
    }

    /// The front ends' handle.
    pub fn handle(&self) -> ExerciseHandle {
        self.handle.clone()
    }

    /// Wait (at most until `deadline`) for the actor to end: it ends once the pipeline's router
    /// has closed the tap.
    pub async fn shutdown_by(mut self, deadline: tokio::time::Instant) {
        if let Some(mut t) = self.task.take()
            && tokio::time::timeout_at(deadline, &mut t).await.is_err()
        {
            tracing::error!("the exercise service did not stop by the stop deadline");
            t.abort();
        }
    }
}

struct Actor {
    settings: ExerciseSettings,
    /// `None` only while a blocking call has it.
    db: Option<ExerciseDb>,
    data_dir: PathBuf,
    monitor: ExerciseMonitor,
    alarms: AlarmHandle,
    alarm_feed: mpsc::Sender<Feed>,
    active_tx: watch::Sender<Option<Run>>,
    /// The running run's timeline, for the front ends (the web page's live timeline).
    timeline_tx: watch::Sender<Option<Arc<Timeline>>>,
    /// Set to `fast_poll` while a run is active.
    boost: PollBoost,
    clock: Arc<dyn Clock>,
    tz: TimeZone,
}

impl Actor {
    async fn run(mut self, mut readings: mpsc::Receiver<Vec<Reading>>, mut requests: mpsc::Receiver<Request>, active: Option<Run>, resume_ms: i64) {
        if let Some(run) = active {
            self.expect(Some(&run));
            self.replay(&run, resume_ms).await;
        }
        let mut every = tokio::time::interval(FAILURES_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                batch = readings.recv() => {
                    let Some(batch) = batch else { break };
                    let actions = self.monitor.observe(&batch);
                    self.act(actions).await;
                    let now = self.clock.now_ms();
                    if self.monitor.failures_changed(now) {
                        self.send_failures(now).await;
                    }
                }
                Some(req) = requests.recv() => {
                    let answer = self.command(req.command).await;
                    let _ = req.reply.send(answer);
                }
                _ = every.tick() => {
                    let now = self.clock.now_ms();
                    self.monitor.failures_changed(now);
                    self.send_failures(now).await;
                    self.publish();
                }
            }
        }
        tracing::info!("exercise service stopped");
    }

    /// Feed the run's stored readings from `started − lead` up to `resume_ms` (the previous
    /// daemon's) through the monitor, in time order.
    async fn replay(&mut self, run: &Run, resume_ms: i64) {
        let from = run.started_ms.saturating_sub(i64::try_from(self.settings.lead.as_millis()).unwrap_or(0));
        let points: Vec<String> = self.monitor.points().map(str::to_string).collect();
        let dir = self.data_dir.clone();
        let read = tokio::task::spawn_blocking(move || stored_readings(&dir, &points, from, resume_ms)).await;
        let readings = match read {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => {
                tracing::warn!(run = run.id, error = %format!("{e:#}"), "cannot replay the run's stored readings; its live failures start from now");
                return;
            }
            Err(e) => {
                tracing::warn!(run = run.id, error = %e, "replaying the run's stored readings failed");
                return;
            }
        };
        tracing::info!(run = run.id, readings = readings.len(), "replayed the running run's stored readings");
        // One batch per instant, so outage decisions fall at the right times.
        for same in readings.chunk_by(|a, b| a.time_ms == b.time_ms) {
            let actions = self.monitor.observe(same);
            self.act(actions).await;
        }
    }

    async fn act(&mut self, actions: Vec<MonitorAction>) {
        for a in actions {
            match a {
                MonitorAction::StartOutage { at_ms } => {
                    let name = outage_name(at_ms, &self.tz);
                    match self.blocking(move |db| db.start(ExerciseKind::Outage, &name, DAEMON, at_ms)).await {
                        Ok(run) => {
                            tracing::warn!(run = run.id, name = %run.name, "mains lost with no exercise running: outage started");
                            self.started(run);
                        }
                        Err(e) => {
                            tracing::error!(error = %e, "mains lost, but the outage cannot be recorded");
                            self.monitor.refused();
                        }
                    }
                }
                MonitorAction::StopOutage { at_ms } => match self.blocking(move |db| db.stop(DAEMON, at_ms)).await {
                    Ok(Some(run)) => {
                        tracing::info!(run = run.id, "mains back and the plant on normal supply: outage ended");
                        self.stopped();
                    }
                    Ok(None) => self.stopped(),
                    Err(e) => {
                        tracing::error!(error = %e, "the outage has ended, but its end cannot be recorded");
                        self.monitor.refused();
                    }
                },
            }
        }
    }

    async fn command(&mut self, command: Command) -> Result<Run, CommandError> {
        let now = self.clock.now_ms();
        match command {
            Command::Start { kind, name, by } => {
                let kind = exercise_kind(kind.trim())?;
                let (name, by) = (name.trim().to_string(), by.trim().to_string());
                if name.is_empty() || by.is_empty() {
                    return Err(CommandError::Refused("a start needs a name and who starts it (--name, --by)".into()));
                }
                if let Some(run) = self.monitor.active() {
                    return Err(CommandError::Refused(running(run)));
                }
                let run = self.blocking(move |db| db.start(kind, &name, &by, now)).await.map_err(CommandError::Store)?;
                tracing::info!(run = run.id, kind = run.kind.key(), name = %run.name, by = %run.started_by, "exercise started");
                self.started(run.clone());
                Ok(run)
            }
            Command::Stop { by } => {
                let by = by.trim().to_string();
                if by.is_empty() {
                    return Err(CommandError::Refused("a stop needs who stops it (--by)".into()));
                }
                if self.monitor.active().is_none() {
                    return Err(CommandError::Refused("no exercise is running".into()));
                }
                let run = self.blocking(move |db| db.stop(&by, now)).await.map_err(CommandError::Store)?;
                self.stopped();
                let run = run.ok_or_else(|| CommandError::Refused("no exercise is running".into()))?;
                tracing::info!(run = run.id, by = ?run.stopped_by, "run stopped by hand");
                Ok(run)
            }
            Command::Note { by, text } => {
                let (by, text) = (by.trim().to_string(), text.trim().to_string());
                if by.is_empty() || text.is_empty() {
                    return Err(CommandError::Refused("a note needs a text and who writes it".into()));
                }
                if self.monitor.active().is_none() {
                    return Err(CommandError::Refused("no exercise is running".into()));
                }
                let run = self.blocking(move |db| db.note(&by, &text, now)).await.map_err(CommandError::Store)?;
                self.monitor.update_run(run.clone());
                self.active_tx.send_replace(Some(run.clone()));
                self.publish();
                Ok(run)
            }
        }
    }

    fn started(&mut self, run: Run) {
        self.expect(Some(&run));
        self.boost.set(self.settings.fast_poll);
        self.monitor.started(run.clone());
        self.active_tx.send_replace(Some(run));
        self.publish();
    }

    fn stopped(&mut self) {
        self.monitor.stopped();
        self.expect(None);
        self.boost.set(None);
        self.active_tx.send_replace(None);
        self.publish();
    }

    /// Publish the running run's timeline as the monitor has it now (a copy: the front ends
    /// read it while the monitor goes on).
    fn publish(&self) {
        let timeline = self.monitor.timeline().map(|t| Arc::new(t.clone()));
        if timeline.is_some() || self.timeline_tx.borrow().is_some() {
            self.timeline_tx.send_replace(timeline);
        }
    }

    /// Tell the alarm actor which alarms the running exercise explains (a real outage explains none).
    fn expect(&self, run: Option<&Run>) {
        let expected = run.filter(|r| r.kind.is_exercise()).map(|r| (r.id, self.settings.expected_alarms.clone()));
        self.alarms.set_expected(expected);
    }

    async fn send_failures(&mut self, now: i64) {
        let feed = Feed { readings: self.monitor.failure_readings(now), health: Vec::new() };
        // The alarm actor gone means the daemon is stopping: nothing to do.
        let _ = self.alarm_feed.send(feed).await;
    }

    /// Run `f` on the runs' table off the async threads.
    async fn blocking<T: Send + 'static>(&mut self, f: impl FnOnce(&mut ExerciseDb) -> Result<T> + Send + 'static) -> Result<T, String> {
        let mut db = match self.db.take() {
            Some(db) => db,
            None => ExerciseDb::open(&self.data_dir).map_err(|e| format!("{e:#}"))?,
        };
        let done = tokio::task::spawn_blocking(move || {
            let r = f(&mut db);
            (db, r)
        })
        .await;
        match done {
            Ok((db, r)) => {
                self.db = Some(db);
                r.map_err(|e| format!("{e:#}"))
            }
            Err(e) => Err(format!("the store call failed: {e}")),
        }
    }
}

/// Why a start is refused while `run` runs.
fn running(run: &Run) -> String {
    match run.kind {
        ExerciseKind::Outage => format!("an outage is running (run {}, {}); stop it first", run.id, run.name),
        _ => format!("run {} ({}) is still running; stop it first", run.id, run.name),
    }
}

/// The stored readings of `points` in `[from_ms, to_ms)`, in time order (points interleaved).
fn stored_readings(dir: &Path, points: &[String], from_ms: i64, to_ms: i64) -> Result<Vec<Reading>> {
    let store = driftvakt_store::Store::open_read_only(dir)?;
    let mut out = Vec::new();
    for p in points {
        let id: Arc<str> = Arc::from(p.as_str());
        match store.readings(p, from_ms, to_ms) {
            Ok(rs) => out.extend(rs.into_iter().map(|r| Reading { point: id.clone(), time_ms: r.time_ms, value: r.value, quality: r.quality })),
            Err(driftvakt_store::StoreError::UnknownPoint(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    out.sort_by_key(|r| r.time_ms);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alarm::service::AlarmService;
    use driftvakt_domain::{Quality, Value};

    fn mains(available: bool, time_ms: i64) -> Vec<Reading> {
        vec![Reading { point: Arc::from("ats.mains_available"), time_ms, value: Some(Value::Bool(available)), quality: Quality::Good }]
    }

    /// The run as the actor announces it next.
    async fn next_active(handle: &mut ExerciseHandle) -> Option<Run> {
        handle.active.changed().await.expect("actor running");
        handle.active.borrow_and_update().clone()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_poll_boost_is_on_while_a_run_is_active_and_again_after_a_restart() {
        let dir = tempfile::tempdir().expect("tempdir");
        let src = include_str!("../../../../config/examples/reference-hospital.toml");
        let config = driftvakt_config::parse_str(src, "reference-hospital.toml").config.expect("example is valid");
        let fast = config.exercise.as_ref().and_then(|e| e.fast_poll);
        assert_eq!(fast, Some(Duration::from_millis(500)));
        let (alarms, alarm_feed) = AlarmService::start(&config, dir.path(), Vec::new()).expect("alarms");
        let stop_by = || tokio::time::Instant::now() + Duration::from_secs(5);

        let boost = PollBoost::new();
        let (service, tap) = ExerciseService::start(&config, dir.path(), alarms.handle(), alarm_feed.clone(), boost.clone()).expect("start").expect("[exercise]");
        let mut handle = service.handle();
        assert_eq!(boost.get(), None, "nothing running");
        let start = Command::Start { kind: "monthly".into(), name: "prov".into(), by: "test".into() };
        handle.send(start).await.expect("started");
        assert_eq!(boost.get(), fast, "an exercise runs");
        handle.send(Command::Stop { by: "test".into() }).await.expect("stopped");
        assert_eq!(boost.get(), None, "stopped");

        // A mains loss with nothing running: an outage, polled fast as well.
        handle.active.borrow_and_update();
        let now = SystemClock.now_ms();
        tap.send(mains(true, now)).await.expect("tap");
        tap.send(mains(false, now + 1000)).await.expect("tap");
        let outage = next_active(&mut handle).await.expect("an outage");
        assert_eq!(outage.kind, ExerciseKind::Outage);
        assert_eq!(boost.get(), fast, "an outage runs");
        drop(tap);
        service.shutdown_by(stop_by()).await;

        // Restarted with the outage still running: on before the sources start.
        let boost = PollBoost::new();
        let (service, tap) = ExerciseService::start(&config, dir.path(), alarms.handle(), alarm_feed, boost.clone()).expect("restart").expect("[exercise]");
        assert_eq!(boost.get(), fast, "the resumed run is polled fast from the start");
        drop(tap);
        service.shutdown_by(stop_by()).await;
        alarms.shutdown_by(stop_by()).await;
    }
}
