//! BACnet/IP client (driftvakt's own codec; see ARCHITECTURE.md for the crate comparison).
//!
//! - [`encoding`], [`frame`], [`services`], [`types`]: the codec (tags, BVLC/NPDU/APDU, the
//!   read-only services driftvakt uses);
//! - [`client`]: one UDP socket per network, replies routed by invoke id, COV notifications by
//!   subscriber process id; [`ReadRequest`](services::ReadRequest) is the only thing it sends to
//!   devices, so no write service can be sent;
//! - [`reader`]: ReadPropertyMultiple batches that shrink on refusal, down to ReadProperty;
//! - [`convert`]: values, status flags and reliability → [`Reading`](crate::Reading) quality;
//! - [`device`], [`network`]: the tasks (one per network, one per device);
//! - [`source`]: the networks as [`Source`](crate::Source)s, their counters as snapshots;
//! - [`discover`]: Who-Is/I-Am and object lists for `driftvakt discover`.
//!
//! `README.md` in this folder describes the strategies.

pub mod client;
pub mod convert;
pub mod device;
pub mod discover;
pub mod encoding;
pub mod frame;
pub mod network;
pub mod reader;
pub mod services;
pub mod source;
pub mod stats;
pub mod types;

pub use client::{Client, Discovered, RequestError, Target};
pub use network::run_network;
pub use stats::{BacnetStats, Rejected};
