//! Faults to train on: selectable with any scenario (`driftvakt sim --faults LIST`) or per
//! window of a [`crate::schedule::Schedule`]. Each one changes the model as documented on its
//! field; [`crate::model`] applies them.

use std::fmt;
use std::str::FromStr;

/// Which faults are switched on. The default is none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Faults {
    /// The ramp to rated voltage and frequency takes [`crate::model::SLOW_START_RAMP_S`]
    /// instead of [`crate::model::RAMP_S`]: the start time goes beyond 15 s.
    pub slow_start: bool,
    /// The first crank of each start request fails (command-line word `failed_crank`).
    pub failed_first_crank: bool,
    /// The transfer switch never transfers to emergency (it still signals the start).
    pub no_transfer: bool,
    /// Booster pump 1 trips when the essential bus loses power or the transfer switch changes
    /// over to emergency, and stays tripped for [`crate::model::PUMP_TRIP_S`].
    pub pump_trip: bool,
}

/// A word of a fault list that is not one of [`Faults::NAMES`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown fault {given:?}; expected a comma-separated list of: slow_start, failed_crank, no_transfer, pump_trip (or none)"
)]
pub struct UnknownFault {
    /// The word that was given.
    pub given: String,
}

impl Faults {
    /// Every fault's command-line name, in the order of the fields.
    pub const NAMES: [&'static str; 4] = ["slow_start", "failed_crank", "no_transfer", "pump_trip"];

    /// No fault.
    pub const NONE: Faults = Faults {
        slow_start: false,
        failed_first_crank: false,
        no_transfer: false,
        pump_trip: false,
    };

    /// Whether no fault is on.
    pub fn is_none(self) -> bool {
        self == Faults::NONE
    }

    /// The faults on in either.
    pub fn union(self, other: Faults) -> Faults {
        Faults {
            slow_start: self.slow_start || other.slow_start,
            failed_first_crank: self.failed_first_crank || other.failed_first_crank,
            no_transfer: self.no_transfer || other.no_transfer,
            pump_trip: self.pump_trip || other.pump_trip,
        }
    }

    /// The names of the faults that are on.
    pub fn names(self) -> Vec<&'static str> {
        let on = [
            self.slow_start,
            self.failed_first_crank,
            self.no_transfer,
            self.pump_trip,
        ];
        Faults::NAMES
            .into_iter()
            .zip(on)
            .filter_map(|(name, on)| on.then_some(name))
            .collect()
    }
}

impl FromStr for Faults {
    type Err = UnknownFault;

    /// A comma-separated list of fault names; empty or `none` = no fault. Case, `-` for `_` and
    /// blanks around words are forgiven; `failed_first_crank` is also accepted.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut faults = Faults::NONE;
        for word in s.split(',') {
            let w = word.trim().to_ascii_lowercase().replace('-', "_");
            match w.as_str() {
                "" | "none" => {}
                "slow_start" => faults.slow_start = true,
                "failed_crank" | "failed_first_crank" => faults.failed_first_crank = true,
                "no_transfer" => faults.no_transfer = true,
                "pump_trip" => faults.pump_trip = true,
                _ => {
                    return Err(UnknownFault {
                        given: word.trim().to_string(),
                    });
                }
            }
        }
        Ok(faults)
    }
}

impl fmt::Display for Faults {
    /// The comma-separated names, or `none`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_none() {
            f.write_str("none")
        } else {
            f.write_str(&self.names().join(","))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_comma_list_and_round_trips() {
        let all: Faults = "slow_start,failed_crank,no_transfer,pump_trip"
            .parse()
            .expect("all");
        assert!(all.slow_start && all.failed_first_crank && all.no_transfer && all.pump_trip);
        assert_eq!(all.to_string().parse::<Faults>(), Ok(all));
        let one: Faults = " Pump-Trip ".parse().expect("one");
        assert_eq!(
            one,
            Faults {
                pump_trip: true,
                ..Faults::NONE
            }
        );
        assert_eq!(one.to_string(), "pump_trip");
        assert_eq!("".parse::<Faults>(), Ok(Faults::NONE));
        assert_eq!("none".parse::<Faults>(), Ok(Faults::NONE));
        assert_eq!(Faults::NONE.to_string(), "none");
        assert_eq!(
            "failed_first_crank"
                .parse::<Faults>()
                .map(|f| f.failed_first_crank),
            Ok(true)
        );
    }

    #[test]
    fn unknown_word_names_the_valid_ones() {
        let err = "slow_start,flat_tyre"
            .parse::<Faults>()
            .expect_err("unknown");
        assert_eq!(err.given, "flat_tyre");
        let text = err.to_string();
        for name in Faults::NAMES {
            assert!(text.contains(name), "{text}");
        }
    }

    #[test]
    fn union_keeps_both() {
        let a = Faults {
            slow_start: true,
            ..Faults::NONE
        };
        let b = Faults {
            no_transfer: true,
            ..Faults::NONE
        };
        assert_eq!(a.union(b).names(), vec!["slow_start", "no_transfer"]);
    }
}
