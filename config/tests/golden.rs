//! Golden cases, in the style of Telegraf's plugin test folders: every folder under
//! `tests/golden/` holds a `config.toml` and beside it `expected.txt`, the diagnostics exactly as
//! `driftvakt check` prints them (`config.toml:line:col: error: context: message`), one a line,
//! in the order `check` prints them; an empty `expected.txt` means a clean file.
//!
//! `$CASE` in a `config.toml` stands for its folder's absolute path (for files a case brings,
//! such as a secret file), and stands for it again in `expected.txt`.
//!
//! A new case is a new folder: write its `config.toml`, run
//! `UPDATE_GOLDEN=1 cargo test -p driftvakt-config --test golden` to write `expected.txt`, and
//! read what was written before committing it.

use std::fs;
use std::path::{Path, PathBuf};

use driftvakt_config::parse_str;

/// The folder of every golden case, sorted by name.
fn cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut dirs: Vec<PathBuf> = fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("read {}: {e}", root.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

/// What `check` prints for the case in `dir`, with the folder written `$CASE`.
fn diagnostics(dir: &Path) -> String {
    let case = dir.display().to_string();
    let source = fs::read_to_string(dir.join("config.toml"))
        .unwrap_or_else(|e| panic!("{case}: config.toml: {e}"))
        .replace("$CASE", &case);
    let loaded = parse_str(&source, "config.toml");
    assert_eq!(
        loaded.config.is_some(),
        !loaded.has_errors(),
        "{case}: a configuration comes back if and only if there is no error"
    );
    assert!(
        loaded
            .diagnostics
            .windows(2)
            .all(|w| (w[0].line, w[0].column) <= (w[1].line, w[1].column)),
        "{case}: diagnostics are sorted by position"
    );
    loaded
        .diagnostics
        .iter()
        .map(|d| format!("{d}\n").replace(&case, "$CASE"))
        .collect()
}

#[test]
fn every_golden_case_prints_its_expected_diagnostics() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let cases = cases();
    assert!(!cases.is_empty(), "no golden cases found");
    let mut failed = Vec::new();
    for dir in &cases {
        let name = dir.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let actual = diagnostics(dir);
        let expected_path = dir.join("expected.txt");
        if update {
            fs::write(&expected_path, &actual).unwrap_or_else(|e| panic!("{name}: write expected.txt: {e}"));
            continue;
        }
        let expected = fs::read_to_string(&expected_path).unwrap_or_else(|e| {
            panic!("{name}: expected.txt: {e} (write it with UPDATE_GOLDEN=1)")
        });
        if actual != expected {
            failed.push(format!("--- {name}: expected\n{expected}+++ {name}: actual\n{actual}"));
        }
    }
    assert!(
        failed.is_empty(),
        "{} of {} golden cases differ (UPDATE_GOLDEN=1 rewrites them; read the diff first):\n{}",
        failed.len(),
        cases.len(),
        failed.join("\n")
    );
}
