//! Secret references as written in the configuration (`{ env = "VAR" }` or
//! `{ file = "/path" }`): never the secret itself.

use std::path::{Path, PathBuf};

use toml::de::DeValue;

use crate::secret::{Secret, SecretFileError, read_secret_file};

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
    /// The secret file cannot hold a secret (checked when it exists where `check` runs).
    #[error(transparent)]
    File(#[from] SecretFileError),
}

/// What `check` can tell about a secret file on this machine: nothing when it does not exist
/// or cannot be read here (the daemon may run elsewhere, as another user); otherwise the
/// errors [`read_secret_file`] would give the daemon.
fn check_secret_file(path: &Path) -> Result<(), SecretFileError> {
    match read_secret_file(path) {
        Err(SecretFileError::Unreadable(..)) | Ok(_) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Read a secret reference: `{ env = "VAR" }` or `{ file = "/path" }`. A plain string is an
/// error (the secret itself must not be in the config file), and so is a file that exists here
/// but cannot hold a secret (a device, a directory, too large, empty).
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
        let path = PathBuf::from(text("file")?);
        check_secret_file(&path)?;
        Ok(Secret::File(path))
    } else {
        Err(SecretError::WrongKeys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::MAX_SECRET_FILE_BYTES;

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
    fn files_that_cannot_hold_a_secret_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = |name: &str, body: &[u8]| {
            let p = dir.path().join(name);
            std::fs::write(&p, body).expect("write");
            p
        };
        let check = |p: &Path| secret(&format!("{{ file = {:?} }}", p.display().to_string()));
        assert!(matches!(
            check(Path::new("/dev/zero")),
            Err(SecretError::File(SecretFileError::NotRegular(
                _,
                "a character device"
            )))
        ));
        assert!(matches!(
            check(dir.path()),
            Err(SecretError::File(SecretFileError::NotRegular(
                _,
                "a directory"
            )))
        ));
        let big = file("big", &vec![b'x'; MAX_SECRET_FILE_BYTES as usize + 1]);
        let e = check(&big).expect_err("too large");
        assert!(
            e.to_string()
                .contains("has 65537 bytes; a secret file may have at most 65536"),
            "{e}"
        );
        let empty = file("empty", b"\n");
        assert!(
            check(&empty)
                .expect_err("empty")
                .to_string()
                .ends_with("is empty")
        );
        // Fine: a real secret, and a file that only exists where the daemon runs.
        let ok = file("ok", b"hunter2\n");
        assert_eq!(check(&ok), Ok(Secret::File(ok.clone())));
        assert_eq!(Secret::File(ok).resolve(), Ok("hunter2".to_string()));
        assert!(check(Path::new("/nonexistent/driftvakt.pass")).is_ok());
        // The daemon refuses the same files when it reads them.
        let e = Secret::File("/dev/zero".into())
            .resolve()
            .expect_err("device");
        assert!(
            e.contains("/dev/zero is a character device, not a regular file"),
            "{e}"
        );
        assert!(Secret::File(empty).resolve().is_err());
    }

    #[test]
    fn env_secret_resolves_from_environment() {
        // PATH is set in every test environment; resolving must read it, not invent it.
        let s = secret(r#"{ env = "PATH" }"#).expect("valid");
        assert_eq!(s.resolve().ok(), std::env::var("PATH").ok());
    }
}
