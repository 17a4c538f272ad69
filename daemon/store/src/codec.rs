//! Byte and bit coding shared by the log and the chunks: varints, zigzag, and the column
//! coder that keeps plant data small (times as delta-of-delta, numbers as decimal-scaled
//! integers bit-packed per block, qualities run-length coded).
//!
//! Every decoder takes untrusted bytes (a torn or corrupted file) and returns
//! [`Corrupt`] instead of panicking.

use driftvakt_domain::{Quality, Value};

/// Bytes that do not decode (torn write, corrupted file).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Corrupt;

/// Result of decoding.
pub type Dec<T> = Result<T, Corrupt>;

/// Append `v` as an unsigned LEB128 varint.
pub fn put_uvarint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Append `v` zigzag-coded as a varint.
pub fn put_ivarint(out: &mut Vec<u8>, v: i64) {
    put_uvarint(out, zigzag(v));
}

/// Map signed to unsigned so small magnitudes stay small.
pub fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

/// Inverse of [`zigzag`].
pub fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

/// A cursor over untrusted bytes.
pub struct Bytes<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Bytes<'a> {
    /// Read from the start of `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Bytes { buf, pos: 0 }
    }

    /// Whether every byte has been read.
    pub fn is_empty(&self) -> bool {
        self.pos >= self.buf.len()
    }

    /// One byte.
    pub fn u8(&mut self) -> Dec<u8> {
        let b = *self.buf.get(self.pos).ok_or(Corrupt)?;
        self.pos += 1;
        Ok(b)
    }

    /// `n` bytes.
    pub fn take(&mut self, n: usize) -> Dec<&'a [u8]> {
        let end = self.pos.checked_add(n).ok_or(Corrupt)?;
        let s = self.buf.get(self.pos..end).ok_or(Corrupt)?;
        self.pos = end;
        Ok(s)
    }

    /// An unsigned varint.
    pub fn uvarint(&mut self) -> Dec<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.u8()?;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(Corrupt)
    }

    /// A zigzag varint.
    pub fn ivarint(&mut self) -> Dec<i64> {
        self.uvarint().map(unzigzag)
    }

    /// A varint that must fit a `usize` no larger than `max`.
    pub fn len(&mut self, max: usize) -> Dec<usize> {
        let v = usize::try_from(self.uvarint()?).map_err(|_| Corrupt)?;
        if v > max { Err(Corrupt) } else { Ok(v) }
    }

    /// 8 bytes little-endian.
    pub fn u64le(&mut self) -> Dec<u64> {
        let s = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(s);
        Ok(u64::from_le_bytes(a))
    }
}

/// `v` as an exact integer, if it is one (and not -0.0).
pub fn as_int(v: f64) -> Option<i64> {
    if v.fract() != 0.0 || v.abs() >= 9.0e15 {
        return None;
    }
    let i = v as i64;
    ((i as f64).to_bits() == v.to_bits()).then_some(i)
}

/// Values per bit-packed block.
const BLOCK: usize = 128;

/// Append integers, per block of [`BLOCK`] the cheaper of two bit-packings: deltas from value
/// to value (slow signals), or offsets from the block's minimum (noise, delta-of-delta times).
/// A constant block costs two bytes.
pub fn put_ints(out: &mut Vec<u8>, vals: &[i64]) {
    let bits = |v: u64| 64 - v.leading_zeros();
    for block in vals.chunks(BLOCK) {
        let deltas: Vec<u64> = block
            .windows(2)
            .map(|w| zigzag(w[1].wrapping_sub(w[0])))
            .collect();
        let wd = deltas.iter().map(|d| bits(*d)).max().unwrap_or(0);
        let min = block.iter().copied().min().unwrap_or(0);
        let max = block.iter().copied().max().unwrap_or(0);
        let wf = bits(max.wrapping_sub(min) as u64);
        // Offsets pack one value more than deltas; take them when narrower overall.
        if (wf as usize) * block.len() < (wd as usize) * (block.len() - 1) {
            put_ivarint(out, min);
            out.push(0x80 | wf as u8);
            pack(out, block.iter().map(|v| v.wrapping_sub(min) as u64), wf);
        } else {
            put_ivarint(out, block[0]);
            out.push(wd as u8);
            pack(out, deltas.into_iter(), wd);
        }
    }
}

