//! The store as a sink's durable queue: the sink's saved [`Position`] ([`crate::sinkpos`]) and
//! the readings after it, read from the log or, older than the log, from the chunks.
//!
//! Positions are the readings' sequence numbers, handed out in commit order by the single
//! writer. Each flush (one `chunks` row) covers a range `first_seq..=last_seq`; log segments are
//! removed a whole flush at a time once flushed and delivered to every sink with a saved
//! position (or past the raw retention), and chunk rows once past the raw retention. So the
//! positions split cleanly at the *log start*: the first position of the oldest log segment
//! (or just after the flush holding it, should a segment have gone half-way through a flush).
//! - Before the log start, a flush's positions are served from its chunk, in directory order
//!   (see [`crate::backfill`]): a new sink with `backfill = true` gets the whole history.
//! - From the log start on, readings come from the log in commit order.
//!
//! A flush is thus read in one order only, whichever side a sink resumes on, and positions are
//! never delivered twice or skipped at the boundary (the log records of a flush still in the
//! log are not served from its chunk). A hole in the positions after a sink's own means
//! readings went (pruned) before the sink delivered them: they are counted, never skipped
//! silently.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, params};

use crate::backfill::{FlushCursor, FlushRow, GroupKeys, seq_param};
use crate::log::{SegmentReader, segments};
use crate::query::log_dir;
use crate::shared::db_path;
use crate::queued::{PointKey, QueuedReading};
use crate::sinkpos;
use crate::{PointMeta, Position, StoreError, schema};

/// Where a sink's reading of the log stands.
struct LogCursor {
    /// First sequence number of the segment being read.
    segment: u64,
    path: PathBuf,
    reader: SegmentReader,
    /// Decoded readings not handed out yet, in order.
    pending: VecDeque<QueuedReading>,
    /// Sequence number of the next reading this cursor yields.
    next: u64,
}

/// Where a sink's reading stands: in a flush's chunk or in the log.
enum Cursor {
    /// Before the log start.
    Chunk(FlushCursor),
    /// From the log start on.
    Log(LogCursor),
}

/// Store access of one sink.
pub struct SinkQueue {
    conn: Connection,
    data_dir: PathBuf,
    path: PathBuf,
    log: PathBuf,
    sink: String,
    cursor: Option<Cursor>,
    groups: GroupKeys,
}

impl SinkQueue {
    /// Open the store in `data_dir` (the writer has created it) for sink `sink`.
    pub fn open(data_dir: &Path, sink: &str) -> Result<SinkQueue, StoreError> {
        let path = db_path(data_dir);
        let sql = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let conn = Connection::open(&path).map_err(sql)?;
        conn.busy_timeout(Duration::from_secs(5)).map_err(sql)?;
        Ok(SinkQueue {
            conn,
            data_dir: data_dir.to_path_buf(),
            path,
            log: log_dir(data_dir),
            sink: sink.to_string(),
            cursor: None,
            groups: GroupKeys::default(),
        })
    }

