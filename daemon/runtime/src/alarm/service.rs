//! The alarm actor: one thread owns the engine and the alarm tables. Readings arrive through a
//! pipeline tap, operator commands and notifier requests through [`AlarmHandle`]; a timer
//! tick drives delays, repeats and escalations. Every decision is committed to the store
//! before any notifier sees it — unless the store cannot commit (disk full): then decisions and
//! delivery records wait in memory ([`super::behind`]) and notifiers are served from the
//! in-memory outbox ([`super::outbox`]) anyway, and the daemon's own A alarm
//! `driftvakt.store_failing` tells the operator. Notifiers run as separate tasks and never hold
//! up the actor, and the actor never waits for them — polling and the demo go on when a server
//! is down.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc as std_mpsc;
use std::time::Duration;

use anyhow::{Context, Result};
use driftvakt_config::model::{Config, Language, RecipientGroup};
use driftvakt_domain::Reading;
use driftvakt_domain::backoff::Backoff;
use driftvakt_domain::clock::{Clock, SystemClock};
use driftvakt_domain::alarm::engine::{AlarmError, Engine};
use driftvakt_domain::alarm::model::{AlarmRecord, AlarmState, Change, ChangeKind, operator_list};
use driftvakt_domain::plan::{EmailIntent, EmailKind, IncidentView, PlanState, Planner, SentRow};
use jiff::tz::TimeZone;
use tokio::sync::{Notify, mpsc, oneshot};

use super::behind::WriteBehind;
use super::outbox::Outbox;
use super::store::{AlarmDb, JournalEntry, NewOutbox, OutboxRow, Write};
use crate::notify::render::{self, Email};
use driftvakt_store::WriterStats;

/// How often the engine is ticked.
const TICK: Duration = Duration::from_millis(250);
/// How often delivered notifications are pruned from the outbox, and how old they must be.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);
const KEEP_DELIVERED_MS: i64 = 30 * 86_400_000;
/// Readings batches that may wait in the tap.
const TAP_CAPACITY: usize = 1024;

/// Notification channels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    /// E-mail.
    Email,
    /// MQTT.
    Mqtt,
}

impl Channel {
    /// Keyword in the outbox.
    pub fn key(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Mqtt => "mqtt",
        }
    }
}

/// Notification attempts since the daemon started, per channel (for `GET /metrics`).
#[derive(Debug, Default)]
pub struct NotifyStats {
    /// E-mails the server accepted.
    pub email_sent: AtomicU64,
    /// E-mail attempts that failed (each is retried with backoff).
    pub email_failed: AtomicU64,
    /// MQTT notifications the broker acknowledged.
    pub mqtt_sent: AtomicU64,
    /// MQTT notification attempts that failed.
    pub mqtt_failed: AtomicU64,
}

impl NotifyStats {
    fn count(&self, channel: Channel, ok: bool) {
        let c = match (channel, ok) {
            (Channel::Email, true) => &self.email_sent,
            (Channel::Email, false) => &self.email_failed,
            (Channel::Mqtt, true) => &self.mqtt_sent,
            (Channel::Mqtt, false) => &self.mqtt_failed,
        };
        c.fetch_add(1, Ordering::Relaxed);
    }
}

/// A notification handed to a notifier.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// The outbox row.
    pub row: OutboxRow,
    /// For e-mail: the rendered message and its recipients.
    pub email: Option<(Email, Vec<String>)>,
}

enum Cmd {
    Readings(Arc<[Reading]>),
    List(oneshot::Sender<Vec<AlarmRecord>>),
    Get(String, oneshot::Sender<Option<AlarmRecord>>),
    Ack { id: String, by: String, comment: Option<String>, reply: oneshot::Sender<Result<AlarmRecord, AlarmError>> },
    Shelve { id: String, until_ms: i64, reason: String, by: String, reply: oneshot::Sender<Result<AlarmRecord, AlarmError>> },
    Unshelve { id: String, by: String, reply: oneshot::Sender<Result<AlarmRecord, AlarmError>> },
    Journal { from_ms: i64, to_ms: i64, alarm: Option<String>, limit: i64, reply: oneshot::Sender<Result<Vec<JournalEntry>, String>> },
    NextDue(Channel, oneshot::Sender<Option<Outgoing>>),
    Attempt { id: i64, result: Result<(), String> },
    WatchStore(Arc<WriterStats>),
    Stop,
}

