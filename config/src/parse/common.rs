//! What every part of the parser shares: the hand walk over the spanned TOML tree (small typed
//! getters that report a diagnostic and carry on, so that one run finds every problem), ids and
//! their duplicates, references to things defined elsewhere, systems, string lists, secrets and
//! the wording of lists in messages. Each is written here once.

use std::collections::HashMap;
use std::ops::{Range, RangeInclusive};
use std::time::Duration;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::diagnostic::{Diagnostic, Severity};
use crate::model::{Secret, System};
use crate::parse::secret::parse_secret;
use crate::position::LineIndex;
use crate::suggest::suggest;

/// Byte range in the source.
pub(crate) type Span = Range<usize>;
/// A spanned TOML value.
pub(crate) type Val<'i> = Spanned<DeValue<'i>>;

/// A value together with where it was written.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct At<T> {
    /// The value.
    pub value: T,
    /// Where it was written.
    pub span: Span,
}

/// A TOML table being read: its entries, where it starts, and what it is (for messages).
#[derive(Clone)]
pub(crate) struct Section<'a, 'i> {
    /// The entries.
    pub table: &'a DeTable<'i>,
    /// Its header (`[[devices]]`) or inline table; missing keys are reported here.
    pub span: Span,
    /// Context for messages, e.g. `device g1`.
    pub context: String,
}

/// Collects diagnostics while the tree is walked.
pub(crate) struct Walker<'s> {
    file: String,
    index: LineIndex<'s>,
    diags: Vec<Diagnostic>,
}

impl<'s> Walker<'s> {
    /// A walker over `source`, named `file` in diagnostics.
    pub(crate) fn new(source: &'s str, file: &str) -> Self {
        Self {
            file: file.to_string(),
            index: LineIndex::new(source),
            diags: Vec::new(),
        }
    }

    /// 1-based line and column of the start of `span`.
    pub(crate) fn line_col(&self, span: &Span) -> (usize, usize) {
        self.index.line_col(span.start)
    }

    /// Report a diagnostic at `span`.
    pub(crate) fn report(
        &mut self,
        severity: Severity,
        span: &Span,
        context: &str,
        message: String,
    ) {
        let (line, column) = self.index.line_col(span.start);
        self.diags.push(Diagnostic {
            severity,
            file: self.file.clone(),
            line,
            column,
            context: context.to_string(),
            message,
        });
    }

    /// Report an error at `span`.
    pub(crate) fn error(&mut self, span: &Span, context: &str, message: impl Into<String>) {
        self.report(Severity::Error, span, context, message.into());
    }

    /// Report a warning at `span`.
    pub(crate) fn warning(&mut self, span: &Span, context: &str, message: impl Into<String>) {
        self.report(Severity::Warning, span, context, message.into());
    }

    /// Whether any error was reported so far.
    pub(crate) fn has_errors(&self) -> bool {
        self.diags.iter().any(Diagnostic::is_error)
    }

    /// All diagnostics sorted by position, duplicates (same place, severity and message, as
    /// template points produce once per instance) removed.
    pub(crate) fn finish(mut self) -> Vec<Diagnostic> {
        self.diags.sort_by_key(|d| (d.line, d.column));
        let mut out: Vec<Diagnostic> = Vec::with_capacity(self.diags.len());
        for d in self.diags {
            let dup = out.iter().any(|o| {
                o.line == d.line
                    && o.column == d.column
                    && o.severity == d.severity
                    && o.message == d.message
            });
            if !dup {
                out.push(d);
            }
        }
        out
    }

    /// Report every key of `s` that is not in `allowed`.
    pub(crate) fn expect_keys(&mut self, s: &Section<'_, '_>, allowed: &[&str]) {
        for key in s.table.keys() {
            let name: &str = key.get_ref();
            if allowed.contains(&name) {
                continue;
            }
            let expected = list(allowed);
            let hint = suggest(name, allowed)
                .map(|k| format!(" (did you mean `{k}`?)"))
                .unwrap_or_default();
            self.error(
                &key.span(),
                &s.context,
                format!("unknown key `{name}`{hint}; expected one of {expected}"),
            );
        }
    }

    /// The value of `key`, or an error at the table if it is missing.
    pub(crate) fn required<'a, 'i>(
        &mut self,
        s: &Section<'a, 'i>,
        key: &str,
    ) -> Option<&'a Val<'i>> {
        let v = s.table.get(key);
        if v.is_none() {
            self.error(&s.span, &s.context, format!("missing required key `{key}`"));
        }
        v
    }

    fn wrong_type(&mut self, s: &Section<'_, '_>, key: &str, v: &Val<'_>, expected: &str) {
        self.error(
            &v.span(),
            &s.context,
            format!(
                "`{key}` must be {expected}, found {}",
                describe(v.get_ref())
            ),
        );
    }

