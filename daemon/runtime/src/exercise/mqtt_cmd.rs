//! The MQTT command topic (`[exercise] command_topic`): start, stop and note by message, for a
//! panel or a building-automation system. A message is JSON
//! `{"token": "…", "action": "start"|"stop"|"note", …}` with the fields of [`Command`]; the token
//! must equal the API token (compared in constant time). Everything else is refused, logged
//! (at most once a minute per reason) and counted. The outcome goes to `<command_topic>/result`
//! (QoS 1, not retained): `{"ok": true, "action": …, "run": {…}}` or `{"ok": false, "error": …}`,
//! with the message's `request_id` echoed when it has one. The connection options are
//! `[mqtt]`'s (`crate::mqtt::options`), client id suffix `-exercise`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use driftvakt_config::model::MqttSettings;
use driftvakt_domain::backoff::Backoff;
use driftvakt_drivers::log_limit::{LogLimit, WARN_EVERY};
use rumqttc::{AsyncClient, Event, Packet, QoS};
use serde_json::{Value, json};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::constant_time::same;

use super::command::{Command, ExerciseHandle};
use crate::mqtt::options;

/// Reconnect delay after failed connection attempts: 0.5 s doubling up to 10 s.
const RECONNECT: Backoff = Backoff::doubling(Duration::from_millis(500), Duration::from_secs(10));

/// Largest command message taken, bytes.
const MAX_MESSAGE: usize = 16 * 1024;

/// Messages on the command topic, by outcome.
#[derive(Debug, Default)]
pub struct CommandStats {
    /// Authenticated commands the actor carried out.
    pub accepted: AtomicU64,
    /// Messages refused: bad JSON, missing or wrong token, unknown action, refused by the actor.
    pub refused: AtomicU64,
}

/// Why a message was refused before it reached the actor (the log's key).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Refusal {
    /// Not JSON, or too large.
    Malformed,
    /// No token in the message.
    NoToken,
    /// A token that is not the API token.
    WrongToken,
    /// The daemon has no API token: commands by MQTT are off.
    NoApiToken,
    /// Authenticated, but not a command (unknown action, missing fields).
    BadCommand,
}

impl Refusal {
    /// The reason in words (logs and the result message; English, for engineers).
    pub fn describe(self) -> &'static str {
        match self {
            Refusal::Malformed => "the message is not a JSON object",
            Refusal::NoToken => "the message has no token",
            Refusal::WrongToken => "wrong token",
            Refusal::NoApiToken => "no API token is configured ([api] token): commands by MQTT are refused",
            Refusal::BadCommand => "not a command: action start (kind, name, by), stop (by) or note (by, text)",
        }
    }
}

/// The command a message carries, if it is authenticated with `token` and well formed.
pub fn parse(payload: &[u8], token: Option<&str>) -> Result<Command, Refusal> {
    if payload.len() > MAX_MESSAGE {
        return Err(Refusal::Malformed);
    }
    let value: Value = serde_json::from_slice(payload).map_err(|_| Refusal::Malformed)?;
    let Some(obj) = value.as_object() else { return Err(Refusal::Malformed) };
    let given = obj.get("token").and_then(Value::as_str).ok_or(Refusal::NoToken)?;
    let token = token.ok_or(Refusal::NoApiToken)?;
    if !same(given.trim().as_bytes(), token.as_bytes()) {
        return Err(Refusal::WrongToken);
    }
    serde_json::from_value(value).map_err(|_| Refusal::BadCommand)
}

fn request_id(payload: &[u8]) -> Option<Value> {
    let v: Value = serde_json::from_slice(payload).ok()?;
    v.get("request_id").cloned()
}

fn action(c: &Command) -> &'static str {
    match c {
        Command::Start { .. } => "start",
        Command::Stop { .. } => "stop",
        Command::Note { .. } => "note",
    }
}

/// Subscribe to `topic` on the `[mqtt]` broker and carry out its commands until `cancel`.
pub fn spawn(settings: MqttSettings, topic: String, token: Option<Arc<str>>, handle: ExerciseHandle, stats: Arc<CommandStats>, cancel: CancellationToken) -> JoinHandle<()> {
    tokio::spawn(run(settings, topic, token, handle, stats, cancel))
}

