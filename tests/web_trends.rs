//! The operator's system pages and reserves page over plain HTTP. On the real daemon polling the
//! simulated reference hospital: `/system/{id}` shows every point of the system with a chart,
//! and a gateway stopped mid-run is a gap on the chart exactly where the store has no good
//! reading (never a line across it); `/reserver` lists every reserve and function with the
//! overview's figures. On a store written directly (a day of the reference hospital at each
//! device's poll interval, one point with only 20 readings): those 20 readings are drawn as 20
//! points, and the week's page of a system is rendered in measured (printed) time.

mod support;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use driftvakt_config::model::{Config, PointKind, System};
use driftvakt_domain::{Quality, Reading, Value};
use driftvakt_store::StoreWriter;
use reqwest::blocking::Client;
use support::browser::Browser;
use support::sim::{Sim, free_ports};
use support::{Daemon, ExportRow, free_port, now_ms, rfc3339_ms, wait_for};

const POLL_MS: i64 = 200;

fn client() -> Client {
    Client::builder().timeout(Duration::from_secs(60)).build().expect("client")
}

/// GET `url`, expecting 200; the body.
fn get(url: &str) -> String {
    let r = client().get(url).send().unwrap_or_else(|e| panic!("GET {url}: {e}"));
    assert_eq!(r.status(), 200, "GET {url}");
    r.text().expect("body")
}

/// The reference hospital with the API on `api_port` (token from `token`) and `swaps` applied.
fn write_config(dir: &Path, base: String, api_port: u16, swaps: &[(&str, String)]) -> PathBuf {
    let token = dir.join("token");
    std::fs::write(&token, "t0ken").expect("token");
    let mut c = base;
    let mut swap = |from: &str, to: &str| {
        assert!(c.contains(from), "reference config has no `{from}`");
        c = c.replace(from, to);
    };
    swap("listen = \"127.0.0.1:8750\"", &format!("listen = \"127.0.0.1:{api_port}\""));
    swap("token = { env = \"DRIFTVAKT_API_TOKEN\" }", &format!("token = {{ file = \"{}\" }}", token.display()));
    for (from, to) in swaps {
        swap(from, to);
    }
    let path = dir.join("hospital.toml");
    std::fs::write(&path, c).expect("config");
    path
}

/// Start the daemon on `config` and `data` and wait until its pages answer.
fn start(config: &Path, data: &Path, api: &str) -> Daemon {
    let daemon = Daemon::with().data(data).run(config);
    wait_for("the daemon's pages", Duration::from_secs(30), || {
        daemon.assert_running();
        client().get(format!("{api}/")).send().map_err(|e| e.to_string()).and_then(|r| if r.status() == 200 { Ok(()) } else { Err(r.status().to_string()) })
    });
    daemon
}

/// One chart of a system page.
#[derive(Debug)]
struct Chart {
    /// Points drawn (`data-rendered-points`).
    drawn: usize,
    /// Lines and lone dots.
    runs: usize,
    /// Gaps: (kind, from, to).
    gaps: Vec<(String, i64, i64)>,
    /// The text alternative.
    title: String,
}

/// The value of attribute `name` in `tag`.
fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    tag.split(&format!(" {name}=\"")).nth(1).and_then(|r| r.split('"').next())
}

/// The `<figure>` of point `id` on a system page: `None` without a figure, `Some(None)` with a
/// figure but no chart.
fn chart_of(html: &str, id: &str) -> Option<Option<Chart>> {
    let fig = html.split(&format!("<figure class=\"trend\" id=\"trend-{id}\" ")).nth(1)?.split("</figure>").next()?;
    let Some(svg) = fig.split("<svg ").nth(1) else { return Some(None) };
    let open = svg.split('>').next().expect("svg tag");
    let drawn = attr(open, "data-rendered-points").and_then(|n| n.parse().ok()).expect("data-rendered-points");
    let runs = svg.matches("<polyline class=\"series\"").count() + svg.matches("<circle class=\"series\"").count();
    let gaps = svg
        .split("<rect class=\"gap\"")
        .skip(1)
        .map(|r| {
            let tag = r.split('>').next().expect("rect");
            let n = |a| attr(tag, a).and_then(|v| v.parse().ok()).expect("gap time");
            (attr(tag, "data-gap").expect("kind").to_string(), n("data-from"), n("data-to"))
        })
        .collect();
    let title = attr(open, "aria-label").unwrap_or_default().to_string();
    Some(Some(Chart { drawn, runs, gaps, title }))
}

