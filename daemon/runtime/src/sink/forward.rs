//! One sink's task, for every kind of sink: read the store forward from the saved position,
//! encode and send in batches through the sink's [`Transport`], save the position after each
//! acknowledged batch. Woken by the store writer's commits, never by polling the database; a
//! failing server is retried with capped backoff while polling goes on.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use driftvakt_config::model::{InfluxSink, MqttSink};
use driftvakt_domain::backoff::Backoff;
use driftvakt_domain::clock::{Clock, SystemClock};
use driftvakt_store::Position;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::monitor::SinkHealth;
use crate::sink::backlog::Backlog;
use crate::sink::transport::{Transport, WriteError};

/// First retry delay; doubled per failed attempt up to the sink's `retry_max`.
const RETRY_FIRST: Duration = Duration::from_millis(500);

/// Errors of a sink's store access.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] driftvakt_store::StoreError),
    /// The blocking task running the store call failed.
    #[error("store task failed: {0}")]
    Task(String),
}

/// What stops a sink: `Some(deadline)` = deliver what is committed, but stop by the deadline.
pub type Drain = watch::Receiver<Option<Instant>>;

/// What every sink kind configures the same way.
#[derive(Debug, Clone)]
pub struct ForwardSettings {
    /// Sink id (position and health).
    pub id: String,
    /// Most readings per batch.
    pub batch_size: usize,
    /// Longest wait for a fuller batch.
    pub flush_interval: Duration,
    /// Cap of the retry backoff.
    pub retry_max: Duration,
    /// Most undelivered readings kept; `None` = bounded by retention only.
    pub max_backlog_readings: Option<u64>,
    /// A new sink starts at the oldest stored reading (`true`) or the next one (`false`).
    pub backfill: bool,
}

impl From<&InfluxSink> for ForwardSettings {
    fn from(s: &InfluxSink) -> Self {
        ForwardSettings {
            id: s.id.clone(),
            batch_size: s.batch_size,
            flush_interval: s.flush_interval,
            retry_max: s.retry_max,
            max_backlog_readings: s.max_backlog_readings,
            backfill: s.backfill,
        }
    }
}

impl From<&MqttSink> for ForwardSettings {
    fn from(s: &MqttSink) -> Self {
        ForwardSettings {
            id: s.id.clone(),
            batch_size: s.batch_size,
            flush_interval: s.flush_interval,
            retry_max: s.retry_max,
            max_backlog_readings: s.max_backlog_readings,
            backfill: s.backfill,
        }
    }
}

/// A batch read from the store and encoded, waiting to be delivered.
struct Batch<P> {
    /// The encoded readings.
    payload: P,
    /// Readings in it.
    readings: u64,
    /// Position of its last reading (the sink's position after delivery).
    last: Position,
    /// Readings between the previous position and `last` pruned before delivery.
    pruned: u64,
}

/// The state of one running sink.
pub struct Forwarder<T: Transport> {
    sink: ForwardSettings,
    writer: T,
    backlog: Arc<Mutex<Backlog>>,
    health: Arc<SinkHealth>,
    committed: watch::Receiver<Position>,
    drain: Drain,
    position: Position,
    /// The store writer has stopped (no more commits will come).
    committed_closed: bool,
}

/// Why delivery of a batch ended without success.
enum Stop {
    /// The shutdown deadline passed; the rest is delivered on the next start.
    Deadline,
}

impl<T: Transport> Forwarder<T> {
    /// A sink that has not started yet.
    pub fn new(
        sink: ForwardSettings,
        writer: T,
        backlog: Backlog,
        health: Arc<SinkHealth>,
        committed: watch::Receiver<Position>,
        drain: Drain,
    ) -> Forwarder<T> {
        Forwarder {
            sink,
            writer,
            backlog: Arc::new(Mutex::new(backlog)),
            health,
            committed,
            drain,
            position: Position::START,
            committed_closed: false,
        }
    }

