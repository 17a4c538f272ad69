//! The one registration point of the protocols: which [`Source`]s a configuration has. It stands
//! apart from the seam (`source/`) so that the seam knows no protocol and every protocol's
//! `source.rs` depends on the seam only.

use driftvakt_config::model::Config;

use crate::boost::PollBoost;
use crate::source::Source;

/// Every link of `config` that has devices, as a [`Source`]: Modbus connections, then BACnet
/// networks, each in configuration order. A new protocol adds its line here.
pub fn sources(config: &Config) -> Vec<Box<dyn Source>> {
    let mut out = crate::modbus::source::sources(config);
    out.extend(crate::bacnet::source::sources(config));
    out
}

/// [`sources`], with `boost` applied to the devices that hold a point of `[exercise]` (a role or
/// watched point): while it is set, they are polled at most its interval apart. Modbus devices
/// only; BACnet devices keep their own intervals.
pub fn sources_with(config: &Config, boost: &PollBoost) -> Vec<Box<dyn Source>> {
    let mut out = crate::modbus::source::sources_with(config, Some(boost));
    out.extend(crate::bacnet::source::sources(config));
    out
}
