//! The simulator's Modbus TCP servers: one listener per gateway, a physics task, and the
//! function-code log.
//!
//! Behaviour on the wire, like a real gateway:
//! - unknown unit id → exception 0x0B (gateway target device failed to respond);
//! - address outside the unit's implemented ranges → exception 2; bad count → exception 3;
//! - any function other than FC1–FC4 (every write in particular) → exception 1, and counted;
//! - during the `gateway_down` window the `fastighet` gateway closes its connections and stops
//!   accepting: new TCP connections complete (kernel backlog) but get no answer until the window
//!   ends, so clients see timeouts, as with a hung gateway.

use std::future::{Ready, pending, ready};
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use driftvakt_config::model::Table;
use driftvakt_domain::clock::{Clock, SystemClock};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::time::MissedTickBehavior;
use tokio_modbus::server::Service;
use tokio_modbus::server::tcp::{Server, accept_tcp_connection};
use tokio_modbus::{ExceptionCode, Request, Response, SlaveRequest};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::faults::Faults;
use crate::function_log::{FunctionLog, is_write_code};
use crate::model::Plant;
use crate::registers::{Gateway, unit_image};
use crate::scenario::Scenario;

/// Real time between physics steps.
pub const TICK: Duration = Duration::from_millis(100);

/// How to run the simulator.
#[derive(Debug, Clone, PartialEq)]
pub struct SimOptions {
    /// Scenario to play.
    pub scenario: Scenario,
    /// Simulated seconds per real second (1.0 = real time); must be finite and > 0.
    pub speed: f64,
    /// Address to listen on, e.g. 127.0.0.1.
    pub bind: IpAddr,
    /// Port of `stallverk`; `fastighet` listens on `base_port + 1`; 0 = two ephemeral ports.
    pub base_port: u16,
    /// UDP port of the BACnet/IP router in front of the simulated BACnet devices
    /// (`Some(0)` = ephemeral, `None` = no BACnet side).
    pub bacnet_port: Option<u16>,
    /// Faults to train on, with any scenario (none by default).
    pub faults: Faults,
}

impl Default for SimOptions {
    fn default() -> Self {
        Self {
            scenario: Scenario::Normal,
            speed: 1.0,
            bind: IpAddr::from([127, 0, 0, 1]),
            base_port: 15020,
            bacnet_port: Some(47809),
            faults: Faults::NONE,
        }
    }
}

/// A running simulator. It stops when the `CancellationToken` given to [`start`] is cancelled.
#[derive(Debug, Clone)]
pub struct SimHandle {
    /// Gateway names (`stallverk`, `fastighet`) and the addresses they listen on.
    pub gateways: Vec<(String, SocketAddr)>,
    /// Function codes received, per gateway.
    pub function_log: FunctionLog,
    /// The plant, shared with the physics task (ground truth for tests and reports).
    pub plant: Arc<Mutex<Plant>>,
    /// The BACnet/IP side (router address, devices, services received), if started.
    pub bacnet: Option<crate::bacnet_server::SimBacnet>,
    /// The physics and listener tasks.
    tasks: TaskTracker,
}

impl SimHandle {
    /// The address a gateway listens on.
    pub fn addr(&self, gateway: &str) -> Option<SocketAddr> {
        self.gateways
            .iter()
            .find(|(name, _)| name == gateway)
            .map(|(_, a)| *a)
    }

    /// Lock the plant (a poisoned lock is recovered: the plant has no invariants a panic could break).
    pub fn lock_plant(&self) -> MutexGuard<'_, Plant> {
        lock(&self.plant)
    }

    /// Wait until every simulator task has ended (after cancellation), so ports are free.
    pub async fn stopped(&self) {
        self.tasks.wait().await;
    }
}

