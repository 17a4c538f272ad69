//! Comparing secrets (API tokens, CSRF tokens) without leaking where they differ.

/// Whether `a` and `b` are equal, in a time that does not depend on the position of the first
/// difference.
pub fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_only_when_every_byte_and_the_length_are() {
        assert!(same(b"token", b"token"));
        assert!(!same(b"token", b"tokem") && !same(b"token", b"toke") && !same(b"", b"x"));
    }
}
