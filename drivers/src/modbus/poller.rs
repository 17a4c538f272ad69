//! The per-connection polling task.
//!
//! One task per connection. Devices (units) are polled one after another, each on its own
//! interval (shorter while a [`PollBoost`] that applies to it is set); one request is in flight
//! per TCP link. With `max_requests_in_flight > 1` (Modbus TCP
//! only) that many links are opened and the devices are spread across them ("lanes").
//!
//! A device cycle runs the device's plan, assembles the registers, decodes every point and sends
//! exactly one `Vec<Reading>` with one reading per point. Points that could not be read carry no
//! value and a bad quality. See `README.md` for the failure rules.
//!
//! Every log line names the connection and the unit (`connection=… unit=…`, or `units=…` for
//! the whole link). Repeated warnings are rate-limited per device and kind of trouble
//! ([`LogLimit`]): the first at once, then one a minute with the count of lines left out.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use driftvakt_config::model::{Connection, Device, Framing, Point};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tokio::time::{Instant, sleep_until};
use tokio_util::sync::CancellationToken;

use super::client::{Link, RequestError, exception, exception_hint, exception_name};
use super::decode::{decode, decode_bit};
use super::plan::{Plan, PlanLimits, plan};
use super::probe::table_name;
use super::schedule::{connect_backoff, connect_backoff_cap, next_due, unit_backoff};
use super::stats::{ConnectionStats, DeviceStats, bump};
use crate::boost::{PollBoost, boosted_interval};
use crate::log_limit::{LogLimit, WARN_EVERY};
use driftvakt_domain::clock::{Clock, SystemClock};
use driftvakt_domain::{Quality, Reading};

/// Pause before retrying a request answered with exception 6 (server busy).
pub const BUSY_RETRY_PAUSE: Duration = Duration::from_millis(100);

/// A [`PollBoost`] and the devices (by id) it applies to.
#[derive(Debug, Clone)]
pub struct DeviceBoost {
    /// The shared switch (set by whoever owns the reason, e.g. a running exercise).
    pub boost: PollBoost,
    /// Ids of the devices polled faster while it is set.
    pub devices: HashSet<String>,
}

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
    run_connection_boosted(conn, devices, None, out, stats, cancel).await;
}

/// [`run_connection`], with the devices named in `boost` polled at most the boost's interval
/// apart while it is set (their own interval if that is shorter). Turning the boost on takes
/// effect at once (a boosted device's next poll comes at most one boost interval after its last
/// one, never sooner); a unit on backoff keeps its backoff, which stays based on its own interval.
pub async fn run_connection_boosted(
    conn: Connection,
    devices: Vec<Device>,
    boost: Option<DeviceBoost>,
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
        let boosted = boost.as_ref().is_some_and(|b| b.devices.contains(&device.id));
        let mut state = DeviceState::new(device, &limits, &stats, start);
        state.boosted = boosted;
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
        boost: boost
            .as_ref()
            .filter(|_| devices.iter().any(|d| d.boosted))
            .map(|b| b.boost.watch()),
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
    /// The interval now: the configured one, or shorter while a boost is on.
    interval: Duration,
    /// The configured poll interval (backoffs are based on it).
    own_interval: Duration,
    /// Whether a [`PollBoost`] applies to this device.
    boosted: bool,
    /// When its last cycle started.
    last_started: Option<Instant>,
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
        let interval = device.poll_interval.max(Duration::from_millis(1));
        let mut state = Self {
            id: device.id,
            unit,
            interval,
            own_interval: interval,
            boosted: false,
            last_started: None,
            next_due: start,
            slots,
            plan: Plan::default(),
            spans_gap: Vec::new(),
            limits: *limits,
            gapless: false,
            failures: 0,
            stats,
            log: LogLimit::new(WARN_EVERY),
        };
        state.replan();
        state
    }

    /// A cycle starts at `now`: the regular next due time.
    fn cycle_started(&mut self, now: Instant) {
        self.last_started = Some(now);
        self.next_due = next_due(self.next_due, self.interval, now);
    }

    /// The cycle ended in a comm failure of the unit: back off (from its own interval, boosted
    /// or not) and return the wait.
    fn back_off(&mut self, now: Instant) -> Duration {
        self.failures = self.failures.saturating_add(1);
        let wait = unit_backoff(self.own_interval, self.failures);
        self.next_due = now + wait;
        wait
    }

    /// The boost is now `boost`: set the interval; a healthy device whose interval got shorter
    /// is due at most the new interval after its last cycle (at once if that has passed). A
    /// device on backoff keeps its due time.
    fn apply_boost(&mut self, boost: Option<Duration>, now: Instant) {
        if !self.boosted {
            return;
        }
        let interval = boosted_interval(self.own_interval, boost);
        if interval < self.interval && self.failures == 0 {
            let soonest = self.last_started.map_or(now, |t| (t + interval).max(now));
            self.next_due = self.next_due.min(soonest);
        }
        self.interval = interval;
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
    /// The boost, when a device of this lane is boosted.
    boost: Option<watch::Receiver<Option<Duration>>>,
    devices: Vec<DeviceState>,
}

