//! The `driftvakt` binary: the command line over the daemon's library (`driftvakt-runtime`).
//!
//! With the `simulator` feature (default) it also has `demo`, `sim`, `fastforward` and `bench`
//! (the `driftvakt-bench` crate); without it, neither the simulator nor the bench is linked.

/// The CLI's side of the operator API (the server side is `driftvakt_runtime::api`).
mod api {
    pub mod client;
}
mod cli;
mod cmd;

use std::io::{IsTerminal, Write};

use anyhow::Result;
use clap::Parser;
use cli::{Cli, Command};
use driftvakt_runtime::{out, stop};
use tracing_subscriber::EnvFilter;

fn main() {
    let cli = Cli::parse();
    let quiet_default = match cli.command {
        #[cfg(feature = "simulator")]
        Command::Demo(_) | Command::Bench(_) => true,
        Command::Alarms(_)
        | Command::Ack(_)
        | Command::Shelve(_)
        | Command::Unshelve(_)
        | Command::Journal(_)
        | Command::Exercise(_)
        | Command::Status(_) => true,
        _ => false,
    };
    let filter = EnvFilter::try_from_env("DRIFTVAKT_LOG")
        .or_else(|_| EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| EnvFilter::new(if quiet_default { "warn" } else { "info" }));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();

    let code = match run(cli.command) {
        Ok(code) => code,
        // The reader of our stdout has gone (`driftvakt probe … | head`): stop quietly.
        Err(e) if out::is_broken_pipe(&e) => out::BROKEN_PIPE_STATUS,
        Err(e) => {
            // Not eprintln!: it panics if stderr is a closed pipe too.
            let _ = writeln!(std::io::stderr(), "error: {e:#}");
            1
        }
    };
    std::process::exit(code);
}

fn run(command: Command) -> Result<i32> {
    let runtime = || tokio::runtime::Builder::new_multi_thread().enable_all().build();
    match command {
        Command::Check(args) => cmd::check::run(&args),
        Command::Export(args) => cmd::export::run(&args).map(|()| 0),
        Command::Run(args) => {
            let rt = runtime()?;
            let result = rt.block_on(cmd::run::run(&args));
            // A blocking call that outlived the stop deadline must not hold up the exit.
            rt.shutdown_timeout(stop::RUNTIME_EXIT);
            result.map(|()| 0)
        }
        #[cfg(feature = "simulator")]
        Command::Demo(args) => runtime()?.block_on(cmd::demo::run(&args)).map(|()| 0),
        #[cfg(feature = "simulator")]
        Command::Sim(args) => runtime()?.block_on(cmd::sim::run(&args)).map(|()| 0),
        Command::Probe(args) => runtime()?.block_on(cmd::probe::run(&args)),
        #[cfg(feature = "simulator")]
        Command::Bench(args) => runtime()?.block_on(driftvakt_bench::run(&args)).map(|()| 0),
        Command::Discover(args) => runtime()?.block_on(cmd::discover::run(&args)),
        Command::Alarms(args) => cmd::alarms::list(&args).map(|()| 0),
        Command::Ack(args) => cmd::alarms::ack(&args).map(|()| 0),
        Command::Shelve(args) => cmd::alarms::shelve(&args).map(|()| 0),
        Command::Unshelve(args) => cmd::alarms::unshelve(&args).map(|()| 0),
        Command::Journal(args) => cmd::alarms::journal(&args).map(|()| 0),
        Command::Status(args) => cmd::status::run(&args).map(|()| 0),
        Command::PasswordHash => cmd::password::run().map(|()| 0),
        Command::Exercise(command) => cmd::exercise::run(&command).map(|()| 0),
        Command::Report(cli::ReportCommand::Endurance(args)) => cmd::report::endurance(&args).map(|()| 0),
        Command::Report(cli::ReportCommand::Exercise(args)) => cmd::report::exercise(&args).map(|()| 0),
        Command::Report(cli::ReportCommand::Exercises(args)) => cmd::report::exercises(&args).map(|()| 0),
        #[cfg(feature = "simulator")]
        Command::Fastforward(args) => cmd::fastforward::run(&args).map(|()| 0),
    }
}
