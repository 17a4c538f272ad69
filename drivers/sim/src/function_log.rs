//! Counts of every Modbus function code the simulator received, per gateway.
//!
//! This is the evidence for driftvakt's first invariant (read-only towards the plant): after a
//! demo or a test, [`FunctionLog::write_codes_seen`] must be 0.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// Function codes that write to a device: 5, 6, 15, 16, 21 (write file record),
/// 22 (mask write) and 23 (read/write multiple).
pub const WRITE_FUNCTION_CODES: [u8; 7] = [0x05, 0x06, 0x0F, 0x10, 0x15, 0x16, 0x17];

/// Whether `code` is a write function code.
pub fn is_write_code(code: u8) -> bool {
    WRITE_FUNCTION_CODES.contains(&code)
}

/// Shared, cloneable counter of function codes per gateway.
#[derive(Debug, Clone, Default)]
pub struct FunctionLog {
    /// gateway name → function code → requests.
    counts: Arc<Mutex<BTreeMap<String, BTreeMap<u8, u64>>>>,
}

impl FunctionLog {
    /// An empty log.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, BTreeMap<u8, u64>>> {
        // A panic while holding this lock cannot leave the counts inconsistent.
        self.counts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Count one request with `code` on `gateway`.
    pub fn record(&self, gateway: &str, code: u8) {
        let mut counts = self.lock();
        *counts
            .entry(gateway.to_string())
            .or_default()
            .entry(code)
            .or_insert(0) += 1;
    }

    /// Requests per function code, summed over all gateways.
    pub fn snapshot(&self) -> BTreeMap<u8, u64> {
        let mut total = BTreeMap::new();
        for per_gateway in self.lock().values() {
            for (code, n) in per_gateway {
                *total.entry(*code).or_insert(0) += n;
            }
        }
        total
    }

    /// Requests per function code on one gateway.
    pub fn snapshot_gateway(&self, gateway: &str) -> BTreeMap<u8, u64> {
        self.lock().get(gateway).cloned().unwrap_or_default()
    }

    /// Requests with a write function code, over all gateways.
    pub fn write_codes_seen(&self) -> u64 {
        self.snapshot()
            .iter()
            .filter(|(code, _)| is_write_code(**code))
            .map(|(_, n)| n)
            .sum()
    }

    /// The log as JSON: `{"gateways":{"stallverk":{"3":120,"4":40}},"total":{...},"write_requests":0}`.
    pub fn to_json(&self) -> String {
        let gateways: serde_json::Map<String, serde_json::Value> = self
            .lock()
            .iter()
            .map(|(gw, codes)| (gw.clone(), codes_json(codes)))
            .collect();
        serde_json::json!({
            "gateways": gateways,
            "total": codes_json(&self.snapshot()),
            "write_requests": self.write_codes_seen(),
        })
        .to_string()
    }
}

fn codes_json(codes: &BTreeMap<u8, u64>) -> serde_json::Value {
    serde_json::Value::Object(
        codes
            .iter()
            .map(|(c, n)| (c.to_string(), serde_json::Value::from(*n)))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_gateway_and_writes() {
        let log = FunctionLog::new();
        log.record("stallverk", 3);
        log.record("stallverk", 3);
        log.record("fastighet", 4);
        log.record("fastighet", 6);
        assert_eq!(log.snapshot(), BTreeMap::from([(3, 2), (4, 1), (6, 1)]));
        assert_eq!(log.snapshot_gateway("stallverk"), BTreeMap::from([(3, 2)]));
        assert_eq!(log.write_codes_seen(), 1);
        let json: serde_json::Value = serde_json::from_str(&log.to_json()).expect("valid JSON");
        assert_eq!(json["gateways"]["stallverk"]["3"], 2);
        assert_eq!(json["total"]["6"], 1);
        assert_eq!(json["write_requests"], 1);
    }
}
