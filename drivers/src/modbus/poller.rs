//! The per-connection polling task.
//!
//! One task per connection. Devices (units) are polled one after another, each on its own
//! interval; one request is in flight per TCP link. With `max_requests_in_flight > 1` (Modbus TCP
//! only) that many links are opened and the devices are spread across them ("lanes").
//!
//! A device cycle runs the device's plan, assembles the registers, decodes every point and sends
//! exactly one `Vec<Reading>` with one reading per point. Points that could not be read carry no
//! value and a bad quality. See `README.md` for the failure rules.
//!
//! Every log line names the connection and the unit (`connection=… unit=…`, or `units=…` for
//! the whole link). Repeated warnings are rate-limited per device and kind of trouble
//! ([`LogLimit`]): the first at once, then one a minute with the count of lines left out.

use std::sync::Arc;
use std::time::Duration;

use driftvakt_config::model::{Connection, Device, Framing, Point};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio::time::{Instant, sleep_until};
use tokio_util::sync::CancellationToken;

use super::client::{Link, RequestError, exception, exception_hint, exception_name};
use super::decode::{decode, decode_bit};
use super::plan::{Plan, PlanLimits, plan};
use super::probe::table_name;
use super::schedule::{connect_backoff, connect_backoff_cap, next_due, unit_backoff};
use super::stats::{ConnectionStats, DeviceStats, bump};
use crate::log_limit::{LogLimit, WARN_EVERY};
use driftvakt_domain::clock::{Clock, SystemClock};
use driftvakt_domain::{Quality, Reading};

/// Pause before retrying a request answered with exception 6 (server busy).
pub const BUSY_RETRY_PAUSE: Duration = Duration::from_millis(100);

/// Poll the devices of one connection until `cancel` fires.
///
/// Sends one batch of readings per device cycle to `out`; counts into `stats` (devices are
/// registered in it by id). Never sends a Modbus write function code.
pub async fn run_connection(
    conn: Connection,
    devices: Vec<Device>,
    out: mpsc::Sender<Vec<Reading>>,
    stats: Arc<ConnectionStats>,
    cancel: CancellationToken,
) {
    if devices.is_empty() {
        tracing::info!(connection = %conn.id, "no devices on connection; nothing to poll");
        return;
    }
    let limits = PlanLimits::from(&conn);
    let lanes = lane_count(&conn, devices.len());
    let start = Instant::now();
    let mut per_lane: Vec<Vec<DeviceState>> = (0..lanes).map(|_| Vec::new()).collect();
    for (i, device) in devices.into_iter().enumerate() {
        let state = DeviceState::new(device, &limits, &stats, start);
        tracing::debug!(
            connection = %conn.id, device = %state.id, unit = state.unit,
            points = state.slots.len(), requests = state.plan.requests.len(), "planned device"
        );
        per_lane[i % lanes].push(state);
    }
    let conn = Arc::new(conn);
    let mut lanes_iter = per_lane.into_iter().enumerate().map(|(n, devices)| Lane {
        io: LaneIo::new(
            conn.clone(),
            n,
            &devices,
            out.clone(),
            stats.clone(),
            cancel.clone(),
        ),
        devices,
    });
    if lanes == 1 {
        if let Some(lane) = lanes_iter.next() {
            lane.run().await;
        }
        return;
    }
    let mut set = JoinSet::new();
    for lane in lanes_iter {
        set.spawn(lane.run());
    }
    while let Some(res) = set.join_next().await {
        if let Err(e) = res {
            tracing::error!(connection = %conn.id, error = %e, "polling lane ended abnormally");
        }
    }
}

/// How many links (lanes) to open: `max_requests_in_flight`, Modbus TCP only, at most one per device.
fn lane_count(conn: &Connection, devices: usize) -> usize {
    let wanted = usize::from(conn.max_requests_in_flight.max(1));
    if conn.framing == Framing::RtuOverTcp && wanted > 1 {
        tracing::warn!(
            connection = %conn.id,
            "max_requests_in_flight > 1 ignored: RTU over TCP is one serial line, requests stay serial"
        );
        return 1;
    }
    wanted.min(devices.max(1))
}

/// A point with its precomputed place in the plan.
struct Slot {
    point: Point,
    id: Arc<str>,
    /// For each register (or the one bit) of the point: (request index, offset in its response).
    places: Vec<(usize, usize)>,
}

