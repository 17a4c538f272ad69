//! The simulator's BACnet/IP side: one UDP port acting as a BACnet router to network
//! [`SIM_NETWORK`], behind which the AHU (LB01, device 1201, MAC 1) and the district-heating
//! substation (VS01, device 1301, MAC 2) answer Who-Is, ReadProperty, ReadPropertyMultiple and
//! SubscribeCOV, and send unconfirmed COV notifications while a subscription lives (its
//! lifetime is enforced, as a real device does).
//!
//! Every service received is counted by name ([`BacnetServiceLog`]); write services (and any
//! other service that changes a device) are refused with an Error and counted as writes: the
//! evidence that driftvakt's BACnet client only reads.

use std::collections::{BTreeMap, HashMap};
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::net::UdpSocket;
use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use driftvakt_drivers::bacnet::encoding::AppValue;
use driftvakt_drivers::bacnet::frame::{self, Apdu, Npdu, Route, bvlc, confirmed, unconfirmed};
use driftvakt_drivers::bacnet::services::{
    CovNotification, IAm, PropertyResult, decode_read_property_request, decode_rpm_request,
    decode_subscribe_cov, decode_who_is, encode_cov_notification, encode_i_am,
    encode_read_property_ack, encode_rpm_ack,
};
use driftvakt_drivers::bacnet::types::{ObjectId, PropertyId, StatusFlags, abort, error, reject};
use crate::bacnet_objects::{SIM_NETWORK, SimDevice, devices};
use crate::model::Plant;

/// How often subscriptions are checked for changes.
const COV_SCAN: Duration = Duration::from_millis(100);

/// Counts of every BACnet service received, by name.
#[derive(Debug, Clone, Default)]
pub struct BacnetServiceLog {
    counts: Arc<Mutex<BTreeMap<String, u64>>>,
    writes: Arc<AtomicU64>,
}

impl BacnetServiceLog {
    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, u64>> {
        self.counts.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Count one request of service `name`; `write` if it changes a device.
    pub fn record(&self, name: &str, write: bool) {
        *self.lock().entry(name.to_string()).or_insert(0) += 1;
        if write {
            self.writes.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Requests per service name.
    pub fn snapshot(&self) -> BTreeMap<String, u64> {
        self.lock().clone()
    }

    /// Requests that would have changed a device (must stay 0).
    pub fn write_services_seen(&self) -> u64 {
        self.writes.load(Ordering::Relaxed)
    }

    /// The tally as JSON, e.g. `{"read-property-multiple":12,"subscribe-cov":3}`.
    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.snapshot()).unwrap_or_else(|_| "{}".into())
    }
}

/// A simulated device as the outside sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimBacnetDevice {
    /// Short id (`lb01`).
    pub id: String,
    /// Device instance.
    pub instance: u32,
    /// MAC on the router's remote network.
    pub mac: u8,
}

/// The running BACnet side of the simulator.
#[derive(Debug, Clone)]
pub struct SimBacnet {
    /// The router's BACnet/IP address.
    pub addr: SocketAddr,
    /// The remote network number the devices are on.
    pub network: u16,
    /// The devices behind the router.
    pub devices: Vec<SimBacnetDevice>,
    /// Services received.
    pub services: BacnetServiceLog,
    overrides: Arc<Mutex<HashMap<(u32, ObjectId), f64>>>,
    wake: Arc<Notify>,
}

impl SimBacnet {
    /// Replace an analog object's present-value (`None` = follow the plant again) and check
    /// subscriptions at once (the bench measures COV latency with this).
    pub fn set_override(&self, instance: u32, object: ObjectId, value: Option<f64>) {
        {
            let mut o = self.overrides.lock().unwrap_or_else(|p| p.into_inner());
            match value {
                Some(v) => o.insert((instance, object), v),
                None => o.remove(&(instance, object)),
            };
        }
        self.wake.notify_one();
    }
}

