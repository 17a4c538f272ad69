//! Diagnostics: every problem found in a configuration, with its place.

use std::fmt;

use crate::model::Config;

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The configuration cannot be used.
    Error,
    /// The configuration works but is probably not what was meant.
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// One problem in a configuration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// File name as given to [`crate::parse_str`] or [`crate::load`].
    pub file: String,
    /// 1-based line of the offending key or value.
    pub line: usize,
    /// 1-based column (in characters) of the offending key or value.
    pub column: usize,
    /// What it concerns, e.g. `device g1, point fuel_level`; empty for the whole file.
    pub context: String,
    /// What is wrong, in English.
    pub message: String,
}

impl Diagnostic {
    /// Whether this is an error (as opposed to a warning).
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}: ",
            self.file, self.line, self.column, self.severity
        )?;
        if !self.context.is_empty() {
            write!(f, "{}: ", self.context)?;
        }
        f.write_str(&self.message)
    }
}

/// The result of loading a configuration: the model if it is valid, and every diagnostic.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The validated configuration; `Some` if and only if there is no error diagnostic.
    pub config: Option<Config>,
    /// Every error and warning, sorted by position in the file.
    pub diagnostics: Vec<Diagnostic>,
}

impl Loaded {
    /// The error diagnostics.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
    }

    /// The warning diagnostics.
    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Warning)
    }

    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.errors().next().is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diag(context: &str) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            file: "site.toml".into(),
            line: 12,
            column: 1,
            context: context.into(),
            message: "unknown key `adress`".into(),
        }
    }

    #[test]
    fn display_has_file_line_column_severity_context_and_message() {
        assert_eq!(
            diag("device g1, point fuel_level").to_string(),
            "site.toml:12:1: error: device g1, point fuel_level: unknown key `adress`"
        );
    }

    #[test]
    fn display_without_context_has_no_empty_prefix() {
        assert_eq!(
            diag("").to_string(),
            "site.toml:12:1: error: unknown key `adress`"
        );
    }
}
