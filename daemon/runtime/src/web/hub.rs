//! The live stream's one producer: ONE task computes the frame once a second and at once when
//! an alarm changes ([`AlarmHandle::changes`]), in every language, serialized once; every
//! client's stream only copies the bytes of its language. With no client connected it computes
//! nothing.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::response::sse::Event;
use driftvakt_config::model::Language;
use driftvakt_domain::alarm::AlarmRecord;
use driftvakt_domain::clock::{Clock, SystemClock};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::alarm::service::AlarmHandle;

/// How often the frame is recomputed (besides at once on an alarm change).
pub const EVERY: Duration = Duration::from_secs(1);

/// One frame in both languages, each a ready `live` event.
#[derive(Debug)]
pub struct Frame {
    /// The event in Swedish.
    pub sv: Event,
    /// The event in English.
    pub en: Event,
}

impl Frame {
    /// The event in `lang`.
    pub fn of(&self, lang: Language) -> Event {
        match lang {
            Language::Sv => self.sv.clone(),
            Language::En => self.en.clone(),
        }
    }
}

/// The producer, shared by every client (cheap to clone).
#[derive(Clone)]
pub struct Hub {
    /// The latest frame (None before the first).
    frames: watch::Receiver<Option<Arc<Frame>>>,
    /// Clients connected now.
    clients: Arc<AtomicUsize>,
    /// Wakes the producer (a client connected and wants a frame now).
    wake: Arc<Notify>,
}

/// A connected client: its view of the frames; counted for as long as it lives.
pub struct Subscription {
    /// The frames, from the next one on.
    pub frames: watch::Receiver<Option<Arc<Frame>>>,
    /// Counts the client while alive.
    _client: Client,
}

/// Counts a connected client for as long as it lives.
struct Client(Arc<AtomicUsize>);

impl Drop for Client {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Hub {
    /// Start the producer: `produce(alarm list, now)` makes a frame (the list is None when the
    /// alarm actor does not answer). It ends with `cancel`, and with it every client's stream.
    pub fn start(produce: impl Fn(Option<&[AlarmRecord]>, i64) -> Frame + Send + 'static, alarms: AlarmHandle, cancel: CancellationToken) -> (Hub, JoinHandle<()>) {
        let (tx, frames) = watch::channel(None);
        let hub = Hub { frames, clients: Arc::default(), wake: Arc::default() };
        let (clients, wake) = (Arc::clone(&hub.clients), Arc::clone(&hub.wake));
        let task = tokio::spawn(async move {
            let mut changes = alarms.changes();
            let mut alarms_alive = true;
            let mut tick = tokio::time::interval(EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    () = cancel.cancelled() => break,
                    _ = tick.tick() => {}
                    () = wake.notified() => {}
                    r = changes.changed(), if alarms_alive => alarms_alive = r.is_ok(),
                }
                if clients.load(Ordering::Relaxed) == 0 {
                    continue;
                }
                let list = alarms.list().await.ok();
                tx.send_replace(Some(Arc::new(produce(list.as_deref(), SystemClock.now_ms()))));
            }
        });
        (hub, task)
    }

    /// A new client: counted, the producer woken, and the frames from the next one on (never
    /// one made before it came).
    pub fn subscribe(&self) -> Subscription {
        let mut frames = self.frames.clone();
        frames.mark_unchanged();
        self.clients.fetch_add(1, Ordering::Relaxed);
        let client = Client(Arc::clone(&self.clients));
        self.wake.notify_one();
        Subscription { frames, _client: client }
    }

    /// Clients connected now.
    pub fn clients(&self) -> usize {
        self.clients.load(Ordering::Relaxed)
    }
}
