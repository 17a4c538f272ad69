//! `driftvakt demo`: the reference hospital (simulator) and the daemon on loopback, with a live
//! status per system. The one command a new user runs first.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use driftvakt_domain::clock::{Clock, SystemClock};
use driftvakt_domain::fmt::{count, local_hms};
use driftvakt_domain::text::fill;
use driftvakt_domain::text::screen::Screen;
use driftvakt_drivers::modbus::ConnectionStats;
use driftvakt_drivers::source::stats_of;
use driftvakt_sim::{self as sim, Scenario, SimOptions};
use tokio_util::sync::CancellationToken;

use crate::cli::DemoArgs;
use driftvakt_config::model::{MqttSettings, Role, WebUser};
use driftvakt_config::password::hash_password;
use driftvakt_domain::text::auth::Auth as AuthText;
use driftvakt_runtime::pipeline::shutdown_signal;
use driftvakt_runtime::service::Service;
use driftvakt_runtime::plant_status;
use driftvakt_runtime::timefmt::parse_duration;
use driftvakt_runtime::out::{out, outln};
use driftvakt_sim::demo_config::{demo_config, point_bacnet_at};
use driftvakt_domain::text::exercise::kind_label;
use driftvakt_domain::text::exercise_live::ExerciseLive;
use driftvakt_runtime::exercise::command::{Command, ExerciseHandle};
use driftvakt_runtime::exercise::report as exercise_report;
use driftvakt_runtime::exercise::store;

/// Who the demo is in the runs it starts and stops.
const DEMO: &str = "demo";

/// The demo's web sign-ins: (name, role, password).
type Logins = Vec<(String, Role, String)>;

/// Give `config` an operator "operatör" and a coordinator "samordnare" with passwords made now
/// (printed with the page's address, never logged).
fn demo_logins(config: &mut driftvakt_config::model::Config) -> Result<Logins> {
    let mut out = Vec::new();
    for (name, role) in [("operatör", Role::Operator), ("samordnare", Role::Coordinator)] {
        let password = random_password()?;
        let mut salt = [0u8; 16];
        getrandom::getrandom(&mut salt).map_err(|e| anyhow!("no random bytes from the system: {e}"))?;
        let password_hash = hash_password(&password, &salt)?;
        config.web.users.retain(|u| u.name != name);
        config.web.users.push(WebUser { name: name.to_string(), role, password_hash });
        out.push((name.to_string(), role, password));
    }
    Ok(out)
}

/// Twelve characters from 32 easily read ones (60 bits).
fn random_password() -> Result<String> {
    const CHARS: &[u8; 32] = b"abcdefghijkmnpqrstuvwxyz23456789";
    let mut b = [0u8; 12];
    getrandom::getrandom(&mut b).map_err(|e| anyhow!("no random bytes from the system: {e}"))?;
    Ok(b.iter().map(|x| char::from(CHARS[usize::from(x % 32)])).collect())
}

/// Publish alarms to the broker at `addr` (`HOST:PORT`): the configuration's `[mqtt]` (or the
/// defaults) switched on there, plain TCP.
fn enable_mqtt(config: &mut driftvakt_config::model::Config, addr: &str) -> Result<()> {
    let (host, port) = addr.rsplit_once(':').ok_or_else(|| anyhow!("--mqtt: expected HOST:PORT, found `{addr}`"))?;
    let port: u16 = port.parse().map_err(|_| anyhow!("--mqtt: `{port}` is not a port"))?;
    if host.is_empty() {
        bail!("--mqtt: expected HOST:PORT, found `{addr}`");
    }
    let site = config.site.id.clone();
    let m = config.mqtt.get_or_insert_with(|| MqttSettings {
        enabled: true,
        host: String::new(),
        port,
        client_id: format!("driftvakt-{site}"),
        username: None,
        password: None,
        tls_ca_file: None,
        topic_prefix: format!("driftvakt/{site}"),
        keep_alive: Duration::from_secs(30),
    });
    m.enabled = true;
    m.host = host.trim_start_matches('[').trim_end_matches(']').to_string();
    m.port = port;
    m.tls_ca_file = None;
    Ok(())
}

/// The elapsed time from `from_ms` to `to_ms` for operators.
fn seconds_between(from_ms: i64, to_ms: i64, lang: driftvakt_config::model::Language) -> String {
    driftvakt_domain::fmt::seconds((to_ms - from_ms).max(0), lang)
}

