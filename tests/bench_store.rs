//! End to end: `driftvakt bench --only store` prints its figures (write rate, bytes per reading
//! kept and written, peak RSS, query times) as numbers, with every offered reading committed.
//! Small (`--store-seconds 2`); the figures' size is not asserted, only that they are there.

mod support;

use std::process::{Command, Stdio};

use support::daemon_bin;

/// The number right after `label` in the line containing `label`, decimal separators as printed.
fn figure(out: &str, label: &str) -> f64 {
    let line = out.lines().find(|l| l.contains(label)).unwrap_or_else(|| panic!("no line with {label:?} in:\n{out}"));
    let rest = &line[line.find(label).map_or(0, |i| i + label.len())..];
    let number: String = rest.trim_start().chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
    number.parse().unwrap_or_else(|_| panic!("no number after {label:?} in line {line:?}"))
}

#[test]
fn the_store_bench_prints_every_figure_as_a_number() {
    let out = Command::new(daemon_bin())
        .args(["bench", "--only", "store", "--store-seconds", "2"])
        .stdin(Stdio::null())
        .output()
        .expect("run driftvakt bench");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "bench failed: {}\n{stdout}\n{}", out.status, String::from_utf8_lossy(&out.stderr));

    assert!(stdout.contains("committed: 20000 of 20000 readings"), "not every reading committed:\n{stdout}");
    assert!(figure(&stdout, "20000 of 20000 readings in") > 0.0, "seconds");
    assert!(figure(&stdout, "write rate:") > 0.0, "readings/s");
    assert!(figure(&stdout, "on disk after finish:") > 0.0, "bytes per reading on disk");
    figure(&stdout, "write_bytes");
    figure(&stdout, "wchar");
    assert!(figure(&stdout, "(VmHWM):") > 0.0, "peak RSS");
    figure(&stdout, "raw (Store::readings):");
    assert_eq!(figure(&stdout, "24 h at 1 s ("), 86_400.0, "readings exported");
    figure(&stdout, "bytes):");
}