    fn string_of(
        &mut self,
        s: &Section<'_, '_>,
        key: &str,
        v: Option<&Val<'_>>,
    ) -> Option<At<String>> {
        let v = v?;
        match v.get_ref() {
            DeValue::String(text) => Some(At {
                value: text.to_string(),
                span: v.span(),
            }),
            _ => {
                self.wrong_type(s, key, v, "a string");
                None
            }
        }
    }

    /// Optional string.
    pub(crate) fn get_str(&mut self, s: &Section<'_, '_>, key: &str) -> Option<At<String>> {
        self.string_of(s, key, s.table.get(key))
    }

    /// Required string (an empty string counts as missing a value and is reported).
    pub(crate) fn req_str(&mut self, s: &Section<'_, '_>, key: &str) -> Option<At<String>> {
        let v = self.required(s, key);
        let at = self.string_of(s, key, v)?;
        if at.value.trim().is_empty() {
            self.error(&at.span, &s.context, format!("`{key}` must not be empty"));
            return None;
        }
        Some(at)
    }

    fn int_of(
        &mut self,
        s: &Section<'_, '_>,
        key: &str,
        v: Option<&Val<'_>>,
        range: RangeInclusive<i128>,
    ) -> Option<At<i128>> {
        let v = v?;
        let Some(n) = integer(v.get_ref()) else {
            self.wrong_type(s, key, v, "an integer");
            return None;
        };
        if !range.contains(&n) {
            self.error(
                &v.span(),
                &s.context,
                format!(
                    "`{key}` must be in {}..={}, found {n}",
                    range.start(),
                    range.end()
                ),
            );
            return None;
        }
        Some(At {
            value: n,
            span: v.span(),
        })
    }

    /// Optional integer in `range`.
    pub(crate) fn get_int(
        &mut self,
        s: &Section<'_, '_>,
        key: &str,
        range: RangeInclusive<i128>,
    ) -> Option<At<i128>> {
        self.int_of(s, key, s.table.get(key), range)
    }

    /// Required integer in `range`.
    pub(crate) fn req_int(
        &mut self,
        s: &Section<'_, '_>,
        key: &str,
        range: RangeInclusive<i128>,
    ) -> Option<At<i128>> {
        let v = self.required(s, key);
        self.int_of(s, key, v, range)
    }

    /// Optional `u16` in `range`, `default` if absent or wrong (the error is reported).
    pub(crate) fn u16_or(
        &mut self,
        s: &Section<'_, '_>,
        key: &str,
        range: RangeInclusive<u16>,
        default: u16,
    ) -> u16 {
        let range = i128::from(*range.start())..=i128::from(*range.end());
        self.get_int(s, key, range)
            .and_then(|a| u16::try_from(a.value).ok())
            .unwrap_or(default)
    }

    /// Optional `u32` in `range`, `default` if absent or wrong (the error is reported).
    pub(crate) fn u32_or(
        &mut self,
        s: &Section<'_, '_>,
        key: &str,
        range: RangeInclusive<u32>,
        default: u32,
    ) -> u32 {
        let range = i128::from(*range.start())..=i128::from(*range.end());
        self.get_int(s, key, range)
            .and_then(|a| u32::try_from(a.value).ok())
            .unwrap_or(default)
    }

    /// Optional duration in milliseconds (`key` ends in `_ms`); zero is an error unless
    /// `allow_zero`.
    pub(crate) fn get_ms(
        &mut self,
        s: &Section<'_, '_>,
        key: &str,
        allow_zero: bool,
    ) -> Option<At<Duration>> {
        let min = if allow_zero { 0 } else { 1 };
        // One day is far beyond any sensible poll interval or timeout; it also keeps u64 safe.
        let at = self.get_int(s, key, min..=86_400_000)?;
        let ms = u64::try_from(at.value).ok()?;
        Some(At {
            value: Duration::from_millis(ms),
            span: at.span,
        })
    }

    /// Optional boolean.
    pub(crate) fn get_bool(&mut self, s: &Section<'_, '_>, key: &str) -> Option<At<bool>> {
        let v = s.table.get(key)?;
        match v.get_ref() {
            DeValue::Boolean(b) => Some(At {
                value: *b,
                span: v.span(),
            }),
            _ => {
                self.wrong_type(s, key, v, "true or false");
                None
            }
        }
    }

