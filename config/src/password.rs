//! Passwords of the web screen's users: argon2id PHC strings (`$argon2id$v=19$m=…$salt$hash`),
//! made by `driftvakt password-hash`, checked when the configuration is read, verified at login.

use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};

/// Why a string is not a password hash the web screen accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HashError {
    /// Not a PHC string at all.
    #[error("not a PHC string (`$argon2id$v=19$m=…`): {0}")]
    NotPhc(String),
    /// A PHC string of another algorithm.
    #[error("algorithm `{0}` is not argon2 (argon2id, argon2i or argon2d)")]
    NotArgon2(String),
    /// A PHC string without a salt or a hash.
    #[error("the PHC string has no salt or no hash")]
    Incomplete,
}

/// Whether `phc` is an argon2 PHC string with salt and hash.
pub fn check_hash(phc: &str) -> Result<(), HashError> {
    let h = PasswordHash::new(phc).map_err(|e| HashError::NotPhc(e.to_string()))?;
    let alg = h.algorithm.as_str();
    if !matches!(alg, "argon2id" | "argon2i" | "argon2d") {
        return Err(HashError::NotArgon2(alg.to_string()));
    }
    if h.salt.is_none() || h.hash.is_none() {
        return Err(HashError::Incomplete);
    }
    Ok(())
}

/// `password` hashed with argon2id (the crate's recommended parameters) and `salt` (16 random
/// bytes from the caller), as a PHC string.
pub fn hash_password(password: &str, salt: &[u8; 16]) -> Result<String, HashError> {
    Argon2::default()
        .hash_password_with_salt(password.as_bytes(), salt)
        .map(|h| h.to_string())
        .map_err(|e| HashError::NotPhc(e.to_string()))
}

/// Whether `password` matches the PHC string `phc` (false for a malformed one).
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_own_password_only_and_is_accepted_by_the_check() {
        let h = hash_password("rätt häst", &[7; 16]).expect("hash");
        assert!(h.starts_with("$argon2id$v=19$"), "{h}");
        assert_eq!(check_hash(&h), Ok(()));
        assert!(verify_password("rätt häst", &h));
        assert!(!verify_password("rätt hast", &h) && !verify_password("", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn other_strings_and_algorithms_are_refused_with_a_reason() {
        assert!(matches!(check_hash("hunter2"), Err(HashError::NotPhc(_))));
        assert!(matches!(check_hash("$pbkdf2-sha256$i=1000$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"), Err(HashError::NotArgon2(a)) if a == "pbkdf2-sha256"));
        assert_eq!(check_hash("$argon2id$v=19$m=19456,t=2,p=1"), Err(HashError::Incomplete));
    }
}
