//! End to end: `driftvakt demo` — the first command a new user runs — shows live values of every
//! simulated system within 10 s, in Swedish (or English), and exits 0 by itself with `--for`.

mod support;

use std::process::Command;

use support::daemon_bin;

/// Runs the demo and returns its stdout.
fn demo(args: &[&str]) -> String {
    let out = Command::new(daemon_bin()).arg("demo").args(args).output().expect("run driftvakt demo");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "demo exited with {}:\n{stdout}\n{}", out.status, String::from_utf8_lossy(&out.stderr));
    stdout
}

/// Status blocks: (seconds since start, lines).
fn blocks(stdout: &str) -> Vec<(u64, Vec<&str>)> {
    let mut out: Vec<(u64, Vec<&str>)> = Vec::new();
    for line in stdout.lines() {
        if let Some(rest) = line.strip_prefix("--- ") {
            let secs = rest.split('(').nth(1).and_then(|s| s.split(' ').next()).and_then(|s| s.parse().ok()).expect("elapsed seconds");
            out.push((secs, Vec::new()));
        } else if let Some((_, lines)) = out.last_mut() {
            lines.push(line);
        }
    }
    out
}

fn complete(lines: &[&str], systems: &[&str]) -> bool {
    systems.iter().all(|s| {
        lines.iter().any(|l| l.starts_with(&format!("{s}: ")) && !l.contains("väntar") && !l.contains("waiting") && !l.contains('⚠'))
    })
}

#[test]
fn demo_shows_every_system_live_within_ten_seconds_and_exits_by_itself() {
    let stdout = demo(&["--scenario", "normal", "--for", "10s"]);
    let systems = ["Reservkraft", "Vatten", "Värme", "Ventilation"];
    let first = blocks(&stdout).into_iter().find(|(_, lines)| complete(lines, &systems));
    let (secs, lines) = first.unwrap_or_else(|| panic!("no status block showed live values of every system:\n{stdout}"));
    assert!(secs <= 10, "every system had values only after {secs} s:\n{stdout}");
    let reserve = lines.iter().find(|l| l.starts_with("Reservkraft: ")).expect("reserve power line");
    for part in ["nät OK", "G1 stopp", "diesel ", " l"] {
        assert!(reserve.contains(part), "reserve-power line lacks `{part}`: {reserve}");
    }
    assert!(stdout.contains("0 skrivningar mot anläggningen"), "demo must confirm no writes reached the plant:\n{stdout}");
}

#[test]
fn demo_speaks_english_on_request_and_shows_the_blackout() {
    let stdout = demo(&["--scenario", "blackout", "--speed", "20", "--for", "6s", "--lang", "en"]);
    let all = blocks(&stdout);
    assert!(
        all.iter().any(|(_, lines)| complete(lines, &["Reserve power", "Water", "Heating", "Ventilation"])),
        "no complete English status block:\n{stdout}"
    );
    // Mains are lost at 20 simulated seconds (1 s real at ×20): the reserve line must show it.
    assert!(
        all.iter().flat_map(|(_, l)| l).any(|l| l.starts_with("Reserve power: ") && l.contains("nät BORTA")),
        "the blackout never showed on the status line:\n{stdout}"
    );
    assert!(stdout.contains("0 writes to the plant"), "{stdout}");
}
