//! BACnet tag encoding (ASHRAE 135 clause 20.2): application and context tags, opening and
//! closing tags, and the primitive values driftvakt reads. A [`Reader`] never panics on bad
//! input: every short or malformed field is a [`DecodeError`] naming what was expected.

use crate::bacnet::types::ObjectId;

/// A frame or value could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed BACnet data: {0}")]
pub struct DecodeError(pub String);

impl DecodeError {
    /// An error with a message.
    pub fn new(msg: impl Into<String>) -> Self {
        Self(msg.into())
    }
}

/// Application tag numbers.
pub mod app {
    /// Null.
    pub const NULL: u8 = 0;
    /// Boolean.
    pub const BOOLEAN: u8 = 1;
    /// Unsigned integer.
    pub const UNSIGNED: u8 = 2;
    /// Signed integer.
    pub const SIGNED: u8 = 3;
    /// IEEE 754 single.
    pub const REAL: u8 = 4;
    /// IEEE 754 double.
    pub const DOUBLE: u8 = 5;
    /// Octet string.
    pub const OCTET_STRING: u8 = 6;
    /// Character string.
    pub const CHAR_STRING: u8 = 7;
    /// Bit string.
    pub const BIT_STRING: u8 = 8;
    /// Enumerated.
    pub const ENUMERATED: u8 = 9;
    /// Date.
    pub const DATE: u8 = 10;
    /// Time.
    pub const TIME: u8 = 11;
    /// Object identifier.
    pub const OBJECT_ID: u8 = 12;
}

/// An application-tagged primitive value.
#[derive(Debug, Clone, PartialEq)]
pub enum AppValue {
    /// Null (e.g. an empty priority slot).
    Null,
    /// Boolean.
    Bool(bool),
    /// Unsigned integer.
    Unsigned(u64),
    /// Signed integer.
    Signed(i64),
    /// Single-precision float.
    Real(f32),
    /// Double-precision float.
    Double(f64),
    /// Octet string.
    Octets(Vec<u8>),
    /// Character string (decoded to UTF-8; ISO 8859-1 is mapped, other sets are lossy).
    Text(String),
    /// Bit string: the bits in order (bit 0 first).
    Bits(Vec<bool>),
    /// Enumerated.
    Enumerated(u32),
    /// Date (year − 1900, month, day, weekday), raw.
    Date([u8; 4]),
    /// Time (hour, minute, second, hundredths), raw.
    Time([u8; 4]),
    /// Object identifier.
    ObjectId(ObjectId),
}

/// A tag as read from the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tag {
    /// Application tag with its content length (for booleans: the value).
    App {
        /// Tag number (see [`app`]).
        number: u8,
        /// Content length, or the value of a boolean.
        len: u32,
    },
    /// Context tag with its content length.
    Context {
        /// Tag number.
        number: u8,
        /// Content length.
        len: u32,
    },
    /// Opening tag of a constructed context value.
    Open(u8),
    /// Closing tag.
    Close(u8),
}

/// Builds an encoded byte sequence.
#[derive(Debug, Default, Clone)]
pub struct Writer {
    /// The bytes written so far.
    pub buf: Vec<u8>,
}

impl Writer {
    /// An empty writer.
    pub fn new() -> Self {
        Self::default()
    }

