//! `[[bacnet_networks]]`, the BACnet keys of `[[devices]]` (network, instance, address, route,
//! COV) and of points (`object`, `property`).

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use crate::bacnet::{MAX_INSTANCE, ObjectId, PropertyId};
use crate::keys;
use crate::model::{BacnetLink, BacnetNetwork, BacnetRoute, BacnetSource, Bbmd, CovSettings};
use crate::parse::common::{At, FirstSeen, IdChars, Section, Span, Walker, by_id, integer, key_span, unknown};
use toml::de::DeValue;

/// The standard BACnet/IP UDP port (0xBAC0).
pub(crate) const DEFAULT_PORT: u16 = 47808;
/// Default max APDU of a BACnet/IP device.
pub(crate) const DEFAULT_MAX_APDU: u16 = 1476;
/// Default time allowed for one confirmed request.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_millis(3000);
/// Default COV lifetime.
pub(crate) const DEFAULT_COV_LIFETIME_S: i128 = 300;
/// Default fraction of the lifetime after which a subscription is renewed.
pub(crate) const DEFAULT_RENEW_AT: f64 = 0.8;
/// Default interval of the COV check poll.
pub(crate) const DEFAULT_CHECK_INTERVAL_S: i128 = 60;

/// A BACnet network with the place of its id.
#[derive(Debug, Clone)]
pub(crate) struct NetSpec {
    /// The validated network.
    pub net: BacnetNetwork,
    /// Where its id is written.
    pub id_span: Span,
}

/// Read every `[[bacnet_networks]]`; duplicates are reported and dropped.
pub(crate) fn networks(w: &mut Walker<'_>, root: &Section<'_, '_>) -> Vec<NetSpec> {
    let sections = w.get_tables(root, "bacnet_networks", by_id("bacnet network"));
    let mut seen = FirstSeen::default();
    let mut out = Vec::new();
    for s in &sections {
        let Some(n) = network(w, s) else { continue };
        if seen.claim(w, "bacnet network", &n.net.id, &n.id_span, &s.context) {
            out.push(n);
        }
    }
    out
}

fn network(w: &mut Walker<'_>, s: &Section<'_, '_>) -> Option<NetSpec> {
    w.expect_keys(s, keys::BACNET_NETWORK);
    let ctx = s.context.as_str();
    let id = w.req_str(s, "id");
    if let Some(id) = &id {
        w.check_id(ctx, "bacnet network", id, IdChars::Ref);
    }
    let bind = match w.get_str(s, "bind") {
        Some(b) => socket_addr(w, ctx, "bind", &b),
        None => Some(SocketAddr::from(([0, 0, 0, 0], DEFAULT_PORT))),
    };
    let bbmd = w
        .get_table(s, "bbmd", format!("{ctx}, bbmd"))
        .and_then(|b| {
            w.expect_keys(&b, keys::BBMD);
            let address = w
                .req_str(&b, "address")
                .and_then(|a| socket_addr(w, &b.context, "address", &a));
            let ttl = w.get_int(&b, "ttl_s", 1..=65_535).map_or(900, |t| t.value);
            Some(Bbmd {
                address: address?,
                ttl: Duration::from_secs(u64::try_from(ttl).ok()?),
            })
        });
    let max_apdu_bytes = w.u16_or(s, "max_apdu_bytes", 50..=1476, DEFAULT_MAX_APDU);
    let timeout = w
        .get_ms(s, "timeout_ms", false)
        .map_or(DEFAULT_TIMEOUT, |t| t.value);
    let retries = w
        .get_int(s, "retries", 0..=5)
        .and_then(|r| u8::try_from(r.value).ok())
        .unwrap_or(1);
    let id = id?;
    Some(NetSpec {
        net: BacnetNetwork {
            id: id.value,
            bind: bind?,
            bbmd,
            max_apdu_bytes,
            timeout,
            retries,
        },
        id_span: id.span,
    })
}

/// `IP` or `IP:PORT` (port 47808 when omitted).
fn socket_addr(w: &mut Walker<'_>, ctx: &str, key: &str, at: &At<String>) -> Option<SocketAddr> {
    let text = at.value.trim();
    if let Ok(a) = text.parse::<SocketAddr>() {
        return Some(a);
    }
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Some(SocketAddr::new(ip, DEFAULT_PORT));
    }
    w.error(
        &at.span,
        ctx,
        format!("`{key}` must be an IP address with an optional port, e.g. \"10.0.0.21:47808\", found \"{text}\""),
    );
    None
}

