//! The seam: [`Notifier`], one kind of channel an alarm notification goes out on.

use driftvakt_domain::alarm::Change;
use driftvakt_domain::plan::IncidentView;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::message::{Letter, Message};
use super::queue::Queue;

/// One kind of notifier: what it queues, how a due message reads, and the task that delivers.
pub trait Notifier: Send + Sync + 'static {
    /// Keyword of the kind in the outbox, the journal, logs and metrics (`email`, `mqtt`).
    fn key(&self) -> &'static str;

    /// Notifications about one alarm change, due at once (MQTT: state and event). Default: none.
    fn on_change(&self, _change: &Change, _now_ms: i64) -> Vec<Message> {
        Vec::new()
    }

    /// Whether the notifier carries the plan's incident messages to recipient groups (e-mail),
    /// rendered when they fall due ([`Notifier::render`]).
    fn carries_plan(&self) -> bool {
        false
    }

    /// The plan message of `kind` (an `EmailKind` key) to recipient group `target` about
    /// `incident` as it is now (`None`: it is gone). `Err` holds the journal text when there is
    /// nothing to send any more; the notification then counts as done.
    fn render(&self, _target: &str, _kind: &str, _incident: Option<&IncidentView<'_>>, _now_ms: i64) -> Result<Letter, String> {
        Err(format!("{}: carries no plan messages", self.key()))
    }

    /// Journal text of one delivery attempt to `target` of a notification of `kind`.
    fn describe(&self, target: &str, kind: &str) -> String;

    /// Start the delivery task: due notifications from `queue` until `cancel`.
    fn spawn(&self, queue: Queue, cancel: CancellationToken) -> JoinHandle<()>;
}