    /// Run a blocking store call off the async threads (the future holds no borrow of `self`,
    /// so transports need not be `Sync`).
    fn db<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Backlog) -> Result<R, driftvakt_store::StoreError> + Send + 'static,
    ) -> impl std::future::Future<Output = Result<R, SinkError>> + Send + 'static {
        let backlog = self.backlog.clone();
        async move {
            tokio::task::spawn_blocking(move || {
                let mut b = backlog.lock().unwrap_or_else(|p| p.into_inner());
                f(&mut b)
            })
            .await
            .map_err(|e| SinkError::Task(e.to_string()))?
            .map_err(SinkError::Store)
        }
    }

    fn draining(&self) -> Option<Instant> {
        *self.drain.borrow()
    }

    /// Run until the drain deadline (or until everything committed is delivered once draining).
    pub async fn run(mut self) {
        let id = self.sink.id.clone();
        if let Err(e) = self.start_position().await {
            tracing::error!(sink = %id, error = %e, "sink cannot read its position in the store; it stays stopped");
            self.health.record_error(format!("store: {e}"), SystemClock.now_ms());
            return;
        }
        tracing::info!(sink = %id, kind = self.writer.kind(), target = %self.writer.target(), position = %self.position, "sink started");
        loop {
            match self.step().await {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    // A store read error: log, count, wait a little, go on (the data stays there).
                    tracing::error!(sink = %id, error = %e, "sink cannot read the store");
                    self.health.record_error(format!("store: {e}"), SystemClock.now_ms());
                    if !self.pause(Duration::from_secs(1)).await {
                        break;
                    }
                }
            }
        }
        tracing::debug!(sink = %id, position = %self.position, "sink task ends");
    }

    async fn start_position(&mut self) -> Result<(), SinkError> {
        let backfill = self.sink.backfill;
        let (saved, (before_oldest, newest)) = self.db(|b| Ok((b.saved_position()?, b.bounds()?))).await?;
        self.position = match saved {
            Some(p) => p,
            None if backfill => before_oldest,
            None => newest,
        };
        if saved.is_none() {
            let p = self.position;
            self.db(move |b| b.save_position(p, SystemClock.now_ms())).await?;
        }
        Ok(())
    }

    /// One round: wait for data, deliver one batch. `Ok(false)` = stop.
    async fn step(&mut self) -> Result<bool, SinkError> {
        let mut target = *self.committed.borrow_and_update();
        if target < self.position {
            tracing::warn!(sink = %self.sink.id, position = %self.position, newest = %target,
                "the store holds fewer readings than this sink's position (emptied or replaced); starting from its beginning");
            self.position = Position::START;
            self.db(|b| b.save_position(Position::START, SystemClock.now_ms())).await?;
        }
        self.set_backlog(target);
        if target == self.position {
            self.health.oldest_pending_ms.store(0, std::sync::atomic::Ordering::Relaxed);
            if self.draining().is_some() {
                return Ok(false);
            }
            return Ok(self.wait_for_data().await);
        }
        if let Some(max) = self.sink.max_backlog_readings {
            self.enforce_bound(target, max).await?;
        }
        if self.draining().is_none() && target.readings_since(self.position) < self.batch_size() {
            // Wait for a fuller batch, at most the flush interval.
            let until = Instant::now() + self.sink.flush_interval;
            loop {
                tokio::select! {
                    () = tokio::time::sleep_until(until) => break,
                    r = self.committed.changed() => {
                        if r.is_err() { break; }
                        target = *self.committed.borrow_and_update();
                        if target.readings_since(self.position) >= self.batch_size() { break; }
                    }
                    r = self.drain.changed() => { if r.is_err() { return Ok(false); } break; }
                }
            }
        }
        // Only up to `target`: a row committed a moment ago may be visible before the writer
        // announces it, and the position must never pass the announced newest commit.
        let (after, limit) = (self.position, self.sink.batch_size);
        let rows = self.db(move |b| b.read(after, target, limit)).await?;
        if rows.is_empty() {
            // Everything up to the newest commit was pruned before delivery.
            let lost = target.readings_since(self.position);
            self.count_pruned(lost);
            self.advance(target).await?;
            return Ok(true);
        }
        let (payload, used) = self.writer.encode(&rows, rows.len() == limit);
        let used = used.clamp(1, rows.len());
        let last = rows[used - 1].position;
        let readings = used as u64;
        let mut batch = Batch {
            payload,
            readings,
            last,
            pruned: last.readings_since(self.position).saturating_sub(readings),
        };
        self.health.oldest_pending_ms.store(rows[0].time_ms, std::sync::atomic::Ordering::Relaxed);
        drop(rows);
        match self.deliver(&mut batch).await {
            Ok(()) => Ok(true),
            Err(Stop::Deadline) => Ok(false),
        }
    }

    fn batch_size(&self) -> u64 {
        u64::try_from(self.sink.batch_size).unwrap_or(u64::MAX)
    }

    fn set_backlog(&self, target: Position) {
        let n = target.readings_since(self.position);
        self.health.backlog.store(n, std::sync::atomic::Ordering::Relaxed);
    }

    fn count_pruned(&self, n: u64) {
        if n > 0 {
            self.health.dropped_pruned.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
            tracing::warn!(sink = %self.sink.id, readings = n,
                "readings were pruned from the store (raw retention) before this sink delivered them; they are lost for this sink");
        }
    }

    async fn advance(&mut self, to: Position) -> Result<(), SinkError> {
        self.db(move |b| b.save_position(to, SystemClock.now_ms())).await?;
        self.position = to;
        self.set_backlog(*self.committed.borrow());
        Ok(())
    }

    /// Nothing pending: sleep until the writer commits more or a drain starts. `false` = stop.
    async fn wait_for_data(&mut self) -> bool {
        tokio::select! {
            r = self.committed.changed() => {
                if r.is_err() {
                    // The writer has stopped; nothing new will come. Wait for the drain.
                    return self.drain.changed().await.is_ok();
                }
                true
            }
            r = self.drain.changed() => r.is_ok(),
        }
    }

    /// Skip the oldest readings beyond `max` undelivered ones (counted and logged).
    async fn enforce_bound(&mut self, target: Position, max: u64) -> Result<(), SinkError> {
        if target.readings_since(self.position) <= max {
            return Ok(());
        }
        let to = target.back(max);
        let from = self.position;
        let skipped = self.db(move |b| b.count_between(from, to)).await?;
        let holes = to.readings_since(from).saturating_sub(skipped);
        self.count_pruned(holes);
        self.health.dropped_backlog.fetch_add(skipped, std::sync::atomic::Ordering::Relaxed);
        tracing::warn!(sink = %self.sink.id, readings = skipped, max_backlog_readings = max,
            "sink backlog over its bound: the oldest undelivered readings are dropped for this sink");
        self.advance(to).await
    }

    /// Send one batch until it is acknowledged (or rejected), with capped backoff.
    async fn deliver(&mut self, batch: &mut Batch<T::Payload>) -> Result<(), Stop> {
        let mut failures: u32 = 0;
        loop {
            let result = send(&mut self.writer, &mut self.drain, &mut batch.payload).await;
            let now = SystemClock.now_ms();
            match result {
                Ok(()) => {
                    if failures > 0 {
                        tracing::info!(sink = %self.sink.id, failed_attempts = failures, "sink delivers again");
                    }
                    // Position and backlog first, so that readers never see the delivery
                    // counted while the backlog still holds it.
                    let r = self.after_batch(batch.last).await;
                    self.count_pruned(batch.pruned);
                    self.health.record_delivery(batch.readings, now);
                    return r;
                }
                Err(WriteError::Rejected { status, text }) => {
                    let e = WriteError::Rejected { status, text };
                    tracing::error!(sink = %self.sink.id, readings = batch.readings, error = %e,
                        "server rejected a batch as malformed; it is dropped for this sink, not retried");
                    self.health.record_error(e.to_string(), now);
                    let r = self.after_batch(batch.last).await;
                    self.count_pruned(batch.pruned);
                    self.health.rejected.fetch_add(batch.readings, std::sync::atomic::Ordering::Relaxed);
                    return r;
                }
                Err(WriteError::Failed(e)) => {
                    failures += 1;
                    self.health.record_error(e.clone(), now);
                    let backoff = backoff(failures, self.sink.retry_max);
                    if failures == 1 {
                        tracing::warn!(sink = %self.sink.id, error = %e, retry_in_ms = backoff.as_millis() as u64,
                            "sink write failed; readings stay in the store and are retried");
                    } else {
                        tracing::debug!(sink = %self.sink.id, error = %e, attempt = failures, "sink write failed again");
                    }
                    if !self.pause(backoff).await {
                        return Err(Stop::Deadline);
                    }
                }
            }
        }
    }

    async fn after_batch(&mut self, last: Position) -> Result<(), Stop> {
        if let Err(e) = self.advance(last).await {
            // The batch is delivered; the position will be saved with the next one. A restart
            // before that re-sends this batch (InfluxDB: same series and times, it overwrites
            // itself; MQTT: at least once).
            tracing::error!(sink = %self.sink.id, error = %e, "cannot save the sink position");
            self.position = last;
        }
        Ok(())
    }

    /// Sleep `d` before a retry. `false` when the sink is stopping: while draining a failed
    /// write is not retried (its readings are safe in the store and go after the next start),
    /// so a server that is down does not hold up the daemon's stop.
    async fn pause(&mut self, d: Duration) -> bool {
        let until = Instant::now() + d;
        loop {
            if self.draining().is_some() {
                return false;
            }
            tokio::select! {
                () = tokio::time::sleep_until(until) => return true,
                r = self.drain.changed() => if r.is_err() { return false; },
                // Keep the backlog gauge current while the server is away.
                r = self.committed.changed(), if !self.committed_closed => match r {
                    Ok(()) => {
                        let target = *self.committed.borrow_and_update();
                        self.set_backlog(target);
                    }
                    Err(_) => self.committed_closed = true,
                },
            }
        }
    }
}

/// One write, bounded by the drain deadline once a drain starts.
async fn send<T: Transport>(writer: &mut T, drain: &mut Drain, payload: &mut T::Payload) -> Result<(), WriteError> {
    let fut = writer.send(payload);
    tokio::pin!(fut);
    loop {
        let deadline = *drain.borrow();
        match deadline {
            Some(d) => {
                return tokio::time::timeout_at(d, &mut fut)
                    .await
                    .unwrap_or_else(|_| Err(WriteError::Failed("stopped: the shutdown budget ran out".into())));
            }
            None => tokio::select! {
                r = &mut fut => return r,
                r = drain.changed() => if r.is_err() {
                    return Err(WriteError::Failed("stopped".into()));
                },
            },
        }
    }
}

/// 0.5 s, 1 s, 2 s … capped at `max`.
fn backoff(failures: u32, max: Duration) -> Duration {
    Backoff::doubling(RETRY_FIRST, max).delay(failures)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let cap = Duration::from_secs(5);
        let seq: Vec<u64> = (1..=6).map(|n| backoff(n, cap).as_millis() as u64).collect();
        assert_eq!(seq, [500, 1000, 2000, 4000, 5000, 5000]);
        assert_eq!(backoff(1000, cap), cap);
    }
}
