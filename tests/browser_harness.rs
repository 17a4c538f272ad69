//! The browser-test harness itself (`support/browser.rs`), against two fixed pages served by the
//! test: headless Chromium loads and evaluates, finds what overflows a phone's width and nothing
//! on a page that fits, logs every request (the external image too, though it cannot load),
//! takes PNGs of the asked size, clicks, types, keeps cookies, reports JavaScript errors, times
//! out with a clear message, and leaves no Chromium process behind.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use support::browser::{Browser, png_size};

/// Fits 390 px: a heading, a form, and a wide table that scrolls inside its own box. Sets an
/// HttpOnly, SameSite=Strict session cookie.
const FITS: &str = r#"<!doctype html>
<html lang="sv"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>Passar</title></head>
<body style="margin:0;font-family:sans-serif">
<h1 id="rubrik">Översikt</h1>
<label>Namn <input id="namn" oninput="document.getElementById('eko').textContent = this.value"></label>
<p id="eko"></p>
<button id="kvittera" onclick="document.title = 'kvitterad'">Kvittera</button>
<div style="overflow-x:auto;max-width:100%"><table style="width:800px"><tr><td>bred tabell i egen ruta</td></tr></table></div>
</body></html>"#;

/// 600 px wide content and an image from outside; throws on load.
const WIDE: &str = r#"<!doctype html>
<html lang="sv"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>Bred</title></head>
<body style="margin:0">
<div id="bred" class="ruta larm" style="width:600px;height:20px">för bred</div>
<img src="http://example.invalid/logo.png" alt="logga" width="10" height="10">
<script>throw new Error('sidfel');</script>
</body></html>"#;

/// Serves `/fits` and `/wide` (anything else 404) on a free port until the test process ends;
/// the origin `http://127.0.0.1:PORT`.
fn serve() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let origin = format!("http://{}", listener.local_addr().expect("local address"));
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            thread::spawn(move || answer(stream));
        }
    });
    origin
}

/// Answers one request on `stream` and closes it.
fn answer(mut stream: TcpStream) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone stream"));
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let mut line = String::new();
    while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
        line.clear();
    }
    let path = request_line.split_whitespace().nth(1).unwrap_or("/");
    let (status, extra, body) = match path {
        "/fits" => (
            "200 OK",
            "Set-Cookie: sid=abc123; Path=/; HttpOnly; SameSite=Strict\r\n",
            FITS,
        ),
        "/wide" => ("200 OK", "", WIDE),
        _ => ("404 Not Found", "", "saknas"),
    };
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n{extra}Connection: close\r\n\r\n{body}",
        body.len()
    );
}

/// The PNG at `path` is `want` pixels.
fn assert_png(path: &Path, want: (u32, u32)) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    assert_eq!(
        png_size(&bytes),
        Some(want),
        "{} is not a {}×{} PNG",
        path.display(),
        want.0,
        want.1
    );
}

#[test]
fn a_phone_sees_what_overflows_and_every_request_leaving_the_origin() {
    let origin = serve();
    let dir = tempfile::tempdir().expect("temp dir");
    let browser = Browser::launch();

    let mut fits = browser.page(390, 844, 2.0);
    fits.goto(&format!("{origin}/fits"));
    assert_eq!(fits.eval("document.title"), "Passar");
    assert_eq!(
        fits.eval("document.getElementById('rubrik').textContent"),
        "Översikt"
    );
    assert_eq!(
        fits.eval("new Promise(r => setTimeout(() => r(6 * 7), 10))"),
        42,
        "promises are awaited"
    );
    assert_eq!(
        fits.eval("[window.innerWidth, devicePixelRatio, matchMedia('(pointer: coarse)').matches]"),
        serde_json::json!([390, 2, true])
    );
    assert_eq!(
        fits.horizontal_overflow(),
        Vec::<String>::new(),
        "the fitting page (its wide table scrolls in its own box)"
    );
    let requests = fits.requests();
    assert!(
        requests.contains(&format!("{origin}/fits")),
        "the document is logged: {requests:?}"
    );
    assert_eq!(
        fits.requests_outside(&origin),
        Vec::<String>::new(),
        "all requests: {requests:?}"
    );
    assert_eq!(fits.js_errors(), Vec::<String>::new());
    let shot = dir.path().join("phone/fits.png");
    assert_eq!(fits.screenshot(&shot), (780, 1688));
    assert_png(&shot, (780, 1688));

    let mut wide = browser.page(390, 844, 2.0);
    wide.goto(&format!("{origin}/wide"));
    let overflow = wide.horizontal_overflow();
    assert!(
        overflow
            .iter()
            .any(|o| o.starts_with("div#bred.ruta.larm \"för bred\": right 600 > 390")),
        "{overflow:?}"
    );
    assert!(
        overflow
            .iter()
            .any(|o| o.starts_with("document: scrollWidth 600 > 390")),
        "{overflow:?}"
    );
    assert_eq!(
        wide.requests_outside(&origin),
        vec!["http://example.invalid/logo.png".to_string()]
    );
    let errors = wide.js_errors();
    assert!(
        errors.len() == 1 && errors[0].contains("sidfel"),
        "the page's uncaught error: {errors:?}"
    );
    assert!(
        overflow
            .iter()
            .any(|o| o.starts_with("window: innerWidth 600 > 390")),
        "the phone zoomed out: {overflow:?}"
    );
}

