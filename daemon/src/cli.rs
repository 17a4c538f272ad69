//! Command-line interface.

use std::path::PathBuf;

use clap::builder::TypedValueParser as _;
use clap::{Args, Parser, Subcommand, ValueEnum};
use driftvakt_config::model::Language;

/// driftvakt watches a hospital's utilities: reserve power, water, heating, ventilation.
#[derive(Debug, Parser)]
#[command(name = "driftvakt", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Sub-commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate configuration files; reports every error at once.
    Check(CheckArgs),
    /// Run the daemon: poll every device and store every reading.
    Run(RunArgs),
    #[cfg(feature = "simulator")]
    /// Run the reference hospital (simulator) and the daemon together, with a live status.
    Demo(DemoArgs),
    #[cfg(feature = "simulator")]
    /// Run the reference-hospital simulator alone, serving Modbus TCP.
    Sim(SimArgs),
    /// Read raw registers from a device and print every plausible decoding (commissioning).
    Probe(ProbeArgs),
    /// Export stored readings of one point as CSV or JSON.
    Export(ExportArgs),
    #[cfg(feature = "simulator")]
    /// Measure throughput, reads per cycle and memory against the simulator.
    Bench(driftvakt_bench::BenchArgs),
    /// Find devices (BACnet Who-Is/I-Am) and print a configuration block for them.
    Discover(DiscoverArgs),
    /// List the active alarms of the running daemon, or of a store with `--data` (Swedish columns).
    Alarms(AlarmsArgs),
    /// Acknowledge an alarm.
    Ack(AckArgs),
    /// Shelve (silence) an alarm for a time, with a reason.
    Shelve(ShelveArgs),
    /// Lift the shelving of an alarm.
    Unshelve(UnshelveArgs),
    /// Show the alarm journal: transitions, acknowledgements, notification attempts (from the
    /// daemon, or from a store with `--data`).
    Journal(JournalArgs),
    /// Health of the running daemon: devices, sinks (lag, backlog, errors), store, alarms.
    Status(StatusArgs),
    /// Read a password from stdin (its first line) and print its argon2id hash (a PHC string)
    /// for a `[[web.users]]` entry's `password_hash`.
    PasswordHash,
    /// Reservkraftprov: start, stop, annotate an exercise, or show the running run and recent runs.
    #[command(subcommand)]
    Exercise(ExerciseCommand),
    /// Write a report from the store (`report endurance`: the SSIK endurance evidence;
    /// `report exercise`: one reservkraftprov or outage; `report exercises`: a year's run history).
    #[command(subcommand)]
    Report(ReportCommand),
    #[cfg(feature = "simulator")]
    /// Run the simulator fast-forwarded in simulated time into a data directory (a day or a
    /// week with a blackout in seconds), for reports and demos.
    Fastforward(FastforwardArgs),
}

/// `driftvakt report ...`.
#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Endurance (uthållighet) per reserve and function against the målbild, with evidence.
    Endurance(EnduranceReportArgs),
    /// One reservkraftprov or outage: timeline, figures against the criteria, charts, watched
    /// points, alarms, observations, signature lines.
    Exercise(ExerciseReportArgs),
    /// The run history of a year: every exercise and outage, runs per kind, hours per generator.
    Exercises(ExercisesReportArgs),
}

/// Report output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// Self-contained HTML (prints on A4).
    Html,
    /// JSON with every figure.
    Json,
    /// CSV, one figure per row.
    Csv,
}

/// `driftvakt report endurance`.
#[derive(Debug, Args)]
pub struct EnduranceReportArgs {
    /// Configuration file (reserves, functions, målbild).
    #[arg(long)]
    pub config: PathBuf,
    /// Data directory.
    #[arg(long)]
    pub data: PathBuf,
    /// Start (inclusive): RFC 3339, local `2026-11-23 15:00`, a date, `now` or `-7d`. Default: 7 days ago.
    #[arg(long, allow_hyphen_values = true)]
    pub from: Option<String>,
    /// End (exclusive), same forms. Default: now.
    #[arg(long, allow_hyphen_values = true)]
    pub to: Option<String>,
    /// Where, in what format and language the report is written.
    #[command(flatten)]
    pub output: ReportOutput,
}