/// The BACnet link of a device section (its `network` key is present). `None` if anything is
/// wrong (reported).
pub(crate) fn link(
    w: &mut Walker<'_>,
    s: &Section<'_, '_>,
    nets: &[NetSpec],
    used: &mut std::collections::HashSet<String>,
) -> Option<BacnetLink> {
    let ctx = s.context.as_str();
    for key in keys::DEVICE_MODBUS {
        if let Some(span) = key_span(s.table, key) {
            w.error(
                &span,
                ctx,
                format!(
                    "`{key}` is a Modbus key, but this device is on a BACnet network (`network`)"
                ),
            );
        }
    }
    let network = w.req_str(s, "network");
    let net = network.as_ref().and_then(|n| {
        used.insert(n.value.clone());
        let found = nets.iter().find(|k| k.net.id == n.value);
        if found.is_none() {
            let ids: Vec<&str> = nets.iter().map(|k| k.net.id.as_str()).collect();
            w.error(
                &n.span,
                ctx,
                unknown("bacnet network", &n.value, &ids),
            );
        }
        found.map(|k| &k.net)
    });
    let instance = w
        .req_int(s, "instance", 0..=i128::from(MAX_INSTANCE - 1))
        .and_then(|i| u32::try_from(i.value).ok());
    let address = w
        .req_str(s, "address")
        .and_then(|a| socket_addr(w, ctx, "address", &a));
    let route = route(w, s);
    let max_apdu = w
        .get_int(s, "max_apdu_bytes", 50..=1476)
        .and_then(|m| u16::try_from(m.value).ok());
    let cov = cov(w, s);
    let net = net?;
    Some(BacnetLink {
        network: net.id.clone(),
        instance: instance?,
        address: address?,
        route: route.ok()?,
        max_apdu_bytes: max_apdu.unwrap_or(net.max_apdu_bytes),
        cov: cov.ok()?,
    })
}

/// `dnet` and `dadr` together, or neither. `Err` = reported.
fn route(w: &mut Walker<'_>, s: &Section<'_, '_>) -> Result<Option<BacnetRoute>, ()> {
    let ctx = s.context.as_str();
    let dnet = w.get_int(s, "dnet", 1..=65_534);
    let dadr = match s.table.get("dadr") {
        None => None,
        Some(v) => {
            let mac = match v.get_ref() {
                DeValue::Integer(_) => integer(v.get_ref())
                    .and_then(|n| u8::try_from(n).ok())
                    .map(|b| vec![b]),
                DeValue::String(text) => parse_mac(text),
                _ => None,
            };
            if mac.is_none() {
                w.error(&v.span(), ctx, "`dadr` must be a MAC address: an integer 0..=255 (MS/TP) or 1 to 6 hex octets, e.g. \"0a\" or \"c0:a8:00:15:ba:c0\"");
                return Err(());
            }
            mac
        }
    };
    match (dnet, dadr) {
        (None, None) => Ok(None),
        (Some(n), Some(mac)) => Ok(Some(BacnetRoute {
            network: u16::try_from(n.value).map_err(|_| ())?,
            mac,
        })),
        (Some(n), None) => {
            w.error(
                &n.span,
                ctx,
                "`dnet` needs `dadr` (the device's MAC address on that network)",
            );
            Err(())
        }
        (None, Some(_)) => {
            let span = key_span(s.table, "dadr").unwrap_or_else(|| s.span.clone());
            w.error(
                &span,
                ctx,
                "`dadr` needs `dnet` (the remote network number)",
            );
            Err(())
        }
    }
}