    /// The bytes written.
    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }

    fn tag(&mut self, number: u8, context: bool, len: u32) {
        let class = if context { 0x08 } else { 0x00 };
        let (first_num, ext_num) = if number <= 14 {
            (number << 4, None)
        } else {
            (0xF0, Some(number))
        };
        if len <= 4 {
            self.buf.push(first_num | class | len as u8);
            if let Some(n) = ext_num {
                self.buf.push(n);
            }
            return;
        }
        self.buf.push(first_num | class | 5);
        if let Some(n) = ext_num {
            self.buf.push(n);
        }
        if len <= 253 {
            self.buf.push(len as u8);
        } else if len <= 65_535 {
            self.buf.push(254);
            self.buf.extend_from_slice(&(len as u16).to_be_bytes());
        } else {
            self.buf.push(255);
            self.buf.extend_from_slice(&len.to_be_bytes());
        }
    }

    /// Opening tag `[number]`.
    pub fn open(&mut self, number: u8) {
        self.simple_marker(number, 6);
    }

    /// Closing tag `[number]`.
    pub fn close(&mut self, number: u8) {
        self.simple_marker(number, 7);
    }

    fn simple_marker(&mut self, number: u8, lvt: u8) {
        if number <= 14 {
            self.buf.push((number << 4) | 0x08 | lvt);
        } else {
            self.buf.push(0xF8 | lvt);
            self.buf.push(number);
        }
    }

    /// Minimal big-endian bytes of an unsigned value (at least one byte).
    fn unsigned_bytes(v: u64) -> Vec<u8> {
        let bytes = v.to_be_bytes();
        let skip = bytes.iter().take(7).take_while(|b| **b == 0).count();
        bytes[skip..].to_vec()
    }

    fn signed_bytes(v: i64) -> Vec<u8> {
        let bytes = v.to_be_bytes();
        let mut start = 0;
        while start < 7 {
            let (b, next) = (bytes[start], bytes[start + 1]);
            let redundant = (b == 0x00 && next & 0x80 == 0) || (b == 0xFF && next & 0x80 != 0);
            if !redundant {
                break;
            }
            start += 1;
        }
        bytes[start..].to_vec()
    }

    /// Context-tagged unsigned.
    pub fn ctx_unsigned(&mut self, number: u8, v: u64) {
        let b = Self::unsigned_bytes(v);
        self.tag(number, true, b.len() as u32);
        self.buf.extend_from_slice(&b);
    }

    /// Context-tagged enumerated.
    pub fn ctx_enumerated(&mut self, number: u8, v: u32) {
        self.ctx_unsigned(number, u64::from(v));
    }

    /// Context-tagged boolean (one content octet).
    pub fn ctx_bool(&mut self, number: u8, v: bool) {
        self.tag(number, true, 1);
        self.buf.push(u8::from(v));
    }

    /// Context-tagged object identifier.
    pub fn ctx_object_id(&mut self, number: u8, id: ObjectId) {
        self.tag(number, true, 4);
        self.buf.extend_from_slice(&id.raw().to_be_bytes());
    }

    /// An application-tagged value.
    pub fn app(&mut self, v: &AppValue) {
        match v {
            AppValue::Null => self.tag(app::NULL, false, 0),
            AppValue::Bool(b) => self.tag(app::BOOLEAN, false, u32::from(*b)),
            AppValue::Unsigned(u) => {
                let b = Self::unsigned_bytes(*u);
                self.tag(app::UNSIGNED, false, b.len() as u32);
                self.buf.extend_from_slice(&b);
            }
            AppValue::Signed(s) => {
                let b = Self::signed_bytes(*s);
                self.tag(app::SIGNED, false, b.len() as u32);
                self.buf.extend_from_slice(&b);
            }
            AppValue::Real(r) => {
                self.tag(app::REAL, false, 4);
                self.buf.extend_from_slice(&r.to_be_bytes());
            }
            AppValue::Double(d) => {
                self.tag(app::DOUBLE, false, 8);
                self.buf.extend_from_slice(&d.to_be_bytes());
            }
            AppValue::Octets(o) => {
                self.tag(app::OCTET_STRING, false, o.len() as u32);
                self.buf.extend_from_slice(o);
            }
            AppValue::Text(t) => {
                self.tag(app::CHAR_STRING, false, t.len() as u32 + 1);
                self.buf.push(0); // ANSI X3.4 / UTF-8
                self.buf.extend_from_slice(t.as_bytes());
            }
            AppValue::Bits(bits) => {
                let nbytes = bits.len().div_ceil(8);
                let unused = (nbytes * 8 - bits.len()) as u8;
                self.tag(app::BIT_STRING, false, nbytes as u32 + 1);
                self.buf.push(unused);
                let mut bytes = vec![0u8; nbytes];
                for (i, bit) in bits.iter().enumerate() {
                    if *bit {
                        bytes[i / 8] |= 0x80 >> (i % 8);
                    }
                }
                self.buf.extend_from_slice(&bytes);
            }
            AppValue::Enumerated(e) => {
                let b = Self::unsigned_bytes(u64::from(*e));
                self.tag(app::ENUMERATED, false, b.len() as u32);
                self.buf.extend_from_slice(&b);
            }
            AppValue::Date(d) => {
                self.tag(app::DATE, false, 4);
                self.buf.extend_from_slice(d);
            }
            AppValue::Time(t) => {
                self.tag(app::TIME, false, 4);
                self.buf.extend_from_slice(t);
            }
            AppValue::ObjectId(id) => {
                self.tag(app::OBJECT_ID, false, 4);
                self.buf.extend_from_slice(&id.raw().to_be_bytes());
            }
        }
    }
}

