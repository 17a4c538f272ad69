//! Transitional, while issue 10 gives the clock its own owner: `store::writer::now_ms` for the
//! modules that still take the time from here. The store itself is the `driftvakt-store` crate
//! (`daemon/store/`); everything else imports it from there.

/// The path `now_ms` had before the store became its own crate.
pub mod writer {
    pub use driftvakt_store::now_ms;
}
