//! `[exercise]`: which points play which part in a reservkraftprov (blackout exercise) or a real
//! outage, the criteria a run is judged by, and the live alarms raised when a run fails one.
//!
//! Read once the alarm rules are bound (`expected_alarms` names them). Every role point must
//! exist and fit its part: bool points for mains, UPS on battery, test mode and start signal; a
//! binary or multistate switch position; a multistate engine state; numbers elsewhere, in the
//! unit the key names (`voltage_v` in `V`, `fuel_stock_l` in `l` …) wherever the point has a
//! unit — as `reserve.rs` checks a reserve's stock, a mismatch is an error.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use toml::de::DeValue;

use crate::keys;
use crate::model::{
    AlarmClass, AlarmRule, ApiSettings, Criteria, EngineStates, ExerciseSettings, GeneratorRole,
    LIVE_ALARM_CRITERIA, MqttSettings, PointKind, RuleKind, SwitchRole, System, WatchedPoint,
    criterion_point, time_unit_hours,
};
use crate::parse::alarm::kind_name;
use crate::parse::common::{At, FirstSeen, IdChars, Section, Span, Walker, by_id, describe, integer, peek_str};
use crate::parse::device::Devices;
use crate::suggest::suggest;

/// Longest time a `_s` key of `[exercise]` may give (a week).
const MAX_SECONDS: f64 = 7.0 * 86_400.0;

/// What the exercise needs to know of one configured point.
pub(crate) struct PointInfo {
    /// Engineering unit ("" for none).
    unit: String,
    /// Analog, binary, multistate or text.
    kind: PointKind,
    /// Codes that have a state text.
    states: Vec<i64>,
    /// Name of its device (the default name of a switch or generator).
    device: String,
    /// Poll interval of its device.
    poll: Duration,
}

/// Every configured point by full id.
pub(crate) type Points = HashMap<String, PointInfo>;

/// The points of every device.
pub(crate) fn points_of(devices: &Devices) -> Points {
    devices
        .devices
        .iter()
        .flat_map(|d| d.device.points.iter().map(move |p| (&d.device, p)))
        .map(|(d, p)| {
            let info = PointInfo {
                unit: p.unit.clone(),
                kind: p.kind(),
                states: p.states.keys().copied().collect(),
                device: d.name.clone(),
                poll: d.poll_interval,
            };
            (p.id.clone(), info)
        })
        .collect()
}

/// What a role point must be.
#[derive(Debug, Clone, Copy)]
enum Want {
    /// On/off: binary, or a point whose only states are 0 and 1.
    Bool,
    /// A switch position: binary or multistate.
    Position,
    /// An engine state: multistate.
    EngineState,
    /// A number, in this unit where the point has one.
    Number(Option<&'static str>),
    /// A number in a time unit (`s`, `min`, `h`, `d`) where the point has one.
    Time,
}

/// Checks references to points, with "did you mean".
struct Refs<'p> {
    points: &'p Points,
    ids: Vec<&'p str>,
}

impl<'p> Refs<'p> {
    fn new(points: &'p Points) -> Self {
        let mut ids: Vec<&str> = points.keys().map(String::as_str).collect();
        ids.sort_unstable();
        Refs { points, ids }
    }

    /// Report `id` (given for `key`) unless it names a point that is `want`.
    fn check(&self, w: &mut Walker<'_>, ctx: &str, key: &str, id: &At<String>, want: Want) {
        let name = id.value.as_str();
        let Some(p) = self.points.get(name) else {
            let hint = match suggest(name, &self.ids) {
                Some(s) => format!(" (did you mean `{s}`?)"),
                None if !name.contains('.') => " (write the full id `device.point`, e.g. `ats.mains_available`)".to_string(),
                None => String::new(),
            };
            w.error(&id.span, ctx, format!("`{key}`: unknown point `{name}`{hint}"));
            return;
        };
        let kind = kind_name(p.kind);
        let bad_kind = |need: &str| format!("`{key}`: `{name}` is {kind}; it must be {need}");
        match want {
            Want::Bool if !boolish(p) => w.error(
                &id.span,
                ctx,
                bad_kind("a bool point (a coil, discrete input, `bit`, binary object, or a point whose only `states` are 0 and 1)"),
            ),
            Want::Position if !matches!(p.kind, PointKind::Binary | PointKind::Multistate) => w.error(
                &id.span,
                ctx,
                bad_kind("a binary or multistate point (give it `states`, e.g. { \"0\" = \"normal\", \"1\" = \"reserv\" })"),
            ),
            Want::EngineState if p.kind != PointKind::Multistate => w.error(
                &id.span,
                ctx,
                bad_kind("a multistate point (give it `states` with the controller's engine-state texts)"),
            ),
            Want::Number(_) | Want::Time if p.kind != PointKind::Analog => {
                w.error(&id.span, ctx, bad_kind("an analog point (a number)"));
            }
            Want::Number(Some(unit)) if !p.unit.is_empty() && p.unit != unit => w.error(
                &id.span,
                ctx,
                format!("`{key}`: point `{name}` is in `{}` but `{key}` is in `{unit}` (units must match)", p.unit),
            ),
            Want::Time if !p.unit.is_empty() && time_unit_hours(&p.unit).is_none() => w.error(
                &id.span,
                ctx,
                format!("`{key}`: point `{name}` is in `{}`, not a time unit (`s`, `min`, `h`, `d`)", p.unit),
            ),
            _ => {}
        }
    }

