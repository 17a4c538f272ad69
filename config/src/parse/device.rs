//! `[[templates]]` and `[[devices]]`, with template expansion.

use std::collections::HashSet;
use std::time::Duration;

use crate::keys;
use crate::model::{Device, DeviceLink, ModbusLink, System};
use crate::parse::connection::ConnSpec;
use crate::parse::bacnet::NetSpec;
use crate::parse::instance::{LinkOf, instantiate};
use crate::parse::point::{self, PointSpec};
use crate::parse::common::{At, FirstSeen, IdChars, Section, Span, Walker, by_id, key_span, unknown};

/// Poll interval when neither the device nor its template gives one.
pub(crate) const DEFAULT_POLL_INTERVAL: Duration = Duration::from_millis(1000);

/// A device type, defined once.
#[derive(Debug, Clone)]
pub(crate) struct TemplateSpec {
    /// Its id and where it is written.
    pub id: At<String>,
    /// Default system of its points.
    pub system: Option<System>,
    /// Default poll interval of its instances.
    pub poll_interval: Option<Duration>,
    /// Its points, checked on their own.
    pub points: Vec<PointSpec>,
}

/// A device with the places later checks point at.
#[derive(Debug, Clone)]
pub(crate) struct DeviceSpec {
    /// The device, template expanded (points with errors left out).
    pub device: Device,
    /// Where its id is written.
    pub id_span: Span,
    /// Context for messages (`device g1`).
    pub context: String,
    /// Where `poll_interval_ms` is written, if on the device itself.
    pub poll_span: Option<Span>,
    /// For each of `device.points`: where its id is written and its message context.
    pub point_places: Vec<(Span, String)>,
    /// For each of `device.points`: its alarm rules as written (bound later).
    pub point_rules: Vec<Vec<crate::parse::alarm::RuleSpec>>,
}

/// Every device, and which templates and connections they name.
#[derive(Debug, Default)]
pub(crate) struct Devices {
    /// The devices (duplicates dropped).
    pub devices: Vec<DeviceSpec>,
    /// Template ids named by some device.
    pub used_templates: HashSet<String>,
    /// Connection ids named by some device.
    pub used_connections: HashSet<String>,
    /// BACnet network ids named by some device.
    pub used_networks: HashSet<String>,
}

/// Read the `points` array of `s`, reporting duplicate ids; `owner` is e.g. `template x`.
fn points(w: &mut Walker<'_>, s: &Section<'_, '_>, owner: &str) -> Vec<PointSpec> {
    let sections = w.get_tables(s, "points", by_id(&format!("{owner}, point")));
    sections.iter().filter_map(|p| point::point(w, p)).collect()
}

/// Read every `[[templates]]`.
pub(crate) fn templates(w: &mut Walker<'_>, root: &Section<'_, '_>) -> Vec<TemplateSpec> {
    let sections = w.get_tables(root, "templates", by_id("template"));
    let mut seen = FirstSeen::default();
    let mut out = Vec::new();
    for s in &sections {
        w.expect_keys(s, keys::TEMPLATE);
        let id = w.req_str(s, "id");
        let _name = w.get_str(s, "name");
        let system = w.get_system(s);
        let poll_interval = w.get_ms(s, "poll_interval_ms", false).map(|a| a.value);
        let mut pts = points(w, s, &s.context);
        let Some(id) = id else { continue };
        w.check_id(&s.context, "template", &id, IdChars::Ref);
        if !seen.claim(w, "template", &id.value, &id.span, &s.context) {
            continue;
        }
        // Duplicate point ids inside the template itself.
        let mut ids = FirstSeen::default();
        pts.retain(|p| ids.claim(w, "point", &p.id.value, &p.id.span, &p.context));
        out.push(TemplateSpec {
            id,
            system,
            poll_interval,
            points: pts,
        });
    }
    out
}

