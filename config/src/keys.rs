//! Every key the parser accepts, per table. `README.md` documents each of them (a test checks).

/// Top-level keys (tables and arrays of tables).
pub const ROOT: &[&str] = &[
    "site", "store", "connections", "templates", "devices", "sinks", "bacnet_networks", "alarms", "notify", "api",
    "web", "mqtt", "reserves", "functions", "report", "exercise",
];
/// Keys of `[site]`.
pub const SITE: &[&str] = &["id", "name", "timezone"];
/// Keys of `[store]`.
pub const STORE: &[&str] = &["raw_retention_days", "rollup_retention_days", "commit_interval_ms"];
/// Keys of `[[connections]]`.
pub const CONNECTION: &[&str] = &[
    "id",
    "host",
    "port",
    "framing",
    "timeout_ms",
    "pause_between_requests_ms",
    "pause_after_connect_ms",
    "max_registers_per_read",
    "max_bits_per_read",
    "max_gap_registers",
    "max_requests_in_flight",
    "address_base",
    "workarounds",
];
/// Keys of `[connections.workarounds]`.
pub const WORKAROUNDS: &[&str] = &["single_register_reads", "close_after_cycle"];
/// Keys of `[[templates]]`.
pub const TEMPLATE: &[&str] = &["id", "name", "system", "poll_interval_ms", "points"];
/// Keys of `[[devices]]` that only a device behind a Modbus connection may have.
pub const DEVICE_MODBUS: &[&str] = &["connection", "unit_id"];
/// Keys of `[[devices]]` that only a device on a BACnet network may have.
pub const DEVICE_BACNET: &[&str] = &["network", "instance", "address", "dnet", "dadr", "max_apdu_bytes", "cov"];
/// Keys of `[[devices]]`.
pub const DEVICE: &[&str] = &join::<15>(&[
    &["id", "name"],
    DEVICE_MODBUS,
    &["poll_interval_ms", "template", "system", "points"],
    DEVICE_BACNET,
]);
/// Keys of `[[templates.points]]` and `[[devices.points]]` that say where a Modbus point's
/// value is and how it is encoded (with `sentinels`, what a BACnet point must not have).
pub const POINT_MODBUS: &[&str] = &["table", "address", "type", "bit", "registers", "order"];
/// Keys of `[[templates.points]]` and `[[devices.points]]`.
pub const POINT: &[&str] = &join::<21>(&[
    &["id", "name"],
    POINT_MODBUS,
    &["scale", "offset", "unit", "system", "sentinels", "states", "status", "object", "property", "alarms"],
    POINT_STORE,
]);
/// Keys of a point that say which of its readings are stored.
pub const POINT_STORE: &[&str] = &["store", "deadband", "heartbeat_s"];
/// Keys of `[[bacnet_networks]]`.
pub const BACNET_NETWORK: &[&str] = &["id", "bind", "bbmd", "max_apdu_bytes", "timeout_ms", "retries"];
/// Keys of a network's `bbmd = { ... }`.
pub const BBMD: &[&str] = &["address", "ttl_s"];
/// Keys of a BACnet device's `cov = { ... }`.
pub const COV: &[&str] = &["lifetime_s", "renew_at_fraction", "check_interval_s"];
/// Keys of one explicit sentinel `{ raw = 65535, meaning = "not_available" }`.
pub const SENTINEL: &[&str] = &["raw", "meaning"];
/// Keys of a secret `{ env = "VAR" }` / `{ file = "/path" }` (exactly one of them).
pub const SECRET: &[&str] = &["env", "file"];

