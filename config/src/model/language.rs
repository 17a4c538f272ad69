//! The language of operator texts.

/// Language of operator texts: the one language type of every crate (configured per recipient
/// group, chosen with `--lang` on the command line). Defined here because the configuration
/// names it and every crate sees the model; the texts themselves are in `driftvakt_domain::text`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Language {
    /// Svenska.
    #[default]
    Sv,
    /// English.
    En,
}

impl Language {
    /// Every language, Swedish first.
    pub const ALL: [Language; 2] = [Language::Sv, Language::En];

    /// The code used in configuration, on the command line and in reports (`sv`, `en`).
    pub fn code(self) -> &'static str {
        match self {
            Language::Sv => "sv",
            Language::En => "en",
        }
    }

    /// The language of a code (`sv`, `en`).
    pub fn from_code(code: &str) -> Option<Language> {
        Language::ALL.into_iter().find(|l| l.code() == code)
    }
}