fn lock(plant: &Mutex<Plant>) -> MutexGuard<'_, Plant> {
    plant
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Bind both gateways, start the physics and serve until `cancel` is cancelled.
///
/// Errors: an invalid speed or port (`InvalidInput`), or a port that cannot be bound.
pub async fn start(opts: SimOptions, cancel: CancellationToken) -> io::Result<SimHandle> {
    if !opts.speed.is_finite() || opts.speed <= 0.0 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "simulator speed must be a positive number, got {}",
                opts.speed
            ),
        ));
    }
    let now = u64::try_from(SystemClock.now_ms() / 1000).unwrap_or(0);
    let plant = Arc::new(Mutex::new(
        Plant::with_epoch(&opts.scenario, now).with_faults(opts.faults),
    ));
    let function_log = FunctionLog::new();
    let tasks = TaskTracker::new();

    let mut listeners = Vec::new();
    for gateway in Gateway::ALL {
        let port = if opts.base_port == 0 {
            0
        } else {
            opts.base_port
                .checked_add(gateway.port_offset())
                .ok_or_else(|| {
                    io::Error::new(
                        io::ErrorKind::InvalidInput,
                        format!(
                            "base port {} leaves no room for {}",
                            opts.base_port,
                            gateway.name()
                        ),
                    )
                })?
        };
        let listener = TcpListener::bind((opts.bind, port)).await.map_err(|e| {
            io::Error::new(
                e.kind(),
                format!(
                    "simulator gateway {} cannot listen on {}:{port}: {e}",
                    gateway.name(),
                    opts.bind
                ),
            )
        })?;
        let addr = listener.local_addr()?;
        listeners.push((gateway, listener, addr));
    }

    let bacnet_socket = match opts.bacnet_port {
        Some(port) => Some(crate::bacnet_server::bind(opts.bind, port).await?),
        None => None,
    };

    let mut up_senders = Vec::new();
    let mut gateways = Vec::new();
    for (gateway, listener, addr) in listeners {
        let (up_tx, up_rx) = watch::channel(!opts.scenario.gateway_down_at(gateway.name(), 0.0));
        up_senders.push((gateway, up_tx));
        gateways.push((gateway.name().to_string(), addr));
        let service = Arc::new(GatewayService {
            gateway,
            plant: Arc::clone(&plant),
            log: function_log.clone(),
        });
        tasks.spawn(serve_gateway(
            gateway,
            listener,
            service,
            up_rx,
            cancel.clone(),
        ));
        tracing::info!(gateway = gateway.name(), %addr, scenario = %opts.scenario, faults = %opts.faults, "simulator gateway listening");
    }
    let bacnet = match bacnet_socket {
        Some(s) => Some(crate::bacnet_server::start(s, Arc::clone(&plant), &tasks, cancel.clone())?),
        None => None,
    };
    tasks.spawn(physics(Arc::clone(&plant), opts.speed, up_senders, cancel));
    tasks.close();

    Ok(SimHandle {
        gateways,
        function_log,
        plant,
        bacnet,
        tasks,
    })
}

/// Advance the plant every [`TICK`] and publish each gateway's up/down state.
async fn physics(
    plant: Arc<Mutex<Plant>>,
    speed: f64,
    up_senders: Vec<(Gateway, watch::Sender<bool>)>,
    cancel: CancellationToken,
) {
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = cancel.cancelled() => break,
            _ = tick.tick() => {}
        }
        let (scenario, t_s) = {
            let mut p = lock(&plant);
            p.step(TICK.as_secs_f64() * speed);
            (p.scenario, p.t_s)
        };
        for (gateway, tx) in &up_senders {
            let up = !scenario.gateway_down_at(gateway.name(), t_s);
            tx.send_if_modified(|current| {
                let changed = *current != up;
                *current = up;
                changed
            });
        }
    }
}

/// Serve one gateway while it is up; drop all its connections while it is down.
async fn serve_gateway(
    gateway: Gateway,
    listener: TcpListener,
    service: Arc<GatewayService>,
    mut up: watch::Receiver<bool>,
    cancel: CancellationToken,
) {
    let server = Server::new(listener);
    let on_connected = |stream, socket_addr| {
        let service = Arc::clone(&service);
        async move {
            tracing::debug!(gateway = gateway.name(), peer = %socket_addr, "simulator connection accepted");
            accept_tcp_connection(stream, socket_addr, move |_| Ok(Some(Arc::clone(&service))))
        }
    };
    let on_process_error = move |err: io::Error| {
        tracing::debug!(gateway = gateway.name(), error = %err, "simulator connection ended with an error");
    };
    loop {
        // Wait until the gateway is up.
        while !*up.borrow_and_update() {
            tokio::select! {
                () = cancel.cancelled() => return,
                changed = up.changed() => if changed.is_err() { return },
            }
        }
        let went_down = async {
            loop {
                if up.changed().await.is_err() {
                    pending::<()>().await;
                }
                if !*up.borrow_and_update() {
                    return;
                }
            }
        };
        // Dropping the `serve` future cancels its connection tasks, closing their sockets; the
        // listener stays bound (new connections wait in the backlog, unanswered).
        tokio::select! {
            () = cancel.cancelled() => return,
            () = went_down => {
                tracing::info!(gateway = gateway.name(), "simulator gateway down: connections closed, not answering");
            }
            result = server.serve(&on_connected, on_process_error) => {
                if let Err(err) = result {
                    tracing::warn!(gateway = gateway.name(), error = %err, "simulator gateway accept failed; retrying");
                    tokio::select! {
                        () = cancel.cancelled() => return,
                        () = tokio::time::sleep(Duration::from_millis(200)) => {}
                    }
                }
            }
        }
    }
}