/// One COV subscription held by the simulated device.
#[derive(Debug, Clone)]
struct Subscription {
    client: SocketAddr,
    client_route: Option<Route>,
    process_id: u32,
    instance: u32,
    object: ObjectId,
    expires: Instant,
    lifetime_s: u32,
    last: Option<(AppValue, StatusFlags)>,
}

struct State {
    plant: Arc<Mutex<Plant>>,
    overrides: Arc<Mutex<HashMap<(u32, ObjectId), f64>>>,
    subs: Mutex<Vec<Subscription>>,
    log: BacnetServiceLog,
}

impl State {
    fn images(&self) -> Vec<SimDevice> {
        let mut devs = devices(&self.plant.lock().unwrap_or_else(|p| p.into_inner()));
        let overrides = self.overrides.lock().unwrap_or_else(|p| p.into_inner());
        for d in &mut devs {
            for o in &mut d.objects {
                if let Some(v) = overrides.get(&(d.instance, o.id)) {
                    o.value = AppValue::Real(*v as f32);
                }
            }
        }
        devs
    }
}

/// Bind the router's UDP socket.
pub(crate) async fn bind(ip: IpAddr, port: u16) -> io::Result<UdpSocket> {
    UdpSocket::bind((ip, port)).await.map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("simulator BACnet router cannot listen on {ip}:{port} (UDP): {e}"),
        )
    })
}

/// Start serving on `socket` until `cancel`.
pub(crate) fn start(
    socket: UdpSocket,
    plant: Arc<Mutex<Plant>>,
    tasks: &TaskTracker,
    cancel: CancellationToken,
) -> io::Result<SimBacnet> {
    let addr = socket.local_addr()?;
    let socket = Arc::new(socket);
    let overrides = Arc::new(Mutex::new(HashMap::new()));
    let wake = Arc::new(Notify::new());
    let log = BacnetServiceLog::default();
    let state = Arc::new(State {
        plant,
        overrides: overrides.clone(),
        subs: Mutex::new(Vec::new()),
        log: log.clone(),
    });
    let devs: Vec<SimBacnetDevice> = state
        .images()
        .iter()
        .map(|d| SimBacnetDevice {
            id: d.id.to_string(),
            instance: d.instance,
            mac: d.mac,
        })
        .collect();
    tasks.spawn(serve(socket.clone(), state.clone(), cancel.clone()));
    tasks.spawn(cov_loop(socket, state, wake.clone(), cancel));
    tracing::info!(%addr, network = SIM_NETWORK, "simulator BACnet/IP router listening");
    Ok(SimBacnet {
        addr,
        network: SIM_NETWORK,
        devices: devs,
        services: log,
        overrides,
        wake,
    })
}

async fn serve(socket: Arc<UdpSocket>, state: Arc<State>, cancel: CancellationToken) {
    let mut buf = vec![0u8; 2048];
    loop {
        let (n, from) = tokio::select! {
            () = cancel.cancelled() => break,
            r = socket.recv_from(&mut buf) => match r {
                Ok(v) => v,
                Err(_) => continue,
            },
        };
        for (bytes, to) in handle(&state, &buf[..n], from) {
            let _ = socket.send_to(&bytes, to).await;
        }
    }
}