/// Talks to the alarm actor (cheap to clone).
#[derive(Clone)]
pub struct AlarmHandle {
    tx: std_mpsc::Sender<Cmd>,
    wake: Arc<HashMap<Channel, Arc<Notify>>>,
    stats: Arc<NotifyStats>,
}

/// The actor is gone (daemon stopping).
#[derive(Debug, thiserror::Error)]
#[error("the alarm service has stopped")]
pub struct Stopped;

impl AlarmHandle {
    async fn ask<T>(&self, make: impl FnOnce(oneshot::Sender<T>) -> Cmd) -> Result<T, Stopped> {
        let (tx, rx) = oneshot::channel();
        self.tx.send(make(tx)).map_err(|_| Stopped)?;
        rx.await.map_err(|_| Stopped)
    }

    /// Alarms that are not normal (active, cleared but unacknowledged) or shelved, most urgent first.
    pub async fn list(&self) -> Result<Vec<AlarmRecord>, Stopped> {
        self.ask(Cmd::List).await
    }

    /// One alarm.
    pub async fn get(&self, id: &str) -> Result<Option<AlarmRecord>, Stopped> {
        let id = id.to_string();
        self.ask(|r| Cmd::Get(id, r)).await
    }

    /// Acknowledge.
    pub async fn ack(&self, id: &str, by: &str, comment: Option<String>) -> Result<Result<AlarmRecord, AlarmError>, Stopped> {
        let (id, by) = (id.to_string(), by.to_string());
        self.ask(|reply| Cmd::Ack { id, by, comment, reply }).await
    }

    /// Shelve until `until_ms`.
    pub async fn shelve(&self, id: &str, until_ms: i64, reason: &str, by: &str) -> Result<Result<AlarmRecord, AlarmError>, Stopped> {
        let (id, reason, by) = (id.to_string(), reason.to_string(), by.to_string());
        self.ask(|reply| Cmd::Shelve { id, until_ms, reason, by, reply }).await
    }

    /// Lift a shelving.
    pub async fn unshelve(&self, id: &str, by: &str) -> Result<Result<AlarmRecord, AlarmError>, Stopped> {
        let (id, by) = (id.to_string(), by.to_string());
        self.ask(|reply| Cmd::Unshelve { id, by, reply }).await
    }

    /// Journal entries in `[from_ms, to_ms)`.
    pub async fn journal(&self, from_ms: i64, to_ms: i64, alarm: Option<String>, limit: i64) -> Result<Result<Vec<JournalEntry>, String>, Stopped> {
        self.ask(|reply| Cmd::Journal { from_ms, to_ms, alarm, limit, reply }).await
    }

    /// The next notification due on `channel`, if any (one at a time per channel).
    pub async fn next_due(&self, channel: Channel) -> Result<Option<Outgoing>, Stopped> {
        self.ask(|r| Cmd::NextDue(channel, r)).await
    }

    /// Report the outcome of delivering outbox row `id`.
    pub fn attempt(&self, id: i64, result: Result<(), String>) {
        let _ = self.tx.send(Cmd::Attempt { id, result });
    }

    /// Watch the store writer's health: while it (or the alarm tables) cannot commit, the
    /// daemon's own alarm `driftvakt.store_failing` is active.
    pub fn watch_store(&self, stats: Arc<WriterStats>) {
        let _ = self.tx.send(Cmd::WatchStore(stats));
    }

    /// Woken whenever something may be due on `channel`.
    pub fn wake(&self, channel: Channel) -> Arc<Notify> {
        self.wake.get(&channel).cloned().unwrap_or_default()
    }

    /// Notification attempts so far, per channel.
    pub fn notify_stats(&self) -> Arc<NotifyStats> {
        self.stats.clone()
    }
}

