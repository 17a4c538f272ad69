//! A recording HTTP/1.1 proxy between the daemon and a real server: every request the daemon
//! sends is read whole, forwarded to the server, answered with the server's answer and logged
//! with the daemon run it came from. A test sees what went over the wire, also across SIGKILLs
//! of the daemon (the server itself may keep a sample twice, as VictoriaMetrics does, so only
//! the wire says whether a reading was sent again).
//!
//! A request the daemon did not finish sending before it died is never forwarded. One that was
//! sent whole is forwarded and logged even if the daemon is gone before the answer.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use super::wait_until;

/// One request as the proxy received and forwarded it.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// The daemon run it came from ([`HttpTap::set_run`] when its connection was accepted).
    pub run: usize,
    /// Order of arrival over all runs (0, 1, …).
    pub seq: usize,
    /// `POST /api/v2/write?…`.
    pub request_line: String,
    /// The request body.
    pub body: String,
    /// The server's status code (0: the server did not answer).
    pub status: u16,
}

impl Exchange {
    /// The server accepted it (2xx).
    pub fn accepted(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

struct Shared {
    upstream: String,
    run: AtomicUsize,
    log: Mutex<Vec<Exchange>>,
    /// Connections accepted whose handler has not finished.
    active: AtomicUsize,
    /// Times the accept loop found no connection waiting.
    idle_polls: AtomicU64,
    stop: AtomicBool,
}

/// The proxy, listening on a free loopback port; stops accepting on drop.
pub struct HttpTap {
    /// Port the daemon is pointed at.
    pub port: u16,
    shared: Arc<Shared>,
}

impl HttpTap {
    /// Listen on a free port and forward to `upstream` (`http://127.0.0.1:8428`).
    pub fn start(upstream: &str) -> HttpTap {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the tap");
        let port = listener.local_addr().expect("tap address").port();
        listener.set_nonblocking(true).expect("non-blocking listener");
        let shared = Arc::new(Shared {
            upstream: upstream.trim_end_matches('/').to_string(),
            run: AtomicUsize::new(0),
            log: Mutex::new(Vec::new()),
            active: AtomicUsize::new(0),
            idle_polls: AtomicU64::new(0),
            stop: AtomicBool::new(false),
        });
        let s = shared.clone();
        thread::spawn(move || accept_loop(&listener, &s));
        HttpTap { port, shared }
    }

    /// Base URL for the daemon's configuration.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Label connections accepted from now on with `run`; call [`HttpTap::quiesce`] first so
    /// that every connection of the previous run is accepted and finished.
    pub fn set_run(&self, run: usize) {
        self.shared.run.store(run, Ordering::SeqCst);
    }

    /// Waits until every connection made so far is accepted and has ended (its client is gone:
    /// call after the daemon exited). Panics after `timeout`.
    pub fn quiesce(&self, timeout: Duration) {
        let idle = self.shared.idle_polls.load(Ordering::SeqCst);
        wait_until("the tap to finish the dead daemon's connections", timeout, || {
            // Two empty accept polls since the call: the backlog was empty after the client died.
            self.shared.idle_polls.load(Ordering::SeqCst) >= idle + 2
                && self.shared.active.load(Ordering::SeqCst) == 0
        });
    }

    /// Everything logged so far, in order of arrival.
    pub fn exchanges(&self) -> Vec<Exchange> {
        self.shared.log.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

impl Drop for HttpTap {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
    }
}

fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>) {
    while !shared.stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, _)) => {
                shared.active.fetch_add(1, Ordering::SeqCst);
                let run = shared.run.load(Ordering::SeqCst);
                let s = shared.clone();
                thread::spawn(move || {
                    serve(stream, run, &s);
                    s.active.fetch_sub(1, Ordering::SeqCst);
                });
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                shared.idle_polls.fetch_add(1, Ordering::SeqCst);
                thread::sleep(Duration::from_millis(5));
            }
            Err(_) => thread::sleep(Duration::from_millis(5)),
        }
    }
}

/// One whole request as read from the client.
struct Request {
    /// `POST /path?query HTTP/1.1`.
    line: String,
    /// Headers as (name, value).
    headers: Vec<(String, String)>,
    /// The body (de-chunked).
    body: Vec<u8>,
}

/// One whole request from `reader`. `None` at EOF or if the client went away in the middle.
fn read_request(reader: &mut impl BufRead) -> Option<Request> {
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).ok()? == 0 {
        return None;
    }
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':')?;
        headers.push((name.trim().to_string(), value.trim().to_string()));
    }
    let header = |n: &str| headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(n)).map(|(_, v)| v.clone());
    let mut body = Vec::new();
    if header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        loop {
            let mut size = String::new();
            if reader.read_line(&mut size).ok()? == 0 {
                return None;
            }
            let n = usize::from_str_radix(size.trim().split(';').next()?, 16).ok()?;
            let mut chunk = vec![0; n + 2];
            reader.read_exact(&mut chunk).ok()?;
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        }
    } else {
        let n: usize = header("content-length").map_or(Some(0), |v| v.parse().ok())?;
        body.resize(n, 0);
        reader.read_exact(&mut body).ok()?;
    }
    Some(Request { line: request_line.trim_end().to_string(), headers, body })
}

fn serve(stream: TcpStream, run: usize, shared: &Shared) {
    let _ = stream.set_nonblocking(false);
    let Ok(read_half) = stream.try_clone() else { return };
    let mut reader = BufReader::new(read_half);
    let mut out = stream;
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("tap HTTP client");
    while let Some(Request { line: request_line, headers, body }) = read_request(&mut reader) {
        let mut parts = request_line.split_whitespace();
        let (Some(method), Some(target)) = (parts.next(), parts.next()) else { return };
        let Ok(method) = reqwest::Method::from_bytes(method.as_bytes()) else { return };
        let mut req = client.request(method, format!("{}{target}", shared.upstream));
        for (k, v) in &headers {
            let hop = ["host", "content-length", "connection", "transfer-encoding", "keep-alive"];
            if !hop.iter().any(|h| k.eq_ignore_ascii_case(h)) {
                req = req.header(k.as_str(), v.as_str());
            }
        }
        let seq = {
            // Numbered on arrival; logged before forwarding so that the order is the wire's.
            let mut log = shared.log.lock().unwrap_or_else(|p| p.into_inner());
            let seq = log.len();
            log.push(Exchange {
                run,
                seq,
                request_line: request_line.clone(),
                body: String::from_utf8_lossy(&body).into_owned(),
                status: 0,
            });
            seq
        };
        let (status, answer) = match req.body(body).send() {
            Ok(r) => {
                let status = r.status();
                (status, r.bytes().map(|b| b.to_vec()).unwrap_or_default())
            }
            Err(_) => (reqwest::StatusCode::BAD_GATEWAY, Vec::new()),
        };
        if status != reqwest::StatusCode::BAD_GATEWAY {
            shared.log.lock().unwrap_or_else(|p| p.into_inner())[seq].status = status.as_u16();
        }
        let mut head = format!(
            "HTTP/1.1 {} {}\r\n",
            status.as_u16(),
            status.canonical_reason().unwrap_or("")
        );
        if status != reqwest::StatusCode::NO_CONTENT {
            head.push_str(&format!("Content-Length: {}\r\n", answer.len()));
        }
        head.push_str("\r\n");
        if out.write_all(head.as_bytes()).and_then(|()| out.write_all(&answer)).and_then(|()| out.flush()).is_err() {
            return;
        }
    }
}