/// Answer one datagram: the datagrams to send back.
fn handle(state: &State, bytes: &[u8], from: SocketAddr) -> Vec<(Vec<u8>, SocketAddr)> {
    let Ok(f) = frame::decode_datagram(bytes) else {
        return Vec::new();
    };
    let Some(apdu) = f.apdu else {
        return Vec::new();
    };
    let images = state.images();
    let reply_npdu = |mac: u8| Npdu {
        source: Some(Route {
            net: SIM_NETWORK,
            mac: vec![mac],
        }),
        dest: f.npdu.source.clone(),
        ..Npdu::default()
    };
    let target = |dest: &Option<Route>| -> Option<&SimDevice> {
        let d = dest.as_ref()?;
        if d.net != SIM_NETWORK {
            return None;
        }
        images.iter().find(|dev| d.mac == [dev.mac])
    };
    let mut out = Vec::new();
    match apdu {
        Apdu::Unconfirmed { service, data } => {
            state.log.record(
                &frame::unconfirmed_name(service),
                frame::is_write_unconfirmed(service),
            );
            if service == unconfirmed::WHO_IS {
                let range = decode_who_is(&data).ok().flatten();
                let for_us = f
                    .npdu
                    .dest
                    .as_ref()
                    .is_none_or(|d| d.net == 0xFFFF || d.net == SIM_NETWORK);
                for dev in images.iter().filter(|_| for_us) {
                    if range.is_some_and(|(lo, hi)| !(lo..=hi).contains(&dev.instance)) {
                        continue;
                    }
                    let i_am = IAm {
                        device: dev.device_id(),
                        max_apdu: 1476,
                        segmentation: 3,
                        vendor: 999,
                    };
                    let apdu = Apdu::Unconfirmed {
                        service: unconfirmed::I_AM,
                        data: encode_i_am(&i_am),
                    };
                    out.push((
                        frame::encode_datagram(bvlc::UNICAST, &reply_npdu(dev.mac), &apdu),
                        from,
                    ));
                }
            }
        }
        Apdu::ConfirmedRequest {
            invoke_id,
            service,
            segmented,
            max_apdu,
            data,
            ..
        } => {
            state.log.record(
                &frame::confirmed_name(service),
                frame::is_write_confirmed(service),
            );
            let Some(dev) = target(&f.npdu.dest) else {
                // Nothing at that address behind this router: no answer, like a real network.
                return out;
            };
            let reply = if segmented {
                Apdu::Abort {
                    invoke_id,
                    reason: abort::SEGMENTATION_NOT_SUPPORTED,
                    server: true,
                }
            } else {
                confirmed_reply(
                    state,
                    dev,
                    invoke_id,
                    service,
                    &data,
                    from,
                    f.npdu.source.clone(),
                )
            };
            let mut bytes_out = reply.encode();
            if bytes_out.len() > usize::from(max_apdu) {
                bytes_out = Apdu::Abort {
                    invoke_id,
                    reason: abort::SEGMENTATION_NOT_SUPPORTED,
                    server: true,
                }
                .encode();
            }
            let mut body = frame::encode_npdu(&reply_npdu(dev.mac));
            body.extend_from_slice(&bytes_out);
            out.push((frame::bvlc_wrap(bvlc::UNICAST, &body), from));
        }
        _ => {}
    }
    out
}

