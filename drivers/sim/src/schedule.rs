//! What happens when, beyond a scenario's single event: lists of mains-outage windows and
//! transfer-switch test-mode windows in simulated seconds, so one [`crate::Plant`] can run a
//! year of monthly tests and outages ([`year_plan`]). Each window may carry faults that apply
//! while it is active.

use jiff::Timestamp;
use jiff::civil::{Weekday, date};
use jiff::tz::TimeZone;

use crate::faults::Faults;
use crate::scenario::MONTHLY_TEST_DURATION_S;
pub use crate::window::{TIME_EPS_S, Window};

/// The plant's timetable: mains outages and test-mode windows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Schedule {
    /// Mains is lost inside each of these.
    pub outages: Vec<Window>,
    /// The transfer switch is in test mode inside each of these (monthly test on load).
    pub tests: Vec<Window>,
}

impl Schedule {
    /// Whether an outage window holds mains away at `t_s`.
    pub fn mains_lost_at(&self, t_s: f64) -> bool {
        self.outages.iter().any(|w| w.contains(t_s))
    }

    /// Whether a test window holds the transfer switch in test mode at `t_s`.
    pub fn test_mode_at(&self, t_s: f64) -> bool {
        self.tests.iter().any(|w| w.contains(t_s))
    }

    /// The faults of every window active at `t_s`.
    pub fn faults_at(&self, t_s: f64) -> Faults {
        self.outages
            .iter()
            .chain(&self.tests)
            .filter(|w| w.contains(t_s))
            .fold(Faults::NONE, |acc, w| acc.union(w.faults))
    }

    /// The end of the last window (s), `None` if there is none or one is open.
    pub fn end_s(&self) -> Option<f64> {
        self.outages
            .iter()
            .chain(&self.tests)
            .map(|w| w.until_s)
            .try_fold(0.0_f64, |acc, u| u.map(|u| acc.max(u)))
    }
}

/// Local hour and minute of each monthly test in [`year_plan`].
pub const YEAR_PLAN_TEST_AT: (i8, i8) = (9, 0);
/// The February outage of [`year_plan`]: day of month, local hour, minute, duration (s).
pub const YEAR_PLAN_FEBRUARY_OUTAGE: (i8, i8, i8, f64) = (17, 14, 20, 2.0 * 3600.0);
/// The October outage of [`year_plan`]: day of month, local hour, minute, duration (s).
pub const YEAR_PLAN_OCTOBER_OUTAGE: (i8, i8, i8, f64) = (8, 3, 10, 35.0 * 60.0);

/// A year for fast-forward in Europe/Stockholm time: see [`year_plan_in`].
pub fn year_plan(epoch_unix_s: u64) -> Schedule {
    let tz = TimeZone::get("Europe/Stockholm").unwrap_or(TimeZone::UTC);
    year_plan_in(epoch_unix_s, &tz)
}

