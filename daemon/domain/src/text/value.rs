//! How a point's value reads: binary states without state texts, an unknown value, qualities.

use driftvakt_config::model::Language;

texts! {
    /// Words for values and their quality.
    pub struct Values {
        /// A binary point that is on, when the point has no state texts.
        on: &'static str = "till", "on";
        /// A binary point that is off, when the point has no state texts.
        off: &'static str = "från", "off";
        /// A value that is not known (an alarm text's `{value}` without a reading).
        unknown: &'static str = "okänt", "unknown";
        /// Qualities by key (English: the key itself).
        quality: [(&'static str, &'static str); 8] = [
            ("good", "god"),
            ("stale", "inaktuell"),
            ("comm_fail", "kommunikationsfel"),
            ("device_fault", "enhetsfel"),
            ("not_available", "ej tillgänglig"),
            ("out_of_range", "utanför mätområde"),
            ("out_of_service", "ur drift (manuellt värde)"),
            ("overridden", "överstyrd"),
        ], [
            ("good", "good"),
            ("stale", "stale"),
            ("comm_fail", "comm_fail"),
            ("device_fault", "device_fault"),
            ("not_available", "not_available"),
            ("out_of_range", "out_of_range"),
            ("out_of_service", "out_of_service"),
            ("overridden", "overridden"),
        ];
    }
}

/// A binary value in words (`till`/`från`).
pub fn on_off(on: bool, lang: Language) -> &'static str {
    let t = Values::of(lang);
    if on { t.on } else { t.off }
}
