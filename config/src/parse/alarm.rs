//! Alarm rules: a point's `alarms = [...]` (also in templates) and `[[alarms.rules]]`, plus the
//! `[alarms]` settings. Rules are read on their own first ([`RuleSpec`]); once every point is
//! known they are bound to their point ([`bind`]), which checks kind against point type and
//! resolves `while` points.

use std::collections::HashMap;
use std::time::Duration;

use toml::de::DeValue;

use crate::keys;
use crate::model::{
    AlarmClass, AlarmRule, AlarmSettings, Condition, Device, LimitLevel, Point, PointKind,
    RuleKind, System,
};
use crate::parse::common::{At, IdChars, Section, Span, Walker, by_id, describe, integer, key_span, list};

/// A `while` condition as written.
#[derive(Debug, Clone)]
pub(crate) struct CondSpec {
    /// Point id: full `device.point`, or a bare point id of the rule's own device.
    pub point: At<String>,
    /// Compared state.
    pub value: f64,
    /// `equals` (true) or `not_equals` (false).
    pub equal: bool,
    /// Hold time.
    pub hold: Duration,
}

/// A rule as written, checked on its own.
#[derive(Debug, Clone)]
pub(crate) struct RuleSpec {
    /// `id` (required for top-level rules; optional on points, default the kind).
    pub id: Option<At<String>>,
    /// `point` (top-level rules only).
    pub point: Option<At<String>>,
    /// What it watches.
    pub kind: Option<RuleKind>,
    /// Where `kind` (or the table) is written.
    pub kind_span: Span,
    /// A or B.
    pub class: Option<AlarmClass>,
    /// System given on the rule.
    pub system: Option<System>,
    /// Swedish text.
    pub text: Option<String>,
    /// English text.
    pub text_en: Option<String>,
    /// On-delay.
    pub on_delay: Duration,
    /// Off-delay.
    pub off_delay: Duration,
    /// `while` conditions.
    pub conditions: Vec<CondSpec>,
    /// The rule's table.
    pub span: Span,
    /// Context for messages.
    pub context: String,
}

/// A point's `alarms` array (point tables pass their own section).
pub(crate) fn point_rules(w: &mut Walker<'_>, s: &Section<'_, '_>) -> Vec<RuleSpec> {
    let ctx = s.context.clone();
    let sections = w.get_tables(s, "alarms", |i, _| format!("{ctx}, alarm #{}", i + 1));
    sections.iter().filter_map(|r| rule(w, r, false)).collect()
}

/// `[alarms]` with its `[[alarms.rules]]`; rules are returned unbound.
pub(crate) fn settings(
    w: &mut Walker<'_>,
    root: &Section<'_, '_>,
) -> (AlarmSettings, Vec<RuleSpec>) {
    let mut out = AlarmSettings::default();
    let Some(s) = w.get_table(root, "alarms", "alarms".to_string()) else {
        return (out, Vec::new());
    };
    w.expect_keys(&s, keys::ALARMS);
    if let Some(d) = w.get_ms(&s, "incident_window_ms", false) {
        out.incident_window = d.value;
    }
    if let Some(d) = w.get_ms(&s, "comm_lost_after_ms", false) {
        out.comm_lost_after = d.value;
    }
    if let Some(d) = w.get_ms(&s, "stale_after_ms", false) {
        out.stale_after = d.value;
    }
    if let Some(c) = class_key(w, &s, "comm_lost_class") {
        out.comm_lost_class = c;
    }
    if let Some(c) = class_key(w, &s, "stale_class") {
        out.stale_class = c;
    }
    if let Some(v) = s.table.get("ack_required") {
        out.ack_required = classes(w, &s.context, "ack_required", v);
    }
    let sections = w.get_tables(&s, "rules", by_id("alarm rule"));
    let rules = sections.iter().filter_map(|r| rule(w, r, true)).collect();
    (out, rules)
}

