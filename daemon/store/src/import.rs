//! Rollups written straight into a store, without raw readings: the bench's year of synthetic
//! data. Not for the live path (the writer keeps the rollups of what it stores).

use std::path::Path;

use rusqlite::{OptionalExtension, params};

use crate::shared::{connect, db_path};
use crate::{Rollup, StoreError, schema};

/// Write `rollups` (point id, minute) into the store of `data_dir` in one transaction, without
/// syncing to disk; a minute already stored for the point is replaced. Every point must be
/// known to the store (registered by [`crate::StoreWriter::start`]). Returns the rows written.
pub fn import_rollups<'a>(data_dir: &Path, rollups: impl IntoIterator<Item = (&'a str, Rollup)>) -> Result<u64, StoreError> {
    let path = db_path(data_dir);
    let sql = |source| StoreError::Sqlite { path: path.clone(), source };
    let mut conn = connect(data_dir)?;
    schema::create(&conn).map_err(sql)?;
    conn.pragma_update(None, "synchronous", "OFF").map_err(sql)?;
    let tx = conn.transaction().map_err(sql)?;
    let mut rows = 0_u64;
    {
        let mut key_of = tx.prepare("SELECT id FROM points WHERE name = ?1").map_err(sql)?;
        let mut insert = tx
            .prepare(
                "INSERT OR REPLACE INTO rollup_1m(point, minute_ms, min, max, sum, good_count, count) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .map_err(sql)?;
        let mut last: Option<(&str, i64)> = None;
        for (point, r) in rollups {
            let key = match last {
                Some((p, k)) if p == point => k,
                _ => {
                    let k: i64 = key_of
                        .query_row([point], |row| row.get(0))
                        .optional()
                        .map_err(sql)?
                        .ok_or_else(|| StoreError::UnknownPoint(point.to_string()))?;
                    last = Some((point, k));
                    k
                }
            };
            let sum = r.mean.map_or(0.0, |m| m * r.good_count as f64);
            insert.execute(params![key, r.minute_ms, r.min, r.max, sum, r.good_count, r.count]).map_err(sql)?;
            rows += 1;
        }
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
        let meta = [PointMeta { id: "t.level".into(), unit: "l".into(), system: "reservkraft".into() }];
        StoreWriter::start(dir.path(), &meta, &StoreSettings::default()).expect("start").finish();
        let r = Rollup { minute_ms: 60_000, min: Some(2.0), max: Some(2.0), mean: Some(2.0), good_count: 6, count: 6 };
        assert_eq!(import_rollups(dir.path(), [("t.level", r.clone())]).expect("import"), 1);
        let s = Store::open_read_only(dir.path()).expect("open");
        assert_eq!(s.rollups("t.level", 0, i64::MAX).expect("rollups"), [r]);
        assert_eq!(s.good_ms("t.level", 0, 120_000).expect("good"), 60_000);
        assert!(matches!(import_rollups(dir.path(), [("nope", Rollup { minute_ms: 0, min: None, max: None, mean: None, good_count: 0, count: 1 })]), Err(StoreError::UnknownPoint(_))));
    }
}
