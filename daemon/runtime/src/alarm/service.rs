//! The alarm actor: one thread owns the engine and the alarm tables. Readings arrive through a
//! pipeline tap, operator commands through [`AlarmHandle`] and notifier requests through each
//! notifier's `notify::Queue`; a timer tick drives delays, repeats and escalations. The actor
//! knows notifiers only as `dyn notify::Notifier`: what each queues for a change, whether it
//! carries the plan's incident messages, and its key in the outbox. Every decision is committed
//! to the store before any notifier sees it — unless the store cannot commit (disk full): then decisions and
//! delivery records wait in memory ([`super::behind`]) and notifiers are served from the
//! in-memory outbox ([`super::outbox`]) anyway, and the daemon's own A alarm
//! `driftvakt.store_failing` tells the operator. Notifiers run as separate tasks and never hold
//! up the actor, and the actor never waits for them — polling and the demo go on when a server
//! is down.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc as std_mpsc;
use std::time::Duration;

use anyhow::{Context, Result};
use driftvakt_config::model::Config;
use driftvakt_domain::backoff::Backoff;
use driftvakt_domain::clock::{Clock, SystemClock};
use driftvakt_domain::alarm::engine::{AlarmError, Engine};
use driftvakt_domain::alarm::model::{AlarmRecord, AlarmState, Change, ChangeKind, operator_list};
use driftvakt_domain::plan::{EmailIntent, EmailKind, IncidentView, PlanState, Planner, SentRow};
use tokio::sync::{Notify, mpsc, oneshot, watch};

use super::behind::WriteBehind;
use super::outbox::Outbox;
use super::store::{AlarmDb, JournalEntry, NewOutbox, OutboxRow, Write};
use super::tap::Feed;
use crate::notify::{Closed, Message, Notifier, NotifyStats, Outgoing, Queue, Request};
use driftvakt_store::WriterStats;

/// How often the engine is ticked.
const TICK: Duration = Duration::from_millis(250);
/// How often delivered notifications are pruned from the outbox, and how old they must be.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);
const KEEP_DELIVERED_MS: i64 = 30 * 86_400_000;
/// Feeds that may wait in the tap.
const TAP_CAPACITY: usize = 1024;

enum Cmd {
    Feed(Feed),
    List(oneshot::Sender<Vec<AlarmRecord>>),
    Get(String, oneshot::Sender<Option<AlarmRecord>>),
    Ack { id: String, by: String, comment: Option<String>, reply: oneshot::Sender<Result<AlarmRecord, AlarmError>> },
    Shelve { id: String, until_ms: i64, reason: String, by: String, reply: oneshot::Sender<Result<AlarmRecord, AlarmError>> },
    Unshelve { id: String, by: String, reply: oneshot::Sender<Result<AlarmRecord, AlarmError>> },
    Journal { from_ms: i64, to_ms: i64, alarm: Option<String>, limit: i64, reply: oneshot::Sender<Result<Vec<JournalEntry>, String>> },
    Notify(Request),
    WatchStore(Arc<WriterStats>),
    Expected(Option<(i64, Vec<String>)>),
    Stop,
}

/// Talks to the alarm actor (cheap to clone).
#[derive(Clone)]
pub struct AlarmHandle {
    tx: std_mpsc::Sender<Cmd>,
    /// Per notifier key: woken whenever something of that kind may be due.
    wake: Arc<HashMap<&'static str, Arc<Notify>>>,
    stats: Arc<NotifyStats>,
    /// Counts the changes of any alarm (see [`AlarmHandle::changes`]).
    changes: watch::Receiver<u64>,
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

    /// The outbox end of the notifier with key `key`: its due notifications, one at a time.
    pub fn queue(&self, key: &'static str) -> Queue {
        let tx = self.tx.clone();
        let wake = self.wake.get(key).cloned().unwrap_or_default();
        Queue::new(key, wake, move |r| tx.send(Cmd::Notify(r)).map_err(|_| Closed))
    }

    /// Watch the store writer's health: while it (or the alarm tables) cannot commit, the
    /// daemon's own alarm `driftvakt.store_failing` is active.
    pub fn watch_store(&self, stats: Arc<WriterStats>) {
        let _ = self.tx.send(Cmd::WatchStore(stats));
    }