/// Until the boost changes (never without one; a dropped handle leaves the intervals as they are).
async fn boost_changed(boost: &mut Option<watch::Receiver<Option<Duration>>>) -> Option<Duration> {
    let Some(rx) = boost.as_mut() else {
        return std::future::pending().await;
    };
    if rx.changed().await.is_err() {
        let last = *rx.borrow();
        *boost = None;
        return last;
    }
    *rx.borrow_and_update()
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
    /// Apply the boost as it is now (it may have been set before the lane started).
    fn apply_current_boost(&mut self) {
        let Some(rx) = self.boost.as_mut() else {
            return;
        };
        let boost = *rx.borrow_and_update();
        let now = Instant::now();
        for d in &mut self.devices {
            d.apply_boost(boost, now);
        }
    }

    /// Wait until a device is due, following boost changes meanwhile: its index, or `None`
    /// when cancelled (or there are no devices).
    async fn wait_due(&mut self) -> Option<usize> {
        loop {
            let idx = (0..self.devices.len()).min_by_key(|&i| self.devices[i].next_due)?;
            let due = self.devices[idx].next_due;
            tokio::select! {
                biased;
                () = self.io.cancel.cancelled() => return None,
                boost = boost_changed(&mut self.boost) => {
                    let now = Instant::now();
                    for d in &mut self.devices {
                        d.apply_boost(boost, now);
                    }
                }
                () = sleep_until(due) => return Some(idx),
            }
        }
    }

    async fn run(mut self) {
        self.apply_current_boost();
        loop {
            let Some(idx) = self.wait_due().await else {
                break;
            };
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
            connect_cap: connect_backoff_cap(devices.iter().map(|d| d.own_interval)),
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
        dev.cycle_started(Instant::now());
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
            let wait = dev.back_off(Instant::now());
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

    fn connection() -> Connection {
        Connection {
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
        }
    }

    /// A lane of devices `(id, interval, boosted)` without a link: the schedule alone.
    fn lane(devices: &[(&str, u64, bool)], boost: &PollBoost, cancel: &CancellationToken) -> Lane {
        let stats = ConnectionStats::new("c");
        let start = Instant::now();
        let devices: Vec<DeviceState> = devices
            .iter()
            .map(|&(id, secs, boosted)| {
                let mut d = device(vec![pt(&format!("{id}.a"), 0, DataType::U16)]);
                d.id = id.into();
                d.poll_interval = Duration::from_secs(secs);
                let mut s = DeviceState::new(d, &PlanLimits::default(), &stats, start);
                s.boosted = boosted;
                s
            })
            .collect();
        let (out, _) = mpsc::channel(1);
        let io = LaneIo::new(Arc::new(connection()), 0, &devices, out, Arc::new(stats), cancel.clone());
        Lane { io, boost: Some(boost.watch()), devices }
    }

    /// Run the lane's schedule as `Lane::run` does, without the link: each due device's cycle
    /// starts, and fails (unit backoff) when `fails(device, seconds since start)`. Returns the
    /// poll times per device, in seconds (tenths) since the start.
    async fn polls(mut lane: Lane, fails: impl Fn(&str, f64) -> bool) -> Vec<(String, Vec<f64>)> {
        let t0 = Instant::now();
        let mut out: Vec<(String, Vec<f64>)> = lane.devices.iter().map(|d| (d.id.clone(), Vec::new())).collect();
        lane.apply_current_boost();
        while let Some(i) = lane.wait_due().await {
            let now = Instant::now();
            let at = ((now - t0).as_secs_f64() * 10.0).round() / 10.0;
            out[i].1.push(at);
            let dev = &mut lane.devices[i];
            dev.cycle_started(now);
            if fails(&dev.id, at) {
                dev.back_off(now);
            } else {
                dev.failures = 0;
            }
        }
        out
    }

    #[tokio::test(start_paused = true)]
    async fn a_boosted_device_is_polled_fast_while_the_boost_is_on() {
        let boost = PollBoost::new();
        let cancel = CancellationToken::new();
        // `role` holds an exercise point (boosted), `other` does not; `failing` is boosted but
        // not answering until 25 s.
        let lane = lane(&[("role", 5, true), ("other", 5, false), ("failing", 5, true)], &boost, &cancel);
        let t0 = Instant::now();
        let driver = {
            let (boost, cancel) = (boost.clone(), cancel.clone());
            tokio::spawn(async move {
                sleep_until(t0 + Duration::from_millis(10_500)).await;
                boost.set(Some(Duration::from_secs(1)));
                sleep_until(t0 + Duration::from_millis(20_500)).await;
                boost.set(None);
                sleep_until(t0 + Duration::from_millis(37_000)).await;
                cancel.cancel();
            })
        };
        let polls = polls(lane, |id, at| id == "failing" && at < 25.0).await;
        driver.await.expect("driver task");
        let of = |id: &str| polls.iter().find(|p| p.0 == id).expect("device").1.clone();
        // On at 10.5 s: polled at once at 11 s (1 s after its last poll, not sooner), every
        // second while on; off at 20.5 s: the poll already due at 21 s, then every 5 s again.
        let mut fast: Vec<f64> = vec![0.0, 5.0, 10.0];
        fast.extend((11..=21).map(f64::from));
        fast.extend([26.0, 31.0, 36.0]);
        assert_eq!(of("role"), fast);
        assert_eq!(of("other"), vec![0.0, 5.0, 10.0, 15.0, 20.0, 25.0, 30.0, 35.0]);
        // Backoff from its own interval (10 s, then 20 s), not pulled in by the boost.
        assert_eq!(of("failing"), vec![0.0, 10.0, 30.0, 35.0]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_boost_set_before_the_start_applies_and_never_slows_a_faster_device() {
        let boost = PollBoost::new();
        boost.set(Some(Duration::from_secs(2)));
        let cancel = CancellationToken::new();
        let lane = lane(&[("role", 10, true), ("quick", 1, true)], &boost, &cancel);
        let t0 = Instant::now();
        let stop = {
            let cancel = cancel.clone();
            tokio::spawn(async move {
                sleep_until(t0 + Duration::from_millis(6_500)).await;
                cancel.cancel();
            })
        };
        let polls = polls(lane, |_, _| false).await;
        stop.await.expect("stop task");
        assert_eq!(polls[0].1, vec![0.0, 2.0, 4.0, 6.0]);
        assert_eq!(polls[1].1, (0..=6).map(f64::from).collect::<Vec<_>>());
    }

    #[test]
    fn lanes_only_for_tcp() {
        let mut conn = connection();
        assert_eq!(lane_count(&conn, 2), 2);
        assert_eq!(lane_count(&conn, 10), 4);
        conn.framing = Framing::RtuOverTcp;
        assert_eq!(lane_count(&conn, 10), 1);
        conn.max_requests_in_flight = 0;
        conn.framing = Framing::Tcp;
        assert_eq!(lane_count(&conn, 10), 1);
    }
}