#[test]
fn a_desktop_page_is_clicked_typed_into_and_waited_for() {
    let origin = serve();
    let dir = tempfile::tempdir().expect("temp dir");
    let browser = Browser::launch();
    let pid = browser.pid();
    {
        let mut page = browser.page(1366, 768, 1.0);
        page.goto(&format!("{origin}/fits"));
        assert_eq!(
            page.eval("matchMedia('(pointer: coarse)').matches"),
            false,
            "a desktop has a mouse"
        );
        assert_eq!(page.horizontal_overflow(), Vec::<String>::new());
        let shot = dir.path().join("desktop.png");
        assert_eq!(page.screenshot(&shot), (1366, 768));
        assert_png(&shot, (1366, 768));
        page.eval("document.documentElement.style.height = '2000px'");
        let full = dir.path().join("desktop-full.png");
        assert_eq!(page.screenshot_full_page(&full), (1366, 2000));
        assert_png(&full, (1366, 2000));

        page.fill("#namn", "Anna Ö");
        assert_eq!(page.eval("document.getElementById('namn').value"), "Anna Ö");
        assert_eq!(
            page.eval("document.getElementById('eko').textContent"),
            "Anna Ö",
            "typing fires input events"
        );
        page.click("#kvittera");
        page.wait_for("document.title === 'kvitterad'", Duration::from_secs(2));
        page.eval("document.getElementById('namn').focus()");
        page.press("Tab");
        assert_eq!(
            page.eval("document.activeElement.id"),
            "kvittera",
            "Tab moves the focus"
        );

        let sid = page
            .cookies()
            .into_iter()
            .find(|c| c.name == "sid")
            .expect("the server's cookie");
        assert!(
            sid.http_only && sid.same_site.as_deref() == Some("Strict") && sid.value == "abc123",
            "{sid:?}"
        );
        page.set_cookie(&origin, "lang", "en");
        assert!(
            page.cookies()
                .iter()
                .any(|c| c.name == "lang" && c.value == "en")
        );
        assert_eq!(
            page.eval("document.cookie"),
            "lang=en",
            "HttpOnly cookies stay hidden from scripts"
        );

        let err = page
            .try_eval("undefinedFunction()")
            .expect_err("a throw is an error");
        assert!(err.contains("undefinedFunction is not defined"), "{err}");
        let start = Instant::now();
        let err = page
            .try_wait_for(
                "document.querySelector('.larm')",
                Duration::from_millis(300),
            )
            .expect_err("the element never comes");
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "gave up on time: {:?}",
            start.elapsed()
        );
        assert!(
            err.contains("timed out after 300ms")
                && err.contains("document.querySelector('.larm')")
                && err.contains("null"),
            "{err}"
        );
    }
    drop(browser);
    let left: Vec<String> = std::fs::read_dir("/proc")
        .expect("/proc")
        .flatten()
        .filter_map(|e| std::fs::read_to_string(e.path().join("stat")).ok())
        .filter(|stat| {
            // Fields after the command's closing parenthesis: state, ppid, pgrp. A zombie (Z) is
            // dead, only not yet reaped by init.
            let rest: Vec<&str> = stat
                .rsplit_once(')')
                .map_or("", |(_, r)| r)
                .split_whitespace()
                .collect();
            rest.len() > 2 && rest[0] != "Z" && rest[2] == pid.to_string()
        })
        .collect();
    assert_eq!(
        left,
        Vec::<String>::new(),
        "Chromium processes left after drop"
    );
}
