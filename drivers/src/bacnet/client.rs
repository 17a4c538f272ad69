//! The BACnet/IP client of one network: one UDP socket, one receive task that routes replies by
//! (address, invoke id), COV notifications by subscriber process id and I-Ams to discovery; many
//! device tasks send through it concurrently, so a slow device never holds up another.
//!
//! Only [`ReadRequest`]s can be sent (reading and subscribing); the only other things the
//! client ever transmits are Who-Is, a SimpleAck to a confirmed COV notification, a Reject to
//! any other confirmed request addressed to it, and BBMD foreign-device registrations.

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use driftvakt_config::model::{BacnetNetwork, BacnetRoute};
use tokio::net::UdpSocket;
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::bacnet::encoding::DecodeError;
use crate::bacnet::frame::{self, Apdu, Npdu, Route, bvlc, confirmed, unconfirmed};
use crate::bacnet::services::{
    CovNotification, IAm, ReadRequest, decode_cov_notification, decode_i_am, encode_who_is,
};
use crate::bacnet::stats::BacnetStats;
use crate::bacnet::types::{abort_name, reject, reject_name};

/// Largest APDU driftvakt accepts (BACnet/IP maximum); segmented replies are never accepted.
pub const OWN_MAX_APDU: u16 = 1476;

/// Where a device is reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Its BACnet/IP address (or its router's).
    pub addr: SocketAddr,
    /// DNET/DADR behind a router.
    pub route: Option<Route>,
    /// Largest APDU it accepts.
    pub max_apdu: u16,
}

impl Target {
    /// From a configured route.
    pub fn new(addr: SocketAddr, route: Option<&BacnetRoute>, max_apdu: u16) -> Self {
        Self {
            addr,
            route: route.map(|r| Route {
                net: r.network,
                mac: r.mac.clone(),
            }),
            max_apdu,
        }
    }
}

/// A confirmed request that did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// No answer (after retries).
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// The device aborted the transaction.
    #[error("device aborted the request: {} ({reason})", abort_name(*reason))]
    Abort {
        /// Abort reason.
        reason: u8,
    },
    /// The device rejected the request.
    #[error("device rejected the request: {} ({reason})", reject_name(*reason))]
    Reject {
        /// Reject reason.
        reason: u8,
    },
    /// The device answered with an Error PDU.
    #[error("device error: class {class}, code {code}")]
    Error {
        /// Error class.
        class: u32,
        /// Error code.
        code: u32,
    },
    /// The device sent a segmented reply although driftvakt does not accept segmentation.
    #[error("device sent a segmented reply (not accepted)")]
    Segmented,
    /// The reply could not be decoded.
    #[error("{0}")]
    Decode(#[from] DecodeError),
    /// Sending failed.
    #[error("cannot send: {0}")]
    Io(String),
    /// The client stopped.
    #[error("the BACnet client stopped")]
    Closed,
}

impl RequestError {
    /// Whether the device answered at all (errors, rejects, aborts) rather than staying silent.
    pub fn device_answered(&self) -> bool {
        !matches!(
            self,
            RequestError::Timeout(_) | RequestError::Io(_) | RequestError::Closed
        )
    }

    /// Whether the request was refused for its size: worth trying smaller.
    pub fn is_too_big(&self) -> bool {
        use crate::bacnet::types::abort;
        match self {
            RequestError::Abort { reason } => matches!(
                *reason,
                abort::SEGMENTATION_NOT_SUPPORTED
                    | abort::BUFFER_OVERFLOW
                    | abort::APDU_TOO_LONG
                    | abort::OUT_OF_RESOURCES
                    | abort::OTHER
            ),
            RequestError::Reject { reason } => matches!(
                *reason,
                reject::BUFFER_OVERFLOW | reject::TOO_MANY_ARGUMENTS | reject::OTHER
            ),
            RequestError::Segmented => true,
            _ => false,
        }
    }

    /// Whether the device does not know the service at all.
    pub fn is_unrecognized_service(&self) -> bool {
        matches!(self, RequestError::Reject { reason } if *reason == reject::UNRECOGNIZED_SERVICE)
    }
}

/// A successful reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// SimpleAck (SubscribeCOV).
    SimpleAck,
    /// ComplexAck with its service data.
    ComplexAck(Vec<u8>),
}

/// A device that answered a Who-Is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discovered {
    /// Its BACnet/IP address (or its router's).
    pub addr: SocketAddr,
    /// Its network and MAC behind a router, if routed.
    pub route: Option<Route>,
    /// Its I-Am.
    pub i_am: IAm,
}

type Pending = HashMap<(SocketAddr, u8), oneshot::Sender<Result<Reply, RequestError>>>;