fn confirmed_reply(
    state: &State,
    dev: &SimDevice,
    invoke_id: u8,
    service: u8,
    data: &[u8],
    from: SocketAddr,
    route: Option<Route>,
) -> Apdu {
    let bad = || Apdu::Reject {
        invoke_id,
        reason: reject::OTHER,
    };
    match service {
        confirmed::READ_PROPERTY => {
            let Ok((object, p)) = decode_read_property_request(data) else {
                return bad();
            };
            match dev.property(object, p.property, p.index) {
                Ok(v) => Apdu::ComplexAck {
                    invoke_id,
                    service,
                    segmented: false,
                    data: encode_read_property_ack(object, p, &v),
                },
                Err((class, code)) => Apdu::Error {
                    invoke_id,
                    service,
                    class,
                    code,
                },
            }
        }
        confirmed::READ_PROPERTY_MULTIPLE => {
            let Ok(specs) = decode_rpm_request(data) else {
                return bad();
            };
            let mut results = Vec::new();
            for s in specs {
                for p in s.properties {
                    results.push(PropertyResult {
                        object: s.object,
                        property: p,
                        value: dev.property(s.object, p.property, p.index),
                    });
                }
            }
            Apdu::ComplexAck {
                invoke_id,
                service,
                segmented: false,
                data: encode_rpm_ack(&results),
            }
        }
        confirmed::SUBSCRIBE_COV => {
            let Ok(s) = decode_subscribe_cov(data) else {
                return bad();
            };
            if dev
                .property(s.object, PropertyId::STATUS_FLAGS, None)
                .is_err()
            {
                return Apdu::Error {
                    invoke_id,
                    service,
                    class: error::CLASS_OBJECT,
                    code: error::OPTIONAL_FUNCTIONALITY_NOT_SUPPORTED,
                };
            }
            let mut subs = state.subs.lock().unwrap_or_else(|p| p.into_inner());
            subs.retain(|x| {
                !(x.client == from
                    && x.process_id == s.process_id
                    && x.instance == dev.instance
                    && x.object == s.object)
            });
            if let Some(lifetime_s) = s.lifetime_s.filter(|_| s.confirmed.is_some()) {
                // Lifetime 0 means indefinite in the standard; the simulator caps it at a day.
                let life = if lifetime_s == 0 { 86_400 } else { lifetime_s };
                subs.push(Subscription {
                    client: from,
                    client_route: route,
                    process_id: s.process_id,
                    instance: dev.instance,
                    object: s.object,
                    expires: Instant::now() + Duration::from_secs(u64::from(life)),
                    lifetime_s: life,
                    last: None,
                });
            }
            Apdu::SimpleAck { invoke_id, service }
        }
        s if frame::is_write_confirmed(s) => {
            tracing::error!(service = %frame::confirmed_name(s), %from, "a client sent a BACnet write service to the simulator");
            Apdu::Error {
                invoke_id,
                service,
                class: error::CLASS_PROPERTY,
                code: error::WRITE_ACCESS_DENIED,
            }
        }
        _ => Apdu::Reject {
            invoke_id,
            reason: reject::UNRECOGNIZED_SERVICE,
        },
    }
}

/// Send notifications for changed values and drop expired subscriptions.
async fn cov_loop(
    socket: Arc<UdpSocket>,
    state: Arc<State>,
    wake: Arc<Notify>,
    cancel: CancellationToken,
) {
    let mut tick = tokio::time::interval(COV_SCAN);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = cancel.cancelled() => break,
            _ = tick.tick() => {}
            () = wake.notified() => {}
        }
        let images = state.images();
        let now = Instant::now();
        let mut outgoing = Vec::new();
        {
            let mut subs = state.subs.lock().unwrap_or_else(|p| p.into_inner());
            subs.retain(|s| s.expires > now);
            for s in subs.iter_mut() {
                let Some(dev) = images.iter().find(|d| d.instance == s.instance) else {
                    continue;
                };
                let Some(o) = dev.objects.iter().find(|o| o.id == s.object) else {
                    continue;
                };
                let changed = match &s.last {
                    None => true,
                    Some((v, f)) => *f != o.flags || value_changed(v, &o.value, o.cov_increment),
                };
                if !changed {
                    continue;
                }
                s.last = Some((o.value.clone(), o.flags));
                let n = CovNotification {
                    process_id: s.process_id,
                    device: dev.device_id(),
                    object: o.id,
                    time_remaining_s: u32::try_from(
                        s.expires.saturating_duration_since(now).as_secs(),
                    )
                    .unwrap_or(s.lifetime_s),
                    values: vec![
                        (PropertyId::PRESENT_VALUE, vec![o.value.clone()]),
                        (
                            PropertyId::STATUS_FLAGS,
                            vec![AppValue::Bits(o.flags.to_bits())],
                        ),
                    ],
                };
                let npdu = Npdu {
                    source: Some(Route {
                        net: SIM_NETWORK,
                        mac: vec![dev.mac],
                    }),
                    dest: s.client_route.clone(),
                    ..Npdu::default()
                };
                let apdu = Apdu::Unconfirmed {
                    service: unconfirmed::COV_NOTIFICATION,
                    data: encode_cov_notification(&n),
                };
                outgoing.push((
                    frame::encode_datagram(bvlc::UNICAST, &npdu, &apdu),
                    s.client,
                ));
            }
        }
        for (bytes, to) in outgoing {
            let _ = socket.send_to(&bytes, to).await;
        }
    }
}

