//! End to end: 20 SIGKILLs at random moments under load. The daemon polls the reference
//! hospital (every device every 100 ms) plus two load devices of 100 registers every 40 ms
//! (~5 900 readings/s in all) into its store and, through a recording HTTP proxy, into a real
//! VictoriaMetrics (InfluxDB v2 write API). 20 times it runs a random 0.3–2.5 s (seeded; the
//! seed is printed, `DRIFTVAKT_SIGKILL_SEED=N` repeats a run), the committed count is read from
//! `GET /metrics` (`driftvakt_store_readings_written_total`), and it is killed with SIGKILL and
//! started again on the same data directory; the 21st run is stopped cleanly. Then:
//! - the store opens every time: each restart commits again, and `driftvakt export --list`
//!   opens the killed data directory before the restart;
//! - nothing accepted is lost: each run's readings (stamped within its lifetime; runs never
//!   overlap) number at least what `/metrics` said was committed just before its SIGKILL;
//! - no duplicates: no point has two readings with the same time, every reading lies in a run;
//! - rollups equal the raw data: every complete minute's `export --rollup` (count, good count,
//!   min, max, mean) equals what the raw export gives;
//! - the sink delivers exactly once after each restart: on the wire every stored reading is
//!   sent, nothing else; a reading is sent again only by the next run that sent anything, and
//!   only if its previous sending was the last request of its run (in flight or acknowledged
//!   but not yet recorded at the SIGKILL); VictoriaMetrics holds exactly what was sent (it keeps
//!   a resent sample twice), i.e. every stored reading; `driftvakt_sink_delivered_total` never
//!   counts more than reached the server.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde::Deserialize;
use support::http_tap::HttpTap;
use support::sim::Sim;
use support::tsdb::{Obs, VictoriaMetrics, VmByName, assert_vm_matches, obs, vm_readings};
use support::{Daemon, ExportRow, assert_config_valid, daemon_bin, free_port, now_ms, wait_for};

/// SIGKILLs; one more run is stopped cleanly.
const KILLS: usize = 20;
/// Shortest and longest run before a SIGKILL, ms (after the run's first commit).
const DWELL_MS: (u64, u64) = (300, 2500);
/// Load devices on the simulator's `stallverk` gateway (generator unit 1, GenComm pages 3–7).
const LOAD_DEVICES: usize = 2;
/// Holding registers per load device (one read request each).
const LOAD_REGISTERS: usize = 100;
/// Poll interval (and timeout) of the load devices.
const LOAD_INTERVAL_MS: u64 = 40;
/// The sink's batch size: what one SIGKILL may make it send again, at most.
const BATCH: usize = 1000;
/// How long a run may take to commit its first readings.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// A small deterministic generator (SplitMix64) for the kill moments.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, (lo, hi): (u64, u64)) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
}

/// The reference hospital, every device every 100 ms, plus the load devices; the API on `api`;
/// one v2 sink through `tap`.
fn config(sim: &Sim, api: u16, tap: &HttpTap, dir: &Path) -> String {
    let token = dir.join("token");
    std::fs::write(&token, "not-checked-by-victoria-metrics\n").expect("token file");
    let mut c = sim
        .config("")
        .replace("poll_interval_ms = 1000", "poll_interval_ms = 100")
        .replace("poll_interval_ms = 5000", "poll_interval_ms = 100")
        .replace("cov = { lifetime_s = 300, renew_at_fraction = 0.8, check_interval_s = 60 }\n", "");
    let listen = "listen = \"127.0.0.1:8750\"";
    assert!(c.contains(listen), "reference config has no `{listen}`");
    c = c.replacen(listen, &format!("listen = \"127.0.0.1:{api}\""), 1);
    let _ = write!(
        c,
        "\n[sinks]\n\n[[sinks.influxdb]]\nid = \"vm\"\nurl = \"{}\"\norg = \"region\"\nbucket = \"driftvakt\"\n\
         token = {{ file = \"{}\" }}\nbatch_size = {BATCH}\nflush_interval_ms = 200\nretry_max_ms = 500\n",
        tap.url(),
        token.display()
    );
    let port = sim.port("stallverk");
    for d in 0..LOAD_DEVICES {
        let _ = write!(
            c,
            "\n[[connections]]\nid = \"load{d}\"\nhost = \"127.0.0.1\"\nport = {port}\ntimeout_ms = {LOAD_INTERVAL_MS}\n"
        );
    }
    let _ = write!(c, "\n[[templates]]\nid = \"load\"\nsystem = \"övrigt\"\npoll_interval_ms = {LOAD_INTERVAL_MS}\n");
    for r in 0..LOAD_REGISTERS {
        let _ = write!(
            c,
            "\n[[templates.points]]\nid = \"r{r:03}\"\ntable = \"holding\"\naddress = {}\ntype = \"u16\"\nunit = \"\"\n",
            768 + r
        );
    }
    for d in 0..LOAD_DEVICES {
        let _ = write!(c, "\n[[devices]]\nid = \"load{d}\"\nconnection = \"load{d}\"\nunit_id = 1\ntemplate = \"load\"\n");
    }
    c
}

