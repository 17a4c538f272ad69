//! `[web]`: the web screen, its local users (`[[web.users]]` and `users_file`, a TOML file of
//! `[[users]]` entries so that hashes can live outside the main configuration) and the session
//! idle time. Every mistake is reported in one run, named by its place; mistakes inside
//! `users_file` are reported at the `users_file` key, with the place in that file.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use toml::de::DeTable;

use crate::keys;
use crate::model::{ApiSettings, Role, WebSettings, WebUser};
use crate::parse::common::{At, Section, Walker, peek_str};
use crate::password::check_hash;

/// `[web]`; a warning when it is on but the API (its listener) is off. `file_name` is the
/// configuration's path: a relative `users_file` is read from its folder.
pub(crate) fn web(w: &mut Walker<'_>, root: &Section<'_, '_>, api: &ApiSettings, file_name: &str) -> WebSettings {
    let mut out = WebSettings::default();
    let Some(s) = w.get_table(root, "web", "web".to_string()) else {
        return out;
    };
    w.expect_keys(&s, keys::WEB);
    if let Some(b) = w.get_bool(&s, "enabled") {
        out.enabled = b.value;
    }
    if let Some(b) = w.get_bool(&s, "view_open") {
        out.view_open = b.value;
    }
    if let Some(n) = w.get_int(&s, "session_idle_min", 1..=10_080) {
        out.session_idle = Duration::from_secs(u64::try_from(n.value).unwrap_or(1) * 60);
    }
    let mut seen = HashSet::new();
    out.users = users(w, &s, "users", &mut seen);
    if let Some(at) = w.get_str(&s, "users_file") {
        out.users.extend(users_file(w, &at, file_name, &mut seen));
    }
    if out.enabled && !api.enabled {
        w.warning(&s.span, "web", "the web screen is served on the API's listener, and `[api] enabled = false`: no pages are served");
    }
    out
}

/// The `[[key]]` users of `s`; names already in `seen` are duplicates.
fn users(w: &mut Walker<'_>, s: &Section<'_, '_>, key: &str, seen: &mut HashSet<String>) -> Vec<WebUser> {
    let tables = w.get_tables(s, key, |i, t: &DeTable<'_>| match peek_str(t, "name") {
        Some(n) => format!("web user {n}"),
        None => format!("web user #{}", i + 1),
    });
    let mut out = Vec::new();
    for u in &tables {
        w.expect_keys(u, keys::WEB_USER);
        let name = w.req_str(u, "name");
        let role = w.req_str(u, "role").and_then(|r| {
            let role = Role::from_code(&r.value);
            if role.is_none() {
                w.error(&r.span, &u.context, format!("`role` must be \"operator\" or \"coordinator\", found \"{}\"", r.value));
            }
            role
        });
        let hash = w.req_str(u, "password_hash").filter(|h| match check_hash(&h.value) {
            Ok(()) => true,
            Err(e) => {
                w.error(&h.span, &u.context, format!("`password_hash` must be an argon2 PHC string (make one with `driftvakt password-hash`): {e}"));
                false
            }
        });
        let Some(name) = name else { continue };
        if !seen.insert(name.value.clone()) {
            w.error(&name.span, &u.context, format!("duplicate web user `{}`", name.value));
            continue;
        }
        if let (Some(role), Some(hash)) = (role, hash) {
            out.push(WebUser { name: name.value, role, password_hash: hash.value });
        }
    }
    out
}

/// The users of the file `at` names (relative: to the configuration's folder); its mistakes
/// are reported at `at`.
fn users_file(w: &mut Walker<'_>, at: &At<String>, file_name: &str, seen: &mut HashSet<String>) -> Vec<WebUser> {
    let mut path = PathBuf::from(&at.value);
    if path.is_relative() {
        path = Path::new(file_name).parent().unwrap_or(Path::new("")).join(path);
    }
    let shown = path.display().to_string();
    let source = match std::fs::read_to_string(&path) {
        Ok(s) => s,
        Err(e) => {
            w.error(&at.span, "web", format!("cannot read `users_file` {shown}: {e}"));
            return Vec::new();
        }
    };
    let mut inner = Walker::new(&source, &shown);
    let found = match DeTable::parse(&source) {
        Ok(root) => {
            let root = Section { table: root.get_ref(), span: 0..0, context: "users_file".to_string() };
            inner.expect_keys(&root, &["users"]);
            users(&mut inner, &root, "users", seen)
        }
        Err(e) => {
            w.error(&at.span, "web", format!("`users_file` {shown} is not valid TOML: {}", e.message()));
            Vec::new()
        }
    };
    for d in inner.finish() {
        let msg = format!("`users_file` {}:{}:{}: {}: {}", d.file, d.line, d.column, d.context, d.message);
        if d.is_error() {
            w.error(&at.span, "web", msg);
        } else {
            w.warning(&at.span, "web", msg);
        }
    }
    found
}