/// The running alarm actor.
pub struct AlarmService {
    handle: AlarmHandle,
    thread: Option<std::thread::JoinHandle<()>>,
    /// Hands the tap's readings to the actor; ends when the pipeline's router closes the tap.
    forward: Option<tokio::task::JoinHandle<()>>,
}

impl AlarmService {
    /// Open the alarm tables in `data_dir`, restore state, and start the actor. Returns the
    /// service and the tap the pipeline hands readings to.
    pub fn start(config: &Config, data_dir: &Path) -> Result<(AlarmService, mpsc::Sender<Arc<[Reading]>>)> {
        let db = AlarmDb::open(data_dir).with_context(|| format!("opening the alarm tables in {}", data_dir.display()))?;
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let now = clock.now_ms();
        let mut engine = Engine::new(config, now);
        let (records, incidents) = db.load()?;
        let restored = records.iter().filter(|r| r.state != AlarmState::Normal).count();
        for alarm in engine.restore(records, incidents, now) {
            tracing::warn!(%alarm, "persisted alarm has no rule any more; ignored");
        }
        let planner = Planner::new(config.notify.routes.clone(), ms(config.notify.gather));
        let rows: Vec<SentRow> = db
            .email_rows()?
            .into_iter()
            .filter_map(|(incident, group, kind, delivered)| Some(SentRow { incident, group, kind: EmailKind::from_key(&kind)?, delivered }))
            .collect();
        let plan = planner.rebuild(&rows);
        let outbox = Outbox::new(db.undelivered()?, db.last_outbox_id()?);
        tracing::info!(rules = config.alarms.rules.len(), restored, "alarm engine started");

        let wake: HashMap<Channel, Arc<Notify>> = [(Channel::Email, Arc::default()), (Channel::Mqtt, Arc::default())].into_iter().collect();
        let wake = Arc::new(wake);
        let (tx, rx) = std_mpsc::channel();
        let stats = Arc::new(NotifyStats::default());
        let handle = AlarmHandle { tx: tx.clone(), wake: wake.clone(), stats: stats.clone() };
        let email_on = config.notify.email.as_ref().is_some_and(|e| e.enabled);
        let mqtt_prefix = config.mqtt.as_ref().filter(|m| m.enabled).map(|m| m.topic_prefix.clone());
        let mut actor = Actor {
            engine,
            db,
            planner,
            plan,
            site: config.site.name.clone(),
            tz: TimeZone::get(&config.site.timezone).unwrap_or(TimeZone::UTC),
            groups: config.notify.groups.iter().map(|g| (g.id.clone(), g.clone())).collect(),
            email_on,
            mqtt_prefix,
            retry: Backoff::doubling(config.notify.retry_initial, config.notify.retry_max),
            wake,
            in_flight: HashMap::new(),
            stats,
            outbox,
            behind: WriteBehind::default(),
            store: None,
            clock,
        };
        let thread = std::thread::Builder::new().name("alarms".into()).spawn(move || actor.run(&rx))?;

        let (tap_tx, mut tap_rx) = mpsc::channel::<Arc<[Reading]>>(TAP_CAPACITY);
        let forward = tokio::spawn(async move {
            while let Some(batch) = tap_rx.recv().await {
                if tx.send(Cmd::Readings(batch)).is_err() {
                    break;
                }
            }
        });
        Ok((AlarmService { handle, thread: Some(thread), forward: Some(forward) }, tap_tx))
    }

    /// A handle for the API and the notifiers.
    pub fn handle(&self) -> AlarmHandle {
        self.handle.clone()
    }

    /// Wait (at most until `deadline`) until the readings tap has closed and every reading in
    /// it was handed to the actor: the pipeline's router has drained.
    pub async fn readings_done(&mut self, deadline: tokio::time::Instant) {
        if let Some(mut f) = self.forward.take()
            && tokio::time::timeout_at(deadline, &mut f).await.is_err()
        {
            f.abort();
        }
    }

