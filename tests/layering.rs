//! The house's layering, checked: which crate may depend on which (and on which outside crates),
//! and no circle of imports between the source files of any crate.
//!
//! - Crates: `cargo tree -e normal --offline` of every workspace crate holds only the workspace
//!   crates its row in [`RULES`] allows and none of its forbidden outside crates (the domain is
//!   pure, the store speaks no network, the drivers know no database, HTTP or MQTT, the runtime
//!   has no simulator, bench or command line, the production binary (`--no-default-features`)
//!   has no simulator or bench crate, while the default build has both). A new crate needs a row.
//! - Files and modules: for every library and binary target of the workspace (found with
//!   `cargo metadata`), the import graph of its files (`support/modgraph.rs`) has no strongly
//!   connected component of more than one file, and neither has the graph of its top-level
//!   modules (`alarm` ↔ `notify`). The failure names the files and the line of each import in
//!   the circle. Known circles being removed elsewhere are listed in [`KNOWN_CIRCLES`].

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use support::modgraph;

/// Runs cargo (the one running this test) in the workspace, offline; its stdout.
fn cargo(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO"))
        .args(args)
        .arg("--offline")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo runs");
    assert!(out.status.success(), "cargo {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("cargo prints UTF-8")
}

/// `cargo metadata` of the workspace, without dependencies.
fn metadata() -> serde_json::Value {
    serde_json::from_str(&cargo(&["metadata", "--format-version", "1", "--no-deps"])).expect("cargo metadata is JSON")
}

/// The workspace root.
fn workspace_root() -> PathBuf {
    PathBuf::from(metadata()["workspace_root"].as_str().expect("workspace_root"))
}

/// Names of the workspace's crates.
fn workspace_crates() -> BTreeSet<String> {
    let meta = metadata();
    meta["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|p| p["name"].as_str().expect("package name").to_string())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Crates

/// An async runtime or the OS networking under it.
const RUNTIME: &[&str] = &["tokio*", "mio", "socket2"];
/// A database.
const DATABASE: &[&str] = &["rusqlite", "libsqlite3-sys"];
/// HTTP clients and servers, and what only they pull in.
const HTTP: &[&str] = &["reqwest", "hyper*", "axum*", "tower*", "http", "h2", "influxdb2"];
/// MQTT and e-mail.
const MESSAGING: &[&str] = &["rumqttc", "lettre"];
/// TLS and field-bus protocols.
const NETWORK: &[&str] = &["rustls*", "ring", "tokio-modbus"];

/// What one crate may depend on.
struct Rule {
    /// The crate (`cargo tree -p`).
    krate: &'static str,
    /// Extra `cargo tree` arguments (features).
    args: &'static [&'static str],
    /// The workspace crates it may depend on, directly or not.
    may_use: &'static [&'static str],
    /// Outside crates it must not depend on (a trailing `*` matches a prefix), by group.
    forbidden: &'static [&'static [&'static str]],
    /// Why, for the failure message.
    why: &'static str,
}

/// One row per workspace crate; `ARCHITECTURE.md` ("Crates and what each may depend on") says
/// the same in words.
const RULES: &[Rule] = &[
    Rule {
        krate: "driftvakt-config",
        args: &[],
        may_use: &[],
        forbidden: &[RUNTIME, DATABASE, HTTP, MESSAGING, NETWORK],
        why: "the configuration is parsed and checked without I/O and below every other crate",
    },
    Rule {
        krate: "driftvakt-domain",
        args: &[],
        may_use: &["driftvakt-config"],
        forbidden: &[RUNTIME, DATABASE, HTTP, MESSAGING, NETWORK],
        why: "the domain is pure: no runtime, database, network or HTTP crate; testable with synthetic time",
    },
    Rule {
        krate: "driftvakt-store",
        args: &[],
        may_use: &["driftvakt-config", "driftvakt-domain"],
        forbidden: &[HTTP, MESSAGING, NETWORK],
        why: "the store speaks no network or HTTP and knows nothing of the drivers or the daemon",
    },
    Rule {
        krate: "driftvakt-drivers",
        args: &[],
        may_use: &["driftvakt-config", "driftvakt-domain"],
        forbidden: &[DATABASE, HTTP, MESSAGING],
        why: "drivers emit readings: no database, HTTP or MQTT, nothing of the store, the simulator or the daemon",
    },
    Rule {
        krate: "driftvakt-sim",
        args: &[],
        may_use: &["driftvakt-config", "driftvakt-domain", "driftvakt-drivers"],
        forbidden: &[DATABASE, HTTP, MESSAGING],
        why: "the simulator is a plant: field-bus servers only, nothing of the store or the daemon",
    },
    Rule {
        krate: "driftvakt-runtime",
        args: &[],
        may_use: &["driftvakt-config", "driftvakt-domain", "driftvakt-drivers", "driftvakt-store"],
        forbidden: &[&["driftvakt-sim", "driftvakt-bench", "clap"]],
        why: "the daemon as a library runs in production: no simulator, no bench, and no command line (that is the binary's)",
    },
    Rule {
        krate: "driftvakt-bench",
        args: &[],
        may_use: &[
            "driftvakt-config",
            "driftvakt-domain",
            "driftvakt-drivers",
            "driftvakt-runtime",
            "driftvakt-sim",
            "driftvakt-store",
        ],
        forbidden: &[],
        why: "the bench harness drives the runtime against the simulator; nothing depends on it but the binary's `simulator` feature",
    },
    Rule {
        krate: "driftvakt",
        args: &["--no-default-features"],
        may_use: &["driftvakt-config", "driftvakt-domain", "driftvakt-drivers", "driftvakt-runtime", "driftvakt-store"],
        forbidden: &[&["driftvakt-sim", "driftvakt-bench"]],
        why: "the production binary (`--no-default-features`) holds no simulator or bench crate; \
              only the `simulator` feature (`demo`, `sim`, `fastforward`, `bench`) brings them",
    },
];

/// Does `name` match the pattern `pat` (exact, or a prefix before a trailing `*`)?
fn matches(pat: &str, name: &str) -> bool {
    match pat.strip_suffix('*') {
        Some(prefix) => name.starts_with(prefix),
        None => name == pat,
    }
}

/// The crates in the normal dependency graph of `krate` (itself included).
fn dependency_graph(krate: &str, extra: &[&str]) -> BTreeSet<String> {
    let mut args = vec!["tree", "-p", krate, "-e", "normal", "--prefix", "none", "--format", "{p}"];
    args.extend_from_slice(extra);
    cargo(&args).lines().filter_map(|l| l.split_whitespace().next()).map(str::to_string).collect()
}

/// The problems of one crate's dependency graph against its rule.
fn check_rule(rule: &Rule, graph: &BTreeSet<String>, workspace: &BTreeSet<String>) -> Vec<String> {
    let mut problems = Vec::new();
    if !graph.contains(rule.krate) {
        problems.push(format!("`cargo tree -p {}` did not list the crate itself: {graph:?}", rule.krate));
    }
    let named_forbidden = |n: &str| rule.forbidden.iter().flat_map(|g| g.iter()).any(|p| matches(p, n));
    let bad: Vec<&String> = graph
        .iter()
        .filter(|n| {
            let internal_not_allowed = workspace.contains(*n) && *n != rule.krate && !rule.may_use.contains(&n.as_str());
            internal_not_allowed || named_forbidden(n)
        })
        .collect();
    if !bad.is_empty() {
        let args: String = rule.args.iter().map(|a| format!(" {a}")).collect();
        problems.push(format!(
            "{} must not depend on {bad:?} ({}).\n  It may use the workspace crates {:?}. See: cargo tree -p {} -e normal{args} -i {}",
            rule.krate, rule.why, rule.may_use, rule.krate, bad[0]
        ));
    }
    problems
}

#[test]
fn each_crate_depends_only_on_what_its_layer_allows() {
    let workspace = workspace_crates();
    let mut problems = Vec::new();
    for krate in &workspace {
        if !RULES.iter().any(|r| r.krate == krate) {
            problems.push(format!(
                "crate {krate} has no row in tests/layering.rs RULES: say which workspace crates it may depend on \
                 (and add a line to ARCHITECTURE.md, \"Crates and what each may depend on\")"
            ));
        }
    }
    for rule in RULES {
        if !workspace.contains(rule.krate) {
            problems.push(format!("RULES names {}, which is not a workspace crate", rule.krate));
            continue;
        }
        problems.extend(check_rule(rule, &dependency_graph(rule.krate, rule.args), &workspace));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

#[test]
fn the_default_build_has_the_simulator_and_the_bench() {
    // The entry points `demo`, `sim`, `fastforward` and `bench` (feature `simulator`, on by
    // default) bring them; this shows the production row above could see them if they leaked.
    let graph = dependency_graph("driftvakt", &[]);
    for krate in ["driftvakt-sim", "driftvakt-bench"] {
        assert!(graph.contains(krate), "{krate} missing from the default graph of driftvakt: {graph:?}");
    }
}

#[test]
fn the_crate_check_names_a_forbidden_dependency() {
    let workspace: BTreeSet<String> = RULES.iter().map(|r| r.krate.to_string()).collect();
    let domain = &RULES[1];
    let graph: BTreeSet<String> = ["driftvakt-domain", "driftvakt-config", "serde", "tokio-util"].map(String::from).into();
    let problems = check_rule(domain, &graph, &workspace);
    assert!(problems.len() == 1 && problems[0].contains("\"tokio-util\""), "{problems:?}");
    let production = RULES.iter().find(|r| r.krate == "driftvakt").expect("a row for the binary");
    let graph: BTreeSet<String> = ["driftvakt", "driftvakt-store", "driftvakt-sim"].map(String::from).into();
    let problems = check_rule(production, &graph, &workspace);
    assert!(problems.len() == 1 && problems[0].contains("\"driftvakt-sim\""), "{problems:?}");
}

// ---------------------------------------------------------------------------------------------
// Files

/// Circles that are known and being removed elsewhere, as their files relative to the workspace
/// root (for circles of modules: the modules' own files); a circle of exactly these files is
/// tolerated and printed. An entry that matches no circle fails the test: remove it.
const KNOWN_CIRCLES: &[&[&str]] = &[];

/// The root file of every library and binary target of the workspace, with its crate's name.
fn target_roots() -> Vec<(String, PathBuf)> {
    let meta = metadata();
    let mut roots = Vec::new();
    for p in meta["packages"].as_array().expect("packages") {
        let name = p["name"].as_str().expect("package name");
        for t in p["targets"].as_array().expect("targets") {
            let kinds: Vec<&str> = t["kind"].as_array().expect("kind").iter().filter_map(|k| k.as_str()).collect();
            if kinds.iter().any(|k| matches!(*k, "lib" | "rlib" | "bin" | "proc-macro")) {
                roots.push((name.to_string(), PathBuf::from(t["src_path"].as_str().expect("src_path"))));
            }
        }
    }
    roots.sort();
    roots
}

/// A path relative to `root`, as text.
fn rel(root: &Path, p: &Path) -> String {
    p.strip_prefix(root).unwrap_or(p).display().to_string()
}

/// One circle, described: its nodes and, for each import in it, where it is written.
fn describe(root: &Path, krate: &str, nodes: &[PathBuf], edges: &[modgraph::Edge]) -> String {
    let names: Vec<String> = nodes.iter().map(|f| rel(root, f)).collect();
    let mut s = format!("circle in {krate}: {}", names.join(" <-> "));
    for e in edges {
        s += &format!("\n    {}:{} uses {} (-> {})", rel(root, &e.file), e.line, e.path, rel(root, &e.to));
    }
    s
}

/// Every circle of every workspace target in the graph `level` makes of it (files, or top-level
/// modules), less the known ones; fails naming them, and known entries that match no circle.
fn assert_no_circles(what: &str, level: impl Fn(modgraph::Graph) -> modgraph::Graph) {
    let root = workspace_root();
    let roots = target_roots();
    assert!(roots.len() >= 6, "cargo metadata listed too few targets: {roots:?}");
    let known: Vec<BTreeSet<String>> = KNOWN_CIRCLES.iter().map(|k| k.iter().map(|s| s.to_string()).collect()).collect();
    let (mut circles, mut nodes) = (Vec::new(), 0);
    for (krate, file) in &roots {
        let graph = level(modgraph::read(file));
        nodes += graph.files.len();
        for (members, edges) in graph.circles() {
            let names: BTreeSet<String> = members.iter().map(|f| rel(&root, f)).collect();
            if known.contains(&names) {
                eprintln!("known circle, tolerated: {}", describe(&root, krate, &members, &edges));
            } else {
                circles.push(describe(&root, krate, &members, &edges));
            }
        }
    }
    assert!(
        circles.is_empty(),
        "{what} import each other in a circle ({} targets, {nodes} {what}); move what both need into a \
         file of its own, or turn one import around:\n{}",
        roots.len(),
        circles.join("\n")
    );
}

#[test]
fn no_two_source_files_import_each_other_in_a_circle() {
    assert_no_circles("source files", |g| g);
}

#[test]
fn no_two_top_level_modules_import_each_other_in_a_circle() {
    assert_no_circles("top-level modules", |g| g.modules());
}

#[test]
fn every_known_circle_is_still_a_circle() {
    let root = workspace_root();
    let mut found = BTreeSet::new();
    for (_, file) in target_roots() {
        let files = modgraph::read(&file);
        for graph in [files.modules(), files] {
            for (members, _) in graph.circles() {
                found.insert(members.iter().map(|f| rel(&root, f)).collect::<BTreeSet<String>>());
            }
        }
    }
    let stale: Vec<&&[&str]> =
        KNOWN_CIRCLES.iter().filter(|k| !found.contains(&k.iter().map(|s| s.to_string()).collect())).collect();
    assert!(stale.is_empty(), "KNOWN_CIRCLES entries that are no circle any more (remove them from tests/layering.rs): {stale:?}");
}

#[test]
fn the_circle_checks_see_circles_through_reexports_children_and_super() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let write = |p: &str, s: &str| {
        let p = dir.path().join(p);
        std::fs::create_dir_all(p.parent().expect("a parent")).expect("mkdir");
        std::fs::write(p, s).expect("write");
    };
    // a -> b through lib.rs's re-export, b -> a through `super`.
    write("src/a.rs", "use crate::Thing;\npub fn g() {}\n");
    write("src/b.rs", "pub struct Thing;\nfn f() { super::a::g() }\n");
    // c -> d; d's test module, a string and a comment naming c make no edge.
    write(
        "src/d.rs",
        "pub struct X;\n// crate::c::Y\nconst S: &str = \"crate::c::Y\";\nconst C: char = '{';\n\
         #[cfg(test)]\nmod tests {\n    use crate::c::*;\n}\n",
    );
    // f/mod.rs -> f/g.rs through a child path, f/g.rs -> f/mod.rs through `super`.
    write("src/f/mod.rs", "mod g;\npub fn h() { g::k() }\n");
    write("src/f/g.rs", "use super::h;\npub fn k() {}\n");
    // Two top-level modules, no two files: c -> e through c's child c/h.rs, e -> c.rs.
    write("src/lib.rs", "mod a;\npub mod b;\nmod c;\nmod d;\npub mod e;\npub mod f;\npub use b::Thing;\n");
    write("src/c.rs", "use crate::d::{self, X};\nmod h;\npub fn m() {}\n");
    write("src/c/h.rs", "pub fn i() { crate::e::j() }\n");
    write("src/e.rs", "pub fn j() {}\nfn k() { super::c::m() }\n");
    let graph = modgraph::read(&dir.path().join("src/lib.rs"));
    let names = |g: &modgraph::Graph| -> Vec<Vec<String>> {
        g.circles().into_iter().map(|(files, _)| files.iter().map(|f| rel(&dir.path().join("src"), f)).collect()).collect()
    };
    let files: Vec<Vec<&str>> = vec![vec!["a.rs", "b.rs"], vec!["f/g.rs", "f/mod.rs"]];
    assert_eq!(names(&graph), files, "{graph:#?}");
    let modules: Vec<Vec<&str>> = vec![vec!["a.rs", "b.rs"], vec!["c.rs", "e.rs"]];
    assert_eq!(names(&graph.modules()), modules, "{graph:#?}");
}
