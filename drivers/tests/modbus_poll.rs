//! The Modbus poller against a real tokio-modbus server on 127.0.0.1 (a free port per test).
//!
//! The server ("plant") holds a register image, records every function code it receives, and can
//! be told to stay silent for a unit, answer "busy" or a gateway exception, or be stopped and
//! restarted on the same port.

#![allow(clippy::unwrap_used)]

use std::collections::{HashMap, HashSet};
use std::future::{Ready, ready};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use driftvakt_config::model::{
    Connection, DataType, Device, DeviceLink, Framing, ModbusLink, Point, Sentinel, SentinelMeaning,
    Table, WordOrder, Workarounds,
};
use driftvakt_domain::clock::{Clock, SystemClock};
use driftvakt_domain::{Quality, Reading, Value};
use driftvakt_drivers::modbus::{ConnectionStats, run_connection};
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_modbus::server::Service;
use tokio_modbus::{ExceptionCode, Request, Response, SlaveRequest};
use tokio_util::sync::CancellationToken;

// ---------------------------------------------------------------------------------------------
// The plant: a register image behind a Modbus server.

#[derive(Default)]
struct Plant {
    holding: Mutex<HashMap<u16, u16>>,
    input: Mutex<HashMap<u16, u16>>,
    coils: Mutex<HashMap<u16, bool>>,
    /// Units that never answer.
    silent: Mutex<HashSet<u8>>,
    /// Units that answer exception 11 (gateway target failed to respond).
    gateway_fail: Mutex<HashSet<u8>>,
    /// Answer "server busy" this many more times.
    busy: AtomicU32,
    /// Every function code received.
    function_codes: Mutex<Vec<u8>>,
    /// Requests per unit id.
    per_unit: Mutex<HashMap<u8, usize>>,
    /// TCP connections accepted.
    connections: AtomicUsize,
}

impl Plant {
    fn set_holding(&self, address: u16, regs: &[u16]) {
        let mut h = self.holding.lock().unwrap();
        for (i, r) in regs.iter().enumerate() {
            h.insert(address + i as u16, *r);
        }
    }

    fn requests_for(&self, unit: u8) -> usize {
        self.per_unit
            .lock()
            .unwrap()
            .get(&unit)
            .copied()
            .unwrap_or(0)
    }

    /// Read-only towards the plant: only FC 1–4 ever arrive.
    fn assert_read_only(&self) {
        let fcs = self.function_codes.lock().unwrap();
        assert!(!fcs.is_empty(), "the server received nothing");
        let writes: Vec<_> = fcs.iter().filter(|fc| !matches!(fc, 1..=4)).collect();
        assert!(
            writes.is_empty(),
            "server received non-read function codes {writes:?}"
        );
    }

    fn registers(map: &HashMap<u16, u16>, addr: u16, cnt: u16) -> Result<Vec<u16>, ExceptionCode> {
        (addr..addr.saturating_add(cnt))
            .map(|a| {
                map.get(&a)
                    .copied()
                    .ok_or(ExceptionCode::IllegalDataAddress)
            })
            .collect()
    }