    /// Stop after the readings tap has closed, waiting at most until `deadline`; writes that
    /// cannot be committed by then are counted and logged as lost by the actor.
    pub async fn shutdown_by(mut self, deadline: tokio::time::Instant) {
        self.readings_done(deadline).await;
        let _ = self.handle.tx.send(Cmd::Stop);
        if let Some(t) = self.thread.take()
            && tokio::time::timeout_at(deadline, tokio::task::spawn_blocking(move || t.join())).await.is_err()
        {
            tracing::error!("the alarm service did not stop by the stop deadline");
        }
    }
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

struct Actor {
    engine: Engine,
    db: AlarmDb,
    planner: Planner,
    plan: PlanState,
    site: String,
    tz: TimeZone,
    groups: HashMap<String, RecipientGroup>,
    email_on: bool,
    mqtt_prefix: Option<String>,
    /// Delay before a failed notification is tried again.
    retry: Backoff,
    wake: Arc<HashMap<Channel, Arc<Notify>>>,
    in_flight: HashMap<i64, (Channel, OutboxRow)>,
    stats: Arc<NotifyStats>,
    /// Every undelivered notification (the notifiers are served from here).
    outbox: Outbox,
    /// Writes to the alarm tables not committed yet.
    behind: WriteBehind,
    /// The store writer's health, once the pipeline runs.
    store: Option<Arc<WriterStats>>,
    /// Where "now" comes from.
    clock: Arc<dyn Clock>,
}

impl Actor {
    fn run(&mut self, rx: &std_mpsc::Receiver<Cmd>) {
        let mut next_tick = std::time::Instant::now() + TICK;
        let mut next_prune = std::time::Instant::now();
        loop {
            let wait = next_tick.saturating_duration_since(std::time::Instant::now());
            match rx.recv_timeout(wait) {
                Ok(Cmd::Stop) | Err(std_mpsc::RecvTimeoutError::Disconnected) => {
                    self.behind.finish(&mut self.db, self.clock.now_ms());
                    break;
                }
                Ok(cmd) => self.handle(cmd),
                Err(std_mpsc::RecvTimeoutError::Timeout) => {}
            }
            if std::time::Instant::now() >= next_tick {
                next_tick = std::time::Instant::now() + TICK;
                self.tick(self.clock.now_ms());
            }
            if self.behind.retry_due(std::time::Instant::now()) {
                self.behind.flush(&mut self.db, self.clock.now_ms());
            }
            if std::time::Instant::now() >= next_prune && self.behind.failing_since().is_none() {
                next_prune = std::time::Instant::now() + PRUNE_EVERY;
                match self.db.prune_delivered(self.clock.now_ms() - KEEP_DELIVERED_MS) {
                    Ok(n) if n > 0 => tracing::info!(rows = n, "pruned delivered notifications"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %format!("{e:#}"), "cannot prune the notification outbox"),
                }
            }
        }
        tracing::info!("alarm service stopped");
    }

    fn handle(&mut self, cmd: Cmd) {
        let now = self.clock.now_ms();
        match cmd {
            Cmd::Readings(batch) => {
                let changes = self.engine.on_readings(&batch, now);
                self.process(changes, now);
            }
            Cmd::List(reply) => {
                let _ = reply.send(operator_list(self.engine.records(), now));
            }
            Cmd::Get(id, reply) => {
                let _ = reply.send(self.engine.record(&id).cloned());
            }
            Cmd::Ack { id, by, comment, reply } => {
                let r = self.engine.ack(&id, &by, comment, now);
                let _ = reply.send(self.operator(r, now));
            }
            Cmd::Shelve { id, until_ms, reason, by, reply } => {
                let r = self.engine.shelve(&id, until_ms, &reason, &by, now);
                let _ = reply.send(self.operator(r, now));
            }
            Cmd::Unshelve { id, by, reply } => {
                let r = self.engine.unshelve(&id, &by, now);
                let _ = reply.send(self.operator(r, now));
            }
            Cmd::Journal { from_ms, to_ms, alarm, limit, reply } => {
                let _ = reply.send(self.db.journal(from_ms, to_ms, alarm.as_deref(), limit).map_err(|e| format!("{e:#}")));
            }
            Cmd::NextDue(channel, reply) => {
                let _ = reply.send(self.next_due(channel, now));
            }
            Cmd::Attempt { id, result } => self.attempt(id, result, now),
            Cmd::WatchStore(stats) => self.store = Some(stats),
            Cmd::Stop => {}
        }
    }