    /// While exercise run `run` is active (`Some((run id, alarm ids))`), activations of those
    /// alarms are marked expected: shown and journalled, not e-mailed or escalated. `None` ends it.
    pub fn set_expected(&self, run: Option<(i64, Vec<String>)>) {
        let _ = self.tx.send(Cmd::Expected(run));
    }

    /// A counter that goes up whenever an alarm changed (activated, cleared, acknowledged,
    /// shelved, unshelved): wait on it, then ask [`AlarmHandle::list`] (the web screen's live
    /// stream pushes the list at once instead of at its next tick).
    pub fn changes(&self) -> watch::Receiver<u64> {
        self.changes.clone()
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
    /// Open the alarm tables in `data_dir`, restore state, and start the actor serving
    /// `notifiers` (their delivery tasks ask through [`AlarmHandle::queue`]). Returns the service
    /// and the channel the pipeline's [`super::tap::AlarmTap`] feeds.
    pub fn start(config: &Config, data_dir: &Path, notifiers: Vec<Arc<dyn Notifier>>) -> Result<(AlarmService, mpsc::Sender<Feed>)> {
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
        let mut plan_rows = Vec::new();
        for n in notifiers.iter().filter(|n| n.carries_plan()) {
            plan_rows.extend(db.plan_rows(n.key())?);
        }
        let rows: Vec<SentRow> = plan_rows
            .into_iter()
            .filter_map(|(incident, group, kind, delivered)| Some(SentRow { incident, group, kind: EmailKind::from_key(&kind)?, delivered }))
            .collect();
        let plan = planner.rebuild(&rows);
        let outbox = Outbox::new(db.undelivered()?, db.last_outbox_id()?);
        tracing::info!(rules = config.alarms.rules.len(), restored, "alarm engine started");

        let wake: HashMap<&'static str, Arc<Notify>> = notifiers.iter().map(|n| (n.key(), Arc::default())).collect();
        let wake = Arc::new(wake);
        let (tx, rx) = std_mpsc::channel();
        let stats = Arc::new(NotifyStats::default());
        let (changed, changes) = watch::channel(0);
        let handle = AlarmHandle { tx: tx.clone(), wake: wake.clone(), stats: stats.clone(), changes };
        let mut actor = Actor {
            engine,
            db,
            planner,
            plan,
            notifiers,
            retry: Backoff::doubling(config.notify.retry_initial, config.notify.retry_max),
            wake,
            in_flight: HashMap::new(),
            stats,
            outbox,
            behind: WriteBehind::default(),
            store: None,
            clock,
            changed,
        };
        let thread = std::thread::Builder::new().name("alarms".into()).spawn(move || actor.run(&rx))?;

        let (tap_tx, mut tap_rx) = mpsc::channel::<Feed>(TAP_CAPACITY);
        let forward = tokio::spawn(async move {
            while let Some(feed) = tap_rx.recv().await {
                if tx.send(Cmd::Feed(feed)).is_err() {
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
    /// The configured notifiers; a notification's channel is its notifier's key.
    notifiers: Vec<Arc<dyn Notifier>>,
    /// Delay before a failed notification is tried again.
    retry: Backoff,
    wake: Arc<HashMap<&'static str, Arc<Notify>>>,
    /// Notifications handed to a notifier, by outbox id, with the notifier's index.
    in_flight: HashMap<i64, (usize, OutboxRow)>,
    stats: Arc<NotifyStats>,
    /// Every undelivered notification (the notifiers are served from here).
    outbox: Outbox,
    /// Writes to the alarm tables not committed yet.
    behind: WriteBehind,
    /// The store writer's health, once the pipeline runs.
    store: Option<Arc<WriterStats>>,
    /// Where "now" comes from.
    clock: Arc<dyn Clock>,
    /// Counted up after every batch of changes ([`AlarmHandle::changes`]).
    changed: watch::Sender<u64>,
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
            Cmd::Feed(feed) => {
                let changes = self.engine.on_feed(&feed.readings, &feed.health, now);
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
            Cmd::Notify(Request::NextDue { key, reply }) => {
                let _ = reply.send(self.next_due(key, now));
            }
            Cmd::Notify(Request::Outcome { id, result }) => self.attempt(id, result, now),
            Cmd::WatchStore(stats) => self.store = Some(stats),
            Cmd::Expected(run) => self.engine.set_expected(run),
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
        let rows: Vec<NewOutbox> = self.plan_carriers().flat_map(|key| intents.iter().map(move |i| plan_row(key, i))).collect();
        if !rows.is_empty() {
            let outbox = rows.into_iter().map(|n| self.queue(n)).collect();
            self.write(Write::Decision { changes: Vec::new(), incidents: Vec::new(), outbox, now_ms: now });
            for key in self.plan_carriers() {
                self.wake(key);
            }
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
            for n in &self.notifiers {
                outbox.extend(n.on_change(c, now).into_iter().map(|m| change_row(n.key(), c, m, now)));
            }
            let Some(inc_id) = c.record.incident else { continue };
            if c.kind == ChangeKind::Activated && !touched.contains(&inc_id) {
                touched.push(inc_id);
            }
            if self.plan_carriers().next().is_some() {
                let Some(inc) = self.engine.incidents().get(inc_id) else { continue };
                let view = IncidentView { id: inc.id, opened_ms: inc.opened_ms, alarms: inc.alarms.iter().filter_map(|a| self.engine.record(a)).collect() };
                let intents = self.planner.on_change(&mut self.plan, c, Some(&view), now);
                for key in self.plan_carriers() {
                    outbox.extend(intents.iter().map(|i| plan_row(key, i)));
                }
            }
        }
        let incidents = touched.iter().filter_map(|i| self.engine.incidents().get(*i)).cloned().collect();
        let outbox = outbox.into_iter().map(|n| self.queue(n)).collect();
        self.write(Write::Decision { changes, incidents, outbox, now_ms: now });
        self.changed.send_modify(|n| *n = n.wrapping_add(1));
        for n in &self.notifiers {
            self.wake(n.key());
        }
    }

    /// Keys of the notifiers that carry the plan's incident messages.
    fn plan_carriers(&self) -> impl Iterator<Item = &'static str> {
        self.notifiers.iter().filter(|n| n.carries_plan()).map(|n| n.key())
    }

    fn wake(&self, key: &str) {
        if let Some(n) = self.wake.get(key) {
            n.notify_one();
        }
    }

    fn next_due(&mut self, key: &str, now: i64) -> Option<Outgoing> {
        let index = self.notifiers.iter().position(|n| n.key() == key)?;
        if self.in_flight.values().any(|(i, _)| *i == index) {
            return None;
        }
        let mut row = self.outbox.next_due(key, now)?;
        let notifier = self.notifiers[index].clone();
        // A plan message concerns an incident, not one alarm; it is rendered as it falls due.
        let letter = if row.alarm.is_none() {
            let inc = row.incident.and_then(|i| self.engine.incidents().get(i));
            let view = inc.map(|inc| IncidentView { id: inc.id, opened_ms: inc.opened_ms, alarms: inc.alarms.iter().filter_map(|a| self.engine.record(a)).collect() });
            match notifier.render(&row.target, &row.kind, view.as_ref(), now) {
                Ok(letter) => {
                    let payload = letter.text();
                    self.outbox.set_payload(row.id, &payload);
                    row.payload = Some(payload.clone());
                    self.write(Write::Payload { id: row.id, payload });
                    Some(letter)
                }
                Err(detail) => {
                    // Nothing to render any more (incident forgotten): mark it done, visibly.
                    self.outbox.delivered(row.id);
                    self.write(Write::Attempt { row, result: Ok(()), detail, now_ms: now, retry_ms: now });
                    return None;
                }
            }
        } else {
            None
        };
        self.in_flight.insert(row.id, (index, row.clone()));
        Some(Outgoing { id: row.id, target: row.target, payload: row.payload, retain: row.retain, letter })
    }

    fn attempt(&mut self, id: i64, result: Result<(), String>, now: i64) {
        let Some((index, row)) = self.in_flight.remove(&id) else { return };
        let notifier = self.notifiers[index].clone();
        let key = notifier.key();
        self.stats.count(key, result.is_ok());
        let failures = u32::try_from(row.attempts.saturating_add(1)).unwrap_or(1).max(1);
        let backoff = self.retry.delay_ms(failures);
        let detail = notifier.describe(&row.target, &row.kind);
        if let Err(e) = &result {
            tracing::warn!(channel = key, target = %row.target, attempt = row.attempts + 1, retry_in_ms = backoff, error = %e, "notification failed; will retry");
        }
        match &result {
            Ok(()) => self.outbox.delivered(row.id),
            Err(_) => self.outbox.failed(row.id, now + backoff),
        }
        let delivered = result.is_ok();
        let kind = row.kind.clone();
        let (incident, target, row_alarm) = (row.incident, row.target.clone(), row.alarm.clone());
        self.write(Write::Attempt { row, result, detail, now_ms: now, retry_ms: now + backoff });
        if delivered
            && row_alarm.is_none()
            && let (Some(inc), Some(kind)) = (incident, EmailKind::from_key(&kind))
        {
            self.planner.delivered(&mut self.plan, inc, &target, kind);
        }
        self.wake(key);
    }
}

/// The outbox row of a notifier's message about change `c`.
fn change_row(channel: &'static str, c: &Change, m: Message, now: i64) -> NewOutbox {
    NewOutbox { channel, target: m.target, incident: c.record.incident, kind: m.kind, alarm: Some(c.record.id.clone()), payload: Some(m.payload), retain: m.retain, due_ms: now }
}

/// The outbox row of a plan message for the notifier `channel`.
fn plan_row(channel: &'static str, i: &EmailIntent) -> NewOutbox {
    NewOutbox { channel, target: i.group.clone(), incident: Some(i.incident), kind: i.kind.key().to_string(), alarm: None, payload: None, retain: false, due_ms: i.due_ms }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::time::Instant;

    use driftvakt_domain::alarm::engine::STORE_FAILING_ID;
    use tokio::task::JoinHandle;
    use tokio_util::sync::CancellationToken;

    use super::*;
    use crate::notify::Letter;

    /// A notifier kind the actor has never heard of: one message per change, and the plan's.
    #[derive(Default)]
    struct Pager {
        changes: Mutex<Vec<String>>,
    }

    impl Notifier for Pager {
        fn key(&self) -> &'static str {
            "pager"
        }
        fn on_change(&self, c: &Change, _now_ms: i64) -> Vec<Message> {
            self.changes.lock().expect("lock").push(c.record.id.clone());
            vec![Message { target: "beeper".into(), kind: "change".into(), payload: c.kind.key().into(), retain: false }]
        }
        fn carries_plan(&self) -> bool {
            true
        }
        fn render(&self, target: &str, kind: &str, incident: Option<&IncidentView<'_>>, _now_ms: i64) -> Result<Letter, String> {
            let inc = incident.ok_or("gone")?;
            Ok(Letter { subject: format!("{kind} {}", inc.id), body: String::new(), to: vec![target.to_string()] })
        }
        fn describe(&self, target: &str, kind: &str) -> String {
            format!("pager {target} ({kind})")
        }
        fn spawn(&self, _queue: Queue, _cancel: CancellationToken) -> JoinHandle<()> {
            tokio::spawn(async {})
        }
    }

    async fn due(queue: &Queue) -> Outgoing {
        let start = Instant::now();
        loop {
            if let Some(out) = queue.next_due().await.expect("actor running") {
                return out;
            }
            assert!(start.elapsed() < Duration::from_secs(20), "nothing fell due");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_new_notifier_kind_is_served_by_its_key_alone() {
        let dir = tempfile::tempdir().expect("tempdir");
        let src = include_str!("../../../../config/examples/reference-hospital.toml");
        let config = driftvakt_config::parse_str(src, "reference-hospital.toml").config.expect("example is valid");
        let pager = Arc::new(Pager::default());
        let (service, _tap) = AlarmService::start(&config, dir.path(), vec![pager.clone()]).expect("start");
        let handle = service.handle();
        let queue = handle.queue("pager");
        let store = Arc::new(WriterStats::default());
        store.failing_since_ms.store(1, Ordering::Relaxed);
        handle.watch_store(store);

        // The store's own A alarm (after its 5 s delay). Its change message: failed once (journalled, retried with backoff), then acknowledged.
        let first = due(&queue).await;
        assert_eq!((first.target.as_str(), first.payload.as_deref(), first.letter.is_none()), ("beeper", Some("activated"), true));
        assert!(queue.next_due().await.expect("running").is_none(), "one at a time per kind");
        queue.report(first.id, Err("gateway down".into()));
        // Then the retry and the plan's incident message (rendered when due), in due order.
        let (mut retried, mut planned) = (false, false);
        while !(retried && planned) {
            let out = due(&queue).await;
            match &out.letter {
                None => {
                    assert_eq!(out.id, first.id, "the failed message again");
                    retried = true;
                }
                Some(letter) => {
                    assert_eq!(letter.to, ["driftjour"]);
                    assert!(out.payload.as_deref().is_some_and(|p| p.starts_with("incident ")), "{:?}", out.payload);
                    planned = true;
                }
            }
            queue.report(out.id, Ok(()));
        }

        assert_eq!(pager.changes.lock().expect("lock").as_slice(), [STORE_FAILING_ID]);
        let stats = handle.notify_stats();
        assert_eq!((stats.sent("pager"), stats.failed("pager")), (0, 0), "not a registered kind: no metrics of its own");
        let journal = handle.journal(0, i64::MAX, None, 100).await.expect("running").expect("journal");
        let details: Vec<(String, String)> = journal.iter().filter(|e| e.event.starts_with("notify_")).map(|e| (e.event.clone(), e.detail.clone().unwrap_or_default())).collect();
        assert!(details.iter().any(|(e, d)| e == "notify_failed" && d.contains("pager beeper (change)")), "{details:?}");
        assert!(details.iter().any(|(e, d)| e == "notify_sent" && d.contains("pager driftjour (incident)")), "{details:?}");
        service.shutdown_by(tokio::time::Instant::now() + Duration::from_secs(2)).await;
    }

    /// Journal entries of `alarm` once its activation is committed (with its notifications, in one transaction).
    async fn activation(handle: &AlarmHandle, alarm: &str) -> JournalEntry {
        let start = Instant::now();
        loop {
            let journal = handle.journal(0, i64::MAX, Some(alarm.to_string()), 100).await.expect("running").expect("journal");
            if let Some(e) = journal.into_iter().find(|e| e.event == "activated") {
                return e;
            }
            assert!(start.elapsed() < Duration::from_secs(20), "{alarm} never activated");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_alarm_the_exercise_explains_is_journalled_as_expected_and_not_emailed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let src = include_str!("../../../../config/examples/reference-hospital.toml");
        let config = driftvakt_config::parse_str(src, "reference-hospital.toml").config.expect("example is valid");
        let pager = Arc::new(Pager::default());
        let (service, tap) = AlarmService::start(&config, dir.path(), vec![pager.clone()]).expect("start");
        let handle = service.handle();
        handle.set_expected(Some((4, vec!["ats.mains_available.state".to_string()])));
        let now = SystemClock.now_ms();
        let reading = |point: &str, v: bool| driftvakt_domain::Reading {
            point: Arc::from(point),
            time_ms: now,
            value: Some(driftvakt_domain::Value::Bool(v)),
            quality: driftvakt_domain::Quality::Good,
        };
        let plan_rows = || -> i64 {
            let conn = driftvakt_store::shared::connect_read_only(dir.path()).expect("read-only");
            conn.query_row("SELECT count(*) FROM alarm_outbox WHERE alarm IS NULL", [], |r| r.get(0)).expect("count")
        };
        tap.send(Feed { readings: vec![reading("ats.mains_available", false)], health: Vec::new() }).await.expect("feed");
        let mains = activation(&handle, "ats.mains_available.state").await;
        assert!(mains.detail.as_deref().is_some_and(|d| d.contains("väntat under övning 4")), "{mains:?}");
        assert_eq!(plan_rows(), 0, "an expected alarm queues no incident e-mail");
        let listed = handle.get("ats.mains_available.state").await.expect("running").expect("known");
        assert_eq!(listed.expected_run, Some(4), "shown as expected");
        assert_eq!(pager.changes.lock().expect("lock").as_slice(), ["ats.mains_available.state"], "change messages (MQTT state) still go out");

        // An alarm the exercise does not explain escalates as usual.
        tap.send(Feed { readings: vec![reading("ups.on_battery", true)], health: Vec::new() }).await.expect("feed");
        let ups = activation(&handle, "ups.on_battery.state").await;
        assert!(!ups.detail.as_deref().unwrap_or_default().contains("övning"), "{ups:?}");
        assert_eq!(plan_rows(), 1, "the unexplained alarm's incident e-mail");
        drop(tap);
        service.shutdown_by(tokio::time::Instant::now() + Duration::from_secs(2)).await;
    }
}
