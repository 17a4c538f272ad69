//! What a sink reads from the store: [`QueuedReading`]s with their [`Position`] and [`PointKey`].

use driftvakt_domain::{Quality, Value};

use crate::Position;

/// Key of a point in the store: small, stable for the life of the data directory.
pub type PointKey = i64;

/// One stored reading as a sink reads it, in position order.
#[derive(Debug, Clone, PartialEq)]
pub struct QueuedReading {
    /// Its position (the sink's position after delivering it).
    pub position: Position,
    /// The point's key ([`crate::SinkQueue::point`] names it).
    pub point: PointKey,
    /// Reading time, UTC ms.
    pub time_ms: i64,
    /// Value, if the reading has one.
    pub value: Option<Value>,
    /// Quality.
    pub quality: Quality,
}
