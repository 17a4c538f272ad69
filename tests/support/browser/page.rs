//! One page (tab) of a headless Chromium: navigation, evaluation, waiting on a condition,
//! screenshots, the overflow check, the network log, input and cookies (see `super`).

use std::path::Path;
use std::time::{Duration, Instant};

use base64::Engine;
use serde::Deserialize;
use serde_json::{Value, json};

use super::cdp::Cdp;
use super::{Browser, LOAD_TIMEOUT, MOBILE_BELOW_WIDTH, POLL_INTERVAL};

/// A cookie as the browser holds it (`Network.getCookies`).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Cookie {
    /// Name.
    pub name: String,
    /// Value.
    pub value: String,
    /// Domain it is sent to.
    pub domain: String,
    /// Path it is sent under.
    pub path: String,
    /// Hidden from JavaScript (`HttpOnly`).
    pub http_only: bool,
    /// Sent over HTTPS only (`Secure`).
    pub secure: bool,
    /// `Strict`, `Lax` or `None`; absent when the server set none.
    #[serde(default)]
    pub same_site: Option<String>,
    /// Whether it ends with the browser session (no `Expires`/`Max-Age`).
    pub session: bool,
}

/// One page (tab) of a [`Browser`]; closed on drop.
pub struct Page<'b> {
    /// The browser it belongs to.
    browser: &'b Browser,
    /// The page target's own connection.
    cdp: Cdp,
    /// The target id (`Target.closeTarget`).
    target: String,
    /// Viewport width in CSS pixels.
    width: u32,
    /// Viewport height in CSS pixels.
    height: u32,
    /// Device pixels per CSS pixel.
    device_scale: f64,
    /// Every request URL, in the order they were sent.
    requests: Vec<String>,
    /// Load events seen.
    loads: u64,
    /// Uncaught JavaScript exceptions and `console.error` messages.
    errors: Vec<String>,
}

