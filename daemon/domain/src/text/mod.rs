//! Every operator string, Swedish and English, in one place: one table per area, each entry
//! written once with its Swedish and its English text side by side. Terminal screens, alarm
//! texts, the journal, e-mails, reports and the web screen look their words up here.
//!
//! Sentences with values are whole templates per language with `{name}` holes filled by
//! [`fill`], never assembled from fragments, so a translation may reorder them. Numbers and
//! times inside them come from [`crate::fmt`]. A test checks that both languages of every
//! entry have the same holes.
//!
//! To add a string: add an entry to the area's table (`name: type = "svenska", "English";`)
//! and use `Table::of(lang).name` where it is shown.

use std::fmt::Display;

/// Defines a table of texts: a struct with one field per entry, its Swedish (`SV`) and English
/// (`EN`) values, `of(lang)` (`lang`: `driftvakt_config::model::Language`, the one language type) and `entries()` (for the check of holes).
macro_rules! texts {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[$fmeta:meta])* $field:ident : $ty:ty = $sv:expr , $en:expr ; )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug)]
        pub struct $name {
            $( $(#[$fmeta])* pub $field: $ty, )*
        }

        impl $name {
            /// Svenska.
            pub const SV: $name = $name { $( $field: $sv, )* };
            /// English.
            pub const EN: $name = $name { $( $field: $en, )* };

            /// The table of `lang`.
            pub fn of(lang: ::driftvakt_config::model::Language) -> &'static $name {
                match lang {
                    ::driftvakt_config::model::Language::Sv => &Self::SV,
                    ::driftvakt_config::model::Language::En => &Self::EN,
                }
            }

            /// Every entry with its texts in Swedish and in English.
            pub fn entries() -> Vec<$crate::text::EntryTexts> {
                vec![$( $crate::text::EntryTexts {
                    name: stringify!($field),
                    sv: $crate::text::Entry::texts(&Self::SV.$field),
                    en: $crate::text::Entry::texts(&Self::EN.$field),
                }, )*]
            }
        }
    };
}

pub mod alarm;
pub mod auth;
pub mod email;
pub mod exercise;
pub mod exercise_live;
pub mod journal;
pub mod report;
pub mod screen;
pub mod status;
pub mod trends;
pub mod value;
pub mod web;
pub mod web_exercises;

/// One entry of a table with its texts in both languages (for checks).
#[derive(Debug)]
pub struct EntryTexts {
    /// The entry's name (its field).
    pub name: &'static str,
    /// Its Swedish texts.
    pub sv: Vec<&'static str>,
    /// Its English texts, in the same order.
    pub en: Vec<&'static str>,
}

/// What a table entry holds: one text, a row of texts (column titles) or texts per key.
pub trait Entry {
    /// The texts of the entry (for a keyed entry, the texts without their keys).
    fn texts(&self) -> Vec<&'static str>;
}

impl Entry for &'static str {
    fn texts(&self) -> Vec<&'static str> {
        vec![self]
    }
}

impl<const N: usize> Entry for [&'static str; N] {
    fn texts(&self) -> Vec<&'static str> {
        self.to_vec()
    }
}

impl<const N: usize> Entry for [(&'static str, &'static str); N] {
    fn texts(&self) -> Vec<&'static str> {
        self.iter().map(|(_, t)| *t).collect()
    }
}

/// Fill the `{name}` holes of `template` with `values`, in one pass (a value is never read as
/// a template itself); a hole without a value stays as it is.
pub fn fill<V: Display>(template: &str, values: &[(&str, V)]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let value = after.find('}').and_then(|close| values.iter().find(|(k, _)| *k == &after[..close]).map(|(_, v)| (close, v)));
        match value {
            Some((close, v)) => {
                out.push_str(&v.to_string());
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The holes of a template, sorted (`{a} och {b}` → `[a, b]`).
pub fn holes(template: &str) -> Vec<&str> {
    let mut out: Vec<&str> = template.split('{').skip(1).filter_map(|p| p.split_once('}').map(|(h, _)| h)).collect();
    out.sort_unstable();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every table: its name and entries (the tables name this module's helpers, so the list
    /// lives with the check, not beside them).
    fn tables() -> Vec<(&'static str, Vec<EntryTexts>)> {
        vec![
            ("alarm", alarm::Alarms::entries()),
            ("auth", auth::Auth::entries()),
            ("email", email::Email::entries()),
            ("exercise", exercise::Exercise::entries()),
            ("exercise_live", exercise_live::ExerciseLive::entries()),
            ("journal", journal::Journal::entries()),
            ("report", report::Report::entries()),
            ("screen", screen::Screen::entries()),
            ("status", status::Status::entries()),
            ("web_exercises", web_exercises::WebExercises::entries()),
            ("trends", trends::Trends::entries()),
            ("value", value::Values::entries()),
            ("web", web::Web::entries()),
        ]
    }

    #[test]
    fn every_entry_has_the_same_holes_in_both_languages_and_no_empty_text() {
        let mut bad = Vec::new();
        for (table, entries) in tables() {
            for EntryTexts { name, sv, en } in entries {
                if sv.len() != en.len() {
                    bad.push(format!("{table}.{name}: {} Swedish texts, {} English", sv.len(), en.len()));
                    continue;
                }
                for (s, e) in sv.iter().zip(&en) {
                    if holes(s) != holes(e) {
                        bad.push(format!("{table}.{name}: {s:?} / {e:?}"));
                    }
                    if s.trim().is_empty() || e.trim().is_empty() {
                        bad.push(format!("{table}.{name}: empty text"));
                    }
                }
            }
        }
        assert!(bad.is_empty(), "{}", bad.join("\n"));
    }

    #[test]
    fn holes_are_filled_once_and_unknown_ones_stay() {
        assert_eq!(fill("{a} och {b}", &[("a", &1 as &dyn Display), ("b", &"två")]), "1 och två");
        assert_eq!(fill("{a} {b}", &[("a", "{b}"), ("b", "x")]), "{b} x");
        assert_eq!(fill("{x} {", &[("a", "1")]), "{x} {");
        assert_eq!(holes("{b} och {a}"), ["a", "b"]);
    }
}
