//! The production binary links neither the simulator nor the bench harness: `cargo tree -p
//! driftvakt -e normal --no-default-features` (the `driftvakt` binary without its `simulator`
//! feature) lists no `driftvakt-sim` and no `driftvakt-bench`. With the default features both are
//! there (the `demo`/`sim`/`fastforward`/`bench` entry points), which shows the check can see them.
//! The daemon's library (`driftvakt-runtime`) has neither, and no clap: the command line is the
//! binary's.

use std::process::Command;

/// Crates only the simulator's sub-commands may pull in.
const NOT_IN_PRODUCTION: &[&str] = &["driftvakt-sim", "driftvakt-bench"];

/// Package names in the normal dependency graph of `package` with `features`.
fn graph(package: &str, features: &[&str]) -> Vec<String> {
    let out = Command::new(env!("CARGO"))
        .args(["tree", "-p", package, "-e", "normal", "--prefix", "none", "--format", "{p}", "--offline"])
        .args(features)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "cargo tree failed: {}", String::from_utf8_lossy(&out.stderr));
    let names: Vec<String> = stdout.lines().filter_map(|l| l.split_whitespace().next()).map(String::from).collect();
    assert!(names.iter().any(|n| n == package), "cargo tree lists {package} itself: {stdout}");
    names
}

#[test]
fn the_production_binary_links_no_simulator_and_no_bench() {
    let names = graph("driftvakt", &["--no-default-features"]);
    let bad: Vec<&str> = NOT_IN_PRODUCTION.iter().copied().filter(|c| names.iter().any(|n| n == c)).collect();
    assert!(bad.is_empty(), "`driftvakt --no-default-features` must not depend on {bad:?} (keep them behind the `simulator` feature)");
}

#[test]
fn the_default_build_has_the_simulator_and_the_bench() {
    let names = graph("driftvakt", &[]);
    for c in NOT_IN_PRODUCTION {
        assert!(names.iter().any(|n| n == c), "{c} missing from the default graph: the check above would not see it either");
    }
}

#[test]
fn the_runtime_library_has_no_simulator_no_bench_and_no_command_line() {
    let names = graph("driftvakt-runtime", &[]);
    let bad: Vec<&str> = NOT_IN_PRODUCTION.iter().chain(&["clap"]).copied().filter(|c| names.iter().any(|n| n == c)).collect();
    assert!(bad.is_empty(), "driftvakt-runtime must not depend on {bad:?}");
}
