//! `GET /web/live`: the pages' live updates as server-sent events. ONE task (the [`Hub`])
//! computes the frame — the overview's values, the alarm counts per system, the endurance bars
//! and the alarm console's rows — once a second and at once when an alarm changes
//! ([`AlarmHandle::changes`]), in each language, serialized once; every client's stream only
//! copies the bytes of its language. With no client connected the hub computes nothing.
//!
//! The frame is an event `live` whose data is JSON: `t` (UTC ms), `time` (the site's local time),
//! `asof`, `v` (every aging value: `k` its element, `text`, `cls`, `at` the reading's time,
//! `after` its stale limit), `sys` (per system `k`, `n` active alarms, `text`), `end` (per
//! reserve `k`, `pct`, `below`, `verdict`, `limit`), `alarms` (`counts`, `rows`: the console's
//! `<tr>` rows, escaped HTML).

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use driftvakt_config::model::{Config, Language};
use driftvakt_domain::clock::{Clock, SystemClock};
use jiff::tz::TimeZone;
use serde::Serialize;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::WebState;
use super::alarms::{Console, console};
use super::lang::PageLang;
use super::overview::{EnduranceView, Overview, SystemView, ValueView, model};
use super::viewer::Viewer;
use crate::alarm::service::AlarmHandle;
use crate::pipeline::Live;

/// How often the frame is recomputed (besides at once on an alarm change).
pub const EVERY: Duration = Duration::from_secs(1);
/// How long a browser waits before reconnecting a broken stream.
const RETRY: Duration = Duration::from_secs(2);

/// One frame in both languages, serialized.
#[derive(Debug)]
pub struct Frame {
    /// The `live` event in Swedish.
    sv: Event,
    /// The `live` event in English.
    en: Event,
}

impl Frame {
    fn of(&self, lang: Language) -> Event {
        match lang {
            Language::Sv => self.sv.clone(),
            Language::En => self.en.clone(),
        }
    }
}

/// What a frame carries (see the module's documentation).
#[derive(Serialize)]
struct Payload<'a> {
    t: i64,
    time: &'a str,
    asof: &'a str,
    v: Vec<&'a ValueView>,
    sys: &'a [SystemView],
    end: &'a [EnduranceView],
    alarms: &'a Console,
}

/// The live stream's one producer, shared by every client (cheap to clone).
#[derive(Clone)]
pub struct Hub {
    /// The latest frame (None before the first).
    frames: watch::Receiver<Option<Arc<Frame>>>,
    /// Clients connected now.
    clients: Arc<AtomicUsize>,
    /// Wakes the producer (a client connected and wants a frame now).
    wake: Arc<Notify>,
}

impl Hub {
    /// Start the producer for `config`'s overview from `live` and `alarms`; it ends with `cancel`,
    /// and with it every client's stream.
    pub fn start(config: Arc<Config>, live: Arc<Live>, alarms: AlarmHandle, tz: TimeZone, cancel: CancellationToken) -> (Hub, JoinHandle<()>) {
        let (tx, frames) = watch::channel(None);
        let hub = Hub { frames, clients: Arc::default(), wake: Arc::default() };
        let (clients, wake) = (Arc::clone(&hub.clients), Arc::clone(&hub.wake));
        let task = tokio::spawn(async move {
            let mut changes = alarms.changes();
            let mut alarms_alive = true;
            let mut tick = tokio::time::interval(EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    () = cancel.cancelled() => break,
                    _ = tick.tick() => {}
                    () = wake.notified() => {}
                    r = changes.changed(), if alarms_alive => alarms_alive = r.is_ok(),
                }
                if clients.load(Ordering::Relaxed) == 0 {
                    continue;
                }
                let list = alarms.list().await.ok();
                let now = SystemClock.now_ms();
                let [sv, en] = [Language::Sv, Language::En].map(|lang| event(&config, &live, list.as_deref(), now, &tz, lang));
                tx.send_replace(Some(Arc::new(Frame { sv, en })));
            }
        });
        (hub, task)
    }

    /// Clients connected now.
    pub fn clients(&self) -> usize {
        self.clients.load(Ordering::Relaxed)
    }
}

/// The `live` event at `now_ms` in `lang`.
fn event(config: &Config, live: &Live, list: Option<&[driftvakt_domain::alarm::AlarmRecord]>, now_ms: i64, tz: &TimeZone, lang: Language) -> Event {
    let o: Overview = model(config, live, list, now_ms, tz, lang);
    let c = console(list, now_ms, tz, lang);
    let payload = Payload { t: o.t, time: &o.time, asof: &o.asof, v: o.values().collect(), sys: &o.sys, end: &o.end, alarms: &c };
    let json = serde_json::to_string(&payload).unwrap_or_else(|_| "{}".into());
    Event::default().event("live").data(json)
}

/// Counts a connected client for as long as its stream lives.
struct Client(Arc<AtomicUsize>);

impl Drop for Client {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// `GET /web/live?lang=`: the frames, from the next one on (never an old one), until the client
/// goes or the daemon stops.
pub(super) async fn stream(_: Viewer, lang: PageLang, State(s): State<WebState>) -> Response {
    let mut rx = s.hub.frames.clone();
    rx.mark_unchanged();
    s.hub.clients.fetch_add(1, Ordering::Relaxed);
    let client = Client(Arc::clone(&s.hub.clients));
    s.hub.wake.notify_one();
    let lang = lang.lang;
    let first = Event::default().retry(RETRY).comment("driftvakt");
    let frames = futures_util::stream::unfold((rx, client), move |(mut rx, client)| async move {
        loop {
            rx.changed().await.ok()?;
            let frame = rx.borrow_and_update().clone();
            if let Some(f) = frame {
                return Some((Ok::<Event, Infallible>(f.of(lang)), (rx, client)));
            }
        }
    });
    let events = futures_util::StreamExt::chain(futures_util::stream::once(async move { Ok(first) }), frames);
    let mut r = Sse::new(events).into_response();
    let h = r.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    r
}
