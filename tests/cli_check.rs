//! End to end: `driftvakt check` reports every mistake of a file in one run, each with
//! file:line:column, and accepts every shipped example.

mod support;

use std::path::Path;
use std::process::Command;

use support::{daemon_bin, repo_root};

fn check(args: &[&str], files: &[&Path]) -> (i32, String, String) {
    let out = Command::new(daemon_bin()).arg("check").args(args).args(files).output().expect("run driftvakt check");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn every_shipped_example_passes_check_even_with_deny_warnings() {
    let dir = repo_root().join("config/examples");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("config/examples")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 3, "expected the example configurations in {}", dir.display());
    let refs: Vec<&Path> = files.iter().map(|p| p.as_path()).collect();
    let (code, stdout, stderr) = check(&["--deny-warnings"], &refs);
    assert_eq!(code, 0, "check rejected an example:\n{stdout}\n{stderr}");
    for f in &files {
        let name = f.display().to_string();
        assert!(stdout.contains(&format!("{name}: OK")), "no OK line for {name}:\n{stdout}");
    }
}

const BROKEN: &str = r#"[site]
id = "s"
name = "Sjukhus"

[[connections]]
id = "gw"
host = "127.0.0.1"

[[devices]]
id = "g1"
connection = "gw"
unit_id = 1
system = "reservkraft"
template = "no_such_template"

[[devices.points]]
id = "fuel"
table = "holding"
adress = 1027
address = 1027
type = "u16"
unit = "%"

[[devices.points]]
id = "fuel"
table = "holding"
address = 1028
type = "u16"
unit = "%"

[[devices.points]]
id = "power"
table = "holding"
address = 65535
type = "u32"
unit = "W"

[[devices.points]]
id = "kw"
table = "holding"
address = 100
type = "f32"
order = "ABDC"
unit = "kW"
"#;

#[test]
fn a_config_with_five_mistakes_yields_all_five_with_line_and_column_and_fails() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("broken.toml");
    std::fs::write(&file, BROKEN).expect("write config");
    let (code, _stdout, stderr) = check(&[], &[&file]);
    assert_ne!(code, 0, "check must fail on a broken config:\n{stderr}");
    let f = file.display().to_string();
    let expected = [
        (14, 12, "no_such_template"),        // unknown template
        (19, 1, "adress"),                   // unknown key
        (25, 6, "fuel"),                     // duplicate point id
        (34, 11, "65535"),                   // address out of range (u32 needs 65535..65536)
        (43, 9, "ABDC"),                     // bad word order
    ];
    for (line, col, word) in expected {
        let prefix = format!("{f}:{line}:{col}: error:");
        assert!(
            stderr.lines().any(|l| l.starts_with(&prefix) && l.contains(word)),
            "missing diagnostic `{prefix} …{word}…` in:\n{stderr}"
        );
    }
    assert!(stderr.contains("5 error(s)"), "expected exactly five errors:\n{stderr}");
}

#[test]
fn warnings_pass_unless_denied() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("warn.toml");
    // An analog point without a unit is a warning, not an error.
    std::fs::write(
        &file,
        "[site]\nid = \"s\"\nname = \"S\"\n[[connections]]\nid = \"gw\"\nhost = \"h\"\n[[devices]]\nid = \"d\"\n\
         connection = \"gw\"\nunit_id = 1\nsystem = \"vatten\"\n[[devices.points]]\nid = \"p\"\ntable = \"input\"\n\
         address = 0\ntype = \"u16\"\n",
    )
    .expect("write");
    let (code, _, stderr) = check(&[], &[&file]);
    assert_eq!(code, 0, "a warning alone must not fail check:\n{stderr}");
    assert!(stderr.contains(": warning:"), "the warning must be shown:\n{stderr}");
    let (code, _, stderr) = check(&["--deny-warnings"], &[&file]);
    assert_ne!(code, 0, "--deny-warnings must make the warning fatal:\n{stderr}");
}

#[test]
fn an_smtp_password_over_plain_smtp_fails_check_unless_the_relay_is_trusted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("smtp.toml");
    let text = "[site]\nid = \"s\"\nname = \"S\"\n[notify.email]\nhost = \"smtp.sjukhus.se\"\nsecurity = \"none\"\n\
                from = \"driftvakt@sjukhus.se\"\nusername = \"driftvakt\"\npassword = { env = \"SMTP_PASSWORD\" }\n";
    std::fs::write(&file, text).expect("write");
    let (code, _, stderr) = check(&[], &[&file]);
    assert_eq!(code, 1, "a password over plain SMTP must fail check:\n{stderr}");
    let prefix = format!("{}:6:12: error:", file.display());
    assert!(
        stderr.lines().any(|l| l.starts_with(&prefix) && l.contains("clear text") && l.contains("trusted_relay")),
        "missing `{prefix} … clear text … trusted_relay` in:\n{stderr}"
    );
    std::fs::write(&file, text.replace("security = \"none\"\n", "security = \"none\"\ntrusted_relay = true\n")).expect("write");
    let (code, stdout, stderr) = check(&[], &[&file]);
    assert_eq!(code, 0, "trusted_relay = true must allow it:\n{stdout}\n{stderr}");
}
