//! MQTT notifier: publishes the alarm outbox with QoS 1 — retained state per alarm on
//! `<prefix>/alarm/<id>`, transitions on `<prefix>/events` — one message at a time, marked
//! delivered only when the broker's PUBACK arrives. `<prefix>/status` is `online` (retained)
//! while connected; the last will makes the broker publish `offline` when the daemon is gone.

use std::sync::Arc;
use std::time::Duration;

use driftvakt_config::model::{Config, MqttSettings};
use driftvakt_domain::alarm::Change;
use driftvakt_domain::backoff::Backoff;
use rumqttc::{AsyncClient, Event, Packet, QoS};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::deliver::IDLE_POLL;
use super::{Message, Notifier, Queue, render};
use crate::mqtt::{options, status_topic};

/// The notifier kind's key.
pub const KEY: &str = "mqtt";

/// The MQTT notifier, when `config` turns `[mqtt]` on.
pub fn configured(config: &Config) -> Option<Arc<dyn Notifier>> {
    let settings = config.mqtt.clone().filter(|m| m.enabled)?;
    Some(Arc::new(MqttNotifier { settings }))
}

/// Every alarm change as retained state and as an event.
struct MqttNotifier {
    settings: MqttSettings,
}

impl Notifier for MqttNotifier {
    fn key(&self) -> &'static str {
        KEY
    }

    fn on_change(&self, c: &Change, now_ms: i64) -> Vec<Message> {
        let prefix = &self.settings.topic_prefix;
        vec![
            Message {
                target: format!("{prefix}/alarm/{}", c.record.id),
                kind: "state".into(),
                payload: render::mqtt_state(&c.record, now_ms),
                retain: true,
            },
            Message {
                target: format!("{prefix}/events"),
                kind: "event".into(),
                payload: render::mqtt_event(c),
                retain: false,
            },
        ]
    }

    fn describe(&self, target: &str, kind: &str) -> String {
        format!("MQTT {target} ({kind})")
    }

    fn spawn(&self, queue: Queue, cancel: CancellationToken) -> JoinHandle<()> {
        let s = &self.settings;
        tracing::info!(host = %s.host, port = s.port, prefix = %s.topic_prefix, "MQTT notification on");
        tokio::spawn(run(queue, s.clone(), cancel))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Awaiting {
    Nothing,
    Status,
    Row(i64),
}

/// Reconnect delay after `failures` (≥ 1) failed connection attempts in a row: 0.5 s doubling
/// up to 10 s.
const RECONNECT: Backoff = Backoff::doubling(Duration::from_millis(500), Duration::from_secs(10));

/// Deliver due MQTT notifications from `queue` until `cancel`.
async fn run(queue: Queue, settings: MqttSettings, cancel: CancellationToken) {
    let opts = match options(&settings, "", true) {
        Ok(o) => o,
        Err(e) => {
            tracing::error!(error = %e, "MQTT is configured but cannot be set up; alarm states are not published");
            return;
        }
    };
    let (client, mut eventloop) = AsyncClient::new(opts, 64);
    let (ev_tx, mut events) = mpsc::channel::<Result<Event, String>>(64);
    let loop_cancel = cancel.child_token();
    let poller = {
        let loop_cancel = loop_cancel.clone();
        tokio::spawn(async move {
            let mut failures = 0u32;
            loop {
                let ev = tokio::select! {
                    _ = loop_cancel.cancelled() => break,
                    ev = eventloop.poll() => ev,
                };
                match ev {
                    Ok(ev) => {
                        if matches!(ev, Event::Incoming(Packet::ConnAck(_))) {
                            failures = 0;
                        }
                        if ev_tx.send(Ok(ev)).await.is_err() {
                            break;
                        }
                    }
                    Err(e) => {
                        failures += 1;
                        if ev_tx.send(Err(e.to_string())).await.is_err() {
                            break;
                        }
                        tokio::select! {
                            _ = loop_cancel.cancelled() => break,
                            _ = tokio::time::sleep(RECONNECT.delay(failures)) => {}
                        }
                    }
                }
            }
        })
    };

    let status = status_topic(&settings);
    let mut connected = false;
    let mut awaiting = Awaiting::Nothing;
    let mut last_error = String::new();
    loop {
        if connected && awaiting == Awaiting::Nothing {
            match queue.next_due().await {
                Ok(Some(out)) => {
                    let payload = out.payload.unwrap_or_default();
                    match client.try_publish(out.target, QoS::AtLeastOnce, out.retain, payload) {
                        Ok(()) => awaiting = Awaiting::Row(out.id),
                        Err(e) => queue.report(out.id, Err(format!("MQTT client: {e}"))),
                    }
                }
                Ok(None) => {}
                Err(_) => break,
            }
        }
        let idle = connected && awaiting == Awaiting::Nothing;
        tokio::select! {
            _ = cancel.cancelled() => break,
            ev = events.recv() => match ev {
                None => break,
                Some(Ok(Event::Incoming(Packet::ConnAck(_)))) => {
                    tracing::info!(host = %settings.host, port = settings.port, "MQTT connected");
                    connected = true;
                    awaiting = match client.try_publish(status.clone(), QoS::AtLeastOnce, true, "online") {
                        Ok(()) => Awaiting::Status,
                        Err(_) => Awaiting::Nothing,
                    };
                }
                Some(Ok(Event::Incoming(Packet::PubAck(_)))) => {
                    if let Awaiting::Row(id) = awaiting {
                        queue.report(id, Ok(()));
                    }
                    awaiting = Awaiting::Nothing;
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => {
                    if connected || e != last_error {
                        tracing::warn!(host = %settings.host, port = settings.port, error = %e, "MQTT connection failed; retrying");
                    }
                    connected = false;
                    let msg = format!("MQTT {}:{}: {e}", settings.host, settings.port);
                    if let Awaiting::Row(id) = awaiting {
                        queue.report(id, Err(msg.clone()));
                    } else if let Ok(Some(out)) = queue.next_due().await {
                        // Not connected: the due notification's attempt fails visibly (and backs off).
                        queue.report(out.id, Err(msg));
                    }
                    awaiting = Awaiting::Nothing;
                    last_error = e;
                }
            },
            _ = queue.woken(), if idle => {}
            _ = tokio::time::sleep(IDLE_POLL) => {}
        }
    }
    if let Awaiting::Row(id) = awaiting {
        queue.report(id, Err("daemon stopping before the broker acknowledged".into()));
    }
    if connected {
        // A clean goodbye: `offline` retained, then disconnect (the will is not sent then).
        let _ = client.try_publish(status, QoS::AtLeastOnce, true, "offline");
        let _ = tokio::time::timeout(Duration::from_secs(1), async {
            while let Some(ev) = events.recv().await {
                if matches!(ev, Ok(Event::Incoming(Packet::PubAck(_))) | Err(_)) {
                    break;
                }
            }
        })
        .await;
        let _ = client.try_disconnect();
        let _ = tokio::time::timeout(Duration::from_millis(500), events.recv()).await;
    }
    loop_cancel.cancel();
    let _ = poller.await;
}