fn class_key(w: &mut Walker<'_>, s: &Section<'_, '_>, key: &str) -> Option<AlarmClass> {
    let at = w.get_str(s, key)?;
    let c = AlarmClass::from_key(&at.value);
    if c.is_none() {
        w.error(
            &at.span,
            &s.context,
            format!("`{key}` must be \"A\" or \"B\", found \"{}\"", at.value),
        );
    }
    c
}

/// A list of classes `["A", "B"]`.
pub(crate) fn classes(
    w: &mut Walker<'_>,
    ctx: &str,
    key: &str,
    v: &crate::parse::common::Val<'_>,
) -> Vec<AlarmClass> {
    let mut out = Vec::new();
    let DeValue::Array(items) = v.get_ref() else {
        w.error(
            &v.span(),
            ctx,
            format!("`{key}` must be a list of classes, e.g. [\"A\", \"B\"]"),
        );
        return out;
    };
    for item in items {
        match item.get_ref() {
            DeValue::String(s) if AlarmClass::from_key(s).is_some() => {
                out.extend(AlarmClass::from_key(s));
            }
            other => w.error(
                &item.span(),
                ctx,
                format!(
                    "`{key}` lists classes \"A\" or \"B\", found {}",
                    describe(other)
                ),
            ),
        }
    }
    out
}

/// A state value: `true`/`false` or an integer state code.
fn state_value(w: &mut Walker<'_>, ctx: &str, key: &str, v: &crate::parse::common::Val<'_>) -> Option<f64> {
    match v.get_ref() {
        DeValue::Boolean(b) => Some(if *b { 1.0 } else { 0.0 }),
        DeValue::Integer(_) => integer(v.get_ref()).map(|i| i as f64),
        other => {
            w.error(
                &v.span(),
                ctx,
                format!(
                    "`{key}` must be true, false or an integer state, found {}",
                    describe(other)
                ),
            );
            None
        }
    }
}

/// `equals = X` or `not_equals = X` (exactly one) of a rule or condition.
fn equality(w: &mut Walker<'_>, s: &Section<'_, '_>) -> Option<(f64, bool)> {
    let eq = s.table.get("equals");
    let ne = s.table.get("not_equals");
    match (eq, ne) {
        (Some(v), None) => state_value(w, &s.context, "equals", v).map(|x| (x, true)),
        (None, Some(v)) => state_value(w, &s.context, "not_equals", v).map(|x| (x, false)),
        (Some(_), Some(v)) => {
            w.error(
                &v.span(),
                &s.context,
                "give either `equals` or `not_equals`, not both",
            );
            None
        }
        (None, None) => {
            w.error(
                &s.span,
                &s.context,
                "needs `equals = ...` or `not_equals = ...`",
            );
            None
        }
    }
}

fn rule(w: &mut Walker<'_>, s: &Section<'_, '_>, top_level: bool) -> Option<RuleSpec> {
    let ctx = s.context.as_str();
    w.expect_keys(s, keys::ALARM_RULE);
    let id = if top_level {
        w.req_str(s, "id")
    } else {
        w.get_str(s, "id")
    };
    if let Some(id) = &id {
        w.check_id(ctx, "alarm", id, IdChars::Plain);
    }
    let point = if top_level {
        w.req_str(s, "point")
    } else {
        if let Some(span) = key_span(s.table, "point") {
            w.error(
                &span,
                ctx,
                "`point` is only for `[[alarms.rules]]`; a point's own alarms watch that point",
            );
        }
        None
    };
    let class = match w.req_str(s, "class") {
        Some(at) => {
            let c = AlarmClass::from_key(&at.value);
            if c.is_none() {
                w.error(
                    &at.span,
                    ctx,
                    format!(
                        "`class` must be \"A\" (act now) or \"B\" (act this shift), found \"{}\"",
                        at.value
                    ),
                );
            }
            c
        }
        None => None,
    };
    let system = w.get_system(s);
    let text = w.req_str(s, "text").map(|a| a.value);
    let text_en = w.get_str(s, "text_en").map(|a| a.value);
    let on_delay = w
        .get_ms(s, "on_delay_ms", true)
        .map_or(Duration::ZERO, |a| a.value);
    let off_delay = w
        .get_ms(s, "off_delay_ms", true)
        .map_or(Duration::ZERO, |a| a.value);
    let kind_at = w.req_str(s, "kind");
    let kind_span = kind_at.as_ref().map_or(s.span.clone(), |k| k.span.clone());
    let kind = kind_at.and_then(|k| kind(w, s, &k));
    let conditions = conditions(w, s);
    Some(RuleSpec {
        id,
        point,
        kind,
        kind_span,
        class,
        system,
        text,
        text_en,
        on_delay,
        off_delay,
        conditions,
        span: s.span.clone(),
        context: s.context.clone(),
    })
}

