//! `driftvakt password-hash`: the first line of stdin (the password; typed or piped, not echoed
//! back) hashed with argon2id and a fresh random salt, printed as the PHC string to paste into
//! a `[[web.users]]` entry's `password_hash`.

use std::io::{BufRead, Write};

use anyhow::{Context, Result, bail};
use driftvakt_config::password::hash_password;

/// Read, hash, print.
pub fn run() -> Result<()> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).context("reading the password from stdin")?;
    let password = line.strip_suffix('\n').unwrap_or(&line);
    let password = password.strip_suffix('\r').unwrap_or(password);
    if password.is_empty() {
        bail!("no password on stdin (write it as the first line)");
    }
    let mut salt = [0u8; 16];
    getrandom::getrandom(&mut salt).map_err(|e| anyhow::anyhow!("no random salt from the system: {e}"))?;
    let phc = hash_password(password, &salt)?;
    writeln!(std::io::stdout(), "{phc}")?;
    Ok(())
}
