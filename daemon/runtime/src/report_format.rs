//! The formats every report is written in (`report endurance`, `report exercise`, `report
//! exercises`): one type, so HTML, JSON and CSV mean the same everywhere.

/// Output format of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Self-contained HTML (prints on A4).
    Html,
    /// JSON with every figure.
    Json,
    /// CSV, one figure per row.
    Csv,
}