    /// Optional finite number (integers accepted).
    pub(crate) fn get_f64(&mut self, s: &Section<'_, '_>, key: &str) -> Option<At<f64>> {
        let v = s.table.get(key)?;
        let n = match v.get_ref() {
            DeValue::Float(f) => f.as_str().parse::<f64>().ok(),
            DeValue::Integer(_) => integer(v.get_ref()).map(|i| i as f64),
            _ => {
                self.wrong_type(s, key, v, "a number");
                return None;
            }
        };
        match n {
            Some(n) if n.is_finite() => Some(At {
                value: n,
                span: v.span(),
            }),
            _ => {
                self.error(
                    &v.span(),
                    &s.context,
                    format!("`{key}` must be a finite number"),
                );
                None
            }
        }
    }

    /// Optional list of non-empty strings (`["a", "b"]`); empty if absent, wrong items reported.
    pub(crate) fn get_strings(&mut self, s: &Section<'_, '_>, key: &str) -> Vec<String> {
        let Some(v) = s.table.get(key) else {
            return Vec::new();
        };
        let one = |w: &mut Walker<'_>, item: &Val<'_>| match item.get_ref() {
            DeValue::String(t) if !t.trim().is_empty() => Some(t.to_string()),
            other => {
                w.error(
                    &item.span(),
                    &s.context,
                    format!("`{key}` lists non-empty strings, found {}", describe(other)),
                );
                None
            }
        };
        match v.get_ref() {
            DeValue::Array(items) => items.iter().filter_map(|i| one(self, i)).collect(),
            _ => {
                self.error(
                    &v.span(),
                    &s.context,
                    format!("`{key}` must be a list of strings, e.g. [\"a\", \"b\"]"),
                );
                Vec::new()
            }
        }
    }

    /// Optional secret reference (`{ env = "VAR" }` or `{ file = "/path" }`); a malformed one
    /// is reported.
    pub(crate) fn get_secret(&mut self, s: &Section<'_, '_>, key: &str) -> Option<Secret> {
        let v = s.table.get(key)?;
        match parse_secret(v.get_ref()) {
            Ok(secret) => Some(secret),
            Err(e) => {
                self.error(&v.span(), &s.context, format!("`{key}`: {e}"));
                None
            }
        }
    }

    /// Optional `system = "..."` of a point, device, template, rule or reserve.
    pub(crate) fn get_system(&mut self, s: &Section<'_, '_>) -> Option<System> {
        let at = self.get_str(s, "system")?;
        let sys = System::from_key(&at.value);
        if sys.is_none() {
            let all: Vec<&str> = System::ALL.iter().map(|s| s.key()).collect();
            self.error(
                &at.span,
                &s.context,
                format!(
                    "unknown system `{}`; expected one of {}",
                    at.value,
                    list(&all)
                ),
            );
        }
        sys
    }

    /// Report `id`, the id of a `kind` (e.g. `point`), unless it is made of `chars` only; the
    /// id is kept either way (later checks still refer to it).
    pub(crate) fn check_id(&mut self, ctx: &str, kind: &str, id: &At<String>, chars: IdChars) {
        if !chars.allows(&id.value) {
            self.error(
                &id.span,
                ctx,
                format!(
                    "{kind} id `{}` may only contain {}",
                    id.value,
                    chars.describe()
                ),
            );
        }
    }

    /// Optional sub-table (`[connections.workarounds]` or an inline table).
    pub(crate) fn get_table<'a, 'i>(
        &mut self,
        s: &Section<'a, 'i>,
        key: &str,
        context: String,
    ) -> Option<Section<'a, 'i>> {
        let v = s.table.get(key)?;
        match v.get_ref() {
            DeValue::Table(t) => Some(Section {
                table: t,
                span: v.span(),
                context,
            }),
            _ => {
                self.wrong_type(s, key, v, "a table");
                None
            }
        }
    }

    /// Optional array of tables (`[[devices]]`); `name_of(i, table)` gives each one's context.
    pub(crate) fn get_tables<'a, 'i>(
        &mut self,
        s: &Section<'a, 'i>,
        key: &str,
        mut context_of: impl FnMut(usize, &DeTable<'i>) -> String,
    ) -> Vec<Section<'a, 'i>> {
        let Some(v) = s.table.get(key) else {
            return Vec::new();
        };
        let DeValue::Array(items) = v.get_ref() else {
            self.wrong_type(s, key, v, &format!("an array of tables (`[[...{key}]]`)"));
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            match item.get_ref() {
                DeValue::Table(t) => out.push(Section {
                    table: t,
                    span: item.span(),
                    context: context_of(i, t),
                }),
                _ => self.wrong_type(s, key, item, "a table in each element"),
            }
        }
        out
    }
}

/// Which characters an id may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IdChars {
    /// `[a-z0-9_]+`: points, devices, alarms, groups (they make up dotted point ids and topics).
    Plain,
    /// `[a-z0-9_-]+`: the site, connections, templates, BACnet networks, sinks.
    Ref,
}

