//! Discovery (written next).