/// Keys that belong to each kind only.
const KIND_KEYS: &[(&str, &[&str])] = &[
    ("limit", &["hh", "h", "l", "ll"]),
    ("deadband", &["hh", "h", "l", "ll", "rate"]),
    ("equals", &["state"]),
    ("not_equals", &["state"]),
    ("falling_per_h", &["rate"]),
    ("rising_per_h", &["rate"]),
    ("window_ms", &["rate"]),
    ("after_ms", &["stale"]),
];

fn kind(w: &mut Walker<'_>, s: &Section<'_, '_>, k: &At<String>) -> Option<RuleKind> {
    let ctx = s.context.as_str();
    let name = k.value.as_str();
    if !keys::RULE_KIND_NAMES.contains(&name) {
        w.error(
            &k.span,
            ctx,
            format!(
                "unknown alarm kind `{name}`; expected one of {}",
                list(keys::RULE_KIND_NAMES)
            ),
        );
        return None;
    }
    for (key, kinds) in KIND_KEYS {
        if !kinds.contains(&name)
            && let Some(span) = key_span(s.table, key)
        {
            w.error(
                &span,
                ctx,
                format!(
                    "`{key}` does not apply to kind \"{name}\" (only to {})",
                    list(kinds)
                ),
            );
        }
    }
    let deadband = match w.get_f64(s, "deadband") {
        Some(d) if d.value < 0.0 => {
            w.error(&d.span, ctx, "`deadband` must not be negative");
            0.0
        }
        Some(d) => d.value,
        None => 0.0,
    };
    let level = match name {
        "hh" => Some(LimitLevel::HighHigh),
        "h" => Some(LimitLevel::High),
        "l" => Some(LimitLevel::Low),
        "ll" => Some(LimitLevel::LowLow),
        _ => None,
    };
    if let Some(level) = level {
        let limit = w.get_f64(s, "limit");
        if limit.is_none() && key_span(s.table, "limit").is_none() {
            w.error(
                &k.span,
                ctx,
                format!("kind \"{name}\" needs `limit = N` (in the point's unit)"),
            );
        }
        return Some(RuleKind::Limit {
            level,
            limit: limit?.value,
            deadband,
        });
    }
    match name {
        "state" => equality(w, s).map(|(value, equal)| RuleKind::State { value, equal }),
        "rate" => {
            let falling = w.get_f64(s, "falling_per_h");
            let rising = w.get_f64(s, "rising_per_h");
            let window = w
                .get_ms(s, "window_ms", false)
                .map_or(Duration::from_secs(600), |a| a.value);
            // The key says the direction; a signed number would be read two ways.
            for (key, at) in [("falling_per_h", &falling), ("rising_per_h", &rising)] {
                if let Some(a) = at.as_ref().filter(|a| a.value < 0.0) {
                    w.error(
                        &a.span,
                        ctx,
                        format!(
                            "`{key}` is a speed and must not be negative: the key gives the direction; write `{key} = {}`",
                            -a.value
                        ),
                    );
                    return None;
                }
            }
            let per_hour = match (falling, rising) {
                (Some(f), None) => -f.value,
                (None, Some(r)) => r.value,
                (Some(_), Some(r)) => {
                    w.error(
                        &r.span,
                        ctx,
                        "give either `falling_per_h` or `rising_per_h`, not both",
                    );
                    return None;
                }
                (None, None) => {
                    if key_span(s.table, "falling_per_h").is_none()
                        && key_span(s.table, "rising_per_h").is_none()
                    {
                        w.error(&k.span, ctx, "kind \"rate\" needs `falling_per_h = N` or `rising_per_h = N` (units per hour)");
                    }
                    return None;
                }
            };
            if per_hour == 0.0 {
                w.error(
                    &k.span,
                    ctx,
                    "a rate threshold of 0 would alarm on noise; give a rate above 0",
                );
                return None;
            }
            Some(RuleKind::Rate {
                per_hour,
                deadband,
                window,
            })
        }
        "stale" => {
            let after = w.get_ms(s, "after_ms", false);
            if after.is_none() && key_span(s.table, "after_ms").is_none() {
                w.error(
                    &k.span,
                    ctx,
                    "kind \"stale\" needs `after_ms = N` (no good sample for that long)",
                );
            }
            Some(RuleKind::Stale {
                after: after?.value,
            })
        }
        _ => None,
    }
}

