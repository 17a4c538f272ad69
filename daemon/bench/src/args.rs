//! The bench's command-line arguments (`driftvakt bench --help`).

use clap::{Args, ValueEnum};

/// `driftvakt bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Seconds of sustained polling to measure.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Generator devices polled (each on its own connection to the simulator).
    #[arg(long, default_value_t = 40)]
    pub devices: usize,
    /// Poll interval of every bench device, in milliseconds.
    #[arg(long, default_value_t = 100)]
    pub interval_ms: u64,
    /// Simulated seconds of the store scenario (10 000 points, one reading each per second).
    #[arg(long, default_value_t = 600, value_parser = clap::value_parser!(u64).range(1..))]
    pub store_seconds: u64,
    /// Run only this part of the bench.
    #[arg(long, value_enum)]
    pub only: Option<BenchPart>,
}

/// Parts of `driftvakt bench`.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum BenchPart {
    /// Reads per cycle, sustained and saturated Modbus polling, BACnet.
    Polling,
    /// The store at plant scale: 10 000 points, write rate, bytes per reading, query times.
    Store,
    /// Points/s into each sink and the replay rate after an outage.
    Sinks,
    /// Alarm latency to MQTT.
    Alarms,
    /// The endurance report over a year of 1-minute rollups (nothing against the simulator).
    Endurance,
    /// Exercises: fast-forward of a monthly test and of a year, `report exercise`, `report
    /// exercises` (the simulator in simulated time, no network).
    Exercise,
    /// The operator screen's live stream: the daemon's CPU with 0 and 10 clients (over
    /// `--seconds`), bytes/s per client, the overview's transfer size.
    Web,
}