/// Whether `gaps` together cover `[a, b]`.
fn covered(gaps: &[(String, i64, i64)], a: i64, b: i64) -> bool {
    let mut g: Vec<(i64, i64)> = gaps.iter().map(|g| (g.1, g.2)).collect();
    g.sort_unstable();
    let mut at = a;
    for (from, to) in g {
        if from <= at {
            at = at.max(to);
        }
    }
    at >= b
}

fn good(rows: &[ExportRow]) -> Vec<i64> {
    rows.iter().filter(|r| r.quality == "good").map(|r| r.time_ms).collect()
}

/// GET `url` `n` times; the body of the last and the fastest and slowest time.
fn timed(url: &str, n: usize) -> (String, Duration, Duration) {
    let (mut fast, mut slow, mut body) = (Duration::MAX, Duration::ZERO, String::new());
    for _ in 0..n {
        let t = Instant::now();
        body = get(url);
        let d = t.elapsed();
        (fast, slow) = (fast.min(d), slow.max(d));
    }
    (body, fast, slow)
}

#[test]
fn a_system_page_charts_every_point_and_a_stopped_gateway_is_a_gap_where_the_store_has_none() {
    let mut sim = Sim::scenario("normal").speed(10.0).ports(free_ports()).start();
    let dir = tempfile::tempdir().expect("tempdir");
    let api_port = free_port();
    let api = format!("http://127.0.0.1:{api_port}");
    let config_path = write_config(dir.path(), sim.config(""), api_port, &[("poll_interval_ms = 1000", format!("poll_interval_ms = {POLL_MS}"))]);
    let config = driftvakt_config::load(&config_path).config.expect("valid configuration");
    let data = dir.path().join("data");
    let daemon = start(&config_path, &data, &api);
    let system = System::Reservkraft;
    let points: Vec<_> = config.points().filter(|(_, p)| p.system == system).map(|(_, p)| p.clone()).collect();
    let watched = points.iter().find(|p| p.kind() == PointKind::Analog && p.id.starts_with("g1.")).expect("an analog generator point").id.clone();

    // Readings, then the gateways stop for 3 s (the outage under test), then come back.
    wait_for("readings of the watched point", Duration::from_secs(20), || {
        let n = good(&daemon.export(&watched)?).len();
        if n >= 10 { Ok(()) } else { Err(format!("{n} good readings")) }
    });
    sim.stop();
    let stopped = now_ms();
    std::thread::sleep(Duration::from_secs(3));
    sim.restart();
    let back = now_ms();
    wait_for("readings after the restart", Duration::from_secs(30), || {
        let n = good(&daemon.export(&watched)?).into_iter().filter(|t| *t > back).count();
        if n >= 5 { Ok(()) } else { Err(format!("{n} good readings since the restart")) }
    });

    // Every point of the system is on the page, each chartable one with a chart.
    let html = get(&format!("{api}/system/{}?span=1h", system.key()));
    assert!(html.contains("<h1>Reservkraft</h1>") && html.contains("aria-current=\"page\">Senaste timmen</a>"), "{html}");
    let unknown = client().get(format!("{api}/system/nosuch")).send().expect("GET");
    assert_eq!(unknown.status(), 404);
    assert!(unknown.text().expect("body").contains("Inget system nosuch i konfigurationen"));
    let english = get(&format!("{api}/system/{}?span=1h&lang=en", system.key()));
    assert!(english.contains(">Points</h2>") && english.contains("aria-current=\"page\">Last hour</a>"), "{english}");
    for p in &points {
        let chart = chart_of(&html, &p.id).unwrap_or_else(|| panic!("no figure for {}", p.id));
        assert!(html.contains(&format!("data-k=\"pt:{}\"", p.id)), "no live value for {}", p.id);
        if p.kind() != PointKind::Text {
            let chart = chart.unwrap_or_else(|| panic!("no chart for {}", p.id));
            // A point without a good reading (one the simulated controller lacks) is all gap.
            assert!(chart.drawn <= 320, "{}: {chart:?}", p.id);
            assert!(chart.drawn > 0 || covered(&chart.gaps, now_ms() - 3_500_000, now_ms() - 1_000), "{}: {chart:?}", p.id);
        }
    }

    // The outage: a gap covering the store's silence, and no good stored reading inside a gap.
    let chart = chart_of(&html, &watched).flatten().expect("the watched point's chart");
    let stored = good(&daemon.export_range(&watched, Some(&rfc3339_ms(now_ms() - 3_600_000)), None).expect("export"));
    let (a, b) = stored.windows(2).map(|w| (w[0], w[1])).max_by_key(|(a, b)| b - a).expect("readings");
    eprintln!("store: no good reading of {watched} for {} ms (gateways stopped {} ms); chart gaps {:?}", b - a, back - stopped, chart.gaps);
    assert!(b - a >= 2_500 && a <= stopped + 1_000 && b >= back, "the store's silence {a}..{b} is not the outage {stopped}..{back}");
    assert!(covered(&chart.gaps, a, b), "the chart does not shade the silence {a}..{b}: {chart:?}");
    assert!(chart.runs >= 2, "the line is not broken: {chart:?}");
    for (kind, from, to) in &chart.gaps {
        assert!(!stored.iter().any(|t| t > from && t < to), "a good stored reading inside the {kind} gap {from}..{to}");
    }
    assert!(chart.title.contains(": min ") && chart.title.contains(", senast "), "{}", chart.title);

    // The reserves page: every reserve and function, with the overview's figure.
    wait_for("/reserver and / agree", Duration::from_secs(20), || {
        let reserves = get(&format!("{api}/reserver"));
        let overview = get(&format!("{api}/"));
        let figure = |html: &str, id: &str| html.split(&format!("data-k=\"en:{id}\"")).nth(1).and_then(|r| r.split('>').nth(1)).and_then(|r| r.split('<').next()).map(str::to_string);
        for id in config.reserves.iter().map(|r| &r.id).chain(config.functions.iter().map(|f| &f.id)) {
            if !reserves.contains(&format!("data-k=\"end:{id}\"")) {
                return Err(format!("{id} missing from /reserver"));
            }
            let (mine, theirs) = (figure(&reserves, id), figure(&overview, id));
            if mine.is_none() || mine != theirs {
                return Err(format!("{id}: /reserver {mine:?}, overview {theirs:?}"));
            }
        }
        Ok(())
    });
    let (_, fast, slow) = timed(&format!("{api}/system/{}?span=7d", system.key()), 5);
    eprintln!("/system/{}?span=7d on a live store of a minute: {fast:?}..{slow:?}", system.key());

    // On a 390 px phone: nothing sticks out, every chart is drawn, and the reserves page is
    // kept current by the overview's live frames (its "as of" line moves on).
    let browser = Browser::launch();
    let mut page = browser.page(390, 844, 2.0);
    page.goto(&format!("{api}/system/{}?span=24h", system.key()));
    assert_eq!(page.horizontal_overflow(), Vec::<String>::new(), "the system page overflows 390 px");
    let charts = page.eval("document.querySelectorAll('svg.trend[data-rendered-points]').length");
    let chartable = points.iter().filter(|p| p.kind() != PointKind::Text).count();
    assert_eq!(charts.as_u64(), Some(chartable as u64));
    page.goto(&format!("{api}/reserver"));
    assert_eq!(page.horizontal_overflow(), Vec::<String>::new(), "the reserves page overflows 390 px");
    let first = page.eval("document.querySelector('[data-k=asof]').textContent");
    let first = first.as_str().expect("as of").to_string();
    page.wait_for(&format!("document.querySelector('[data-k=asof]').textContent !== {first:?}"), Duration::from_secs(10));
    assert_eq!(page.js_errors(), Vec::<String>::new());
    drop(daemon);
}

