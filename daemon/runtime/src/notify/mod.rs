//! Notifiers: the kinds of channel an alarm notification goes out on — e-mail over SMTP
//! ([`email`]) and MQTT ([`mqtt_out`]) — behind one seam, [`Notifier`], like the sinks behind
//! `sink::transport::Transport`. Which e-mails to send and when is the domain's plan
//! (`driftvakt_domain::plan`, pure); the texts are [`render`].
//!
//! The dependency goes one way: the alarm actor knows this module, this module
//! knows nothing of the actor. The actor asks each configured notifier what to queue for an alarm
//! change ([`Notifier::on_change`]) and, when the notifier carries the plan's incident messages,
//! what a due message says ([`Notifier::render`]); it keeps every notification in its outbox
//! under the notifier's [`Notifier::key`]. Each notifier's delivery task takes due notifications
//! from its [`Queue`] one at a time, delivers them, and reports the outcome; a failure is retried
//! with backoff and journalled by the actor, never dropped.
//!
//! To add a kind (SMS gateway, webhook): its own file with an `impl Notifier`, and one line in
//! [`KINDS`].

pub mod deliver;
pub mod email;
pub mod mqtt_out;
pub mod queue;
pub mod render;
pub mod stats;

use std::sync::Arc;

use driftvakt_config::model::Config;
use driftvakt_domain::alarm::Change;
use driftvakt_domain::plan::IncidentView;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use queue::{Closed, Outgoing, Queue, Request};
pub use stats::NotifyStats;

/// Every notifier kind: its key and how it is made from the configuration. The one registration.
pub const KINDS: &[Kind] = &[
    Kind { key: email::KEY, configured: email::configured },
    Kind { key: mqtt_out::KEY, configured: mqtt_out::configured },
];

/// One notifier kind in [`KINDS`].
#[derive(Debug, Clone, Copy)]
pub struct Kind {
    /// Its [`Notifier::key`].
    pub key: &'static str,
    /// Its notifier, when the configuration turns it on.
    pub configured: fn(&Config) -> Option<Arc<dyn Notifier>>,
}

/// The notifiers `config` turns on, in the order of [`KINDS`].
pub fn configured(config: &Config) -> Vec<Arc<dyn Notifier>> {
    KINDS.iter().filter_map(|k| (k.configured)(config)).collect()
}

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

/// A notification about one alarm change, due at once (it concerns the change's alarm and
/// incident).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Where it goes (MQTT topic).
    pub target: String,
    /// Its kind keyword (`state`, `event`).
    pub kind: String,
    /// What is sent.
    pub payload: String,
    /// Published retained (MQTT state).
    pub retain: bool,
}

/// A plan message rendered when it fell due: what the recipients read, and who they are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Letter {
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
    /// Recipient addresses.
    pub to: Vec<String>,
}

impl Letter {
    /// The text the outbox and the journal keep: subject, blank line, body.
    pub fn text(&self) -> String {
        format!("{}\n\n{}", self.subject, self.body)
    }
}
