//! Who is looking at a page: the one decision every page handler takes as its [`Viewer`]
//! argument (its extractor is `gate.rs`'s). Anonymous viewing is open to every client with `[web] view_open` (the default),
//! else to clients on this machine only. A request with the API token
//! (`Authorization: Bearer …`) acts as the coordinator "API"; a live session cookie
//! (`driftvakt_session`, see `auth/`) is its signed-in user, who may look even where viewing is
//! closed. Handlers that act (acknowledge, shelve, exercises) ask [`Viewer::may`] and check the
//! form's CSRF token with [`Viewer::csrf_ok`].

use std::net::SocketAddr;

pub use driftvakt_config::model::Role;

use crate::constant_time::same;

/// The name actions taken with the API token are journalled under.
pub const API_USER: &str = "API";

/// A named user acting through the pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// The name actions are journalled under.
    pub name: String,
    /// What they may do.
    pub role: Role,
    /// The session's CSRF token every form must carry; `None` for the API token (no cookie,
    /// nothing a foreign page could borrow).
    pub csrf: Option<String>,
}

/// Why a form's action is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Not signed in with the role the action needs.
    Role,
    /// The form's CSRF token is not this session's.
    Csrf,
}

/// The viewer of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Viewer {
    /// Nobody in particular: may look, may not act.
    Anonymous,
    /// Signed in, or the API token.
    User(User),
}

impl Viewer {
    /// Who `peer` is when `view_open` says whether looking needs no login.
    pub fn of(peer: Option<SocketAddr>, view_open: bool) -> Option<Viewer> {
        let local = peer.is_some_and(|p| p.ip().is_loopback());
        (view_open || local).then_some(Viewer::Anonymous)
    }

    /// The signed-in user, if any.
    pub fn user(&self) -> Option<&User> {
        match self {
            Viewer::Anonymous => None,
            Viewer::User(u) => Some(u),
        }
    }

    /// Whether this viewer may do what `role` may.
    pub fn may(&self, role: Role) -> bool {
        self.user().is_some_and(|u| u.role >= role)
    }

    /// The user who may act as `role` with a form carrying `csrf`, or why not.
    pub fn acting(&self, role: Role, csrf: &str) -> Result<&User, Refusal> {
        match self.user() {
            Some(u) if u.role >= role => {
                if self.csrf_ok(csrf) {
                    Ok(u)
                } else {
                    Err(Refusal::Csrf)
                }
            }
            _ => Err(Refusal::Role),
        }
    }

    /// Whether `given` (a form's hidden `csrf` field) is this session's CSRF token.
    pub fn csrf_ok(&self, given: &str) -> bool {
        match self.user() {
            None => false,
            Some(User { csrf: None, .. }) => true,
            Some(User { csrf: Some(t), .. }) => same(t.as_bytes(), given.as_bytes()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viewing_is_open_by_configuration_and_always_open_on_this_machine() {
        let far: SocketAddr = "192.0.2.7:5000".parse().expect("addr");
        let here: SocketAddr = "127.0.0.1:5000".parse().expect("addr");
        assert_eq!(Viewer::of(Some(far), true), Some(Viewer::Anonymous));
        assert_eq!(Viewer::of(Some(far), false), None);
        assert_eq!(Viewer::of(Some(here), false), Some(Viewer::Anonymous));
        assert_eq!(Viewer::of(None, false), None);
    }

    #[test]
    fn only_users_act_each_within_their_role_and_with_their_own_csrf_token() {
        let op = Viewer::User(User { name: "Eva".into(), role: Role::Operator, csrf: Some("abc".into()) });
        assert!(op.may(Role::Operator) && !op.may(Role::Coordinator));
        assert!(op.csrf_ok("abc") && !op.csrf_ok("abd") && !op.csrf_ok(""));
        assert!(!Viewer::Anonymous.may(Role::Operator) && !Viewer::Anonymous.csrf_ok(""));
        let api = Viewer::User(User { name: API_USER.into(), role: Role::Coordinator, csrf: None });
        assert!(api.may(Role::Operator) && api.may(Role::Coordinator) && api.csrf_ok(""));
        assert_eq!(op.acting(Role::Operator, "abc").map(|u| u.name.as_str()), Ok("Eva"));
        assert_eq!(op.acting(Role::Operator, "abd"), Err(Refusal::Csrf));
        assert_eq!(op.acting(Role::Coordinator, "abc"), Err(Refusal::Role));
        assert_eq!(Viewer::Anonymous.acting(Role::Operator, ""), Err(Refusal::Role));
        assert_eq!(api.acting(Role::Coordinator, "").map(|u| u.name.as_str()), Ok(API_USER));
    }
}
