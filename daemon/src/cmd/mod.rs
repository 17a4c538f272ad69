//! One module per sub-command.

pub mod alarms;
pub mod bench;
pub mod bench_alarm;
pub mod bench_endurance;
pub mod check;
pub mod demo;
pub mod discover;
pub mod export;
pub mod fastforward;
pub mod probe;
pub mod report;
pub mod run;
pub mod sim;
pub mod status;