/// Keys of `[sinks]`.
pub const SINKS: &[&str] = &["instance", "influxdb", "mqtt"];
/// Keys of `[[sinks.influxdb]]`.
pub const INFLUXDB: &[&str] = &[
    "id",
    "api",
    "url",
    "org",
    "bucket",
    "token",
    "database",
    "retention_policy",
    "username",
    "password",
    "batch_size",
    "flush_interval_ms",
    "timeout_ms",
    "retry_max_ms",
    "max_backlog_readings",
    "backfill",
];
/// Keys of `[sinks.mqtt]`.
pub const SINK_MQTT: &[&str] = &[
    "enabled",
    "id",
    "per",
    "retain",
    "qos",
    "batch_size",
    "flush_interval_ms",
    "timeout_ms",
    "retry_max_ms",
    "max_backlog_readings",
    "backfill",
];
/// Keys of `[alarms]`.
pub const ALARMS: &[&str] = &[
    "incident_window_ms",
    "comm_lost_after_ms",
    "stale_after_ms",
    "comm_lost_class",
    "stale_class",
    "ack_required",
    "rules",
];
/// Keys of an alarm rule: a point's `alarms` entries and `[[alarms.rules]]` (which add `id`
/// as required and `point`).
pub const ALARM_RULE: &[&str] = &[
    "id",
    "point",
    "kind",
    "class",
    "system",
    "text",
    "text_en",
    "on_delay_ms",
    "off_delay_ms",
    "limit",
    "deadband",
    "equals",
    "not_equals",
    "falling_per_h",
    "rising_per_h",
    "window_ms",
    "after_ms",
    "while",
];
/// Keys of a rule's `while` condition.
pub const ALARM_WHILE: &[&str] = &["point", "equals", "not_equals", "for_ms"];
/// Keys of `[notify]`.
pub const NOTIFY: &[&str] = &["gather_ms", "retry_initial_ms", "retry_max_ms", "email", "groups", "routes"];
/// Keys of `[notify.email]`.
pub const EMAIL: &[&str] = &[
    "enabled", "host", "port", "security", "trusted_relay", "username", "password", "from", "timeout_ms", "ca_file",
];
/// Keys of `[[notify.groups]]`.
pub const GROUP: &[&str] = &["id", "name", "email", "language"];
/// Keys of `[[notify.routes]]`.
pub const ROUTE: &[&str] = &[
    "classes",
    "systems",
    "to",
    "repeat_every_ms",
    "escalate_after_ms",
    "escalate_to",
    "notify_clear",
];
/// Keys of `[api]`.
pub const API: &[&str] = &["enabled", "listen", "token", "max_connections"];
/// Keys of `[web]`.
pub const WEB: &[&str] = &["enabled", "view_open", "users", "users_file", "session_idle_min"];
/// Keys of `[[web.users]]` (and of `users_file`'s `[[users]]`).
pub const WEB_USER: &[&str] = &["name", "role", "password_hash"];
/// Keys of `[mqtt]`.
pub const MQTT: &[&str] = &[
    "enabled",
    "host",
    "port",
    "client_id",
    "username",
    "password",
    "tls",
    "topic_prefix",
    "keep_alive_s",
];
/// Keys of `[mqtt.tls]`.
pub const MQTT_TLS: &[&str] = &["ca_file"];

/// Keys of `[[reserves]]`.
pub const RESERVE: &[&str] = &[
    "id",
    "name",
    "system",
    "unit",
    "stock",
    "capacity",
    "unusable",
    "refill_threshold",
    "target_h",
    "alarm",
    "measured",
    "load",
    "planning",
];
/// Keys of a reserve's or function's `alarm = { ... }` (endurance below target).
pub const ENDURANCE_ALARM: &[&str] = &["class", "deadband_h", "text", "text_en"];
/// Keys of a reserve's `measured = { ... }`.
pub const MEASURED: &[&str] = &["window_min"];
/// Keys of a reserve's `load = { ... }`.
pub const LOAD: &[&str] = &["points", "unit", "rated", "curve", "running_above", "design_load", "worst_load"];
/// Keys of a reserve's `planning = { ... }`.
pub const PLANNING: &[&str] = &["per_day", "per_day_worst", "count", "per", "unit", "source"];
/// Keys of `[[functions]]`.
pub const FUNCTION: &[&str] = &["id", "name", "system", "depends_on", "target_h", "alarm"];
/// Keys of `[report]`.
pub const REPORT: &[&str] = &["title", "signatures", "columns", "assessment"];
/// Keys of `[[report.assessment]]`.
pub const ASSESSMENT: &[&str] = &["system", "cells"];

/// Keys of `[exercise]`.
pub const EXERCISE: &[&str] = &[
    "mains_available",
    "ups_on_battery",
    "ups_runtime_min",
    "fuel_stock_l",
    "fuel_unusable_l",
    "detect_outages",
    "outage_after_ms",
    "outage_end_after_s",
    "lead_s",
    "fast_poll_ms",
    "expected_alarms",
    "alarm_class",
    "command_topic",
    "criteria",
    "switches",
    "generators",
    "watch",
];
/// Keys of `[exercise.criteria]`.
pub const EXERCISE_CRITERIA: &[&str] = &[
    "start_max_s",
    "changeover_max_s",
    "voltage_band_percent",
    "frequency_band_percent",
    "max_start_attempts",
    "min_load_percent",
    "min_load_minutes",
    "load_threshold_percent",
];
/// Keys of `[[exercise.switches]]`.
pub const EXERCISE_SWITCH: &[&str] = &[
    "id",
    "name",
    "position",
    "emergency_value",
    "test_mode",
    "start_signal",
    "last_transfer_time",
    "transfer_count",
    "changeover_limit_s",
];
/// Keys of `[[exercise.generators]]`.
pub const EXERCISE_GENERATOR: &[&str] = &[
    "id",
    "name",
    "engine_state",
    "states",
    "voltage_v",
    "frequency_hz",
    "power_kw",
    "rated_kw",
    "nominal_voltage_v",
    "nominal_frequency_hz",
    "starts",
    "run_time",
];
/// Keys of a generator's `states = { ... }` (engine-state codes).
pub const ENGINE_STATES: &[&str] = &["stopped", "prestart", "cranking", "running", "cooldown"];
/// Keys of `[[exercise.watch]]`.
pub const EXERCISE_WATCH: &[&str] = &["point", "low", "high", "max_outside_s"];

