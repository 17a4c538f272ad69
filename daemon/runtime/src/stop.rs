//! The one stop deadline: how long `driftvakt run` (and `demo`) may take from SIGINT/SIGTERM to
//! exit, and how that time is shared. Every stop timing of the daemon is here and derives from
//! [`PROMISE`]; the components get an `Instant` (the deadline) or one of these spans, never a
//! constant of their own.

use std::time::Duration;

/// The promise (README, CLI contract): the process has exited, with status 0, this long after
/// the stop signal.
pub const PROMISE: Duration = Duration::from_secs(5);

/// Kept back from [`PROMISE`] for what follows the deadline: closing files, the runtime's
/// shutdown ([`RUNTIME_EXIT`]) and the process exit.
pub const EXIT_MARGIN: Duration = Duration::from_millis(1500);

/// The stop deadline, from the stop signal (3.5 s): by then every component has stopped (drivers,
/// router, store writer, sinks, alarm actor, notifiers, API); whatever is not committed then is
/// counted and logged as lost.
pub const DEADLINE: Duration = PROMISE.saturating_sub(EXIT_MARGIN);

/// Within the deadline: how long drivers get to stop before they are aborted (the store then
/// still commits everything they handed over, until the deadline).
pub const DRIVERS: Duration = Duration::from_millis(1500);

/// Within the deadline: how long open operator-API connections get to finish their request.
pub const API_CONNECTIONS: Duration = Duration::from_secs(1);

/// Within the exit margin: how long blocking calls that outlived the deadline (a commit waiting
/// for a lock) may hold up the exit; whatever they could still do is already counted as lost.
pub const RUNTIME_EXIT: Duration = Duration::from_millis(200);

// The shares fit: checked when the daemon is compiled.
const _: () = assert!(DRIVERS.as_millis() < DEADLINE.as_millis());
const _: () = assert!(API_CONNECTIONS.as_millis() < DEADLINE.as_millis());
const _: () = assert!(RUNTIME_EXIT.as_millis() < EXIT_MARGIN.as_millis());
const _: () = assert!(DEADLINE.as_millis() == 3500);