/// `GET /metrics` of the daemon's API.
fn metrics(api: u16) -> Result<String, String> {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .map_err(|e| e.to_string())?
        .get(format!("http://127.0.0.1:{api}/metrics"))
        .send()
        .and_then(|r| r.error_for_status())
        .and_then(|r| r.text())
        .map_err(|e| e.to_string())
}

/// The value of family `name` (no labels) or of its sample whose labels contain `label`.
fn metric(text: &str, name: &str, label: Option<&str>) -> Option<f64> {
    text.lines().find_map(|l| {
        let (series, value) = l.rsplit_once(' ')?;
        let ok = match label {
            None => series == name,
            Some(label) => series.strip_prefix(name).is_some_and(|rest| rest.starts_with('{') && rest.contains(label)),
        };
        if ok { value.trim().parse().ok() } else { None }
    })
}

/// `driftvakt_store_readings_written_total` of the running daemon.
fn committed(text: &str) -> Result<u64, String> {
    metric(text, "driftvakt_store_readings_written_total", None)
        .map(|v| v as u64)
        .ok_or_else(|| "no driftvakt_store_readings_written_total".to_string())
}

/// One row of `driftvakt export --rollup --format json`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
struct RollupRow {
    /// Start of the minute, UTC ms.
    minute_ms: i64,
    /// Smallest good value.
    min: Option<f64>,
    /// Largest good value.
    max: Option<f64>,
    /// Mean of the good values.
    mean: Option<f64>,
    /// Good numeric readings.
    good_count: i64,
    /// Readings of any quality.
    count: i64,
}

/// `driftvakt export --data DIR ARGS` (JSON), parsed.
fn export<T: serde::de::DeserializeOwned>(data: &Path, args: &[&str]) -> T {
    let out = Command::new(daemon_bin())
        .arg("export")
        .arg("--data")
        .arg(data)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run driftvakt export");
    assert!(out.status.success(), "driftvakt export {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("export {args:?}: {e}"))
}

/// The point ids of the store in `data` (`export --list`).
fn point_ids(data: &Path) -> Result<Vec<String>, String> {
    let out = Command::new(daemon_bin())
        .args(["export", "--list", "--data"])
        .arg(data)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    Ok(String::from_utf8_lossy(&out.stdout).lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect())
}

/// Raw readings and rollups of every point, exported by four processes at a time.
#[allow(clippy::type_complexity)]
fn export_all(data: &Path) -> (BTreeMap<String, Vec<ExportRow>>, BTreeMap<String, Vec<RollupRow>>) {
    let ids = point_ids(data).unwrap_or_else(|e| panic!("export --list: {e}"));
    let next = AtomicUsize::new(0);
    let mut raw = BTreeMap::new();
    let mut rollups = BTreeMap::new();
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    let mut got = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::SeqCst);
                        let Some(id) = ids.get(i) else { break };
                        let r: Vec<ExportRow> = export(data, &["--point", id, "--format", "json"]);
                        let m: Vec<RollupRow> = export(data, &["--point", id, "--rollup", "--format", "json"]);
                        got.push((id.clone(), r, m));
                    }
                    got
                })
            })
            .collect();
        for w in workers {
            for (id, r, m) in w.join().expect("export worker") {
                raw.insert(id.clone(), r);
                rollups.insert(id, m);
            }
        }
    });
    (raw, rollups)
}

