//! Chunks: committed readings regrouped for reading back. A *group* is the set of points one
//! device cycle reads at one instant (a Modbus request's registers, a BACnet read); its time
//! is kept once per cycle and each point is a column. The [`Builder`] collects groups in
//! memory as commits arrive; a flush seals them into one byte run in a chunk file, with a
//! directory (group → where, which times) kept in SQLite.

use std::collections::HashMap;

use driftvakt_domain::{Quality, Value};

use crate::codec::{Bytes, Column, Dec, get_times, put_ivarint, put_times, put_uvarint};
use crate::log::LogReading;

/// One group's cycles in memory.
#[derive(Debug, Default, Clone)]
pub struct GroupBuf {
    /// Point keys, one per column.
    pub keys: Box<[u32]>,
    /// Time of each cycle, UTC ms.
    pub times: Vec<i64>,
    /// One column per key.
    pub cols: Vec<Column>,
}

/// Readings of one flush, grouped, in memory.
#[derive(Debug, Default)]
pub struct Builder {
    index: HashMap<Box<[u32]>, usize>,
    groups: Vec<GroupBuf>,
    readings: u64,
    /// Sequence numbers held: first and last.
    seqs: Option<(u64, u64)>,
    /// Oldest and newest reading time.
    span: Option<(i64, i64)>,
    scratch: Vec<u32>,
}

impl Builder {
    /// Readings held.
    pub fn len(&self) -> u64 {
        self.readings
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.readings == 0
    }

    /// First and last sequence number held.
    pub fn seqs(&self) -> Option<(u64, u64)> {
        self.seqs
    }

    /// Oldest and newest reading time held, UTC ms.
    pub fn span(&self) -> Option<(i64, i64)> {
        self.span
    }

    /// The groups held.
    pub fn groups(&self) -> &[GroupBuf] {
        &self.groups
    }

    /// Forget everything held.
    pub fn clear(&mut self) {
        *self = Builder::default();
    }

    /// Take the readings of one commit, numbered from `first_seq`.
    pub fn add<B: AsRef<[LogReading]>>(&mut self, first_seq: u64, batches: &[B]) {
        let n: u64 = batches.iter().map(|b| b.as_ref().len() as u64).sum();
        if n == 0 {
            return;
        }
        let last = first_seq + n - 1;
        self.seqs = Some(self.seqs.map_or((first_seq, last), |(f, _)| (f, last)));
        self.readings += n;
        for b in batches {
            let b = b.as_ref();
            let mut start = 0;
            while start < b.len() {
                let t = b[start].time_ms;
                let end = b[start..]
                    .iter()
                    .position(|r| r.time_ms != t)
                    .map_or(b.len(), |p| start + p);
                self.add_run(t, &b[start..end]);
                start = end;
            }
        }
    }

    fn add_run(&mut self, t: i64, run: &[LogReading]) {
        self.span = Some(self.span.map_or((t, t), |(a, b)| (a.min(t), b.max(t))));
        self.scratch.clear();
        self.scratch.extend(run.iter().map(|r| r.key));
        let gi = match self.index.get(self.scratch.as_slice()) {
            Some(&i) => i,
            None => {
                let keys: Box<[u32]> = self.scratch.as_slice().into();
                self.groups.push(GroupBuf {
                    keys: keys.clone(),
                    times: Vec::new(),
                    cols: vec![Column::default(); keys.len()],
                });
                self.index.insert(keys, self.groups.len() - 1);
                self.groups.len() - 1
            }
        };
        let g = &mut self.groups[gi];
        g.times.push(t);
        for (col, r) in g.cols.iter_mut().zip(run) {
            col.push(r.value.as_ref(), r.quality);
        }
    }