/// One device and its schedule.
struct DeviceState {
    id: String,
    unit: u8,
    interval: Duration,
    slots: Vec<Slot>,
    plan: Plan,
    /// Per request: whether it reads registers no point uses (a gap).
    spans_gap: Vec<bool>,
    limits: PlanLimits,
    /// The plan was rebuilt without gaps after the device refused a read across a gap.
    gapless: bool,
    next_due: Instant,
    /// Consecutive cycles that ended in a comm failure of this unit (drives its backoff).
    failures: u32,
    stats: Arc<DeviceStats>,
    /// Rate limit of this device's warnings, per kind of trouble.
    log: LogLimit<Trouble>,
}

/// Kinds of trouble whose log lines are rate-limited separately (per device).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Trouble {
    /// No reply in time.
    Timeout,
    /// A Modbus exception with this code.
    Exception(u8),
    /// A reply of the wrong length or one that cannot be decoded.
    BadReply,
    /// A reply that does not belong to the request (transaction id, unit, function code).
    OutOfStep,
    /// The connection broke during a request.
    ConnectionLost,
    /// The unit was put on backoff.
    Backoff,
    /// The unit answered again after a backoff.
    Recovered,
}

/// A duration for a log line: `800 ms`, `2.5 s`.
fn duration_text(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{} ms", d.as_millis())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

impl DeviceState {
    fn new(device: Device, limits: &PlanLimits, stats: &ConnectionStats, start: Instant) -> Self {
        let unit = device.unit_id().unwrap_or(1);
        let slots = device
            .points
            .into_iter()
            .map(|point| Slot {
                id: Arc::from(point.id.as_str()),
                point,
                places: Vec::new(),
            })
            .collect();
        let stats = stats.register(&device.id);
        let mut state = Self {
            id: device.id,
            unit,
            interval: device.poll_interval.max(Duration::from_millis(1)),
            slots,
            plan: Plan::default(),
            spans_gap: Vec::new(),
            limits: *limits,
            gapless: false,
            next_due: start,
            failures: 0,
            stats,
            log: LogLimit::new(WARN_EVERY),
        };
        state.replan();
        state
    }

    /// Plan again without gaps (the device refuses reads of unused registers).
    fn replan_gapless(&mut self) {
        self.gapless = true;
        self.limits.max_gap = 0;
        self.replan();
    }

    /// (Re)build the plan and each point's place in it.
    fn replan(&mut self) {
        let points: Vec<Point> = self.slots.iter().map(|s| s.point.clone()).collect();
        self.plan = plan(&points, &self.limits);
        for slot in &mut self.slots {
            let Some(s) = slot.point.modbus().copied() else {
                continue;
            };
            let width = if s.table.is_bits() {
                1
            } else {
                s.data_type.width()
            };
            slot.places = (0..width)
                .filter_map(|k| {
                    let addr = s.address.checked_add(k)?;
                    let idx = self
                        .plan
                        .requests
                        .iter()
                        .position(|r| r.covers(s.table, addr))?;
                    Some((idx, usize::from(addr - self.plan.requests[idx].start)))
                })
                .collect();
        }
        self.spans_gap = self
            .plan
            .requests
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let used = self
                    .slots
                    .iter()
                    .flat_map(|s| &s.places)
                    .filter(|p| p.0 == i);
                let mut seen = vec![false; usize::from(r.count)];
                for &(_, off) in used {
                    if let Some(x) = seen.get_mut(off) {
                        *x = true;
                    }
                }
                seen.contains(&false)
            })
            .collect();
        self.stats.planned_requests.store(
            self.plan.requests.len() as u64,
            std::sync::atomic::Ordering::Relaxed,
        );
    }
}

/// What became of one planned request in a cycle.
#[derive(Debug, Clone)]
enum Outcome {
    /// Not sent (the task was cancelled first).
    Pending,
    /// Answered: registers (bits as 0/1) and arrival time.
    Read { regs: Vec<u16>, time_ms: i64 },
    /// Failed with this quality, noticed at this time.
    Failed { quality: Quality, time_ms: i64 },
}

/// Counter kinds kept both per device and per connection.
#[derive(Clone, Copy)]
enum Count {
    Request,
    Error,
    Timeout,
    Exception,
}

