//! Mangled configurations give diagnostics, never a panic.

use driftvakt_config::parse_str;

fn example() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/gencomm-genset.toml"
    ))
    .expect("example exists")
}

#[test]
fn every_truncation_of_an_example_is_handled() {
    let src = example();
    let lines: Vec<&str> = src.lines().collect();
    for n in 0..lines.len() {
        let cut = lines[..n].join("\n");
        let loaded = parse_str(&cut, "cut.toml");
        assert_eq!(loaded.config.is_some(), !loaded.has_errors());
    }
}

#[test]
fn every_value_replaced_by_odd_values_is_handled() {
    let src = example();
    let lines: Vec<&str> = src.lines().collect();
    let odd = [
        "-1",
        "65536",
        "9223372036854775807",
        "\"\"",
        "\"x\"",
        "1.5",
        "true",
        "{}",
        "[1, \"a\"]",
    ];
    // Each key once per table kind is enough (and keeps the debug-build test fast).
    let mut seen = std::collections::HashSet::new();
    let mut table = "";
    for (i, line) in lines.iter().enumerate() {
        if line.starts_with('[') {
            table = line;
        }
        let Some((key, _)) = line.split_once(" = ") else {
            continue;
        };
        if key.starts_with('#') || !seen.insert((table, key)) {
            continue;
        }
        for value in odd {
            let mut changed = lines.clone();
            let replaced = format!("{key} = {value}");
            changed[i] = &replaced;
            let loaded = parse_str(&changed.join("\n"), "odd.toml");
            assert_eq!(
                loaded.config.is_some(),
                !loaded.has_errors(),
                "line {} = {value}",
                i + 1
            );
            for d in &loaded.diagnostics {
                assert!(d.line >= 1 && d.column >= 1, "{d}");
            }
        }
    }
}
