//! Open files: the daemon raises its soft limit to the hard one at start, and keeps a share of
//! it for what must never fail to open (device connections, the store, sinks), so that clients
//! of the operator API can only ever use the rest.

use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};

/// Open files kept for the daemon itself whatever its configuration: the store (database, WAL,
/// shared memory), the runtime, logs, notification connections, reconnects in progress.
const BASE_RESERVE: u64 = 256;
/// Open files kept per Modbus connection, BACnet network and sink (links, lanes, reconnects).
const RESERVE_PER_PEER: u64 = 8;

/// Raise the soft open-files limit (RLIMIT_NOFILE) to the hard limit and log both figures;
/// returns the soft limit now in effect (`None`: unlimited or unknown).
pub fn raise_open_files() -> Option<u64> {
    let before = getrlimit(Resource::Nofile);
    let was = before.current;
    if before.current != before.maximum {
        let raised = Rlimit {
            current: before.maximum,
            maximum: before.maximum,
        };
        if let Err(e) = setrlimit(Resource::Nofile, raised) {
            tracing::warn!(soft = ?was, hard = ?before.maximum, error = %e, "cannot raise the open files limit");
        }
    }
    let now = getrlimit(Resource::Nofile);
    let shown = |l: Option<u64>| l.map_or_else(|| "unlimited".to_string(), |n| n.to_string());
    tracing::info!(
        soft = %shown(now.current),
        hard = %shown(now.maximum),
        was = %shown(was),
        "open files limit"
    );
    now.current
}

/// How many API connections may be open at once: `configured`, lowered (with a warning) so that
/// the reserve for `peers` device connections, BACnet networks and sinks stays free under the
/// open-files limit `open_files`. At least 1.
pub fn api_connections(configured: u16, open_files: Option<u64>, peers: usize) -> usize {
    let wanted = usize::from(configured.max(1));
    let Some(limit) = open_files else {
        return wanted;
    };
    let reserve = BASE_RESERVE + RESERVE_PER_PEER * u64::try_from(peers).unwrap_or(u64::MAX / 16);
    let room = usize::try_from(limit.saturating_sub(reserve)).unwrap_or(usize::MAX);
    if wanted <= room {
        return wanted;
    }
    let allowed = room.max(1);
    tracing::warn!(
        max_connections = wanted,
        allowed,
        open_files = limit,
        reserved = reserve,
        "the open files limit leaves room for fewer API connections than [api] max_connections"
    );
    allowed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_connections_leave_the_reserve_free() {
        assert_eq!(api_connections(64, Some(1024), 10), 64);
        assert_eq!(api_connections(64, None, 10), 64);
        // 300 open files, 256 + 8 × 2 reserved: 28 remain.
        assert_eq!(api_connections(64, Some(300), 2), 28);
        assert_eq!(api_connections(64, Some(100), 2), 1);
        assert_eq!(api_connections(0, Some(1024), 0), 1);
    }
}