/// `--out`, `--format`, `--lang`: how every report is written.
#[derive(Debug, Args)]
pub struct ReportOutput {
    /// Output file (default: stdout).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Html)]
    pub format: ReportFormat,
    /// Language.
    #[arg(long, default_value = "sv", value_parser = language())]
    pub lang: Language,
}

/// `driftvakt report exercise`.
#[derive(Debug, Args)]
pub struct ExerciseReportArgs {
    /// Configuration file (with `[exercise]`: roles and criteria).
    #[arg(long)]
    pub config: PathBuf,
    /// Data directory.
    #[arg(long)]
    pub data: PathBuf,
    /// The run's id (`driftvakt exercise` prints it), or `latest` for the newest run.
    #[arg(long)]
    pub id: String,
    /// Where, in what format and language the report is written.
    #[command(flatten)]
    pub output: ReportOutput,
}

/// `driftvakt report exercises`.
#[derive(Debug, Args)]
pub struct ExercisesReportArgs {
    /// Configuration file (with `[exercise]`).
    #[arg(long)]
    pub config: PathBuf,
    /// Data directory.
    #[arg(long)]
    pub data: PathBuf,
    /// The year (in the site's time zone). Default: this year.
    #[arg(long)]
    pub year: Option<i16>,
    /// Where, in what format and language the report is written.
    #[command(flatten)]
    pub output: ReportOutput,
}

#[cfg(feature = "simulator")]
/// `driftvakt fastforward`.
#[derive(Debug, Args)]
pub struct FastforwardArgs {
    /// Configuration file (the reference-hospital example or one like it).
    #[arg(long)]
    pub config: PathBuf,
    /// Data directory to fill.
    #[arg(long)]
    pub data: PathBuf,
    /// Scenario of the plant (normal, blackout, monthly_test, fuel_leak, gateway_down).
    #[arg(long, default_value = "normal")]
    pub scenario: String,
    /// Simulated time to run, e.g. `24h`, `7d`.
    #[arg(long, default_value = "24h")]
    pub duration: String,
    /// Simulated time between samples, e.g. `10s`.
    #[arg(long, default_value = "10s")]
    pub sample: String,
    /// Start of simulated time (default: `duration` before now, so the period ends now).
    #[arg(long)]
    pub start: Option<String>,
    /// Mains lost at this offset from the start, e.g. `2h` (overrides the scenario's blackout).
    #[arg(long)]
    pub blackout_at: Option<String>,
    /// How long mains stays away, e.g. `12h`.
    #[arg(long, default_value = "12h")]
    pub blackout_for: String,
    /// A diesel delivery into the main tank at this offset, e.g. `16h`.
    #[arg(long)]
    pub refill_at: Option<String>,
    /// Litres delivered.
    #[arg(long, default_value_t = 4000.0)]
    pub refill_l: f64,
    /// Write the simulator's own figures (ground truth) once a simulated minute as JSON lines.
    #[arg(long)]
    pub truth: Option<PathBuf>,
    /// Write the simulator's own transitions (mains lost, crank, transfer, …) as JSON.
    #[arg(long)]
    pub truth_events: Option<PathBuf>,
    /// Faults to train on, a comma list: slow_start, failed_crank, no_transfer, pump_trip.
    #[arg(long, default_value = "")]
    pub faults: String,
    /// A timetable replacing the scenario's: `year` = twelve monthly tests (first Wednesday,
    /// 09:00, 40 min on load) and two outages (17 February 2 h, 8 October 35 min).
    #[arg(long)]
    pub plan: Option<String>,
    /// Time between samples away from every test and outage, e.g. `60s` (`--sample` near them).
    #[arg(long, default_value = "60s")]
    pub coarse_sample: String,
}

/// How to reach the running daemon's API.
#[derive(Debug, Args, Clone)]
pub struct ApiArgs {
    /// API address, e.g. http://127.0.0.1:8750 (default: $DRIFTVAKT_API, else `[api] listen` of --config, else 127.0.0.1:8750).
    #[arg(long)]
    pub api: Option<String>,
    /// File holding the API token (default: $DRIFTVAKT_API_TOKEN, else `[api] token` of --config).
    #[arg(long)]
    pub token_file: Option<PathBuf>,
    /// The daemon's configuration file, for the API address and token.
    #[arg(long)]
    pub config: Option<PathBuf>,
}

