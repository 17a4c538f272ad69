//! One Modbus link (TCP, or RTU frames over TCP) that can only read.
//!
//! Wraps tokio-modbus' client context. Reads go through `Client::call` with read requests only,
//! and the response length is checked here (tokio-modbus only `debug_assert`s it), so a short or
//! malformed response is an error, never a panic.

use std::fmt;
use std::time::Duration;

use driftvakt_config::model::{Framing, Table};
use tokio::net::TcpStream;
use tokio_modbus::client::{Client as _, Context};
use tokio_modbus::slave::SlaveContext as _;
use tokio_modbus::{Request, Response, Slave};

use super::plan::ReadRequest;

/// Why a connection could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// Name resolution or TCP connect failed.
    #[error("cannot connect to {target}: {source}")]
    Io {
        /// `host:port` that was dialled.
        target: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// No connection within the connection's timeout.
    #[error("no connection to {target} within {timeout:?}")]
    Timeout {
        /// `host:port` that was dialled.
        target: String,
        /// The timeout that expired.
        timeout: Duration,
    },
}

/// Why one read failed.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// No response within the timeout.
    #[error("no response within {0:?}")]
    Timeout(Duration),
    /// The device answered with a Modbus exception.
    #[error("Modbus exception {code} ({})", exception_name(*code))]
    Exception {
        /// Exception code (1 = illegal function, 2 = illegal data address, …).
        code: u8,
    },
    /// The connection failed or was closed.
    #[error("{}", io_text(.0))]
    Io(#[from] std::io::Error),
    /// A response that does not belong to the request (wrong transaction id, unit or function):
    /// the stream is out of step and the link must be reopened.
    #[error("{0}")]
    Protocol(String),
    /// A response of the right kind but the wrong size (a device fault, the stream is in step).
    #[error("{0}")]
    BadResponse(String),
    /// A reply whose frame cannot be decoded (its data ends before its byte count says, an odd
    /// byte count, a wrong protocol id): a device fault; the link must be reopened.
    #[error("{0}")]
    Malformed(String),
}

/// An I/O error in words (tokio-modbus reports a closed stream as OS error 0, "Success").
fn io_text(e: &std::io::Error) -> String {
    if e.raw_os_error() == Some(0) {
        "the device closed the connection".to_string()
    } else {
        format!("connection lost: {e}")
    }
}

/// What tokio-modbus' `Debug` header text (`Header { transaction_id: 7, unit_id: 1 }`) says
/// about `field`, in the part after `after`.
fn header_field(message: &str, after: &str, field: &str) -> Option<u32> {
    let rest = &message[message.find(after)?..];
    let rest = &rest[rest.find(field)? + field.len()..];
    let rest = rest.trim_start_matches([':', ' ', '=']);
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// An operator-readable text for a reply that does not belong to the request.
fn protocol_text(e: &tokio_modbus::ProtocolError) -> String {
    use tokio_modbus::ProtocolError;
    match e {
        ProtocolError::HeaderMismatch { message, .. } => {
            let pair = |field: &str| {
                Some((
                    header_field(message, "actual", field)?,
                    header_field(message, "expected", field)?,
                ))
            };
            match (
                pair("transaction_id"),
                pair("unit_id").or_else(|| pair("slave_id")),
            ) {
                (Some((got, want)), _) if got != want => {
                    format!("reply with wrong transaction id {got}, expected {want}")
                }
                (_, Some((got, want))) if got != want => {
                    format!("reply from unit {got}, expected unit {want}")
                }
                _ => "reply with a header that does not match the request".to_string(),
            }
        }
        ProtocolError::FunctionCodeMismatch { request, result } => {
            let got = match result {
                Ok(r) => r.function_code().value(),
                Err(x) => x.function.value(),
            };
            format!("reply with function code {got} to a request with function code {request}")
        }
    }
}

/// Modbus exception codes with a meaning for polling.
pub mod exception {
    /// Illegal function.
    pub const ILLEGAL_FUNCTION: u8 = 1;
    /// Illegal data address.
    pub const ILLEGAL_DATA_ADDRESS: u8 = 2;
    /// Server device busy.
    pub const BUSY: u8 = 6;
    /// Gateway path unavailable.
    pub const GATEWAY_PATH_UNAVAILABLE: u8 = 10;
    /// Gateway target device failed to respond.
    pub const GATEWAY_TARGET_FAILED: u8 = 11;
}

/// The standard name of a Modbus exception code.
pub fn exception_name(code: u8) -> &'static str {
    match code {
        1 => "illegal function",
        2 => "illegal data address",
        3 => "illegal data value",
        4 => "server device failure",
        5 => "acknowledge",
        6 => "server device busy",
        8 => "memory parity error",
        10 => "gateway path unavailable",
        11 => "gateway target device failed to respond",
        _ => "non-standard exception",
    }
}

