//! One task per BACnet network: binds its socket, then one task per device, so a slow or dead
//! device never delays another.

use std::sync::Arc;
use std::time::Duration;

use driftvakt_config::model::{BacnetNetwork, Device};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::bacnet::client::{Client, Target};
use crate::bacnet::device::{comm_fail_all, run_device};
use crate::bacnet::stats::BacnetStats;
use driftvakt_domain::Reading;
use driftvakt_domain::backoff::Backoff;

/// Poll every device of `network` until `cancel`. If the socket cannot be bound (port taken),
/// every point is reported as comm-fail and binding is retried every few seconds.
pub async fn run_network(
    network: BacnetNetwork,
    devices: Vec<Device>,
    tx: mpsc::Sender<Vec<Reading>>,
    stats: Arc<BacnetStats>,
    cancel: CancellationToken,
) {
    // Every device has its request counters from the start (0 while the socket cannot bind).
    for d in &devices {
        if let Some(link) = d.bacnet() {
            let t = Target::new(link.address, link.route.as_ref(), link.max_apdu_bytes);
            stats.register_device(&d.id, t.addr, t.route);
        }
    }
    let backoff = Backoff::doubling(Duration::from_secs(1), Duration::from_secs(30));
    let mut failures = 0u32;
    let client = loop {
        match Client::bind(&network, stats.clone()).await {
            Ok(c) => break Arc::new(c),
            Err(e) => {
                tracing::error!(network = %network.id, error = %e, "cannot start BACnet network; retrying");
                let _ = tx.send(comm_fail_all(&devices)).await;
                failures = failures.saturating_add(1);
                tokio::select! {
                    () = cancel.cancelled() => return,
                    () = tokio::time::sleep(backoff.delay(failures)) => {}
                }
            }
        }
    };
    tracing::info!(network = %network.id, local = %client.local_addr().map_or_else(|_| "?".into(), |a| a.to_string()), devices = devices.len(), "BACnet network started");
    let mut tasks = JoinSet::new();
    for d in devices {
        tasks.spawn(run_device(
            client.clone(),
            d,
            tx.clone(),
            cancel.child_token(),
        ));
    }
    drop(tx);
    while tasks.join_next().await.is_some() {}
}