/// `driftvakt alarms`.
#[derive(Debug, Args)]
pub struct AlarmsArgs {
    /// How to reach the daemon.
    #[command(flatten)]
    pub api: ApiArgs,
    /// Read the store of this data directory directly (read-only) instead of asking the daemon:
    /// the alarms as last saved, also after the daemon has stopped.
    #[arg(long, conflicts_with_all = ["api", "token_file"])]
    pub data: Option<PathBuf>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `driftvakt status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// How to reach the daemon.
    #[command(flatten)]
    pub api: ApiArgs,
    /// Print the daemon's JSON status instead of tables.
    #[arg(long)]
    pub json: bool,
    /// Language of the tables.
    #[arg(long, default_value = "sv", value_parser = language())]
    pub lang: Language,
}

/// `driftvakt ack`.
#[derive(Debug, Args)]
pub struct AckArgs {
    /// Alarm id (see `driftvakt alarms`).
    pub id: String,
    /// Who acknowledges.
    #[arg(long)]
    pub by: String,
    /// Comment for the journal.
    #[arg(long)]
    pub comment: Option<String>,
    /// How to reach the daemon.
    #[command(flatten)]
    pub api: ApiArgs,
}

/// `driftvakt shelve`.
#[derive(Debug, Args)]
pub struct ShelveArgs {
    /// Alarm id.
    pub id: String,
    /// How long, e.g. 30m, 2h, 1d.
    #[arg(long = "for")]
    pub duration: String,
    /// Why (goes to the journal).
    #[arg(long)]
    pub reason: String,
    /// Who shelves it (default: $USER).
    #[arg(long)]
    pub by: Option<String>,
    /// How to reach the daemon.
    #[command(flatten)]
    pub api: ApiArgs,
}

/// `driftvakt unshelve`.
#[derive(Debug, Args)]
pub struct UnshelveArgs {
    /// Alarm id.
    pub id: String,
    /// Who lifts the shelving (default: $USER).
    #[arg(long)]
    pub by: Option<String>,
    /// How to reach the daemon.
    #[command(flatten)]
    pub api: ApiArgs,
}

/// `driftvakt journal`.
#[derive(Debug, Args)]
pub struct JournalArgs {
    /// Start: RFC 3339, local `2026-11-23 15:00`, a date, `now` or `-2h` (default: -24h).
    #[arg(long, allow_hyphen_values = true)]
    pub from: Option<String>,
    /// End (default: now).
    #[arg(long, allow_hyphen_values = true)]
    pub to: Option<String>,
    /// Only this alarm.
    #[arg(long)]
    pub alarm: Option<String>,
    /// Print JSON instead of lines.
    #[arg(long)]
    pub json: bool,
    /// How to reach the daemon.
    #[command(flatten)]
    pub api: ApiArgs,
    /// Read the store of this data directory directly (read-only) instead of asking the daemon,
    /// also after the daemon has stopped.
    #[arg(long, conflicts_with_all = ["api", "token_file"])]
    pub data: Option<PathBuf>,
}

/// `driftvakt exercise ...`.
#[derive(Debug, Subcommand)]
pub enum ExerciseCommand {
    /// Start an exercise (refused while another run, or a detected outage, is running).
    Start(ExerciseStartArgs),
    /// Stop the running exercise (or a detected outage, by hand).
    Stop(ExerciseStopArgs),
    /// Write an observation into the running run's timeline.
    Note(ExerciseNoteArgs),
    /// The running run and the runs of the last 400 days (from the daemon, or a store with `--data`).
    Status(ExerciseStatusArgs),
}

/// Kinds of exercise an operator starts (an outage is detected, never started).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExerciseKindArg {
    /// Monthly test on load (mains stay, the switch is put in test).
    Monthly,
    /// Island test: the incoming supply is cut.
    Island,
    /// Load-bank test.
    Loadbank,
}

/// `driftvakt exercise start`.
#[derive(Debug, Args)]
pub struct ExerciseStartArgs {
    /// What kind of exercise.
    #[arg(long, value_enum)]
    pub kind: ExerciseKindArg,
    /// Its name, e.g. "Månadsprov mars".
    #[arg(long)]
    pub name: String,
    /// Who starts it.
    #[arg(long)]
    pub by: String,
    /// Language of the answer.
    #[arg(long, default_value = "sv", value_parser = language())]
    pub lang: Language,
    /// How to reach the daemon.
    #[command(flatten)]
    pub api: ApiArgs,
}

/// `driftvakt exercise stop`.
#[derive(Debug, Args)]
pub struct ExerciseStopArgs {
    /// Who stops it (default: $USER).
    #[arg(long)]
    pub by: Option<String>,
    /// Language of the answer.
    #[arg(long, default_value = "sv", value_parser = language())]
    pub lang: Language,
    /// How to reach the daemon.
    #[command(flatten)]
    pub api: ApiArgs,
}

/// `driftvakt exercise note`.
#[derive(Debug, Args)]
pub struct ExerciseNoteArgs {
    /// The observation.
    pub text: String,
    /// Who writes it (default: $USER).
    #[arg(long)]
    pub by: Option<String>,
    /// Language of the answer.
    #[arg(long, default_value = "sv", value_parser = language())]
    pub lang: Language,
    /// How to reach the daemon.
    #[command(flatten)]
    pub api: ApiArgs,
}

/// `driftvakt exercise status`.
#[derive(Debug, Args)]
pub struct ExerciseStatusArgs {
    /// Print JSON (the API's answer) instead of text.
    #[arg(long)]
    pub json: bool,
    /// Read the store of this data directory directly (read-only) instead of asking the daemon,
    /// also after the daemon has stopped.
    #[arg(long, conflicts_with_all = ["api", "token_file"])]
    pub data: Option<PathBuf>,
    /// Language.
    #[arg(long, default_value = "sv", value_parser = language())]
    pub lang: Language,
    /// How to reach the daemon.
    #[command(flatten)]
    pub api: ApiArgs,
}

/// `driftvakt check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Configuration files to check.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Treat warnings as errors.
    #[arg(long)]
    pub deny_warnings: bool,
}

