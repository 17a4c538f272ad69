//! Simulator scenarios: which events happen, and when.
//!
//! Every time here is **simulated** seconds since the simulator started (t = 0). With
//! `--speed 10` a blackout that starts at t = 20 s happens 2 s of wall time after start; the
//! gateway outage of `gateway_down` (t = 30..90 s) lasts 6 s of wall time. Tests drive the
//! physics with [`crate::model::Plant::step`] and never wait for wall time. A scenario has at
//! most one event; several windows (a year of monthly tests and outages) are a
//! [`crate::schedule::Schedule`].

use std::fmt;
use std::str::FromStr;

use crate::window::Window;

/// Blackout: mains is lost at this simulated time (s).
pub const BLACKOUT_MAINS_LOST_AT_S: f64 = 20.0;
/// Blackout: mains comes back at this simulated time (s), 600 s after it was lost.
pub const BLACKOUT_MAINS_BACK_AT_S: f64 = BLACKOUT_MAINS_LOST_AT_S + 600.0;
/// Monthly test: the transfer switch enters test mode at this simulated time (s).
pub const MONTHLY_TEST_ON_AT_S: f64 = 20.0;
/// Monthly test: minutes on load, as simulated seconds (40 min; 40 s of wall time at speed 60).
pub const MONTHLY_TEST_DURATION_S: f64 = 40.0 * 60.0;
/// Monthly test: test mode ends at this simulated time (s).
pub const MONTHLY_TEST_OFF_AT_S: f64 = MONTHLY_TEST_ON_AT_S + MONTHLY_TEST_DURATION_S;
/// Fuel leak: extra loss from the main tank (l/h), from t = 0.
pub const FUEL_LEAK_L_PER_H: f64 = 50.0;
/// Gateway down: the `fastighet` gateway stops answering at this simulated time (s).
pub const GATEWAY_DOWN_FROM_S: f64 = 30.0;
/// Gateway down: the `fastighet` gateway answers again from this simulated time (s).
pub const GATEWAY_DOWN_UNTIL_S: f64 = 90.0;
/// Name of the gateway that goes down in [`Scenario::GatewayDown`].
pub const GATEWAY_DOWN_NAME: &str = "fastighet";

/// A simulator scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Scenario {
    /// Mains present all the time; generators stay stopped.
    #[default]
    Normal,
    /// Mains lost at [`BLACKOUT_MAINS_LOST_AT_S`], back at [`BLACKOUT_MAINS_BACK_AT_S`].
    Blackout,
    /// The main fuel tank leaks [`FUEL_LEAK_L_PER_H`] from t = 0.
    FuelLeak,
    /// The `fastighet` gateway does not answer from [`GATEWAY_DOWN_FROM_S`] to [`GATEWAY_DOWN_UNTIL_S`].
    GatewayDown,
    /// The transfer switch is in test mode from [`MONTHLY_TEST_ON_AT_S`] to
    /// [`MONTHLY_TEST_OFF_AT_S`]: the generators start and take the load with mains present.
    MonthlyTest,
}

/// A scenario name that is not one of [`Scenario::NAMES`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown scenario {given:?}; expected one of: normal, blackout, fuel_leak, gateway_down, monthly_test"
)]
pub struct UnknownScenario {
    /// The name that was given.
    pub given: String,
}

impl Scenario {
    /// Every scenario.
    pub const ALL: [Scenario; 5] = [
        Scenario::Normal,
        Scenario::Blackout,
        Scenario::FuelLeak,
        Scenario::GatewayDown,
        Scenario::MonthlyTest,
    ];
    /// Every scenario's name, as accepted by `FromStr`.
    pub const NAMES: [&'static str; 5] = [
        "normal",
        "blackout",
        "fuel_leak",
        "gateway_down",
        "monthly_test",
    ];

    /// The scenario's command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Normal => "normal",
            Scenario::Blackout => "blackout",
            Scenario::FuelLeak => "fuel_leak",
            Scenario::GatewayDown => "gateway_down",
            Scenario::MonthlyTest => "monthly_test",
        }
    }

    /// Simulated time (s) at which mains is lost, if it is.
    pub fn mains_lost_at_s(self) -> Option<f64> {
        (self == Scenario::Blackout).then_some(BLACKOUT_MAINS_LOST_AT_S)
    }

    /// Simulated time (s) at which mains returns, if it is lost at all.
    pub fn mains_back_at_s(self) -> Option<f64> {
        (self == Scenario::Blackout).then_some(BLACKOUT_MAINS_BACK_AT_S)
    }

    /// The transfer switch's test-mode window (simulated s), if the scenario has one.
    pub fn test_mode_window(self) -> Option<Window> {
        (self == Scenario::MonthlyTest)
            .then(|| Window::new(MONTHLY_TEST_ON_AT_S, MONTHLY_TEST_DURATION_S))
    }

    /// Extra loss from the main fuel tank (l/h).
    pub fn main_tank_leak_l_per_h(self) -> f64 {
        if self == Scenario::FuelLeak {
            FUEL_LEAK_L_PER_H
        } else {
            0.0
        }
    }

    /// Whether the named gateway is down (does not answer) at simulated time `t_s`.
    pub fn gateway_down_at(self, gateway: &str, t_s: f64) -> bool {
        self == Scenario::GatewayDown
            && gateway == GATEWAY_DOWN_NAME
            && (GATEWAY_DOWN_FROM_S..GATEWAY_DOWN_UNTIL_S).contains(&t_s)
    }
}

impl FromStr for Scenario {
    type Err = UnknownScenario;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase().replace('-', "_");
        Scenario::ALL
            .into_iter()
            .find(|sc| sc.name() == wanted)
            .ok_or_else(|| UnknownScenario {
                given: s.to_string(),
            })
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for (sc, name) in Scenario::ALL.into_iter().zip(Scenario::NAMES) {
            assert_eq!(sc.name(), name);
            assert_eq!(name.parse::<Scenario>(), Ok(sc));
            assert_eq!(sc.to_string(), name);
        }
        assert_eq!("Fuel-Leak".parse::<Scenario>(), Ok(Scenario::FuelLeak));
    }

    #[test]
    fn unknown_name_is_a_clear_error() {
        let err = "tsunami".parse::<Scenario>().expect_err("must fail");
        assert!(err.to_string().contains("tsunami"));
        assert!(err.to_string().contains("gateway_down"));
        assert!(err.to_string().contains("monthly_test"));
    }

    #[test]
    fn gateway_down_window_only_for_fastighet() {
        let sc = Scenario::GatewayDown;
        assert!(!sc.gateway_down_at("fastighet", 29.9));
        assert!(sc.gateway_down_at("fastighet", 30.0));
        assert!(sc.gateway_down_at("fastighet", 89.9));
        assert!(!sc.gateway_down_at("fastighet", 90.0));
        assert!(!sc.gateway_down_at("stallverk", 50.0));
        assert!(!Scenario::Blackout.gateway_down_at("fastighet", 50.0));
    }

    #[test]
    fn monthly_test_is_forty_minutes_of_test_mode_without_a_mains_loss() {
        let sc = Scenario::MonthlyTest;
        assert_eq!("monthly-test".parse::<Scenario>(), Ok(sc));
        assert_eq!(sc.mains_lost_at_s(), None);
        let w = sc.test_mode_window().expect("window");
        assert_eq!((w.from_s, w.until_s), (20.0, Some(2420.0)));
        assert_eq!(Scenario::Blackout.test_mode_window(), None);
    }
}