    /// Required point `key` of `s`; reported if missing or wrong, the id kept if it was written.
    fn req(&self, w: &mut Walker<'_>, s: &Section<'_, '_>, key: &str, want: Want) -> Option<String> {
        let at = w.req_str(s, key)?;
        self.check(w, &s.context, key, &at, want);
        Some(at.value)
    }

    /// Optional point `key` of `s`.
    fn opt(&self, w: &mut Walker<'_>, s: &Section<'_, '_>, key: &str, want: Want) -> Option<String> {
        let at = w.get_str(s, key)?;
        if at.value.trim().is_empty() {
            w.error(&at.span, &s.context, format!("`{key}` must not be empty"));
            return None;
        }
        self.check(w, &s.context, key, &at, want);
        Some(at.value)
    }

    /// Optional point or list of points `key` of `s`.
    fn list(&self, w: &mut Walker<'_>, s: &Section<'_, '_>, key: &str, want: Want) -> Vec<String> {
        let ids = strings(w, s, key, "a point id");
        for id in &ids {
            self.check(w, &s.context, key, id, want);
        }
        dedup(w, &s.context, key, ids)
    }
}

/// Whether `p` reads as on/off.
fn boolish(p: &PointInfo) -> bool {
    match p.kind {
        PointKind::Binary => true,
        PointKind::Multistate => !p.states.is_empty() && p.states.iter().all(|c| *c == 0 || *c == 1),
        PointKind::Analog | PointKind::Text => false,
    }
}

/// Optional string or list of non-empty strings (each `what`, for messages), each with where it
/// is written.
fn strings(w: &mut Walker<'_>, s: &Section<'_, '_>, key: &str, what: &str) -> Vec<At<String>> {
    let Some(v) = s.table.get(key) else {
        return Vec::new();
    };
    let one = |w: &mut Walker<'_>, item: &crate::parse::common::Val<'_>| match item.get_ref() {
        DeValue::String(t) if !t.trim().is_empty() => Some(At { value: t.to_string(), span: item.span() }),
        other => {
            w.error(
                &item.span(),
                &s.context,
                format!("`{key}` must be {what} or a list of them, found {}", describe(other)),
            );
            None
        }
    };
    match v.get_ref() {
        DeValue::Array(items) => items.iter().filter_map(|i| one(w, i)).collect(),
        _ => one(w, v).into_iter().collect(),
    }
}

/// The values of `ids`, a repeat reported.
fn dedup(w: &mut Walker<'_>, ctx: &str, key: &str, ids: Vec<At<String>>) -> Vec<String> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for id in ids {
        if seen.insert(id.value.clone()) {
            out.push(id.value);
        } else {
            w.error(&id.span, ctx, format!("`{key}` names `{}` twice", id.value));
        }
    }
    out
}

/// Optional number `key` of `s` that must satisfy `ok` (`rule` says how, for the message).
fn number(w: &mut Walker<'_>, s: &Section<'_, '_>, key: &str, default: f64, ok: impl Fn(f64) -> bool, rule: &str) -> f64 {
    match w.get_f64(s, key) {
        Some(v) if ok(v.value) => v.value,
        Some(v) => {
            w.error(&v.span, &s.context, format!("`{key}` must be {rule}, found {}", v.value));
            default
        }
        None => default,
    }
}

/// Optional duration in seconds `key` (a number: fractions allowed, up to a week).
fn seconds(w: &mut Walker<'_>, s: &Section<'_, '_>, key: &str, default: Duration, allow_zero: bool) -> Duration {
    let (ok, rule): (fn(f64) -> bool, &str) = if allow_zero {
        (|v| (0.0..=MAX_SECONDS).contains(&v), "0 or more seconds, at most a week (604800)")
    } else {
        (|v| v > 0.0 && v <= MAX_SECONDS, "above 0 seconds, at most a week (604800)")
    };
    let v = number(w, s, key, default.as_secs_f64(), ok, rule);
    Duration::from_secs_f64(v)
}

/// Optional whole seconds `key` in `range`.
fn whole_seconds(w: &mut Walker<'_>, s: &Section<'_, '_>, key: &str, default: u64, range: std::ops::RangeInclusive<i128>) -> Duration {
    let secs = w
        .get_int(s, key, range)
        .and_then(|a| u64::try_from(a.value).ok())
        .unwrap_or(default);
    Duration::from_secs(secs)
}

/// Where the value of `key` is written in `s`, else the table.
fn value_span(s: &Section<'_, '_>, key: &str) -> Span {
    s.table.get(key).map_or_else(|| s.span.clone(), |v| v.span())
}