fn pack(out: &mut Vec<u8>, vals: impl Iterator<Item = u64>, width: u32) {
    let mut acc = 0u128;
    let mut bits = 0u32;
    for d in vals {
        acc |= u128::from(d) << bits;
        bits += width;
        while bits >= 8 {
            out.push(acc as u8);
            acc >>= 8;
            bits -= 8;
        }
    }
    if bits > 0 {
        out.push(acc as u8);
    }
}

fn unpack(b: &mut Bytes<'_>, n: usize, width: u32, mut each: impl FnMut(u64)) -> Dec<()> {
    let packed = b.take((n * width as usize).div_ceil(8))?;
    let mut bytes = packed.iter();
    let mask = if width == 64 {
        u64::MAX
    } else {
        (1u64 << width) - 1
    };
    let mut acc = 0u128;
    let mut have = 0u32;
    for _ in 0..n {
        while have < width {
            acc |= u128::from(*bytes.next().ok_or(Corrupt)?) << have;
            have += 8;
        }
        each((acc as u64) & mask);
        acc >>= width;
        have -= width;
    }
    Ok(())
}

/// Inverse of [`put_ints`] for `n` values.
pub fn get_ints(b: &mut Bytes<'_>, n: usize) -> Dec<Vec<i64>> {
    let mut vals = Vec::with_capacity(n);
    while vals.len() < n {
        let len = (n - vals.len()).min(BLOCK);
        let base = b.ivarint()?;
        let head = b.u8()?;
        let width = u32::from(head & 0x7f);
        if width > 64 {
            return Err(Corrupt);
        }
        if head & 0x80 != 0 {
            unpack(b, len, width, |d| vals.push(base.wrapping_add(d as i64)))?;
        } else {
            let mut v = base;
            vals.push(v);
            unpack(b, len - 1, width, |d| {
                v = v.wrapping_add(unzigzag(d));
                vals.push(v);
            })?;
        }
    }
    Ok(vals)
}

/// Times of a column: the first, the first step, then delta-of-delta bit-packed.
pub fn put_times(out: &mut Vec<u8>, times: &[i64]) {
    put_uvarint(out, times.len() as u64);
    if let Some(t0) = times.first() {
        put_ivarint(out, *t0);
    }
    if times.len() >= 2 {
        put_ivarint(out, times[1].wrapping_sub(times[0]));
        let dod: Vec<i64> = times
            .windows(3)
            .map(|w| {
                w[2].wrapping_sub(w[1])
                    .wrapping_sub(w[1].wrapping_sub(w[0]))
            })
            .collect();
        put_ints(out, &dod);
    }
}

/// Inverse of [`put_times`]; at most `max` times.
pub fn get_times(b: &mut Bytes<'_>, max: usize) -> Dec<Vec<i64>> {
    let n = b.len(max)?;
    let mut times = Vec::with_capacity(n);
    if n >= 1 {
        times.push(b.ivarint()?);
    }
    if n >= 2 {
        let mut delta = b.ivarint()?;
        let mut t = times[0].wrapping_add(delta);
        times.push(t);
        for dod in get_ints(b, n - 2)? {
            delta = delta.wrapping_add(dod);
            t = t.wrapping_add(delta);
            times.push(t);
        }
    }
    Ok(times)
}

/// One column of readings in memory, compactly: per reading a value slot (f64 bits, bool as
/// 0/1, index into `texts`) and a tag (kind and quality).
#[derive(Debug, Default, Clone)]
pub struct Column {
    /// Value bits per reading.
    pub bits: Vec<u64>,
    /// Kind (high nibble) and quality code (low nibble) per reading.
    pub tags: Vec<u8>,
    /// Texts of text readings, in order.
    pub texts: Vec<String>,
}

/// Kind of a reading's value (high nibble of a column tag).
const K_NONE: u8 = 0;
const K_NUM: u8 = 1;
const K_BOOL: u8 = 2;
const K_TEXT: u8 = 3;

impl Column {
    /// Number of readings.
    pub fn count(&self) -> usize {
        self.tags.len()
    }

    /// Append a reading's value and quality.
    pub fn push(&mut self, value: Option<&Value>, quality: Quality) {
        let (kind, bits) = match value {
            None => (K_NONE, 0),
            Some(Value::Number(v)) => (K_NUM, v.to_bits()),
            Some(Value::Bool(b)) => (K_BOOL, u64::from(*b)),
            Some(Value::Text(t)) => {
                self.texts.push(t.clone());
                (K_TEXT, 0)
            }
        };
        self.bits.push(bits);
        self.tags.push(kind << 4 | quality.code());
    }

