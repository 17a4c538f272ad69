//! The BACnet/IP client of one network: one UDP socket, one receive task that routes replies by
//! (address, invoke id), COV notifications by subscriber process id and I-Ams to discovery; many
//! device tasks send through it concurrently, so a slow device never holds up another.
//!
//! A COV notification is accepted only when everything matches the subscription: a random 32-bit
//! process id in use, sent from the subscribed device's address (and SNET/SADR when it is behind
//! a router), for its device instance and a subscribed object. Anything else is counted per
//! [`Rejected`] reason and logged at warn, rate-limited (anyone on the network can send UDP).
//!
//! Only [`ReadRequest`]s can be sent (reading and subscribing); the only other things the
//! client ever transmits are Who-Is, a SimpleAck to a confirmed COV notification, a Reject to
//! any other confirmed request addressed to it, and BBMD foreign-device registrations.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, Hasher};
use std::io;
use std::net::SocketAddr;
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
use crate::bacnet::stats::{BacnetStats, Rejected};
use crate::bacnet::types::{ObjectId, abort_name, reject, reject_name};
use crate::log_limit::{LogLimit, WARN_EVERY};

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

/// Who may notify under one subscriber process id.
struct Subscriber {
    /// Where the notifications go (the device task).
    tx: mpsc::Sender<CovNotification>,
    /// The device's BACnet/IP address (or its router's): the only accepted sender.
    addr: SocketAddr,
    /// The device's DNET/DADR behind a router: the notification must carry it as SNET/SADR.
    route: Option<Route>,
    /// The device instance the notification must name as initiating device.
    device: u32,
    /// The objects subscribed under this process id.
    objects: HashSet<ObjectId>,
}

