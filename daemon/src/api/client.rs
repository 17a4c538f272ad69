//! A small blocking HTTP/1.1 client for the CLI commands that talk to the daemon's API over
//! loopback (no TLS, no connection reuse).

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};

/// Where the API is and how to authenticate.
#[derive(Debug, Clone)]
pub struct ApiClient {
    host: String,
    port: u16,
    token: Option<String>,
}

/// A response: status and JSON body.
#[derive(Debug, Clone)]
pub struct ApiResponse {
    /// HTTP status.
    pub status: u16,
    /// Body as JSON (`null` if empty or not JSON).
    pub body: serde_json::Value,
}

impl ApiClient {
    /// `base` like `http://127.0.0.1:8750` (or `127.0.0.1:8750`).
    pub fn new(base: &str, token: Option<String>) -> Result<ApiClient> {
        let rest = base.trim().trim_end_matches('/');
        let rest = rest.strip_prefix("http://").unwrap_or(rest);
        if rest.starts_with("https://") {
            bail!("the API client speaks plain HTTP on loopback only: {base}");
        }
        let (host, port) = rest.rsplit_once(':').ok_or_else(|| anyhow!("API address {base:?} needs a port, e.g. http://127.0.0.1:8750"))?;
        let port = port.parse().with_context(|| format!("API address {base:?}: bad port"))?;
        Ok(ApiClient { host: host.trim_start_matches('[').trim_end_matches(']').to_string(), port, token })
    }

    /// `http://host:port`, for messages.
    pub fn base(&self) -> String {
        format!("http://{}:{}", self.host, self.port)
    }

    /// Send a request; `body` is sent as JSON.
    pub fn request(&self, method: &str, path: &str, body: Option<&serde_json::Value>) -> Result<ApiResponse> {
        let addr = (self.host.as_str(), self.port)
            .to_socket_addrs()
            .with_context(|| format!("resolving {}", self.base()))?
            .next()
            .ok_or_else(|| anyhow!("{} has no address", self.base()))?;
        let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(3))
            .with_context(|| format!("cannot reach the driftvakt API at {} (is the daemon running? --api URL or DRIFTVAKT_API)", self.base()))?;
        stream.set_read_timeout(Some(Duration::from_secs(15)))?;
        stream.set_write_timeout(Some(Duration::from_secs(15)))?;
        let payload = body.map(serde_json::Value::to_string).unwrap_or_default();
        let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {}:{}\r\nConnection: close\r\nAccept: application/json\r\n", self.host, self.port);
        if let Some(t) = &self.token {
            req.push_str(&format!("Authorization: Bearer {t}\r\n"));
        }
        if body.is_some() {
            req.push_str(&format!("Content-Type: application/json\r\nContent-Length: {}\r\n", payload.len()));
        }
        req.push_str("\r\n");
        req.push_str(&payload);
        stream.write_all(req.as_bytes())?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).context("reading the API response")?;
        parse_response(&raw)
    }
}

fn parse_response(raw: &[u8]) -> Result<ApiResponse> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").ok_or_else(|| anyhow!("malformed HTTP response"))?;
    let head = String::from_utf8_lossy(&raw[..split]);
    let mut lines = head.lines();
    let status: u16 = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| anyhow!("malformed HTTP status line"))?;
    let chunked = lines.any(|l| {
        let l = l.to_ascii_lowercase();
        l.starts_with("transfer-encoding:") && l.contains("chunked")
    });
    let mut body = raw[split + 4..].to_vec();
    if chunked {
        body = dechunk(&body)?;
    }
    let body = if body.is_empty() { serde_json::Value::Null } else { serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null) };
    Ok(ApiResponse { status, body })
}

fn dechunk(mut data: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n").ok_or_else(|| anyhow!("malformed chunked body"))?;
        let size_text = String::from_utf8_lossy(&data[..line_end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16).map_err(|_| anyhow!("malformed chunk size"))?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        if data.len() < size {
            bail!("truncated chunked body");
        }
        out.extend_from_slice(&data[..size]);
        data = data.get(size + 2..).unwrap_or_default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_and_chunked_responses_parse() {
        let r = parse_response(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n[]").expect("plain");
        assert_eq!((r.status, r.body), (200, serde_json::json!([])));
        let r = parse_response(b"HTTP/1.1 404 Not Found\r\ntransfer-encoding: chunked\r\n\r\n5\r\n{\"a\":\r\n2\r\n1}\r\n0\r\n\r\n").expect("chunked");
        assert_eq!((r.status, r.body), (404, serde_json::json!({"a": 1})));
        assert!(ApiClient::new("http://127.0.0.1", None).is_err());
        assert_eq!(ApiClient::new("127.0.0.1:8750/", None).expect("ok").base(), "http://127.0.0.1:8750");
    }
}
