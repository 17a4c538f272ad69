//! The one registration point of the protocols: which [`Source`]s a configuration has. It stands
//! apart from the seam (`source/`) so that the seam knows no protocol and every protocol's
//! `source.rs` depends on the seam only.

use driftvakt_config::model::Config;

use crate::source::Source;

/// Every link of `config` that has devices, as a [`Source`]: Modbus connections, then BACnet
/// networks, each in configuration order. A new protocol adds its line here.
pub fn sources(config: &Config) -> Vec<Box<dyn Source>> {
    let mut out = crate::modbus::source::sources(config);
    out.extend(crate::bacnet::source::sources(config));
    out
}
