//! The commit log: append-only segment files in `<data>/log/`, one record per commit (every
//! device-cycle batch taken since the last commit), each record framed with its length and a
//! CRC so a torn tail is found and cut. It is the store's durability (a reading is accepted
//! once its record is synced) and the sinks' durable queue (positions are reading sequence
//! numbers, in commit order).
//!
//! Record: `len u32 | crc32c u32 | payload`; payload: `first_seq, n_batches`, then per batch
//! `first_key, n, time (delta to the segment's previous batch time)`, a bitmap of the readings
//! that are good, of the next key, at the batch's time and unchanged (one bit each), and for the
//! others a head byte: below 0x80 a good reading whose integer value moved by up to ±63 (one
//! byte), else quality, value kind and flags (key or time differ from the run) and what they
//! need. Decoding a record needs the segment's records before it, so a segment is always read
//! from its start.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use driftvakt_domain::{Quality, Value};

use crate::codec::{Bytes, Corrupt, Dec, as_int, put_ivarint, put_uvarint};

/// First bytes of every segment file.
const MAGIC: &[u8; 8] = b"DVLOG02\n";
/// Largest record accepted when reading (a bigger length is corruption).
const MAX_RECORD: usize = 256 << 20;
/// CRC-32C (Castagnoli) of record payloads.
const CRC: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISCSI);

/// Value kinds in an extended head byte (bits 3–5).
const SAME: u8 = 0;
const INT_DELTA: u8 = 1;
const F64: u8 = 2;
const NONE: u8 = 3;
const FALSE: u8 = 4;
const TRUE: u8 = 5;
const TEXT: u8 = 6;
const INT: u8 = 7;
/// Head byte at or above this: extended (quality, kind, flags); below it: a good reading of the
/// next key at the batch's time whose integer value moved by the head's zigzag value.
const EXTENDED: u8 = 0x80;
/// Extended head bit: a flags byte follows.
const HAS_FLAGS: u8 = 0x40;
/// Flag: the point key is written (not the previous reading's key + 1).
const OWN_KEY: u8 = 0x01;
/// Flag: the reading's time differs from its batch's (the difference follows).
const OWN_TIME: u8 = 0x02;

/// One reading as the log carries it.
#[derive(Debug, Clone, PartialEq)]
pub struct LogReading {
    /// The point's key.
    pub key: u32,
    /// UTC ms.
    pub time_ms: i64,
    /// The value, if any.
    pub value: Option<Value>,
    /// Quality.
    pub quality: Quality,
}

/// The previous value of a point within a segment.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
enum Last {
    #[default]
    Unknown,
    None,
    Num(u64),
    Bool(bool),
}

/// Per-segment coding state (writer and reader keep the same).
#[derive(Default)]
struct State {
    last: Vec<Last>,
    prev_batch_time: i64,
}

impl State {
    fn last(&self, key: u32) -> Last {
        self.last.get(key as usize).copied().unwrap_or_default()
    }

    fn set(&mut self, key: u32, v: Last) {
        let i = key as usize;
        if i >= self.last.len() {
            self.last.resize(i + 1, Last::Unknown);
        }
        self.last[i] = v;
    }
}

/// Name of the segment whose first reading has sequence number `first_seq`.
pub fn segment_path(dir: &Path, first_seq: u64) -> PathBuf {
    dir.join(format!("{first_seq:020}.log"))
}

/// Segments of `dir` as (first sequence number, path), oldest first.
pub fn segments(dir: &Path) -> io::Result<Vec<(u64, PathBuf)>> {
    let mut out = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let path = entry?.path();
        let seq = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".log"))
            .and_then(|n| n.parse::<u64>().ok());
        if let Some(seq) = seq {
            out.push((seq, path));
        }
    }
    out.sort();
    Ok(out)
}

/// The segment being appended to.
pub struct SegmentWriter {
    file: File,
    path: PathBuf,
    /// Bytes of complete records (and the magic).
    len: u64,
    state: State,
    buf: Vec<u8>,
}