/// Write `exercise-<id>.html` into the kept data directory for every run the demo saw, and say where.
fn write_reports(config: &driftvakt_config::model::Config, dir: &std::path::Path, lang: driftvakt_config::model::Language) -> Result<()> {
    let Ok(conn) = driftvakt_store::shared::connect_read_only(dir) else { return Ok(()) };
    let runs = store::runs(&conn, 0, i64::MAX).unwrap_or_default();
    drop(conn);
    let now = SystemClock.now_ms();
    for run in runs {
        let written = exercise_report::gather(config, dir, exercise_report::Which::Id(run.id), lang, now)
            .and_then(|d| exercise_report::render(&d, exercise_report::Format::Html));
        match written {
            Ok(html) => {
                let path = dir.join(format!("exercise-{}.html", run.id));
                std::fs::write(&path, html).with_context(|| format!("writing {}", path.display()))?;
                outln!("{}", path.display())?;
            }
            Err(e) => tracing::warn!(run = run.id, error = %e, "no report of this run"),
        }
    }
    Ok(())
}


/// How often the status is printed when stdout is not a terminal.
const PLAIN_EVERY: Duration = Duration::from_secs(2);

/// Run the demo.
pub async fn run(args: &DemoArgs) -> Result<()> {
    let scenario: Scenario = args.scenario.parse().map_err(|e| anyhow!("--scenario: {e}"))?;
    let run_for = args.run_for.as_deref().map(parse_duration).transpose().context("--for")?;

    let cancel = CancellationToken::new();
    let faults = args.faults.parse().map_err(|e| anyhow!("--faults: {e}"))?;
    let opts = SimOptions { scenario, speed: args.speed, bind: [127, 0, 0, 1].into(), base_port: 0, bacnet_port: Some(0), faults };
    let sim = sim::start(opts, cancel.child_token()).await.context("starting the simulator")?;
    let mut config = demo_config(&sim.gateways)?;
    if let Some(b) = &sim.bacnet {
        point_bacnet_at(&mut config, b);
    }
    if let Some(broker) = &args.mqtt {
        enable_mqtt(&mut config, broker)?;
    }
    let logins = demo_logins(&mut config)?;

    let (data_dir, _temp): (PathBuf, Option<tempfile::TempDir>) = match &args.data {
        Some(d) => (d.clone(), None),
        None => {
            let t = tempfile::Builder::new().prefix("driftvakt-demo-").tempdir().context("creating a temporary data directory")?;
            (t.path().to_path_buf(), Some(t))
        }
    };
    let service = Service::start(&config, &data_dir).await?;
    let tz = jiff::tz::TimeZone::get(&config.site.timezone).unwrap_or(jiff::tz::TimeZone::UTC);
    let tty = std::io::stdout().is_terminal();
    let lang = args.lang;
    let t = Screen::of(lang);
    let header = || -> std::io::Result<()> {
        outln!("{}", fill(t.demo_header, &[("site", &config.site.name as &dyn std::fmt::Display), ("scenario", &args.scenario), ("speed", &args.speed)]))?;
        for (id, addr) in &sim.gateways {
            outln!("{}", fill(t.demo_gateway, &[("id", id as &dyn std::fmt::Display), ("addr", addr)]))?;
        }
        if let Some(b) = &sim.bacnet {
            outln!("{}", fill(t.demo_gateway, &[("id", &"BACnet/IP" as &dyn std::fmt::Display), ("addr", &b.addr)]))?;
        }
        outln!("{}", fill(t.demo_data, &[("dir", data_dir.display())]))?;
        if let Some(addr) = service.api_addr() {
            if config.web.enabled {
                outln!("{}", fill(t.demo_web, &[("url", format!("http://{addr}/"))]))?;
            }
            outln!("{}", fill(t.demo_api, &[("url", format!("http://{addr}"))]))?;
            if config.web.enabled {
                let a = AuthText::of(lang);
                for (name, role, password) in &logins {
                    let role = if *role == Role::Operator { a.role_operator } else { a.role_coordinator };
                    outln!("{}", fill(a.demo_login, &[("role", role), ("name", name.as_str()), ("password", password.as_str())]))?;
                }
            }
        }
        Ok(())
    };
    // Stdout gone (a closed pipe): stop like on Ctrl-C, storing what was read, then say so.
    let mut stdout_gone = header().err();
    let alarms = service.alarms();
    let exercise = service.exercise();
    let words = ExerciseLive::of(lang);
    // The monthly test: the demo is the coordinator and starts the exercise before the switch
    // goes into test mode (a blackout needs nobody: the daemon detects the outage itself).
    let mut demo_run = None;
    if scenario == Scenario::MonthlyTest
        && let Some(h) = &exercise
    {
        let start = Command::Start { kind: "monthly".into(), name: "Månadsprov (demo)".into(), by: DEMO.into() };
        match h.send(start).await {
            Ok(run) => {
                let values: [(&str, &dyn std::fmt::Display); 5] = [("id", &run.id), ("name", &run.name), ("kind", &kind_label(run.kind, lang)), ("by", &run.started_by), ("time", &local_hms(run.started_ms, &tz))];
                stdout_gone = stdout_gone.or(outln!("{}", fill(words.started, &values)).err());
                demo_run = Some(run.id);
            }
            Err(e) => tracing::warn!(error = %e, "the demo could not start its monthly test"),
        }
    }

    let started = Instant::now();
    let deadline = run_for.map(|d| started + d);
    let live = service.live();
    let mut tick = tokio::time::interval(if tty { Duration::from_secs(1) } else { PLAIN_EVERY });
    let stop = shutdown_signal();
    tokio::pin!(stop);
    while stdout_gone.is_none() {
        tokio::select! {
            _ = tick.tick() => {}
            _ = &mut stop => break,
        }
        let now = SystemClock.now_ms();
        let mut lines = plant_status::lines(&config, &live, now, lang);
        lines.extend(driftvakt_runtime::endurance::live::status_line(&config, |p| live.get(p), lang));
        if let Some(run) = exercise.as_ref().and_then(ExerciseHandle::active) {
            let values: [(&str, &dyn std::fmt::Display); 6] = [
                ("id", &run.id),
                ("name", &run.name),
                ("kind", &kind_label(run.kind, lang)),
                ("by", &run.started_by),
                ("time", &local_hms(run.started_ms, &tz)),
                ("duration", &seconds_between(run.started_ms, now, lang)),
            ];
            lines.push(fill(words.running, &values));
        }
        let active = alarms.list().await.unwrap_or_default();
        if !active.is_empty() {
            let shown: Vec<String> = active
                .iter()
                .map(|a| {
                    let values = [("class", a.class.key()), ("text", a.text_in(lang)), ("state", a.state.label(lang))];
                    fill(if a.state.is_active() { t.demo_alarm } else { t.demo_alarm_state }, &values)
                })
                .collect();
            lines.push(fill(t.demo_alarms, &[("n", active.len().to_string()), ("list", shown.join(" · "))]));
        }
        let screen = if tty {
            format!("\x1b[2J\x1b[H{} — {} {}\n", config.site.name, args.scenario, local_hms(now, &tz))
        } else {
            format!("--- {} ({} s)\n", local_hms(now, &tz), started.elapsed().as_secs())
        };
        if let Err(e) = out!("{screen}{}\n", lines.join("\n")) {
            stdout_gone = Some(e);
            break;
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            break;
        }
    }
    // The demo's own exercise ends with the demo; every run's report is written beside the data.
    if let (Some(id), Some(h)) = (demo_run, &exercise)
        && h.active().is_some_and(|r| r.id == id)
        && let Err(e) = h.send(Command::Stop { by: DEMO.into() }).await
    {
        tracing::warn!(error = %e, "the demo could not stop its monthly test");
    }
    let summary = service.shutdown().await;
    if stdout_gone.is_none()
        && let Some(dir) = &args.data
    {
        write_reports(&config, dir, lang)?;
    }
    if let Some(e) = stdout_gone {
        cancel.cancel();
        return Err(e.into());
    }
    cancel.cancel();
    let written = summary.store.readings_written.load(Ordering::Relaxed);
    let requests: u64 = stats_of::<ConnectionStats>(&summary.sources).map(|s| s.requests.load(Ordering::Relaxed)).sum();
    let writes = sim.function_log.write_codes_seen() + sim.bacnet.as_ref().map_or(0, |b| b.services.write_services_seen());
    outln!("{}", fill(t.demo_done, &[("readings", count(written, lang)), ("requests", count(requests, lang)), ("writes", writes.to_string())]))?;
    if args.data.is_none() {
        outln!("{}", t.demo_temp_removed)?;
    }
    if writes > 0 {
        bail!("the simulator received {writes} write requests: driftvakt must never write to the plant");
    }
    Ok(())
}
