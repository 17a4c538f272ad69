//! `[notify]` (e-mail, recipient groups, routes), `[api]`, `[mqtt]`, and binding every alarm rule
//! to its point once all devices are known.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;


use crate::keys;
use crate::model::{
    AlarmRule, ApiSettings, EmailSettings, Language, MqttSettings, NotifySettings, PointKind,
    RecipientGroup, Route, SmtpSecurity, System,
};
use crate::parse::alarm::{self, RuleSpec, bind_point_rule, bind_top_rule};
use crate::parse::device::Devices;
use crate::parse::common::{IdChars, Section, Span, Walker, by_id, list};

/// Bind every point rule and top-level rule; duplicates reported.
pub(crate) fn bind_rules(
    w: &mut Walker<'_>,
    devices: &Devices,
    top: &[RuleSpec],
) -> Vec<AlarmRule> {
    let mut all: HashMap<String, (System, PointKind, Vec<i64>)> = HashMap::new();
    for d in &devices.devices {
        for p in &d.device.points {
            all.insert(
                p.id.clone(),
                (p.system, p.kind(), p.states.keys().copied().collect()),
            );
        }
    }
    let mut bound: Vec<(AlarmRule, Span, String)> = Vec::new();
    for d in &devices.devices {
        for (i, p) in d.device.points.iter().enumerate() {
            let (Some(specs), Some((_, pctx))) = (d.point_rules.get(i), d.point_places.get(i))
            else {
                continue;
            };
            for spec in specs {
                let ctx = format!(
                    "{pctx}, alarm {}",
                    spec.id.as_ref().map_or_else(
                        || spec.kind.as_ref().map_or("?", |k| k.key()).to_string(),
                        |i| i.value.clone()
                    )
                );
                if let Some(r) = bind_point_rule(w, spec, &d.device, p, &ctx, &all) {
                    bound.push((r, spec.span.clone(), ctx));
                }
            }
        }
    }
    for spec in top {
        if let Some(r) = bind_top_rule(w, spec, &all) {
            bound.push((r, spec.span.clone(), spec.context.clone()));
        }
    }
    alarm::dedup(w, bound)
}

fn path(w: &mut Walker<'_>, s: &Section<'_, '_>, key: &str) -> Option<PathBuf> {
    let at = w.get_str(s, key)?;
    if at.value.trim().is_empty() {
        w.error(&at.span, &s.context, format!("`{key}` must not be empty"));
        return None;
    }
    Some(PathBuf::from(at.value))
}