impl SegmentWriter {
    /// Create a new segment for readings from `first_seq` on.
    pub fn create(dir: &Path, first_seq: u64) -> io::Result<SegmentWriter> {
        std::fs::create_dir_all(dir)?;
        let path = segment_path(dir, first_seq);
        let mut file = OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .open(&path)?;
        file.write_all(MAGIC)?;
        file.sync_data()?;
        if let Ok(d) = File::open(dir) {
            // The new file's name must survive a power cut too.
            let _ = d.sync_all();
        }
        Ok(SegmentWriter {
            file,
            path,
            len: MAGIC.len() as u64,
            state: State::default(),
            buf: Vec::new(),
        })
    }

    /// Path of the segment.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes written.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Append one record holding `batches` (readings with their keys), numbered from
    /// `first_seq`, and sync it to disk. On error the file is cut back to its last complete
    /// record, but the coding state has moved on: the caller must start a new segment.
    pub fn append(&mut self, first_seq: u64, batches: &[&[LogReading]]) -> io::Result<()> {
        let mut payload = std::mem::take(&mut self.buf);
        payload.clear();
        encode(&mut self.state, &mut payload, first_seq, batches);
        let len = u32::try_from(payload.len())
            .map_err(|_| io::Error::other("commit record over 4 GiB"))?;
        let mut frame = Vec::with_capacity(payload.len() + 8);
        frame.extend_from_slice(&len.to_le_bytes());
        frame.extend_from_slice(&CRC.checksum(&payload).to_le_bytes());
        frame.extend_from_slice(&payload);
        self.buf = payload;
        let result = self
            .file
            .write_all(&frame)
            .and_then(|()| self.file.sync_data());
        match result {
            Ok(()) => {
                self.len += frame.len() as u64;
                Ok(())
            }
            Err(e) => {
                let _ = self.file.set_len(self.len);
                Err(e)
            }
        }
    }
}

fn encode(st: &mut State, out: &mut Vec<u8>, first_seq: u64, batches: &[&[LogReading]]) {
    put_uvarint(out, first_seq);
    put_uvarint(out, batches.len() as u64);
    for batch in batches {
        let Some(first) = batch.first() else {
            put_uvarint(out, 0);
            put_uvarint(out, 0);
            put_ivarint(out, 0);
            continue;
        };
        put_uvarint(out, u64::from(first.key));
        put_uvarint(out, batch.len() as u64);
        put_ivarint(out, first.time_ms.wrapping_sub(st.prev_batch_time));
        st.prev_batch_time = first.time_ms;
        // One bit per reading: set when it is good, of the next key, at the batch's time and
        // unchanged (a static point costs one bit).
        let map_at = out.len();
        out.resize(map_at + batch.len().div_ceil(8), 0);
        let mut next_key = first.key;
        for (i, r) in batch.iter().enumerate() {
            let last = st.last(r.key);
            let own_key = r.key != next_key;
            let own_time = r.time_ms != first.time_ms;
            let plain = r.quality == Quality::Good && !own_key && !own_time;
            let (kind, now) = match &r.value {
                None => (if last == Last::None { SAME } else { NONE }, Last::None),
                Some(Value::Bool(b)) => (if last == Last::Bool(*b) { SAME } else if *b { TRUE } else { FALSE }, Last::Bool(*b)),
                Some(Value::Text(_)) => (TEXT, Last::Unknown),
                Some(Value::Number(v)) => {
                    let bits = v.to_bits();
                    let kind = if last == Last::Num(bits) {
                        SAME
                    } else if as_int(*v).is_some() && matches!(last, Last::Num(p) if as_int(f64::from_bits(p)).is_some()) {
                        INT_DELTA
                    } else if as_int(*v).is_some() {
                        INT
                    } else {
                        F64
                    };
                    (kind, Last::Num(bits))
                }
            };
            st.set(r.key, now);
            next_key = r.key.wrapping_add(1);
            if plain && kind == SAME {
                out[map_at + i / 8] |= 1 << (i % 8);
                continue;
            }
            let delta = match (&r.value, last) {
                (Some(Value::Number(v)), Last::Num(p)) if kind == INT_DELTA => {
                    as_int(*v).unwrap_or(0).wrapping_sub(as_int(f64::from_bits(p)).unwrap_or(0))
                }
                _ => 0,
            };
            if plain && kind == INT_DELTA && (-64..64).contains(&delta) {
                out.push(crate::codec::zigzag(delta) as u8);
                continue;
            }
            let flags = (u8::from(own_key) * OWN_KEY) | (u8::from(own_time) * OWN_TIME);
            out.push(EXTENDED | (kind << 3) | r.quality.code() | if flags != 0 { HAS_FLAGS } else { 0 });
            if flags != 0 {
                out.push(flags);
            }
            if own_key {
                put_uvarint(out, u64::from(r.key));
            }
            if own_time {
                put_ivarint(out, r.time_ms.wrapping_sub(first.time_ms));
            }
            match (&r.value, kind) {
                (_, INT_DELTA) => put_ivarint(out, delta),
                (Some(Value::Number(v)), INT) => put_ivarint(out, as_int(*v).unwrap_or(0)),
                (Some(Value::Number(v)), F64) => out.extend_from_slice(&v.to_bits().to_le_bytes()),
                (Some(Value::Text(t)), _) => {
                    put_uvarint(out, t.len() as u64);
                    out.extend_from_slice(t.as_bytes());
                }
                _ => {}
            }
        }
    }
}

