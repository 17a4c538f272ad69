//! One module per sub-command. `demo`, `sim` and `fastforward` drive the simulator
//! (`driftvakt-sim`) and exist only with the `simulator` feature (default on), like `bench`,
//! which is the `driftvakt-bench` crate (`main` calls `driftvakt_bench::run`).

pub mod alarms;
pub mod check;
#[cfg(feature = "simulator")]
pub mod demo;
pub mod discover;
pub mod exercise;
pub mod export;
pub mod password;
#[cfg(feature = "simulator")]
pub mod fastforward;
pub mod probe;
pub mod report;
pub mod run;
#[cfg(feature = "simulator")]
pub mod sim;
pub mod status;