/// `[notify]`.
pub(crate) fn notify(w: &mut Walker<'_>, root: &Section<'_, '_>) -> NotifySettings {
    let mut out = NotifySettings::default();
    let Some(s) = w.get_table(root, "notify", "notify".to_string()) else {
        return out;
    };
    w.expect_keys(&s, keys::NOTIFY);
    if let Some(d) = w.get_ms(&s, "gather_ms", true) {
        out.gather = d.value;
    }
    if let Some(d) = w.get_ms(&s, "retry_initial_ms", false) {
        out.retry_initial = d.value;
    }
    if let Some(d) = w.get_ms(&s, "retry_max_ms", false) {
        out.retry_max = d.value;
    }
    if out.retry_max < out.retry_initial {
        out.retry_max = out.retry_initial;
    }
    out.email = w
        .get_table(&s, "email", "notify.email".to_string())
        .and_then(|e| email(w, &e));

    let groups = w.get_tables(&s, "groups", by_id("recipient group"));
    let mut seen = HashSet::new();
    for g in &groups {
        w.expect_keys(g, keys::GROUP);
        let id = w.req_str(g, "id");
        let name = w.get_str(g, "name").map(|a| a.value);
        let email = w.get_strings(g, "email");
        for addr in &email {
            if !addr.contains('@')
                && let Some(v) = g.table.get("email")
            {
                w.error(
                    &v.span(),
                    &g.context,
                    format!("`{addr}` is not an e-mail address"),
                );
            }
        }
        let language = match w.get_str(g, "language") {
            None => Language::Sv,
            Some(l) => Language::from_code(&l.value).unwrap_or_else(|| {
                w.error(
                    &l.span,
                    &g.context,
                    format!("`language` must be \"sv\" or \"en\", found \"{}\"", l.value),
                );
                Language::Sv
            }),
        };
        let Some(id) = id else { continue };
        w.check_id(&g.context, "group", &id, IdChars::Plain);
        if !seen.insert(id.value.clone()) {
            w.error(
                &id.span,
                &g.context,
                format!("duplicate recipient group `{}`", id.value),
            );
            continue;
        }
        out.groups.push(RecipientGroup {
            name: name.unwrap_or_else(|| id.value.clone()),
            id: id.value,
            email,
            language,
        });
    }

    let routes = w.get_tables(&s, "routes", |i, _| format!("route #{}", i + 1));
    let ids: Vec<&str> = out.groups.iter().map(|g| g.id.as_str()).collect();
    let mut parsed = Vec::new();
    for r in &routes {
        w.expect_keys(r, keys::ROUTE);
        let classes = r
            .table
            .get("classes")
            .map_or_else(Vec::new, |v| alarm::classes(w, &r.context, "classes", v));
        let mut systems = Vec::new();
        for name in w.get_strings(r, "systems") {
            match System::from_key(&name) {
                Some(sys) => systems.push(sys),
                None => {
                    let all: Vec<&str> = System::ALL.iter().map(|s| s.key()).collect();
                    if let Some(v) = r.table.get("systems") {
                        w.error(
                            &v.span(),
                            &r.context,
                            format!("unknown system `{name}`; expected one of {}", list(&all)),
                        );
                    }
                }
            }
        }
        let to = w.get_strings(r, "to");
        let escalate_to = w.get_strings(r, "escalate_to");
        for (key, names) in [("to", &to), ("escalate_to", &escalate_to)] {
            for n in names {
                if !ids.contains(&n.as_str())
                    && let Some(v) = r.table.get(key)
                {
                    w.error(
                        &v.span(),
                        &r.context,
                        format!(
                            "unknown recipient group `{n}`; defined groups: {}",
                            list(&ids)
                        ),
                    );
                }
            }
        }
        if to.is_empty() {
            w.error(&r.span, &r.context, "a route needs `to = [\"group\", ...]`");
        }
        let repeat_every = w.get_ms(r, "repeat_every_ms", false).map(|a| a.value);
        let escalate_after = w.get_ms(r, "escalate_after_ms", false).map(|a| a.value);
        if escalate_after.is_some() == escalate_to.is_empty() {
            w.error(
                &r.span,
                &r.context,
                "`escalate_after_ms` and `escalate_to` go together",
            );
        }
        let notify_clear = w.get_bool(r, "notify_clear").is_none_or(|b| b.value);
        parsed.push(Route {
            classes,
            systems,
            to,
            repeat_every,
            escalate_after,
            escalate_to,
            notify_clear,
        });
    }
    out.routes = parsed;
    out
}

fn email(w: &mut Walker<'_>, s: &Section<'_, '_>) -> Option<EmailSettings> {
    w.expect_keys(s, keys::EMAIL);
    let enabled = w.get_bool(s, "enabled").is_none_or(|b| b.value);
    let host = w.req_str(s, "host");
    let security_at = w.get_str(s, "security");
    let security = match &security_at {
        None => SmtpSecurity::StartTls,
        Some(a) => match a.value.as_str() {
            "none" => SmtpSecurity::None,
            "starttls" => SmtpSecurity::StartTls,
            "tls" => SmtpSecurity::Tls,
            other => {
                w.error(
                    &a.span,
                    &s.context,
                    format!(
                        "unknown `security` `{other}`; expected one of {}",
                        list(keys::SECURITY_NAMES)
                    ),
                );
                SmtpSecurity::StartTls
            }
        },
    };
    let default_port = match security {
        SmtpSecurity::None => 25,
        SmtpSecurity::StartTls => 587,
        SmtpSecurity::Tls => 465,
    };
    let port = w.u16_or(s, "port", 1..=65535, default_port);
    let username = w.get_str(s, "username").map(|a| a.value);
    let password = w.get_secret(s, "password");
    if username.is_some() != password.is_some() {
        w.error(&s.span, &s.context, "`username` and `password` go together");
    }
    let trusted_relay = w.get_bool(s, "trusted_relay").is_some_and(|b| b.value);
    if let Some(at) = security_at.as_ref().filter(|_| security == SmtpSecurity::None && password.is_some() && !trusted_relay) {
        w.error(
            &at.span,
            &s.context,
            "security = \"none\" with `username` and `password` sends the password in clear text (AUTH PLAIN without TLS); \
             use \"starttls\" or \"tls\", or set `trusted_relay = true` if the relay is on this machine or a network you trust",
        );
    }
    let from = w.req_str(s, "from");
    if let Some(f) = &from
        && !f.value.contains('@')
    {
        w.error(
            &f.span,
            &s.context,
            format!("`from` must be an e-mail address, found \"{}\"", f.value),
        );
    }
    let timeout = w
        .get_ms(s, "timeout_ms", false)
        .map_or(Duration::from_secs(10), |a| a.value);
    let ca_file = path(w, s, "ca_file");
    Some(EmailSettings {
        enabled,
        host: host?.value,
        port,
        security,
        username,
        password,
        from: from?.value,
        timeout,
        ca_file,
    })
}

