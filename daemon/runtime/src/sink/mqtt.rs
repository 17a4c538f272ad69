//! The MQTT telemetry transport: publishes the messages of [`super::telemetry`] on the `[mqtt]`
//! broker and reports a batch delivered only when the broker acknowledged every message (QoS 1
//! PUBACK, QoS 2 PUBCOMP; QoS 0: written to the socket).
//!
//! Each connection is its own rumqttc client and event loop, dropped at the first error, so
//! nothing is re-sent behind the sink's back: after a reconnect the sink continues with the
//! first message of the batch that was not acknowledged (progress is kept in the payload), in
//! order. A message the broker received but whose acknowledgement was lost is sent again — MQTT
//! "at least once".

use std::collections::HashMap;

use driftvakt_config::model::{MqttSettings, MqttSink};
use rumqttc::{AsyncClient, Event, NetworkOptions, Outgoing, Packet, QoS};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::mqtt::options;
use crate::sink::telemetry::{self, Message};
use crate::sink::transport::{Row, Transport, WriteError, describe};

/// Client id suffix of the telemetry connection (the alarm notifier has none).
pub const CLIENT_SUFFIX: &str = "-telemetry";
/// Messages in flight (published, not yet acknowledged) per connection.
const INFLIGHT: u16 = 100;

/// A batch of messages and how many of them the broker has acknowledged.
#[derive(Debug, Default)]
pub struct MqttPayload {
    /// The messages, in commit order.
    pub messages: Vec<Message>,
    /// Leading messages already acknowledged (a retry starts after them).
    pub done: usize,
}

/// What the event loop task reports.
enum Report {
    Connected,
    Written(u16),
    Acked(u16),
    Lost(String),
}

/// One connection: a client and the task polling its event loop.
struct Conn {
    client: AsyncClient,
    reports: mpsc::UnboundedReceiver<Report>,
    poller: JoinHandle<()>,
    /// A send was interrupted on this connection: its state is unknown, do not reuse it.
    dirty: bool,
}

impl Drop for Conn {
    fn drop(&mut self) {
        self.poller.abort();
    }
}

/// The transport of one MQTT telemetry sink.
pub struct MqttTransport {
    sink: MqttSink,
    broker: MqttSettings,
    conn: Option<Conn>,
}

impl MqttTransport {
    /// A transport for `sink` on the broker `broker` (nothing is connected yet).
    pub fn new(sink: &MqttSink, broker: &MqttSettings) -> MqttTransport {
        MqttTransport {
            sink: sink.clone(),
            broker: broker.clone(),
            conn: None,
        }
    }

    fn qos(&self) -> QoS {
        match self.sink.qos {
            0 => QoS::AtMostOnce,
            2 => QoS::ExactlyOnce,
            _ => QoS::AtLeastOnce,
        }
    }

    /// A live connection: the current one if it is sound, else a new one.
    async fn connection(&mut self) -> Result<&mut Conn, WriteError> {
        if let Some(c) = &mut self.conn {
            let mut lost = c.dirty;
            // Reports that came while idle: only a lost connection matters.
            while let Ok(r) = c.reports.try_recv() {
                if let Report::Lost(e) = r {
                    tracing::debug!(error = %e, "MQTT telemetry connection was lost while idle");
                    lost = true;
                }
            }
            if lost {
                self.conn = None;
            }
        }
        if self.conn.is_none() {
            self.conn = Some(self.connect().await?);
        }
        self.conn
            .as_mut()
            .ok_or_else(|| WriteError::Failed("no connection".into()))
    }

