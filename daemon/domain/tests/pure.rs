//! The domain crate stays pure: its normal (non-dev) dependency graph holds no async runtime,
//! no database and no network or HTTP crate. Fails as soon as one is added, directly or through
//! another crate.

use std::process::Command;

/// Crates (or name prefixes ending in `-`/`*`) that mean I/O: runtime, database, network, HTTP.
const FORBIDDEN: &[&str] = &[
    "tokio*", "mio", "socket2", "rusqlite", "libsqlite3-sys", "reqwest", "hyper*", "axum*", "tower*", "http",
    "h2", "lettre", "rumqttc", "influxdb2", "rustls*", "ring", "tokio-modbus",
];

fn forbidden(name: &str) -> bool {
    FORBIDDEN.iter().any(|f| match f.strip_suffix('*') {
        Some(prefix) => name.starts_with(prefix),
        None => name == *f,
    })
}

#[test]
fn the_domain_crate_depends_on_no_runtime_database_or_network_crate() {
    let out = Command::new(env!("CARGO"))
        .args(["tree", "-p", "driftvakt-domain", "-e", "normal", "--prefix", "none", "--format", "{p}", "--offline"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "cargo tree failed: {}", String::from_utf8_lossy(&out.stderr));
    let names: Vec<&str> = stdout.lines().filter_map(|l| l.split_whitespace().next()).collect();
    assert!(names.contains(&"driftvakt-domain"), "cargo tree listed the crate itself: {stdout}");
    let bad: Vec<&str> = names.iter().copied().filter(|n| forbidden(n)).collect();
    assert!(bad.is_empty(), "driftvakt-domain must stay pure (no I/O crates), but depends on {bad:?}:\n{stdout}");
}