    /// Readings of `key` with `from_ms <= time < to_ms`, appended to `out`, group by group.
    pub fn readings_of(&self, key: u32, from_ms: i64, to_ms: i64, out: &mut Vec<Sample>) {
        for g in &self.groups {
            for (ci, k) in g.keys.iter().enumerate() {
                if *k == key {
                    column_samples(&g.times, &g.cols[ci], from_ms, to_ms, out);
                }
            }
        }
    }

    /// Seal every group into bytes: one [`Entry`] per group (offsets relative to the start).
    pub fn seal(&self) -> (Vec<u8>, Vec<Entry>) {
        let mut out = Vec::new();
        let mut entries = Vec::with_capacity(self.groups.len());
        for g in &self.groups {
            let off = out.len() as u64;
            encode_group(g, &mut out);
            let (min_t, max_t) = g
                .times
                .iter()
                .fold((i64::MAX, i64::MIN), |(a, b), t| (a.min(*t), b.max(*t)));
            entries.push(Entry {
                group: 0,
                min_t,
                max_t,
                off,
                len: out.len() as u64 - off,
            });
        }
        (out, entries)
    }
}

/// One reading read back: time, value, quality.
pub type Sample = (i64, Option<Value>, Quality);

fn column_samples(times: &[i64], col: &Column, from_ms: i64, to_ms: i64, out: &mut Vec<Sample>) {
    let mut text = 0;
    for (i, t) in times.iter().enumerate() {
        // Texts are numbered in order: walk every reading so the index stays right.
        if *t >= from_ms && *t < to_ms {
            let (v, q) = col.get(i, &mut text);
            out.push((*t, v, q));
        } else if col.tags.get(i).is_some_and(|tag| tag >> 4 == 3) {
            text += 1;
        }
    }
}

/// Where one group's cycles of one flush are, and which times they span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// The group's id in the store (0 until assigned).
    pub group: i64,
    /// Oldest cycle time, UTC ms.
    pub min_t: i64,
    /// Newest cycle time, UTC ms.
    pub max_t: i64,
    /// Offset of its bytes from the flush's start in the chunk file.
    pub off: u64,
    /// Length of its bytes.
    pub len: u64,
}

/// Encode a flush's directory.
pub fn encode_dir(entries: &[Entry]) -> Vec<u8> {
    let mut out = Vec::with_capacity(entries.len() * 12);
    put_uvarint(&mut out, entries.len() as u64);
    for e in entries {
        put_ivarint(&mut out, e.group);
        put_ivarint(&mut out, e.min_t);
        put_ivarint(&mut out, e.max_t.wrapping_sub(e.min_t));
        put_uvarint(&mut out, e.off);
        put_uvarint(&mut out, e.len);
    }
    out
}

/// Inverse of [`encode_dir`].
pub fn decode_dir(bytes: &[u8]) -> Dec<Vec<Entry>> {
    let mut b = Bytes::new(bytes);
    let n = b.len(bytes.len())?;
    (0..n)
        .map(|_| {
            let group = b.ivarint()?;
            let min_t = b.ivarint()?;
            let max_t = min_t.wrapping_add(b.ivarint()?);
            Ok(Entry {
                group,
                min_t,
                max_t,
                off: b.uvarint()?,
                len: b.uvarint()?,
            })
        })
        .collect()
}

/// A group's bytes: times, then the length of every column, then the columns.
fn encode_group(g: &GroupBuf, out: &mut Vec<u8>) {
    put_times(out, &g.times);
    let cols: Vec<Vec<u8>> = g
        .cols
        .iter()
        .map(|c| {
            let mut v = Vec::new();
            c.encode(&mut v);
            v
        })
        .collect();
    put_uvarint(out, cols.len() as u64);
    for c in &cols {
        put_uvarint(out, c.len() as u64);
    }
    for c in cols {
        out.extend_from_slice(&c);
    }
}