/// Reads tags and values from a byte slice.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    /// Whether everything was read.
    pub fn is_empty(&self) -> bool {
        self.pos >= self.buf.len()
    }

    /// The bytes not read yet.
    pub fn rest(&self) -> &'a [u8] {
        &self.buf[self.pos.min(self.buf.len())..]
    }

    /// One byte.
    pub fn u8(&mut self, what: &str) -> Result<u8, DecodeError> {
        let b = *self
            .buf
            .get(self.pos)
            .ok_or_else(|| DecodeError::new(format!("frame ends before {what}")))?;
        self.pos += 1;
        Ok(b)
    }

    /// `n` bytes.
    pub fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], DecodeError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|e| *e <= self.buf.len())
            .ok_or_else(|| {
                DecodeError::new(format!("frame ends inside {what} ({n} bytes expected)"))
            })?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    /// Big-endian u16.
    pub fn u16(&mut self, what: &str) -> Result<u16, DecodeError> {
        let b = self.take(2, what)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    /// The next tag without consuming it.
    pub fn peek_tag(&self) -> Result<Option<Tag>, DecodeError> {
        if self.is_empty() {
            return Ok(None);
        }
        let mut r = self.clone();
        r.tag().map(Some)
    }

    /// Read one tag header.
    pub fn tag(&mut self) -> Result<Tag, DecodeError> {
        let first = self.u8("a tag")?;
        let mut number = first >> 4;
        if number == 15 {
            number = self.u8("an extended tag number")?;
        }
        let context = first & 0x08 != 0;
        let lvt = first & 0x07;
        if context && lvt == 6 {
            return Ok(Tag::Open(number));
        }
        if context && lvt == 7 {
            return Ok(Tag::Close(number));
        }
        let len = if !context && number == app::BOOLEAN {
            u32::from(lvt)
        } else if lvt == 5 {
            match self.u8("an extended length")? {
                254 => u32::from(self.u16("a 16-bit length")?),
                255 => {
                    let b = self.take(4, "a 32-bit length")?;
                    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
                }
                n => u32::from(n),
            }
        } else {
            u32::from(lvt)
        };
        Ok(if context {
            Tag::Context { number, len }
        } else {
            Tag::App { number, len }
        })
    }

    fn unsigned_content(&mut self, len: u32, what: &str) -> Result<u64, DecodeError> {
        if len == 0 || len > 8 {
            return Err(DecodeError::new(format!("{what}: integer of {len} bytes")));
        }
        let b = self.take(len as usize, what)?;
        Ok(b.iter().fold(0u64, |acc, x| (acc << 8) | u64::from(*x)))
    }

    fn signed_content(&mut self, len: u32, what: &str) -> Result<i64, DecodeError> {
        let raw = self.unsigned_content(len, what)?;
        let bits = len * 8;
        Ok(if bits < 64 && raw & (1 << (bits - 1)) != 0 {
            (raw as i64) - (1i64 << bits)
        } else {
            raw as i64
        })
    }

    /// Expect context tag `number` and read an unsigned integer.
    pub fn ctx_unsigned(&mut self, number: u8, what: &str) -> Result<u64, DecodeError> {
        let len = self.expect_ctx(number, what)?;
        self.unsigned_content(len, what)
    }

    /// Optional context-tagged unsigned: read only if the next tag is context `number`.
    pub fn opt_ctx_unsigned(&mut self, number: u8, what: &str) -> Result<Option<u64>, DecodeError> {
        match self.peek_tag()? {
            Some(Tag::Context { number: n, .. }) if n == number => {
                self.ctx_unsigned(number, what).map(Some)
            }
            _ => Ok(None),
        }
    }

    /// Expect context tag `number` and read an enumerated value.
    pub fn ctx_enumerated(&mut self, number: u8, what: &str) -> Result<u32, DecodeError> {
        let v = self.ctx_unsigned(number, what)?;
        u32::try_from(v).map_err(|_| DecodeError::new(format!("{what}: enumeration {v} too large")))
    }

    /// Expect context tag `number` with a boolean (one octet).
    pub fn ctx_bool(&mut self, number: u8, what: &str) -> Result<bool, DecodeError> {
        let len = self.expect_ctx(number, what)?;
        if len != 1 {
            return Err(DecodeError::new(format!("{what}: boolean of {len} bytes")));
        }
        Ok(self.u8(what)? != 0)
    }

    /// Expect context tag `number` with an object identifier.
    pub fn ctx_object_id(&mut self, number: u8, what: &str) -> Result<ObjectId, DecodeError> {
        let len = self.expect_ctx(number, what)?;
        if len != 4 {
            return Err(DecodeError::new(format!(
                "{what}: object identifier of {len} bytes"
            )));
        }
        let b = self.take(4, what)?;
        Ok(ObjectId::from_raw(u32::from_be_bytes([
            b[0], b[1], b[2], b[3],
        ])))
    }

    fn expect_ctx(&mut self, number: u8, what: &str) -> Result<u32, DecodeError> {
        match self.tag()? {
            Tag::Context { number: n, len } if n == number => Ok(len),
            other => Err(DecodeError::new(format!(
                "{what}: expected context tag {number}, found {other:?}"
            ))),
        }
    }

    /// Expect opening tag `number`.
    pub fn open(&mut self, number: u8, what: &str) -> Result<(), DecodeError> {
        match self.tag()? {
            Tag::Open(n) if n == number => Ok(()),
            other => Err(DecodeError::new(format!(
                "{what}: expected opening tag {number}, found {other:?}"
            ))),
        }
    }

    /// Expect closing tag `number`.
    pub fn close(&mut self, number: u8, what: &str) -> Result<(), DecodeError> {
        match self.tag()? {
            Tag::Close(n) if n == number => Ok(()),
            other => Err(DecodeError::new(format!(
                "{what}: expected closing tag {number}, found {other:?}"
            ))),
        }
    }

    /// Whether the next tag is the opening tag `number`.
    pub fn at_open(&self, number: u8) -> bool {
        matches!(self.peek_tag(), Ok(Some(Tag::Open(n))) if n == number)
    }

    /// Whether the next tag is the closing tag `number`.
    pub fn at_close(&self, number: u8) -> bool {
        matches!(self.peek_tag(), Ok(Some(Tag::Close(n))) if n == number)
    }

    /// Read application-tagged values until the closing tag `number` (not consumed). Constructed
    /// values nested in context tags are skipped whole (driftvakt reads primitive properties).
    pub fn values_until_close(&mut self, number: u8) -> Result<Vec<AppValue>, DecodeError> {
        let mut out = Vec::new();
        loop {
            match self.peek_tag()? {
                None => {
                    return Err(DecodeError::new(format!(
                        "value list without closing tag {number}"
                    )));
                }
                Some(Tag::Close(n)) if n == number => return Ok(out),
                Some(Tag::App { .. }) => out.push(self.app()?),
                Some(_) => self.skip()?,
            }
        }
    }

    /// Skip one element: a primitive tag with its content, or a whole constructed value.
    pub fn skip(&mut self) -> Result<(), DecodeError> {
        match self.tag()? {
            Tag::App {
                number: app::BOOLEAN,
                ..
            } => Ok(()),
            Tag::App { len, .. } | Tag::Context { len, .. } => {
                self.take(len as usize, "a skipped value").map(|_| ())
            }
            Tag::Open(n) => {
                while !self.at_close(n) {
                    if self.is_empty() {
                        return Err(DecodeError::new(format!(
                            "constructed value without closing tag {n}"
                        )));
                    }
                    self.skip()?;
                }
                self.close(n, "a skipped constructed value")
            }
            Tag::Close(n) => Err(DecodeError::new(format!("unexpected closing tag {n}"))),
        }
    }

    /// One application-tagged value.
    pub fn app(&mut self) -> Result<AppValue, DecodeError> {
        let (number, len) = match self.tag()? {
            Tag::App { number, len } => (number, len),
            other => {
                return Err(DecodeError::new(format!(
                    "expected an application tag, found {other:?}"
                )));
            }
        };
        Ok(match number {
            app::NULL => AppValue::Null,
            app::BOOLEAN => AppValue::Bool(len != 0),
            app::UNSIGNED => AppValue::Unsigned(self.unsigned_content(len, "an unsigned value")?),
            app::SIGNED => AppValue::Signed(self.signed_content(len, "a signed value")?),
            app::REAL => {
                let b = self.take(4, "a real")?;
                if len != 4 {
                    return Err(DecodeError::new(format!("real of {len} bytes")));
                }
                AppValue::Real(f32::from_be_bytes([b[0], b[1], b[2], b[3]]))
            }
            app::DOUBLE => {
                if len != 8 {
                    return Err(DecodeError::new(format!("double of {len} bytes")));
                }
                let b = self.take(8, "a double")?;
                let mut a = [0u8; 8];
                a.copy_from_slice(b);
                AppValue::Double(f64::from_be_bytes(a))
            }
            app::OCTET_STRING => {
                AppValue::Octets(self.take(len as usize, "an octet string")?.to_vec())
            }
            app::CHAR_STRING => {
                let b = self.take(len as usize, "a character string")?;
                AppValue::Text(char_string(b))
            }
            app::BIT_STRING => {
                let b = self.take(len as usize, "a bit string")?;
                let Some((&unused, bytes)) = b.split_first() else {
                    return Err(DecodeError::new("empty bit string"));
                };
                let total = (bytes.len() * 8).saturating_sub(usize::from(unused.min(7)));
                AppValue::Bits(
                    (0..total)
                        .map(|i| bytes[i / 8] & (0x80 >> (i % 8)) != 0)
                        .collect(),
                )
            }
            app::ENUMERATED => {
                let v = self.unsigned_content(len, "an enumerated value")?;
                AppValue::Enumerated(
                    u32::try_from(v).map_err(|_| DecodeError::new("enumeration too large"))?,
                )
            }
            app::DATE | app::TIME | app::OBJECT_ID => {
                if len != 4 {
                    return Err(DecodeError::new(format!(
                        "application tag {number} of {len} bytes"
                    )));
                }
                let b = self.take(4, "a date, time or object id")?;
                let a = [b[0], b[1], b[2], b[3]];
                match number {
                    app::DATE => AppValue::Date(a),
                    app::TIME => AppValue::Time(a),
                    _ => AppValue::ObjectId(ObjectId::from_raw(u32::from_be_bytes(a))),
                }
            }
            other => {
                self.take(len as usize, "a reserved application tag")?;
                return Err(DecodeError::new(format!(
                    "reserved application tag {other}"
                )));
            }
        })
    }
}