/// The Modbus service of one gateway: routes by unit id to the plant's register images.
#[derive(Debug)]
struct GatewayService {
    /// Which gateway this is.
    gateway: Gateway,
    /// Ground truth.
    plant: Arc<Mutex<Plant>>,
    /// Where received function codes are counted.
    log: FunctionLog,
}

impl GatewayService {
    fn handle(&self, req: SlaveRequest<'static>) -> Result<Response, ExceptionCode> {
        let code = req.request.function_code().value();
        self.log.record(self.gateway.name(), code);
        let Some(image) = unit_image(&lock(&self.plant), self.gateway, req.slave) else {
            tracing::debug!(
                gateway = self.gateway.name(),
                unit = req.slave,
                "no such unit behind the gateway"
            );
            return Err(ExceptionCode::GatewayTargetDevice);
        };
        match req.request {
            Request::ReadCoils(a, n) => image.read_bits(Table::Coil, a, n).map(Response::ReadCoils),
            Request::ReadDiscreteInputs(a, n) => image
                .read_bits(Table::DiscreteInput, a, n)
                .map(Response::ReadDiscreteInputs),
            Request::ReadHoldingRegisters(a, n) => image
                .read_registers(Table::HoldingRegister, a, n)
                .map(Response::ReadHoldingRegisters),
            Request::ReadInputRegisters(a, n) => image
                .read_registers(Table::InputRegister, a, n)
                .map(Response::ReadInputRegisters),
            _ => {
                if is_write_code(code) {
                    tracing::warn!(
                        gateway = self.gateway.name(),
                        unit = req.slave,
                        function = code,
                        "write request refused"
                    );
                }
                Err(ExceptionCode::IllegalFunction)
            }
        }
    }
}

impl Service for GatewayService {
    type Request = SlaveRequest<'static>;
    type Response = Response;
    type Exception = ExceptionCode;
    type Future = Ready<Result<Response, ExceptionCode>>;

