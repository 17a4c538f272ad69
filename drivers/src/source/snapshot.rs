//! What a [`Source`](super::Source) counted, protocol-neutral: one snapshot feeds the Prometheus
//! text, the status JSON and the `driftvakt status` tables.

/// One source's counters at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceSnapshot {
    /// The protocol (`modbus`, `bacnet`).
    pub protocol: &'static str,
    /// The link's id (connection or network id).
    pub link: String,
    /// Link counters for the status table, in column order: (key, value), e.g. `("requests",
    /// 12)`. Keys are lower-case words; `driftvakt status` translates the ones it knows.
    pub counters: Vec<(&'static str, u64)>,
    /// Datagrams or frames thrown away, per reason key (every reason the protocol has, zeros
    /// included); empty for protocols that reject nothing.
    pub rejected: Vec<(&'static str, u64)>,
    /// Request counters per device, in registration order.
    pub devices: Vec<DeviceSnapshot>,
    /// The source's Prometheus counter families. Sources of one protocol list the same families
    /// in the same order; the renderer merges their samples under one HELP and TYPE.
    pub metrics: Vec<Metric>,
}

/// Request counters of one device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceSnapshot {
    /// Device id.
    pub device: String,
    /// Requests sent to it (each retry counts).
    pub requests: u64,
    /// Of those, the ones that failed (no answer in time, an error or exception answer).
    pub errors: u64,
}

/// One Prometheus counter family (the name ends in `_total`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metric {
    /// Full metric name, e.g. `driftvakt_modbus_timeouts_total`.
    pub name: &'static str,
    /// The HELP text.
    pub help: &'static str,
    /// Its samples from this source.
    pub samples: Vec<Sample>,
}

/// One sample of a [`Metric`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    /// Label names and values, in output order.
    pub labels: Vec<(&'static str, String)>,
    /// The counter's value.
    pub value: u64,
}

impl Metric {
    /// A family with one sample per item of `items`.
    pub fn per<T>(
        name: &'static str,
        help: &'static str,
        items: &[T],
        sample: impl Fn(&T) -> Sample,
    ) -> Metric {
        Metric { name, help, samples: items.iter().map(sample).collect() }
    }
}

impl SourceSnapshot {
    /// The value of link counter `key`, if the source has it.
    pub fn counter(&self, key: &str) -> Option<u64> {
        self.counters.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }
}