    /// The `i`-th reading's value and quality (`texts_before`: text readings before it).
    pub fn get(&self, i: usize, text_index: &mut usize) -> (Option<Value>, Quality) {
        let tag = self.tags[i];
        let q = Quality::from_code(tag & 0x0f).unwrap_or(Quality::DeviceFault);
        let v = match tag >> 4 {
            K_NUM => Some(Value::Number(f64::from_bits(self.bits[i]))),
            K_BOOL => Some(Value::Bool(self.bits[i] != 0)),
            K_TEXT => {
                let t = self.texts.get(*text_index).cloned().unwrap_or_default();
                *text_index += 1;
                Some(Value::Text(t))
            }
            _ => None,
        };
        (v, q)
    }

    /// Encode: tags run-length coded, then the numbers (as decimal-scaled integers when they
    /// are, else raw bits), then the texts.
    pub fn encode(&self, out: &mut Vec<u8>) {
        put_uvarint(out, self.tags.len() as u64);
        // Tag runs.
        let mut runs: Vec<(u8, u64)> = Vec::new();
        for &t in &self.tags {
            match runs.last_mut() {
                Some((tag, n)) if *tag == t => *n += 1,
                _ => runs.push((t, 1)),
            }
        }
        put_uvarint(out, runs.len() as u64);
        for (t, n) in runs {
            out.push(t);
            put_uvarint(out, n);
        }
        // Values of numbers and bools, in order.
        let nums: Vec<u64> = self
            .tags
            .iter()
            .zip(&self.bits)
            .filter(|(t, _)| matches!(**t >> 4, K_NUM | K_BOOL))
            .map(|(_, b)| *b)
            .collect();
        put_numbers(out, &nums);
        for t in &self.texts {
            put_uvarint(out, t.len() as u64);
            out.extend_from_slice(t.as_bytes());
        }
    }

    /// Inverse of [`Column::encode`]; at most `max` readings.
    pub fn decode(b: &mut Bytes<'_>, max: usize) -> Dec<Column> {
        let n = b.len(max)?;
        let nruns = b.len(n)?;
        let mut tags = Vec::with_capacity(n);
        for _ in 0..nruns {
            let t = b.u8()?;
            if Quality::from_code(t & 0x0f).is_none() || t >> 4 > K_TEXT {
                return Err(Corrupt);
            }
            let run = b.len(n - tags.len())?;
            tags.extend(std::iter::repeat_n(t, run));
        }
        if tags.len() != n {
            return Err(Corrupt);
        }
        let nnum = tags
            .iter()
            .filter(|t| matches!(**t >> 4, K_NUM | K_BOOL))
            .count();
        let nums = get_numbers(b, nnum)?;
        let mut it = nums.into_iter();
        let mut bits = Vec::with_capacity(n);
        let mut texts = Vec::new();
        for t in &tags {
            match t >> 4 {
                K_NUM | K_BOOL => bits.push(it.next().ok_or(Corrupt)?),
                K_TEXT => {
                    let len = b.len(1 << 20)?;
                    let s = std::str::from_utf8(b.take(len)?).map_err(|_| Corrupt)?;
                    texts.push(s.to_string());
                    bits.push(0);
                }
                _ => bits.push(0),
            }
        }
        Ok(Column { bits, tags, texts })
    }
}

/// Numbers as f64 bits: if every one is an integer after scaling by 10^k (k ≤ 6, exactly
/// round-tripping), as bit-packed integers with k; else the raw bits, XOR-ed with the previous.
pub fn put_numbers(out: &mut Vec<u8>, bits: &[u64]) {
    for k in 0..=6u8 {
        let scale = 10f64.powi(i32::from(k));
        let ints: Option<Vec<i64>> = bits
            .iter()
            .map(|b| {
                let v = f64::from_bits(*b);
                let i = as_int((v * scale).round()).filter(|_| (v * scale).is_finite())?;
                ((i as f64 / scale).to_bits() == *b).then_some(i)
            })
            .collect();
        if let Some(ints) = ints {
            out.push(k);
            put_ints(out, &ints);
            return;
        }
    }
    out.push(0xff);
    let mut prev = 0u64;
    for b in bits {
        put_uvarint(out, (b ^ prev).swap_bytes());
        prev = *b;
    }
}

