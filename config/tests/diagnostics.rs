//! Bad configurations: every problem comes out in one run, each at its line:column.

use driftvakt_config::{Diagnostic, Loaded, Severity, parse_str};

/// The one diagnostic at `line:column`, whose message contains `needle`.
fn at<'a>(loaded: &'a Loaded, line: usize, column: usize, needle: &str) -> &'a Diagnostic {
    let found: Vec<&Diagnostic> = loaded
        .diagnostics
        .iter()
        .filter(|d| d.line == line && d.column == column && d.message.contains(needle))
        .collect();
    assert_eq!(
        found.len(),
        1,
        "no single diagnostic at {line}:{column} containing {needle:?}; got:\n{}",
        dump(loaded)
    );
    found[0]
}

fn dump(loaded: &Loaded) -> String {
    loaded
        .diagnostics
        .iter()
        .map(|d| format!("  {d}\n"))
        .collect()
}

const SIX_ERRORS: &str = r#"[site]
id = "s"
name = "S"

[[connections]]
id = "c1"
host = "127.0.0.1"
address_base = 1

[[templates]]
id = "t1"
system = "el"

[[templates.points]]
id = "p"
table = "holding"
address = 10
type = "u16"
unit = "V"

[[devices]]
id = "d1"
connection = "c1"
unit_id = 1
template = "t1"

[[devices.points]]
id = "p"
table = "holding"
adress = 5
address = 6
type = "u32"
order = "ABDC"
unit = "A"

[[devices.points]]
id = "q"
table = "holding"
address = 0
type = "u16"
unit = "A"

[[devices]]
id = "d2"
connection = "c9"
unit_id = 2
template = "t_missing"
system = "el"
"#;

#[test]
fn six_different_errors_come_out_in_one_run() {
    let loaded = parse_str(SIX_ERRORS, "site.toml");
    assert!(loaded.config.is_none());

    let unknown = at(&loaded, 30, 1, "unknown key `adress`");
    assert!(
        unknown.message.contains("did you mean `address`?"),
        "{unknown}"
    );
    assert_eq!(unknown.context, "device d1, point p");
    assert_eq!(
        unknown.to_string().split(';').next(),
        Some(
            "site.toml:30:1: error: device d1, point p: unknown key `adress` (did you mean `address`?)"
        )
    );

    // Duplicate point id: the device's own `p` collides with the template's `p` (line 15).
    let dup = at(&loaded, 28, 6, "duplicate point id `p`");
    assert!(dup.message.contains("line 15"), "{dup}");

    // Bad word order at the value.
    at(&loaded, 33, 9, "unknown word order `ABDC`");

    // Address 0 is below address_base 1.
    let low = at(&loaded, 39, 11, "below address_base 1");
    assert_eq!(low.context, "device d1, point q");

    // Unknown connection and unknown template at their values.
    at(&loaded, 45, 14, "unknown connection `c9`");
    at(&loaded, 47, 12, "unknown template `t_missing`");

    assert_eq!(
        loaded.errors().count(),
        6,
        "exactly the six planted errors:\n{}",
        dump(&loaded)
    );
    assert!(
        loaded
            .diagnostics
            .windows(2)
            .all(|w| (w[0].line, w[0].column) <= (w[1].line, w[1].column))
    );
}

/// A file with one more instance of nearly every kind of mistake.
const MANY_ERRORS: &str = r#"colour = "blue"
[site]
id = "Bad Id"
name = "S"
zone = 1

[store]
raw_retention_days = "thirty"

[[connections]]
id = "c1"
host = "h"
framing = "udp"
timeout_ms = 0
max_registers_per_read = 126
max_bits_per_read = 0
address_base = 2
[connections.workarounds]
single_register_reads = "yes"
nagle = true

[[connections]]
id = "c1"
host = "h2"
max_bits_per_read = 2001

[[templates]]
id = "t"
system = "elektricitet"
point = 1

[[templates.points]]
id = "s"
table = "holding"
address = 0
type = "string"

[[devices]]
id = "d"
connection = "c1"
unit_id = 248
poll_interval_ms = 0
sytem = "el"

[[devices.points]]
id = "a"
table = "coil"
address = 1
type = "bit"
bit = 3

[[devices.points]]
id = "b"
table = "discrete_input"
address = 2
type = "u16"
unit = "V"
system = "el"

[[devices.points]]
id = "c"
table = "holding"
address = 3
type = "bit"
bit = 16
system = "el"

[[devices.points]]
id = "e"
table = "holding"
address = 4
type = "u16"
bit = 2
unit = "V"
system = "el"

[[devices.points]]
id = "f"
table = "input"
address = 5
type = "float"
system = "el"

[[devices.points]]
id = "g"
table = "input"
address = 65535
type = "u32"
unit = "V"
sentinels = [{ raw = 1, meaning = "broken" }]
system = "el"

[[devices.points]]
table = "register"
address = "10"

