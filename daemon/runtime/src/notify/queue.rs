//! A notifier's end of the outbox: it asks for the next due notification of its kind, one at a
//! time, and reports each outcome. Whoever keeps the outbox (the alarm actor) answers the
//! [`Request`]s; this side does not know who that is.

use std::sync::Arc;

use tokio::sync::{Notify, oneshot};

use super::Letter;

/// A due notification, handed to the notifier of its kind.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// Outbox id: the outcome is reported with it.
    pub id: i64,
    /// Where it goes: MQTT topic, recipient group.
    pub target: String,
    /// What is sent (MQTT payload); a plan message's rendered text.
    pub payload: Option<String>,
    /// Published retained (MQTT state).
    pub retain: bool,
    /// A plan message: rendered as it fell due.
    pub letter: Option<Letter>,
}

/// What a notifier asks of the outbox.
#[derive(Debug)]
pub enum Request {
    /// The next due notification of the kind `key`, if any and if none of that kind is in flight.
    NextDue {
        /// The notifier's key.
        key: &'static str,
        /// Where the answer goes.
        reply: oneshot::Sender<Option<Outgoing>>,
    },
    /// The outcome of delivering notification `id`: `Ok` only on the server's acknowledgement.
    Outcome {
        /// Outbox id.
        id: i64,
        /// What happened; the error text is journalled.
        result: Result<(), String>,
    },
}

/// The outbox is gone (daemon stopping).
#[derive(Debug, thiserror::Error)]
#[error("the notification outbox has closed")]
pub struct Closed;

/// Hands a request to the outbox; `Err` when it has closed.
type Hand = dyn Fn(Request) -> Result<(), Closed> + Send + Sync;

/// One notifier's end of the outbox (cheap to clone).
#[derive(Clone)]
pub struct Queue {
    key: &'static str,
    send: Arc<Hand>,
    wake: Arc<Notify>,
}

impl std::fmt::Debug for Queue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Queue").field("key", &self.key).finish_non_exhaustive()
    }
}

impl Queue {
    /// The queue of kind `key`: requests go through `send`; `wake` is notified whenever
    /// something of the kind may be due.
    pub fn new(key: &'static str, wake: Arc<Notify>, send: impl Fn(Request) -> Result<(), Closed> + Send + Sync + 'static) -> Queue {
        Queue { key, send: Arc::new(send), wake }
    }

    /// The next due notification, if any (`None` also while one is in flight).
    pub async fn next_due(&self) -> Result<Option<Outgoing>, Closed> {
        let (reply, answer) = oneshot::channel();
        (self.send)(Request::NextDue { key: self.key, reply })?;
        answer.await.map_err(|_| Closed)
    }

    /// Report the outcome of delivering notification `id`.
    pub fn report(&self, id: i64, result: Result<(), String>) {
        let _ = (self.send)(Request::Outcome { id, result });
    }

    /// Resolves when something may be due.
    pub async fn woken(&self) {
        self.wake.notified().await;
    }
}
