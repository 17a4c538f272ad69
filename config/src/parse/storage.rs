//! A point's `store`, `deadband` and `heartbeat_s`: every reading stored (the default) or
//! historian-style on change. Every mistake is reported, not only the first.

use crate::keys;
use crate::model::{DEFAULT_HEARTBEAT_S, MAX_HEARTBEAT_S, OnChange, PointKind, Storage};
use crate::parse::common::{Section, Walker, list};

/// Read the storage keys of a point of `kind` (`None` if its type is unknown, already reported).
pub(crate) fn storage(w: &mut Walker<'_>, s: &Section<'_, '_>, kind: Option<PointKind>) -> Storage {
    let ctx = s.context.as_str();
    let on_change = match w.get_str(s, "store") {
        None => false,
        Some(m) => match m.value.as_str() {
            "all" => false,
            "on_change" => true,
            other => {
                w.error(
                    &m.span,
                    ctx,
                    format!("unknown store `{other}`; expected one of {}", list(keys::STORE_NAMES)),
                );
                // The companions are not blamed for a misspelt mode.
                true
            }
        },
    };
    let deadband = w.get_f64(s, "deadband");
    if let Some(d) = &deadband {
        if !on_change {
            w.error(&d.span, ctx, "`deadband` only applies with store = \"on_change\"");
        }
        if d.value < 0.0 {
            w.error(&d.span, ctx, format!("`deadband` must be 0 or more (in the point's unit), found {}", d.value));
        }
        if let Some(k @ (PointKind::Binary | PointKind::Multistate | PointKind::Text)) = kind {
            w.error(
                &d.span,
                ctx,
                format!("`deadband` applies to analog (numeric) points only; a {} point stores every change", kind_word(k)),
            );
        }
    }
    let heartbeat = w.get_int(s, "heartbeat_s", i128::MIN..=i128::MAX);
    let mut heartbeat_s = DEFAULT_HEARTBEAT_S;
    if let Some(h) = &heartbeat {
        if !on_change {
            w.error(&h.span, ctx, "`heartbeat_s` only applies with store = \"on_change\"");
        }
        match u32::try_from(h.value) {
            Ok(v) if (1..=MAX_HEARTBEAT_S).contains(&v) => heartbeat_s = v,
            _ => w.error(
                &h.span,
                ctx,
                format!(
                    "`heartbeat_s` must be in 1..={MAX_HEARTBEAT_S} (an unchanged value is still stored this often), found {}",
                    h.value
                ),
            ),
        }
    }
    if !on_change {
        return Storage::All;
    }
    let deadband = deadband.map_or(0.0, |d| d.value.max(0.0));
    Storage::OnChange(OnChange { deadband, heartbeat_s })
}

fn kind_word(kind: PointKind) -> &'static str {
    match kind {
        PointKind::Analog => "analog",
        PointKind::Binary => "bool",
        PointKind::Multistate => "multistate",
        PointKind::Text => "text",
    }
}

#[cfg(test)]
mod tests {
    use crate::model::{DEFAULT_HEARTBEAT_S, OnChange, Storage};
    use crate::parse_str;

    #[test]
    fn template_points_carry_their_storage_into_every_device_and_all_is_the_default() {
        let src = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/store_on_change/config.toml"))
            .expect("golden case");
        let config = parse_str(&src, "t.toml").config.expect("valid");
        let store = |id: &str| config.point(id).expect("point").1.store;
        assert_eq!(store("d.level"), Storage::OnChange(OnChange { deadband: 0.5, heartbeat_s: 300 }));
        assert_eq!(store("d.running"), Storage::OnChange(OnChange { deadband: 0.0, heartbeat_s: DEFAULT_HEARTBEAT_S }));
        assert_eq!(store("d.temp"), Storage::All);
        assert_eq!(store("d.power"), Storage::All);
    }
}