/// A decoded record: its first sequence number and its batches.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// Sequence number of its first reading.
    pub first_seq: u64,
    /// Its batches, in commit order.
    pub batches: Vec<Vec<LogReading>>,
}

impl Record {
    /// Number of readings.
    pub fn len(&self) -> u64 {
        self.batches.iter().map(|b| b.len() as u64).sum()
    }
}

fn decode(st: &mut State, payload: &[u8]) -> Dec<Record> {
    let mut b = Bytes::new(payload);
    let first_seq = b.uvarint()?;
    let nb = b.len(payload.len())?;
    let mut batches = Vec::with_capacity(nb);
    for _ in 0..nb {
        let first_key = u32::try_from(b.uvarint()?).map_err(|_| Corrupt)?;
        let n = b.len(payload.len().saturating_mul(8))?;
        let time = st.prev_batch_time.wrapping_add(b.ivarint()?);
        if n > 0 {
            st.prev_batch_time = time;
        }
        let map = b.take(n.div_ceil(8))?;
        let mut batch = Vec::with_capacity(n);
        let mut key = first_key;
        for i in 0..n {
            let last = st.last(key);
            let unchanged = |last: Last| -> Dec<Option<Value>> {
                match last {
                    Last::Unknown => Err(Corrupt),
                    Last::None => Ok(None),
                    Last::Num(bits) => Ok(Some(Value::Number(f64::from_bits(bits)))),
                    Last::Bool(v) => Ok(Some(Value::Bool(v))),
                }
            };
            let int_plus = |last: Last, d: i64| -> Dec<(Option<Value>, Last)> {
                let Last::Num(p) = last else { return Err(Corrupt) };
                let v = as_int(f64::from_bits(p)).ok_or(Corrupt)?.wrapping_add(d) as f64;
                Ok((Some(Value::Number(v)), Last::Num(v.to_bits())))
            };
            if map[i / 8] & (1 << (i % 8)) != 0 {
                batch.push(LogReading { key, time_ms: time, value: unchanged(last)?, quality: Quality::Good });
                key = key.wrapping_add(1);
                continue;
            }
            let head = b.u8()?;
            if head < EXTENDED {
                let (value, now) = if head == 0 { (unchanged(last)?, last) } else { int_plus(last, crate::codec::unzigzag(u64::from(head)))? };
                st.set(key, now);
                batch.push(LogReading { key, time_ms: time, value, quality: Quality::Good });
                key = key.wrapping_add(1);
                continue;
            }
            let quality = Quality::from_code(head & 0x07).ok_or(Corrupt)?;
            let flags = if head & HAS_FLAGS != 0 { b.u8()? } else { 0 };
            if flags & OWN_KEY != 0 {
                key = u32::try_from(b.uvarint()?).map_err(|_| Corrupt)?;
            }
            let time_ms = if flags & OWN_TIME != 0 { time.wrapping_add(b.ivarint()?) } else { time };
            let last = st.last(key);
            let (value, now) = match (head >> 3) & 0x07 {
                SAME => (unchanged(last)?, last),
                INT_DELTA => int_plus(last, b.ivarint()?)?,
                F64 => {
                    let bits = b.u64le()?;
                    (Some(Value::Number(f64::from_bits(bits))), Last::Num(bits))
                }
                NONE => (None, Last::None),
                FALSE => (Some(Value::Bool(false)), Last::Bool(false)),
                TRUE => (Some(Value::Bool(true)), Last::Bool(true)),
                TEXT => {
                    let len = b.len(1 << 20)?;
                    let s = std::str::from_utf8(b.take(len)?).map_err(|_| Corrupt)?;
                    (Some(Value::Text(s.to_string())), Last::Unknown)
                }
                _ => {
                    let v = b.ivarint()? as f64;
                    (Some(Value::Number(v)), Last::Num(v.to_bits()))
                }
            };
            st.set(key, now);
            batch.push(LogReading { key, time_ms, value, quality });
            key = key.wrapping_add(1);
        }
        batches.push(batch);
    }
    if !b.is_empty() {
        return Err(Corrupt);
    }
    Ok(Record { first_seq, batches })
}