    fn answer(&self, req: SlaveRequest<'static>) -> Result<Option<Response>, ExceptionCode> {
        self.function_codes
            .lock()
            .unwrap()
            .push(req.request.function_code().value());
        *self.per_unit.lock().unwrap().entry(req.slave).or_default() += 1;
        if self.silent.lock().unwrap().contains(&req.slave) {
            return Ok(None);
        }
        if self.gateway_fail.lock().unwrap().contains(&req.slave) {
            return Err(ExceptionCode::GatewayTargetDevice);
        }
        if self.busy.load(Ordering::SeqCst) > 0 {
            self.busy.fetch_sub(1, Ordering::SeqCst);
            return Err(ExceptionCode::ServerDeviceBusy);
        }
        match req.request {
            Request::ReadHoldingRegisters(a, n) => {
                Self::registers(&self.holding.lock().unwrap(), a, n)
                    .map(|r| Some(Response::ReadHoldingRegisters(r)))
            }
            Request::ReadInputRegisters(a, n) => Self::registers(&self.input.lock().unwrap(), a, n)
                .map(|r| Some(Response::ReadInputRegisters(r))),
            Request::ReadCoils(a, n) => {
                let coils = self.coils.lock().unwrap();
                (a..a.saturating_add(n))
                    .map(|x| {
                        coils
                            .get(&x)
                            .copied()
                            .ok_or(ExceptionCode::IllegalDataAddress)
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map(|b| Some(Response::ReadCoils(b)))
            }
            _ => Err(ExceptionCode::IllegalFunction),
        }
    }
}

#[derive(Clone)]
struct PlantService(Arc<Plant>);

impl Service for PlantService {
    type Request = SlaveRequest<'static>;
    type Response = Option<Response>;
    type Exception = ExceptionCode;
    type Future = Ready<Result<Self::Response, Self::Exception>>;

    fn call(&self, req: Self::Request) -> Self::Future {
        ready(self.0.answer(req))
    }
}

/// Bind a listener with SO_REUSEADDR, so the same port can be taken again after a stop.
fn listen(addr: SocketAddr) -> TcpListener {
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_reuseaddr(true).unwrap();
    socket.bind(addr).unwrap();
    socket.listen(64).unwrap()
}

/// Serve `plant` on `addr` (port 0 = a free port); aborting the handle stops the server and
/// closes its connections.
fn serve(plant: Arc<Plant>, addr: SocketAddr, framing: Framing) -> (SocketAddr, JoinHandle<()>) {
    let listener = listen(addr);
    let local = listener.local_addr().unwrap();
    let handle = tokio::spawn(async move {
        match framing {
            Framing::Tcp => {
                let server = tokio_modbus::server::tcp::Server::new(listener);
                let on_connected = |stream, peer| {
                    plant.connections.fetch_add(1, Ordering::SeqCst);
                    let service = PlantService(plant.clone());
                    async move {
                        tokio_modbus::server::tcp::accept_tcp_connection(stream, peer, |_| {
                            Ok(Some(service.clone()))
                        })
                    }
                };
                let _ = server.serve(&on_connected, |_| {}).await;
            }
            Framing::RtuOverTcp => {
                let server = tokio_modbus::server::rtu_over_tcp::Server::new(listener);
                let on_connected = |stream, peer| {
                    plant.connections.fetch_add(1, Ordering::SeqCst);
                    let service = PlantService(plant.clone());
                    async move {
                        tokio_modbus::server::rtu_over_tcp::accept_tcp_connection(
                            stream,
                            peer,
                            |_| Ok(Some(service.clone())),
                        )
                    }
                };
                let _ = server.serve(&on_connected, |_| {}).await;
            }
        }
    });
    (local, handle)
}

fn free_addr() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

// ---------------------------------------------------------------------------------------------
// Model values built by hand (the config parser is not used here).

fn point(id: &str, table: Table, address: u16, data_type: DataType, order: WordOrder) -> Point {
    Point::plain_modbus(id, table, address, data_type, order)
}

fn hr(id: &str, address: u16, data_type: DataType) -> Point {
    point(
        id,
        Table::HoldingRegister,
        address,
        data_type,
        WordOrder::Abcd,
    )
}

fn scaled(mut p: Point, scale: f64) -> Point {
    p.scale = scale;
    p
}

fn connection(addr: SocketAddr, timeout_ms: u64) -> Connection {
    Connection {
        id: "gw".into(),
        framing: Framing::Tcp,
        host: addr.ip().to_string(),
        port: addr.port(),
        timeout: Duration::from_millis(timeout_ms),
        pause_between_requests: Duration::ZERO,
        pause_after_connect: Duration::ZERO,
        max_registers_per_read: 125,
        max_bits_per_read: 2000,
        max_gap_registers: 16,
        max_requests_in_flight: 1,
        address_base: 0,
        workarounds: Workarounds::default(),
    }
}

fn device(id: &str, unit: u8, interval_ms: u64, points: Vec<Point>) -> Device {
    Device {
        id: id.into(),
        name: id.into(),
        link: DeviceLink::Modbus(ModbusLink { connection: "gw".into(), unit_id: unit }),
        poll_interval: Duration::from_millis(interval_ms),
        template: None,
        points,
    }
}

/// A running poller.
struct Poller {
    rx: mpsc::Receiver<Vec<Reading>>,
    stats: Arc<ConnectionStats>,
    cancel: CancellationToken,
    task: JoinHandle<()>,
}

fn start(conn: Connection, devices: Vec<Device>) -> Poller {
    let (tx, rx) = mpsc::channel(1024);
    let stats = Arc::new(ConnectionStats::new(conn.id.clone()));
    let cancel = CancellationToken::new();
    let task = tokio::spawn(run_connection(
        conn,
        devices,
        tx,
        stats.clone(),
        cancel.clone(),
    ));
    Poller {
        rx,
        stats,
        cancel,
        task,
    }
}

impl Poller {
    /// The next batch, or panic after `within`.
    async fn next(&mut self, within: Duration) -> Vec<Reading> {
        match tokio::time::timeout(within, self.rx.recv()).await {
            Ok(Some(batch)) => batch,
            Ok(None) => panic!("poller stopped"),
            Err(_) => panic!("no readings within {within:?}"),
        }
    }

    /// The next batch of `device` (`dev.` prefix), skipping others.
    async fn next_of(&mut self, device: &str, within: Duration) -> Vec<Reading> {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let batch = self.next(left).await;
            if batch
                .first()
                .is_some_and(|r| r.point.starts_with(&format!("{device}.")))
            {
                return batch;
            }
        }
    }

    /// Batches until `pred` holds for one of `device`, within `within`.
    async fn wait_for(
        &mut self,
        device: &str,
        within: Duration,
        pred: impl Fn(&[Reading]) -> bool,
    ) -> Vec<Reading> {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let batch = self.next_of(device, left).await;
            if pred(&batch) {
                return batch;
            }
        }
    }

