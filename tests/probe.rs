//! End to end: `driftvakt probe` against an independent Modbus device (pymodbus) prints the raw
//! registers with every plausible decoding, and names the exception and the likely address mix-up.

mod support;

use std::process::Command;

use support::{PyPeer, daemon_bin};

fn probe(port: u16, args: &[&str]) -> (i32, String) {
    let out = Command::new(daemon_bin())
        .args(["probe", "--host", "127.0.0.1", "--port", &port.to_string(), "--unit", "1"])
        .args(args)
        .output()
        .expect("run driftvakt probe");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn probe_prints_every_decoding_of_a_gencomm_voltage() {
    let peer = PyPeer::start("pymodbus_server.py", &["--port", "0"]);
    // GenComm 4/8: L1-N voltage, u32 0.1 V, high word first; the peer serves 2301 (230.1 V).
    let (code, text) = probe(peer.port, &["--address", "1032", "--count", "2"]);
    assert_eq!(code, 0, "{text}");
    let line = text.lines().find(|l| l.contains("u32") && l.contains("ABCD")).unwrap_or_else(|| panic!("no u32 ABCD line:\n{text}"));
    assert!(line.trim_end().ends_with("2301"), "u32 ABCD should decode to 2301: {line}");
    for order in ["CDAB", "BADC", "DCBA"] {
        assert!(text.lines().any(|l| l.contains("f32") && l.contains(order)), "no f32 {order} line:\n{text}");
    }
}

#[test]
fn probe_of_a_missing_register_names_exception_2_and_hints_at_the_address_base() {
    let peer = PyPeer::start("pymodbus_server.py", &["--port", "0"]);
    let (code, text) = probe(peer.port, &["--address", "1300", "--count", "1"]);
    assert_ne!(code, 0, "{text}");
    assert!(text.contains("exception 2") && text.contains("illegal data address"), "{text}");
    assert!(text.contains("1-based") || text.contains("address_base"), "no address-base hint:\n{text}");
}