fn value_changed(old: &AppValue, new: &AppValue, increment: f32) -> bool {
    match (old, new) {
        (AppValue::Real(a), AppValue::Real(b)) => (a - b).abs() >= increment.max(f32::EPSILON),
        (a, b) => a != b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use driftvakt_drivers::bacnet::services::{ReadRequest, decode_rpm_ack};
    use driftvakt_drivers::bacnet::types::ObjectType;
    use crate::scenario::Scenario;

    fn state() -> State {
        let plant = Arc::new(Mutex::new(Plant::with_epoch(&Scenario::Normal, 0)));
        State {
            plant,
            overrides: Arc::default(),
            subs: Mutex::new(Vec::new()),
            log: BacnetServiceLog::default(),
        }
    }

    fn request(service: u8, data: Vec<u8>, mac: u8) -> Vec<u8> {
        let npdu = Npdu {
            dest: Some(Route {
                net: SIM_NETWORK,
                mac: vec![mac],
            }),
            expecting_reply: true,
            ..Npdu::default()
        };
        let apdu = Apdu::ConfirmedRequest {
            segmented_response_accepted: false,
            max_apdu: 1476,
            invoke_id: 9,
            service,
            segmented: false,
            data,
        };
        frame::encode_datagram(bvlc::UNICAST, &npdu, &apdu)
    }

    fn from() -> SocketAddr {
        "127.0.0.1:5000".parse().expect("addr")
    }

    #[test]
    fn rpm_is_answered_by_the_routed_device_with_its_source_address() {
        let st = state();
        let ai1 = ObjectId::new(ObjectType::ANALOG_INPUT, 1);
        let req =
            ReadRequest::ReadPropertyMultiple(vec![driftvakt_drivers::bacnet::services::ReadAccessSpec {
                object: ai1,
                properties: vec![driftvakt_drivers::bacnet::services::PropertyRef::whole(
                    PropertyId::PRESENT_VALUE,
                )],
            }]);
        let out = handle(&st, &request(req.service(), req.encode(), 2), from());
        let f = frame::decode_datagram(&out[0].0).expect("reply");
        assert_eq!(
            f.npdu.source,
            Some(Route {
                net: SIM_NETWORK,
                mac: vec![2]
            })
        );
        let Some(Apdu::ComplexAck { data, .. }) = f.apdu else {
            panic!("complex ack: {:?}", f.apdu)
        };
        let r = decode_rpm_ack(&data).expect("decodes");
        let supply = st.plant.lock().expect("lock").heating.supply_c as f32;
        assert_eq!(r[0].value, Ok(vec![AppValue::Real(supply)]));
        assert_eq!(st.log.snapshot().get("read-property-multiple"), Some(&1));
    }

    #[test]
    fn writes_are_refused_and_counted() {
        let st = state();
        let out = handle(
            &st,
            &request(
                confirmed::WRITE_PROPERTY,
                vec![0x0C, 0, 0, 0, 1, 0x19, 0x55],
                1,
            ),
            from(),
        );
        let f = frame::decode_datagram(&out[0].0).expect("reply");
        assert!(
            matches!(
                f.apdu,
                Some(Apdu::Error {
                    code: error::WRITE_ACCESS_DENIED,
                    ..
                })
            ),
            "{:?}",
            f.apdu
        );
        assert_eq!(st.log.write_services_seen(), 1);
    }

    #[test]
    fn who_is_gets_an_i_am_from_each_device_and_unknown_macs_no_answer() {
        let st = state();
        let npdu = Npdu {
            dest: Some(Route {
                net: 0xFFFF,
                mac: vec![],
            }),
            ..Npdu::default()
        };
        let apdu = Apdu::Unconfirmed {
            service: unconfirmed::WHO_IS,
            data: vec![],
        };
        let out = handle(
            &st,
            &frame::encode_datagram(bvlc::UNICAST, &npdu, &apdu),
            from(),
        );
        assert_eq!(out.len(), 2);
        assert!(handle(&st, &request(confirmed::READ_PROPERTY, vec![], 7), from()).is_empty());
    }
}
