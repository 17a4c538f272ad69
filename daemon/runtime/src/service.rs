//! The daemon assembled: acquisition and store ([`Pipeline`]) plus the components that consume
//! readings. `run`, `demo` and the tests all start the daemon through [`Service::start`], so a new
//! component is wired in exactly one place.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use anyhow::Result;
use driftvakt_config::model::Config;
use driftvakt_drivers::PollBoost;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::alarm::service::{AlarmHandle, AlarmService};
use crate::api::{self, ApiState, ExerciseApi};
use crate::exercise::command::ExerciseHandle;
use crate::exercise::mqtt_cmd::{self, CommandStats};
use crate::exercise::service::ExerciseService;
use crate::limits;
use crate::monitor::Monitor;
use crate::notify;
use crate::pipeline::{Live, Pipeline, Summary};
use crate::sink::Sinks;
use crate::stop;
use crate::web;

/// The `[api] token`, if configured and readable (the API's state-changing calls and the
/// exercise command topic need it).
fn api_token(config: &Config) -> Option<Arc<str>> {
    match config.api.token.as_ref()?.resolve() {
        Ok(t) if !t.trim().is_empty() => Some(Arc::from(t.trim())),
        Ok(_) => None,
        Err(e) => {
            tracing::warn!(error = %e, "API token not available: acknowledge, shelve and exercise commands are refused");
            None
        }
    }
}

/// A running daemon.
pub struct Service {
    pipeline: Pipeline,
    sinks: Sinks,
    alarms: AlarmService,
    exercise: Option<ExerciseService>,
    cancel: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
    api_addr: Option<SocketAddr>,
}

impl Service {
    /// Start everything `config` asks for, storing in `data_dir`.
    pub async fn start(config: &Config, data_dir: &Path) -> Result<Service> {
        let open_files = limits::raise_open_files();
        let notifiers = notify::configured(config);
        let (alarms, alarm_tap) = AlarmService::start(config, data_dir, notifiers.clone())?;
        // Set by the exercise actor while a run is active; the role devices' pollers read it.
        let boost = PollBoost::new();
        let exercise = ExerciseService::start(config, data_dir, alarms.handle(), alarm_tap.clone(), boost.clone())?;
        let (exercise, exercise_tap) = exercise.unzip();
        let pipeline = Pipeline::start_with(config, data_dir, Some(alarm_tap), exercise_tap, Some(&boost))?;
        alarms.handle().watch_store(pipeline.store_stats());
        let sinks = Sinks::start(config, data_dir, &pipeline.committed())?;
        let cancel = CancellationToken::new();
        let mut tasks = Vec::new();
        let handle = alarms.handle();
        // The command topic's counters: one instance, counted by its task, read by the monitor.
        let command_topic = (&exercise, &config.mqtt, config.exercise.as_ref().and_then(|e| e.command_topic.clone()));
        let command_stats = matches!(command_topic, (Some(_), Some(_), Some(_))).then(|| Arc::new(CommandStats::default()));
        let monitor = Monitor {
            site: Arc::from(config.site.id.as_str()),
            sources: pipeline.source_stats(),
            devices: pipeline.device_readings(),
            store: pipeline.store_stats(),
            sinks: Arc::from(sinks.health()),
            notify: Some(handle.notify_stats()),
            exercise: exercise.as_ref().map(|x| x.handle().active),
            exercise_commands: command_stats.clone(),
        };
        for n in &notifiers {
            tasks.push(n.spawn(handle.queue(n.key()), cancel.child_token()));
        }
        let token = api_token(config);
        if let ((Some(x), Some(mqtt), Some(topic)), Some(stats)) = (command_topic, command_stats) {
            tasks.push(mqtt_cmd::spawn(mqtt.clone(), topic, token.clone(), x.handle(), stats, cancel.child_token()));
        }
        let mut api_addr = None;
        if config.api.enabled {
            let exercise = exercise.as_ref().map(|x| ExerciseApi { handle: x.handle(), data_dir: data_dir.to_path_buf() });
            let mut router = api::router(ApiState { alarms: handle.clone(), token: token.clone(), exercise: exercise.clone() })
                .merge(api::monitor::routes(monitor.clone(), handle.clone(), token.clone()));
            // The operator's screen on the same listener (its own viewing rules: `web::viewer`).
            if config.web.enabled {
                let parts = web::WebParts { live: pipeline.live(), alarms: handle.clone(), monitor, data_dir: data_dir.to_path_buf(), exercise, token };
                let (state, hub) = web::WebState::start(config, parts, cancel.child_token());
                tasks.push(hub);
                router = router.merge(web::router(state));
            }
            let peers = pipeline.source_stats().len() + config.sinks.influxdb.len() + 1;
            let max_connections = limits::api_connections(config.api.max_connections, open_files, peers);
            match api::serve(config.api.listen, router, max_connections, cancel.child_token()).await {
                Ok((addr, task)) => {
                    tracing::info!(%addr, "operator API listening");
                    api_addr = Some(addr);
                    tasks.push(task);
                }
                // Monitoring goes on without the API: polling and alarms matter more.
                Err(e) => tracing::error!(listen = %config.api.listen, error = %e, "operator API cannot listen; running without it"),
            }
        }
        Ok(Service { pipeline, sinks, alarms, exercise, cancel, tasks, api_addr })
    }

    /// The exercise actor, when `[exercise]` is configured.
    pub fn exercise(&self) -> Option<ExerciseHandle> {
        self.exercise.as_ref().map(ExerciseService::handle)
    }

    /// Latest values, for status screens.
    pub fn live(&self) -> Arc<Live> {
        self.pipeline.live()
    }

    /// The alarm actor.
    pub fn alarms(&self) -> AlarmHandle {
        self.alarms.handle()
    }

    /// Where the operator API listens, if it does.
    pub fn api_addr(&self) -> Option<SocketAddr> {
        self.api_addr
    }

    /// Stop everything by one deadline ([`stop::DEADLINE`] from now): the pipeline commits every
    /// reading already taken, then the sinks deliver what they can (the rest waits in the store
    /// for the next start); alongside, once the router has handed over the last readings, the
    /// notifiers and the API stop and the alarm actor commits its decisions and delivery records.
    /// What cannot be committed by the deadline is counted as lost and logged with its count.
    pub async fn shutdown(self) -> Summary {
        let deadline = tokio::time::Instant::now() + stop::DEADLINE;
        let Service { pipeline, sinks, mut alarms, exercise, cancel, tasks, .. } = self;
        // The store side: drivers, router, writer, then the sinks' last deliveries.
        let store = async {
            let summary = pipeline.shutdown_by(deadline).await;
            sinks.shutdown(deadline).await;
            summary
        };
        // The alarm side, alongside: once the router has handed over the last readings, the
        // notifiers and the API stop, then the actor commits what it holds.
        let alarm_side = async {
            // The exercise actor ends once the router has closed its tap, and with it its
            // feed of live failures to the alarm actor.
            if let Some(x) = exercise {
                x.shutdown_by(deadline).await;
            }
            alarms.readings_done(deadline).await;
            cancel.cancel();
            for mut t in tasks {
                if tokio::time::timeout_at(deadline, &mut t).await.is_err() {
                    t.abort();
                }
            }
            alarms.shutdown_by(deadline).await;
        };
        let (summary, ()) = tokio::join!(store, alarm_side);
        summary
    }
}
