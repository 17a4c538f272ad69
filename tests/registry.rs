//! The end-to-end tests cannot be forgotten: every `tests/*.rs` is a `[[test]]` target of the
//! `driftvakt` crate (`daemon/Cargo.toml`, named after its file) and has a row in the index of
//! `tests/README.md` saying what it proves; no registration or row names a file that is gone.
//! Cargo only discovers tests in the crate's own `tests/` folder, so the top-level folder needs
//! the registrations, and this test fails (naming the file) when one is missing.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The repository root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the daemon crate lives inside the workspace")
        .to_path_buf()
}

/// File stems of `tests/*.rs`.
fn test_files() -> BTreeSet<String> {
    let dir = root().join("tests");
    std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "rs"))
        .map(|p| p.file_stem().expect("a file name").to_string_lossy().into_owned())
        .collect()
}

/// `[[test]]` targets of `daemon/Cargo.toml` as (name, path).
fn registered() -> Vec<(String, String)> {
    let path = root().join("daemon/Cargo.toml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let manifest: toml::Table = text.parse().unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let Some(tests) = manifest.get("test").and_then(toml::Value::as_array) else {
        return Vec::new();
    };
    tests
        .iter()
        .map(|t| {
            let field = |k: &str| t.get(k).and_then(toml::Value::as_str).unwrap_or_default().to_string();
            (field("name"), field("path"))
        })
        .collect()
}

/// Names in the first column of the index table of `tests/README.md` (rows `` | `name` | … ``).
fn readme_index() -> BTreeSet<String> {
    let path = root().join("tests/README.md");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    text.lines()
        .filter_map(|l| l.strip_prefix("| `")?.split_once("` |").map(|(name, _)| name.to_string()))
        .filter(|name| name.ends_with(".rs"))
        .map(|name| name.trim_end_matches(".rs").to_string())
        .collect()
}

#[test]
fn every_test_file_is_registered_under_its_own_name() {
    let files = test_files();
    let registered = registered();
    let mut problems = Vec::new();
    for (name, path) in &registered {
        let want = format!("../tests/{name}.rs");
        if *path != want {
            problems.push(format!("[[test]] `{name}` has path `{path}`, expected `{want}`"));
        } else if !files.contains(name) {
            problems.push(format!("[[test]] `{name}` names tests/{name}.rs, which does not exist"));
        }
    }
    let names: BTreeSet<&str> = registered.iter().map(|(n, _)| n.as_str()).collect();
    for file in &files {
        if !names.contains(file.as_str()) {
            problems.push(format!(
                "tests/{file}.rs is not registered: add to daemon/Cargo.toml\n\n[[test]]\nname = \"{file}\"\npath = \"../tests/{file}.rs\"\n"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_test_file_is_listed_in_the_readme_with_what_it_proves() {
    let files = test_files();
    let index = readme_index();
    let missing: Vec<String> = files.difference(&index).map(|f| format!("tests/{f}.rs")).collect();
    let stale: Vec<String> = index.difference(&files).map(|f| format!("{f}.rs")).collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "tests/README.md's index (rows `| `name.rs` | what it proves |`) must list every tests/*.rs:\n\
         missing: {missing:?}\nlisted but not in tests/: {stale:?}"
    );
}