[[devices]]
id = "d"
connection = "c1"
unit_id = 0
"#;

#[test]
fn every_kind_of_mistake_is_reported_at_its_place() {
    let loaded = parse_str(MANY_ERRORS, "many.toml");
    assert!(loaded.config.is_none());
    let expected: &[(usize, usize, &str)] = &[
        (1, 1, "unknown key `colour`"),
        (3, 6, "site id `Bad Id`"),
        (5, 1, "unknown key `zone`"),
        (
            8,
            22,
            "`raw_retention_days` must be an integer, found string",
        ),
        (13, 11, "unknown framing `udp`"),
        (14, 14, "`timeout_ms` must be in 1..="),
        (
            15,
            26,
            "`max_registers_per_read` must be in 1..=125, found 126",
        ),
        (16, 21, "`max_bits_per_read` must be in 1..=2000, found 0"),
        (17, 16, "`address_base` must be in 0..=1, found 2"),
        (19, 25, "must be true or false"),
        (20, 1, "unknown key `nagle`"),
        (23, 6, "duplicate connection id `c1`"),
        (
            25,
            21,
            "`max_bits_per_read` must be in 1..=2000, found 2001",
        ),
        (29, 10, "unknown system `elektricitet`"),
        (30, 1, "unknown key `point`"),
        (36, 8, "type \"string\" needs `registers"),
        (41, 11, "`unit_id` must be in 1..=247 or 255, found 248"),
        (42, 20, "`poll_interval_ms` must be in 1..="),
        (43, 1, "unknown key `sytem` (did you mean `system`?)"),
        (46, 6, "no `system` given"),
        (49, 8, "type \"bit\" selects a bit of a register"),
        (
            56,
            8,
            "a discrete_input holds one bit: type must be \"bool\", found \"u16\"",
        ),
        (65, 7, "`bit` must be in 0..=15, found 16"),
        (73, 1, "`bit` is only allowed with type = \"bit\""),
        (81, 8, "unknown type `float`"),
        (87, 11, "address 65535 with 2 register(s) ends at 65536"),
        (90, 35, "unknown sentinel meaning `broken`"),
        (93, 1, "missing required key `id`"),
        (93, 1, "missing required key `type`"),
        (94, 9, "unknown table `register`"),
        (95, 11, "`address` must be an integer, found string"),
        (98, 6, "duplicate device id `d`"),
        (100, 11, "`unit_id` must be in 1..=247 or 255, found 0"),
    ];
    for (line, column, needle) in expected {
        at(&loaded, *line, *column, needle);
    }
    assert_eq!(
        loaded.errors().count(),
        expected.len(),
        "no unexpected errors:\n{}",
        dump(&loaded)
    );
}

#[test]
fn toml_syntax_error_is_one_fatal_diagnostic_at_its_place() {
    let loaded = parse_str("[site]\nid = \"s\"\nname = S\n", "bad.toml");
    assert!(loaded.config.is_none());
    assert_eq!(loaded.diagnostics.len(), 1, "{}", dump(&loaded));
    let d = &loaded.diagnostics[0];
    assert_eq!((d.line, d.column, d.severity), (3, 8, Severity::Error));
    assert!(d.message.starts_with("TOML syntax error"), "{d}");
}

#[test]
fn missing_site_is_reported_at_the_top() {
    let loaded = parse_str("", "empty.toml");
    let d = at(&loaded, 1, 1, "missing required table `[site]`");
    assert_eq!(d.severity, Severity::Error);
}

const WARNINGS: &str = r#"[site]
id = "s"
name = "S"

[[connections]]
id = "used"
host = "h"
timeout_ms = 2000

[[connections]]
id = "idle"
host = "h"

[[templates]]
id = "unused"
system = "el"

[[devices]]
id = "d"
connection = "used"
unit_id = 1
poll_interval_ms = 1000
system = "el"

[[devices.points]]
id = "power"
table = "holding"
address = 10
type = "u32"
unit = "kW"

[[devices.points]]
id = "low_word"
table = "holding"
address = 11
type = "u16"

[[devices.points]]
id = "status_bit_0"
table = "holding"
address = 20
type = "bit"
bit = 0

[[devices.points]]
id = "status_bit_1"
table = "holding"
address = 20
type = "bit"
bit = 1

[[devices.points]]
id = "temp"
table = "input"
address = 0
type = "f32"
unit = "°C"
sentinels = "gencomm"
"#;

