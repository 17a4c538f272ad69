//! Sessions of signed-in users, in memory (a restart signs everybody out): a random 32-byte id
//! in the `driftvakt_session` cookie, the user's name and role, its own CSRF token, and the last
//! use; a session unused for the idle time is gone.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use driftvakt_config::model::Role;

use super::super::viewer::User;

/// The session cookie's name.
pub const COOKIE: &str = "driftvakt_session";

/// At most this many sessions at once; the least recently used goes first.
const MAX_SESSIONS: usize = 10_000;

/// 32 random bytes from the system, hex: a session id or a CSRF token.
pub fn random_token() -> Option<String> {
    let mut b = [0u8; 32];
    getrandom::getrandom(&mut b).ok()?;
    Some(b.iter().map(|x| format!("{x:02x}")).collect())
}

/// One signed-in user.
#[derive(Debug, Clone)]
struct Session {
    name: String,
    role: Role,
    csrf: String,
    last: Instant,
}

/// Every session.
#[derive(Debug)]
pub struct Sessions {
    idle: Duration,
    map: Mutex<HashMap<String, Session>>,
}

impl Sessions {
    /// No sessions yet; each ends after `idle` unused.
    pub fn new(idle: Duration) -> Sessions {
        Sessions { idle, map: Mutex::new(HashMap::new()) }
    }

    /// A new session for `name` in `role` at `now`: its id (`None` when the system gives no
    /// random bytes).
    pub fn create(&self, name: &str, role: Role, now: Instant) -> Option<String> {
        let (id, csrf) = (random_token()?, random_token()?);
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        map.retain(|_, s| now.saturating_duration_since(s.last) < self.idle);
        if map.len() >= MAX_SESSIONS
            && let Some(oldest) = map.iter().min_by_key(|(_, s)| s.last).map(|(k, _)| k.clone())
        {
            map.remove(&oldest);
        }
        map.insert(id.clone(), Session { name: name.to_string(), role, csrf, last: now });
        Some(id)
    }

    /// The user of session `id` at `now` (its use renews the idle time); `None` when unknown
    /// or idle too long (then it is gone).
    pub fn user(&self, id: &str, now: Instant) -> Option<User> {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        let s = map.get_mut(id)?;
        if now.saturating_duration_since(s.last) >= self.idle {
            map.remove(id);
            return None;
        }
        s.last = now;
        Some(User { name: s.name.clone(), role: s.role, csrf: Some(s.csrf.clone()) })
    }

    /// End session `id`.
    pub fn end(&self, id: &str) {
        self.map.lock().unwrap_or_else(|e| e.into_inner()).remove(id);
    }
}

/// The session id in a request's `Cookie` headers.
pub fn cookie_id(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.trim())
}

/// The `Set-Cookie` value that carries session `id`: HttpOnly, SameSite=Strict, the whole site,
/// gone when the browser closes.
pub fn set_cookie(id: &str) -> String {
    format!("{COOKIE}={id}; HttpOnly; SameSite=Strict; Path=/")
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn clear_cookie() -> String {
    format!("{COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0")
}

#[cfg(test)]
mod tests {
    use axum::http::{HeaderMap, HeaderValue, header};

    use super::*;

    #[test]
    fn a_session_knows_its_user_and_own_csrf_token_until_it_idles_out() {
        let t0 = Instant::now();
        let s = Sessions::new(Duration::from_secs(60));
        let eva = s.create("Eva", Role::Operator, t0).expect("id");
        let olle = s.create("Olle", Role::Coordinator, t0).expect("id");
        assert_eq!(eva.len(), 64);
        let u = s.user(&eva, t0 + Duration::from_secs(59)).expect("alive");
        assert_eq!((u.name.as_str(), u.role), ("Eva", Role::Operator));
        let o = s.user(&olle, t0).expect("alive");
        assert_ne!(u.csrf, o.csrf, "each session its own token");
        // Used at 59 s: alive until 119 s, gone at 119 s + idle.
        assert!(s.user(&eva, t0 + Duration::from_secs(118)).is_some());
        assert!(s.user(&eva, t0 + Duration::from_secs(178)).is_none());
        assert!(s.user(&eva, t0).is_none(), "gone for good");
        assert!(s.user("not-a-session", t0).is_none());
        s.end(&olle);
        assert!(s.user(&olle, t0).is_none());
    }

    #[test]
    fn the_cookie_is_http_only_strict_and_found_among_others() {
        let c = set_cookie("abc");
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Strict") && c.contains("Path=/"), "{c}");
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_static("driftvakt_lang=en; driftvakt_session=abc"));
        assert_eq!(cookie_id(&h), Some("abc"));
        assert!(clear_cookie().contains("Max-Age=0"));
    }
}
