//! Finding the operator's pages without a list: start at `/`, take every same-origin link of the
//! navigation and the page bodies, keep one URL per path, and follow them breadth first.

use std::collections::{BTreeMap, VecDeque};

use reqwest::blocking::Client;
use reqwest::header;

/// Stop (and fail) past this many pages: a link per row of a growing table is no page to
/// screenshot one by one.
pub const MAX_PAGES: usize = 80;

/// Paths that are no pages: assets, the live stream, the JSON API.
const NOT_PAGES: [&str; 3] = ["/static/", "/web/", "/api/"];

/// JavaScript: every link of the current document as (absolute URL, has `download`).
pub const LINKS_JS: &str = "[...document.querySelectorAll('a[href]')].map(a => [a.href, a.hasAttribute('download')])";

/// The pages found so far, in the order they are visited.
pub struct Crawl {
    /// The daemon's origin, `http://127.0.0.1:PORT`.
    origin: String,
    /// Path → the page that first linked to it (`/` for the start).
    seen: BTreeMap<String, String>,
    /// Paths still to visit.
    todo: VecDeque<String>,
    /// Links that answered no page: (path, linked from, what it answered).
    pub broken: Vec<(String, String, String)>,
    /// Links to something other than HTML (downloads): (path, content type).
    pub files: Vec<(String, String)>,
    /// Plain HTTP, no cookies, redirects followed (a login page is a page).
    http: Client,
}

impl Crawl {
    /// A crawl of `origin` starting at `/`.
    pub fn new(origin: &str) -> Crawl {
        let mut seen = BTreeMap::new();
        seen.insert("/".to_string(), "/".to_string());
        Crawl {
            origin: origin.to_string(),
            seen,
            todo: VecDeque::from(["/".to_string()]),
            broken: Vec::new(),
            files: Vec::new(),
            http: Client::builder().build().expect("HTTP client"),
        }
    }

    /// The next path that is an HTML page (links to anything else are noted and skipped);
    /// `None` when every link has been followed. Panics past [`MAX_PAGES`].
    pub fn next_page(&mut self) -> Option<String> {
        while let Some(path) = self.todo.pop_front() {
            let from = self.seen.get(&path).cloned().unwrap_or_default();
            let url = format!("{}{path}", self.origin);
            let r = match self.http.get(&url).send() {
                Ok(r) => r,
                Err(e) => {
                    self.broken.push((path, from, e.to_string()));
                    continue;
                }
            };
            let ty = r.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
            if !r.status().is_success() {
                self.broken.push((path, from, format!("{} ({ty})", r.status())));
            } else if !ty.starts_with("text/html") {
                self.files.push((path, ty));
            } else {
                return Some(path);
            }
        }
        None
    }

    /// Takes the links of page `from` (the value of [`LINKS_JS`]): same origin, not a download,
    /// not an asset or the API, a path not seen before.
    pub fn add_links(&mut self, from: &str, links: &serde_json::Value) {
        for link in links.as_array().into_iter().flatten() {
            let (Some(href), download) = (link[0].as_str(), link[1].as_bool().unwrap_or(false)) else { continue };
            let Some(rest) = href.strip_prefix(&self.origin) else { continue };
            let path = rest.split(['?', '#']).next().unwrap_or("");
            let path = if path.is_empty() { "/" } else { path };
            if download || !path.starts_with('/') || NOT_PAGES.iter().any(|p| path.starts_with(p)) || self.seen.contains_key(path) {
                continue;
            }
            assert!(
                self.seen.len() < MAX_PAGES,
                "more than {MAX_PAGES} pages linked (the last from {from}: {path}); raise MAX_PAGES if that is right:\n{:?}",
                self.seen.keys().collect::<Vec<_>>()
            );
            self.seen.insert(path.to_string(), from.to_string());
            self.todo.push_back(path.to_string());
        }
    }
}

/// A file name for the page at `path`: `/` is `oversikt`, `/system/vatten` is `system-vatten`.
pub fn page_name(path: &str) -> String {
    let name: String = path
        .trim_matches('/')
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '_' { c.to_ascii_lowercase() } else { '-' })
        .collect();
    if name.is_empty() { "oversikt".to_string() } else { name }
}
