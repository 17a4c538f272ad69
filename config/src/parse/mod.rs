//! From TOML text to [`Loaded`]: the walk over the spanned tree.

pub(crate) mod alarm;
pub(crate) mod bacnet;
pub(crate) mod checks;
pub(crate) mod common;
pub(crate) mod connection;
pub(crate) mod device;
pub(crate) mod exercise;
pub(crate) mod instance;
pub(crate) mod notify;
pub(crate) mod point;
pub(crate) mod reserve;
pub(crate) mod secret;
pub(crate) mod sentinel;
pub(crate) mod site;
pub(crate) mod sink;
pub(crate) mod storage;
pub(crate) mod web;

use toml::de::DeTable;

use crate::diagnostic::Loaded;
use crate::keys;
use crate::model::Config;
use crate::parse::common::{Section, Walker};

/// Parse and validate `source`, naming it `file_name` in diagnostics.
pub fn parse_str(source: &str, file_name: &str) -> Loaded {
    let mut w = Walker::new(source, file_name);
    let root = match DeTable::parse(source) {
        Ok(root) => root,
        Err(e) => {
            let span = e.span().unwrap_or(0..0);
            w.error(&span, "", format!("TOML syntax error: {}", e.message()));
            return Loaded {
                config: None,
                diagnostics: w.finish(),
            };
        }
    };
    let root = Section {
        table: root.get_ref(),
        span: 0..0,
        context: String::new(),
    };
    w.expect_keys(&root, keys::ROOT);
    let site = site::site(&mut w, &root);
    let store = site::store(&mut w, &root);
    let conns = connection::connections(&mut w, &root);
    let nets = bacnet::networks(&mut w, &root);
    let templates = device::templates(&mut w, &root);
    let devices = device::devices(&mut w, &root, &conns, &nets, &templates);
    checks::warn(&mut w, &conns, &templates, &devices);
    let sinks = sink::sinks(&mut w, &root);
    checks::warn_bacnet(&mut w, &nets, &devices);
    let (mut alarms, top_rules) = alarm::settings(&mut w, &root);
    alarms.rules = notify::bind_rules(&mut w, &devices, &top_rules);
    let units: reserve::PointUnits = devices
        .devices
        .iter()
        .flat_map(|d| d.device.points.iter())
        .map(|p| (p.id.clone(), (p.unit.clone(), p.system)))
        .collect();
    let (reserves, functions, endurance_rules) = reserve::reserves(&mut w, &root, &units);
    alarms.rules.extend(endurance_rules);
    let report = reserve::report(&mut w, &root);
    let notify_settings = notify::notify(&mut w, &root);
    let api = notify::api(&mut w, &root);
    let web = web::web(&mut w, &root, &api, file_name);
    let mqtt = notify::mqtt(&mut w, &root, site.as_ref().map(|s| s.id.as_str()));
    let (exercise, exercise_rules) = exercise::exercise(
        &mut w,
        &root,
        &exercise::points_of(&devices),
        &alarms.rules,
        &api,
        mqtt.as_ref(),
    );
    alarms.rules.extend(exercise_rules);

    let config = match site {
        Some(site) if !w.has_errors() => Some(Config {
            site,
            store,
            connections: conns.into_iter().map(|c| c.conn).collect(),
            devices: devices.devices.into_iter().map(|d| d.device).collect(),
            sinks,
            bacnet_networks: nets.into_iter().map(|n| n.net).collect(),
            alarms,
            notify: notify_settings,
            api,
            web,
            mqtt,
            reserves,
            functions,
            report,
            exercise,
        }),
        _ => None,
    };
    Loaded {
        config,
        diagnostics: w.finish(),
    }
}