    fn err(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    fn io(&self, source: std::io::Error) -> StoreError {
        StoreError::Io {
            path: self.log.clone(),
            source,
        }
    }

    /// The saved position, if this sink has delivered (or been placed) before.
    pub fn saved_position(&self) -> Result<Option<Position>, StoreError> {
        Ok(sinkpos::load(&self.data_dir, &self.conn, &self.sink)?.map(Position::nth))
    }

    /// Save the position (everything up to `position` is delivered or accounted for).
    pub fn save_position(&self, position: Position, now_ms: i64) -> Result<(), StoreError> {
        sinkpos::save(&self.data_dir, &self.sink, position.readings_since(Position::START), now_ms)
    }

    /// (the position just before the oldest reading still held, in a chunk or in the log; the
    /// newest one's); both [`Position::START`] when the store is empty.
    pub fn bounds(&self) -> Result<(Position, Position), StoreError> {
        let compacted = schema::meta(&self.conn, schema::COMPACTED_SEQ)
            .map_err(|e| self.err(e))?
            .unwrap_or(0)
            .max(0) as u64;
        let oldest_chunk: Option<i64> = self
            .conn
            .query_row("SELECT min(first_seq) FROM chunks", [], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        let segs = segments(&self.log).map_err(|e| self.io(e))?;
        let oldest = [
            oldest_chunk.map(|f| f.max(1) as u64),
            segs.first().map(|s| s.0),
        ]
        .into_iter()
        .flatten()
        .min();
        let Some(oldest) = oldest else {
            return Ok((Position::nth(compacted), Position::nth(compacted)));
        };
        let mut newest = compacted.max(oldest.saturating_sub(1));
        if let Some((last_first, path)) = segs.last() {
            newest = newest.max(last_first.saturating_sub(1));
            if let Ok(mut rd) = SegmentReader::open(path) {
                while let Ok(rec) = rd.next_record() {
                    newest = newest.max(rec.first_seq + rec.len() - 1);
                }
            }
        }
        Ok((
            Position::nth(oldest.saturating_sub(1)),
            Position::nth(newest),
        ))
    }

    /// The log start: positions from here on are read from the log, those before it from the
    /// chunks. The first position of the oldest segment, or just past the flush holding it if
    /// that flush starts before it; `u64::MAX` when the log is empty.
    fn log_start(&self) -> Result<u64, StoreError> {
        let segs = segments(&self.log).map_err(|e| self.io(e))?;
        let Some((first, _)) = segs.first() else {
            return Ok(u64::MAX);
        };
        let inside: Option<i64> = self
            .conn
            .query_row(
                "SELECT max(last_seq) FROM chunks WHERE first_seq < ?1 AND last_seq >= ?1",
                [seq_param(*first)],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))?;
        Ok(inside.map_or(*first, |l| l.max(0) as u64 + 1))
    }

    /// Readings held (in a chunk or in the log) after `after` up to and including `upto`.
    pub fn count_between(&self, after: Position, upto: Position) -> Result<u64, StoreError> {
        let a = after.readings_since(Position::START);
        let u = upto.readings_since(Position::START);
        if u <= a {
            return Ok(0);
        }
        let start = self.log_start()?;
        let mut n = 0;
        if a + 1 < start {
            let mut stmt = self
                .conn
                .prepare_cached(
                    "SELECT first_seq, last_seq, readings FROM chunks \
                     WHERE last_seq > ?1 AND first_seq <= ?2 AND first_seq < ?3",
                )
                .map_err(|e| self.err(e))?;
            let rows = stmt
                .query_map(params![seq_param(a), seq_param(u), seq_param(start)], |r| {
                    Ok((
                        r.get::<_, i64>(0)?.max(0) as u64,
                        r.get::<_, i64>(1)?.max(0) as u64,
                        r.get::<_, i64>(2)?.max(0) as u64,
                    ))
                })
                .map_err(|e| self.err(e))?;
            for row in rows {
                let (first, last, readings) = row.map_err(|e| self.err(e))?;
                if readings == 0 {
                    continue;
                }
                // Positions past a flush's count are empty.
                let lo = (a + 1).max(first);
                let hi = u
                    .min(last)
                    .min(first + readings - 1)
                    .min(start.saturating_sub(1));
                n += (hi + 1).saturating_sub(lo);
            }
        }
        if start != u64::MAX {
            n += (u + 1).saturating_sub((a + 1).max(start));
        }
        Ok(n)
    }

    /// The next at most `limit` readings after `after` up to and including `upto` (the newest
    /// commit the sink was told of), in position order: from the chunks before the log start,
    /// then from the log. Empty positions (pruned, or past a converted flush's count) are
    /// passed over.
    pub fn read(
        &mut self,
        after: Position,
        upto: Position,
        limit: usize,
    ) -> Result<Vec<QueuedReading>, StoreError> {
        let want = after.readings_since(Position::START) + 1;
        let upto = upto.readings_since(Position::START);
        let mut out = Vec::new();
        if want > upto || limit == 0 {
            return Ok(out);
        }
        match self.cursor.as_mut() {
            Some(Cursor::Log(c)) if c.next == want => {}
            Some(Cursor::Chunk(c)) if c.reaches(want) => {
                c.skip_to(want, &self.conn, &self.path, &mut self.groups)?;
            }
            _ => self.cursor = self.seek(want)?,
        }
        while out.len() < limit {
            match self.cursor.as_mut() {
                None => break,
                Some(Cursor::Chunk(c)) => {
                    if c.next_pos() > upto {
                        break;
                    }
                    if let Some(r) = c.next(&self.conn, &self.path, &mut self.groups)? {
                        out.push(r);
                        continue;
                    }
                    // The flush is read: on to the next one, or the log.
                    let next = c.last_seq() + 1;
                    if next > upto {
                        break;
                    }
                    self.cursor = self.seek(next)?;
                }
                Some(Cursor::Log(c)) => {
                    c.fill(&self.log, upto, limit, &mut out)?;
                    break;
                }
            }
        }
        Ok(out)
    }

    /// A cursor at position `want` (or the first held one after it, past a hole).
    fn seek(&mut self, want: u64) -> Result<Option<Cursor>, StoreError> {
        let start = self.log_start()?;
        if want < start
            && let Some(row) = FlushRow::at_or_after(&self.conn, &self.path, want, start)?
        {
            let mut c = FlushCursor::open(&self.data_dir, row)?;
            c.skip_to(want, &self.conn, &self.path, &mut self.groups)?;
            return Ok(Some(Cursor::Chunk(c)));
        }
        // With no log yet (`start` is MAX) the segment a commit opens meanwhile is found.
        self.seek_log(if start == u64::MAX {
            want
        } else {
            want.max(start)
        })
    }

    /// A log cursor at the segment holding `want` (or the first one after it, past a hole).
    fn seek_log(&self, want: u64) -> Result<Option<Cursor>, StoreError> {
        let segs = segments(&self.log).map_err(|e| self.io(e))?;
        let pick = segs
            .iter()
            .rev()
            .find(|(f, _)| *f <= want)
            .or_else(|| segs.first());
        let Some((first, path)) = pick.cloned() else {
            return Ok(None);
        };
        let reader = SegmentReader::open(&path).map_err(|source| StoreError::Io {
            path: path.clone(),
            source,
        })?;
        Ok(Some(Cursor::Log(LogCursor {
            segment: first,
            path,
            reader,
            pending: VecDeque::new(),
            next: want.max(first),
        })))
    }

    /// The id, unit and system of a point key; `None` if the store does not know it.
    pub fn point(&self, key: PointKey) -> Result<Option<PointMeta>, StoreError> {
        self.conn
            .query_row(
                "SELECT name, unit, system FROM points WHERE id = ?1",
                [key],
                |r| {
                    Ok(PointMeta {
                        id: r.get(0)?,
                        unit: r.get(1)?,
                        system: r.get(2)?,
                    })
                },
            )
            .optional()
            .map_err(|e| self.err(e))
    }
}

impl LogCursor {
    /// Append the log's readings up to `upto` to `out`, until it holds `limit`.
    fn fill(
        &mut self,
        log: &Path,
        upto: u64,
        limit: usize,
        out: &mut Vec<QueuedReading>,
    ) -> Result<(), StoreError> {
        let mut refreshed = false;
        while out.len() < limit {
            if let Some(r) = self.pending.front() {
                let seq = r.position.readings_since(Position::START);
                if seq > upto {
                    break;
                }
                if let Some(r) = self.pending.pop_front() {
                    self.next = seq + 1;
                    out.push(r);
                }
                continue;
            }
            match self.reader.next_record() {
                Ok(rec) => {
                    for (seq, r) in (rec.first_seq..).zip(rec.batches.into_iter().flatten()) {
                        if seq >= self.next {
                            self.pending.push_back(QueuedReading {
                                position: Position::nth(seq),
                                point: PointKey::from(r.key),
                                time_ms: r.time_ms,
                                value: r.value,
                                quality: r.quality,
                            });
                        }
                    }
                }
                Err(_) if !refreshed => {
                    // The segment may have grown since it was read.
                    refreshed = true;
                    let path = self.path.clone();
                    if let Err(e) = self.reader.refresh(&path)
                        && e.kind() != std::io::ErrorKind::NotFound
                    {
                        return Err(StoreError::Io { path, source: e });
                    }
                }
                Err(_) => {
                    // On to the next segment, if there is one.
                    let current = self.segment;
                    let next = segments(log)
                        .map_err(|source| StoreError::Io {
                            path: log.to_path_buf(),
                            source,
                        })?
                        .into_iter()
                        .find(|(f, _)| *f > current);
                    let Some((first, path)) = next else { break };
                    let reader = SegmentReader::open(&path).map_err(|source| StoreError::Io {
                        path: path.clone(),
                        source,
                    })?;
                    let next_seq = self.next.max(first);
                    *self = LogCursor {
                        segment: first,
                        path,
                        reader,
                        pending: VecDeque::new(),
                        next: next_seq,
                    };
                    refreshed = false;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::StoreWriter;
    use driftvakt_config::model::StoreSettings;
    use driftvakt_domain::{Quality, Reading, Value};
    use driftvakt_domain::clock::{Clock, SystemClock};
    use std::sync::Arc;

    fn reading(point: &str, t: i64, v: f64) -> Reading {
        Reading {
            point: Arc::from(point),
            time_ms: t,
            value: Some(Value::Number(v)),
            quality: Quality::Good,
        }
    }

    fn positions(rows: &[QueuedReading]) -> Vec<Position> {
        rows.iter().map(|r| r.position).collect()
    }

    #[test]
    fn reads_forward_in_commit_order_across_restarts() {
        let dir = tempfile::tempdir().expect("tempdir");
        let meta = [PointMeta {
            id: "g1.power".into(),
            unit: "kW".into(),
            system: "reservkraft".into(),
        }];
        let settings = StoreSettings {
            commit_interval_ms: 10,
            ..StoreSettings::default()
        };
        let t = SystemClock.now_ms();
        let mut q = SinkQueue::open_after_start(dir.path(), &meta, &settings, "s1");
        q.save_position(Position::START, t).expect("place");
        for run in 0..2 {
            let w = StoreWriter::start(dir.path(), &meta, &settings).expect("start");
            w.sender()
                .blocking_send(
                    (0..10)
                        .map(|i| reading("g1.power", t + run * 100 + i, i as f64))
                        .collect(),
                )
                .expect("send");
            w.finish();
        }
        assert_eq!(q.saved_position().expect("pos"), Some(Position::START));
        assert_eq!(
            q.bounds().expect("bounds"),
            (Position::nth(0), Position::nth(20)),
            "kept for the sink although flushed"
        );
        assert_eq!(
            q.read(Position::START, Position::nth(3), 100)
                .expect("read")
                .len(),
            3,
            "nothing beyond the newest commit the sink knows of"
        );
        let first = q.read(Position::START, Position::nth(20), 4).expect("read");
        assert_eq!(
            positions(&first),
            (1..=4).map(Position::nth).collect::<Vec<_>>()
        );
        assert_eq!(
            (first[0].time_ms, first[0].value.as_ref(), first[0].quality),
            (t, Some(&Value::Number(0.0)), Quality::Good)
        );
        let p = q.point(first[0].point).expect("point").expect("known");
        assert_eq!(
            (p.id.as_str(), p.unit.as_str(), p.system.as_str()),
            ("g1.power", "kW", "reservkraft")
        );
        assert_eq!(q.point(999).expect("point"), None);
        let rest = q
            .read(Position::nth(4), Position::nth(20), 100)
            .expect("read");
        assert_eq!(
            positions(&rest),
            (5..=20).map(Position::nth).collect::<Vec<_>>(),
            "across both runs' segments"
        );
        assert_eq!(rest[6].time_ms, t + 100, "the second run's first reading");
        assert_eq!(
            q.count_between(Position::nth(4), Position::nth(20))
                .expect("count"),
            16
        );
    }

    const POINTS: [&str; 4] = ["a.p", "a.q", "b.x", "b.y"];

    fn metas() -> Vec<PointMeta> {
        POINTS
            .iter()
            .map(|p| PointMeta {
                id: (*p).into(),
                unit: String::new(),
                system: "test".into(),
            })
            .collect()
    }

    fn fast() -> StoreSettings {
        StoreSettings {
            commit_interval_ms: 10,
            ..StoreSettings::default()
        }
    }

    /// `n` cycles of two devices, one batch each, interleaved in time: device a (a number and
    /// a text-or-number point), device b (a bool and a point sometimes without value).
    fn cycles(t0: i64, n: i64) -> Vec<Vec<Reading>> {
        let mut out = Vec::new();
        for i in 0..n {
            let t = t0 + i * 1000;
            let q = if i % 3 == 0 {
                Value::Text(format!("läge {i}"))
            } else {
                Value::Number(i as f64 * 0.5)
            };
            out.push(vec![
                reading("a.p", t, i as f64),
                Reading {
                    value: Some(q),
                    ..reading("a.q", t, 0.0)
                },
            ]);
            out.push(vec![
                Reading {
                    value: Some(Value::Bool(i % 2 == 0)),
                    ..reading("b.x", t + 500, 0.0)
                },
                if i % 4 == 0 {
                    Reading {
                        value: None,
                        quality: Quality::CommFail,
                        ..reading("b.y", t + 500, 0.0)
                    }
                } else {
                    reading("b.y", t + 500, -(i as f64))
                },
            ]);
        }
        out
    }

    /// One writer run storing `n` cycles (4n readings) from `t0`; flushed at its stop, or with
    /// `hard_stop` left in the log only (as after a kill). The readings in commit order.
    fn run(dir: &Path, settings: &StoreSettings, t0: i64, n: i64, hard_stop: bool) -> Vec<Reading> {
        let w = StoreWriter::start(dir, &metas(), settings).expect("start");
        let batches = cycles(t0, n);
        let total: usize = batches.iter().map(Vec::len).sum();
        let stats = w.stats();
        for b in &batches {
            w.sender().blocking_send(b.clone()).expect("send");
        }
        if hard_stop {
            let start = std::time::Instant::now();
            while stats
                .readings_written
                .load(std::sync::atomic::Ordering::Relaxed)
                < total as u64
            {
                assert!(start.elapsed() < Duration::from_secs(10), "commit");
                std::thread::sleep(Duration::from_millis(5));
            }
            w.stop_at(std::time::Instant::now());
        }
        w.finish();
        batches.into_iter().flatten().collect()
    }

    type Seen = (String, i64, Option<Value>, Quality);

    /// Read everything after `after` up to `upto`, `limit` at a time, checking that positions
    /// strictly increase.
    fn drain(
        q: &mut SinkQueue,
        after: Position,
        upto: Position,
        limit: usize,
    ) -> Vec<QueuedReading> {
        let mut out: Vec<QueuedReading> = Vec::new();
        let mut at = after;
        loop {
            let got = q.read(at, upto, limit).expect("read");
            let Some(last) = got.last() else { break };
            at = last.position;
            for r in got {
                assert!(
                    out.last()
                        .map_or(r.position > after, |p| r.position > p.position),
                    "positions strictly increase: {:?} after {:?}",
                    r.position,
                    out.last().map(|p| p.position)
                );
                out.push(r);
            }
        }
        out
    }

    fn seen(q: &SinkQueue, rows: &[QueuedReading]) -> Vec<Seen> {
        rows.iter()
            .map(|r| {
                let name = q.point(r.point).expect("point").expect("known").id;
                (name, r.time_ms, r.value.clone(), r.quality)
            })
            .collect()
    }

    fn sent(readings: &[Reading]) -> Vec<Seen> {
        readings
            .iter()
            .map(|r| (r.point.to_string(), r.time_ms, r.value.clone(), r.quality))
            .collect()
    }

    fn sorted(mut v: Vec<Seen>) -> Vec<Seen> {
        v.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
        v
    }

    #[test]
    fn a_new_sink_at_the_start_gets_every_flushed_and_logged_reading_exactly_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (d, s) = (dir.path(), fast());
        let t = SystemClock.now_ms() - 3_600_000;
        let mut all = run(d, &s, t, 30, false); // 1..=120: flushed, the log removed (no sinks)
        SinkQueue::open(d, "lag")
            .expect("open")
            .save_position(Position::nth(130), t)
            .expect("place");
        all.extend(run(d, &s, t + 100_000, 30, false)); // 121..=240: kept for "lag"
        all.extend(run(d, &s, t + 200_000, 30, true)); // 241..=360: log only
        all.extend(run(d, &s, t + 300_000, 30, false)); // one flush 241..=480, two segments
        all.extend(run(d, &s, t + 400_000, 30, true)); // 481..=600: log only

        let mut q = SinkQueue::open(d, "backfill").expect("open");
        assert_eq!(q.saved_position().expect("saved"), None);
        assert_eq!(
            q.bounds().expect("bounds"),
            (Position::START, Position::nth(600)),
            "the oldest flush is in chunks only and still offered"
        );
        q.save_position(Position::START, t).expect("place");
        let got = drain(&mut q, Position::START, Position::nth(600), 17);
        assert_eq!(
            positions(&got),
            (1..=600).map(Position::nth).collect::<Vec<_>>(),
            "every position once, none skipped"
        );
        assert_eq!(
            sorted(seen(&q, &got)),
            sorted(sent(&all)),
            "every reading once, with its value and quality"
        );
        let first_flush = seen(&q, &got[..120]);
        assert!(
            first_flush[..60].iter().all(|r| r.0.starts_with("a.")),
            "the chunk-only flush in directory order: device a's group first"
        );
        assert_eq!(
            sorted(first_flush),
            sorted(sent(&all[..120])),
            "the first flush's positions hold exactly its readings"
        );
        assert_eq!(
            seen(&q, &got[120..]),
            sent(&all[120..]),
            "from the log on, commit order"
        );
        assert_eq!(
            q.count_between(Position::START, Position::nth(600))
                .expect("count"),
            600
        );
        assert_eq!(
            q.count_between(Position::nth(100), Position::nth(300))
                .expect("count"),
            200
        );
    }

    #[test]
    fn a_sink_resuming_half_way_through_a_flush_goes_on_without_duplicates() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (d, s) = (dir.path(), fast());
        let t = SystemClock.now_ms() - 3_600_000;
        let mut all = run(d, &s, t, 30, false); // 1..=120: in chunks only
        all.extend(run(d, &s, t + 100_000, 30, true)); // 121..=240: log
        all.extend(run(d, &s, t + 200_000, 30, true)); // 241..=360: log
        // Sink "log" has delivered half-way into the log, in commit order.
        let mut lq = SinkQueue::open(d, "log").expect("open");
        lq.save_position(Position::nth(120), t).expect("place");
        let head = drain(&mut lq, Position::nth(120), Position::nth(250), 10);
        assert_eq!(seen(&lq, &head), sent(&all[120..250]));
        lq.save_position(Position::nth(250), t).expect("save");
        drop(lq);
        // A restart flushes 121..=480 as one chunk, from three segments; the segments up to
        // "log"'s position are in chunks and delivered, yet stay: the flush goes as a whole.
        all.extend(run(d, &s, t + 300_000, 30, false));
        let mut lq = SinkQueue::open(d, "log").expect("reopen");
        let rest = drain(&mut lq, Position::nth(250), Position::nth(480), 64);
        assert_eq!(
            seen(&lq, &rest),
            sent(&all[250..480]),
            "the rest of the flush in the order the sink began it"
        );
        lq.save_position(Position::nth(480), t).expect("save");

        // Sink "new" starts at the start and is restarted twice inside the chunk-only flush:
        // in the first group, and in the second one.
        let mut got = Vec::new();
        let mut at = Position::START;
        for take in [25, 45] {
            let mut q = SinkQueue::open(d, "new").expect("open");
            q.save_position(at, t).expect("save");
            let part = q.read(at, Position::nth(480), take).expect("read");
            assert_eq!(part.len(), take);
            at = part[take - 1].position;
            got.extend(part);
        }
        let mut q = SinkQueue::open(d, "new").expect("open");
        // A sink that used fewer readings than it read re-reads from its position.
        let ahead = q.read(at, Position::nth(480), 30).expect("read");
        let again = q.read(at, Position::nth(480), 5).expect("read again");
        assert_eq!(
            again[..],
            ahead[..5],
            "the same positions, the same readings"
        );
        got.extend(drain(&mut q, at, Position::nth(480), 33));
        assert_eq!(
            positions(&got),
            (1..=480).map(Position::nth).collect::<Vec<_>>()
        );
        assert_eq!(
            sorted(seen(&q, &got)),
            sorted(sent(&all)),
            "each reading once"
        );
        q.save_position(Position::nth(480), t).expect("save");

        // Once every sink is past it, the flush 121..=480 leaves the log: a sink starting
        // now reads it from its chunk, then the log.
        all.extend(run(d, &s, t + 400_000, 5, false));
        assert_eq!(
            crate::log::segments(&log_dir(d))
                .expect("log")
                .first()
                .map(|s| s.0),
            Some(481)
        );
        let mut q = SinkQueue::open(d, "late").expect("open");
        let got = drain(&mut q, Position::START, Position::nth(500), 100);
        assert_eq!(
            positions(&got),
            (1..=500).map(Position::nth).collect::<Vec<_>>()
        );
        assert_eq!(sorted(seen(&q, &got)), sorted(sent(&all)));
    }

    #[test]
    fn readings_pruned_by_raw_retention_are_a_hole_a_sink_sees() {
        let dir = tempfile::tempdir().expect("tempdir");
        let settings = StoreSettings {
            raw_retention_days: 1,
            ..fast()
        };
        let d = dir.path();
        let now = SystemClock.now_ms();
        run(d, &settings, now - 3 * 86_400_000, 30, false); // 1..=120, old
        let mut q = SinkQueue::open(d, "s").expect("open");
        q.save_position(Position::START, now).expect("place");
        assert_eq!(
            q.bounds().expect("bounds"),
            (Position::START, Position::nth(120))
        );
        let first = q
            .read(Position::START, Position::nth(120), 1)
            .expect("read");
        assert_eq!(positions(&first), vec![Position::nth(1)]);
        // The next start prunes the old flush (raw retention), then stores 121..=240.
        let recent = run(d, &settings, now - 60_000, 30, false);
        assert_eq!(
            q.bounds().expect("bounds"),
            (Position::nth(120), Position::nth(240)),
            "the oldest held reading moved up"
        );
        assert_eq!(
            q.count_between(Position::START, Position::nth(120))
                .expect("count"),
            0,
            "nothing held before it: a hole of 120 the sink counts"
        );
        // The sink restarts (a sink reading on reads a pruned flush it has begun to its end).
        let mut q = SinkQueue::open(d, "s").expect("reopen");
        let got = drain(&mut q, Position::nth(1), Position::nth(240), 50);
        assert_eq!(
            positions(&got),
            (121..=240).map(Position::nth).collect::<Vec<_>>()
        );
        assert_eq!(sorted(seen(&q, &got)), sorted(sent(&recent)));
    }

    #[test]
    fn a_damaged_chunk_file_is_named_and_a_removed_one_is_a_hole() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (d, s) = (dir.path(), fast());
        let t = SystemClock.now_ms() - 3_600_000;
        run(d, &s, t, 30, false);
        let tail = run(d, &s, t + 100_000, 30, true); // 121..=240: log
        let file = crate::query::chunk_path(d, 1);
        let len = std::fs::metadata(&file).expect("chunk file").len();
        std::fs::OpenOptions::new()
            .write(true)
            .open(&file)
            .and_then(|f| f.set_len(len / 2))
            .expect("cut");
        let mut q = SinkQueue::open(d, "s").expect("open");
        match q.read(Position::START, Position::nth(240), 500) {
            Err(StoreError::Corrupt { path, .. }) => assert_eq!(path, file),
            other => panic!("expected the damaged chunk file named, got {other:?}"),
        }
        std::fs::remove_file(&file).expect("remove");
        let mut q = SinkQueue::open(d, "s").expect("open");
        let got = drain(&mut q, Position::START, Position::nth(240), 500);
        assert_eq!(
            positions(&got),
            (121..=240).map(Position::nth).collect::<Vec<_>>(),
            "the flush whose file is gone is a hole"
        );
        assert_eq!(seen(&q, &got), sent(&tail));
    }

    impl SinkQueue {
        /// A queue on a store created (empty) first.
        fn open_after_start(
            dir: &Path,
            meta: &[PointMeta],
            settings: &StoreSettings,
            sink: &str,
        ) -> SinkQueue {
            StoreWriter::start(dir, meta, settings)
                .expect("create")
                .finish();
            SinkQueue::open(dir, sink).expect("open")
        }
    }
}