/// Read `[exercise]` (optional) once points and alarm rules are known; returns it and the live
/// criterion alarm rules (`exercise.<criterion>`) to add to the rules.
pub(crate) fn exercise(
    w: &mut Walker<'_>,
    root: &Section<'_, '_>,
    points: &Points,
    rules: &[AlarmRule],
    api: &ApiSettings,
    mqtt: Option<&MqttSettings>,
) -> (Option<ExerciseSettings>, Vec<AlarmRule>) {
    let Some(s) = w.get_table(root, "exercise", "exercise".to_string()) else {
        return (None, Vec::new());
    };
    w.expect_keys(&s, keys::EXERCISE);
    let refs = Refs::new(points);
    let mains = refs.req(w, &s, "mains_available", Want::Bool);
    let ups_on_battery = refs.list(w, &s, "ups_on_battery", Want::Bool);
    let ups_runtime_min = refs.list(w, &s, "ups_runtime_min", Want::Number(Some("min")));
    let fuel_stock_l = refs.list(w, &s, "fuel_stock_l", Want::Number(Some("l")));
    let fuel_unusable_l = number(w, &s, "fuel_unusable_l", 0.0, |v| v >= 0.0, "0 or more litres");
    if fuel_unusable_l > 0.0 && fuel_stock_l.is_empty() {
        w.error(&value_span(&s, "fuel_unusable_l"), &s.context, "`fuel_unusable_l` needs `fuel_stock_l` (the points whose sum is the stock)");
    }
    let detect_outages = w.get_bool(&s, "detect_outages").is_none_or(|b| b.value);
    let outage_after = w.get_ms(&s, "outage_after_ms", true).map_or(Duration::ZERO, |a| a.value);
    let outage_end_after = whole_seconds(w, &s, "outage_end_after_s", 900, 1..=86_400);
    let lead = whole_seconds(w, &s, "lead_s", 60, 0..=3_600);
    let fast_poll = w.get_ms(&s, "fast_poll_ms", false);
    let alarm_class = match w.get_str(&s, "alarm_class") {
        None => AlarmClass::A,
        Some(c) => AlarmClass::from_key(&c.value).unwrap_or_else(|| {
            w.error(&c.span, &s.context, format!("`alarm_class` must be \"A\" or \"B\", found \"{}\"", c.value));
            AlarmClass::A
        }),
    };
    let command_topic = command_topic(w, &s, api, mqtt);
    let criteria = criteria(w, &s);

    let mut ids = FirstSeen::default();
    let switches: Vec<SwitchRole> = w
        .get_tables(&s, "switches", by_id("exercise, switch"))
        .iter()
        .filter_map(|t| switch(w, t, &refs, &criteria, &mut ids))
        .collect();
    let generator_tables = w.get_tables(&s, "generators", by_id("exercise, generator"));
    let no_generators = match s.table.get("generators").map(|v| v.get_ref()) {
        None => true,
        Some(DeValue::Array(a)) => a.is_empty(),
        Some(_) => false,
    };
    if no_generators {
        w.error(&s.span, &s.context, "`[exercise]` needs at least one `[[exercise.generators]]`");
    }
    let generators: Vec<GeneratorRole> = generator_tables
        .iter()
        .filter_map(|t| generator(w, t, &refs, &mut ids))
        .collect();
    let mut watched = FirstSeen::default();
    let watch: Vec<WatchedPoint> = w
        .get_tables(&s, "watch", |i, t| match peek_str(t, "point") {
            Some(p) => format!("exercise, watch {p}"),
            None => format!("exercise, watch #{}", i + 1),
        })
        .iter()
        .filter_map(|t| watch(w, t, &refs, &mut watched))
        .collect();

    let Some(mains_available) = mains else {
        return (None, Vec::new());
    };
    let mut settings = ExerciseSettings {
        mains_available,
        switches,
        generators,
        ups_on_battery,
        ups_runtime_min,
        fuel_stock_l,
        fuel_unusable_l,
        watch,
        criteria,
        detect_outages,
        outage_after,
        outage_end_after,
        lead,
        fast_poll: fast_poll.as_ref().map(|f| f.value),
        expected_alarms: Vec::new(),
        alarm_class,
        command_topic,
    };
    if let Some(f) = &fast_poll {
        warn_fast_poll(w, &s, f, &settings, points);
    }
    settings.expected_alarms = expected_alarms(w, &s, &settings, rules);
    let live = live_rules(&settings);
    for r in &live {
        if rules.iter().any(|o| o.id == r.id) {
            w.error(
                &s.span,
                &s.context,
                format!("alarm id `{}` is the exercise's own criterion alarm; give the other rule another id", r.id),
            );
        }
    }
    (Some(settings), live)
}

/// `command_topic`: a plain MQTT topic; a warning when nothing could receive or authenticate it.
fn command_topic(w: &mut Walker<'_>, s: &Section<'_, '_>, api: &ApiSettings, mqtt: Option<&MqttSettings>) -> Option<String> {
    let t = w.get_str(s, "command_topic")?;
    if t.value.trim().is_empty() || t.value.contains(['+', '#']) || t.value.starts_with('$') {
        w.error(
            &t.span,
            &s.context,
            format!("`command_topic` must be a plain MQTT topic (no wildcards `+`/`#`, not `$…`), found \"{}\"", t.value),
        );
        return None;
    }
    if !mqtt.is_some_and(|m| m.enabled) {
        w.warning(&t.span, &s.context, "`command_topic` is set but `[mqtt]` is not enabled: no command is received over MQTT");
    } else if api.token.is_none() {
        w.warning(&t.span, &s.context, "`command_topic` is set but `[api]` has no `token`: every MQTT command is refused");
    }
    Some(t.value)
}

