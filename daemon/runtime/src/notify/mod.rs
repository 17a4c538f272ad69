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
//! [`KINDS`] (`registry.rs`). The seam itself is `notifier.rs` and `message.rs`.

pub mod deliver;
pub mod email;
mod message;
pub mod mqtt_out;
mod notifier;
pub mod queue;
mod registry;
pub mod render;
pub mod stats;

pub use message::{Letter, Message};
pub use notifier::Notifier;
pub use queue::{Closed, Outgoing, Queue, Request};
pub use registry::{KINDS, configured};
pub use stats::NotifyStats;