/// How running a device's plan ended.
enum ExecEnd {
    /// Every request was tried.
    Done,
    /// The task was cancelled.
    Cancelled,
    /// The unit did not answer (timeout, gateway exception): the rest was skipped.
    UnitFailed,
    /// Exception 2 on a read that spans unused registers: plan again without gaps.
    GapRejected,
}

/// Why no link is available.
enum NoLink {
    Cancelled,
    Down,
}

/// One serial request stream: a link plus the devices polled over it.
struct Lane {
    io: LaneIo,
    devices: Vec<DeviceState>,
}

/// The link side of a lane (split from the devices so both can be borrowed at once).
struct LaneIo {
    conn: Arc<Connection>,
    lane: usize,
    /// Unit ids polled over this lane (`1,2,3`), for lines about the link itself.
    units: String,
    /// Rate limit of connect-failure warnings.
    connect_log: LogLimit<()>,
    link: Option<Link>,
    connected_before: bool,
    connect_failures: u32,
    next_connect: Instant,
    connect_cap: Duration,
    last_response: Option<Instant>,
    out: mpsc::Sender<Vec<Reading>>,
    stats: Arc<ConnectionStats>,
    cancel: CancellationToken,
}

impl Lane {
    async fn run(mut self) {
        loop {
            let Some(idx) = (0..self.devices.len()).min_by_key(|&i| self.devices[i].next_due)
            else {
                return;
            };
            let due = self.devices[idx].next_due;
            tokio::select! {
                biased;
                () = self.io.cancel.cancelled() => break,
                () = sleep_until(due) => {}
            }
            let (readings, cancelled) = self.io.cycle(&mut self.devices[idx]).await;
            if !readings.is_empty() && !self.io.send(readings, cancelled).await {
                break;
            }
            if cancelled {
                break;
            }
            if self.io.conn.workarounds.close_after_cycle {
                let now = Instant::now();
                if self.devices.iter().all(|d| d.next_due > now)
                    && let Some(link) = self.io.link.take()
                {
                    link.close().await;
                }
            }
        }
        if let Some(link) = self.io.link.take() {
            link.close().await;
        }
        tracing::debug!(connection = %self.io.conn.id, lane = self.io.lane, "polling stopped");
    }
}

impl LaneIo {
    fn new(
        conn: Arc<Connection>,
        lane: usize,
        devices: &[DeviceState],
        out: mpsc::Sender<Vec<Reading>>,
        stats: Arc<ConnectionStats>,
        cancel: CancellationToken,
    ) -> Self {
        let units: Vec<String> = devices.iter().map(|d| d.unit.to_string()).collect();
        Self {
            connect_cap: connect_backoff_cap(devices.iter().map(|d| d.interval)),
            conn,
            lane,
            units: units.join(","),
            connect_log: LogLimit::new(WARN_EVERY),
            link: None,
            connected_before: false,
            connect_failures: 0,
            next_connect: Instant::now(),
            last_response: None,
            out,
            stats,
            cancel,
        }
    }

    fn count(&self, dev: &DeviceStats, what: Count) {
        let (c, d) = match what {
            Count::Request => (&self.stats.requests, &dev.requests),
            Count::Error => (&self.stats.request_errors, &dev.request_errors),
            Count::Timeout => (&self.stats.timeouts, &dev.timeouts),
            Count::Exception => (&self.stats.exceptions, &dev.exceptions),
        };
        bump(c);
        bump(d);
    }

    /// Sleep until `until` unless cancelled; false if cancelled.
    async fn pause_until(&mut self, until: Instant) -> bool {
        tokio::select! {
            biased;
            () = self.cancel.cancelled() => false,
            () = sleep_until(until) => true,
        }
    }

    /// Send a batch; false if the receiver is gone.
    async fn send(&mut self, readings: Vec<Reading>, cancelled: bool) -> bool {
        let sent = if cancelled {
            // Shutting down: hand over what was read, but do not wait long for the receiver.
            matches!(
                tokio::time::timeout(Duration::from_secs(1), self.out.send(readings)).await,
                Ok(Ok(()))
            )
        } else {
            tokio::select! {
                biased;
                r = self.out.send(readings) => r.is_ok(),
                () = self.cancel.cancelled() => true,
            }
        };
        if !sent && !cancelled {
            tracing::warn!(connection = %self.conn.id, units = %self.units, "readings receiver closed; stopping polling");
        }
        sent || cancelled
    }

