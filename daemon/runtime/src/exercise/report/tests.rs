//! Renderer tests on a hand-built report.