#[derive(Default)]
struct Shared {
    pending: Mutex<Pending>,
    next_invoke: Mutex<HashMap<SocketAddr, u8>>,
    cov: Mutex<HashMap<u32, mpsc::Sender<CovNotification>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The client of one BACnet network.
pub struct Client {
    socket: Arc<UdpSocket>,
    shared: Arc<Shared>,
    i_am: broadcast::Sender<Discovered>,
    next_process: AtomicU32,
    timeout: Duration,
    retries: u8,
    bbmd: Option<SocketAddr>,
    stats: Arc<BacnetStats>,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for Client {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// Routes COV notifications for one subscriber process id until dropped.
pub struct CovRoute {
    /// The subscriber process identifier to put in SubscribeCOV.
    pub process_id: u32,
    /// Notifications for it.
    pub rx: mpsc::Receiver<CovNotification>,
    shared: Arc<Shared>,
}

impl Drop for CovRoute {
    fn drop(&mut self) {
        lock(&self.shared.cov).remove(&self.process_id);
    }
}

impl Client {
    /// Bind the network's socket, start receiving and (with a BBMD) register as a foreign device.
    pub async fn bind(net: &BacnetNetwork, stats: Arc<BacnetStats>) -> io::Result<Client> {
        let socket = UdpSocket::bind(net.bind).await.map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("bacnet network {} cannot bind {}: {e}", net.id, net.bind),
            )
        })?;
        socket.set_broadcast(true)?;
        let socket = Arc::new(socket);
        let shared = Arc::new(Shared::default());
        let (i_am, _) = broadcast::channel(256);
        let mut tasks = vec![tokio::spawn(receive(
            socket.clone(),
            shared.clone(),
            i_am.clone(),
            stats.clone(),
        ))];
        let bbmd = net.bbmd.map(|b| b.address);
        if let Some(b) = net.bbmd {
            tasks.push(tokio::spawn(register_foreign(
                socket.clone(),
                b.address,
                b.ttl,
            )));
        }
        // Process ids start at a time-based value so a restarted daemon does not collide with
        // subscriptions its previous run left in devices.
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_micros())
            .unwrap_or(0);
        Ok(Client {
            socket,
            shared,
            i_am,
            next_process: AtomicU32::new(seed % 1_000_000 + 1),
            timeout: net.timeout,
            retries: net.retries,
            bbmd,
            stats,
            tasks,
        })
    }

    /// The local address the socket is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.socket.local_addr()
    }

    /// The network's counters.
    pub fn stats(&self) -> &Arc<BacnetStats> {
        &self.stats
    }

    /// A new subscriber process id with its notification channel.
    pub fn cov_route(&self) -> CovRoute {
        let process_id = self.next_process.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = mpsc::channel(1024);
        lock(&self.shared.cov).insert(process_id, tx);
        CovRoute {
            process_id,
            rx,
            shared: self.shared.clone(),
        }
    }

    fn invoke_id(&self, addr: SocketAddr) -> Option<u8> {
        let pending = lock(&self.shared.pending);
        let mut next = lock(&self.shared.next_invoke);
        let start = next.entry(addr).or_insert(0);
        for k in 0..=255u8 {
            let id = start.wrapping_add(k);
            if !pending.contains_key(&(addr, id)) {
                *start = id.wrapping_add(1);
                return Some(id);
            }
        }
        None
    }

    /// Send a read request and wait for its reply (retrying on timeout).
    pub async fn request(&self, target: &Target, req: &ReadRequest) -> Result<Reply, RequestError> {
        let data = req.encode();
        let npdu = Npdu {
            dest: target.route.clone(),
            expecting_reply: true,
            ..Npdu::default()
        };
        let device = self.stats.device_at(target.addr, target.route.as_ref());
        for _attempt in 0..=self.retries {
            let Some(invoke_id) = self.invoke_id(target.addr) else {
                return Err(RequestError::Io(
                    "256 requests outstanding to one address".into(),
                ));
            };
            let apdu = Apdu::ConfirmedRequest {
                segmented_response_accepted: false,
                max_apdu: OWN_MAX_APDU,
                invoke_id,
                service: req.service(),
                segmented: false,
                data: data.clone(),
            };
            let (tx, rx) = oneshot::channel();
            lock(&self.shared.pending).insert((target.addr, invoke_id), tx);
            BacnetStats::bump(&self.stats.requests);
            if let Some(d) = &device {
                BacnetStats::bump(&d.requests);
            }
            let failed = || {
                if let Some(d) = &device {
                    BacnetStats::bump(&d.errors);
                }
            };
            let bytes = frame::encode_datagram(bvlc::UNICAST, &npdu, &apdu);
            if let Err(e) = self.socket.send_to(&bytes, target.addr).await {
                lock(&self.shared.pending).remove(&(target.addr, invoke_id));
                failed();
                return Err(RequestError::Io(e.to_string()));
            }
            match tokio::time::timeout(self.timeout, rx).await {
                Ok(Ok(result)) => {
                    if result.as_ref().is_err_and(RequestError::device_answered) {
                        BacnetStats::bump(&self.stats.device_errors);
                    }
                    if result.is_err() {
                        failed();
                    }
                    return result;
                }
                Ok(Err(_)) => return Err(RequestError::Closed),
                Err(_) => {
                    lock(&self.shared.pending).remove(&(target.addr, invoke_id));
                    failed();
                }
            }
        }
        BacnetStats::bump(&self.stats.timeouts);
        Err(RequestError::Timeout(self.timeout))
    }

    /// Send Who-Is to `dest` (a device, a router, or a broadcast address when `broadcast`) and
    /// collect the I-Ams that arrive within `wait`. With a BBMD, a broadcast goes through it.
    pub async fn who_is(
        &self,
        dest: SocketAddr,
        broadcast: bool,
        range: Option<(u32, u32)>,
        wait: Duration,
    ) -> io::Result<Vec<Discovered>> {
        let mut rx = self.i_am.subscribe();
        // DNET 0xFFFF: routers pass it on, so devices behind them answer too.
        let npdu = Npdu {
            dest: Some(Route {
                net: 0xFFFF,
                mac: Vec::new(),
            }),
            ..Npdu::default()
        };
        let apdu = Apdu::Unconfirmed {
            service: unconfirmed::WHO_IS,
            data: encode_who_is(range),
        };
        let (function, to) = match (broadcast, self.bbmd) {
            (true, Some(b)) => (bvlc::DISTRIBUTE_BROADCAST, b),
            (true, None) => (bvlc::BROADCAST, dest),
            (false, _) => (bvlc::UNICAST, dest),
        };
        self.socket
            .send_to(&frame::encode_datagram(function, &npdu, &apdu), to)
            .await?;
        let mut found: Vec<Discovered> = Vec::new();
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Ok(d)) => {
                    let in_range =
                        range.is_none_or(|(lo, hi)| (lo..=hi).contains(&d.i_am.device.instance));
                    if in_range && (broadcast || d.addr == dest) && !found.contains(&d) {
                        found.push(d);
                    }
                }
                Ok(Err(broadcast::error::RecvError::Lagged(_))) => {}
                Ok(Err(broadcast::error::RecvError::Closed)) | Err(_) => break,
            }
        }
        found.sort_by_key(|d| d.i_am.device.instance);
        Ok(found)
    }
}