/// `[exercise.criteria]`; every figure defaults to [`Criteria::default`].
fn criteria(w: &mut Walker<'_>, s: &Section<'_, '_>) -> Criteria {
    let d = Criteria::default();
    let Some(c) = w.get_table(s, "criteria", "exercise, criteria".to_string()) else {
        return d;
    };
    w.expect_keys(&c, keys::EXERCISE_CRITERIA);
    let band = |v: f64| v > 0.0 && v < 100.0;
    let out = Criteria {
        start_max: seconds(w, &c, "start_max_s", d.start_max, false),
        changeover_max: seconds(w, &c, "changeover_max_s", d.changeover_max, false),
        voltage_band_percent: number(w, &c, "voltage_band_percent", d.voltage_band_percent, band, "above 0 and below 100"),
        frequency_band_percent: number(w, &c, "frequency_band_percent", d.frequency_band_percent, band, "above 0 and below 100"),
        max_start_attempts: w.u32_or(&c, "max_start_attempts", 1..=10, d.max_start_attempts),
        min_load_percent: number(w, &c, "min_load_percent", d.min_load_percent, |v| (0.0..=100.0).contains(&v), "in 0..=100"),
        min_load_time: Duration::from_secs_f64(
            60.0 * number(w, &c, "min_load_minutes", d.min_load_time.as_secs_f64() / 60.0, |v| (0.0..=1_440.0).contains(&v), "in 0..=1440 minutes"),
        ),
        load_threshold_percent: number(w, &c, "load_threshold_percent", d.load_threshold_percent, band, "above 0 and below 100"),
    };
    if out.min_load_percent > 0.0 && out.load_threshold_percent >= out.min_load_percent {
        let at = if c.table.contains_key("load_threshold_percent") { "load_threshold_percent" } else { "min_load_percent" };
        w.error(
            &value_span(&c, at),
            &c.context,
            format!(
                "`load_threshold_percent` ({}) must be below `min_load_percent` ({}): a generator carrying the required load must count as loaded",
                out.load_threshold_percent, out.min_load_percent
            ),
        );
    }
    out
}

/// Claim the id of a switch or generator (one namespace: they name sources in the report).
fn role_id(w: &mut Walker<'_>, s: &Section<'_, '_>, kind: &str, ids: &mut FirstSeen) -> Option<String> {
    let id = w.req_str(s, "id")?;
    w.check_id(&s.context, kind, &id, IdChars::Plain);
    ids.claim(w, "switch/generator", &id.value, &id.span, &s.context);
    Some(id.value)
}

/// One `[[exercise.switches]]`.
fn switch(w: &mut Walker<'_>, s: &Section<'_, '_>, refs: &Refs<'_>, criteria: &Criteria, ids: &mut FirstSeen) -> Option<SwitchRole> {
    w.expect_keys(s, keys::EXERCISE_SWITCH);
    let id = role_id(w, s, "switch", ids);
    let name = w.get_str(s, "name").map(|n| n.value);
    let position = refs.req(w, s, "position", Want::Position);
    let info = position.as_ref().and_then(|p| refs.points.get(p));
    let emergency_value = emergency_value(w, s, position.as_deref(), info);
    let test_mode = refs.opt(w, s, "test_mode", Want::Bool);
    let start_signal = refs.opt(w, s, "start_signal", Want::Bool);
    let last_transfer_time = refs.opt(w, s, "last_transfer_time", Want::Number(Some("s")));
    let transfer_count = refs.opt(w, s, "transfer_count", Want::Number(None));
    let changeover_limit = seconds(w, s, "changeover_limit_s", criteria.changeover_max, false);
    let (id, position) = (id?, position?);
    let name = name.or_else(|| info.map(|p| p.device.clone())).unwrap_or_else(|| id.clone());
    Some(SwitchRole {
        id,
        name,
        position,
        emergency_value,
        test_mode,
        start_signal,
        last_transfer_time,
        transfer_count,
        changeover_limit,
    })
}

/// A switch's `emergency_value` (default 1): an integer code, or true/false; checked against
/// the position point.
fn emergency_value(w: &mut Walker<'_>, s: &Section<'_, '_>, point: Option<&str>, info: Option<&PointInfo>) -> f64 {
    let Some(v) = s.table.get("emergency_value") else {
        return 1.0;
    };
    let code = match v.get_ref() {
        DeValue::Boolean(b) => i128::from(*b),
        other => match integer(other) {
            Some(n) if i64::try_from(n).is_ok() => n,
            _ => {
                w.error(&v.span(), &s.context, format!("`emergency_value` must be an integer state code or true/false, found {}", describe(other)));
                return 1.0;
            }
        },
    };
    let (Some(point), Some(info)) = (point, info) else {
        return code as f64;
    };
    match info.kind {
        PointKind::Binary if code != 0 && code != 1 => {
            w.error(&v.span(), &s.context, format!("`emergency_value`: `{point}` is binary: give true or false (1 or 0)"));
        }
        PointKind::Multistate if !info.states.is_empty() && !info.states.iter().any(|c| i128::from(*c) == code) => {
            w.warning(
                &v.span(),
                &s.context,
                format!("`emergency_value` {code} is not one of the states of `{point}` ({})", codes_text(&info.states)),
            );
        }
        _ => {}
    }
    code as f64
}

fn codes_text(codes: &[i64]) -> String {
    codes.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}

/// Whether `v` is a positive number below a sane ceiling.
fn positive(v: f64) -> bool {
    v > 0.0 && v < 1e9
}