/// The rollups the raw readings of one point give, per minute: count, good count (good quality
/// with a numeric value), min, max, mean.
fn rollups_of(rows: &[Obs]) -> BTreeMap<i64, RollupRow> {
    let mut out: BTreeMap<i64, (RollupRow, f64)> = BTreeMap::new();
    for o in rows {
        let minute = o.time_ms.div_euclid(60_000) * 60_000;
        let (r, sum) = out.entry(minute).or_insert_with(|| {
            (RollupRow { minute_ms: minute, min: None, max: None, mean: None, good_count: 0, count: 0 }, 0.0)
        });
        r.count += 1;
        if let (0, Some(v)) = (o.quality, o.value) {
            r.good_count += 1;
            *sum += v;
            r.min = Some(r.min.map_or(v, |m| m.min(v)));
            r.max = Some(r.max.map_or(v, |m| m.max(v)));
        }
    }
    out.into_iter()
        .map(|(m, (mut r, sum))| {
            if r.good_count > 0 {
                r.mean = Some(sum / r.good_count as f64);
            }
            (m, r)
        })
        .collect()
}

/// Equal within 1e-9 relative (at least 1) or both absent.
fn close(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(x), Some(y)) => (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0),
        (None, None) => true,
        _ => false,
    }
}

/// `device.point` and timestamp of one line-protocol line (`driftvakt,device=g1,point=…,… fields ts`).
fn line_key(line: &str) -> (String, i64) {
    let series = line.split(' ').next().unwrap_or("");
    let tag = |k: &str| series.split(',').find_map(|t| t.strip_prefix(k)).unwrap_or_else(|| panic!("no {k} in {line}"));
    let ts = line.rsplit(' ').next().and_then(|t| t.parse().ok()).unwrap_or_else(|| panic!("no timestamp in {line}"));
    (format!("{}.{}", tag("device="), tag("point=")), ts)
}

/// One daemon run as the test saw it.
#[derive(Debug)]
struct Run {
    /// Just before the daemon was started, UTC ms.
    start_ms: i64,
    /// Just after it was gone, UTC ms.
    end_ms: i64,
    /// How long it ran after its first commit, ms.
    dwell_ms: u64,
    /// `driftvakt_store_readings_written_total` just before the SIGKILL (or the clean stop).
    committed: u64,
    /// `driftvakt_sink_delivered_total` of the sink at the same moment.
    delivered: u64,
}

