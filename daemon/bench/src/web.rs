//! `driftvakt bench`, web part: what the operator screen's live updates cost the daemon. The
//! daemon (`driftvakt run`, this binary, its own process) polls the simulated reference hospital
//! (in this process); its CPU time (`/proc/PID/stat` utime + stime) is measured over the same
//! window with no client and with [`CLIENTS`] readers of `/web/live` (plain HTTP: what costs the
//! daemon is computing the frames and the fan-out, not the browser). Also: bytes/s per client,
//! the overview page's transfer size, and how long a system page with its trend charts takes
//! over a day of history at one reading a second ([`HISTORY_SAMPLE`], fast-forwarded first).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use driftvakt_sim::demo_config::DEMO_CONFIG;
use driftvakt_sim::{self as sim, Scenario, SimHandle, SimOptions};
use tokio_util::sync::CancellationToken;

use driftvakt_runtime::out::outln;

/// Live-stream clients of the loaded measurement (issue 13: "10 browsers").
pub const CLIENTS: usize = 10;
/// Clock ticks per second of `/proc/PID/stat` (USER_HZ: 100 on every Linux ABI).
const USER_HZ: f64 = 100.0;
/// How long the daemon may take until its pages answer.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// Start-up work (store, first polls, first rollups) left to pass before measuring.
const SETTLE: Duration = Duration::from_secs(5);
/// Simulated time between the fast-forwarded history's readings (the reference hospital polls
/// its Modbus devices once a second).
const HISTORY_SAMPLE: &str = "1s";
/// The system page timed: the one with the most charts.
const TREND_PAGE: &str = "/system/reservkraft";
/// The API token the daemon is given (the bench acts on nothing).
const TOKEN: &str = "bench-web";

