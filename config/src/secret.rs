//! Secrets (`{ env = "VAR" }` or `{ file = "/path" }`): the model's [`Secret`] and how the
//! daemon reads one. How a configuration writes one is read in `parse/secret.rs`.

use std::io::Read as _;
use std::path::{Path, PathBuf};

/// A secret taken from the environment or a file, never written inline in the config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Secret {
    /// Read from this environment variable.
    Env(String),
    /// Read from this file (a regular file of at most 64 KiB; trailing newline trimmed).
    File(PathBuf),
}

impl Secret {
    /// Resolve the secret now.
    pub fn resolve(&self) -> Result<String, String> {
        match self {
            Secret::Env(var) => match std::env::var(var) {
                Ok(v) if v.trim().is_empty() => Err(format!("environment variable {var} is empty")),
                Ok(v) => Ok(v),
                Err(_) => Err(format!("environment variable {var} is not set")),
            },
            Secret::File(path) => read_secret_file(path).map_err(|e| e.to_string()),
        }
    }
}

/// Most bytes a secret file may have: a token or password is a few hundred at most, and a
/// bound keeps `{ file = "/dev/zero" }` or a log file named by mistake from being read whole.
pub const MAX_SECRET_FILE_BYTES: u64 = 64 * 1024;

/// Why a secret file cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretFileError {
    /// A directory, device, FIFO or socket.
    #[error("secret file {p} is {1}, not a regular file", p = .0.display())]
    NotRegular(PathBuf, &'static str),
    /// Larger than [`MAX_SECRET_FILE_BYTES`].
    #[error("secret file {p} has {1} bytes; a secret file may have at most {MAX_SECRET_FILE_BYTES}", p = .0.display())]
    TooLarge(PathBuf, u64),
    /// Nothing but white space.
    #[error("secret file {p} is empty", p = .0.display())]
    Empty(PathBuf),
    /// Not UTF-8 text.
    #[error("secret file {p} is not UTF-8 text", p = .0.display())]
    NotText(PathBuf),
    /// Cannot be opened or read.
    #[error("cannot read secret file {p}: {1}", p = .0.display())]
    Unreadable(PathBuf, String),
}

/// What kind of non-regular file `t` is.
#[cfg(unix)]
fn file_kind(t: std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt as _;
    if t.is_dir() {
        "a directory"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    }
}

/// What kind of non-regular file `t` is.
#[cfg(not(unix))]
fn file_kind(t: std::fs::FileType) -> &'static str {
    if t.is_dir() {
        "a directory"
    } else {
        "not a regular file"
    }
}

/// Read the secret in the file at `path`: a regular file of at most [`MAX_SECRET_FILE_BYTES`],
/// UTF-8, trailing line breaks trimmed, not empty.
pub fn read_secret_file(path: &Path) -> Result<String, SecretFileError> {
    let unreadable =
        |e: std::io::Error| SecretFileError::Unreadable(path.to_path_buf(), e.to_string());
    let file = std::fs::File::open(path).map_err(unreadable)?;
    let meta = file.metadata().map_err(unreadable)?;
    if !meta.file_type().is_file() {
        return Err(SecretFileError::NotRegular(
            path.to_path_buf(),
            file_kind(meta.file_type()),
        ));
    }
    if meta.len() > MAX_SECRET_FILE_BYTES {
        return Err(SecretFileError::TooLarge(path.to_path_buf(), meta.len()));
    }
    // The bound again while reading: the file may grow after the size was taken.
    let mut bytes = Vec::new();
    file.take(MAX_SECRET_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > MAX_SECRET_FILE_BYTES {
        return Err(SecretFileError::TooLarge(
            path.to_path_buf(),
            bytes.len() as u64,
        ));
    }
    let text =
        String::from_utf8(bytes).map_err(|_| SecretFileError::NotText(path.to_path_buf()))?;
    let secret = text.trim_end_matches(['\r', '\n']);
    if secret.trim().is_empty() {
        return Err(SecretFileError::Empty(path.to_path_buf()));
    }
    Ok(secret.to_string())
}