/// Decode a BACnet character string (first octet = character set).
fn char_string(b: &[u8]) -> String {
    let Some((&set, text)) = b.split_first() else {
        return String::new();
    };
    match set {
        // ISO 8859-1: every byte is the code point.
        5 => text.iter().map(|&c| char::from(c)).collect(),
        // UCS-2 big-endian.
        4 => char::decode_utf16(
            text.chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]])),
        )
        .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect(),
        _ => String::from_utf8_lossy(text).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bacnet::types::ObjectType;

    fn roundtrip(v: AppValue) {
        let mut w = Writer::new();
        w.app(&v);
        let bytes = w.into_bytes();
        let mut r = Reader::new(&bytes);
        assert_eq!(r.app().expect("decodes"), v, "{bytes:02x?}");
        assert!(r.is_empty());
    }

    #[test]
    fn application_values_roundtrip() {
        for v in [
            AppValue::Null,
            AppValue::Bool(true),
            AppValue::Bool(false),
            AppValue::Unsigned(0),
            AppValue::Unsigned(300),
            AppValue::Unsigned(u64::from(u32::MAX) + 7),
            AppValue::Signed(-1),
            AppValue::Signed(-129),
            AppValue::Signed(127),
            AppValue::Signed(128),
            AppValue::Real(19.5),
            AppValue::Double(-2.25),
            AppValue::Text("Tilluft °C".into()),
            AppValue::Text("x".repeat(300)),
            AppValue::Bits(vec![false, true, false, true]),
            AppValue::Enumerated(62),
            AppValue::ObjectId(ObjectId::new(ObjectType::ANALOG_INPUT, 4_194_302)),
        ] {
            roundtrip(v);
        }
    }

    #[test]
    fn known_encodings_from_the_standard() {
        // Clause 20.2 examples: unsigned 72 = 0x21 0x48; real 72.0 = 0x44 42 90 00 00;
        // analog input 5 as context tag 0 = 0x0C 00 00 00 05.
        let mut w = Writer::new();
        w.app(&AppValue::Unsigned(72));
        w.app(&AppValue::Real(72.0));
        w.ctx_object_id(0, ObjectId::new(ObjectType::ANALOG_INPUT, 5));
        w.open(3);
        w.close(3);
        assert_eq!(
            w.into_bytes(),
            [
                0x21, 0x48, 0x44, 0x42, 0x90, 0x00, 0x00, 0x0C, 0x00, 0x00, 0x00, 0x05, 0x3E, 0x3F
            ]
        );
        // Status flags {fault}: bit string, 4 unused bits, 0b0100_0000.
        let mut r = Reader::new(&[0x82, 0x04, 0x40]);
        assert_eq!(
            r.app().expect("bits"),
            AppValue::Bits(vec![false, true, false, false])
        );
    }

    #[test]
    fn truncated_and_bad_input_is_an_error_not_a_panic() {
        for bytes in [
            &[0x44u8, 0x42][..],
            &[0x25],
            &[0x75, 0xFF],
            &[0x82],
            &[0xC4, 1, 2],
            &[0x0C, 0, 0],
            &[],
        ] {
            let mut r = Reader::new(bytes);
            assert!(r.app().is_err() || r.is_empty(), "{bytes:02x?}");
        }
        let mut r = Reader::new(&[0x3E, 0x44]);
        assert!(r.values_until_close(3).is_err(), "no closing tag");
    }

    #[test]
    fn skip_passes_over_constructed_values() {
        let mut w = Writer::new();
        w.open(2);
        w.ctx_unsigned(0, 5);
        w.open(1);
        w.app(&AppValue::Real(1.0));
        w.close(1);
        w.close(2);
        w.app(&AppValue::Unsigned(9));
        let bytes = w.into_bytes();
        let mut r = Reader::new(&bytes);
        r.skip().expect("skips");
        assert_eq!(r.app().expect("after"), AppValue::Unsigned(9));
    }
}
