//! Serving the API connection by connection, so that no client can take what polling needs.
//!
//! - At most `max_connections` connections are open. When all are taken, a new client takes the
//!   place of the connection that has waited longest without a request in progress (an idle
//!   keep-alive, or one that sent half a request head); an open live stream (server-sent events,
//!   the operator's screen) makes way only when no such idle connection is left, the oldest
//!   stream first; only when every connection is busy with a request is the newcomer refused. Held-open sockets thus cost at most `max_connections` open
//!   files, and an operator's request still gets through.
//! - A request head must arrive within [`HEADER_TIMEOUT`] of the connection opening or of the
//!   previous answer (so idle keep-alive connections close too), and a request (its body
//!   included) must be answered within [`REQUEST_TIMEOUT`].
//! - When the process is out of open files, accepting pauses instead of spinning.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::http::{HeaderValue, Request, StatusCode, header};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower_service::Service;

/// Time a client has to send a request head, after connecting or after the previous answer.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Time from a complete request head to the answer (reading the body included).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Pause after a failed accept (e.g. out of open files) before the next.
const ACCEPT_PAUSE: Duration = Duration::from_millis(100);
/// At most one warning about dropped or refused connections per this interval.
const WARN_EVERY: Duration = Duration::from_secs(60);

/// How many connections, and how long a client may take.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Most connections open at once.
    pub max_connections: usize,
    /// Time for a request head, after connecting or after the previous answer.
    pub header_timeout: Duration,
    /// Time from a complete request head to the answer.
    pub request_timeout: Duration,
}

impl Limits {
    /// At most `max_connections` connections (at least 1), with the standard timeouts.
    pub fn new(max_connections: usize) -> Limits {
        Limits {
            max_connections: max_connections.max(1),
            header_timeout: HEADER_TIMEOUT,
            request_timeout: REQUEST_TIMEOUT,
        }
    }
}

/// One open connection.
struct Slot {
    /// A request is being answered on it.
    busy: bool,
    /// Its last answer is a live stream (`text/event-stream`) still being sent.
    streaming: bool,
    /// When it last became idle (opened, or answered a request).
    since: Instant,
    /// Cancelled to close it.
    close: CancellationToken,
}

/// The open connections and what happened to the ones that had to go.
struct Connections {
    /// Open connections by id.
    slots: Mutex<HashMap<u64, Slot>>,
    /// Most open at once.
    max: usize,
    /// Id of the next connection.
    next: AtomicU64,
    /// Idle connections closed to make room, refused connections, and accept errors since the
    /// last warning, and when that was.
    tally: Mutex<Tally>,
}

/// Counts for the rate-limited warning.
struct Tally {
    /// Idle connections closed for a newcomer.
    evicted: u64,
    /// Newcomers refused because every connection was busy.
    refused: u64,
    /// Failed accepts.
    accept_errors: u64,
    /// When the last warning went out.
    warned: Option<Instant>,
}

