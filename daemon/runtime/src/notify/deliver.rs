//! The delivery loop of a notifier that sends one request and gets one answer (e-mail; an SMS
//! gateway or a webhook would too): the next due notification, send it, report the outcome,
//! wait to be woken. A notifier with a connection of its own (MQTT) runs its own loop on the
//! same [`Queue`].

use std::future::Future;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::{Outgoing, Queue};

/// How long an idle notifier waits before it asks again without being woken (a failed
/// notification falls due again by its backoff, not by a wake).
pub const IDLE_POLL: Duration = Duration::from_millis(500);

/// Deliver `queue`'s due notifications with `send` one at a time until `cancel`. `send` returns
/// `Ok` only when the server acknowledged; a stop while sending reports the attempt as failed.
pub async fn one_at_a_time<F, Fut>(queue: Queue, cancel: CancellationToken, mut send: F)
where
    F: FnMut(Outgoing) -> Fut,
    Fut: Future<Output = Result<(), String>>,
{
    loop {
        let Ok(next) = queue.next_due().await else { break };
        match next {
            Some(out) => {
                let id = out.id;
                let result = tokio::select! {
                    r = send(out) => r,
                    _ = cancel.cancelled() => Err("daemon stopping".to_string()),
                };
                queue.report(id, result);
                if cancel.is_cancelled() {
                    break;
                }
            }
            None => {
                tokio::select! {
                    _ = cancel.cancelled() => break,
                    _ = queue.woken() => {}
                    _ = tokio::time::sleep(IDLE_POLL) => {}
                }
            }
        }
    }
}
