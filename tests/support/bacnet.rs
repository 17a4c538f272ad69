//! BACnet test helpers: the bacpypes3 device's object map (`tests/peers/bacnet_objects.json`),
//! its service record, and config writing.

use std::path::Path;

use serde::Deserialize;

/// One object the test device serves.
#[derive(Debug, Clone, Deserialize)]
pub struct BacObject {
    /// `analog-input:1`.
    pub object: String,
    /// Point id the tests configure.
    pub point: String,
    /// Object name.
    pub name: String,
    /// Served value (number or "active").
    pub value: serde_json::Value,
    /// Expected value after reading, when it differs from `value` (binary → true).
    #[serde(default)]
    pub expected: Option<serde_json::Value>,
    /// Expected quality keyword.
    pub quality: String,
    /// Whether the value counts up every 0.5 s.
    #[serde(default)]
    pub counter: bool,
}

impl BacObject {
    /// The value a reading should carry (`null` for bad qualities).
    pub fn expected_value(&self) -> serde_json::Value {
        if matches!(
            self.quality.as_str(),
            "device_fault" | "out_of_range" | "not_available"
        ) {
            return serde_json::Value::Null;
        }
        self.expected.clone().unwrap_or_else(|| self.value.clone())
    }
}

/// The device section of the map.
#[derive(Debug, Clone, Deserialize)]
pub struct BacDevice {
    /// Device instance.
    pub instance: u32,
    /// Device object name.
    pub name: String,
}

/// The whole map.
#[derive(Debug, Clone, Deserialize)]
pub struct BacMap {
    /// The device.
    pub device: BacDevice,
    /// Its objects.
    pub objects: Vec<BacObject>,
}

impl BacMap {
    /// Load `tests/peers/bacnet_objects.json`.
    pub fn load() -> BacMap {
        let path = super::peers_dir().join("bacnet_objects.json");
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
        serde_json::from_str(&text).expect("bacnet_objects.json is valid")
    }

    /// The counter object.
    pub fn counter(&self) -> &BacObject {
        self.objects
            .iter()
            .find(|o| o.counter)
            .expect("a counter object")
    }
}

/// One service the test device received.
#[derive(Debug, Clone, Deserialize)]
pub struct ServiceEntry {
    /// Unix ms.
    pub t: i64,
    /// Service name (`read-property-multiple`, `subscribe-cov`, `write-property`, ...).
    pub service: String,
    /// Confirmed or not.
    pub confirmed: bool,
    /// Properties asked for (ReadPropertyMultiple).
    #[serde(default)]
    pub properties: Option<u32>,
    /// Lifetime (SubscribeCOV).
    #[serde(default)]
    pub lifetime: Option<u32>,
    /// Subscriber process identifier (SubscribeCOV).
    #[serde(default)]
    pub process_id: Option<u32>,
}

/// The services recorded in `path` so far (a missing file is an empty record).
pub fn record(path: &Path) -> Vec<ServiceEntry> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// Services that change a device: none of these may ever arrive.
pub const WRITE_SERVICES: &[&str] = &[
    "write-property",
    "write-property-multiple",
    "write-group",
    "add-list-element",
    "remove-list-element",
    "create-object",
    "delete-object",
    "atomic-write-file",
    "device-communication-control",
    "reinitialize-device",
    "time-synchronization",
    "utc-time-synchronization",
];

/// Panics if any write service is in the record; returns the distinct service names seen.
pub fn assert_no_writes(path: &Path) -> Vec<String> {
    let rec = record(path);
    let writes: Vec<&ServiceEntry> = rec
        .iter()
        .filter(|e| {
            WRITE_SERVICES.contains(&e.service.as_str()) || e.service.starts_with("service-")
        })
        .collect();
    assert!(
        writes.is_empty(),
        "the device received services that change it: {writes:?}"
    );
    let mut names: Vec<String> = rec.iter().map(|e| e.service.clone()).collect();
    names.sort();
    names.dedup();
    names
}

/// A config with one BACnet network bound to 127.0.0.1 and one device for each `(id, port,
/// extra device keys)`, each with a point per object of the map.
pub fn config(
    map: &BacMap,
    devices: &[(&str, u16, &str)],
    poll_ms: u64,
    timeout_ms: u64,
) -> String {
    let mut s = format!(
        "[site]\nid = \"test\"\nname = \"Test\"\n\n[[bacnet_networks]]\nid = \"bas\"\nbind = \"127.0.0.1:0\"\ntimeout_ms = {timeout_ms}\nretries = 0\n"
    );
    for (id, port, extra) in devices {
        s.push_str(&format!(
            "\n[[devices]]\nid = \"{id}\"\nnetwork = \"bas\"\ninstance = {}\naddress = \"127.0.0.1:{port}\"\npoll_interval_ms = {poll_ms}\nsystem = \"ventilation\"\n{extra}\n",
            map.device.instance
        ));
        for o in &map.objects {
            s.push_str(&format!(
                "\n[[devices.points]]\nid = \"{}\"\nname = \"{}\"\nobject = \"{}\"\n",
                o.point, o.name, o.object
            ));
        }
    }
    s
}