    async fn stop(self) -> Arc<ConnectionStats> {
        self.cancel.cancel();
        tokio::time::timeout(Duration::from_secs(2), self.task)
            .await
            .expect("poller stops promptly on cancel")
            .expect("poller task did not panic");
        self.stats
    }
}

fn by_id(batch: &[Reading]) -> HashMap<String, (Option<Value>, Quality)> {
    batch
        .iter()
        .map(|r| (r.point.to_string(), (r.value.clone(), r.quality)))
        .collect()
}

fn all_good(batch: &[Reading]) -> bool {
    !batch.is_empty() && batch.iter().all(|r| r.quality == Quality::Good)
}

/// A DSE GenComm-like image (domain.md §4.1) plus a float, a string and a coil.
fn genset_plant() -> Arc<Plant> {
    let plant = Arc::new(Plant::default());
    plant.set_holding(772, &[1]); // control mode: Auto
    plant.set_holding(1024, &[350, 82, 0x7FFF, 87, 0, 243, 1500, 500]); // oil kPa, coolant °C, oil T n/a, fuel %, -, 24.3 V, rpm, 50.0 Hz
    plant.set_holding(1032, &[0, 2301, 0, 2298, 0, 2310]); // L1..L3 voltage u32 0.1 V
    plant.set_holding(1038, &[0; 6]); // mapped but unused here (read across with max_gap)
    plant.set_holding(1044, &[0, 123, 0, 120, 0, 118]); // L1..L3 current u32 0.1 A
    plant.set_holding(1050, &[0; 2]);
    plant.set_holding(1052, &[0xFFFF, 0xFA24, 0, 0, 0, 0]); // L1 active power s32 = -1500 W
    plant.set_holding(1408, &[0x0009]); // status word
    plant.set_holding(2000, &[0x8000, 0x436F]); // f32 239.5 CDAB
    plant.set_holding(3000, &[0x4453, 0x4520, 0x3836, 0x3130, 0x2020, 0x0000]); // "DSE 8610"
    plant.coils.lock().unwrap().insert(5, true);
    plant.input.lock().unwrap().insert(7, 0xFFFE); // i16 -2
    plant
}