impl<'b> Page<'b> {
    /// Sets up the page target behind `cdp`: page, network and runtime events on, the viewport
    /// emulated (a phone below [`MOBILE_BELOW_WIDTH`]: mobile viewport, touch).
    pub(super) fn open(
        browser: &'b Browser,
        cdp: Cdp,
        target: String,
        width: u32,
        height: u32,
        device_scale: f64,
    ) -> Page<'b> {
        let mut page = Page {
            browser,
            cdp,
            target,
            width,
            height,
            device_scale,
            requests: Vec::new(),
            loads: 0,
            errors: Vec::new(),
        };
        let mobile = width < MOBILE_BELOW_WIDTH;
        page.call("Page.enable", json!({}));
        page.call("Network.enable", json!({}));
        page.call("Runtime.enable", json!({}));
        page.call(
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": width, "height": height, "deviceScaleFactor": device_scale, "mobile": mobile }),
        );
        page.call(
            "Emulation.setTouchEmulationEnabled",
            json!({ "enabled": mobile, "maxTouchPoints": 5 }),
        );
        page
    }

    /// Loads `url` and waits for its load event; panics if navigation fails or it never loads.
    pub fn goto(&mut self, url: &str) {
        let before = self.loads;
        let res = self.call("Page.navigate", json!({ "url": url }));
        if let Some(err) = res.get("errorText").and_then(Value::as_str) {
            self.fail(&format!("navigating to {url} failed: {err}"));
        }
        self.wait_for_load(before, &format!("the load event of {url}"));
    }

    /// Clicks `selector` (see [`Page::click`]) and waits for the load event of the page it
    /// leads to (a link, a form posted and redirected).
    pub fn click_and_wait_for_load(&mut self, selector: &str) {
        let before = self.loads;
        self.click(selector);
        self.wait_for_load(before, &format!("a page load after clicking {selector}"));
    }

    /// Evaluates `js` (an expression; a promise is awaited) and returns its value as JSON
    /// (`undefined` is `null`); panics with the exception if it throws.
    pub fn eval(&mut self, js: &str) -> Value {
        self.try_eval(js).unwrap_or_else(|e| self.fail(&e))
    }

    /// Like [`Page::eval`]; a thrown exception is `Err` with its description.
    pub fn try_eval(&mut self, js: &str) -> Result<Value, String> {
        let res = self.try_call(
            "Runtime.evaluate",
            json!({ "expression": js, "returnByValue": true, "awaitPromise": true, "userGesture": true }),
        )?;
        if let Some(ex) = res.get("exceptionDetails") {
            let what = ex["exception"]["description"]
                .as_str()
                .or(ex["text"].as_str())
                .unwrap_or("exception");
            return Err(format!("`{js}` threw: {what}"));
        }
        Ok(res["result"].get("value").cloned().unwrap_or(Value::Null))
    }

    /// Evaluates `js_condition` every [`POLL_INTERVAL`] until it is truthy (JavaScript's sense;
    /// a throw counts as not yet) and returns that value; panics naming the condition and its
    /// last value after `timeout`.
    pub fn wait_for(&mut self, js_condition: &str, timeout: Duration) -> Value {
        self.try_wait_for(js_condition, timeout)
            .unwrap_or_else(|e| self.fail(&e))
    }

    /// Like [`Page::wait_for`]; a timeout is `Err` naming the condition and its last value.
    pub fn try_wait_for(&mut self, js_condition: &str, timeout: Duration) -> Result<Value, String> {
        let start = Instant::now();
        loop {
            let last = match self.try_eval(js_condition) {
                Ok(v) if truthy(&v) => return Ok(v),
                Ok(v) => v.to_string(),
                Err(e) => e,
            };
            if start.elapsed() >= timeout {
                return Err(format!(
                    "timed out after {timeout:?} waiting for `{js_condition}`; last value: {last}"
                ));
            }
            let next = Instant::now() + POLL_INTERVAL.min(timeout.saturating_sub(start.elapsed()));
            while Instant::now() < next {
                self.pump(next.saturating_duration_since(Instant::now()));
            }
        }
    }

    /// Saves a PNG of the viewport (`width` × `height` × device scale pixels) to `path`
    /// (parent folders created); its size in pixels.
    pub fn screenshot(&mut self, path: &Path) -> (u32, u32) {
        let res = self.call("Page.captureScreenshot", json!({ "format": "png" }));
        self.save_png(&res, path)
    }

    /// Saves a PNG of the whole page (its full scroll height, the viewport's width) to `path`;
    /// its size in pixels.
    pub fn screenshot_full_page(&mut self, path: &Path) -> (u32, u32) {
        let height = self
            .eval("Math.ceil(document.documentElement.scrollHeight)")
            .as_f64()
            .unwrap_or(0.0);
        let res = self.call(
            "Page.captureScreenshot",
            json!({
                "format": "png",
                "captureBeyondViewport": true,
                "clip": { "x": 0, "y": 0, "width": self.width, "height": height.max(f64::from(self.height)), "scale": 1 },
            }),
        );
        self.save_png(&res, path)
    }

    /// What sticks out to the right of the viewport: `document: scrollWidth …` when the page
    /// scrolls sideways, `window: innerWidth …` when a phone had to zoom out (no
    /// `width=device-width` viewport), and each visible element whose right edge is past the
    /// viewport's width (`div#id.class "text…": right … > …`). Elements inside a box of their
    /// own that scrolls or clips sideways (`overflow-x` not `visible`, other than `html`/`body`)
    /// are that box's business: the box is checked instead. Empty when everything fits.
    pub fn horizontal_overflow(&mut self) -> Vec<String> {
        strings(&self.eval(&call_js(
            include_str!("overflow.js"),
            &self.width.to_string(),
        )))
    }

    /// Every request URL the page has sent since it was opened (documents, scripts, images,
    /// fetches, event streams — also those that failed), in order.
    pub fn requests(&mut self) -> Vec<String> {
        self.pump(Duration::ZERO);
        self.requests.clone()
    }

    /// The requests that left `origin` (`http://127.0.0.1:PORT`): everything but the origin's own
    /// URLs and the browser-internal `data:`, `blob:` and `about:` ones.
    pub fn requests_outside(&mut self, origin: &str) -> Vec<String> {
        let origin = origin.trim_end_matches('/');
        self.requests()
            .into_iter()
            .filter(|u| {
                let own = u == origin || u.starts_with(&format!("{origin}/"));
                let internal = ["data:", "blob:", "about:"]
                    .iter()
                    .any(|s| u.starts_with(s));
                !own && !internal
            })
            .collect()
    }

    /// Uncaught JavaScript exceptions and `console.error` messages since the page was opened.
    pub fn js_errors(&mut self) -> Vec<String> {
        self.pump(Duration::ZERO);
        self.errors.clone()
    }

    /// Clicks the centre of the first element matching the CSS `selector` with a real mouse
    /// press and release, after scrolling it into view; panics if nothing matches, it has no
    /// size, or another element covers it.
    pub fn click(&mut self, selector: &str) {
        let at = self.eval(&call_js(include_str!("click.js"), &js_string(selector)));
        if let Some(err) = at["error"].as_str() {
            self.fail(&format!("cannot click: {err}"));
        }
        let (x, y) = (at["x"].clone(), at["y"].clone());
        for kind in ["mouseMoved", "mousePressed", "mouseReleased"] {
            self.call(
                "Input.dispatchMouseEvent",
                json!({ "type": kind, "x": x, "y": y, "button": "left", "buttons": u8::from(kind == "mousePressed"), "clickCount": 1 }),
            );
        }
    }

    /// Replaces the value of the input or text area matching `selector` with `text`, typed as
    /// the keyboard would (`input` events), then fires `change`; panics if it cannot be focused.
    pub fn fill(&mut self, selector: &str, text: &str) {
        let sel = js_string(selector);
        if let Some(err) = self.eval(&call_js(include_str!("focus.js"), &sel)).as_str() {
            self.fail(&format!("cannot fill: {err}"));
        }
        if !text.is_empty() {
            self.call("Input.insertText", json!({ "text": text }));
        }
        self.eval(&format!(
            "document.querySelector({sel}).dispatchEvent(new Event('change', {{ bubbles: true }}))"
        ));
    }

    /// Presses and releases one key on the focused element: `Tab`, `Shift+Tab`, `Enter`,
    /// `Escape`, `Space`, `ArrowUp`, `ArrowDown`, `ArrowLeft` or `ArrowRight`.
    pub fn press(&mut self, key: &str) {
        let (name, modifiers) = match key.strip_prefix("Shift+") {
            Some(k) => (k, 8),
            None => (key, 0),
        };
        let (key_value, code, vk, text) = match name {
            "Tab" => ("Tab", "Tab", 9, ""),
            "Enter" => ("Enter", "Enter", 13, "\r"),
            "Escape" => ("Escape", "Escape", 27, ""),
            "Space" => (" ", "Space", 32, " "),
            "ArrowLeft" => ("ArrowLeft", "ArrowLeft", 37, ""),
            "ArrowUp" => ("ArrowUp", "ArrowUp", 38, ""),
            "ArrowRight" => ("ArrowRight", "ArrowRight", 39, ""),
            "ArrowDown" => ("ArrowDown", "ArrowDown", 40, ""),
            other => panic!("press: unknown key {other:?}"),
        };
        let down = if text.is_empty() {
            "rawKeyDown"
        } else {
            "keyDown"
        };
        for kind in [down, "keyUp"] {
            let mut ev = json!({
                "type": kind, "key": key_value, "code": code, "modifiers": modifiers,
                "windowsVirtualKeyCode": vk, "nativeVirtualKeyCode": vk,
            });
            if kind == "keyDown" {
                ev["text"] = json!(text);
                ev["unmodifiedText"] = json!(text);
            }
            self.call("Input.dispatchKeyEvent", ev);
        }
    }

    /// The cookies the browser would send to the current page's URL.
    pub fn cookies(&mut self) -> Vec<Cookie> {
        let res = self.call("Network.getCookies", json!({}));
        serde_json::from_value(res["cookies"].clone())
            .unwrap_or_else(|e| self.fail(&format!("cookies: {e}: {res}")))
    }

    /// Sets a session cookie `name=value` for `url` (as a server's `Set-Cookie` would, path `/`).
    pub fn set_cookie(&mut self, url: &str, name: &str, value: &str) {
        self.call(
            "Network.setCookie",
            json!({ "url": url, "name": name, "value": value, "path": "/" }),
        );
    }

    /// The viewport as asked: (width, height, device scale).
    pub fn viewport(&self) -> (u32, u32, f64) {
        (self.width, self.height, self.device_scale)
    }

    /// Sends a CDP command to the page; its result (panics with the protocol's error). For what
    /// the methods above do not cover.
    pub fn call(&mut self, method: &str, params: Value) -> Value {
        self.try_call(method, params)
            .unwrap_or_else(|e| self.fail(&e))
    }

    /// Like [`Page::call`]; the protocol's error is `Err`.
    pub fn try_call(&mut self, method: &str, params: Value) -> Result<Value, String> {
        let res = self.cdp.call(method, params);
        self.drain_queued();
        res
    }

    /// Waits until more than `before` load events were seen.
    fn wait_for_load(&mut self, before: u64, what: &str) {
        let deadline = Instant::now() + LOAD_TIMEOUT;
        while self.loads <= before {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                self.fail(&format!("no {what} within {LOAD_TIMEOUT:?}"));
            }
            self.pump(left);
        }
    }

    /// Handles the queued events, then waits up to `wait` for one more and takes whatever else
    /// has already arrived (with zero, only what has already arrived).
    fn pump(&mut self, wait: Duration) {
        self.drain_queued();
        let mut wait = wait.max(Duration::from_millis(1));
        loop {
            match self.cdp.next_event(wait) {
                Ok(Some(ev)) => self.handle(&ev),
                Ok(None) => return,
                Err(e) => self.fail(&e),
            }
            wait = Duration::from_millis(1);
        }
    }

    /// Handles the events queued while commands waited for their answers.
    fn drain_queued(&mut self) {
        while let Some(ev) = self.cdp.events.pop_front() {
            self.handle(&ev);
        }
    }

    /// Records what one event tells.
    fn handle(&mut self, ev: &Value) {
        let p = &ev["params"];
        match ev["method"].as_str().unwrap_or("") {
            "Network.requestWillBeSent" => {
                if let Some(url) = p["request"]["url"].as_str() {
                    self.requests.push(url.to_string());
                }
            }
            "Page.loadEventFired" => self.loads += 1,
            "Runtime.exceptionThrown" => {
                let d = &p["exceptionDetails"];
                let what = d["exception"]["description"]
                    .as_str()
                    .or(d["text"].as_str())
                    .unwrap_or("exception");
                self.errors.push(what.to_string());
            }
            "Runtime.consoleAPICalled" if p["type"] == "error" => {
                let args: Vec<String> = p["args"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .map(|v| {
                                v["value"]
                                    .as_str()
                                    .map_or_else(|| v["description"].to_string(), str::to_string)
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                self.errors
                    .push(format!("console.error: {}", args.join(" ")));
            }
            _ => {}
        }
    }

    /// Decodes a `Page.captureScreenshot` result and writes it to `path`; its size in pixels.
    fn save_png(&self, res: &Value, path: &Path) -> (u32, u32) {
        let data = res["data"]
            .as_str()
            .unwrap_or_else(|| self.fail(&format!("no screenshot data: {res}")));
        let png = base64::engine::general_purpose::STANDARD
            .decode(data)
            .unwrap_or_else(|e| self.fail(&format!("screenshot is not base64: {e}")));
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
        }
        std::fs::write(path, &png).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        png_size(&png).unwrap_or_else(|| self.fail("the screenshot is not a PNG"))
    }

    /// Panics with `what` and Chromium's stderr.
    fn fail(&self, what: &str) -> ! {
        self.browser.fail(what)
    }
}

impl Drop for Page<'_> {
    fn drop(&mut self) {
        let _ = self
            .browser
            .call("Target.closeTarget", json!({ "targetId": self.target }));
    }
}

/// Width and height of a PNG from its IHDR header; `None` if `bytes` is no PNG.
pub fn png_size(bytes: &[u8]) -> Option<(u32, u32)> {
    if bytes.len() < 24 || &bytes[..8] != b"\x89PNG\r\n\x1a\n" || &bytes[12..16] != b"IHDR" {
        return None;
    }
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    Some((be(&bytes[16..20]), be(&bytes[20..24])))
}

/// JavaScript's truthiness of a JSON value.
fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0 && !f.is_nan()),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// A JSON array of strings as a `Vec` (anything else: its JSON text).
fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|s| s.as_str().map_or_else(|| s.to_string(), str::to_string))
                .collect()
        })
        .unwrap_or_else(|| vec![v.to_string()])
}

/// `function_js` (a function expression) called with the JavaScript expression `arg`.
fn call_js(function_js: &str, arg: &str) -> String {
    format!("({function_js})({arg})")
}

/// `s` as a JavaScript string literal.
fn js_string(s: &str) -> String {
    serde_json::to_string(s).expect("a string is JSON")
}