/// How a segment's reading ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tail {
    /// Every byte belonged to a complete record.
    Clean,
    /// The bytes from this offset on are not a complete, intact record (a torn write, or
    /// a record still being written by a running daemon).
    Torn(u64),
}

/// Reads a segment's records in order.
pub struct SegmentReader {
    data: Vec<u8>,
    pos: usize,
    state: State,
}

impl SegmentReader {
    /// Read a segment file (its bytes at this moment).
    pub fn open(path: &Path) -> io::Result<SegmentReader> {
        let mut data = Vec::new();
        File::open(path)?.read_to_end(&mut data)?;
        if data.len() < MAGIC.len() || &data[..MAGIC.len()] != MAGIC {
            // An empty or foreign file: no records (a segment created just before a crash).
            data.clear();
            return Ok(SegmentReader {
                data,
                pos: 0,
                state: State::default(),
            });
        }
        Ok(SegmentReader {
            data,
            pos: MAGIC.len(),
            state: State::default(),
        })
    }

    /// Take the bytes appended to the file since it was read (a segment still being written).
    pub fn refresh(&mut self, path: &Path) -> io::Result<()> {
        use std::io::{Seek, SeekFrom};
        let mut f = File::open(path)?;
        if self.data.is_empty() {
            *self = SegmentReader::open(path)?;
            return Ok(());
        }
        f.seek(SeekFrom::Start(self.data.len() as u64))?;
        f.read_to_end(&mut self.data)?;
        Ok(())
    }

    /// The next record, or how the segment ends.
    pub fn next_record(&mut self) -> Result<Record, Tail> {
        let rest = &self.data[self.pos.min(self.data.len())..];
        if rest.is_empty() {
            return Err(Tail::Clean);
        }
        let torn = Tail::Torn(self.pos as u64);
        if rest.len() < 8 {
            return Err(torn);
        }
        let len = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
        let crc = u32::from_le_bytes([rest[4], rest[5], rest[6], rest[7]]);
        if len > MAX_RECORD || rest.len() < 8 + len {
            return Err(torn);
        }
        let payload = &rest[8..8 + len];
        if CRC.checksum(payload) != crc {
            return Err(torn);
        }
        let record = decode(&mut self.state, payload).map_err(|Corrupt| torn)?;
        self.pos += 8 + len;
        Ok(record)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(key: u32, t: i64, v: Option<Value>, q: Quality) -> LogReading {
        LogReading {
            key,
            time_ms: t,
            value: v,
            quality: q,
        }
    }

    fn num(v: f64) -> Option<Value> {
        Some(Value::Number(v))
    }

    #[test]
    fn records_round_trip_and_a_static_reading_costs_one_bit() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut w = SegmentWriter::create(dir.path(), 1).expect("create");
        let b1 = vec![
            r(3, 1000, num(5.0), Quality::Good),
            r(4, 1000, num(0.5), Quality::Good),
            r(9, 1003, None, Quality::CommFail),
        ];
        let b2 = vec![
            r(7, 1000, Some(Value::Text("x".into())), Quality::Good),
            r(8, 1000, Some(Value::Bool(true)), Quality::Good),
        ];
        w.append(1, &[&b1, &b2]).expect("append");
        let before = w.len();
        let statics: Vec<LogReading> = (0..100)
            .map(|k| r(100 + k, 2000, num(1000.0 + f64::from(k)), Quality::Good))
            .collect();
        w.append(6, &[&statics]).expect("append");
        let mid = w.len();
        let again: Vec<LogReading> = statics
            .iter()
            .map(|x| LogReading {
                time_ms: 3000,
                ..x.clone()
            })
            .collect();
        w.append(106, &[&again]).expect("append");
        assert!(
            w.len() - mid < 100 + 20,
            "100 unchanged readings took {} bytes",
            w.len() - mid
        );
        assert!(mid > before);

        let mut rd = SegmentReader::open(w.path()).expect("open");
        assert_eq!(
            rd.next_record(),
            Ok(Record {
                first_seq: 1,
                batches: vec![b1, b2]
            })
        );
        assert_eq!(rd.next_record().expect("2").batches, vec![statics]);
        assert_eq!(rd.next_record().expect("3").batches, vec![again]);
        assert_eq!(rd.next_record(), Err(Tail::Clean));
    }