fn genset_points(dev: &str) -> Vec<Point> {
    let mut oil_t = hr(&format!("{dev}.oil_temp"), 1026, DataType::I16);
    oil_t.sentinels.push(Sentinel {
        raw: 0x7FFF,
        meaning: SentinelMeaning::NotAvailable,
    });
    let mut mode = hr(&format!("{dev}.mode"), 772, DataType::U16);
    mode.states.insert(1, "auto".into());
    vec![
        mode,
        hr(&format!("{dev}.coolant"), 1025, DataType::I16),
        oil_t,
        hr(&format!("{dev}.fuel"), 1027, DataType::U16),
        scaled(hr(&format!("{dev}.battery"), 1029, DataType::U16), 0.1),
        scaled(hr(&format!("{dev}.freq"), 1031, DataType::U16), 0.1),
        scaled(hr(&format!("{dev}.l1_v"), 1032, DataType::U32), 0.1),
        scaled(hr(&format!("{dev}.l3_v"), 1036, DataType::U32), 0.1),
        hr(&format!("{dev}.l1_p"), 1052, DataType::I32),
        hr(&format!("{dev}.running"), 1408, DataType::Bit(3)),
        point(
            &format!("{dev}.mains_v"),
            Table::HoldingRegister,
            2000,
            DataType::F32,
            WordOrder::Cdab,
        ),
        hr(
            &format!("{dev}.model"),
            3000,
            DataType::String { registers: 6 },
        ),
        point(
            &format!("{dev}.breaker"),
            Table::Coil,
            5,
            DataType::Bool,
            WordOrder::Abcd,
        ),
        point(
            &format!("{dev}.temp_in"),
            Table::InputRegister,
            7,
            DataType::I16,
            WordOrder::Abcd,
        ),
    ]
}

fn assert_genset_values(batch: &[Reading], dev: &str) {
    let m = by_id(batch);
    let num = |k: &str| match &m[&format!("{dev}.{k}")] {
        (Some(Value::Number(v)), Quality::Good) => *v,
        other => panic!("{k}: {other:?}"),
    };
    let approx = |k: &str, want: f64| {
        let v = num(k);
        assert!((v - want).abs() < 1e-9, "{k}: {v} != {want}");
    };
    approx("mode", 1.0);
    approx("coolant", 82.0);
    approx("fuel", 87.0);
    approx("battery", 24.3);
    approx("freq", 50.0);
    approx("l1_v", 230.1);
    approx("l3_v", 231.0);
    approx("l1_p", -1500.0);
    approx("mains_v", 239.5);
    approx("temp_in", -2.0);
    assert_eq!(m[&format!("{dev}.oil_temp")], (None, Quality::NotAvailable));
    assert_eq!(
        m[&format!("{dev}.running")],
        (Some(Value::Bool(true)), Quality::Good)
    );
    assert_eq!(
        m[&format!("{dev}.breaker")],
        (Some(Value::Bool(true)), Quality::Good)
    );
    assert_eq!(
        m[&format!("{dev}.model")],
        (Some(Value::Text("DSE 8610".into())), Quality::Good)
    );
}

const LONG: Duration = Duration::from_secs(5);

// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn decodes_a_genset_through_the_whole_path() {
    let plant = genset_plant();
    let (addr, server) = serve(plant.clone(), free_addr(), Framing::Tcp);
    let points = genset_points("g1");
    let n = points.len();
    let before = SystemClock.now_ms();
    let mut poller = start(connection(addr, 1000), vec![device("g1", 1, 100, points)]);

    let batch = poller.next_of("g1", LONG).await;
    let after = SystemClock.now_ms();
    assert_eq!(batch.len(), n, "one reading per point");
    assert_genset_values(&batch, "g1");
    assert!(
        batch
            .iter()
            .all(|r| r.time_ms >= before && r.time_ms <= after),
        "stamped on arrival"
    );

    // Polling continues on its interval.
    let _ = poller.next_of("g1", LONG).await;
    let stats = poller.stop().await;
    let dev = stats.device("g1").unwrap().snapshot();
    // 772 | 1025..1037 + 1052..1053 (gap ≤ 16) | 1408 | 2000..2001 | 3000..3005 | coil 5 | input 7
    assert_eq!(dev.requests_per_cycle(), 7.0, "{dev}");
    assert_eq!(dev.request_errors, 0);
    plant.assert_read_only();
    server.abort();
}

