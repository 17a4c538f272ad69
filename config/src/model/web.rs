//! Validated model of `[web]`: the operator's web screen and its local users. Re-exported from
//! [`crate::model`].

use std::fmt;
use std::time::Duration;

/// Default of `[web] session_idle_min`: a session unused this long is signed out.
pub const DEFAULT_SESSION_IDLE_MIN: u32 = 720;

/// `[web]`: the operator's web screen, served on the operator API's listener.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebSettings {
    /// Whether the pages are served (with the API; `[api] enabled = false` turns them off too).
    pub enabled: bool,
    /// Whether viewing needs no login: every client that reaches the listener may look. Off,
    /// only clients on this machine (loopback) and signed-in users may.
    pub view_open: bool,
    /// Local users (`[[web.users]]` and those of `users_file`), names unique.
    pub users: Vec<WebUser>,
    /// A session unused this long is signed out.
    pub session_idle: Duration,
}

impl Default for WebSettings {
    fn default() -> Self {
        Self { enabled: true, view_open: true, users: Vec::new(), session_idle: Duration::from_secs(u64::from(DEFAULT_SESSION_IDLE_MIN) * 60) }
    }
}

/// A local user of the web screen.
#[derive(Clone, PartialEq, Eq)]
pub struct WebUser {
    /// The name they sign in with and actions are journalled under.
    pub name: String,
    /// What they may do.
    pub role: Role,
    /// Their password as an argon2 PHC string (`$argon2id$v=19$m=…`).
    pub password_hash: String,
}

impl fmt::Debug for WebUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebUser").field("name", &self.name).field("role", &self.role).field("password_hash", &"…").finish()
    }
}

/// What a signed-in user of the web screen may do; each role may do what the one before may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// Looks, acknowledges and shelves alarms.
    Operator,
    /// What an operator may, and starts, notes and stops exercises.
    Coordinator,
}

impl Role {
    /// The role's name in the configuration.
    pub fn code(self) -> &'static str {
        match self {
            Role::Operator => "operator",
            Role::Coordinator => "coordinator",
        }
    }

    /// The role named `code` in the configuration.
    pub fn from_code(code: &str) -> Option<Role> {
        match code {
            "operator" => Some(Role::Operator),
            "coordinator" => Some(Role::Coordinator),
            _ => None,
        }
    }
}
