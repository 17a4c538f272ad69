//! One Chrome DevTools Protocol connection: a WebSocket to a browser or page target, numbered
//! commands answered by id, the events in between queued in arrival order.

use std::collections::VecDeque;
use std::io::ErrorKind;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tungstenite::protocol::WebSocketConfig;
use tungstenite::{Message, WebSocket};

use super::COMMAND_TIMEOUT;

/// One CDP WebSocket connection: numbered commands, events queued in arrival order.
pub(super) struct Cdp {
    /// The WebSocket over a blocking TCP stream (read timeouts set per read).
    ws: WebSocket<TcpStream>,
    /// Id of the next command.
    next_id: u64,
    /// Events read while waiting for a command's answer, oldest first.
    pub(super) events: VecDeque<Value>,
    /// The endpoint, for messages.
    url: String,
}

impl Cdp {
    /// Connects to a DevTools WebSocket endpoint (`ws://127.0.0.1:PORT/devtools/…`).
    pub(super) fn connect(url: &str) -> Result<Cdp, String> {
        let addr = url
            .strip_prefix("ws://")
            .and_then(|rest| rest.split('/').next())
            .ok_or_else(|| format!("not a ws:// DevTools address: {url}"))?;
        let stream =
            TcpStream::connect(addr).map_err(|e| format!("cannot connect to {addr}: {e}"))?;
        stream
            .set_nodelay(true)
            .map_err(|e| format!("set_nodelay: {e}"))?;
        // Screenshots of long pages are large single messages.
        let config = WebSocketConfig::default()
            .max_message_size(Some(512 << 20))
            .max_frame_size(Some(512 << 20));
        let (ws, _) = tungstenite::client::client_with_config(url, stream, Some(config))
            .map_err(|e| format!("WebSocket handshake with {url} failed: {e}"))?;
        Ok(Cdp {
            ws,
            next_id: 1,
            events: VecDeque::new(),
            url: url.to_string(),
        })
    }

    /// Sends `method` with `params`; its id.
    fn send(&mut self, method: &str, params: Value) -> Result<u64, String> {
        let id = self.next_id;
        self.next_id += 1;
        let text = json!({ "id": id, "method": method, "params": params }).to_string();
        self.ws
            .send(Message::text(text))
            .map_err(|e| format!("sending {method} to {} failed: {e}", self.url))?;
        Ok(id)
    }

    /// Reads one JSON message within `timeout`; `None` if none came.
    fn read(&mut self, timeout: Duration) -> Result<Option<Value>, String> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline
                .saturating_duration_since(Instant::now())
                .max(Duration::from_millis(1));
            self.ws
                .get_mut()
                .set_read_timeout(Some(left))
                .map_err(|e| format!("set_read_timeout: {e}"))?;
            match self.ws.read() {
                Ok(Message::Text(text)) => {
                    return serde_json::from_str(text.as_str())
                        .map(Some)
                        .map_err(|e| format!("CDP sent no JSON ({e}): {}", text.as_str()));
                }
                Ok(Message::Close(frame)) => {
                    return Err(format!("{} closed the connection: {frame:?}", self.url));
                }
                Ok(_) => {} // ping, pong, binary: nothing of CDP
                Err(tungstenite::Error::Io(e))
                    if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) =>
                {
                    if Instant::now() >= deadline {
                        return Ok(None);
                    }
                }
                Err(e) => return Err(format!("reading from {} failed: {e}", self.url)),
            }
        }
    }

    /// Sends `method` and waits for its answer (events read meanwhile are queued); the result,
    /// or the protocol's error message.
    pub(super) fn call(&mut self, method: &str, params: Value) -> Result<Value, String> {
        let id = self.send(method, params)?;
        let deadline = Instant::now() + COMMAND_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let Some(msg) = self.read(left)? else {
                return Err(format!("{method}: no answer within {COMMAND_TIMEOUT:?}"));
            };
            if msg.get("id").and_then(Value::as_u64) == Some(id) {
                if let Some(err) = msg.get("error") {
                    return Err(format!(
                        "{method} failed: {}",
                        err["message"].as_str().unwrap_or("?")
                    ));
                }
                return Ok(msg.get("result").cloned().unwrap_or(Value::Null));
            }
            if msg.get("method").is_some() {
                self.events.push_back(msg);
            }
        }
    }

    /// The next event: a queued one, else one read within `timeout`.
    pub(super) fn next_event(&mut self, timeout: Duration) -> Result<Option<Value>, String> {
        if let Some(ev) = self.events.pop_front() {
            return Ok(Some(ev));
        }
        match self.read(timeout)? {
            Some(msg) if msg.get("method").is_some() => Ok(Some(msg)),
            _ => Ok(None), // a late answer to an abandoned command
        }
    }
}