    /// Open the link if needed (respecting the connect backoff).
    async fn ensure_link(&mut self) -> Result<(), NoLink> {
        if self.link.is_some() {
            return Ok(());
        }
        if Instant::now() < self.next_connect {
            return Err(NoLink::Down);
        }
        let c = &self.conn;
        let result = tokio::select! {
            biased;
            () = self.cancel.cancelled() => return Err(NoLink::Cancelled),
            r = Link::connect(&c.host, c.port, c.framing, c.timeout) => r,
        };
        match result {
            Ok(link) => {
                if self.connected_before {
                    bump(&self.stats.reconnects);
                }
                if self.connect_failures > 0 {
                    tracing::info!(
                        connection = %c.id, units = %self.units, lane = self.lane, failed_attempts = self.connect_failures,
                        "connection restored after {} failed attempts", self.connect_failures
                    );
                } else {
                    tracing::debug!(connection = %c.id, units = %self.units, lane = self.lane, "connected");
                }
                self.connected_before = true;
                self.connect_failures = 0;
                self.link = Some(link);
                self.last_response = None;
                let pause = c.pause_after_connect;
                if !pause.is_zero() && !self.pause_until(Instant::now() + pause).await {
                    return Err(NoLink::Cancelled);
                }
                Ok(())
            }
            Err(e) => {
                bump(&self.stats.connect_failures);
                self.connect_failures = self.connect_failures.saturating_add(1);
                let wait = connect_backoff(self.connect_failures, self.connect_cap);
                self.next_connect = Instant::now() + wait;
                if let Some(suppressed) = self.connect_log.allow(()) {
                    tracing::warn!(
                        connection = %c.id, units = %self.units, lane = self.lane, attempts = self.connect_failures,
                        "{e}; retrying in {}{suppressed}", duration_text(wait)
                    );
                } else {
                    tracing::debug!(
                        connection = %c.id, units = %self.units, lane = self.lane, attempts = self.connect_failures,
                        "{e}; retrying in {}", duration_text(wait)
                    );
                }
                Err(NoLink::Down)
            }
        }
    }

    /// Drop the link without ceremony (after a timeout or I/O error): a late response on it can
    /// never be taken as the answer to a later request.
    fn drop_link(&mut self) {
        if self.link.take().is_some() {
            tracing::debug!(connection = %self.conn.id, units = %self.units, lane = self.lane, "link dropped; will reconnect");
        }
    }

    /// One device cycle: returns its readings and whether the task was cancelled meanwhile.
    async fn cycle(&mut self, dev: &mut DeviceState) -> (Vec<Reading>, bool) {
        let started = Instant::now();
        dev.next_due = next_due(dev.next_due, dev.interval, started);
        let mut outcomes = vec![Outcome::Pending; dev.plan.requests.len()];
        let mut cancelled = false;
        let mut unit_failed = false;

        match self.ensure_link().await {
            Ok(()) => loop {
                match self.execute(dev, &mut outcomes).await {
                    ExecEnd::Done => {}
                    ExecEnd::Cancelled => cancelled = true,
                    ExecEnd::UnitFailed => unit_failed = true,
                    ExecEnd::GapRejected => {
                        // Happens at most once per device: the new plan has no gaps.
                        dev.replan_gapless();
                        outcomes = vec![Outcome::Pending; dev.plan.requests.len()];
                        continue;
                    }
                }
                break;
            },
            Err(NoLink::Cancelled) => cancelled = true,
            Err(NoLink::Down) => {
                let time_ms = SystemClock.now_ms();
                outcomes.fill(Outcome::Failed {
                    quality: Quality::CommFail,
                    time_ms,
                });
            }
        }

        if unit_failed {
            dev.failures = dev.failures.saturating_add(1);
            let wait = unit_backoff(dev.interval, dev.failures);
            dev.next_due = Instant::now() + wait;
            if dev.failures == 1
                && let Some(suppressed) = dev.log.allow(Trouble::Backoff)
            {
                tracing::warn!(
                    connection = %self.conn.id, device = %dev.id, unit = dev.unit,
                    "unit not answering; polling it again in {} (other units keep their schedule){suppressed}",
                    duration_text(wait)
                );
            }
        } else if !cancelled && outcomes.iter().any(|o| matches!(o, Outcome::Read { .. })) {
            if dev.failures > 0
                && let Some(suppressed) = dev.log.allow(Trouble::Recovered)
            {
                tracing::info!(
                    connection = %self.conn.id, device = %dev.id, unit = dev.unit, failed_cycles = dev.failures,
                    "unit answers again after {} failed cycles{suppressed}", dev.failures
                );
            }
            dev.failures = 0;
        }

        let readings = assemble(dev, &outcomes);
        if !cancelled {
            bump(&self.stats.cycles);
            bump(&dev.stats.cycles);
            if outcomes.iter().any(|o| matches!(o, Outcome::Failed { .. })) {
                bump(&dev.stats.failed_cycles);
            }
        }
        (readings, cancelled)
    }