    #[test]
    fn small_steps_cost_a_byte_and_every_other_change_round_trips() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut w = SegmentWriter::create(dir.path(), 1).expect("create");
        let base: Vec<LogReading> = (0..6).map(|k| r(k, 10, num(500.0), Quality::Good)).collect();
        w.append(1, &[&base]).expect("append");
        let before = w.len();
        let steps: Vec<LogReading> = [501.0, 437.0, 563.0, 5000.0, -3.0, 500.5].iter().enumerate().map(|(k, v)| r(k as u32, 20, num(*v), Quality::Good)).collect();
        w.append(7, &[&steps]).expect("append");
        assert!(w.len() - before < 8 + 3 + 10 + 8 + 12, "{} bytes", w.len() - before);
        let odd = vec![r(0, 30, num(501.0), Quality::Stale), r(9, 30, None, Quality::CommFail), r(3, 31, Some(Value::Bool(false)), Quality::Good), r(4, 30, num(f64::NAN), Quality::Good)];
        w.append(13, &[&odd, &[]]).expect("append");
        let mut rd = SegmentReader::open(w.path()).expect("open");
        assert_eq!(rd.next_record().expect("1").batches, vec![base]);
        assert_eq!(rd.next_record().expect("2").batches, vec![steps]);
        let back = rd.next_record().expect("3").batches;
        assert_eq!(back[0][..3], odd[..3]);
        assert!(matches!(back[0][3].value, Some(Value::Number(v)) if v.is_nan()));
        assert!(back[1].is_empty());
    }

    #[test]
    fn a_torn_tail_is_found_at_the_last_complete_record() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut w = SegmentWriter::create(dir.path(), 1).expect("create");
        let b: Vec<LogReading> = (0..10)
            .map(|k| r(k, 5, num(f64::from(k)), Quality::Good))
            .collect();
        w.append(1, &[&b]).expect("append");
        let good = w.len();
        w.append(11, &[&b]).expect("append");
        let path = w.path().to_path_buf();
        drop(w);
        let full = std::fs::read(&path).expect("read");
        for cut in good as usize..full.len() {
            std::fs::write(&path, &full[..cut]).expect("write");
            let mut rd = SegmentReader::open(&path).expect("open");
            assert!(rd.next_record().is_ok());
            assert_eq!(
                rd.next_record(),
                if cut == good as usize {
                    Err(Tail::Clean)
                } else {
                    Err(Tail::Torn(good))
                }
            );
        }
        let mut flipped = full.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        std::fs::write(&path, &flipped).expect("write");
        let mut rd = SegmentReader::open(&path).expect("open");
        assert!(rd.next_record().is_ok());
        assert_eq!(
            rd.next_record(),
            Err(Tail::Torn(good)),
            "a flipped bit fails the CRC"
        );
    }

    #[test]
    fn segments_are_listed_in_sequence_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        for s in [100u64, 7, 1_000_000] {
            SegmentWriter::create(dir.path(), s).expect("create");
        }
        std::fs::write(dir.path().join("notes.txt"), "x").expect("write");
        let seqs: Vec<u64> = segments(dir.path())
            .expect("list")
            .into_iter()
            .map(|(s, _)| s)
            .collect();
        assert_eq!(seqs, [7, 100, 1_000_000]);
    }
}