impl Connections {
    fn new(max: usize) -> Connections {
        Connections {
            slots: Mutex::new(HashMap::new()),
            max: max.max(1),
            next: AtomicU64::new(0),
            tally: Mutex::new(Tally {
                evicted: 0,
                refused: 0,
                accept_errors: 0,
                warned: None,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Slot>> {
        self.slots
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Admit a new connection: its id and close token, or `None` if every slot is busy.
    fn admit(&self) -> Option<(u64, CancellationToken)> {
        let mut slots = self.lock();
        if slots.len() >= self.max {
            let longest_idle = slots
                .iter()
                .filter(|(_, s)| !s.busy)
                .min_by_key(|(_, s)| (s.streaming, s.since))
                .map(|(id, _)| *id);
            let Some(id) = longest_idle else {
                drop(slots);
                self.note(|t| t.refused += 1);
                return None;
            };
            if let Some(slot) = slots.remove(&id) {
                slot.close.cancel();
            }
            drop(slots);
            self.note(|t| t.evicted += 1);
            slots = self.lock();
        }
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let close = CancellationToken::new();
        slots.insert(
            id,
            Slot {
                busy: false,
                streaming: false,
                since: Instant::now(),
                close: close.clone(),
            },
        );
        Some((id, close))
    }

    /// Mark a request begun (`busy`) or answered; `streaming` when the answer is a live
    /// stream that goes on after it.
    fn set_busy(&self, id: u64, busy: bool, streaming: bool) {
        if let Some(slot) = self.lock().get_mut(&id) {
            slot.busy = busy;
            slot.streaming = streaming;
            slot.since = Instant::now();
        }
    }

    fn remove(&self, id: u64) {
        self.lock().remove(&id);
    }

    /// Count something in the tally; warn (at most once per [`WARN_EVERY`]) with the counts.
    fn note(&self, count: impl FnOnce(&mut Tally)) {
        let mut t = self
            .tally
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        count(&mut t);
        if t.warned.is_some_and(|w| w.elapsed() < WARN_EVERY) {
            return;
        }
        tracing::warn!(
            max_connections = self.max,
            closed_idle = t.evicted,
            refused_busy = t.refused,
            accept_errors = t.accept_errors,
            "operator API under pressure: client connections closed to make room, refused while all were busy, or not accepted"
        );
        *t = Tally {
            evicted: 0,
            refused: 0,
            accept_errors: 0,
            warned: Some(Instant::now()),
        };
    }
}

/// Accept and serve connections on `listener` until `cancel`, within `limits`.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    cancel: CancellationToken,
) {
    let conns = Arc::new(Connections::new(limits.max_connections));
    let tracker = TaskTracker::new();
    loop {
        let accepted = tokio::select! {
            biased;
            () = cancel.cancelled() => break,
            r = listener.accept() => r,
        };
        let (stream, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // Out of open files or a connection reset before accept: wait instead of spinning.
                tracing::debug!(error = %e, "operator API: accept failed");
                conns.note(|t| t.accept_errors += 1);
                tokio::select! {
                    () = cancel.cancelled() => break,
                    () = tokio::time::sleep(ACCEPT_PAUSE) => continue,
                }
            }
        };
        let Some((id, close)) = conns.admit() else {
            drop(stream);
            continue;
        };
        let conn = Conn {
            stream,
            peer,
            id,
            close,
            conns: Arc::clone(&conns),
        };
        tracker.spawn(serve_one(conn, router.clone(), limits, cancel.clone()));
    }
    tracker.close();
    tracker.wait().await;
}

/// An admitted connection.
struct Conn {
    /// The socket.
    stream: TcpStream,
    /// The client's address.
    peer: SocketAddr,
    /// Its id in `conns`.
    id: u64,
    /// Cancelled when it must make way.
    close: CancellationToken,
    /// The table it is in.
    conns: Arc<Connections>,
}

/// Serve one connection until it ends, is closed to make room, or the daemon stops.
async fn serve_one(c: Conn, router: Router, limits: Limits, stop: CancellationToken) {
    let Conn {
        stream,
        peer,
        id,
        close,
        conns,
    } = c;
    let service = {
        let conns = Arc::clone(&conns);
        hyper::service::service_fn(move |mut req: Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            let mut router = router.clone();
            let conns = Arc::clone(&conns);
            async move {
                conns.set_busy(id, true, false);
                let answer = tokio::time::timeout(limits.request_timeout, router.call(req)).await;
                let streaming = matches!(&answer, Ok(Ok(r)) if r.headers().get(header::CONTENT_TYPE).is_some_and(|t| t.as_bytes().starts_with(b"text/event-stream")));
                conns.set_busy(id, false, streaming);
                Ok::<_, Infallible>(match answer {
                    Ok(Ok(response)) => response,
                    Ok(Err(never)) => match never {},
                    Err(_) => {
                        let mut r = super::reply::error(
                            StatusCode::REQUEST_TIMEOUT,
                            "förfrågan tog för lång tid (request timed out)",
                        );
                        r.headers_mut()
                            .insert(header::CONNECTION, HeaderValue::from_static("close"));
                        r
                    }
                })
            }
        })
    };
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    let conn = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    tokio::select! {
        biased;
        () = close.cancelled() => {}
        () = stop.cancelled() => {
            conn.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(crate::stop::API_CONNECTIONS, conn.as_mut()).await;
        }
        r = conn.as_mut() => {
            if let Err(e) = r {
                tracing::debug!(%peer, error = %e, "operator API connection ended");
            }
        }
    }
    conns.remove(id);
}

#[cfg(test)]
mod tests {
    use std::time::Instant as StdInstant;

    use axum::routing::post;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    #[test]
    fn a_newcomer_takes_the_place_of_the_longest_idle_connection_and_is_refused_only_when_all_are_busy()
     {
        let c = Connections::new(2);
        let (_, first) = c.admit().expect("room");
        let (second_id, second) = c.admit().expect("room");
        c.set_busy(second_id, true, false);
        let (third_id, _) = c.admit().expect("the idle first connection makes way");
        assert!(first.is_cancelled() && !second.is_cancelled());
        c.set_busy(third_id, true, false);
        assert!(
            c.admit().is_none(),
            "every connection busy: the newcomer is refused"
        );
        c.set_busy(second_id, false, false);
        assert!(c.admit().is_some());
        assert!(second.is_cancelled());
    }

    #[test]
    fn an_open_live_stream_makes_way_only_when_no_idle_connection_is_left() {
        let c = Connections::new(3);
        let (stream_id, stream) = c.admit().expect("room");
        c.set_busy(stream_id, false, true);
        let (_, idle) = c.admit().expect("room");
        let (busy_id, _) = c.admit().expect("room");
        c.set_busy(busy_id, true, false);
        let (fourth_id, _) = c.admit().expect("the idle keep-alive makes way");
        assert!(idle.is_cancelled() && !stream.is_cancelled(), "the older stream stays, the idle connection goes");
        c.set_busy(fourth_id, true, false);
        c.admit().expect("room");
        assert!(stream.is_cancelled(), "no idle connection left: the stream makes way");
    }

    /// Serve a router with one POST route under short timeouts; returns its address.
    async fn short_timeouts() -> (SocketAddr, CancellationToken) {
        let router = Router::new().route("/echo", post(|body: String| async move { body }));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let limits = Limits {
            max_connections: 4,
            header_timeout: Duration::from_millis(300),
            request_timeout: Duration::from_millis(300),
        };
        let cancel = CancellationToken::new();
        tokio::spawn(serve(listener, router, limits, cancel.clone()));
        (addr, cancel)
    }

    /// Everything the server sends until it closes (at most 5 s).
    async fn until_closed(s: &mut TcpStream) -> String {
        let mut buf = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut buf)).await;
        assert!(read.is_ok(), "the connection was still open after 5 s");
        String::from_utf8_lossy(&buf).into_owned()
    }