/// The daemon process; killed on drop.
struct Daemon(Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Measure and print the live stream's cost with 0 and [`CLIENTS`] clients, `seconds` each.
pub async fn run(seconds: u64) -> Result<()> {
    let window = Duration::from_secs(seconds.max(1));
    outln!("== web: the overview's live stream (/web/live), daemon CPU with 0 and {CLIENTS} clients, {} s each", window.as_secs())?;
    if cfg!(debug_assertions) {
        outln!("  note: a debug build; the figure issue 13 asks for is the release build's (`cargo build --release`)")?;
    }
    let cancel = CancellationToken::new();
    let opts = SimOptions { scenario: Scenario::Normal, speed: 1.0, bind: [127, 0, 0, 1].into(), base_port: 0, bacnet_port: Some(0), ..SimOptions::default() };
    let sim = sim::start(opts, cancel.child_token()).await.context("starting the simulator")?;
    let dir = tempfile::tempdir()?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let config = dir.path().join("hospital.toml");
    std::fs::write(&config, config_for(&sim, port)?)?;
    let log = dir.path().join("daemon.log");
    let t = Instant::now();
    fast_forward_a_day(&config, &dir.path().join("data"))?;
    outln!("  history: a day of the reference hospital at one reading per {HISTORY_SAMPLE}, fast-forwarded in {:.1} s", t.elapsed().as_secs_f64())?;
    let daemon = start_daemon(&config, &dir.path().join("data"), &log)?;
    let pid = daemon.0.id();
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();

    let t0 = Instant::now();
    loop {
        if http.get(format!("{base}/")).send().await.is_ok_and(|r| r.status().is_success()) {
            break;
        }
        if t0.elapsed() > START_TIMEOUT {
            bail!("the daemon's pages did not answer within {START_TIMEOUT:?}; its log:\n{}", std::fs::read_to_string(&log).unwrap_or_default());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(SETTLE).await;

    let idle = cpu_share(pid, window).await?;
    outln!("  0 clients:  {:.2} % of a core (polling, store, everything but the web)", idle * 100.0)?;

    let counters: Vec<Arc<Counter>> = (0..CLIENTS).map(|_| Arc::new(Counter::default())).collect();
    let readers = cancel.child_token();
    for c in &counters {
        tokio::spawn(read_stream(http.clone(), format!("{base}/web/live?lang=sv"), Arc::clone(c), readers.clone()));
    }
    let t1 = Instant::now();
    while counters.iter().any(|c| c.events.load(Ordering::Relaxed) == 0) {
        ensure!(t1.elapsed() < Duration::from_secs(10), "not every client had a live event within 10 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (bytes0, events0) = (sum(&counters, |c| &c.bytes), sum(&counters, |c| &c.events));
    let t2 = Instant::now();
    let busy = cpu_share(pid, window).await?;
    let secs = t2.elapsed().as_secs_f64();
    let (bytes, events) = (sum(&counters, |c| &c.bytes) - bytes0, sum(&counters, |c| &c.events) - events0);
    readers.cancel();
    outln!("  {CLIENTS} clients: {:.2} % of a core", busy * 100.0)?;
    outln!("  cost of {CLIENTS} clients: {:+.2} % of a core (issue 13: under 1 %)", (busy - idle) * 100.0)?;
    let per_client = bytes as f64 / CLIENTS as f64 / secs;
    let per_event = if events > 0 { bytes as f64 / events as f64 } else { 0.0 };
    outln!(
        "  per client: {:.0} bytes/s, {:.2} events/s of ≈ {:.0} bytes",
        per_client,
        events as f64 / CLIENTS as f64 / secs,
        per_event
    )?;
    transfer(&http, &base).await?;
    for span in ["1h", "24h", "7d"] {
        trend_page(&http, &base, span).await?;
    }
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    if let Some(hwm) = status.lines().find_map(|l| l.strip_prefix("VmHWM:")) {
        outln!("  the daemon's peak RSS: {}", hwm.trim())?;
    }
    drop(daemon);
    cancel.cancel();
    Ok(())
}

/// What one stream reader has received.
#[derive(Debug, Default)]
struct Counter {
    /// Bytes of the stream's body.
    bytes: AtomicU64,
    /// `live` events (counted per chunk; an event is sent as one).
    events: AtomicU64,
}

/// The sum of one counter over every reader.
fn sum(counters: &[Arc<Counter>], field: impl Fn(&Counter) -> &AtomicU64) -> u64 {
    counters.iter().map(|c| field(c).load(Ordering::Relaxed)).sum()
}

/// Reads `url` as a live stream, counting, until `stop`.
async fn read_stream(http: reqwest::Client, url: String, counter: Arc<Counter>, stop: CancellationToken) {
    let Ok(mut r) = http.get(&url).send().await else { return };
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            chunk = r.chunk() => match chunk {
                Ok(Some(bytes)) => {
                    counter.bytes.fetch_add(bytes.len() as u64, Ordering::Relaxed);
                    let events = bytes.windows(11).filter(|w| w == b"event: live").count();
                    counter.events.fetch_add(events as u64, Ordering::Relaxed);
                }
                _ => return,
            },
        }
    }
}

/// The share of one core process `pid` used over `window`, from its utime + stime.
async fn cpu_share(pid: u32, window: Duration) -> Result<f64> {
    let (t0, c0) = (Instant::now(), cpu_ticks(pid)?);
    tokio::time::sleep(window).await;
    let (t1, c1) = (Instant::now(), cpu_ticks(pid)?);
    Ok((c1 - c0) as f64 / USER_HZ / (t1 - t0).as_secs_f64())
}

/// utime + stime of process `pid`, in clock ticks.
fn cpu_ticks(pid: u32) -> Result<u64> {
    let path = format!("/proc/{pid}/stat");
    let stat = std::fs::read_to_string(&path).with_context(|| format!("reading {path} (has the daemon exited?)"))?;
    // Fields after the command's closing parenthesis, from field 3 (state): utime is field 14.
    let rest: Vec<&str> = stat.rsplit_once(')').map_or("", |(_, r)| r).split_whitespace().collect();
    let field = |i: usize| rest.get(i).and_then(|v| v.parse::<u64>().ok()).with_context(|| format!("no field {} in {path}", i + 3));
    Ok(field(11)? + field(12)?)
}

/// Print the overview's transfer: the page and the assets it links, as served.
async fn transfer(http: &reqwest::Client, base: &str) -> Result<()> {
    let r = http.get(format!("{base}/")).header("accept-encoding", "gzip, br").send().await?;
    let encoding = r.headers().get("content-encoding").and_then(|v| v.to_str().ok()).unwrap_or("none").to_string();
    let page = r.text().await?;
    let mut total = page.len();
    let mut parts = vec![format!("page {} B", page.len())];
    for asset in page.split("/static/").skip(1).filter_map(|r| r.split('"').next()) {
        let body = http.get(format!("{base}/static/{asset}")).send().await?.bytes().await?;
        total += body.len();
        parts.push(format!("{} {} B", asset.split('?').next().unwrap_or(asset), body.len()));
    }
    outln!("  overview transfer: {} = {:.1} kB uncompressed (content-encoding: {encoding}; assets cached for good after the first visit)", parts.join(" + "), total as f64 / 1000.0)?;
    Ok(())
}

/// Fill `data` with the day up to now (`driftvakt fastforward`, this binary).
fn fast_forward_a_day(config: &Path, data: &Path) -> Result<()> {
    let exe = std::env::current_exe().context("the path of this binary")?;
    let out = Command::new(&exe)
        .args(["fastforward", "--config"])
        .arg(config)
        .arg("--data")
        .arg(data)
        .args(["--duration", "24h", "--sample", HISTORY_SAMPLE, "--coarse-sample", HISTORY_SAMPLE])
        .env("RUST_LOG", "warn")
        .output()
        .with_context(|| format!("starting {} fastforward", exe.display()))?;
    ensure!(out.status.success(), "fastforward failed: {}", String::from_utf8_lossy(&out.stderr));
    Ok(())
}

/// Print how long [`TREND_PAGE`] with `?span=` takes to answer (three tries) and its size.
async fn trend_page(http: &reqwest::Client, base: &str, span: &str) -> Result<()> {
    let url = format!("{base}{TREND_PAGE}?span={span}");
    let mut times = Vec::new();
    let mut size = 0;
    let mut charts = 0;
    for _ in 0..3 {
        let t = Instant::now();
        let body = http.get(&url).send().await?.error_for_status()?.text().await?;
        times.push(t.elapsed());
        size = body.len();
        charts = body.matches("data-rendered-points").count();
    }
    times.sort();
    outln!(
        "  {TREND_PAGE}?span={span}: {charts} charts, {:.0} kB, answered in {:.0}..{:.0} ms",
        size as f64 / 1000.0,
        times[0].as_secs_f64() * 1000.0,
        times[2].as_secs_f64() * 1000.0
    )?;
    Ok(())
}

/// `driftvakt run --config CONFIG --data DATA`, this binary, its output into `log`.
fn start_daemon(config: &Path, data: &Path, log: &Path) -> Result<Daemon> {
    let exe = std::env::current_exe().context("the path of this binary")?;
    let out = std::fs::File::create(log)?;
    let err = out.try_clone()?;
    let child = Command::new(&exe)
        .arg("run")
        .arg("--config")
        .arg(config)
        .arg("--data")
        .arg(data)
        .env("DRIFTVAKT_API_TOKEN", TOKEN)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .with_context(|| format!("starting {} run", exe.display()))?;
    Ok(Daemon(child))
}

/// The bundled reference hospital pointed at `sim`, its API and pages on `port`.
fn config_for(sim: &SimHandle, port: u16) -> Result<String> {
    let mut c = DEMO_CONFIG.to_string();
    let mut swap = |from: &str, to: &str| -> Result<()> {
        ensure!(c.contains(from), "the reference configuration has no `{from}`");
        c = c.replace(from, to);
        Ok(())
    };
    for (gateway, default) in [("stallverk", "port = 15020"), ("fastighet", "port = 15021")] {
        let addr = sim.addr(gateway).with_context(|| format!("the simulator has no gateway {gateway}"))?;
        swap(default, &format!("port = {}", addr.port()))?;
    }
    if let Some(b) = &sim.bacnet {
        swap("address = \"127.0.0.1:47809\"", &format!("address = \"{}\"", b.addr))?;
    }
    swap("listen = \"127.0.0.1:8750\"", &format!("listen = \"127.0.0.1:{port}\""))?;
    Ok(c)
}
