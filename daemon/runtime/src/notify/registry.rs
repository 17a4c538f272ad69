//! The one registration of every notifier kind ([`KINDS`]), apart from the seam so that the
//! seam names no kind and every kind depends on the seam only.

use std::sync::Arc;

use driftvakt_config::model::Config;

use super::notifier::Notifier;
use super::{email, mqtt_out};

/// Every notifier kind: its key and how it is made from the configuration. The one registration.
pub const KINDS: &[Kind] = &[
    Kind { key: email::KEY, configured: email::configured },
    Kind { key: mqtt_out::KEY, configured: mqtt_out::configured },
];

/// One notifier kind in [`KINDS`].
#[derive(Debug, Clone, Copy)]
pub struct Kind {
    /// Its [`Notifier::key`].
    pub key: &'static str,
    /// Its notifier, when the configuration turns it on.
    pub configured: fn(&Config) -> Option<Arc<dyn Notifier>>,
}

/// The notifiers `config` turns on, in the order of [`KINDS`].
pub fn configured(config: &Config) -> Vec<Arc<dyn Notifier>> {
    KINDS.iter().filter_map(|k| (k.configured)(config)).collect()
}
