//! Reading a configuration file.

use std::path::Path;

use crate::diagnostic::{Diagnostic, Loaded, Severity};
use crate::parse::parse_str;

/// Read and validate the configuration file at `path`. An unreadable file gives one error
/// diagnostic at 1:1.
pub fn load(path: &Path) -> Loaded {
    let file = path.display().to_string();
    match std::fs::read_to_string(path) {
        Ok(source) => parse_str(&source, &file),
        Err(e) => Loaded {
            config: None,
            diagnostics: vec![Diagnostic {
                severity: Severity::Error,
                file,
                line: 1,
                column: 1,
                context: String::new(),
                message: format!("cannot read configuration file: {e}"),
            }],
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreadable_file_is_one_error_at_1_1() {
        let loaded = load(Path::new("/nonexistent/driftvakt/site.toml"));
        assert!(loaded.config.is_none());
        assert_eq!(loaded.diagnostics.len(), 1);
        let d = &loaded.diagnostics[0];
        assert_eq!((d.line, d.column, d.severity), (1, 1, Severity::Error));
        assert!(
            d.to_string()
                .starts_with("/nonexistent/driftvakt/site.toml:1:1: error: cannot read")
        );
    }
}