/// The cycle times and one column of a group's bytes.
pub fn decode_column(bytes: &[u8], col: usize) -> Dec<(Vec<i64>, Column)> {
    let mut b = Bytes::new(bytes);
    let times = get_times(&mut b, bytes.len().saturating_mul(8) + 1)?;
    let ncols = b.len(bytes.len())?;
    let mut skip = 0usize;
    let mut len = 0usize;
    for i in 0..ncols {
        let l = b.len(bytes.len())?;
        if i < col {
            skip = skip.checked_add(l).ok_or(crate::codec::Corrupt)?;
        } else if i == col {
            len = l;
        }
    }
    if col >= ncols {
        return Err(crate::codec::Corrupt);
    }
    b.take(skip)?;
    let mut cb = Bytes::new(b.take(len)?);
    let column = Column::decode(&mut cb, times.len())?;
    if column.count() != times.len() {
        return Err(crate::codec::Corrupt);
    }
    Ok((times, column))
}

/// The cycle times and every column of a group's bytes (a sink reading a flush in order).
pub fn decode_group(bytes: &[u8]) -> Dec<(Vec<i64>, Vec<Column>)> {
    let mut b = Bytes::new(bytes);
    let times = get_times(&mut b, bytes.len().saturating_mul(8) + 1)?;
    let ncols = b.len(bytes.len())?;
    let lens = (0..ncols)
        .map(|_| b.len(bytes.len()))
        .collect::<Dec<Vec<usize>>>()?;
    let mut cols = Vec::with_capacity(ncols);
    for len in lens {
        let mut cb = Bytes::new(b.take(len)?);
        let column = Column::decode(&mut cb, times.len())?;
        if column.count() != times.len() {
            return Err(crate::codec::Corrupt);
        }
        cols.push(column);
    }
    Ok((times, cols))
}

/// The number of cycles in a group's bytes, from their first bytes only (skipping a group).
pub fn group_cycles(head: &[u8]) -> Dec<u64> {
    Bytes::new(head).uvarint()
}

/// Readings of one column of a group's bytes in `[from_ms, to_ms)`.
pub fn samples(
    bytes: &[u8],
    col: usize,
    from_ms: i64,
    to_ms: i64,
    out: &mut Vec<Sample>,
) -> Dec<()> {
    let (times, column) = decode_column(bytes, col)?;
    column_samples(&times, &column, from_ms, to_ms, out);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(key: u32, t: i64, v: f64) -> LogReading {
        LogReading {
            key,
            time_ms: t,
            value: Some(Value::Number(v)),
            quality: Quality::Good,
        }
    }

    #[test]
    fn cycles_of_a_device_share_their_time_and_read_back_per_point() {
        let mut b = Builder::default();
        for cycle in 0..50i64 {
            let t = 1_000_000 + cycle * 1000 + cycle % 3;
            let batch: Vec<LogReading> = (0..100)
                .map(|k| r(k, t, f64::from(k) + (cycle % 2) as f64))
                .collect();
            let derived = vec![r(500, t + 7, 1.5)];
            b.add(1 + cycle as u64 * 101, &[batch, derived]);
        }
        assert_eq!(
            (b.len(), b.seqs(), b.groups().len()),
            (5050, Some((1, 5050)), 2)
        );
        let (bytes, entries) = b.seal();
        assert!(
            bytes.len() < 5050 / 2,
            "{} bytes for 5050 readings",
            bytes.len()
        );
        let dir = decode_dir(&encode_dir(&entries)).expect("dir");
        assert_eq!(dir, entries);
        let e = dir[0];
        let mut out = Vec::new();
        samples(
            &bytes[e.off as usize..(e.off + e.len) as usize],
            42,
            0,
            i64::MAX,
            &mut out,
        )
        .expect("decode");
        assert_eq!(out.len(), 50);
        assert_eq!(
            out[1],
            (1_001_001, Some(Value::Number(43.0)), Quality::Good)
        );
        let mut live = Vec::new();
        b.readings_of(42, 1_001_000, 1_002_000, &mut live);
        assert_eq!(live, vec![out[1].clone()]);
    }
}