    /// Run the plan of `dev`, filling `outcomes`.
    async fn execute(&mut self, dev: &mut DeviceState, outcomes: &mut [Outcome]) -> ExecEnd {
        let timeout = self.conn.timeout;
        let mut i = 0;
        let mut busy_retried = false;
        while i < outcomes.len() {
            // Pacing between requests on this link (across devices too).
            if let Some(last) = self.last_response {
                let until = last + self.conn.pause_between_requests;
                if until > Instant::now() && !self.pause_until(until).await {
                    return ExecEnd::Cancelled;
                }
            }
            let Some(link) = self.link.as_mut() else {
                fail_from(outcomes, i, Quality::CommFail);
                return ExecEnd::Done;
            };
            let req = dev.plan.requests[i];
            let cancel = self.cancel.clone();
            let result = tokio::select! {
                biased;
                () = cancel.cancelled() => return ExecEnd::Cancelled,
                r = link.read(dev.unit, &req, timeout) => r,
            };
            self.count(&dev.stats, Count::Request);
            self.last_response = Some(Instant::now());
            let time_ms = SystemClock.now_ms();
            let e = match result {
                Ok(regs) => {
                    outcomes[i] = Outcome::Read { regs, time_ms };
                    i += 1;
                    busy_retried = false;
                    continue;
                }
                Err(e) => e,
            };
            self.count(&dev.stats, Count::Error);
            let (conn_id, start, count) = (&self.conn.id, req.start, req.count);
            let table = table_name(req.table);
            match e {
                RequestError::Exception { code } => {
                    self.count(&dev.stats, Count::Exception);
                    let name = exception_name(code);
                    if code == exception::BUSY && !busy_retried {
                        busy_retried = true;
                        tracing::debug!(connection = %conn_id, device = %dev.id, unit = dev.unit, "device busy (exception 6); retrying once");
                        if !self.pause_until(Instant::now() + BUSY_RETRY_PAUSE).await {
                            return ExecEnd::Cancelled;
                        }
                        continue;
                    }
                    if code == exception::ILLEGAL_DATA_ADDRESS
                        && dev.spans_gap.get(i).copied().unwrap_or(false)
                        && !dev.gapless
                    {
                        tracing::info!(
                            connection = %conn_id, device = %dev.id, unit = dev.unit, table, start, count,
                            "device refuses reads across unused registers; reading without gaps from now on"
                        );
                        return ExecEnd::GapRejected;
                    }
                    if let Some(suppressed) = dev.log.allow(Trouble::Exception(code)) {
                        let hint =
                            exception_hint(code).map_or_else(String::new, |h| format!(" — {h}"));
                        tracing::warn!(
                            connection = %conn_id, device = %dev.id, unit = dev.unit, table, start, count,
                            "Modbus exception {code} ({name}) reading {count} {table} at {start}{hint}{suppressed}"
                        );
                    }
                    if code == exception::GATEWAY_PATH_UNAVAILABLE
                        || code == exception::GATEWAY_TARGET_FAILED
                    {
                        fail_from(outcomes, i, Quality::CommFail);
                        return ExecEnd::UnitFailed;
                    }
                    outcomes[i] = Outcome::Failed {
                        quality: Quality::DeviceFault,
                        time_ms,
                    };
                    i += 1;
                    busy_retried = false;
                }
                RequestError::BadResponse(msg) => {
                    if let Some(suppressed) = dev.log.allow(Trouble::BadReply) {
                        tracing::warn!(
                            connection = %conn_id, device = %dev.id, unit = dev.unit, table, start, count,
                            "{msg}{suppressed}"
                        );
                    }
                    outcomes[i] = Outcome::Failed {
                        quality: Quality::DeviceFault,
                        time_ms,
                    };
                    i += 1;
                    busy_retried = false;
                }
                RequestError::Malformed(msg) => {
                    if let Some(suppressed) = dev.log.allow(Trouble::BadReply) {
                        tracing::warn!(
                            connection = %conn_id, device = %dev.id, unit = dev.unit, table, start, count,
                            "{msg}; reconnecting{suppressed}"
                        );
                    }
                    // The codec stops after a decoding error: this read is the device's fault,
                    // the rest of the cycle has no link.
                    outcomes[i] = Outcome::Failed {
                        quality: Quality::DeviceFault,
                        time_ms,
                    };
                    fail_from(outcomes, i + 1, Quality::CommFail);
                    self.drop_link();
                    return ExecEnd::Done;
                }
                RequestError::Timeout(_) => {
                    self.count(&dev.stats, Count::Timeout);
                    if let Some(suppressed) = dev.log.allow(Trouble::Timeout) {
                        tracing::warn!(
                            connection = %conn_id, device = %dev.id, unit = dev.unit, table, start, count,
                            "no reply within {} to a read of {count} {table} at {start}; reconnecting{suppressed}",
                            duration_text(timeout)
                        );
                    }
                    fail_from(outcomes, i, Quality::CommFail);
                    // tokio-modbus matches transaction ids on TCP, but RTU frames have none, and
                    // a late answer would still make the next request fail: always reconnect.
                    self.drop_link();
                    return ExecEnd::UnitFailed;
                }
                RequestError::Io(err) => {
                    if let Some(suppressed) = dev.log.allow(Trouble::ConnectionLost) {
                        tracing::warn!(
                            connection = %conn_id, device = %dev.id, unit = dev.unit, table, start, count,
                            "{} while reading {count} {table} at {start}; reconnecting{suppressed}",
                            RequestError::Io(err)
                        );
                    }
                    fail_from(outcomes, i, Quality::CommFail);
                    self.drop_link();
                    return ExecEnd::Done;
                }
                RequestError::Protocol(msg) => {
                    if let Some(suppressed) = dev.log.allow(Trouble::OutOfStep) {
                        tracing::warn!(
                            connection = %conn_id, device = %dev.id, unit = dev.unit, table, start, count,
                            "{msg} (reading {count} {table} at {start}); reconnecting{suppressed}"
                        );
                    }
                    fail_from(outcomes, i, Quality::CommFail);
                    self.drop_link();
                    return ExecEnd::Done;
                }
            }
        }
        ExecEnd::Done
    }
}