/// A hint for the operator, for exceptions that usually mean a configuration mistake.
pub fn exception_hint(code: u8) -> Option<&'static str> {
    match code {
        1 => {
            Some("the device does not support this table (function code); check the point's table")
        }
        2 => Some(
            "the address may be off by one: check the connection's address_base \
             (vendor lists are often 1-based) and the register list",
        ),
        10 | 11 => {
            Some("the gateway could not reach this unit id: check the unit id and the serial line")
        }
        _ => None,
    }
}

/// Data bytes a complete reply to `req` carries.
fn data_bytes(req: &ReadRequest) -> usize {
    let n = usize::from(req.count);
    if req.table.is_bits() {
        n.div_ceil(8)
    } else {
        n * 2
    }
}

/// "registers" or "bits".
fn table_unit(table: Table) -> &'static str {
    if table.is_bits() { "bits" } else { "registers" }
}

/// An open read-only Modbus link.
pub(crate) struct Link {
    ctx: Context,
}

impl fmt::Debug for Link {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Link")
    }
}

impl Link {
    /// Dial `host:port` within `timeout` and attach the framing.
    pub(crate) async fn connect(
        host: &str,
        port: u16,
        framing: Framing,
        timeout: Duration,
    ) -> Result<Link, ConnectError> {
        let target = format!("{host}:{port}");
        let stream = match tokio::time::timeout(timeout, TcpStream::connect((host, port))).await {
            Ok(Ok(s)) => s,
            Ok(Err(source)) => return Err(ConnectError::Io { target, source }),
            Err(_) => return Err(ConnectError::Timeout { target, timeout }),
        };
        // Small request/response frames: do not wait for Nagle.
        let _ = stream.set_nodelay(true);
        let ctx = match framing {
            Framing::Tcp => tokio_modbus::client::tcp::attach_slave(stream, Slave(1)),
            Framing::RtuOverTcp => tokio_modbus::client::rtu::attach_slave(stream, Slave(1)),
        };
        Ok(Link { ctx })
    }

