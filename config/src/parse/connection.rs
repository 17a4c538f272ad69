//! `[[connections]]`.

use std::time::Duration;

use crate::keys;
use crate::model::{Connection, Framing, Workarounds};
use crate::parse::common::{FirstSeen, IdChars, Section, Span, Walker, by_id, list};

/// A connection together with the places later checks point at.
#[derive(Debug, Clone)]
pub(crate) struct ConnSpec {
    /// The validated connection.
    pub conn: Connection,
    /// Where its id is written.
    pub id_span: Span,
}

/// Read every `[[connections]]`; duplicates are reported and dropped.
pub(crate) fn connections(w: &mut Walker<'_>, root: &Section<'_, '_>) -> Vec<ConnSpec> {
    let sections = w.get_tables(root, "connections", by_id("connection"));
    let mut seen = FirstSeen::default();
    let mut out = Vec::new();
    for s in &sections {
        let Some(c) = connection(w, s) else { continue };
        if seen.claim(w, "connection", &c.conn.id, &c.id_span, &s.context) {
            out.push(c);
        }
    }
    out
}

fn connection(w: &mut Walker<'_>, s: &Section<'_, '_>) -> Option<ConnSpec> {
    w.expect_keys(s, keys::CONNECTION);
    let ctx = s.context.as_str();
    let id = w.req_str(s, "id");
    if let Some(id) = &id {
        w.check_id(ctx, "connection", id, IdChars::Ref);
    }
    let host = w.req_str(s, "host");
    let port = w.u16_or(s, "port", 1..=u16::MAX, 502);
    let framing = match w.get_str(s, "framing") {
        None => Some(Framing::Tcp),
        Some(f) => match f.value.as_str() {
            "tcp" => Some(Framing::Tcp),
            "rtu_over_tcp" => Some(Framing::RtuOverTcp),
            other => {
                w.error(
                    &f.span,
                    ctx,
                    format!(
                        "unknown framing `{other}`; expected one of {}",
                        list(keys::FRAMING_NAMES)
                    ),
                );
                None
            }
        },
    };
    let timeout = w
        .get_ms(s, "timeout_ms", false)
        .map_or(Duration::from_millis(1000), |a| a.value);
    let pause_between_requests = w
        .get_ms(s, "pause_between_requests_ms", true)
        .map_or(Duration::ZERO, |a| a.value);
    let pause_after_connect = w
        .get_ms(s, "pause_after_connect_ms", true)
        .map_or(Duration::ZERO, |a| a.value);
    let max_registers_per_read = w.u16_or(s, "max_registers_per_read", 1..=125, 125);
    let max_bits_per_read = w.u16_or(s, "max_bits_per_read", 1..=2000, 2000);
    let max_gap_registers = w.u16_or(s, "max_gap_registers", 0..=125, 16);
    let max_requests_in_flight = w.u16_or(s, "max_requests_in_flight", 1..=64, 1);
    let address_base = w
        .get_int(s, "address_base", 0..=1)
        .map_or(0, |a| u8::from(a.value == 1));
    let workarounds = match w.get_table(s, "workarounds", format!("{ctx}, workarounds")) {
        None => Workarounds::default(),
        Some(ws) => {
            w.expect_keys(&ws, keys::WORKAROUNDS);
            Workarounds {
                single_register_reads: w
                    .get_bool(&ws, "single_register_reads")
                    .is_some_and(|a| a.value),
                close_after_cycle: w
                    .get_bool(&ws, "close_after_cycle")
                    .is_some_and(|a| a.value),
            }
        }
    };
    let id = id?;
    Some(ConnSpec {
        conn: Connection {
            id: id.value,
            // Placeholders after a reported error keep devices' references resolvable.
            framing: framing.unwrap_or(Framing::Tcp),
            host: host.map(|h| h.value).unwrap_or_default(),
            port,
            timeout,
            pause_between_requests,
            pause_after_connect,
            max_registers_per_read,
            max_bits_per_read,
            max_gap_registers,
            max_requests_in_flight,
            address_base,
            workarounds,
        },
        id_span: id.span,
    })
}