/// Mark requests `from..` as failed now.
fn fail_from(outcomes: &mut [Outcome], from: usize, quality: Quality) {
    let time_ms = SystemClock.now_ms();
    for o in outcomes.iter_mut().skip(from) {
        *o = Outcome::Failed { quality, time_ms };
    }
}

/// One reading per point from the request outcomes (points not attempted because of
/// cancellation are left out).
fn assemble(dev: &DeviceState, outcomes: &[Outcome]) -> Vec<Reading> {
    let mut readings = Vec::with_capacity(dev.slots.len());
    // One buffer for every point's registers: no allocation per reading.
    let mut regs: Vec<u16> = Vec::with_capacity(dev.slots.iter().map(|s| s.places.len()).max().unwrap_or(0));
    'points: for slot in &dev.slots {
        regs.clear();
        let mut time_ms = i64::MIN;
        if slot.places.is_empty() {
            // Not covered by the plan (cannot happen for valid points): say so, do not guess.
            readings.push(bad(slot, Quality::DeviceFault, SystemClock.now_ms()));
            continue;
        }
        for &(idx, offset) in &slot.places {
            match outcomes.get(idx) {
                Some(Outcome::Read {
                    regs: r,
                    time_ms: t,
                }) => {
                    let Some(&v) = r.get(offset) else {
                        readings.push(bad(slot, Quality::DeviceFault, *t));
                        continue 'points;
                    };
                    regs.push(v);
                    time_ms = time_ms.max(*t);
                }
                Some(Outcome::Failed {
                    quality,
                    time_ms: t,
                }) => {
                    readings.push(bad(slot, *quality, *t));
                    continue 'points;
                }
                Some(Outcome::Pending) | None => continue 'points,
            }
        }
        let (value, quality) = if slot.point.modbus().is_some_and(|m| m.table.is_bits()) {
            decode_bit(&slot.point, regs.first().is_some_and(|&b| b != 0))
        } else {
            decode(&slot.point, &regs)
        };
        readings.push(Reading {
            point: slot.id.clone(),
            time_ms,
            value,
            quality,
        });
    }
    readings
}