/// One `[[exercise.generators]]`.
fn generator(w: &mut Walker<'_>, s: &Section<'_, '_>, refs: &Refs<'_>, ids: &mut FirstSeen) -> Option<GeneratorRole> {
    w.expect_keys(s, keys::EXERCISE_GENERATOR);
    let id = role_id(w, s, "generator", ids);
    let name = w.get_str(s, "name").map(|n| n.value);
    let engine_state = refs.req(w, s, "engine_state", Want::EngineState);
    let info = engine_state.as_ref().and_then(|p| refs.points.get(p));
    let states = engine_states(w, s, engine_state.as_deref(), info);
    let voltage_v = refs.req(w, s, "voltage_v", Want::Number(Some("V")));
    let frequency_hz = refs.req(w, s, "frequency_hz", Want::Number(Some("Hz")));
    let power_kw = refs.req(w, s, "power_kw", Want::Number(Some("kW")));
    let rated_kw = if s.table.contains_key("rated_kw") {
        number(w, s, "rated_kw", 0.0, positive, "above 0 (the nameplate rating in kW)")
    } else {
        w.error(&s.span, &s.context, "missing required key `rated_kw` (the nameplate rating in kW)");
        0.0
    };
    let nominal_voltage_v = number(w, s, "nominal_voltage_v", 230.0, positive, "above 0");
    let nominal_frequency_hz = number(w, s, "nominal_frequency_hz", 50.0, positive, "above 0");
    let starts = refs.opt(w, s, "starts", Want::Number(None));
    let run_time = refs.opt(w, s, "run_time", Want::Time);
    let (id, engine_state) = (id?, engine_state?);
    let name = name.or_else(|| info.map(|p| p.device.clone())).unwrap_or_else(|| id.clone());
    Some(GeneratorRole {
        id,
        name,
        engine_state,
        states,
        voltage_v: voltage_v?,
        frequency_hz: frequency_hz?,
        power_kw: power_kw?,
        rated_kw,
        nominal_voltage_v,
        nominal_frequency_hz,
        starts,
        run_time,
    })
}