    fn call(&self, req: Self::Request) -> Self::Future {
        ready(self.handle(req))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use tokio::time::{Instant, timeout};
    use tokio_modbus::Slave;
    use tokio_modbus::client::{Context, Reader, Writer, tcp};

    fn opts(scenario: Scenario, speed: f64) -> SimOptions {
        SimOptions {
            scenario,
            speed,
            bind: IpAddr::from([127, 0, 0, 1]),
            base_port: 0,
            bacnet_port: Some(0),
            faults: Faults::NONE,
        }
    }

    async fn client(addr: SocketAddr, unit: u8) -> Context {
        tcp::connect_slave(addr, Slave(unit))
            .await
            .expect("connect to simulator")
    }

    #[tokio::test]
    async fn answers_reads_refuses_writes_and_logs_function_codes() {
        let cancel = CancellationToken::new();
        let sim = start(opts(Scenario::Normal, 1.0), cancel.clone())
            .await
            .expect("start");
        let stallverk = sim.addr("stallverk").expect("stallverk");
        let fastighet = sim.addr("fastighet").expect("fastighet");
        assert_ne!(stallverk, fastighet);

        let mut g1 = client(stallverk, 1).await;
        let state = g1.read_holding_registers(1408, 1).await.expect("transport");
        assert_eq!(state, Ok(vec![0]), "G1 stopped under normal operation");
        let mode = g1.read_holding_registers(772, 1).await.expect("transport");
        assert_eq!(mode, Ok(vec![1]), "control mode Auto");
        let unmapped = g1.read_holding_registers(100, 2).await.expect("transport");
        assert_eq!(unmapped, Err(ExceptionCode::IllegalDataAddress));
        let write = g1.write_single_register(772, 0).await.expect("transport");
        assert_eq!(write, Err(ExceptionCode::IllegalFunction));
        let write_coils = g1
            .write_multiple_coils(0, &[true])
            .await
            .expect("transport");
        assert_eq!(write_coils, Err(ExceptionCode::IllegalFunction));
        // Still a stopped engine in Auto: the write changed nothing.
        assert_eq!(
            g1.read_holding_registers(772, 1).await.expect("transport"),
            Ok(vec![1])
        );

        let mut nobody = client(stallverk, 9).await;
        let gone = nobody
            .read_holding_registers(1408, 1)
            .await
            .expect("transport");
        assert_eq!(gone, Err(ExceptionCode::GatewayTargetDevice));

        let mut ahu = client(fastighet, 12).await;
        assert_eq!(
            ahu.read_coils(0, 1).await.expect("transport"),
            Ok(vec![true])
        );
        let mut ups = client(stallverk, 4).await;
        assert_eq!(
            ups.read_discrete_inputs(0, 1).await.expect("transport"),
            Ok(vec![false])
        );
        let ups_regs = ups.read_input_registers(0, 10).await.expect("transport");
        assert!(ups_regs.is_ok());

        assert_eq!(
            sim.function_log.snapshot_gateway("stallverk"),
            BTreeMap::from([(2, 1), (3, 5), (4, 1), (6, 1), (15, 1)])
        );
        assert_eq!(
            sim.function_log.snapshot_gateway("fastighet"),
            BTreeMap::from([(1, 1)])
        );
        assert_eq!(sim.function_log.write_codes_seen(), 2);
        let json: serde_json::Value =
            serde_json::from_str(&sim.function_log.to_json()).expect("json");
        assert_eq!(json["write_requests"], 2);

        cancel.cancel();
        timeout(Duration::from_secs(5), sim.stopped())
            .await
            .expect("tasks end after cancel");
    }

    #[tokio::test]
    async fn physics_advances_with_speed() {
        let cancel = CancellationToken::new();
        let sim = start(opts(Scenario::Blackout, 100.0), cancel.clone())
            .await
            .expect("start");
        let deadline = Instant::now() + Duration::from_secs(10);
        // 100x: the blackout at t = 20 s comes after ~0.2 s; poll the ATS over Modbus.
        let mut ats = client(sim.addr("stallverk").expect("addr"), 3).await;
        loop {
            let position = ats
                .read_input_registers(0, 1)
                .await
                .expect("transport")
                .expect("no exception");
            if position == vec![1] {
                break;
            }
            assert!(Instant::now() < deadline, "ATS never went to emergency");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(sim.lock_plant().t_s > 20.0);
        cancel.cancel();
        timeout(Duration::from_secs(5), sim.stopped())
            .await
            .expect("tasks end after cancel");
    }

    #[tokio::test]
    async fn rejects_bad_speed() {
        let err = start(opts(Scenario::Normal, 0.0), CancellationToken::new())
            .await
            .expect_err("speed 0");
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("speed"));
    }

    /// One read of the district-heating supply temperature with a short timeout, on a new connection.
    async fn fastighet_answers(addr: SocketAddr) -> bool {
        let attempt = async {
            let mut ctx = tcp::connect_slave(addr, Slave(11)).await.ok()?;
            ctx.read_input_registers(0, 1).await.ok()?.ok()
        };
        matches!(
            timeout(Duration::from_millis(300), attempt).await,
            Ok(Some(_))
        )
    }

    #[tokio::test]
    async fn gateway_down_stops_answering_in_its_window_only() {
        let cancel = CancellationToken::new();
        let sim = start(opts(Scenario::GatewayDown, 1.0), cancel.clone())
            .await
            .expect("start");
        let fastighet = sim.addr("fastighet").expect("addr");
        let stallverk = sim.addr("stallverk").expect("addr");
        assert!(fastighet_answers(fastighet).await, "up before the window");
        let mut open = client(fastighet, 11).await;
        assert!(
            open.read_input_registers(0, 1)
                .await
                .expect("transport")
                .is_ok()
        );

        // Jump simulated time into the window instead of waiting 30 s.
        sim.lock_plant().t_s = crate::scenario::GATEWAY_DOWN_FROM_S + 5.0;
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let r = timeout(Duration::from_millis(300), open.read_input_registers(0, 1)).await;
            if !matches!(r, Ok(Ok(Ok(_)))) {
                break; // closed or no answer
            }
            assert!(
                Instant::now() < deadline,
                "open connection kept answering in the window"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(
            !fastighet_answers(fastighet).await,
            "new connections get no answer in the window"
        );
        let mut g1 = client(stallverk, 1).await;
        assert!(
            g1.read_holding_registers(1408, 1)
                .await
                .expect("transport")
                .is_ok(),
            "stallverk unaffected"
        );

        sim.lock_plant().t_s = crate::scenario::GATEWAY_DOWN_UNTIL_S + 1.0;
        let deadline = Instant::now() + Duration::from_secs(5);
        while !fastighet_answers(fastighet).await {
            assert!(
                Instant::now() < deadline,
                "fastighet did not come back after the window"
            );
        }
        cancel.cancel();
        timeout(Duration::from_secs(5), sim.stopped())
            .await
            .expect("tasks end after cancel");
    }
}