fn bad(slot: &Slot, quality: Quality, time_ms: i64) -> Reading {
    Reading {
        point: slot.id.clone(),
        time_ms,
        value: None,
        quality,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use driftvakt_config::model::{DataType, DeviceLink, ModbusLink, Table, WordOrder};
    use driftvakt_domain::Value;

    fn pt(id: &str, address: u16, data_type: DataType) -> Point {
        Point::plain_modbus(
            id,
            Table::HoldingRegister,
            address,
            data_type,
            WordOrder::Abcd,
        )
    }

    fn device(points: Vec<Point>) -> Device {
        Device {
            id: "g1".into(),
            name: String::new(),
            link: DeviceLink::Modbus(ModbusLink {
                connection: "c".into(),
                unit_id: 1,
            }),
            poll_interval: Duration::from_secs(1),
            template: None,
            points,
        }
    }

    fn state(points: Vec<Point>, limits: PlanLimits) -> DeviceState {
        let stats = ConnectionStats::new("c");
        DeviceState::new(device(points), &limits, &stats, Instant::now())
    }

    #[tokio::test]
    async fn single_register_reads_assemble_wide_points() {
        let limits = PlanLimits {
            single_register: true,
            ..PlanLimits::default()
        };
        let dev = state(
            vec![pt("g1.f", 10, DataType::F32), pt("g1.u", 12, DataType::U16)],
            limits,
        );
        assert_eq!(dev.plan.requests.len(), 3);
        let outcomes = vec![
            Outcome::Read {
                regs: vec![0x436F],
                time_ms: 5,
            },
            Outcome::Read {
                regs: vec![0x8000],
                time_ms: 7,
            },
            Outcome::Failed {
                quality: Quality::DeviceFault,
                time_ms: 9,
            },
        ];
        let r = assemble(&dev, &outcomes);
        assert_eq!(r.len(), 2);
        assert_eq!(
            (r[0].value.clone(), r[0].quality, r[0].time_ms),
            (Some(Value::Number(239.5)), Quality::Good, 7)
        );
        assert_eq!(
            (r[1].value.clone(), r[1].quality),
            (None, Quality::DeviceFault)
        );
    }

    #[tokio::test]
    async fn a_failed_half_spoils_the_point_without_a_substitute() {
        let limits = PlanLimits {
            single_register: true,
            ..PlanLimits::default()
        };
        let dev = state(vec![pt("g1.f", 10, DataType::F32)], limits);
        let outcomes = vec![
            Outcome::Read {
                regs: vec![0x436F],
                time_ms: 5,
            },
            Outcome::Failed {
                quality: Quality::CommFail,
                time_ms: 6,
            },
        ];
        let r = assemble(&dev, &outcomes);
        assert_eq!(
            (r[0].value.clone(), r[0].quality, r[0].time_ms),
            (None, Quality::CommFail, 6)
        );
    }

    #[tokio::test]
    async fn pending_points_are_left_out_on_cancel() {
        let dev = state(
            vec![pt("g1.a", 0, DataType::U16), pt("g1.b", 500, DataType::U16)],
            PlanLimits::default(),
        );
        let outcomes = vec![
            Outcome::Read {
                regs: vec![42],
                time_ms: 1,
            },
            Outcome::Pending,
        ];
        let r = assemble(&dev, &outcomes);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].value, Some(Value::Number(42.0)));
    }

    #[test]
    fn lanes_only_for_tcp() {
        let mut conn = Connection {
            id: "c".into(),
            framing: Framing::Tcp,
            host: "h".into(),
            port: 502,
            timeout: Duration::from_secs(1),
            pause_between_requests: Duration::ZERO,
            pause_after_connect: Duration::ZERO,
            max_registers_per_read: 125,
            max_bits_per_read: 2000,
            max_gap_registers: 0,
            max_requests_in_flight: 4,
            address_base: 0,
            workarounds: Default::default(),
        };
        assert_eq!(lane_count(&conn, 2), 2);
        assert_eq!(lane_count(&conn, 10), 4);
        conn.framing = Framing::RtuOverTcp;
        assert_eq!(lane_count(&conn, 10), 1);
        conn.max_requests_in_flight = 0;
        conn.framing = Framing::Tcp;
        assert_eq!(lane_count(&conn, 10), 1);
    }
}