#[test]
fn twenty_readings_over_a_day_are_twenty_points_and_a_weeks_page_renders_in_measured_time() {
    // No plant answers: the TCP ports accept and never reply, the BACnet port is held.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let silent_port = silent.local_addr().expect("addr").port();
    let udp = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind udp");
    let udp_port = udp.local_addr().expect("addr").port();
    let dir = tempfile::tempdir().expect("tempdir");
    let api_port = free_port();
    let api = format!("http://127.0.0.1:{api_port}");
    let reference = std::fs::read_to_string(support::repo_root().join("config/examples/reference-hospital.toml")).expect("reference");
    let config_path = write_config(
        dir.path(),
        reference,
        api_port,
        &[
            ("port = 15020", format!("port = {silent_port}")),
            ("port = 15021", format!("port = {silent_port}")),
            ("address = \"127.0.0.1:47809\"", format!("address = \"127.0.0.1:{udp_port}\"")),
        ],
    );
    let config = driftvakt_config::load(&config_path).config.expect("valid configuration");
    let system = System::Reservkraft;
    let sparse = config.points().find(|(_, p)| p.system == system && p.kind() == PointKind::Analog).map(|(_, p)| p.id.clone()).expect("an analog point");

    // A day of every point at its device's interval; `sparse` only once an hour, 20 times.
    let data = dir.path().join("data");
    let now = now_ms();
    let from = now - 24 * 3_600_000;
    let written = write_day(&config, &data, from, now - 60_000, &sparse, |i| now - (20 - i) * 3_600_000 + 1_000);
    eprintln!("store written: {written} readings over a day");
    let daemon = start(&config_path, &data, &api);

    let html = get(&format!("{api}/system/{}?span=24h", system.key()));
    let chart = chart_of(&html, &sparse).flatten().expect("the sparse point's chart");
    assert_eq!(chart.drawn, 20, "{chart:?}");
    assert!(chart.gaps.iter().any(|g| g.0 == "no_data") && html.contains(">inga data</text>"), "{chart:?}");
    let others: Vec<Chart> = config.points().filter(|(_, p)| p.system == system && p.id != sparse && p.kind() != PointKind::Text).filter_map(|(_, p)| chart_of(&html, &p.id).flatten()).collect();
    assert!(!others.is_empty() && others.iter().all(|c| c.drawn > 20 && c.drawn <= 320), "{others:?}");

    let (week, fast, slow) = timed(&format!("{api}/system/{}?span=7d", system.key()), 3);
    let charts = week.matches("data-rendered-points=").count();
    eprintln!("/system/{}?span=7d with a day of data ({charts} charts, {} B): {fast:?} fastest, {slow:?} slowest of 3", system.key(), week.len());
    let (_, fast_day, _) = timed(&format!("{api}/system/{}?span=24h", system.key()), 3);
    let (_, fast_hour, _) = timed(&format!("{api}/system/{}?span=1h", system.key()), 3);
    eprintln!("same system, 24h: {fast_day:?}, 1h: {fast_hour:?}");
    assert!(fast < Duration::from_secs(5), "the week's page took {fast:?}");
    drop(daemon);
    drop((silent, udp));
}