/// Inverse of [`put_numbers`] for `n` numbers.
pub fn get_numbers(b: &mut Bytes<'_>, n: usize) -> Dec<Vec<u64>> {
    let k = b.u8()?;
    if k == 0xff {
        let mut prev = 0u64;
        return (0..n)
            .map(|_| {
                prev ^= b.uvarint()?.swap_bytes();
                Ok(prev)
            })
            .collect();
    }
    if k > 6 {
        return Err(Corrupt);
    }
    let scale = 10f64.powi(i32::from(k));
    Ok(get_ints(b, n)?
        .into_iter()
        .map(|i| (i as f64 / scale).to_bits())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(col: &Column) -> (Column, usize) {
        let mut out = Vec::new();
        col.encode(&mut out);
        let back = Column::decode(&mut Bytes::new(&out), 1 << 20).expect("decode");
        (back, out.len())
    }

    #[test]
    fn varints_and_zigzag_round_trip_at_the_edges() {
        for v in [0i64, 1, -1, 63, -64, 1 << 40, i64::MIN, i64::MAX] {
            let mut out = Vec::new();
            put_ivarint(&mut out, v);
            assert_eq!(Bytes::new(&out).ivarint(), Ok(v));
        }
        assert_eq!(
            Bytes::new(&[0x80]).uvarint(),
            Err(Corrupt),
            "a torn varint is an error"
        );
    }

    #[test]
    fn times_with_jitter_round_trip_and_cost_about_a_byte() {
        let times: Vec<i64> = (0..1000)
            .map(|i| 1_764_000_000_000 + i * 1000 + (i * 7919 % 13))
            .collect();
        let mut out = Vec::new();
        put_times(&mut out, &times);
        assert_eq!(
            get_times(&mut Bytes::new(&out), 10_000).expect("decode"),
            times
        );
        assert!(
            out.len() < 1000,
            "{} bytes for 1000 jittered times",
            out.len()
        );
    }

    #[test]
    fn plant_like_columns_cost_well_under_a_byte_per_reading_and_round_trip_exactly() {
        let mut stat = Column::default();
        let mut noisy = Column::default();
        let mut scaled = Column::default();
        for i in 0..600u32 {
            stat.push(Some(&Value::Number(42.0)), Quality::Good);
            noisy.push(
                Some(&Value::Number(f64::from(
                    497 + (i.wrapping_mul(2654435761u32) >> 29) % 7,
                ))),
                Quality::Good,
            );
            scaled.push(
                Some(&Value::Number(f64::from(500 + i % 10) * 0.1)),
                Quality::Good,
            );
        }
        let (back, n) = roundtrip(&stat);
        assert_eq!(
            (back.bits, back.tags),
            (stat.bits.clone(), stat.tags.clone())
        );
        assert!(n < 20, "static: {n} bytes");
        let (back, n) = roundtrip(&noisy);
        assert_eq!(back.bits, noisy.bits);
        assert!(n < 400, "noise among 7 values: {n} bytes for 600");
        let (back, _) = roundtrip(&scaled);
        assert_eq!(
            back.bits, scaled.bits,
            "scaled values come back bit for bit"
        );
    }

    #[test]
    fn every_kind_and_quality_round_trips() {
        let mut c = Column::default();
        c.push(None, Quality::CommFail);
        c.push(Some(&Value::Bool(true)), Quality::Good);
        c.push(Some(&Value::Text("DSE 7320".into())), Quality::Good);
        c.push(Some(&Value::Number(f64::NAN)), Quality::Good);
        c.push(Some(&Value::Number(-0.0)), Quality::Overridden);
        c.push(Some(&Value::Number(1.0 / 3.0)), Quality::Good);
        let (back, _) = roundtrip(&c);
        assert_eq!(
            (back.bits, back.tags, back.texts),
            (c.bits, c.tags, c.texts)
        );
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let mut c = Column::default();
        for i in 0..300 {
            c.push(Some(&Value::Number(f64::from(i))), Quality::Good);
        }
        let mut out = Vec::new();
        c.encode(&mut out);
        for cut in 0..out.len() {
            let _ = Column::decode(&mut Bytes::new(&out[..cut]), 1 << 20);
        }
        let mut flipped = out.clone();
        for i in 0..flipped.len() {
            flipped[i] ^= 0x5a;
            let _ = Column::decode(&mut Bytes::new(&flipped), 1 << 20);
            flipped[i] ^= 0x5a;
        }
    }
}