#[tokio::test]
async fn rtu_frames_over_tcp_decode_the_same() {
    let plant = genset_plant();
    let (addr, server) = serve(plant.clone(), free_addr(), Framing::RtuOverTcp);
    let mut conn = connection(addr, 1000);
    conn.framing = Framing::RtuOverTcp;
    let mut poller = start(conn, vec![device("g1", 7, 100, genset_points("g1"))]);
    let batch = poller.next_of("g1", LONG).await;
    assert_genset_values(&batch, "g1");
    poller.stop().await;
    assert!(plant.requests_for(7) > 0);
    plant.assert_read_only();
    server.abort();
}

#[tokio::test]
async fn exception_gives_device_fault_for_that_request_only() {
    let plant = genset_plant();
    let (addr, server) = serve(plant.clone(), free_addr(), Framing::Tcp);
    let points = vec![
        hr("g1.fuel", 1027, DataType::U16),
        hr("g1.missing", 5000, DataType::U16),
    ];
    let mut poller = start(connection(addr, 1000), vec![device("g1", 1, 100, points)]);
    let m = by_id(&poller.next_of("g1", LONG).await);
    assert_eq!(m["g1.fuel"], (Some(Value::Number(87.0)), Quality::Good));
    assert_eq!(m["g1.missing"], (None, Quality::DeviceFault));
    let stats = poller.stop().await;
    assert!(stats.device("g1").unwrap().snapshot().exceptions >= 1);
    plant.assert_read_only();
    server.abort();
}

#[tokio::test]
async fn a_device_refusing_reads_across_gaps_gets_a_gapless_plan_in_the_same_cycle() {
    let plant = Arc::new(Plant::default());
    plant.set_holding(10, &[1]);
    plant.set_holding(12, &[2]); // 11 is not mapped: a read of 10..12 answers exception 2
    let (addr, server) = serve(plant.clone(), free_addr(), Framing::Tcp);
    let points = vec![hr("g1.a", 10, DataType::U16), hr("g1.b", 12, DataType::U16)];
    let mut poller = start(connection(addr, 1000), vec![device("g1", 1, 100, points)]);
    let m = by_id(&poller.next_of("g1", LONG).await);
    assert_eq!(m["g1.a"], (Some(Value::Number(1.0)), Quality::Good));
    assert_eq!(m["g1.b"], (Some(Value::Number(2.0)), Quality::Good));
    let m = by_id(&poller.next_of("g1", LONG).await);
    assert_eq!(m["g1.b"].1, Quality::Good);
    let stats = poller.stop().await;
    let dev = stats.device("g1").unwrap();
    assert_eq!(dev.planned_requests.load(Ordering::Relaxed), 2);
    assert_eq!(dev.snapshot().exceptions, 1, "the gap is tried once only");
    plant.assert_read_only();
    server.abort();
}

#[tokio::test]
async fn busy_is_retried_once() {
    let plant = genset_plant();
    plant.busy.store(1, Ordering::SeqCst);
    let (addr, server) = serve(plant.clone(), free_addr(), Framing::Tcp);
    let mut poller = start(
        connection(addr, 1000),
        vec![device(
            "g1",
            1,
            100,
            vec![hr("g1.fuel", 1027, DataType::U16)],
        )],
    );
    let batch = poller.next_of("g1", LONG).await;
    assert_eq!(
        by_id(&batch)["g1.fuel"],
        (Some(Value::Number(87.0)), Quality::Good)
    );
    let stats = poller.stop().await;
    assert_eq!(stats.snapshot().exceptions, 1);
    plant.assert_read_only();
    server.abort();
}