/// A point written at its device's interval: its id and kind.
type Due = (Arc<str>, PointKind);

/// Write readings of every configured point from `from` to `to` at its device's reading
/// interval (a slow sine, booleans alternating), except `sparse`, which gets the 20 readings at
/// `sparse_at(0..20)`; the number of readings written.
fn write_day(config: &Config, data: &Path, from: i64, to: i64, sparse: &str, sparse_at: impl Fn(i64) -> i64) -> usize {
    let writer = StoreWriter::start(data, &driftvakt_runtime::pipeline::stored_points(config), &config.store).expect("store");
    let tx = writer.sender();
    let mut sparse_times: Vec<i64> = (0..20).map(sparse_at).collect();
    sparse_times.reverse();
    let devices: Vec<(i64, Vec<Due>)> = config
        .devices
        .iter()
        .map(|d| {
            let every = i64::try_from(d.reading_interval().as_millis()).expect("interval").max(1000);
            (every, d.points.iter().filter(|p| p.id != sparse && p.kind() != PointKind::Text).map(|p| (Arc::from(p.id.as_str()), p.kind())).collect())
        })
        .collect();
    let mut written = 0;
    let mut t = from;
    while t < to {
        let mut batch = Vec::new();
        for (every, points) in &devices {
            if (t - from) % every != 0 {
                continue;
            }
            for (i, (id, kind)) in points.iter().enumerate() {
                let phase = (t - from) as f64 / 3_600_000.0 + i as f64;
                let value = match kind {
                    PointKind::Binary => Value::Bool((t / 60_000) % 2 == 0),
                    PointKind::Multistate => Value::Number(1.0),
                    _ => Value::Number(100.0 + 10.0 * phase.sin()),
                };
                batch.push(Reading { point: Arc::clone(id), time_ms: t, value: Some(value), quality: Quality::Good });
            }
        }
        while sparse_times.last().is_some_and(|s| *s <= t) {
            let s = sparse_times.pop().expect("a time");
            batch.push(Reading { point: Arc::from(sparse), time_ms: s, value: Some(Value::Number(s as f64 / 1e12)), quality: Quality::Good });
        }
        written += batch.len();
        if !batch.is_empty() {
            tx.blocking_send(batch).expect("send");
        }
        t += 1000;
    }
    drop(tx);
    writer.finish();
    written
}