/// Read every `[[devices]]` and expand templates.
pub(crate) fn devices(
    w: &mut Walker<'_>,
    root: &Section<'_, '_>,
    conns: &[ConnSpec],
    nets: &[NetSpec],
    templates: &[TemplateSpec],
) -> Devices {
    let sections = w.get_tables(root, "devices", by_id("device"));
    let mut result = Devices::default();
    let mut seen = FirstSeen::default();
    for s in &sections {
        let ctx = s.context.as_str();
        w.expect_keys(s, keys::DEVICE);
        let id = w.req_str(s, "id");
        if let Some(id) = &id {
            w.check_id(ctx, "device", id, IdChars::Plain);
        }
        let name = w.get_str(s, "name");
        // A device with `network` is on BACnet; otherwise it sits behind a Modbus connection.
        let is_bacnet = s.table.contains_key("network");
        let mut conn = None;
        let mut link: Option<DeviceLink> = None;
        if is_bacnet {
            link = crate::parse::bacnet::link(w, s, nets, &mut result.used_networks).map(DeviceLink::Bacnet);
        } else {
            for key in keys::DEVICE_BACNET {
                if let Some(span) = key_span(s.table, key) {
                    w.error(&span, ctx, format!("`{key}` is a BACnet key: set `network` to put the device on a BACnet network"));
                }
            }
            let connection = w.req_str(s, "connection");
            let conn_found = connection.as_ref().and_then(|c| {
                result.used_connections.insert(c.value.clone());
                let found = conns.iter().find(|k| k.conn.id == c.value);
                if found.is_none() {
                    let ids: Vec<&str> = conns.iter().map(|k| k.conn.id.as_str()).collect();
                    w.error(&c.span, ctx, unknown("connection", &c.value, &ids));
                }
                found.map(|k| &k.conn)
            });
            let unit_id = w
                .req_int(s, "unit_id", i128::MIN..=i128::MAX)
                .and_then(|u| {
                    let ok = (1..=247).contains(&u.value) || u.value == 255;
                    if !ok {
                        w.error(
                            &u.span,
                            ctx,
                            format!("`unit_id` must be in 1..=247 or 255, found {}", u.value),
                        );
                    }
                    u8::try_from(u.value).ok().filter(|_| ok)
                });
            conn = conn_found;
            if let (Some(c), Some(u)) = (connection, unit_id) {
                link = Some(DeviceLink::Modbus(ModbusLink { connection: c.value, unit_id: u }));
            }
        }
        let template = w.get_str(s, "template").and_then(|t| {
            result.used_templates.insert(t.value.clone());
            let found = templates.iter().find(|k| k.id.value == t.value);
            if found.is_none() {
                let ids: Vec<&str> = templates.iter().map(|k| k.id.value.as_str()).collect();
                w.error(&t.span, ctx, unknown("template", &t.value, &ids));
            }
            found
        });
        let system = w.get_system(s);
        let poll = w.get_ms(s, "poll_interval_ms", false);
        let own = points(w, s, ctx);

        let Some(id) = id else { continue };
        if !seen.claim(w, "device", &id.value, &id.span, ctx) {
            continue;
        }

        // Template points first, then the device's own; ids unique across both.
        let template_system = template.and_then(|t| t.system);
        let mut specs: Vec<(&PointSpec, String)> = Vec::new();
        if let Some(t) = template {
            for p in &t.points {
                specs.push((
                    p,
                    format!("{ctx}, point {} (template {})", p.id.value, t.id.value),
                ));
            }
        }
        for p in &own {
            specs.push((p, p.context.clone()));
        }
        let mut ids = FirstSeen::default();
        let mut device_points = Vec::new();
        let mut point_places = Vec::new();
        let mut point_rules = Vec::new();
        for (spec, pctx) in specs {
            if !ids.claim(w, "point", &spec.id.value, &spec.id.span, &pctx) {
                continue;
            }
            let of = match &link {
                Some(DeviceLink::Bacnet(_)) => LinkOf::Bacnet,
                _ if is_bacnet => LinkOf::Unknown,
                _ => conn.map_or(LinkOf::Unknown, LinkOf::Modbus),
            };
            if let Some(p) =
                instantiate(w, spec, &pctx, &id.value, of, system.or(template_system))
            {
                device_points.push(p);
                point_places.push((spec.id.span.clone(), pctx));
                point_rules.push(spec.alarms.clone());
            }
        }
        let poll_interval = poll
            .as_ref()
            .map(|p| p.value)
            .or(template.and_then(|t| t.poll_interval))
            .unwrap_or(DEFAULT_POLL_INTERVAL);
        result.devices.push(DeviceSpec {
            device: Device {
                name: name.map_or_else(|| id.value.clone(), |n| n.value),
                id: id.value,
                link: link.unwrap_or_else(|| DeviceLink::Modbus(ModbusLink { connection: String::new(), unit_id: 1 })),
                poll_interval,
                template: template.map(|t| t.id.value.clone()),
                points: device_points,
            },
            id_span: id.span,
            context: s.context.clone(),
            poll_span: poll.map(|p| p.span),
            point_places,
            point_rules,
        });
    }
    result
}

