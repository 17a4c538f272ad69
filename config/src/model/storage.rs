//! How a point's readings go to the store: every one (the default, lossless) or, when asked per
//! point, historian-style on change with a deadband and a heartbeat (lossy by design).

/// Heartbeat of `store = "on_change"` when `heartbeat_s` is not given, seconds.
pub const DEFAULT_HEARTBEAT_S: u32 = 900;

/// Longest accepted `heartbeat_s` (one day).
pub const MAX_HEARTBEAT_S: u32 = 86_400;

/// Which readings of a point are stored (`store`).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Storage {
    /// Every reading with its own time and quality (`store = "all"`, the default).
    #[default]
    All,
    /// Only readings that differ from the last stored one, plus a heartbeat (`store = "on_change"`).
    OnChange(OnChange),
}

/// Settings of `store = "on_change"`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OnChange {
    /// A number is stored when it differs from the last stored one by more than this, in the
    /// point's own unit (0 = any change; always 0 for bool, text and multistate points).
    pub deadband: f64,
    /// An unchanged reading is still stored when the last stored one is this old, seconds (≥ 1).
    pub heartbeat_s: u32,
}

impl Storage {
    /// The on-change settings, if this point is stored on change.
    pub fn on_change(&self) -> Option<&OnChange> {
        match self {
            Storage::All => None,
            Storage::OnChange(o) => Some(o),
        }
    }
}
