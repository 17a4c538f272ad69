//! [`Position`]: where a reading sits in the store's commit order — the sinks' cursor.

use std::fmt;

/// A place in the store's commit order. Every committed reading takes the next position, so
/// positions count readings: the distance between two is the number of readings committed
/// between them, including any pruned since (a pruned reading leaves its position empty). Only
/// a store emptied or replaced starts again, which a sink sees as the newest commit falling
/// below its own position. How the store keeps it is its own business; callers compare,
/// measure and save.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position(i64);

impl Position {
    /// Before every reading (an empty store's newest commit).
    pub const START: Position = Position(0);

    /// The position of the `n`-th reading ever committed (1-based; 0 is [`Position::START`]).
    pub fn nth(n: u64) -> Position {
        Position(i64::try_from(n).unwrap_or(i64::MAX))
    }

    /// Readings committed after `earlier` up to and including `self` (0 if `earlier` is not before).
    pub fn readings_since(self, earlier: Position) -> u64 {
        u64::try_from(self.0.saturating_sub(earlier.0)).unwrap_or(0)
    }

    /// The position `n` readings before this one, not before [`Position::START`].
    pub fn back(self, n: u64) -> Position {
        Position(
            self.0
                .saturating_sub(i64::try_from(n).unwrap_or(i64::MAX))
                .max(0),
        )
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_readings_and_never_go_before_the_start() {
        let (a, b) = (Position::nth(4), Position::nth(10));
        assert_eq!((b.readings_since(a), a.readings_since(b)), (6, 0));
        assert_eq!((b.back(6), b.back(100)), (a, Position::START));
        assert!(a < b && Position::START < a);
        assert_eq!(Position::default(), Position::START);
    }
}