    async fn connect(&self) -> Result<Conn, WriteError> {
        let mut opts = options(&self.broker, CLIENT_SUFFIX, false).map_err(WriteError::Failed)?;
        opts.set_inflight(INFLIGHT);
        let (client, mut eventloop) = AsyncClient::new(opts, usize::from(INFLIGHT) * 2);
        // Without TCP_NODELAY the tail of every batch waits for the peer's delayed ACK (Nagle).
        let mut net = NetworkOptions::new();
        net.set_tcp_nodelay(true);
        net.set_connection_timeout(self.sink.timeout.as_secs().max(1));
        eventloop.set_network_options(net);
        let (tx, mut reports) = mpsc::unbounded_channel();
        let poller = tokio::spawn(async move {
            loop {
                let report = match eventloop.poll().await {
                    Ok(Event::Incoming(Packet::ConnAck(_))) => Report::Connected,
                    Ok(Event::Outgoing(Outgoing::Publish(pkid))) => Report::Written(pkid),
                    Ok(Event::Incoming(Packet::PubAck(a))) => Report::Acked(a.pkid),
                    Ok(Event::Incoming(Packet::PubComp(c))) => Report::Acked(c.pkid),
                    Ok(_) => continue,
                    Err(e) => {
                        let _ = tx.send(Report::Lost(describe(&e)));
                        return;
                    }
                };
                if tx.send(report).is_err() {
                    return;
                }
            }
        });
        let at = format!("{}:{}", self.broker.host, self.broker.port);
        let failed = match tokio::time::timeout(self.sink.timeout, reports.recv()).await {
            Ok(Some(Report::Connected)) => {
                tracing::info!(broker = %at, "MQTT telemetry connected");
                return Ok(Conn {
                    client,
                    reports,
                    poller,
                    dirty: false,
                });
            }
            Ok(Some(Report::Lost(e))) => format!("MQTT {at}: {e}"),
            Ok(_) => format!("MQTT {at}: connection closed"),
            Err(_) => format!(
                "MQTT {at}: no CONNACK within {} ms",
                self.sink.timeout.as_millis()
            ),
        };
        poller.abort();
        Err(WriteError::Failed(failed))
    }

    /// Publish `p.messages[p.done..]` and wait for their acknowledgements, advancing `p.done`.
    async fn publish(&mut self, p: &mut MqttPayload) -> Result<(), WriteError> {
        let (qos, retain, timeout) = (self.qos(), self.sink.retain, self.sink.timeout);
        let at = format!("MQTT {}:{}", self.broker.host, self.broker.port);
        let conn = self.connection().await?;
        conn.dirty = true;
        let start = p.done;
        let n = p.messages.len() - start;
        let mut acked = vec![false; n];
        let mut written = 0usize;
        let mut by_pkid: HashMap<u16, usize> = HashMap::new();
        let (client, reports) = (&conn.client, &mut conn.reports);
        let messages = &p.messages[start..];
        let publish_all = async {
            for m in messages {
                client
                    .publish(m.topic.as_str(), qos, retain, m.body.clone())
                    .await?;
            }
            Ok::<(), rumqttc::ClientError>(())
        };
        tokio::pin!(publish_all);
        let mut published = false;
        let mut done = start;
        while done < p.messages.len() {
            tokio::select! {
                r = &mut publish_all, if !published => {
                    published = true;
                    if r.is_err() {
                        p.done = done;
                        return Err(WriteError::Failed(format!("{at}: connection closed")));
                    }
                }
                r = tokio::time::timeout(timeout, reports.recv()) => match r {
                    Err(_) => {
                        p.done = done;
                        return Err(WriteError::Failed(format!("{at}: no acknowledgement within {} ms", timeout.as_millis())));
                    }
                    Ok(None) => {
                        p.done = done;
                        return Err(WriteError::Failed(format!("{at}: connection closed")));
                    }
                    Ok(Some(Report::Lost(e))) => {
                        p.done = done;
                        return Err(WriteError::Failed(format!("{at}: {e}")));
                    }
                    Ok(Some(Report::Connected)) => {}
                    Ok(Some(Report::Written(pkid))) => {
                        if written < n {
                            if qos == QoS::AtMostOnce {
                                acked[written] = true;
                            } else {
                                by_pkid.insert(pkid, written);
                            }
                            written += 1;
                        }
                    }
                    Ok(Some(Report::Acked(pkid))) => {
                        if let Some(i) = by_pkid.remove(&pkid) {
                            acked[i] = true;
                        }
                    }
                },
            }
            while done < p.messages.len() && acked[done - start] {
                done += 1;
            }
        }
        p.done = done;
        conn.dirty = false;
        Ok(())
    }
}

impl Transport for MqttTransport {
    type Payload = MqttPayload;

    fn kind(&self) -> &'static str {
        "mqtt"
    }

    fn target(&self) -> String {
        format!(
            "mqtt://{}:{}/{}/telemetry",
            self.broker.host, self.broker.port, self.broker.topic_prefix
        )
    }

    fn encode(&mut self, rows: &[Row], more: bool) -> (MqttPayload, usize) {
        let (messages, used) =
            telemetry::encode(&self.broker.topic_prefix, self.sink.per, rows, more);
        (MqttPayload { messages, done: 0 }, used)
    }

    async fn send(&mut self, payload: &mut MqttPayload) -> Result<(), WriteError> {
        let r = self.publish(payload).await;
        if r.is_err() {
            // Start the next attempt on a fresh connection.
            self.conn = None;
        }
        r
    }
}

