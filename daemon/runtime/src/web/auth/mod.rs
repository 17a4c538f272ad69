//! Who may act on the web screen: local users (`[web]` users with argon2 hashes) or the API
//! token sign in at `/logga-in` (`login.rs`) and get a session (`session.rs`: an HttpOnly,
//! SameSite=Strict cookie, its own CSRF token, idle expiry); failed logins are rate-limited per
//! client address and per name (`limit.rs`); POSTs from another origin are refused
//! (`origin.rs`). The [`super::viewer::Viewer`] of a request with a live session cookie is its user.

pub mod limit;
pub mod login;
pub mod origin;
pub mod session;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use driftvakt_config::model::{Role, WebUser};
use driftvakt_config::password::{hash_password, verify_password};

use crate::constant_time::same;
use limit::Limiter;
use session::Sessions;

/// The web screen's sign-in state, shared by every handler.
#[derive(Debug)]
pub struct Auth {
    /// The live sessions.
    pub sessions: Sessions,
    /// Failed logins.
    pub limiter: Limiter,
    /// The configured users.
    users: Vec<WebUser>,
    /// The `[api] token`: accepted as a password with any name, as a coordinator.
    token: Option<Arc<str>>,
    /// A hash checked for unknown names, so that they take as long as known ones.
    dummy: OnceLock<String>,
    /// Password checks running at once (each argon2 check takes ~19 MiB and a core's tens of
    /// milliseconds): a flood of logins queues here instead of taking the machine.
    pub checks: tokio::sync::Semaphore,
}

/// Password checks that may run at once.
pub const PARALLEL_CHECKS: usize = 2;

impl Auth {
    /// For `users` and `token`, sessions idle out after `idle`.
    pub fn new(users: Vec<WebUser>, token: Option<Arc<str>>, idle: Duration) -> Auth {
        Auth { sessions: Sessions::new(idle), limiter: Limiter::default(), users, token, dummy: OnceLock::new(), checks: tokio::sync::Semaphore::new(PARALLEL_CHECKS) }
    }

    /// Whether anyone can sign in at all (users or a token).
    pub fn has_logins(&self) -> bool {
        !self.users.is_empty() || self.token.is_some()
    }

    /// Who `name` with `password` is: the user's name and role, or the name given with the API
    /// token as a coordinator. Blocking (argon2): call it off the async threads. Unknown names
    /// are checked against a dummy hash, so the time taken does not tell which names exist.
    pub fn check(&self, name: &str, password: &str) -> Option<(String, Role)> {
        let name = name.trim();
        if let Some(t) = &self.token
            && same(password.as_bytes(), t.as_bytes())
        {
            let who = if name.is_empty() { super::viewer::API_USER } else { name };
            return Some((who.to_string(), Role::Coordinator));
        }
        match self.users.iter().find(|u| u.name == name) {
            Some(u) => verify_password(password, &u.password_hash).then(|| (u.name.clone(), u.role)),
            None => {
                let dummy = self.dummy.get_or_init(|| hash_password("driftvakt dummy password", &[0x5a; 16]).unwrap_or_default());
                let _ = verify_password(password, dummy);
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth() -> Auth {
        let eva = WebUser { name: "Eva".into(), role: Role::Operator, password_hash: hash_password("rätt", &[1; 16]).expect("hash") };
        Auth::new(vec![eva], Some(Arc::from("t0ken")), Duration::from_secs(60))
    }

    #[test]
    fn users_sign_in_with_their_password_and_anyone_with_the_token_as_coordinator() {
        let a = auth();
        assert_eq!(a.check("Eva", "rätt"), Some(("Eva".into(), Role::Operator)));
        assert_eq!(a.check(" Eva ", "rätt"), Some(("Eva".into(), Role::Operator)));
        assert_eq!(a.check("Eva", "fel"), None);
        assert_eq!(a.check("Okänd", "rätt"), None);
        assert_eq!(a.check("Jour", "t0ken"), Some(("Jour".into(), Role::Coordinator)));
        assert_eq!(a.check("", "t0ken"), Some(("API".into(), Role::Coordinator)));
        assert!(a.has_logins() && !Auth::new(vec![], None, Duration::from_secs(1)).has_logins());
    }

    #[test]
    fn an_unknown_name_is_checked_against_a_dummy_hash_like_a_known_one() {
        let a = auth();
        assert!(a.dummy.get().is_none());
        assert_eq!(a.check("Okänd", "x"), None);
        assert!(a.dummy.get().is_some_and(|h| h.starts_with("$argon2id$")), "an argon2 verification was done");
    }
}