    fn operator(&mut self, r: Result<Change, AlarmError>, now: i64) -> Result<AlarmRecord, AlarmError> {
        let change = r?;
        let rec = change.record.clone();
        self.process(vec![change], now);
        Ok(rec)
    }

    fn tick(&mut self, now: i64) {
        let mut changes = self.engine.tick(now);
        changes.extend(self.watch_store_health(now));
        self.process(changes, now);
        // Repeats and escalations of incidents that still have unacknowledged alarms.
        let intents = {
            let views: Vec<IncidentView<'_>> = self
                .engine
                .incidents()
                .all()
                .iter()
                .map(|i| IncidentView { id: i.id, opened_ms: i.opened_ms, alarms: i.alarms.iter().filter_map(|a| self.engine.record(a)).collect() })
                .filter(|v| v.alarms.iter().any(|a| a.state.is_unacked()))
                .collect();
            self.planner.tick(&mut self.plan, &views, now)
        };
        if !intents.is_empty() && self.email_on {
            let outbox = intents.into_iter().map(|i| self.queue(email_row(i))).collect();
            self.write(Write::Decision { changes: Vec::new(), incidents: Vec::new(), outbox, now_ms: now });
            self.wake(Channel::Email);
        }
    }

    /// Raise or clear the store's own alarm from the writer's and the alarm tables' state, and
    /// show the alarm side's state in the store's counters.
    fn watch_store_health(&mut self, now: i64) -> Vec<Change> {
        let own = self.behind.failing_since();
        let failing = own.is_some() || self.store.as_ref().is_some_and(|s| s.failing_since_ms.load(Ordering::Relaxed) != 0);
        if let Some(s) = &self.store {
            s.alarms_failing_since_ms.store(own.unwrap_or(0), Ordering::Relaxed);
            s.alarm_writes_held.store(self.behind.held() as u64, Ordering::Relaxed);
        }
        self.engine.set_store_failing(failing, now)
    }

    /// Put `n` into the in-memory outbox; returns it with its id, for the store.
    fn queue(&mut self, n: NewOutbox) -> (i64, NewOutbox) {
        (self.outbox.push(&n), n)
    }

    /// Commit `w` to the alarm tables, or hold it until the store commits again.
    fn write(&mut self, w: Write) {
        self.behind.push(&mut self.db, w, self.clock.now_ms());
    }

    fn process(&mut self, changes: Vec<Change>, now: i64) {
        if changes.is_empty() {
            return;
        }
        let mut outbox = Vec::new();
        let mut touched: Vec<i64> = Vec::new();
        for c in &changes {
            tracing::info!(alarm = %c.record.id, change = c.kind.key(), state = c.record.state.key(), incident = ?c.record.incident, text = %c.record.text, "alarm");
            if let Some(prefix) = &self.mqtt_prefix {
                outbox.push(NewOutbox {
                    channel: "mqtt",
                    target: format!("{prefix}/alarm/{}", c.record.id),
                    incident: c.record.incident,
                    kind: "state".into(),
                    alarm: Some(c.record.id.clone()),
                    payload: Some(render::mqtt_state(&c.record, now)),
                    retain: true,
                    due_ms: now,
                });
                outbox.push(NewOutbox {
                    channel: "mqtt",
                    target: format!("{prefix}/events"),
                    incident: c.record.incident,
                    kind: "event".into(),
                    alarm: Some(c.record.id.clone()),
                    payload: Some(render::mqtt_event(c)),
                    retain: false,
                    due_ms: now,
                });
            }
            let Some(inc_id) = c.record.incident else { continue };
            if c.kind == ChangeKind::Activated && !touched.contains(&inc_id) {
                touched.push(inc_id);
            }
            if self.email_on {
                let Some(inc) = self.engine.incidents().get(inc_id) else { continue };
                let view = IncidentView { id: inc.id, opened_ms: inc.opened_ms, alarms: inc.alarms.iter().filter_map(|a| self.engine.record(a)).collect() };
                for intent in self.planner.on_change(&mut self.plan, c, Some(&view), now) {
                    outbox.push(email_row(intent));
                }
            }
        }
        let incidents = touched.iter().filter_map(|i| self.engine.incidents().get(*i)).cloned().collect();
        let outbox = outbox.into_iter().map(|n| self.queue(n)).collect();
        self.write(Write::Decision { changes, incidents, outbox, now_ms: now });
        self.wake(Channel::Mqtt);
        self.wake(Channel::Email);
    }