    #[tokio::test]
    async fn a_client_that_sends_half_a_request_head_is_closed_after_the_header_timeout() {
        let (addr, cancel) = short_timeouts().await;
        let mut s = TcpStream::connect(addr).await.expect("connect");
        s.write_all(b"GET /echo HTTP/1.1\r\nHost: x\r\n")
            .await
            .expect("send");
        let start = StdInstant::now();
        until_closed(&mut s).await;
        assert!(
            start.elapsed() >= Duration::from_millis(250),
            "closed before the timeout: {:?}",
            start.elapsed()
        );
        cancel.cancel();
    }

    #[tokio::test]
    async fn an_idle_keep_alive_connection_is_closed_after_the_header_timeout() {
        let (addr, cancel) = short_timeouts().await;
        let mut s = TcpStream::connect(addr).await.expect("connect");
        s.write_all(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi")
            .await
            .expect("send");
        let text = until_closed(&mut s).await;
        assert!(
            text.starts_with("HTTP/1.1 200") && text.ends_with("hi"),
            "{text}"
        );
        cancel.cancel();
    }

    #[tokio::test]
    async fn a_request_whose_body_never_arrives_is_answered_408_and_closed() {
        let (addr, cancel) = short_timeouts().await;
        let mut s = TcpStream::connect(addr).await.expect("connect");
        s.write_all(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nten bytes.")
            .await
            .expect("send");
        let text = until_closed(&mut s).await;
        assert!(text.starts_with("HTTP/1.1 408"), "{text}");
        cancel.cancel();
    }
}
