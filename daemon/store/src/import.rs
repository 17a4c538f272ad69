//! Rollups written straight into a store, without raw readings: the bench's year of synthetic
//! data. Not for the live path (the writer keeps the rollups of what it stores).

use std::collections::BTreeMap;
use std::path::Path;

use crate::query::{point_key, write_day};
use crate::rollup::{Acc, DAY_MS, Rollup, floor_to};
use crate::shared::{connect, db_path};
use crate::{StoreError, schema};

/// Write `rollups` (point id, minute) into the store of `data_dir` as daily rows, in one
/// transaction; a minute already stored for the point is replaced, and the days count as rolled
/// up (meant for days without raw readings). Every point must be known to the store (registered
/// by [`crate::StoreWriter::start`]). Returns the minutes written.
pub fn import_rollups<'a>(
    data_dir: &Path,
    rollups: impl IntoIterator<Item = (&'a str, Rollup)>,
) -> Result<u64, StoreError> {
    let path = db_path(data_dir);
    let sql = |source| StoreError::Sqlite {
        path: path.clone(),
        source,
    };
    let mut conn = connect(data_dir)?;
    schema::create(&conn).map_err(sql)?;
    conn.pragma_update(None, "synchronous", "OFF")
        .map_err(sql)?;
    let tx = conn.transaction().map_err(sql)?;
    let mut rows = 0_u64;
    // One point-day at a time (input in point, time order needs one row write per day; any
    // other order still comes out right, rows being merged).
    let mut current: Option<(i64, i64)> = None;
    let mut minutes: BTreeMap<i64, Acc> = BTreeMap::new();
    let mut newest: Option<i64> = None;
    let mut last: Option<(&str, i64)> = None;
    for (point, r) in rollups {
        let key = match last {
            Some((p, k)) if p == point => k,
            _ => {
                let k = point_key(&tx, point)?.ok_or_else(|| StoreError::UnknownPoint(point.to_string()))?;
                last = Some((point, k));
                k
            }
        };
        let day = floor_to(r.minute_ms, DAY_MS);
        if let Some((k, d)) = current.filter(|c| *c != (key, day)) {
            write_day(&tx, k, d, std::mem::take(&mut minutes), true).map_err(sql)?;
        }
        current = Some((key, day));
        newest = Some(newest.map_or(day, |n| n.max(day)));
        minutes.insert(r.minute_ms, Acc::from_row(&r));
        rows += 1;
    }
    if let Some((k, d)) = current {
        write_day(&tx, k, d, minutes, true).map_err(sql)?;
    }
    if let Some(day) = newest {
        let until = schema::meta(&tx, schema::ROLLED_UNTIL)
            .map_err(sql)?
            .map_or(day + DAY_MS, |u| u.max(day + DAY_MS));
        schema::set_meta(&tx, schema::ROLLED_UNTIL, until).map_err(sql)?;
    }
    tx.commit().map_err(sql)?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{PointMeta, Store, StoreWriter};
    use driftvakt_config::model::StoreSettings;

    #[test]
    fn imported_rollups_read_back_as_written() {
        let dir = tempfile::tempdir().expect("tempdir");
        let meta = [PointMeta {
            id: "t.level".into(),
            unit: "l".into(),
            system: "reservkraft".into(),
        }];
        StoreWriter::start(dir.path(), &meta, &StoreSettings::default())
            .expect("start")
            .finish();
        let r = Rollup {
            minute_ms: 60_000,
            min: Some(2.0),
            max: Some(2.0),
            mean: Some(2.0),
            good_count: 6,
            count: 6,
        };
        assert_eq!(
            import_rollups(dir.path(), [("t.level", r.clone())]).expect("import"),
            1
        );
        let s = Store::open_read_only(dir.path()).expect("open");
        assert_eq!(s.rollups("t.level", 0, i64::MAX).expect("rollups"), [r]);
        assert_eq!(s.good_ms("t.level", 0, 120_000).expect("good"), 60_000);
        assert!(matches!(
            import_rollups(
                dir.path(),
                [(
                    "nope",
                    Rollup {
                        minute_ms: 0,
                        min: None,
                        max: None,
                        mean: None,
                        good_count: 0,
                        count: 1
                    }
                )]
            ),
            Err(StoreError::UnknownPoint(_))
        ));
    }
}