#[cfg(test)]
mod tests {
    use crate::model::{Config, System};
    use crate::parse_str;

    const TEMPLATED: &str = r#"
[site]
id = "s"
name = "S"

[[connections]]
id = "c"
host = "h"

[[templates]]
id = "pump"
name = "Tryckstegringspump"
system = "vatten"
poll_interval_ms = 3000

[[templates.points]]
id = "running"
table = "coil"
address = 0
type = "bool"

[[templates.points]]
id = "pressure"
table = "input"
address = 10
type = "u16"
scale = 0.01
unit = "bar"
system = "el"

[[devices]]
id = "p1"
connection = "c"
unit_id = 3
template = "pump"

[[devices.points]]
id = "motor_temperature"
table = "input"
address = 11
type = "i16"
unit = "°C"

[[devices]]
id = "p2"
name = "Pump 2"
connection = "c"
unit_id = 4
template = "pump"
system = "ventilation"
poll_interval_ms = 1000
"#;

    fn config() -> Config {
        let loaded = parse_str(TEMPLATED, "t.toml");
        assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
        loaded.config.expect("valid")
    }

    #[test]
    fn template_points_come_first_then_the_devices_own() {
        let config = config();
        let ids: Vec<&str> = config.devices[0]
            .points
            .iter()
            .map(|p| p.id.as_str())
            .collect();
        assert_eq!(ids, ["p1.running", "p1.pressure", "p1.motor_temperature"]);
        let ids: Vec<&str> = config.devices[1]
            .points
            .iter()
            .map(|p| p.id.as_str())
            .collect();
        assert_eq!(ids, ["p2.running", "p2.pressure"]);
        assert_eq!(config.devices[0].template.as_deref(), Some("pump"));
        assert_eq!(config.devices[1].points[1].local_id(), "pressure");
    }

    #[test]
    fn system_is_point_then_device_then_template() {
        let config = config();
        let sys = |d: usize, p: usize| config.devices[d].points[p].system;
        assert_eq!(
            sys(0, 0),
            System::Vatten,
            "template's system when the device has none"
        );
        assert_eq!(sys(0, 1), System::El, "the point's own system wins");
        assert_eq!(
            sys(1, 0),
            System::Ventilation,
            "the device's system beats the template's"
        );
        assert_eq!(
            sys(1, 1),
            System::El,
            "the point's own system beats the device's"
        );
    }

    #[test]
    fn device_defaults_come_from_the_template() {
        let config = config();
        assert_eq!(config.devices[0].poll_interval.as_millis(), 3000);
        assert_eq!(config.devices[1].poll_interval.as_millis(), 1000);
        assert_eq!(config.devices[0].name, "p1", "name defaults to the id");
        assert_eq!(config.devices[1].name, "Pump 2");
        assert_eq!(config.devices[0].points[1].name, "pressure");
        assert_eq!(config.devices[0].points[1].scale, 0.01);
    }

    #[test]
    fn a_template_point_error_is_reported_once_for_all_instances() {
        let src = TEMPLATED.replace("address = 10", "address = 70000");
        let loaded = parse_str(&src, "t.toml");
        let errors: Vec<_> = loaded.errors().collect();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0]
                .context
                .starts_with("template pump, point pressure"),
            "{}",
            errors[0]
        );
    }
}
