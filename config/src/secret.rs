//! Secrets (`{ env = "VAR" }` or `{ file = "/path" }`): never written inline in the config.

use std::path::PathBuf;

use toml::de::DeValue;

use crate::model::Secret;

/// Why a value is not a valid secret reference.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    /// A plain string: the secret itself written into the config.
    #[error(
        "secrets must not be written inline; use `{{ env = \"VAR\" }}` or `{{ file = \"/path\" }}`"
    )]
    Inline,
    /// Neither a table nor a string.
    #[error("a secret must be `{{ env = \"VAR\" }}` or `{{ file = \"/path\" }}`")]
    NotATable,
    /// The table has neither `env` nor `file`, or both, or other keys.
    #[error("a secret table must have exactly one key, `env` or `file`")]
    WrongKeys,
    /// `env` or `file` is not a non-empty string.
    #[error("`{0}` of a secret must be a non-empty string")]
    NotAString(&'static str),
}

/// Read a secret reference: `{ env = "VAR" }` or `{ file = "/path" }`. A plain string is an
/// error (the secret itself must not be in the config file).
pub fn parse_secret(value: &DeValue<'_>) -> Result<Secret, SecretError> {
    let table = match value {
        DeValue::Table(t) => t,
        DeValue::String(_) => return Err(SecretError::Inline),
        _ => return Err(SecretError::NotATable),
    };
    if table.len() != 1 {
        return Err(SecretError::WrongKeys);
    }
    let text = |key: &'static str| match table.get(key).map(|v| v.get_ref()) {
        Some(DeValue::String(s)) if !s.trim().is_empty() => Ok(s.to_string()),
        _ => Err(SecretError::NotAString(key)),
    };
    if table.contains_key("env") {
        Ok(Secret::Env(text("env")?))
    } else if table.contains_key("file") {
        Ok(Secret::File(PathBuf::from(text("file")?)))
    } else {
        Err(SecretError::WrongKeys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(src: &str) -> Result<Secret, SecretError> {
        let v = DeValue::parse(src).expect("test input is valid TOML");
        parse_secret(v.get_ref())
    }

    #[test]
    fn env_and_file_references() {
        assert_eq!(
            secret(r#"{ env = "SMTP_PASS" }"#),
            Ok(Secret::Env("SMTP_PASS".into()))
        );
        assert_eq!(
            secret(r#"{ file = "/etc/driftvakt/smtp.pass" }"#),
            Ok(Secret::File("/etc/driftvakt/smtp.pass".into()))
        );
    }

    #[test]
    fn inline_password_is_refused() {
        let err = secret(r#""hunter2""#).expect_err("inline refused");
        assert_eq!(err, SecretError::Inline);
        assert!(err.to_string().contains("must not be written inline"));
    }

    #[test]
    fn malformed_references_are_refused() {
        assert_eq!(secret("42"), Err(SecretError::NotATable));
        assert_eq!(secret("{}"), Err(SecretError::WrongKeys));
        assert_eq!(
            secret(r#"{ env = "A", file = "b" }"#),
            Err(SecretError::WrongKeys)
        );
        assert_eq!(secret(r#"{ envv = "A" }"#), Err(SecretError::WrongKeys));
        assert_eq!(
            secret(r#"{ env = 5 }"#),
            Err(SecretError::NotAString("env"))
        );
        assert_eq!(
            secret(r#"{ file = "" }"#),
            Err(SecretError::NotAString("file"))
        );
    }

    #[test]
    fn env_secret_resolves_from_environment() {
        // PATH is set in every test environment; resolving must read it, not invent it.
        let s = secret(r#"{ env = "PATH" }"#).expect("valid");
        assert_eq!(s.resolve().ok(), std::env::var("PATH").ok());
    }
}