#[derive(Default)]
struct Shared {
    pending: Mutex<Pending>,
    next_invoke: Mutex<HashMap<SocketAddr, u8>>,
    cov: Mutex<HashMap<u32, Subscriber>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The client of one BACnet network.
pub struct Client {
    socket: Arc<UdpSocket>,
    shared: Arc<Shared>,
    i_am: broadcast::Sender<Discovered>,
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
        let bbmd = net.bbmd.map(|b| b.address);
        let inbox = Inbox {
            shared: shared.clone(),
            stats: stats.clone(),
            bbmd,
            limit: LogLimit::new(WARN_EVERY),
        };
        let mut tasks = vec![tokio::spawn(receive(socket.clone(), inbox, i_am.clone()))];
        if let Some(b) = net.bbmd {
            tasks.push(tokio::spawn(register_foreign(
                socket.clone(),
                b.address,
                b.ttl,
            )));
        }
        Ok(Client {
            socket,
            shared,
            i_am,
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

    /// A new subscriber process id (random, 32 bits: not guessable by others on the network, and
    /// no collision with subscriptions a previous run left in devices) with its notification
    /// channel. Only notifications from `target` (address and route) naming device instance
    /// `device` and one of `objects` are delivered.
    pub fn cov_route(
        &self,
        target: &Target,
        device: u32,
        objects: impl IntoIterator<Item = ObjectId>,
    ) -> CovRoute {
        let (tx, rx) = mpsc::channel(1024);
        let mut cov = lock(&self.shared.cov);
        let process_id = loop {
            let id = random_u32();
            if id != 0 && !cov.contains_key(&id) {
                break id;
            }
        };
        cov.insert(
            process_id,
            Subscriber {
                tx,
                addr: target.addr,
                route: target.route.clone(),
                device,
                objects: objects.into_iter().collect(),
            },
        );
        drop(cov);
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

/// 32 random bits from the operating system (a hash with a random key should that fail).
fn random_u32() -> u32 {
    let mut b = [0u8; 4];
    if getrandom::getrandom(&mut b).is_ok() {
        return u32::from_ne_bytes(b);
    }
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.finish() as u32
}

/// What the receive loop needs besides the socket.
struct Inbox {
    shared: Arc<Shared>,
    stats: Arc<BacnetStats>,
    /// The configured BBMD: the only sender whose Forwarded-NPDUs are believed.
    bbmd: Option<SocketAddr>,
    /// One warning per reason and interval.
    limit: LogLimit<Rejected>,
}

impl Inbox {
    /// Count a rejected datagram and warn (rate-limited per reason).
    fn reject(&mut self, reason: Rejected, from: SocketAddr, detail: &str) {
        self.stats.reject(reason);
        if let Some(suppressed) = self.limit.allow(reason) {
            tracing::warn!(
                network = %self.stats.network, reason = reason.as_str(), %from,
                "rejected a BACnet datagram: {detail}{suppressed}"
            );
        }
    }

    /// Deliver a COV notification if it matches a subscription; whether it was accepted.
    fn cov(
        &mut self,
        data: &[u8],
        from: Option<SocketAddr>,
        f: &frame::Frame,
        peer: SocketAddr,
    ) -> bool {
        let n = match decode_cov_notification(data) {
            Ok(n) => n,
            Err(e) => {
                self.reject(
                    Rejected::Malformed,
                    peer,
                    &format!("malformed COV notification ({e})"),
                );
                return false;
            }
        };
        let verdict = {
            let cov = lock(&self.shared.cov);
            match cov.get(&n.process_id) {
                None => Err((
                    Rejected::UnknownProcess,
                    format!(
                        "COV notification for process id {}, which driftvakt does not use",
                        n.process_id
                    ),
                )),
                Some(s) if from != Some(s.addr) || f.npdu.source != s.route => Err((
                    Rejected::ForeignAddress,
                    format!(
                        "COV notification for process id {} from {}{}, but that subscription is with device {} at {}{}",
                        n.process_id,
                        from.map_or_else(
                            || "a Forwarded-NPDU not from the BBMD".to_string(),
                            |a| a.to_string()
                        ),
                        route_text(f.npdu.source.as_ref()),
                        s.device,
                        s.addr,
                        route_text(s.route.as_ref()),
                    ),
                )),
                Some(s) if n.device.instance != s.device || !s.objects.contains(&n.object) => {
                    Err((
                        Rejected::UnsubscribedObject,
                        format!(
                            "COV notification from device {} for {}, which is not subscribed (subscribed: device {})",
                            n.device.instance, n.object, s.device
                        ),
                    ))
                }
                Some(s) => Ok(s.tx.clone()),
            }
        };
        match verdict {
            Ok(tx) => {
                BacnetStats::bump(&self.stats.cov_notifications);
                if tx.try_send(n).is_err() {
                    tracing::warn!(network = %self.stats.network, from = %peer, "COV notification dropped: the device task is behind");
                }
                true
            }
            Err((reason, detail)) => {
                self.reject(reason, peer, &detail);
                false
            }
        }
    }
}

/// ` via network N, MAC 0a0b` for a routed address, else nothing.
fn route_text(route: Option<&Route>) -> String {
    route.map_or_else(String::new, |r| {
        let mac: String = r.mac.iter().map(|b| format!("{b:02x}")).collect();
        format!(" via network {}, MAC {mac}", r.net)
    })
}

/// The receive loop: replies to waiting requests, notifications to device tasks.
async fn receive(socket: Arc<UdpSocket>, mut inbox: Inbox, i_am: broadcast::Sender<Discovered>) {
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
        let mut f = match frame::decode_datagram(&buf[..n]) {
            Ok(f) => f,
            Err(e) => {
                inbox.reject(
                    Rejected::Malformed,
                    from,
                    &format!("undecodable datagram of {n} bytes ({e})"),
                );
                continue;
            }
        };
        if let Some(code) = f.result
            && code != 0
        {
            tracing::warn!(network = %inbox.stats.network, %from, code, "BBMD refused a request (BVLC-Result NAK): foreign-device registration failed?");
        }
        // Who sent it: a Forwarded-NPDU names its original sender, which is believed only when
        // it comes from the configured BBMD (anyone can write any address into one). Replies
        // and COV notifications are unicast, so they need a believable sender; I-Ams (discovery
        // only) take the address as written.
        let sender = match f.forwarded_from {
            None => Some(from),
            Some(original) if inbox.bbmd == Some(from) => Some(original),
            Some(_) => None,
        };
        let src = sender.unwrap_or(from);
        let Some(apdu) = f.apdu.take() else { continue };
        let complete = |invoke_id: u8, result: Result<Reply, RequestError>| {
            let Some(src) = sender else { return };
            if let Some(tx) = lock(&inbox.shared.pending).remove(&(src, invoke_id)) {
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
            } => {
                inbox.cov(&data, sender, &f, from);
            }
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
                Err(e) => inbox.reject(Rejected::Malformed, from, &format!("malformed I-Am ({e})")),
            },
            Apdu::ConfirmedRequest {
                invoke_id,
                service,
                data,
                ..
            } => {
                // Answer so the sender does not wait: a SimpleAck for an accepted COV
                // notification, a Reject for anything else but a rejected COV notification
                // (driftvakt serves nothing; a forger gets no answer).
                let reply = if service == confirmed::COV_NOTIFICATION {
                    if !inbox.cov(&data, sender, &f, from) {
                        continue;
                    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bacnet::encoding::AppValue;
    use crate::bacnet::services::encode_cov_notification;
    use crate::bacnet::types::{ObjectType, PropertyId};
    use driftvakt_config::model::Bbmd;

    fn net(bbmd: Option<Bbmd>) -> BacnetNetwork {
        BacnetNetwork {
            id: "t".into(),
            bind: "127.0.0.1:0".parse().expect("addr"),
            bbmd,
            max_apdu_bytes: 1476,
            timeout: Duration::from_millis(200),
            retries: 0,
        }
    }

    fn ai(instance: u32) -> ObjectId {
        ObjectId {
            object_type: ObjectType::ANALOG_INPUT,
            instance,
        }
    }

    /// An UnconfirmedCOVNotification datagram: 777.25 for `object` of device `device`.
    fn notification(
        process_id: u32,
        device: u32,
        object: ObjectId,
        source: Option<Route>,
    ) -> Vec<u8> {
        let n = CovNotification {
            process_id,
            device: ObjectId {
                object_type: ObjectType::DEVICE,
                instance: device,
            },
            object,
            time_remaining_s: 60,
            values: vec![(PropertyId::PRESENT_VALUE, vec![AppValue::Real(777.25)])],
        };
        let npdu = Npdu {
            source,
            ..Npdu::default()
        };
        let apdu = Apdu::Unconfirmed {
            service: unconfirmed::COV_NOTIFICATION,
            data: encode_cov_notification(&n),
        };
        frame::encode_datagram(bvlc::UNICAST, &npdu, &apdu)
    }

    /// Wait until `total` datagrams were rejected or `rx` got a notification.
    async fn settle(
        stats: &BacnetStats,
        total: u64,
        rx: &mut mpsc::Receiver<CovNotification>,
    ) -> Option<CovNotification> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
        loop {
            if let Ok(n) = rx.try_recv() {
                return Some(n);
            }
            let rejected: u64 = Rejected::ALL.iter().map(|r| stats.rejected(*r)).sum();
            if rejected >= total || tokio::time::Instant::now() > deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    #[tokio::test]
    async fn only_the_subscribed_device_can_notify_and_the_rest_is_counted_by_reason() {
        let stats = Arc::new(BacnetStats::new("t"));
        let client = Client::bind(&net(None), stats.clone()).await.expect("bind");
        let to = client.local_addr().expect("addr");
        let device = UdpSocket::bind("127.0.0.1:0").await.expect("bind device");
        let stranger = UdpSocket::bind("127.0.0.1:0").await.expect("bind stranger");
        let target = Target::new(device.local_addr().expect("addr"), None, 1476);
        let mut route = client.cov_route(&target, 1201, [ai(1)]);
        let pid = route.process_id;

        let forged: Vec<(&UdpSocket, Vec<u8>, Rejected)> = vec![
            (
                &stranger,
                notification(pid, 1201, ai(1), None),
                Rejected::ForeignAddress,
            ),
            (
                &device,
                notification(
                    pid,
                    1201,
                    ai(1),
                    Some(Route {
                        net: 5,
                        mac: vec![1],
                    }),
                ),
                Rejected::ForeignAddress,
            ),
            (
                &device,
                notification(pid ^ 1, 1201, ai(1), None),
                Rejected::UnknownProcess,
            ),
            (
                &stranger,
                notification(pid.wrapping_add(1), 1201, ai(1), None),
                Rejected::UnknownProcess,
            ),
            (
                &device,
                notification(pid, 1201, ai(2), None),
                Rejected::UnsubscribedObject,
            ),
            (
                &device,
                notification(pid, 1202, ai(1), None),
                Rejected::UnsubscribedObject,
            ),
            (
                &stranger,
                vec![0x81, 0x0a, 0x00, 0x09, 0x01, 0x00, 0x10, 0x02, 0x09],
                Rejected::Malformed,
            ),
            (&stranger, b"hello".to_vec(), Rejected::Malformed),
        ];
        // A Forwarded-NPDU that claims to come from the device, sent by someone not the BBMD.
        let dev = target.addr;
        let mut body = match dev {
            SocketAddr::V4(a) => a.ip().octets().to_vec(),
            SocketAddr::V6(_) => unreachable!("bound to 127.0.0.1"),
        };
        body.extend_from_slice(&dev.port().to_be_bytes());
        body.extend_from_slice(&notification(pid, 1201, ai(1), None)[4..]);
        let forwarded = frame::bvlc_wrap(bvlc::FORWARDED_NPDU, &body);

        let mut sent = 0;
        for (socket, bytes, reason) in &forged {
            let before = stats.rejected(*reason);
            socket.send_to(bytes, to).await.expect("send");
            sent += 1;
            assert!(
                settle(&stats, sent, &mut route.rx).await.is_none(),
                "accepted a forgery ({reason:?})"
            );
            assert_eq!(stats.rejected(*reason), before + 1, "counted as {reason:?}");
        }
        stranger.send_to(&forwarded, to).await.expect("send");
        assert!(
            settle(&stats, sent + 1, &mut route.rx).await.is_none(),
            "accepted a forwarded forgery"
        );
        assert_eq!(stats.rejected(Rejected::ForeignAddress), 3);
        assert_eq!(BacnetStats::get(&stats.cov_notifications), 0);

        device
            .send_to(&notification(pid, 1201, ai(1), None), to)
            .await
            .expect("send");
        let n = settle(&stats, u64::MAX, &mut route.rx)
            .await
            .expect("the device's own notification arrives");
        assert_eq!((n.process_id, n.object), (pid, ai(1)));
        assert_eq!(BacnetStats::get(&stats.cov_notifications), 1);
    }

    #[tokio::test]
    async fn a_device_behind_a_router_must_notify_with_its_snet_sadr() {
        let stats = Arc::new(BacnetStats::new("t"));
        let client = Client::bind(&net(None), stats.clone()).await.expect("bind");
        let to = client.local_addr().expect("addr");
        let router = UdpSocket::bind("127.0.0.1:0").await.expect("bind router");
        let behind = Route {
            net: 7,
            mac: vec![0x0a],
        };
        let target = Target {
            addr: router.local_addr().expect("addr"),
            route: Some(behind.clone()),
            max_apdu: 480,
        };
        let mut route = client.cov_route(&target, 9, [ai(1)]);
        let pid = route.process_id;
        let other = Route {
            net: 7,
            mac: vec![0x0b],
        };
        router
            .send_to(&notification(pid, 9, ai(1), Some(other)), to)
            .await
            .expect("send");
        router
            .send_to(&notification(pid, 9, ai(1), None), to)
            .await
            .expect("send");
        assert!(settle(&stats, 2, &mut route.rx).await.is_none());
        assert_eq!(
            stats.rejected(Rejected::ForeignAddress),
            2,
            "another MAC behind the router, or none"
        );
        router
            .send_to(&notification(pid, 9, ai(1), Some(behind)), to)
            .await
            .expect("send");
        assert!(settle(&stats, u64::MAX, &mut route.rx).await.is_some());
    }

    #[tokio::test]
    async fn process_ids_are_random_32_bit_values() {
        let client = Client::bind(&net(None), Arc::new(BacnetStats::new("t")))
            .await
            .expect("bind");
        let target = Target::new("127.0.0.1:47808".parse().expect("addr"), None, 1476);
        let routes: Vec<CovRoute> = (0..64)
            .map(|_| client.cov_route(&target, 1, [ai(1)]))
            .collect();
        let mut ids: Vec<u32> = routes.iter().map(|r| r.process_id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 64, "distinct");
        assert!(
            ids.iter().any(|&i| i > 1 << 24),
            "spread over 32 bits, not a counter: {ids:?}"
        );
        assert!(
            ids.windows(2).filter(|w| w[1] - w[0] == 1).count() < 2,
            "not consecutive: {ids:?}"
        );
        drop(routes);
        assert!(
            lock(&client.shared.cov).is_empty(),
            "dropping a route ends its subscription"
        );
    }

    #[tokio::test]
    async fn registers_with_the_bbmd_again_before_the_ttl_ends_and_broadcasts_through_it() {
        let bbmd = UdpSocket::bind("127.0.0.1:0")
            .await
            .expect("bind fake BBMD");
        let net = net(Some(Bbmd {
            address: bbmd.local_addr().expect("addr"),
            ttl: Duration::from_secs(2),
        }));
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
