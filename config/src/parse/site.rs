//! `[site]` and `[store]`.

use crate::keys;
use crate::model::{Site, StoreSettings};
use crate::parse::common::{IdChars, Section, Walker};

/// Default time zone of a site.
pub(crate) const DEFAULT_TIMEZONE: &str = "Europe/Stockholm";

/// Read `[site]` (required).
pub(crate) fn site(w: &mut Walker<'_>, root: &Section<'_, '_>) -> Option<Site> {
    if !root.table.contains_key("site") {
        w.error(
            &root.span,
            "",
            "missing required table `[site]` (with `id` and `name`)",
        );
        return None;
    }
    let s = w.get_table(root, "site", "site".to_string())?;
    w.expect_keys(&s, keys::SITE);
    let id = w.req_str(&s, "id");
    if let Some(id) = &id {
        w.check_id("site", "site", id, IdChars::Ref);
    }
    let name = w.req_str(&s, "name");
    let timezone = match w.get_str(&s, "timezone") {
        Some(tz) if tz.value.trim().is_empty() => {
            w.error(
                &tz.span,
                "site",
                "`timezone` must not be empty (e.g. \"Europe/Stockholm\")",
            );
            None
        }
        Some(tz) => Some(tz.value),
        None => Some(DEFAULT_TIMEZONE.to_string()),
    };
    Some(Site {
        id: id?.value,
        name: name?.value,
        timezone: timezone?,
    })
}

/// Read `[store]` (optional).
pub(crate) fn store(w: &mut Walker<'_>, root: &Section<'_, '_>) -> StoreSettings {
    let default = StoreSettings::default();
    let Some(s) = w.get_table(root, "store", "store".to_string()) else {
        return default;
    };
    w.expect_keys(&s, keys::STORE);
    StoreSettings {
        raw_retention_days: w.u32_or(
            &s,
            "raw_retention_days",
            1..=u32::MAX,
            default.raw_retention_days,
        ),
        rollup_retention_days: w.u32_or(
            &s,
            "rollup_retention_days",
            0..=u32::MAX,
            default.rollup_retention_days,
        ),
        commit_interval_ms: w.u32_or(&s, "commit_interval_ms", 10..=1000, default.commit_interval_ms),
    }
}