/// `while = { ... }` or `while = [{ ... }, ...]`.
fn conditions(w: &mut Walker<'_>, s: &Section<'_, '_>) -> Vec<CondSpec> {
    let Some(v) = s.table.get("while") else {
        return Vec::new();
    };
    let ctx = format!("{}, while", s.context);
    let tables: Vec<Section<'_, '_>> = match v.get_ref() {
        DeValue::Table(t) => vec![Section {
            table: t,
            span: v.span(),
            context: ctx.clone(),
        }],
        DeValue::Array(items) => items
            .iter()
            .filter_map(|item| match item.get_ref() {
                DeValue::Table(t) => Some(Section {
                    table: t,
                    span: item.span(),
                    context: ctx.clone(),
                }),
                other => {
                    w.error(
                        &item.span(),
                        &ctx,
                        format!(
                            "each `while` condition must be a table, found {}",
                            describe(other)
                        ),
                    );
                    None
                }
            })
            .collect(),
        other => {
            w.error(&v.span(), &s.context, format!("`while` must be a table `{{ point = \"...\", equals = ... }}` or a list of them, found {}", describe(other)));
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for c in &tables {
        w.expect_keys(c, keys::ALARM_WHILE);
        let point = w.req_str(c, "point");
        let eq = equality(w, c);
        let hold = w
            .get_ms(c, "for_ms", true)
            .map_or(Duration::ZERO, |a| a.value);
        if let (Some(point), Some((value, equal))) = (point, eq) {
            out.push(CondSpec {
                point,
                value,
                equal,
                hold,
            });
        }
    }
    out
}

/// A point's rule bound to the point `point` of `device`; `ids` catches duplicates.
pub(crate) fn bind_point_rule(
    w: &mut Walker<'_>,
    spec: &RuleSpec,
    device: &Device,
    point: &Point,
    ctx: &str,
    all: &HashMap<String, (System, PointKind, Vec<i64>)>,
) -> Option<AlarmRule> {
    let local = spec.id.as_ref().map_or_else(
        || {
            spec.kind
                .as_ref()
                .map_or("alarm", RuleKind::key)
                .to_string()
        },
        |i| i.value.clone(),
    );
    let id = format!("{}.{local}", point.id);
    bind(w, spec, id, point.id.clone(), Some(&device.id), ctx, all)
}

/// A top-level rule bound to the point it names.
pub(crate) fn bind_top_rule(
    w: &mut Walker<'_>,
    spec: &RuleSpec,
    all: &HashMap<String, (System, PointKind, Vec<i64>)>,
) -> Option<AlarmRule> {
    let point = spec.point.as_ref()?;
    if !all.contains_key(&point.value) {
        w.error(&point.span, &spec.context, unknown_point(&point.value));
        return None;
    }
    let id = spec.id.as_ref()?.value.clone();
    let device = point.value.split_once('.').map(|(d, _)| d.to_string());
    bind(
        w,
        spec,
        id,
        point.value.clone(),
        device.as_deref(),
        &spec.context,
        all,
    )
}

fn unknown_point(id: &str) -> String {
    format!("unknown point `{id}` (write the full id `device.point`, e.g. `ats.mains_available`)")
}

fn bind(
    w: &mut Walker<'_>,
    spec: &RuleSpec,
    id: String,
    point: String,
    device: Option<&str>,
    ctx: &str,
    all: &HashMap<String, (System, PointKind, Vec<i64>)>,
) -> Option<AlarmRule> {
    let (point_system, point_kind, states) = all.get(&point)?.clone();
    let kind = spec.kind.clone()?;
    let fits = match &kind {
        RuleKind::Limit { .. } | RuleKind::Rate { .. } => point_kind == PointKind::Analog,
        RuleKind::State { .. } => matches!(point_kind, PointKind::Binary | PointKind::Multistate),
        RuleKind::Stale { .. } => true,
        RuleKind::EnduranceBelow { .. } => false,
    };
    if !fits {
        let need = if matches!(kind, RuleKind::State { .. }) {
            "a binary or multistate point"
        } else {
            "an analog point"
        };
        w.error(
            &spec.kind_span,
            ctx,
            format!(
                "kind \"{}\" needs {need}; `{point}` is {}",
                kind.key(),
                kind_name(point_kind)
            ),
        );
        return None;
    }
    if let RuleKind::State { value, .. } = kind {
        check_state(w, &spec.kind_span, ctx, &point, point_kind, &states, value);
    }
    let mut conditions = Vec::new();
    for c in &spec.conditions {
        let full = match (c.point.value.contains('.'), device) {
            (false, Some(d)) => format!("{d}.{}", c.point.value),
            _ => c.point.value.clone(),
        };
        let Some((_, ck, cstates)) = all.get(&full) else {
            w.error(&c.point.span, ctx, unknown_point(&full));
            continue;
        };
        if !matches!(ck, PointKind::Binary | PointKind::Multistate) {
            w.error(
                &c.point.span,
                ctx,
                format!(
                    "a `while` condition needs a binary or multistate point; `{full}` is {}",
                    kind_name(*ck)
                ),
            );
            continue;
        }
        check_state(w, &c.point.span, ctx, &full, *ck, cstates, c.value);
        conditions.push(Condition {
            point: full,
            value: c.value,
            equal: c.equal,
            hold: c.hold,
        });
    }
    Some(AlarmRule {
        id,
        point,
        kind,
        class: spec.class?,
        system: spec.system.unwrap_or(point_system),
        text: spec.text.clone()?,
        text_en: spec.text_en.clone(),
        on_delay: spec.on_delay,
        off_delay: spec.off_delay,
        conditions,
    })
}

/// The kind of a point in messages (`analog`, `binary`, …).
pub(crate) fn kind_name(k: PointKind) -> &'static str {
    match k {
        PointKind::Analog => "analog",
        PointKind::Binary => "binary",
        PointKind::Multistate => "multistate",
        PointKind::Text => "text",
    }
}

fn check_state(
    w: &mut Walker<'_>,
    span: &Span,
    ctx: &str,
    point: &str,
    kind: PointKind,
    states: &[i64],
    value: f64,
) {
    match kind {
        PointKind::Binary if value != 0.0 && value != 1.0 => {
            w.error(
                span,
                ctx,
                format!("`{point}` is binary: compare it with true or false"),
            );
        }
        PointKind::Multistate if !states.contains(&(value as i64)) => {
            let known: Vec<String> = states.iter().map(ToString::to_string).collect();
            w.warning(
                span,
                ctx,
                format!(
                    "`{point}` has no state {value} (its states: {})",
                    known.join(", ")
                ),
            );
        }
        _ => {}
    }
}

/// Report duplicate alarm ids (the first one wins).
pub(crate) fn dedup(w: &mut Walker<'_>, rules: Vec<(AlarmRule, Span, String)>) -> Vec<AlarmRule> {
    let mut seen: HashMap<String, Span> = HashMap::new();
    let mut out = Vec::new();
    for (rule, span, ctx) in rules {
        if let Some(first) = seen.get(&rule.id) {
            let (line, col) = w.line_col(first);
            w.error(&span, &ctx, format!("duplicate alarm id `{}` (first defined at line {line}, column {col}); give the rule an `id`", rule.id));
            continue;
        }
        seen.insert(rule.id.clone(), span);
        out.push(rule);
    }
    out
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::model::{AlarmClass, LimitLevel, RuleKind, System};
    use crate::parse_str;

    const BASE: &str = r#"
[site]
id = "sjukhus"
name = "Sjukhuset"

[[connections]]
id = "c"
host = "h"

[[templates]]
id = "gen"
system = "reservkraft"

[[templates.points]]
id = "state"
table = "holding"
address = 0
type = "u16"
states = { "0" = "stopp", "3" = "i drift" }
alarms = [{ id = "not_running", kind = "state", not_equals = 3, class = "A", text = "{device} går inte", while = { point = "mains", equals = false, for_ms = 20000 } }]

[[templates.points]]
id = "mains"
table = "coil"
address = 0
type = "bool"

[[devices]]
id = "g1"
connection = "c"
unit_id = 1
template = "gen"

[[devices]]
id = "g2"
connection = "c"
unit_id = 2
template = "gen"

[[devices.points]]
id = "temp"
table = "input"
address = 5
type = "i16"
unit = "°C"
system = "värme"
"#;

    fn with(extra: &str) -> crate::Loaded {
        parse_str(&format!("{BASE}{extra}"), "t.toml")
    }

    #[test]
    fn template_rules_are_made_per_device_and_bare_while_points_stay_on_the_device() {
        let loaded = with(
            "alarms = [{ kind = \"h\", limit = 80, deadband = 2, on_delay_ms = 5000, class = \"B\", text = \"Varm: {value}\" }]\n",
        );
        assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
        let c = loaded.config.expect("valid");
        let ids: Vec<&str> = c.alarms.rules.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(
            ids,
            ["g1.state.not_running", "g2.state.not_running", "g2.temp.h"]
        );
        assert_eq!(c.alarms.rules[1].conditions[0].point, "g2.mains");
        assert_eq!(
            c.alarms.rules[1].conditions[0].hold,
            Duration::from_secs(20)
        );
        assert_eq!(c.alarms.rules[1].class, AlarmClass::A);
        let h = &c.alarms.rules[2];
        assert_eq!(
            h.kind,
            RuleKind::Limit {
                level: LimitLevel::High,
                limit: 80.0,
                deadband: 2.0
            }
        );
        assert_eq!(
            (h.system, h.on_delay),
            (System::Varme, Duration::from_secs(5))
        );
        assert_eq!(c.mqtt, None);
        assert_eq!(c.api.listen.to_string(), "127.0.0.1:8750");
    }

    #[test]
    fn notification_api_and_mqtt_defaults() {
        let ok = with("\n[notify.email]\nhost = \"smtp\"\nfrom = \"d@s.se\"\nsecurity = \"tls\"\n[mqtt]\nhost = \"broker\"\n").config.expect("valid");
        let email = ok.notify.email.expect("email");
        assert_eq!(email.port, 465);
        let mqtt = ok.mqtt.expect("mqtt");
        assert_eq!(
            (
                mqtt.topic_prefix.as_str(),
                mqtt.client_id.as_str(),
                mqtt.port
            ),
            ("driftvakt/sjukhus", "driftvakt-sjukhus", 1883)
        );
    }
}