impl IdChars {
    /// Whether `id` is not empty and made of these characters only.
    pub(crate) fn allows(self, id: &str) -> bool {
        !id.is_empty()
            && id.bytes().all(|b| {
                b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || (b == b'-' && self == IdChars::Ref)
            })
    }

    /// The allowed characters, for messages.
    fn describe(self) -> &'static str {
        match self {
            IdChars::Plain => "a-z, 0-9 and _",
            IdChars::Ref => "a-z, 0-9, _ and -",
        }
    }
}

/// Ids seen so far in one namespace; a repeat is reported with where the first one stands.
#[derive(Default)]
pub(crate) struct FirstSeen(HashMap<String, Span>);

impl FirstSeen {
    /// Claim `id` written at `span`; `false` (and an error naming the first place) if it was
    /// claimed before.
    pub(crate) fn claim(&mut self, w: &mut Walker<'_>, kind: &str, id: &str, span: &Span, ctx: &str) -> bool {
        if let Some(first) = self.0.get(id) {
            let msg = duplicate(kind, id, w, first);
            w.error(span, ctx, msg);
            return false;
        }
        self.0.insert(id.to_string(), span.clone());
        true
    }

    /// Where `id` was first claimed, if it was.
    pub(crate) fn first(&self, id: &str) -> Option<&Span> {
        self.0.get(id)
    }
}

/// "duplicate X id `y` (first defined at line N, column M)".
pub(crate) fn duplicate(kind: &str, id: &str, w: &Walker<'_>, first: &Span) -> String {
    let (line, column) = w.line_col(first);
    format!("duplicate {kind} id `{id}` (first defined at line {line}, column {column})")
}

/// "unknown template `x` (did you mean `y`?); defined templates: `a`, `b`".
pub(crate) fn unknown(kind: &str, name: &str, defined: &[&str]) -> String {
    let hint = suggest(name, defined)
        .map(|k| format!(" (did you mean `{k}`?)"))
        .unwrap_or_default();
    if defined.is_empty() {
        format!("unknown {kind} `{name}`; no {kind}s are defined")
    } else {
        format!(
            "unknown {kind} `{name}`{hint}; defined {kind}s: {}",
            list(defined)
        )
    }
}

/// `a`, `b`, `c` for messages.
pub(crate) fn list(items: &[&str]) -> String {
    items
        .iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The integer value, if `v` is an integer.
pub(crate) fn integer(v: &DeValue<'_>) -> Option<i128> {
    match v {
        DeValue::Integer(i) => i128::from_str_radix(i.as_str(), i.radix()).ok(),
        _ => None,
    }
}

/// Where `key` itself is written in `t`.
pub(crate) fn key_span(t: &DeTable<'_>, key: &str) -> Option<Span> {
    t.get_key_value(key).map(|(k, _)| k.span())
}

/// Context of the `i`th table of an array of tables, for [`Walker::get_tables`]: `{kind} {id}`
/// by its `id`, `{kind} #{i + 1}` without one (`device g1`, `connection #2`).
pub(crate) fn by_id(kind: &str) -> impl Fn(usize, &DeTable<'_>) -> String + '_ {
    move |i, t| match peek_str(t, "id") {
        Some(id) => format!("{kind} {id}"),
        None => format!("{kind} #{}", i + 1),
    }
}

/// The string value of `key` in `t` without reporting anything (for contexts).
pub(crate) fn peek_str<'a>(t: &'a DeTable<'_>, key: &str) -> Option<&'a str> {
    match t.get(key).map(|v| v.get_ref()) {
        Some(DeValue::String(s)) => Some(s.as_ref()),
        _ => None,
    }
}

/// A short description of a value for "found ..." messages.
pub(crate) fn describe(v: &DeValue<'_>) -> String {
    match v {
        DeValue::String(s) => format!("string \"{s}\""),
        DeValue::Integer(_) => format!(
            "integer {}",
            integer(v).map_or_else(String::new, |n| n.to_string())
        ),
        DeValue::Float(f) => format!("float {}", f.as_str()),
        DeValue::Boolean(b) => format!("boolean {b}"),
        DeValue::Datetime(_) => "a date-time".to_string(),
        DeValue::Array(_) => "an array".to_string(),
        DeValue::Table(_) => "a table".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_in_any_radix() {
        let v = DeValue::parse("0x7FFF").expect("valid TOML value");
        assert_eq!(integer(v.get_ref()), Some(0x7FFF));
        let v = DeValue::parse("1_000").expect("valid TOML value");
        assert_eq!(integer(v.get_ref()), Some(1000));
        let v = DeValue::parse("-5").expect("valid TOML value");
        assert_eq!(integer(v.get_ref()), Some(-5));
    }
}