/// `[api]`.
pub(crate) fn api(w: &mut Walker<'_>, root: &Section<'_, '_>) -> ApiSettings {
    let mut out = ApiSettings::default();
    let Some(s) = w.get_table(root, "api", "api".to_string()) else {
        return out;
    };
    w.expect_keys(&s, keys::API);
    if let Some(b) = w.get_bool(&s, "enabled") {
        out.enabled = b.value;
    }
    if let Some(l) = w.get_str(&s, "listen") {
        match l.value.parse::<SocketAddr>() {
            Ok(addr) => {
                if !addr.ip().is_loopback() {
                    w.warning(&l.span, "api", format!("the API listens on {addr}, beyond this machine: read access is then token-protected too"));
                }
                out.listen = addr;
            }
            Err(_) => w.error(
                &l.span,
                "api",
                format!(
                    "`listen` must be an address with port, e.g. \"127.0.0.1:8750\", found \"{}\"",
                    l.value
                ),
            ),
        }
    }
    out.token = w.get_secret(&s, "token");
    out.max_connections = w.u16_or(&s, "max_connections", 1..=4096, out.max_connections);
    out
}

/// `[mqtt]`; `site_id` gives the defaults of `client_id` and `topic_prefix`.
pub(crate) fn mqtt(
    w: &mut Walker<'_>,
    root: &Section<'_, '_>,
    site_id: Option<&str>,
) -> Option<MqttSettings> {
    let s = w.get_table(root, "mqtt", "mqtt".to_string())?;
    w.expect_keys(&s, keys::MQTT);
    let site = site_id.unwrap_or("site");
    let enabled = w.get_bool(&s, "enabled").is_none_or(|b| b.value);
    let host = w.req_str(&s, "host");
    let tls_ca_file = w
        .get_table(&s, "tls", "mqtt.tls".to_string())
        .and_then(|t| {
            w.expect_keys(&t, keys::MQTT_TLS);
            let ca = path(w, &t, "ca_file");
            if ca.is_none() && t.table.get("ca_file").is_none() {
                w.error(
                    &t.span,
                    &t.context,
                    "missing required key `ca_file` (the broker's CA certificate, PEM)",
                );
            }
            ca
        });
    let port = w.u16_or(
        &s,
        "port",
        1..=65535,
        if tls_ca_file.is_some() { 8883 } else { 1883 },
    );
    let client_id = w
        .get_str(&s, "client_id")
        .map_or_else(|| format!("driftvakt-{site}"), |a| a.value);
    let username = w.get_str(&s, "username").map(|a| a.value);
    let password = w.get_secret(&s, "password");
    if password.is_some() && username.is_none() {
        w.error(&s.span, &s.context, "`password` needs `username`");
    }
    let topic_prefix = match w.get_str(&s, "topic_prefix") {
        Some(p) if p.value.is_empty() || p.value.ends_with('/') || p.value.contains(['+', '#']) => {
            w.error(
                &p.span,
                "mqtt",
                "`topic_prefix` must be non-empty, without `+`, `#` or a trailing `/`",
            );
            format!("driftvakt/{site}")
        }
        Some(p) => p.value,
        None => format!("driftvakt/{site}"),
    };
    let keep_alive = w.u16_or(&s, "keep_alive_s", 1..=65535, 30);
    Some(MqttSettings {
        enabled,
        host: host?.value,
        port,
        client_id,
        username,
        password,
        tls_ca_file,
        topic_prefix,
        keep_alive: Duration::from_secs(u64::from(keep_alive)),
    })
}
