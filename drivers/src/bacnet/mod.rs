//! BACnet/IP client (driftvakt's own codec; see ARCHITECTURE.md for why not a crate).
//!
//! - [`encoding`], [`frame`], [`services`], [`types`]: the codec (tags, BVLC/NPDU/APDU, the
//!   read-only services driftvakt uses);

pub mod encoding;
pub mod frame;
pub mod services;
pub mod types;