    /// Read one request from `unit` within `timeout`: registers, or bits as 0/1.
    ///
    /// After an error other than an exception the link must be dropped: a late response could
    /// otherwise arrive as the answer to the next request (RTU frames carry no transaction id).
    pub(crate) async fn read(
        &mut self,
        unit: u8,
        req: &ReadRequest,
        timeout: Duration,
    ) -> Result<Vec<u16>, RequestError> {
        self.ctx.set_slave(Slave(unit));
        let request = match req.table {
            Table::Coil => Request::ReadCoils(req.start, req.count),
            Table::DiscreteInput => Request::ReadDiscreteInputs(req.start, req.count),
            Table::InputRegister => Request::ReadInputRegisters(req.start, req.count),
            Table::HoldingRegister => Request::ReadHoldingRegisters(req.start, req.count),
        };
        let response = match tokio::time::timeout(timeout, self.ctx.call(request)).await {
            Err(_) => return Err(RequestError::Timeout(timeout)),
            // The codec's decoding errors come as I/O errors of these kinds.
            Ok(Err(tokio_modbus::Error::Transport(e)))
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::InvalidData
                ) =>
            {
                let what = table_unit(req.table);
                return Err(RequestError::Malformed(
                    if e.kind() == std::io::ErrorKind::UnexpectedEof {
                        format!(
                            "short reply: expected {} data bytes ({} {what} at {}), the frame ends early",
                            data_bytes(req),
                            req.count,
                            req.start
                        )
                    } else {
                        format!(
                            "malformed reply to a read of {} {what} at {}: {e}",
                            req.count, req.start
                        )
                    },
                ));
            }
            Ok(Err(tokio_modbus::Error::Transport(e))) => return Err(RequestError::Io(e)),
            Ok(Err(tokio_modbus::Error::Protocol(e))) => {
                return Err(RequestError::Protocol(protocol_text(&e)));
            }
            Ok(Ok(Err(code))) => {
                return Err(RequestError::Exception {
                    code: u8::from(code),
                });
            }
            Ok(Ok(Ok(response))) => response,
        };
        let count = usize::from(req.count);
        match response {
            Response::ReadCoils(bits) | Response::ReadDiscreteInputs(bits)
                if bits.len() >= count =>
            {
                Ok(bits.into_iter().take(count).map(u16::from).collect())
            }
            Response::ReadHoldingRegisters(regs) | Response::ReadInputRegisters(regs)
                if regs.len() == count =>
            {
                Ok(regs)
            }
            Response::ReadCoils(v) | Response::ReadDiscreteInputs(v) => {
                Err(RequestError::BadResponse(format!(
                    "short reply: expected {count} bits at {}, got {}",
                    req.start,
                    v.len()
                )))
            }
            Response::ReadHoldingRegisters(v) | Response::ReadInputRegisters(v) => {
                Err(RequestError::BadResponse(format!(
                    "{}: expected {count} registers at {}, got {}",
                    if v.len() < count {
                        "short reply"
                    } else {
                        "reply too long"
                    },
                    req.start,
                    v.len()
                )))
            }
            other => Err(RequestError::Protocol(format!(
                "reply with function code {} to a read",
                other.function_code().value()
            ))),
        }
    }

    /// Close the link gracefully (within a short time).
    pub(crate) async fn close(mut self) {
        let _ = tokio::time::timeout(Duration::from_millis(500), self.ctx.disconnect()).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exceptions_are_named_and_hinted() {
        let e = RequestError::Exception { code: 2 };
        assert_eq!(e.to_string(), "Modbus exception 2 (illegal data address)");
        assert!(exception_hint(2).is_some_and(|h| h.contains("off by one")));
        assert_eq!(
            exception_name(11),
            "gateway target device failed to respond"
        );
        assert_eq!(exception_name(99), "non-standard exception");
    }

    #[test]
    fn protocol_errors_read_as_sentences_without_rust_structures() {
        use tokio_modbus::{ProtocolError, Response};
        let e = ProtocolError::HeaderMismatch {
            message: "expected/request = Header { transaction_id: 3, unit_id: 1 }, \
                      actual/response = Header { transaction_id: 9, unit_id: 1 }"
                .into(),
            result: Ok(Response::ReadHoldingRegisters(vec![1])),
        };
        assert_eq!(
            protocol_text(&e),
            "reply with wrong transaction id 9, expected 3"
        );
        let e = ProtocolError::HeaderMismatch {
            message: "expected/request = Header { slave_id: 2 }, actual/response = Header { slave_id: 5 }".into(),
            result: Ok(Response::ReadHoldingRegisters(vec![1])),
        };
        assert_eq!(protocol_text(&e), "reply from unit 5, expected unit 2");
        let e = ProtocolError::FunctionCodeMismatch {
            request: tokio_modbus::FunctionCode::ReadHoldingRegisters,
            result: Ok(Response::ReadInputRegisters(vec![1])),
        };
        assert_eq!(
            protocol_text(&e),
            "reply with function code 4 to a request with function code 3"
        );
        let closed = RequestError::Io(std::io::Error::from_raw_os_error(0));
        assert_eq!(closed.to_string(), "the device closed the connection");
    }

    /// Read-only towards the plant: no source file of the Modbus client may name a write call.
    #[test]
    fn client_sources_never_write() {
        let forbidden = [
            "write_single_coil",
            "write_multiple_coils",
            "write_single_register",
            "write_multiple_registers",
            "masked_write_register",
            "read_write_multiple_registers",
            "Request::Write",
            "Request::MaskWrite",
            "Request::ReadWrite",
        ];
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/modbus");
        let entries = std::fs::read_dir(&dir).expect("src/modbus is readable");
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("source is readable");
                // Only the code part counts (this test itself lists the names).
                let code = text.split("#[cfg(test)]").next().unwrap_or_default();
                for f in forbidden {
                    assert!(!code.contains(f), "{} mentions {f}", path.display());
                }
            }
        }
    }
}