/// A generator's `states = { ... }`: each key an integer code or a list of them; a key left
/// out keeps its GenComm default. No code may stand for two states; a code the engine-state
/// point has no text for is warned about.
fn engine_states(w: &mut Walker<'_>, s: &Section<'_, '_>, point: Option<&str>, info: Option<&PointInfo>) -> EngineStates {
    let mut out = EngineStates::default();
    let table = w.get_table(s, "states", format!("{}, states", s.context));
    let mut written: HashSet<&str> = HashSet::new();
    if let Some(t) = &table {
        w.expect_keys(t, keys::ENGINE_STATES);
        let slots: [(&'static str, &mut Vec<f64>); 5] = [
            ("stopped", &mut out.stopped),
            ("prestart", &mut out.prestart),
            ("cranking", &mut out.cranking),
            ("running", &mut out.running),
            ("cooldown", &mut out.cooldown),
        ];
        for (key, slot) in slots {
            if let Some(codes) = codes(w, t, key) {
                written.insert(key);
                *slot = codes;
            }
        }
    }
    let span = table.as_ref().map_or_else(|| s.span.clone(), |t| t.span.clone());
    let ctx = table.as_ref().map_or_else(|| s.context.clone(), |t| t.context.clone());
    let named: [(&str, &Vec<f64>); 5] = [
        ("stopped", &out.stopped),
        ("prestart", &out.prestart),
        ("cranking", &out.cranking),
        ("running", &out.running),
        ("cooldown", &out.cooldown),
    ];
    for key in ["stopped", "running"] {
        if named.iter().any(|(k, c)| *k == key && c.is_empty()) {
            w.error(&span, &ctx, format!("`states.{key}` must name at least one engine-state code"));
        }
    }
    let mut first: HashMap<i64, &str> = HashMap::new();
    for (key, codes) in named {
        for c in codes {
            let code = *c as i64;
            match first.get(&code) {
                Some(other) if *other != key => w.error(&span, &ctx, format!("engine-state code {code} is both `{other}` and `{key}`")),
                Some(_) => {}
                None => {
                    first.insert(code, key);
                }
            }
            if let (Some(point), Some(info)) = (point, info)
                && !info.states.is_empty()
                && !info.states.contains(&code)
            {
                let default = if written.contains(key) { "" } else { " (the GenComm default: set `states` for this controller)" };
                w.warning(
                    &span,
                    &ctx,
                    format!("`states.{key}`: code {code} is not one of the states of `{point}` ({}){default}", codes_text(&info.states)),
                );
            }
        }
    }
    out
}

/// An integer code or a list of them under `key` of `t`.
fn codes(w: &mut Walker<'_>, t: &Section<'_, '_>, key: &str) -> Option<Vec<f64>> {
    let v = t.table.get(key)?;
    let code = |x: &DeValue<'_>| integer(x).and_then(|n| i64::try_from(n).ok()).map(|n| n as f64);
    let found = match v.get_ref() {
        DeValue::Array(items) => items.iter().map(|i| code(i.get_ref())).collect::<Option<Vec<f64>>>(),
        other => code(other).map(|c| vec![c]),
    };
    if found.is_none() {
        w.error(
            &v.span(),
            &t.context,
            format!("`{key}` must be an integer engine-state code or a list of them, found {}", describe(v.get_ref())),
        );
    }
    found
}

/// One `[[exercise.watch]]`.
fn watch(w: &mut Walker<'_>, s: &Section<'_, '_>, refs: &Refs<'_>, seen: &mut FirstSeen) -> Option<WatchedPoint> {
    w.expect_keys(s, keys::EXERCISE_WATCH);
    let point = w.req_str(s, "point");
    if let Some(p) = &point {
        refs.check(w, &s.context, "point", p, Want::Number(None));
        seen.claim(w, "watched point", &p.value, &p.span, &s.context);
    }
    let low = w.get_f64(s, "low");
    let high = w.get_f64(s, "high");
    if let (Some(l), Some(h)) = (&low, &high)
        && l.value >= h.value
    {
        w.error(&l.span, &s.context, format!("`low` ({}) must be below `high` ({})", l.value, h.value));
    }
    let max_outside = seconds(w, s, "max_outside_s", Duration::ZERO, true);
    Some(WatchedPoint {
        point: point?.value,
        low: low.map(|l| l.value),
        high: high.map(|h| h.value),
        max_outside,
    })
}

/// `fast_poll_ms` that is not faster than any role device already polls changes nothing.
fn warn_fast_poll(w: &mut Walker<'_>, s: &Section<'_, '_>, f: &At<Duration>, settings: &ExerciseSettings, points: &Points) {
    let slowest = settings.points().iter().filter_map(|p| points.get(*p)).map(|p| p.poll).max();
    if let Some(slowest) = slowest
        && f.value >= slowest
    {
        w.warning(
            &f.span,
            &s.context,
            format!(
                "`fast_poll_ms` ({} ms) is not shorter than the poll interval of any role or watched point's device (at most {} ms): it changes nothing",
                f.value.as_millis(),
                slowest.as_millis()
            ),
        );
    }
}

/// `expected_alarms`: the ids given (each must be a rule), else every rule on a role point
/// (mains, switches, generators, UPS, fuel — not the watched points).
fn expected_alarms(w: &mut Walker<'_>, s: &Section<'_, '_>, settings: &ExerciseSettings, rules: &[AlarmRule]) -> Vec<String> {
    if !s.table.contains_key("expected_alarms") {
        let roles = ExerciseSettings { watch: Vec::new(), ..settings.clone() };
        let roles: HashSet<&str> = roles.points().into_iter().collect();
        return rules.iter().filter(|r| roles.contains(r.point.as_str())).map(|r| r.id.clone()).collect();
    }
    let given = strings(w, s, "expected_alarms", "an alarm id");
    let known: Vec<&str> = rules.iter().map(|r| r.id.as_str()).collect();
    for id in &given {
        if LIVE_ALARM_CRITERIA.iter().any(|c| criterion_point(c) == id.value) {
            w.error(&id.span, &s.context, format!("`expected_alarms`: `{}` is raised when a run fails a criterion: it is never expected", id.value));
        } else if !known.contains(&id.value.as_str()) {
            let hint = suggest(&id.value, &known).map(|k| format!(" (did you mean `{k}`?)")).unwrap_or_default();
            w.error(
                &id.span,
                &s.context,
                format!("`expected_alarms`: unknown alarm id `{}`{hint}; alarm ids are `<point>.<kind or id>` or a top-level rule's `id`", id.value),
            );
        }
    }
    dedup(w, &s.context, "expected_alarms", given)
}

/// The live criterion alarms: a state rule on the virtual bool point `exercise.<criterion>`,
/// true while the running exercise or outage fails that criterion.
fn live_rules(settings: &ExerciseSettings) -> Vec<AlarmRule> {
    let c = &settings.criteria;
    LIVE_ALARM_CRITERIA
        .iter()
        .map(|key| {
            let (text, text_en) = match *key {
                "start_time" => (
                    format!("Reservkraft: aggregatet nådde inte märkspänning och frekvens inom {}", seconds_text(c.start_max, ',')),
                    format!("Emergency power: the generator did not reach rated voltage and frequency within {}", seconds_text(c.start_max, '.')),
                ),
                "start_attempts" => (
                    "Reservkraft: startförsök misslyckades".to_string(),
                    "Emergency power: a start attempt failed".to_string(),
                ),
                _ => (
                    "Reservkraft: omkoppling till reserv uteblev eller dröjde".to_string(),
                    "Emergency power: the transfer to emergency did not happen in time".to_string(),
                ),
            };
            AlarmRule {
                id: criterion_point(key),
                point: criterion_point(key),
                kind: RuleKind::State { value: 1.0, equal: true },
                class: settings.alarm_class,
                system: System::Reservkraft,
                text,
                text_en: Some(text_en),
                on_delay: Duration::ZERO,
                off_delay: Duration::ZERO,
                conditions: Vec::new(),
            }
        })
        .collect()
}

/// "15 s", "0,5 s" (`decimal` is the language's decimal mark).
fn seconds_text(d: Duration, decimal: char) -> String {
    let s = d.as_secs_f64();
    let text = if s.fract() == 0.0 { format!("{s:.0}") } else { format!("{s}") };
    format!("{} s", text.replace('.', &decimal.to_string()))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::model::{AlarmClass, Criteria, EngineStates, RuleKind, System};
    use crate::parse_str;

    const BASE: &str = r#"
[site]
id = "s"
name = "S"

[[connections]]
id = "c"
host = "127.0.0.1"

[[devices]]
id = "ats"
name = "Omkopplare"
connection = "c"
unit_id = 3
system = "reservkraft"

[[devices.points]]
id = "mains"
table = "discrete_input"
address = 0
type = "bool"
alarms = [{ kind = "state", equals = false, class = "A", text = "Nätbortfall" }]

[[devices.points]]
id = "position"
table = "input"
address = 0
type = "u16"
states = { "0" = "normal", "1" = "reserv" }

[[devices.points]]
id = "last_transfer"
table = "input"
address = 1
type = "u32"
unit = "s"

[[devices]]
id = "g1"
name = "Aggregat 1"
connection = "c"
unit_id = 1
system = "reservkraft"

[[devices.points]]
id = "engine_state"
table = "holding"
address = 1408
type = "u16"
states = { "0" = "stopp", "1" = "förstart", "2" = "uppvärmning", "3" = "i drift", "4" = "nedkylning" }

[[devices.points]]
id = "voltage"
table = "holding"
address = 1032
type = "f32"
unit = "V"

[[devices.points]]
id = "frequency"
table = "holding"
address = 1034
type = "f32"
unit = "Hz"

[[devices.points]]
id = "power"
table = "holding"
address = 1036
type = "f32"
unit = "kW"

[[devices]]
id = "vatten"
name = "Vatten"
connection = "c"
unit_id = 10
system = "vatten"

[[devices.points]]
id = "pressure"
table = "holding"
address = 2
type = "f32"
unit = "bar"
alarms = [{ kind = "l", limit = 2.0, class = "A", text = "Lågt tryck" }]
"#;

    const GEN: &str = r#"
[[exercise.generators]]
id = "g1"
engine_state = "g1.engine_state"
voltage_v = "g1.voltage"
frequency_hz = "g1.frequency"
power_kw = "g1.power"
rated_kw = 800
"#;

    fn errors(src: &str) -> Vec<String> {
        parse_str(src, "t.toml").diagnostics.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn a_short_section_gets_every_sourced_default_and_its_criterion_alarms() {
        let src = format!(
            "{BASE}\n[exercise]\nmains_available = \"ats.mains\"\n\n[exercise.criteria]\nchangeover_max_s = 0.5\n\n[[exercise.switches]]\nid = \"ats\"\nposition = \"ats.position\"\nlast_transfer_time = \"ats.last_transfer\"\n{GEN}\n[[exercise.watch]]\npoint = \"vatten.pressure\"\nlow = 3.5\n"
        );
        let loaded = parse_str(&src, "t.toml");
        let c = loaded.config.unwrap_or_else(|| panic!("{:?}", loaded.diagnostics));
        let e = c.exercise.expect("[exercise] is read");
        assert_eq!(e.criteria, Criteria { changeover_max: Duration::from_millis(500), ..Criteria::default() });
        let sw = &e.switches[0];
        assert_eq!((sw.name.as_str(), sw.emergency_value), ("Omkopplare", 1.0), "name from the device, position 1 = emergency");
        assert_eq!(sw.changeover_limit, Duration::from_millis(500), "the switch inherits criteria.changeover_max");
        let g = &e.generators[0];
        assert_eq!((g.name.as_str(), g.rated_kw, g.nominal_voltage_v, g.nominal_frequency_hz), ("Aggregat 1", 800.0, 230.0, 50.0));
        assert_eq!(g.states, EngineStates::default());
        assert!(e.detect_outages);
        assert_eq!((e.outage_after, e.outage_end_after, e.lead, e.fast_poll), (Duration::ZERO, Duration::from_secs(900), Duration::from_secs(60), None));
        assert_eq!(e.watch[0].max_outside, Duration::ZERO);
        assert_eq!(e.alarm_class, AlarmClass::A);
        // The mains rule is on a role point; the water pressure rule is on a watched point.
        assert_eq!(e.expected_alarms, ["ats.mains.state"]);

        let live: Vec<_> = c.alarms.rules.iter().filter(|r| r.point.starts_with("exercise.")).collect();
        let ids: Vec<&str> = live.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["exercise.start_time", "exercise.start_attempts", "exercise.changeover"]);
        for r in &live {
            assert_eq!(r.point, r.id);
            assert_eq!(r.kind, RuleKind::State { value: 1.0, equal: true });
            assert_eq!((r.class, r.system), (AlarmClass::A, System::Reservkraft));
            assert!(r.text.starts_with("Reservkraft: ") && r.text_en.as_deref().is_some_and(|t| t.starts_with("Emergency power: ")));
        }
        assert!(live[0].text.ends_with("inom 15 s"), "{}", live[0].text);
    }

    #[test]
    fn fractional_limits_are_written_the_swedish_way_in_swedish() {
        let src = format!("{BASE}\n[exercise]\nmains_available = \"ats.mains\"\nalarm_class = \"B\"\n[exercise.criteria]\nstart_max_s = 7.5\n{GEN}");
        let c = parse_str(&src, "t.toml").config.expect("valid");
        let r = c.alarms.rules.iter().find(|r| r.id == "exercise.start_time").expect("start-time alarm");
        assert!(r.text.ends_with("inom 7,5 s"), "{}", r.text);
        assert!(r.text_en.as_deref().is_some_and(|t| t.ends_with("within 7.5 s")));
        assert_eq!(r.class, AlarmClass::B);
    }

    #[test]
    fn without_the_section_there_is_no_exercise_and_no_criterion_alarm() {
        let c = parse_str(BASE, "t.toml").config.expect("valid");
        assert!(c.exercise.is_none());
        assert!(!c.alarms.rules.iter().any(|r| r.id.starts_with("exercise.")));
    }

    #[test]
    fn wrong_points_units_kinds_and_ids_are_all_reported_at_their_place() {
        let src = format!(
            "{BASE}\n[exercise]\nmains_available = \"ats.main\"\nups_on_battery = \"g1.power\"\nfuel_stock_l = [\"vatten.pressure\"]\nexpected_alarms = [\"ats.mains.stat\", \"exercise.changeover\"]\n\n[[exercise.generators]]\nid = \"g1\"\nengine_state = \"g1.voltage\"\nvoltage_v = \"g1.frequency\"\nfrequency_hz = \"g1.frequency\"\npower_kw = \"g1.power\"\nrated_kw = 0\nstates = {{ running = [3, 4] }}\n\n[[exercise.switches]]\nid = \"g1\"\nposition = \"ats.position\"\nemergency_value = 1.5\n\n[[exercise.watch]]\npoint = \"vatten.pressure\"\nlow = 6\nhigh = 3\n"
        );
        let errs = errors(&src);
        let expect = [
            "`mains_available`: unknown point `ats.main` (did you mean `ats.mains`?)",
            "`ups_on_battery`: `g1.power` is analog; it must be a bool point",
            "`fuel_stock_l`: point `vatten.pressure` is in `bar` but `fuel_stock_l` is in `l` (units must match)",
            "`expected_alarms`: unknown alarm id `ats.mains.stat` (did you mean `ats.mains.state`?)",
            "`expected_alarms`: `exercise.changeover` is raised when a run fails a criterion",
            "`engine_state`: `g1.voltage` is analog; it must be a multistate point",
            "`voltage_v`: point `g1.frequency` is in `Hz` but `voltage_v` is in `V`",
            "`rated_kw` must be above 0",
            "engine-state code 4 is both `running` and `cooldown`",
            "duplicate switch/generator id `g1`",
            "`emergency_value` must be an integer state code or true/false, found float 1.5",
            "`low` (6) must be below `high` (3)",
        ];
        for e in expect {
            assert!(errs.iter().any(|d| d.contains(e) && d.contains("error")), "missing `{e}` in:\n{}", errs.join("\n"));
        }
        assert!(errs.iter().all(|d| d.starts_with("t.toml:")), "every diagnostic has file:line:column");
        assert!(parse_str(&src, "t.toml").config.is_none());
    }

    #[test]
    fn an_exercise_needs_a_generator_and_mains() {
        let errs = errors(&format!("{BASE}\n[exercise]\nlead_s = 60\n"));
        assert!(errs.iter().any(|d| d.contains("missing required key `mains_available`")), "{errs:?}");
        assert!(errs.iter().any(|d| d.contains("at least one `[[exercise.generators]]`")), "{errs:?}");
        let errs = errors(&format!("{BASE}\n[exercise]\nmains_available = \"ats.mains\"\ngenerators = []\n"));
        assert!(errs.iter().any(|d| d.contains("at least one `[[exercise.generators]]`")), "{errs:?}");
    }

    #[test]
    fn the_reference_hospital_maps_every_role() {
        let loaded = parse_str(include_str!("../../examples/reference-hospital.toml"), "reference-hospital.toml");
        let c = loaded.config.unwrap_or_else(|| panic!("{:?}", loaded.diagnostics));
        let e = c.exercise.expect("the reference hospital has [exercise]");
        assert_eq!(e.mains_available, "ats.mains_available");
        assert_eq!(e.switches.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(), ["ats"]);
        assert_eq!(e.switches[0].test_mode.as_deref(), Some("ats.test_mode"));
        assert_eq!(e.switches[0].last_transfer_time.as_deref(), Some("ats.last_transfer_time"));
        let gens: Vec<(&str, &str, f64)> = e.generators.iter().map(|g| (g.id.as_str(), g.name.as_str(), g.rated_kw)).collect();
        assert_eq!(gens, [("g1", "Reservkraftaggregat 1", 800.0), ("g2", "Reservkraftaggregat 2", 800.0)]);
        assert_eq!(e.generators[0].states.stopped, [0.0, 5.0]);
        assert_eq!(e.generators[1].starts.as_deref(), Some("g2.starts"));
        assert_eq!(e.fuel_stock_l, ["tankar.main_tank", "tankar.day_tank"]);
        assert_eq!(e.ups_runtime_min, ["ups.battery_runtime"]);
        let watched: Vec<&str> = e.watch.iter().map(|w| w.point.as_str()).collect();
        assert_eq!(watched, ["reservvatten.pressure", "aggregat.supply_air_temp", "aggregat.duct_pressure", "vs01.supply_temp"]);
        assert_eq!((e.watch[0].low, e.watch[0].high), (Some(3.5), Some(6.0)));
        assert!(!e.expected_alarms.iter().any(|a| a.contains("not_running")), "a generator that does not start is never expected");
        assert_eq!(e.criteria, Criteria::default());
    }
}