async fn run(settings: MqttSettings, topic: String, token: Option<Arc<str>>, handle: ExerciseHandle, stats: Arc<CommandStats>, cancel: CancellationToken) {
    let opts = match options(&settings, "-exercise", false) {
        Ok(o) => o,
        Err(e) => {
            tracing::error!(error = %e, "MQTT is configured but cannot be set up; the exercise command topic is off");
            return;
        }
    };
    if token.is_none() {
        tracing::warn!(%topic, "no API token is configured: every message on the exercise command topic is refused");
    }
    let result_topic = format!("{topic}/result");
    let (client, mut eventloop) = AsyncClient::new(opts, 16);
    let mut failures = 0u32;
    let mut warned = LogLimit::new(WARN_EVERY);
    loop {
        let ev = tokio::select! {
            () = cancel.cancelled() => break,
            ev = eventloop.poll() => ev,
        };
        match ev {
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                tracing::info!(%topic, "MQTT exercise command topic connected");
                failures = 0;
                if let Err(e) = client.try_subscribe(topic.clone(), QoS::AtLeastOnce) {
                    tracing::warn!(%topic, error = %e, "cannot subscribe to the exercise command topic");
                }
            }
            Ok(Event::Incoming(Packet::Publish(p))) if p.topic == topic => {
                let outcome = match parse(&p.payload, token.as_deref()) {
                    Ok(command) => {
                        let act = action(&command);
                        match handle.send(command).await {
                            Ok(run) => {
                                stats.accepted.fetch_add(1, Ordering::Relaxed);
                                tracing::info!(action = act, run = run.id, "exercise command by MQTT");
                                json!({ "ok": true, "action": act, "run": run })
                            }
                            Err(e) => {
                                stats.refused.fetch_add(1, Ordering::Relaxed);
                                tracing::info!(action = act, error = %e, "exercise command by MQTT refused");
                                json!({ "ok": false, "action": act, "error": e.to_string() })
                            }
                        }
                    }
                    Err(why) => {
                        let n = stats.refused.fetch_add(1, Ordering::Relaxed) + 1;
                        if let Some(suppressed) = warned.allow(why) {
                            tracing::warn!(%topic, reason = why.describe(), refused_total = n, "exercise command message refused{suppressed}");
                        }
                        json!({ "ok": false, "error": why.describe() })
                    }
                };
                let mut outcome = outcome;
                if let Some(id) = request_id(&p.payload) {
                    outcome["request_id"] = id;
                }
                if let Err(e) = client.try_publish(result_topic.clone(), QoS::AtLeastOnce, false, outcome.to_string()) {
                    tracing::warn!(error = %e, "cannot publish the exercise command's result");
                }
            }
            Ok(_) => {}
            Err(e) => {
                failures += 1;
                if failures == 1 {
                    tracing::warn!(host = %settings.host, port = settings.port, error = %e, "MQTT exercise command topic: connection failed; retrying");
                }
                tokio::select! {
                    () = cancel.cancelled() => break,
                    () = tokio::time::sleep(RECONNECT.delay(failures)) => {}
                }
            }
        }
    }
    let _ = client.try_disconnect();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_message_with_the_api_token_is_a_command() {
        let start = br#"{"token": "s3cret", "action": "start", "kind": "monthly", "name": "Prov", "by": "Anna"}"#;
        assert_eq!(
            parse(start, Some("s3cret")),
            Ok(Command::Start { kind: "monthly".into(), name: "Prov".into(), by: "Anna".into() })
        );
        assert_eq!(parse(start, Some("other")), Err(Refusal::WrongToken));
        assert_eq!(parse(start, None), Err(Refusal::NoApiToken));
        assert_eq!(parse(br#"{"action": "stop", "by": "Anna"}"#, Some("s3cret")), Err(Refusal::NoToken));
        assert_eq!(parse(br#"{"token": "s3cret", "action": "explode"}"#, Some("s3cret")), Err(Refusal::BadCommand));
        assert_eq!(parse(br#"{"token": "s3cret", "action": "note", "by": "Anna"}"#, Some("s3cret")), Err(Refusal::BadCommand), "a note without text");
        assert_eq!(parse(b"start now", Some("s3cret")), Err(Refusal::Malformed));
        assert_eq!(parse(b"[1]", Some("s3cret")), Err(Refusal::Malformed));
        assert_eq!(parse(&vec![b' '; MAX_MESSAGE + 1], Some("s3cret")), Err(Refusal::Malformed));
    }
}
