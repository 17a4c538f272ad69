//! The daemon as a library: everything `driftvakt run` and `demo` do that is not the command
//! line. [`service::Service`] assembles it; the `driftvakt` binary parses arguments and calls in;
//! the bench harness (`driftvakt-bench`) drives the same parts. No clap, no simulator.

pub mod alarm;
pub mod chart;
pub mod api;
pub mod constant_time;
pub mod endurance;
pub mod exercise;
pub mod intern;
pub mod limits;
pub mod monitor;
pub mod mqtt;
pub mod notify;
pub mod out;
pub mod pipeline;
pub mod plant_status;
pub mod report_format;
pub mod service;
pub mod sink;
pub mod stop;
pub mod timefmt;
pub mod web;