/// `driftvakt run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Configuration file.
    #[arg(long)]
    pub config: PathBuf,
    /// Data directory (the embedded store lives here).
    #[arg(long)]
    pub data: PathBuf,
}

#[cfg(feature = "simulator")]
/// `driftvakt demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Scenario: normal, blackout, monthly_test, fuel_leak, gateway_down.
    #[arg(long, default_value = "blackout")]
    pub scenario: String,
    /// Faults to train on, a comma list: slow_start, failed_crank, no_transfer, pump_trip.
    #[arg(long, default_value = "")]
    pub faults: String,
    /// Simulated seconds per real second.
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
    /// Stop by itself after this long (e.g. 60s, 5m); default: until Ctrl-C.
    #[arg(long = "for")]
    pub run_for: Option<String>,
    /// Data directory; default: a fresh temporary directory, removed afterwards.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Language of the status screen.
    #[arg(long, default_value = "sv", value_parser = language())]
    pub lang: Language,
    /// Publish alarms to this MQTT broker (`HOST:PORT`, plain TCP): retained alarm states and
    /// events under `driftvakt/<site id>/`, as `[mqtt]` does.
    #[arg(long, value_name = "HOST:PORT")]
    pub mqtt: Option<String>,
}

#[cfg(feature = "simulator")]
/// `driftvakt sim`.
#[derive(Debug, Args)]
pub struct SimArgs {
    /// Scenario: normal, blackout, fuel_leak, gateway_down, monthly_test.
    #[arg(long, default_value = "normal")]
    pub scenario: String,
    /// First TCP port: gateway `stallverk` listens here, `fastighet` on the next (0 = any free).
    #[arg(long, default_value_t = 15020)]
    pub port: u16,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: std::net::IpAddr,
    /// Simulated seconds per real second.
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
    /// Write the tally of received Modbus function codes (JSON) to this file on exit, and the
    /// simulator's ground truth (every transition, JSON) beside it with the extension
    /// `truth.json` (record.json → record.truth.json).
    #[arg(long)]
    pub record: Option<PathBuf>,
    /// UDP port of the BACnet/IP router in front of the simulated AHU and substation
    /// (default 47809, or any free port if 47809 is taken; 0 = any free).
    #[arg(long)]
    pub bacnet_port: Option<u16>,
    /// Faults to train on, comma-separated: slow_start, failed_crank, no_transfer, pump_trip.
    #[arg(long, default_value = "none")]
    pub faults: String,
}