#[test]
fn warnings_are_separate_and_do_not_block_the_config() {
    let loaded = parse_str(WARNINGS, "w.toml");
    assert_eq!(loaded.errors().count(), 0, "{}", dump(&loaded));
    assert!(loaded.config.is_some());
    for d in loaded.warnings() {
        assert!(d.to_string().contains(": warning: "), "{d}");
    }
    at(&loaded, 11, 6, "connection has no devices");
    at(&loaded, 15, 6, "template is never used");
    at(
        &loaded,
        22,
        20,
        "poll interval 1000 ms is shorter than the timeout 2000 ms",
    );
    at(&loaded, 33, 6, "analog point has no `unit`");
    let overlap = at(&loaded, 33, 6, "overlap `d.power` (read as u32 at 10)");
    assert_eq!(overlap.context, "device d, point low_word");
    at(
        &loaded,
        58,
        13,
        "GenComm sentinels are defined for integer types only",
    );
    // Bits 0 and 1 of one register are not an overlap.
    assert_eq!(loaded.warnings().count(), 6, "{}", dump(&loaded));
}

const NEGATIVE_RATES: &str = r#"[site]
id = "s"
name = "S"

[[connections]]
id = "c"
host = "h"

[[devices]]
id = "tank"
connection = "c"
unit_id = 1
system = "reservkraft"

[[devices.points]]
id = "level"
table = "input"
address = 0
type = "u16"
unit = "l"

[[devices.points.alarms]]
id = "falling"
kind = "rate"
falling_per_h = -1
class = "B"
text = "Nivån sjunker"

[[devices.points.alarms]]
id = "rising"
kind = "rate"
rising_per_h = -2.5
class = "B"
text = "Nivån stiger"
"#;

#[test]
fn a_negative_rate_is_an_error_not_a_silently_dropped_sign() {
    let loaded = parse_str(NEGATIVE_RATES, "rates.toml");
    assert!(loaded.config.is_none(), "{}", dump(&loaded));
    let d = at(
        &loaded,
        25,
        17,
        "`falling_per_h` is a speed and must not be negative",
    );
    assert_eq!(d.severity, Severity::Error);
    assert_eq!(d.context, "device tank, point level, alarm #1");
    assert!(d.message.contains("write `falling_per_h = 1`"), "{d}");
    at(&loaded, 32, 16, "write `rising_per_h = 2.5`");
    assert_eq!(loaded.errors().count(), 2, "{}", dump(&loaded));
}

#[test]
fn a_secret_file_that_cannot_hold_a_secret_is_an_error_at_its_place() {
    let dir = tempfile::tempdir().expect("tempdir");
    let empty = dir.path().join("empty.token");
    std::fs::write(&empty, "\n").expect("write");
    let src = format!(
        "[site]\nid = \"s\"\nname = \"S\"\n\n[[sinks.influxdb]]\nid = \"zero\"\nurl = \"http://127.0.0.1:8428\"\n\
         org = \"o\"\nbucket = \"b\"\ntoken = {{ file = \"/dev/zero\" }}\n\n[[sinks.influxdb]]\nid = \"empty\"\n\
         url = \"http://127.0.0.1:8086\"\napi = \"v1\"\ndatabase = \"d\"\nusername = \"u\"\npassword = {{ file = {:?} }}\n",
        empty.display().to_string()
    );
    let loaded = parse_str(&src, "secrets.toml");
    assert!(loaded.config.is_none(), "{}", dump(&loaded));
    let d = at(
        &loaded,
        10,
        9,
        "`token`: secret file /dev/zero is a character device, not a regular file",
    );
    assert_eq!(d.context, "sink zero");
    at(&loaded, 18, 12, "`password`: secret file");
    at(&loaded, 18, 12, "is empty");
    assert_eq!(loaded.errors().count(), 2, "{}", dump(&loaded));
}

const CLEAR_TEXT_SMTP: &str = r#"[site]
id = "s"
name = "S"

[notify.email]
host = "smtp.sjukhus.se"
security = "none"
from = "driftvakt@sjukhus.se"
username = "driftvakt"
password = { env = "SMTP_PASSWORD" }
"#;

#[test]
fn an_smtp_password_without_tls_is_an_error_unless_the_relay_is_declared_trusted() {
    let loaded = parse_str(CLEAR_TEXT_SMTP, "smtp.toml");
    assert!(loaded.config.is_none(), "{}", dump(&loaded));
    let d = at(&loaded, 7, 12, "sends the password in clear text");
    assert_eq!(d.severity, Severity::Error);
    assert!(d.message.contains("trusted_relay = true") && d.message.contains("starttls"), "{d}");

    let trusted = CLEAR_TEXT_SMTP.replace("security = \"none\"\n", "security = \"none\"\ntrusted_relay = true\n");
    let loaded = parse_str(&trusted, "smtp.toml");
    assert_eq!(loaded.errors().count(), 0, "{}", dump(&loaded));

    // Without credentials plain SMTP stays fine (a local relay), and TLS with them too.
    let anonymous = CLEAR_TEXT_SMTP.replace("username = \"driftvakt\"\npassword = { env = \"SMTP_PASSWORD\" }\n", "");
    assert_eq!(parse_str(&anonymous, "smtp.toml").errors().count(), 0);
    let tls = CLEAR_TEXT_SMTP.replace("\"none\"", "\"starttls\"");
    assert_eq!(parse_str(&tls, "smtp.toml").errors().count(), 0);
}