/// "0a", "0a:1b", "0A1B" → bytes (1..=6).
fn parse_mac(text: &str) -> Option<Vec<u8>> {
    let hex: String = text.chars().filter(|c| *c != ':' && *c != '-').collect();
    if hex.is_empty() || !hex.len().is_multiple_of(2) || hex.len() > 12 {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

/// `cov = { lifetime_s, renew_at_fraction, check_interval_s }`. `Err` = reported.
fn cov(w: &mut Walker<'_>, s: &Section<'_, '_>) -> Result<Option<CovSettings>, ()> {
    let Some(c) = w.get_table(s, "cov", format!("{}, cov", s.context)) else {
        return if s.table.contains_key("cov") {
            Err(())
        } else {
            Ok(None)
        };
    };
    w.expect_keys(&c, keys::COV);
    // Lifetime 0 would be an unlimited subscription, which can die unnoticed: never allowed.
    let lifetime = w
        .get_int(&c, "lifetime_s", 1..=86_400)
        .map_or(DEFAULT_COV_LIFETIME_S, |l| l.value);
    let fraction = match w.get_f64(&c, "renew_at_fraction") {
        Some(f) if !(0.1..=0.95).contains(&f.value) => {
            w.error(
                &f.span,
                &c.context,
                format!(
                    "`renew_at_fraction` must be in 0.1..=0.95, found {}",
                    f.value
                ),
            );
            return Err(());
        }
        Some(f) => f.value,
        None => DEFAULT_RENEW_AT,
    };
    let check = w
        .get_int(&c, "check_interval_s", 1..=86_400)
        .map_or(DEFAULT_CHECK_INTERVAL_S, |l| l.value);
    let secs = |n: i128| Duration::from_secs(u64::try_from(n).unwrap_or(1));
    Ok(Some(CovSettings {
        lifetime: secs(lifetime),
        renew_at_fraction: fraction,
        check_interval: secs(check),
    }))
}

/// The BACnet part of a point (`object` is present): object and property; Modbus keys are
/// errors. `None` if the object is invalid (reported).
pub(crate) fn point_source(w: &mut Walker<'_>, s: &Section<'_, '_>) -> Option<At<BacnetSource>> {
    let ctx = s.context.as_str();
    for key in keys::POINT_MODBUS.iter().chain(&["sentinels"]) {
        if let Some(span) = key_span(s.table, key) {
            w.error(&span, ctx, format!("`{key}` is a Modbus key; a BACnet point (with `object`) is read by object and property"));
        }
    }
    let object = w.req_str(s, "object")?;
    let property = match w.get_str(s, "property") {
        None => Some(PropertyId::PRESENT_VALUE),
        Some(p) => {
            let parsed = PropertyId::parse(&p.value);
            if parsed.is_none() {
                w.error(&p.span, ctx, format!("unknown property `{}`; write a standard name such as \"present-value\" or the property number", p.value));
            }
            parsed
        }
    };
    let id = match ObjectId::parse(&object.value) {
        Ok(id) => id,
        Err(msg) => {
            w.error(&object.span, ctx, msg);
            return None;
        }
    };
    Some(At {
        value: BacnetSource {
            object: id,
            property: property?,
        },
        span: object.span,
    })
}

#[cfg(test)]
mod tests {
    use crate::model::{DeviceLink, PointKind, PointSource};
    use crate::parse_str;

    const NET: &str = "[site]\nid = \"s\"\nname = \"S\"\n\n[[bacnet_networks]]\nid = \"bas\"\nbind = \"127.0.0.1:0\"\n\n";

    fn ok(src: &str) -> crate::model::Config {
        let loaded = parse_str(src, "t.toml");
        let shown: Vec<String> = loaded.diagnostics.iter().map(ToString::to_string).collect();
        assert!(shown.is_empty(), "{}", shown.join("\n"));
        loaded.config.expect("valid")
    }

    #[test]
    fn a_bacnet_device_with_routing_cov_and_points() {
        let src = format!(
            "{NET}[[devices]]\nid = \"lb01\"\nnetwork = \"bas\"\ninstance = 1201\npoll_interval_ms = 5000\naddress = \"10.0.0.21\"\ndnet = 100\ndadr = \"0a\"\n\
             system = \"ventilation\"\ncov = {{ lifetime_s = 120, check_interval_s = 30 }}\n\n\
             [[devices.points]]\nid = \"supply\"\nobject = \"analog-input:1\"\nunit = \"°C\"\n\n\
             [[devices.points]]\nid = \"fan\"\nobject = \"binary-value:3\"\n\n\
             [[devices.points]]\nid = \"mode\"\nobject = \"multi-state-value:1\"\nproperty = \"present_value\"\nstates = {{ \"1\" = \"av\", \"2\" = \"på\" }}\n"
        );
        let c = ok(&src);
        let d = &c.devices[0];
        let DeviceLink::Bacnet(link) = &d.link else {
            panic!("a BACnet device")
        };
        assert_eq!(link.instance, 1201);
        assert_eq!(link.address.to_string(), "10.0.0.21:47808");
        assert_eq!(
            link.route.as_ref().map(|r| (r.network, r.mac.clone())),
            Some((100, vec![0x0a]))
        );
        assert_eq!(link.max_apdu_bytes, 1476);
        let cov = link.cov.expect("cov");
        assert_eq!(
            (
                cov.lifetime.as_secs(),
                cov.check_interval.as_secs(),
                cov.renew_at_fraction
            ),
            (120, 30, 0.8)
        );
        assert_eq!(cov.renew_after().as_secs(), 96);
        let kinds: Vec<PointKind> = d.points.iter().map(|p| p.kind()).collect();
        assert_eq!(
            kinds,
            [PointKind::Analog, PointKind::Binary, PointKind::Multistate]
        );
        let PointSource::Bacnet(b) = d.points[0].source else {
            panic!("a BACnet point")
        };
        assert_eq!(b.object.to_string(), "analog-input:1");
        assert_eq!(c.bacnet_networks[0].bind.to_string(), "127.0.0.1:0");
        assert!(d.connection().is_none() && d.points[0].modbus().is_none());
    }
}