#[tokio::test]
async fn gateway_exception_is_comm_fail_and_spares_other_units() {
    let plant = genset_plant();
    plant.gateway_fail.lock().unwrap().insert(3);
    let (addr, server) = serve(plant.clone(), free_addr(), Framing::Tcp);
    let points = |d: &str| {
        vec![
            hr(&format!("{d}.fuel"), 1027, DataType::U16),
            hr(&format!("{d}.status"), 1408, DataType::U16),
        ]
    };
    let mut poller = start(
        connection(addr, 1000),
        vec![
            device("a", 1, 100, points("a")),
            device("b", 3, 100, points("b")),
        ],
    );
    let b = poller.next_of("b", LONG).await;
    assert!(
        b.iter()
            .all(|r| r.quality == Quality::CommFail && r.value.is_none()),
        "{b:?}"
    );
    let a = poller.next_of("a", LONG).await;
    assert!(all_good(&a), "{a:?}");
    let stats = poller.stop().await;
    // Unit 3 got only the first of its two requests per cycle: the rest was skipped.
    let b = stats.device("b").unwrap().snapshot();
    assert_eq!(b.requests, b.cycles, "{b}");
    assert_eq!(
        stats.device("a").unwrap().snapshot().requests_per_cycle(),
        2.0
    );
    plant.assert_read_only();
    server.abort();
}

#[tokio::test]
async fn a_silent_unit_does_not_slow_down_another_on_the_same_connection() {
    let plant = genset_plant();
    plant.silent.lock().unwrap().insert(2);
    let (addr, server) = serve(plant.clone(), free_addr(), Framing::Tcp);
    let interval = 100;
    let mut poller = start(
        connection(addr, 100),
        vec![
            device("a", 1, interval, vec![hr("a.fuel", 1027, DataType::U16)]),
            device("b", 2, interval, vec![hr("b.fuel", 1027, DataType::U16)]),
        ],
    );
    // Let the first timeout and backoff happen, then measure unit 1 over 2 s.
    let _ = poller.next_of("b", LONG).await;
    let window = Duration::from_secs(2);
    let end = Instant::now() + window;
    let (mut a_cycles, mut b_cycles) = (0u32, 0u32);
    while let Ok(Some(batch)) = tokio::time::timeout(
        end.saturating_duration_since(Instant::now()),
        poller.rx.recv(),
    )
    .await
    {
        let first = batch[0].point.to_string();
        if first.starts_with("a.") {
            assert!(all_good(&batch), "{batch:?}");
            a_cycles += 1;
        } else {
            assert!(
                batch
                    .iter()
                    .all(|r| r.quality == Quality::CommFail && r.value.is_none())
            );
            b_cycles += 1;
        }
    }
    eprintln!("in 2 s: unit 1 {a_cycles} cycles, silent unit {b_cycles} cycles");
    // 20 cycles at full rate; without per-unit backoff every silent cycle would cost unit 1 a
    // timeout (≈10 cycles). Allow some scheduling slack on a busy machine.
    assert!(
        a_cycles >= 16,
        "unit 1 polled {a_cycles} times in 2 s (expected ~20)"
    );
    assert!(
        b_cycles <= 4,
        "silent unit polled {b_cycles} times: not backed off"
    );
    let stats = poller.stop().await;
    assert!(stats.device("b").unwrap().snapshot().timeouts >= 1);
    assert_eq!(stats.device("a").unwrap().snapshot().request_errors, 0);
    plant.assert_read_only();
    server.abort();
}