/// Modbus tables as named on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum TableArg {
    /// Coils (FC1).
    Coil,
    /// Discrete inputs (FC2).
    Discrete,
    /// Input registers (FC4).
    Input,
    /// Holding registers (FC3).
    Holding,
}

/// `driftvakt probe`.
#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// Device or gateway host.
    #[arg(long)]
    pub host: String,
    /// TCP port.
    #[arg(long, default_value_t = 502)]
    pub port: u16,
    /// Unit id (slave address).
    #[arg(long, default_value_t = 1)]
    pub unit: u8,
    /// Table to read.
    #[arg(long, value_enum, default_value_t = TableArg::Holding)]
    pub table: TableArg,
    /// Protocol address (0-based) of the first register.
    #[arg(long)]
    pub address: u16,
    /// Number of registers (or bits).
    #[arg(long, default_value_t = 2)]
    pub count: u16,
    /// RTU framing through a transparent serial gateway instead of Modbus TCP.
    #[arg(long)]
    pub rtu_over_tcp: bool,
    /// Timeout in milliseconds.
    #[arg(long, default_value_t = 2000)]
    pub timeout_ms: u64,
}

/// Export formats.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated values with a header line.
    Csv,
    /// A JSON array of objects.
    Json,
}

/// `driftvakt export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Data directory.
    #[arg(long)]
    pub data: PathBuf,
    /// Point id (`device.point`); see `--list`.
    #[arg(long, required_unless_present_any = ["list", "count"])]
    pub point: Option<String>,
    /// List the point ids in the store and exit.
    #[arg(long)]
    pub list: bool,
    /// Print how many readings of every point the period holds and how many of them are good
    /// (`<readings> <good>`), and exit.
    #[arg(long, conflicts_with_all = ["list", "point", "rollup"])]
    pub count: bool,
    /// Start (inclusive): RFC 3339, local `2026-11-23 15:00`, a date, `now` or `-2h`. Default: everything.
    #[arg(long, allow_hyphen_values = true)]
    pub from: Option<String>,
    /// End (exclusive), same forms. Default: now.
    #[arg(long, allow_hyphen_values = true)]
    pub to: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Csv)]
    pub format: Format,
    /// Export the 1-minute rollups (min, max, mean, counts) instead of raw readings.
    #[arg(long)]
    pub rollup: bool,
    /// Time zone for parsing local times (default Europe/Stockholm).
    #[arg(long, default_value = "Europe/Stockholm")]
    pub tz: String,
}

/// `driftvakt discover`.
#[derive(Debug, Args)]
pub struct DiscoverArgs {
    /// Discover BACnet/IP devices (the only protocol discover knows so far).
    #[arg(long, required = true)]
    pub bacnet: bool,
    /// Send a directed Who-Is to this device or router (IP:PORT) instead of broadcasting.
    #[arg(long)]
    pub target: Option<std::net::SocketAddr>,
    /// Broadcast address for Who-Is when no --target is given.
    #[arg(long, default_value = "255.255.255.255:47808")]
    pub broadcast: std::net::SocketAddr,
    /// Also read each device's object list with names, units and state texts.
    #[arg(long)]
    pub objects: bool,
    /// Local address and UDP port to use (and to write into the printed network block).
    #[arg(long, default_value = "0.0.0.0:47808")]
    pub bind: std::net::SocketAddr,
    /// Only devices with instance numbers in this range, e.g. 1000-1999.
    #[arg(long)]
    pub range: Option<String>,
    /// How long to collect I-Am answers, in milliseconds.
    #[arg(long, default_value_t = 2000)]
    pub wait_ms: u64,
    /// Time allowed for each read request, in milliseconds.
    #[arg(long, default_value_t = 2000)]
    pub timeout_ms: u64,
    /// Id of the BACnet network in the printed block.
    #[arg(long, default_value = "bas")]
    pub network_id: String,
}

/// `--lang sv|en`: the one [`Language`] of every crate, by its code.
fn language() -> impl clap::builder::TypedValueParser<Value = Language> {
    clap::builder::PossibleValuesParser::new(Language::ALL.map(Language::code)).map(|code| Language::from_code(&code).unwrap_or_default())
}
