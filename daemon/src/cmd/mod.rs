//! One module per sub-command. `demo`, `sim`, `bench` and `fastforward` drive the simulator
//! (`driftvakt-sim`) and exist only with the `simulator` feature (default on).

pub mod alarms;
#[cfg(feature = "simulator")]
pub mod bench;
#[cfg(feature = "simulator")]
pub mod bench_alarm;
#[cfg(feature = "simulator")]
pub mod bench_endurance;
pub mod check;
#[cfg(feature = "simulator")]
pub mod demo;
pub mod discover;
pub mod export;
#[cfg(feature = "simulator")]
pub mod fastforward;
pub mod probe;
pub mod report;
pub mod run;
#[cfg(feature = "simulator")]
pub mod sim;
pub mod status;