#[test]
fn twenty_sigkills_under_load_lose_no_committed_reading_and_the_sink_delivers_each_once() {
    let started = Instant::now();
    let seed = std::env::var("DRIFTVAKT_SIGKILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| now_ms().unsigned_abs());
    println!("seed {seed} (repeat with DRIFTVAKT_SIGKILL_SEED={seed})");
    let mut rng = Rng(seed);

    let vm = VictoriaMetrics::start();
    let tap = HttpTap::start(&vm.url());
    let sim = Sim::scenario("normal").start();
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let api = free_port();
    let config_path = dir.path().join("hospital-under-load.toml");
    std::fs::write(&config_path, config(&sim, api, &tap, dir.path())).expect("write config");
    assert_config_valid(&config_path);

    let mut runs: Vec<Run> = Vec::new();
    // Each run's log (its tail), for a failure message.
    let mut logs: Vec<String> = Vec::new();
    let mut last = None;
    for k in 0..=KILLS {
        tap.set_run(k);
        if k > 0 {
            // The killed data directory opens for reading before any daemon touched it again.
            let ids = point_ids(&data).unwrap_or_else(|e| panic!("seed {seed}: after SIGKILL {k} the store does not open: {e}"));
            assert!(!ids.is_empty(), "seed {seed}: after SIGKILL {k} the store lists no points");
        }
        let start_ms = now_ms();
        let daemon = Daemon::with().data(&data).run(&config_path);
        wait_for(&format!("run {k}: the store open and committing"), START_TIMEOUT, || {
            daemon.assert_running();
            let n = committed(&metrics(api)?)?;
            if n > 0 { Ok(()) } else { Err("nothing committed yet".into()) }
        });
        let final_run = k == KILLS;
        let dwell = if final_run {
            // At least one whole minute ends while the daemon runs, so that rollups of a complete
            // minute (with SIGKILLs in it) can be compared with the raw data.
            let t = Instant::now();
            let first_start = runs.first().map_or(start_ms, |r: &Run| r.start_ms);
            let minute_end = (first_start.div_euclid(60_000) + 1) * 60_000;
            wait_for("a whole minute to end since the first run", Duration::from_secs(70), || {
                daemon.assert_running();
                let now = now_ms();
                if now > minute_end { Ok(()) } else { Err(format!("{} ms to go", minute_end - now)) }
            });
            // Let the sink catch up (the load goes on), so that the stop drains a short backlog.
            wait_for("the sink to catch up before the clean stop", Duration::from_secs(30), || {
                daemon.assert_running();
                let text = metrics(api)?;
                let backlog = metric(&text, "driftvakt_sink_backlog_readings", Some("sink=\"vm\"")).unwrap_or(f64::MAX);
                let delivered = metric(&text, "driftvakt_sink_delivered_total", Some("sink=\"vm\"")).unwrap_or(0.0);
                if delivered > 0.0 && backlog <= (2 * BATCH) as f64 { Ok(()) } else { Err(format!("backlog {backlog}, delivered {delivered}")) }
            });
            t.elapsed().as_millis() as u64
        } else {
            // The random moment of the power cut (not a wait for anything).
            let ms = rng.range(DWELL_MS);
            std::thread::sleep(Duration::from_millis(ms));
            ms
        };
        let text = wait_for(&format!("run {k}: GET /metrics"), Duration::from_secs(10), || {
            daemon.assert_running();
            metrics(api)
        });
        if final_run {
            daemon.stop_cleanly();
        } else {
            daemon.kill9();
        }
        let end_ms = now_ms();
        tap.quiesce(Duration::from_secs(20));
        let run = Run {
            start_ms,
            end_ms,
            dwell_ms: dwell,
            committed: committed(&text).unwrap_or_else(|e| panic!("run {k}: {e}")),
            delivered: metric(&text, "driftvakt_sink_delivered_total", Some("sink=\"vm\"")).map_or(0, |v| v as u64),
        };
        println!(
            "run {k:2}: {:5} ms after its first commit {}, {:6} readings committed, {:6} delivered by the sink",
            run.dwell_ms,
            if final_run { "SIGTERM" } else { "SIGKILL" },
            run.committed,
            run.delivered
        );
        runs.push(run);
        logs.push(daemon.log());
        last = Some(daemon);
    }
    let daemon = last.expect("at least one run");
    let runs_done = started.elapsed();

    // ---- The store: nothing committed lost, no duplicates, every reading in a run. ----
    let (raw, rollups) = export_all(&daemon.data_dir());
    let store: BTreeMap<String, Vec<Obs>> = raw.iter().map(|(id, rows)| (id.clone(), rows.iter().map(obs).collect())).collect();
    let total: usize = store.values().map(Vec::len).sum();
    let mut per_run = vec![0u64; runs.len()];
    for (id, rows) in &store {
        let times: Vec<i64> = rows.iter().map(|o| o.time_ms).collect();
        let mut seen: BTreeMap<i64, &Obs> = BTreeMap::new();
        let twice: Vec<String> = rows
            .iter()
            .filter_map(|o| seen.insert(o.time_ms, o).map(|first| format!("{first:?} and {o:?}")))
            .collect();
        if !twice.is_empty() {
            let t = rows.iter().find(|o| rows.iter().filter(|p| p.time_ms == o.time_ms).count() > 1).map_or(0, |o| o.time_ms);
            let k = runs.iter().position(|r| (r.start_ms..=r.end_ms).contains(&t));
            panic!(
                "seed {seed}: {id} has {} readings stored twice (same time): {twice:?}; in run {k:?} of (start, end ms) {:?}; \
                 data directory kept in {}; that run's log:\n{}",
                twice.len(),
                runs.iter().map(|r| (r.start_ms, r.end_ms)).collect::<Vec<_>>(),
                dir.keep().display(),
                k.map_or("", |k| logs[k].as_str())
            );
        }
        for t in times {
            let k = runs
                .iter()
                .position(|r| (r.start_ms..=r.end_ms).contains(&t))
                .unwrap_or_else(|| panic!("seed {seed}: {id} has a reading at {t} ms, outside every run: {runs:?}"));
            per_run[k] += 1;
        }
    }
    for (k, (run, stored)) in runs.iter().zip(&per_run).enumerate() {
        assert!(
            *stored >= run.committed,
            "seed {seed}: run {k} committed {} readings (GET /metrics just before its {}) but the store holds {stored} of its time",
            run.committed,
            if k == KILLS { "clean stop" } else { "SIGKILL" }
        );
    }

    // ---- Rollups equal the raw data, for every minute that was over before the stop. ----
    let stop_ms = runs.last().map_or(0, |r| r.end_ms);
    let mut minutes = 0;
    for (id, rows) in &store {
        let want = rollups_of(rows);
        let have: BTreeMap<i64, &RollupRow> = rollups[id].iter().map(|r| (r.minute_ms, r)).collect();
        let complete: BTreeSet<i64> =
            want.keys().chain(have.keys()).copied().filter(|m| m + 60_000 <= stop_ms).collect();
        for m in complete {
            let (Some(w), Some(h)) = (want.get(&m), have.get(&m)) else {
                panic!("seed {seed}: {id}, minute {m}: rollup {:?}, raw data gives {:?}", have.get(&m), want.get(&m));
            };
            let ok = w.count == h.count
                && w.good_count == h.good_count
                && close(w.min, h.min)
                && close(w.max, h.max)
                && close(w.mean, h.mean);
            assert!(ok, "seed {seed}: {id}, minute {m}: rollup {h:?}, raw data gives {w:?}");
            minutes += 1;
        }
    }
    assert!(minutes > 0, "no complete minute to compare (the runs took {runs_done:?})");

    // ---- The sink: on the wire each stored reading once, again only right after a SIGKILL. ----
    let exchanges = tap.exchanges();
    let refused: Vec<String> =
        exchanges.iter().filter(|e| !e.accepted()).map(|e| format!("#{} run {} status {}", e.seq, e.run, e.status)).collect();
    assert!(refused.is_empty(), "VictoriaMetrics did not accept {refused:?}");
    let mut last_of_run: BTreeMap<usize, usize> = BTreeMap::new();
    for e in &exchanges {
        last_of_run.insert(e.run, e.seq);
    }
    let mut sent: BTreeMap<(String, i64), Vec<(usize, usize)>> = BTreeMap::new();
    let mut accepted_in_run = vec![0u64; runs.len()];
    for e in &exchanges {
        for line in e.body.lines().filter(|l| !l.trim().is_empty()) {
            sent.entry(line_key(line)).or_default().push((e.run, e.seq));
            accepted_in_run[e.run] += 1;
        }
    }
    for (k, run) in runs.iter().enumerate() {
        assert!(
            run.delivered <= accepted_in_run[k],
            "seed {seed}: run {k}: driftvakt_sink_delivered_total said {} but only {} readings reached the server",
            run.delivered,
            accepted_in_run[k]
        );
    }
    let stored_keys: BTreeSet<(String, i64)> =
        store.iter().flat_map(|(id, rows)| rows.iter().map(move |o| (id.clone(), o.time_ms))).collect();
    let missing: Vec<&(String, i64)> = stored_keys.iter().filter(|k| !sent.contains_key(*k)).take(5).collect();
    let n_missing = stored_keys.iter().filter(|k| !sent.contains_key(*k)).count();
    assert!(n_missing == 0, "seed {seed}: {n_missing} stored readings never reached VictoriaMetrics, e.g. {missing:?}");
    let extra: Vec<&(String, i64)> = sent.keys().filter(|k| !stored_keys.contains(*k)).take(5).collect();
    assert!(extra.is_empty(), "seed {seed}: the sink sent readings the store does not hold, e.g. {extra:?}");
    let mut resent_per_restart: BTreeMap<usize, usize> = BTreeMap::new();
    for (key, times) in &sent {
        for pair in times.windows(2) {
            let ((r0, s0), (r1, _)) = (pair[0], pair[1]);
            let skipped_runs_sent_nothing = (r0 + 1..r1).all(|r| !last_of_run.contains_key(&r));
            assert!(
                r1 > r0 && s0 == last_of_run[&r0] && skipped_runs_sent_nothing,
                "seed {seed}: {key:?} was sent again outside a restart's replay of the last request before a SIGKILL: \
                 sendings (run, request) {times:?}, last request of each run {last_of_run:?}"
            );
            *resent_per_restart.entry(r1).or_default() += 1;
        }
    }
    for (r, n) in &resent_per_restart {
        assert!(*n <= BATCH, "seed {seed}: run {r} sent {n} readings again, more than one batch ({BATCH})");
    }

    // ---- VictoriaMetrics holds exactly what was sent: every stored reading (resent ones twice). ----
    let got: VmByName = vm_readings(&vm, |_| {});
    let quality = got.get("driftvakt_quality").cloned().unwrap_or_default();
    let mut sent_times: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    for ((id, t), sendings) in &sent {
        sent_times.entry(id.as_str()).or_default().extend(std::iter::repeat_n(*t, sendings.len()));
    }
    for id in store.keys() {
        let mut want = sent_times.get(id.as_str()).cloned().unwrap_or_default();
        want.sort_unstable();
        let mut have: Vec<i64> = quality.get(id).map(|s| s.iter().map(|(t, _)| *t).collect()).unwrap_or_default();
        have.sort_unstable();
        assert!(have == want, "seed {seed}: VictoriaMetrics holds {} samples of {id}, {} were sent", have.len(), want.len());
    }
    let dedup: VmByName = got
        .iter()
        .map(|(name, series)| {
            let per_point = series
                .iter()
                .map(|(id, samples)| {
                    let mut by_time: BTreeMap<i64, f64> = BTreeMap::new();
                    for (t, v) in samples {
                        if let Some(old) = by_time.insert(*t, *v) {
                            assert!(close(Some(old), Some(*v)), "{name} of {id} at {t}: sent again with another value ({old}, {v})");
                        }
                    }
                    (id.clone(), by_time.into_iter().collect())
                })
                .collect();
            (name.clone(), per_point)
        })
        .collect();
    assert_vm_matches(&store, &dedup);

    let resent: usize = resent_per_restart.values().sum();
    let committed_sum: u64 = runs.iter().map(|r| r.committed).sum();
    println!(
        "{KILLS} SIGKILLs + a clean stop over {:.1} s: {total} readings in {} points stored (≥ {committed_sum} seen committed), \
         {minutes} complete point-minutes of rollups equal the raw data; the sink sent {} requests, every stored \
         reading once plus {resent} sent again right after {} of the restarts (at most one batch each); \
         the test took {:.1} s",
        runs_done.as_secs_f64(),
        store.len(),
        exchanges.len(),
        resent_per_restart.len(),
        started.elapsed().as_secs_f64()
    );
}