/// Every list above, with the name README.md uses for its table.
pub const ALL: &[(&str, &[&str])] = &[
    ("top level", ROOT),
    ("[site]", SITE),
    ("[store]", STORE),
    ("[[connections]]", CONNECTION),
    ("[connections.workarounds]", WORKAROUNDS),
    ("[[templates]]", TEMPLATE),
    ("[[devices]]", DEVICE),
    ("points", POINT),
    ("sentinels", SENTINEL),
    ("secrets", SECRET),
    ("[sinks]", SINKS),
    ("[[sinks.influxdb]]", INFLUXDB),
    ("[sinks.mqtt]", SINK_MQTT),
    ("[[bacnet_networks]]", BACNET_NETWORK),
    ("bbmd", BBMD),
    ("cov", COV),
    ("[alarms]", ALARMS),
    ("alarm rules", ALARM_RULE),
    ("alarm rule `while`", ALARM_WHILE),
    ("[notify]", NOTIFY),
    ("[notify.email]", EMAIL),
    ("[[notify.groups]]", GROUP),
    ("[[notify.routes]]", ROUTE),
    ("[api]", API),
    ("[web]", WEB),
    ("[[web.users]]", WEB_USER),
    ("[mqtt]", MQTT),
    ("[mqtt.tls]", MQTT_TLS),
    ("[[reserves]]", RESERVE),
    ("endurance alarm", ENDURANCE_ALARM),
    ("measured", MEASURED),
    ("load", LOAD),
    ("planning", PLANNING),
    ("[[functions]]", FUNCTION),
    ("[report]", REPORT),
    ("[[report.assessment]]", ASSESSMENT),
    ("[exercise]", EXERCISE),
    ("[exercise.criteria]", EXERCISE_CRITERIA),
    ("[[exercise.switches]]", EXERCISE_SWITCH),
    ("[[exercise.generators]]", EXERCISE_GENERATOR),
    ("engine states", ENGINE_STATES),
    ("[[exercise.watch]]", EXERCISE_WATCH),
];

/// Values of `table`.
pub const TABLE_NAMES: &[&str] = &["coil", "discrete_input", "input", "holding"];
/// Values of `type`.
pub const TYPE_NAMES: &[&str] = &[
    "bool", "bit", "u16", "i16", "u32", "i32", "u64", "i64", "f32", "f64", "string",
];
/// Values of `order`.
pub const ORDER_NAMES: &[&str] = &["ABCD", "CDAB", "BADC", "DCBA"];
/// Values of a point's `store`.
pub const STORE_NAMES: &[&str] = &["all", "on_change"];
/// Values of `framing`.
pub const FRAMING_NAMES: &[&str] = &["tcp", "rtu_over_tcp"];
/// Values of a sentinel's `meaning`.
pub const MEANING_NAMES: &[&str] = &["not_available", "over_range", "under_range", "sensor_fault"];
/// Values of an InfluxDB sink's `api`.
pub const INFLUX_API_NAMES: &[&str] = &["v2", "v1"];
/// Values of `[sinks.mqtt] per`.
pub const TELEMETRY_PER_NAMES: &[&str] = &["point", "device"];
/// Values of an alarm rule's `kind`.
pub const RULE_KIND_NAMES: &[&str] = &["hh", "h", "l", "ll", "state", "rate", "stale"];
/// Values of `[notify.email] security`.
pub const SECURITY_NAMES: &[&str] = &["none", "starttls", "tls"];

/// The key lists `parts` one after another, as one array of `N` keys (checked when compiled).
const fn join<const N: usize>(parts: &[&[&'static str]]) -> [&'static str; N] {
    let mut out = [""; N];
    let (mut n, mut p) = (0, 0);
    while p < parts.len() {
        let mut k = 0;
        while k < parts[p].len() {
            out[n] = parts[p][k];
            n += 1;
            k += 1;
        }
        p += 1;
    }
    assert!(n == N, "join: N is not the number of keys");
    out
}