/// A year from `epoch_unix_s` (simulated time 0): twelve monthly tests on load, each on the
/// first Wednesday of a month at 09:00 local time for [`MONTHLY_TEST_DURATION_S`] (the first
/// one not before the epoch), and two outages in those twelve months: 2 h on 17 February from
/// 14:20 and 35 min on 8 October from 03:10 local time. No window has faults; set
/// `schedule.tests[i].faults` to train on one.
pub fn year_plan_in(epoch_unix_s: u64, tz: &TimeZone) -> Schedule {
    let epoch = i64::try_from(epoch_unix_s).unwrap_or(i64::MAX);
    let Ok(start) = Timestamp::from_second(epoch) else {
        return Schedule::default();
    };
    let start = start.to_zoned_datetime(tz.clone());
    let (mut year, mut month) = (start.year(), start.month());
    // Simulated seconds of a local wall-clock time, if it exists and is not before the epoch.
    let at = |y: i16, m: i8, d: i8, h: i8, min: i8| -> Option<f64> {
        let zoned = date(y, m, d)
            .at(h, min, 0, 0)
            .to_zoned_datetime(tz.clone())
            .ok()?;
        let s = zoned.timestamp().as_second() - epoch;
        (s >= 0).then_some(s as f64)
    };
    let mut plan = Schedule::default();
    // At most 13 months: the epoch's month is skipped when its test is already past.
    for _ in 0..13 {
        if plan.tests.len() == 12 {
            break;
        }
        let day = 1 + date(year, month, 1).weekday().until(Weekday::Wednesday);
        let (h, min) = YEAR_PLAN_TEST_AT;
        if let Some(s) = at(year, month, day, h, min) {
            plan.tests.push(Window::new(s, MONTHLY_TEST_DURATION_S));
            let outage = match month {
                2 => Some(YEAR_PLAN_FEBRUARY_OUTAGE),
                10 => Some(YEAR_PLAN_OCTOBER_OUTAGE),
                _ => None,
            };
            if let Some((d, h, min, duration_s)) = outage
                && let Some(s) = at(year, month, d, h, min)
            {
                plan.outages.push(Window::new(s, duration_s));
            }
        }
        (year, month) = if month == 12 {
            (year + 1, 1)
        } else {
            (year, month + 1)
        };
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_windows_and_their_faults() {
        let pump = Faults {
            pump_trip: true,
            ..Faults::NONE
        };
        let s = Schedule {
            outages: vec![Window::new(100.0, 50.0), Window::new(1000.0, 10.0)],
            tests: vec![Window::new(500.0, 60.0).with_faults(pump)],
        };
        assert!(s.mains_lost_at(120.0) && s.mains_lost_at(1005.0));
        assert!(!s.mains_lost_at(200.0));
        assert!(s.test_mode_at(500.0) && !s.test_mode_at(560.0));
        assert_eq!(s.faults_at(530.0), pump);
        assert_eq!(s.faults_at(120.0), Faults::NONE);
        assert_eq!(s.end_s(), Some(1010.0));
    }

    #[test]
    fn year_plan_has_twelve_first_wednesdays_and_two_outages() {
        // 2026-01-01T08:00:00Z; 7 January 2026 is the first Wednesday.
        let epoch = crate::model::DEFAULT_EPOCH_UNIX_S;
        let plan = year_plan(epoch);
        assert_eq!(plan.tests.len(), 12);
        assert_eq!(plan.outages.len(), 2);
        let tz = TimeZone::get("Europe/Stockholm").expect("tz");
        let local = |s: f64| {
            Timestamp::from_second(epoch as i64 + s as i64)
                .expect("ts")
                .to_zoned_datetime(tz.clone())
        };
        let mut months = Vec::new();
        for w in &plan.tests {
            let z = local(w.from_s);
            assert_eq!(z.weekday(), Weekday::Wednesday);
            assert!(z.day() <= 7, "first Wednesday: {z}");
            assert_eq!(
                (z.hour(), z.minute()),
                (9, 0),
                "09:00 local in summer and winter: {z}"
            );
            assert_eq!(w.duration_s(), Some(2400.0));
            assert!(w.faults.is_none());
            months.push(z.month());
        }
        assert_eq!(months, (1..=12).collect::<Vec<i8>>());
        let first = local(plan.tests[0].from_s);
        assert_eq!((first.year(), first.day()), (2026, 7));
        let feb = local(plan.outages[0].from_s);
        assert_eq!(
            (feb.month(), feb.day(), feb.hour(), feb.minute()),
            (2, 17, 14, 20)
        );
        assert_eq!(plan.outages[0].duration_s(), Some(7200.0));
        let oct = local(plan.outages[1].from_s);
        assert_eq!(
            (oct.month(), oct.day(), oct.hour(), oct.minute()),
            (10, 8, 3, 10)
        );
        assert_eq!(plan.outages[1].duration_s(), Some(2100.0));
        let end = plan.end_s().expect("closed");
        assert!(end < 366.0 * 86_400.0);
    }

    #[test]
    fn year_plan_skips_a_test_already_past() {
        // 2026-01-10: January's first Wednesday is past, so February 2026 .. January 2027.
        let epoch = crate::model::DEFAULT_EPOCH_UNIX_S + 9 * 86_400;
        let plan = year_plan_in(epoch, &TimeZone::UTC);
        assert_eq!(plan.tests.len(), 12);
        assert!(plan.tests.iter().all(|w| w.from_s >= 0.0));
        let last = Timestamp::from_second(epoch as i64 + plan.tests[11].from_s as i64)
            .expect("ts")
            .to_zoned_datetime(TimeZone::UTC);
        assert_eq!((last.year(), last.month(), last.day()), (2027, 1, 6));
        assert_eq!(plan.outages.len(), 2);
    }
}