#[tokio::test]
async fn separate_links_with_requests_in_flight() {
    let plant = genset_plant();
    plant.silent.lock().unwrap().insert(2);
    let (addr, server) = serve(plant.clone(), free_addr(), Framing::Tcp);
    let mut conn = connection(addr, 1000);
    conn.max_requests_in_flight = 2;
    let mut poller = start(
        conn,
        vec![
            device("a", 1, 100, vec![hr("a.fuel", 1027, DataType::U16)]),
            device("b", 2, 100, vec![hr("b.fuel", 1027, DataType::U16)]),
        ],
    );
    // Unit 2 blocks its own link for a whole second; unit 1 keeps polling on the other.
    let started = Instant::now();
    for _ in 0..5 {
        let batch = poller.next_of("a", LONG).await;
        assert!(all_good(&batch));
    }
    assert!(
        started.elapsed() < Duration::from_millis(900),
        "unit 1 waited for unit 2"
    );
    poller.stop().await;
    assert!(plant.connections.load(Ordering::SeqCst) >= 2);
    plant.assert_read_only();
    server.abort();
}

#[tokio::test]
async fn reconnects_after_the_server_restarts_on_the_same_port() {
    let plant = genset_plant();
    let (addr, server) = serve(plant.clone(), free_addr(), Framing::Tcp);
    let interval = Duration::from_millis(300);
    let mut poller = start(
        connection(addr, 200),
        vec![device(
            "g1",
            1,
            interval.as_millis() as u64,
            vec![hr("g1.fuel", 1027, DataType::U16)],
        )],
    );
    poller.wait_for("g1", LONG, all_good).await;

    // Server gone: readings go CommFail (no substitute value) for a few cycles.
    server.abort();
    let _ = server.await;
    for _ in 0..3 {
        poller
            .wait_for("g1", LONG, |b| {
                b.iter()
                    .all(|r| r.quality == Quality::CommFail && r.value.is_none())
            })
            .await;
    }

    // Back on the same port: polling resumes within two poll intervals.
    let (addr2, server2) = serve(plant.clone(), addr, Framing::Tcp);
    assert_eq!(addr2, addr);
    let back = Instant::now();
    poller.wait_for("g1", LONG, all_good).await;
    let took = back.elapsed();
    eprintln!("polling resumed {took:?} after the server returned (interval {interval:?})");
    assert!(took <= 2 * interval, "polling resumed only after {took:?}");

    let stats = poller.stop().await;
    assert!(stats.snapshot().reconnects >= 1);
    plant.assert_read_only();
    server2.abort();
}

#[tokio::test]
async fn close_after_cycle_reconnects_each_cycle() {
    let plant = genset_plant();
    let (addr, server) = serve(plant.clone(), free_addr(), Framing::Tcp);
    let mut conn = connection(addr, 1000);
    conn.workarounds.close_after_cycle = true;
    conn.pause_after_connect = Duration::from_millis(10);
    // The link is closed after a cycle only when no device is due yet: an interval far longer
    // than a cycle (connect, 10 ms pause, one read), even on a loaded machine.
    let mut poller = start(
        conn,
        vec![device(
            "g1",
            1,
            400,
            vec![hr("g1.fuel", 1027, DataType::U16)],
        )],
    );
    for _ in 0..3 {
        assert!(all_good(&poller.next_of("g1", LONG).await));
    }
    poller.stop().await;
    assert!(plant.connections.load(Ordering::SeqCst) >= 3);
    plant.assert_read_only();
    server.abort();
}

#[tokio::test]
async fn cancel_stops_promptly_even_with_a_request_in_flight() {
    let plant = genset_plant();
    plant.silent.lock().unwrap().insert(1);
    let (addr, server) = serve(plant.clone(), free_addr(), Framing::Tcp);
    let poller = start(
        connection(addr, 10_000),
        vec![device(
            "g1",
            1,
            100,
            vec![hr("g1.fuel", 1027, DataType::U16)],
        )],
    );
    // Wait (with a deadline) until the request is at the server, then cancel.
    let deadline = Instant::now() + LONG;
    while plant.requests_for(1) == 0 {
        assert!(Instant::now() < deadline, "request never arrived");
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let stopping = Instant::now();
    poller.stop().await; // asserts it ends within 2 s although the timeout is 10 s
    assert!(stopping.elapsed() < Duration::from_secs(1));
    plant.assert_read_only();
    server.abort();
}
