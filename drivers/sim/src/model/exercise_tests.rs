//! The model's exercise behaviour: test mode, the schedule, faults and the ground truth.

use super::*;
use crate::scenario::{MONTHLY_TEST_OFF_AT_S, MONTHLY_TEST_ON_AT_S};

/// Step in exact 0.1 s steps as the server does at speed 1, 10 or 60.
fn run_to(p: &mut Plant, t_s: f64) {
    while p.t_s < t_s - 1e-9 {
        p.step(0.1);
    }
}

fn dump(p: &Plant) -> Vec<(f64, &'static str, Option<&'static str>)> {
    p.events.iter().map(|e| (e.t_s, e.kind, e.unit)).collect()
}

#[test]
fn print_events() {
    for (sc, faults) in [
        (Scenario::MonthlyTest, Faults::NONE),
        (Scenario::Blackout, Faults::NONE),
        (Scenario::MonthlyTest, "slow_start".parse().unwrap()),
        (Scenario::MonthlyTest, "failed_crank".parse().unwrap()),
        (Scenario::MonthlyTest, "no_transfer".parse().unwrap()),
        (Scenario::MonthlyTest, "pump_trip".parse().unwrap()),
        (Scenario::Blackout, "pump_trip".parse().unwrap()),
    ] {
        let mut p = Plant::new(&sc).with_faults(faults);
        run_to(&mut p, 3000.0);
        println!("{sc} {faults}");
        for e in dump(&p) {
            println!("  {e:?}");
        }
    }
}