    fn wake(&self, channel: Channel) {
        if let Some(n) = self.wake.get(&channel) {
            n.notify_one();
        }
    }

    fn next_due(&mut self, channel: Channel, now: i64) -> Option<Outgoing> {
        if self.in_flight.values().any(|(c, _)| *c == channel) {
            return None;
        }
        let mut row = self.outbox.next_due(channel.key(), now)?;
        let email = if channel == Channel::Email {
            let Some((email, to)) = self.render_email(&row, now) else {
                // Nothing to render any more (incident forgotten): mark it done, visibly.
                self.outbox.delivered(row.id);
                let detail = "e-post utan innehåll (händelsen finns inte längre)".to_string();
                self.write(Write::Attempt { row, result: Ok(()), detail, now_ms: now, retry_ms: now });
                return None;
            };
            let payload = format!("{}\n\n{}", email.subject, email.body);
            self.outbox.set_payload(row.id, &payload);
            row.payload = Some(payload.clone());
            self.write(Write::Payload { id: row.id, payload });
            Some((email, to))
        } else {
            None
        };
        self.in_flight.insert(row.id, (channel, row.clone()));
        Some(Outgoing { row, email })
    }

    fn render_email(&self, row: &OutboxRow, now: i64) -> Option<(Email, Vec<String>)> {
        let inc = self.engine.incidents().get(row.incident?)?;
        let kind = EmailKind::from_key(&row.kind)?;
        let alarms: Vec<&AlarmRecord> = inc.alarms.iter().filter_map(|a| self.engine.record(a)).collect();
        let group = self.groups.get(&row.target);
        let lang = group.map_or(Language::Sv, |g| g.language);
        let to = group.map(|g| g.email.clone()).unwrap_or_default();
        Some((render::email(kind, inc.id, inc.opened_ms, &alarms, &self.site, &self.tz, lang, now), to))
    }

    fn attempt(&mut self, id: i64, result: Result<(), String>, now: i64) {
        let Some((channel, row)) = self.in_flight.remove(&id) else { return };
        self.stats.count(channel, result.is_ok());
        let failures = u32::try_from(row.attempts.saturating_add(1)).unwrap_or(1).max(1);
        let backoff = self.retry.delay_ms(failures);
        let detail = match channel {
            Channel::Email => {
                let to = self.groups.get(&row.target).map(|g| g.email.join(", ")).unwrap_or_default();
                format!("e-post ({}) till {} <{to}>", row.kind, row.target)
            }
            Channel::Mqtt => format!("MQTT {} ({})", row.target, row.kind),
        };
        if let Err(e) = &result {
            tracing::warn!(channel = channel.key(), target = %row.target, attempt = row.attempts + 1, retry_in_ms = backoff, error = %e, "notification failed; will retry");
        }
        match &result {
            Ok(()) => self.outbox.delivered(row.id),
            Err(_) => self.outbox.failed(row.id, now + backoff),
        }
        let delivered = result.is_ok();
        let kind = row.kind.clone();
        let (incident, target) = (row.incident, row.target.clone());
        self.write(Write::Attempt { row, result, detail, now_ms: now, retry_ms: now + backoff });
        if delivered
            && channel == Channel::Email
            && let (Some(inc), Some(kind)) = (incident, EmailKind::from_key(&kind))
        {
            self.planner.delivered(&mut self.plan, inc, &target, kind);
        }
        self.wake(channel);
    }
}

fn email_row(i: EmailIntent) -> NewOutbox {
    NewOutbox { channel: "email", target: i.group, incident: Some(i.incident), kind: i.kind.key().to_string(), alarm: None, payload: None, retain: false, due_ms: i.due_ms }
}