/// Register with the BBMD now and again at half the time-to-live (it adds a grace period).
async fn register_foreign(socket: Arc<UdpSocket>, bbmd: SocketAddr, ttl: Duration) {
    let ttl_s = u16::try_from(ttl.as_secs()).unwrap_or(u16::MAX).max(1);
    let every = (ttl / 2).max(Duration::from_secs(1));
    loop {
        match socket
            .send_to(&frame::register_foreign_device(ttl_s), bbmd)
            .await
        {
            Ok(_) => tracing::debug!(%bbmd, ttl_s, "foreign-device registration sent"),
            Err(e) => tracing::warn!(%bbmd, error = %e, "cannot send foreign-device registration"),
        }
        tokio::time::sleep(every).await;
    }
}

/// The receive loop: replies to waiting requests, notifications to device tasks.
async fn receive(
    socket: Arc<UdpSocket>,
    shared: Arc<Shared>,
    i_am: broadcast::Sender<Discovered>,
    stats: Arc<BacnetStats>,
) {
    let mut buf = vec![0u8; 2048];
    loop {
        let (n, from) = match socket.recv_from(&mut buf).await {
            Ok(v) => v,
            Err(e) => {
                // ICMP port unreachable shows up here on some systems; keep receiving.
                tracing::debug!(error = %e, "bacnet receive error");
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let f = match frame::decode_datagram(&buf[..n]) {
            Ok(f) => f,
            Err(e) => {
                tracing::debug!(%from, error = %e, "ignoring an undecodable datagram");
                continue;
            }
        };
        if let Some(code) = f.result
            && code != 0
        {
            tracing::warn!(%from, code, "BBMD refused a request (BVLC-Result NAK): foreign-device registration failed?");
        }
        let src = f.forwarded_from.unwrap_or(from);
        let Some(apdu) = f.apdu else { continue };
        let complete = |invoke_id: u8, result: Result<Reply, RequestError>| {
            if let Some(tx) = lock(&shared.pending).remove(&(src, invoke_id)) {
                let _ = tx.send(result);
            }
        };
        match apdu {
            Apdu::SimpleAck { invoke_id, .. } => complete(invoke_id, Ok(Reply::SimpleAck)),
            Apdu::ComplexAck {
                invoke_id,
                segmented: true,
                ..
            } => complete(invoke_id, Err(RequestError::Segmented)),
            Apdu::ComplexAck {
                invoke_id, data, ..
            } => complete(invoke_id, Ok(Reply::ComplexAck(data))),
            Apdu::Error {
                invoke_id,
                class,
                code,
                ..
            } => complete(invoke_id, Err(RequestError::Error { class, code })),
            Apdu::Reject { invoke_id, reason } => {
                complete(invoke_id, Err(RequestError::Reject { reason }))
            }
            Apdu::Abort {
                invoke_id, reason, ..
            } => complete(invoke_id, Err(RequestError::Abort { reason })),
            Apdu::Unconfirmed {
                service: unconfirmed::COV_NOTIFICATION,
                data,
            } => route_cov(&shared, &stats, &data, src),
            Apdu::Unconfirmed {
                service: unconfirmed::I_AM,
                data,
            } => match decode_i_am(&data) {
                Ok(i) => {
                    let route = f.npdu.source.clone();
                    let _ = i_am.send(Discovered {
                        addr: src,
                        route,
                        i_am: i,
                    });
                }
                Err(e) => tracing::debug!(%src, error = %e, "ignoring a malformed I-Am"),
            },
            Apdu::ConfirmedRequest {
                invoke_id,
                service,
                data,
                ..
            } => {
                // Answer so the sender does not wait: a SimpleAck for a COV notification, a
                // Reject for anything else (driftvakt serves nothing).
                let reply = if service == confirmed::COV_NOTIFICATION {
                    route_cov(&shared, &stats, &data, src);
                    Apdu::SimpleAck { invoke_id, service }
                } else {
                    Apdu::Reject {
                        invoke_id,
                        reason: reject::UNRECOGNIZED_SERVICE,
                    }
                };
                let npdu = Npdu {
                    dest: f.npdu.source.clone(),
                    ..Npdu::default()
                };
                let _ = socket
                    .send_to(&frame::encode_datagram(bvlc::UNICAST, &npdu, &reply), src)
                    .await;
            }
            _ => {}
        }
    }
}

fn route_cov(shared: &Shared, stats: &BacnetStats, data: &[u8], src: SocketAddr) {
    match decode_cov_notification(data) {
        Ok(n) => {
            let tx = lock(&shared.cov).get(&n.process_id).cloned();
            match tx {
                Some(tx) => {
                    BacnetStats::bump(&stats.cov_notifications);
                    if tx.try_send(n).is_err() {
                        tracing::warn!(%src, "COV notification dropped: the device task is behind");
                    }
                }
                None => {
                    tracing::debug!(%src, process_id = n.process_id, "COV notification for an unknown subscription")
                }
            }
        }
        Err(e) => tracing::debug!(%src, error = %e, "ignoring a malformed COV notification"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use driftvakt_config::model::Bbmd;

    #[tokio::test]
    async fn registers_with_the_bbmd_again_before_the_ttl_ends_and_broadcasts_through_it() {
        let bbmd = UdpSocket::bind("127.0.0.1:0")
            .await
            .expect("bind fake BBMD");
        let net = BacnetNetwork {
            id: "t".into(),
            bind: "127.0.0.1:0".parse().expect("addr"),
            bbmd: Some(Bbmd {
                address: bbmd.local_addr().expect("addr"),
                ttl: Duration::from_secs(2),
            }),
            max_apdu_bytes: 1476,
            timeout: Duration::from_millis(200),
            retries: 0,
        };
        let client = Client::bind(&net, Arc::new(BacnetStats::new("t")))
            .await
            .expect("bind");
        let mut buf = [0u8; 64];
        let start = tokio::time::Instant::now();
        let mut registrations = 0;
        while registrations < 2 {
            let (n, _) = tokio::time::timeout(Duration::from_secs(3), bbmd.recv_from(&mut buf))
                .await
                .expect("a registration in time")
                .expect("recv");
            assert_eq!(
                &buf[..n],
                &[0x81, 0x05, 0x00, 0x06, 0x00, 0x02],
                "Register-Foreign-Device, TTL 2 s"
            );
            registrations += 1;
        }
        assert!(
            start.elapsed() < Duration::from_millis(1800),
            "renewed at half the TTL, before it ends"
        );
        let found = client
            .who_is(
                "255.255.255.255:47808".parse().expect("addr"),
                true,
                None,
                Duration::from_millis(50),
            )
            .await
            .expect("send");
        assert!(found.is_empty());
        let (n, _) = bbmd.recv_from(&mut buf).await.expect("recv");
        assert_eq!(
            buf[1],
            bvlc::DISTRIBUTE_BROADCAST,
            "a foreign device broadcasts through its BBMD: {:02x?}",
            &buf[..n]
        );
    }
}
