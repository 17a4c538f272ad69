//! What differs between sink kinds: how stored readings are encoded and how a batch is sent.
//! Everything else — reading the store forward by position, batching, backoff, the backlog
//! bound, health, draining on shutdown — is [`super::forward::Forwarder`], shared by all kinds.

use std::future::Future;
use std::sync::Arc;

use driftvakt_domain::{Quality, Value};
use driftvakt_store::{PointKey, Position};

/// Why sending a batch failed.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The server refused the data itself (HTTP 400): retrying cannot help.
    #[error("server rejected the batch (HTTP {status}): {text}")]
    Rejected {
        /// HTTP status.
        status: u16,
        /// Response body.
        text: String,
    },
    /// Anything else (unreachable, timeout, authentication, 5xx, broker gone): retried.
    #[error("{0}")]
    Failed(String),
}

/// A point as the store names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PointInfo {
    /// The store's key of the point.
    pub key: PointKey,
    /// Device id (`g1`).
    pub device: String,
    /// Point id within the device (`fuel_level`).
    pub point: String,
    /// Engineering unit, empty for none.
    pub unit: String,
    /// System keyword (`reservkraft`).
    pub system: String,
}

/// One stored reading, in commit order.
#[derive(Debug, Clone)]
pub struct Row {
    /// Its position in the store (the sink's position after delivering it).
    pub position: Position,
    /// The point.
    pub point: Arc<PointInfo>,
    /// Reading time, UTC ms.
    pub time_ms: i64,
    /// Value, if the reading has one.
    pub value: Option<Value>,
    /// Quality.
    pub quality: Quality,
}

/// One kind of sink: an encoding and a way to send it.
pub trait Transport: Send + 'static {
    /// An encoded batch, kept (and sent again) until it is delivered.
    type Payload: Send + 'static;

    /// Kind for health and logs, e.g. `influxdb_v2`, `mqtt`.
    fn kind(&self) -> &'static str;

    /// Where it sends, for the log.
    fn target(&self) -> String;

    /// Encode `rows` (never empty, in commit order). Returns the payload and how many of the
    /// leading rows it covers (at least one); the rest are read again for the next batch.
    /// `more` is true when the store may hold further rows right after the last one.
    fn encode(&mut self, rows: &[Row], more: bool) -> (Self::Payload, usize);

    /// Send a payload; `Ok` only when the server has acknowledged all of it. A transport that
    /// can deliver part of a payload records that progress in it, so that the retry of a
    /// failed attempt continues where the acknowledged part ends.
    fn send(
        &mut self,
        payload: &mut Self::Payload,
    ) -> impl Future<Output = Result<(), WriteError>> + Send;
}

/// An error with its causes (a transport's top-level text alone often hides "connection refused").
pub fn describe(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let part = s.to_string();
        // hyper and reqwest repeat their causes in their own texts.
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = s.source();
    }
    text
}

